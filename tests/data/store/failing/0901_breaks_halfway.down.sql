DROP TABLE test_half;
