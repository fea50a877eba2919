-- Test-only: the first statement succeeds, the second fails; neither may stay.
CREATE TABLE test_half (id INTEGER PRIMARY KEY);
INSERT INTO test_half (id) VALUES (1);
INSERT INTO no_such_table (id) VALUES (1);
