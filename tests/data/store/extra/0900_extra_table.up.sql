-- Test-only: a second migration, so up/down/up crosses two versions.
CREATE TABLE test_extra (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE INDEX test_extra_label ON test_extra (label);
ALTER TABLE products ADD COLUMN test_note TEXT;
