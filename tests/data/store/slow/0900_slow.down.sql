DROP TABLE test_slow;
