ALTER TABLE products DROP COLUMN test_note;
DROP TABLE test_extra;
