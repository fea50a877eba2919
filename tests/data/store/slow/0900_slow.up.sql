-- Test-only: takes a few seconds, so a test can kill it halfway or race it.
CREATE TABLE test_slow (x INTEGER NOT NULL);
INSERT INTO test_slow (x)
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 600000)
SELECT x FROM n;
CREATE INDEX test_slow_x ON test_slow (x);
