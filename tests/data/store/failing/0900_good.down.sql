DROP TABLE test_good;
