#!/usr/bin/env bash
# `rcommerce db migrate|status|rollback|seed` driven as an operator would:
# a new file, up/down/up, a tampered checksum, a database from the future,
# a migration that fails halfway, a migrator killed halfway, two migrators at
# once, and hostile database URLs. Test-only migrations come from
# RCOMMERCE_TEST_EXTRA_MIGRATIONS (see core/store/migrations.hpp).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
DATA="$TEST_DATA/store"
: >empty.toml
export RCOMMERCE_CONFIG="$WORK/empty.toml"
unset RCOMMERCE_TEST_EXTRA_MIGRATIONS

use_db() { export RCOMMERCE_DATABASE_URL="sqlite://$WORK/$1"; }
schema_of() { sqlite3 "$WORK/$1" .schema; }
applied_versions() { sqlite3 "$WORK/$1" "SELECT group_concat(version, ',') FROM (SELECT version FROM schema_migrations ORDER BY version)"; }

# --- a new file: migrate, migrate again, seed, status --------------------------
use_db new.db
run "$RC" db status
expect_code 2 "status on a missing file is a configuration error"
expect_contains "$ERR" "does not exist" "status names the missing file"
expect_contains "$ERR" "db migrate" "status hints at db migrate"

run "$RC" db migrate
expect_code 0 "migrate on a new file"
expect_contains "$OUT" "applied 0001_initial" "migrate prints what it applied"
run "$RC" db migrate
expect_code 0 "a second migrate"
expect_contains "$OUT" "nothing to migrate" "a second migrate has nothing pending"

run "$RC" db seed --demo --products 300 --seed 7 --at 2026-12-01
expect_code 0 "seed --demo"
expect_contains "$OUT" "seeded 300 products" "seed reports what it wrote"
run "$RC" db status
expect_code 0 "status after seeding"
expect_contains "$OUT" "applied" "status lists the applied migration"

# The demo data is consistent: the ledger sums to on_hand, reserved matches
# the active reservations, and every level category occurs.
expect_eq "$(sqlite3 new.db "SELECT count(*) FROM inventory_levels l WHERE on_hand <>
    coalesce((SELECT sum(quantity) FROM stock_movements m WHERE m.variant_id = l.variant_id
              AND m.location_id = l.location_id), 0)")" 0 "the ledger sums to on_hand"
expect_eq "$(sqlite3 new.db "SELECT count(*) FROM inventory_levels l WHERE reserved <>
    coalesce((SELECT sum(quantity) FROM reservations r WHERE r.variant_id = l.variant_id
              AND r.location_id = l.location_id AND status = 'active'), 0)")" 0 \
    "reserved matches the active reservations"
expect_eq "$(sqlite3 new.db "SELECT count(DISTINCT CASE WHEN a <= 0 THEN 'out' WHEN 2 * a <= t
    THEN 'critical' WHEN a <= t THEN 'low' ELSE 'ok' END) FROM (SELECT l.on_hand - l.reserved a,
    coalesce(l.low_stock_threshold, o.low_stock_threshold, v.low_stock_threshold, 20) t
    FROM inventory_levels l JOIN locations o ON o.id = l.location_id
    JOIN variants v ON v.id = l.variant_id)")" 4 "levels are spread over ok/low/critical/out"
expect_eq "$(sqlite3 new.db "SELECT count(*) >= 2 FROM locations")" 1 "at least two locations"

run "$RC" db seed --demo --products 10
expect_code 1 "seeding a non-empty database is refused"
expect_contains "$ERR" "already has 300 products" "the refusal says why"

# Same seed, same anchor: the same rows.
use_db same.db
"$RC" db migrate >/dev/null
"$RC" db seed --demo --products 300 --seed 7 --at 2026-12-01 >/dev/null
expect_eq "$(sqlite3 same.db .dump | grep -v schema_migrations | md5sum)" \
    "$(sqlite3 new.db .dump | grep -v schema_migrations | md5sum)" "the demo seed is deterministic"

run "$RC" db seed
expect_code 2 "seed without --demo is a usage error"
run "$RC" db seed --demo --products 0
expect_code 2 "seed --products 0 is a usage error"
run "$RC" db seed --demo --at yesterday
expect_code 2 "seed --at with a bad time is a usage error"

# --- up, down, up leaves an identical schema -----------------------------------
export RCOMMERCE_TEST_EXTRA_MIGRATIONS="$DATA/extra"
use_db updown.db
"$RC" db migrate >/dev/null
first="$(schema_of updown.db)"
expect_contains "$first" "test_extra" "the extra test migration applied"
run "$RC" db rollback --steps 3
expect_code 0 "rollback --steps 3"
expect_contains "$OUT" "rolled back 0900_extra_table" "rollback names the newest first"
expect_contains "$OUT" "rolled back 0001_initial" "rollback reaches the first migration"
expect_eq "$(sqlite3 updown.db "SELECT count(*) FROM sqlite_master WHERE name <> 'schema_migrations'")" \
    0 "after rolling everything back only schema_migrations is left"
run "$RC" db rollback
expect_code 0 "rollback with nothing applied"
expect_contains "$OUT" "nothing to roll back" "rollback says there is nothing"
"$RC" db migrate >/dev/null
expect_eq "$(schema_of updown.db)" "$first" "up, down, up gives an identical schema"
run "$RC" db migrate --to 1
expect_code 2 "migrate --to an older version is refused"
run "$RC" db migrate --to 55
expect_code 2 "migrate --to an unknown version is refused"
run "$RC" db rollback --steps 0
expect_code 2 "rollback --steps 0 is a usage error"
"$RC" db rollback >/dev/null
run "$RC" db migrate --to 2
expect_contains "$OUT" "nothing to migrate" "migrate --to the current version does nothing"
run "$RC" db status --format json
expect_code 0 "status --format json"
expect_eq "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin);
print(d["database_version"], [m["state"] for m in d["migrations"]])')" \
    "2 ['applied', 'applied', 'pending']" "status JSON lists applied and pending"
unset RCOMMERCE_TEST_EXTRA_MIGRATIONS

# --- a tampered migration is reported as modified ------------------------------
use_db tampered.db
"$RC" db migrate >/dev/null
# The newest migration, so that rollback meets it first.
sqlite3 tampered.db "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 2"
run "$RC" db status
expect_code 1 "status exits 1 when a migration is modified"
expect_contains "$OUT" "modified" "status shows the modified migration"
run "$RC" db migrate
expect_code 1 "migrate refuses while a migration is modified"
expect_contains "$ERR" "0002_payment_amounts" "the refusal names the migration"
run "$RC" db rollback
expect_code 1 "rollback refuses a modified migration"

# --- a database from the future is refused by every command --------------------
use_db future.db
"$RC" db migrate >/dev/null
sqlite3 future.db "INSERT INTO schema_migrations VALUES (42, 'from_the_future', 'x', '2030-01-01T00:00:00Z')"
for command in "db migrate" "db rollback" "db seed --demo" "db status"; do
    # shellcheck disable=SC2086
    run "$RC" $command
    expect_code 2 "$command refuses a newer database"
    expect_contains "$ERR" "schema version 42" "$command names the database's version"
    expect_contains "$ERR" "versions up to 2" "$command names the binary's version"
done
expect_eq "$(applied_versions future.db)" "1,2,42" "the future database is left untouched"

# --- a migration failing halfway leaves the previous version --------------------
export RCOMMERCE_TEST_EXTRA_MIGRATIONS="$DATA/failing"
use_db failing.db
run "$RC" db migrate
expect_code 1 "a failing migration fails migrate"
expect_contains "$ERR" "0901_breaks_halfway" "the failure names the migration"
expect_contains "$ERR" "no_such_table" "the failure says why"
expect_contains "$OUT" "applied 0900_good" "the migrations before it were applied"
expect_eq "$(applied_versions failing.db)" "1,2,900" "the database stays at the last good version"
expect_eq "$(sqlite3 failing.db "SELECT count(*) FROM sqlite_master WHERE name = 'test_half'")" \
    0 "nothing of the failed migration remains"
unset RCOMMERCE_TEST_EXTRA_MIGRATIONS

# --- kill -9 halfway through a migration ----------------------------------------
export RCOMMERCE_TEST_EXTRA_MIGRATIONS="$DATA/slow"
use_db killed.db
"$RC" db migrate --to 2 >/dev/null
"$RC" db migrate >killed.out 2>&1 &
pid=$!
CLEANUP_PIDS+=("$pid")
for _ in $(seq 50); do
    [ -s killed.db-wal ] && break
    sleep 0.1
done
sleep 0.3
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
expect_eq "$(sqlite3 killed.db "PRAGMA integrity_check")" "ok" "a killed migration leaves an intact file"
applied="$(applied_versions killed.db)"
if [ "$applied" = "1,2" ]; then
    expect_eq "$(sqlite3 killed.db "SELECT count(*) FROM sqlite_master WHERE name = 'test_slow'")" \
        0 "the killed migration left nothing behind"
else
    # The machine was fast enough to finish before the kill: still consistent.
    echo "note: the slow migration finished before kill -9; the halfway case was not hit" >&2
    expect_eq "$applied" "1,2,900" "a migration finished before the kill is complete"
fi
run "$RC" db migrate
expect_code 0 "migrate after a kill completes"
expect_eq "$(applied_versions killed.db)" "1,2,900" "every migration applied once after the kill"

# --- two migrators at once -------------------------------------------------------
use_db race.db
"$RC" db migrate >race1.out 2>race1.err &
p1=$!
"$RC" db migrate >race2.out 2>race2.err &
p2=$!
CLEANUP_PIDS+=("$p1" "$p2")
set +e
wait "$p1"
c1=$?
wait "$p2"
c2=$?
set -e
expect_eq "$c1 $c2" "0 0" "two concurrent migrators both succeed (the second waits)"
expect_eq "$(cat race1.out race2.out | grep -c 'applied 0001_initial')" 1 \
    "0001 was applied by exactly one migrator"
expect_eq "$(cat race1.out race2.out | grep -c 'applied 0900_slow')" 1 \
    "0900 was applied by exactly one migrator"
expect_eq "$(applied_versions race.db)" "1,2,900" "the raced database is at the latest version"
expect_eq "$(sqlite3 race.db "SELECT count(*) FROM test_slow")" 600000 \
    "the raced migration ran exactly once"
run "$RC" db status
expect_code 0 "status after the race"
unset RCOMMERCE_TEST_EXTRA_MIGRATIONS

# --- hostile database URLs and files ---------------------------------------------
export RCOMMERCE_DATABASE_URL="postgres://localhost/x"
run "$RC" db migrate
expect_code 2 "a non-sqlite URL is a configuration error"
expect_contains "$ERR" "sqlite://" "the error shows the accepted form"

export RCOMMERCE_DATABASE_URL="sqlite:///dev/null/inside/x.db"
run "$RC" db migrate
expect_code 2 "a path below a non-folder"
expect_contains "$ERR" "does not exist" "the error names the missing folder"

export RCOMMERCE_DATABASE_URL="sqlite://$WORK"
run "$RC" db migrate
expect_code 2 "a folder as the database"
expect_contains "$ERR" "directory" "the error says it is a directory"

head -c 8192 /dev/urandom >junk.db
use_db junk.db
for command in "db migrate" "db status" "db rollback" "db seed --demo"; do
    # shellcheck disable=SC2086
    run "$RC" $command
    expect_code 2 "$command on a non-SQLite file"
    expect_contains "$ERR" "not a SQLite database" "$command says the file is not SQLite"
done

printf 'SQLite format 3\0garbage' >truncated.db
use_db truncated.db
run "$RC" db migrate
expect_code 2 "a truncated SQLite header"
expect_not_contains "$ERR" "terminate" "no crash on a truncated file"

# An rcommerce database cut short (a full disk, a copy taken mid-write) is
# damaged, not "not SQLite": the hint is a backup, not another database.url.
use_db whole.db
"$RC" db migrate >/dev/null
head -c 20000 whole.db >cut.db
use_db cut.db
run "$RC" db status
expect_code 2 "a damaged database"
expect_contains "$ERR" "damaged" "a cut-short database is called damaged"
expect_contains "$ERR" ".recover" "the hint says how to salvage it"

# Another program's SQLite database is not migrated into.
sqlite3 foreign.db "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER);
    INSERT INTO invoices (total) VALUES (42);"
use_db foreign.db
run "$RC" db migrate
expect_code 2 "db migrate on another program's database"
expect_contains "$ERR" "tables rcommerce did not create (invoices)" "the foreign tables are named"
TABLES="SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'"
expect_eq "$(sqlite3 foreign.db "$TABLES")" \
    "invoices" "the foreign database is left as it was"

# ...nor is one whose schema_migrations table is another tool's (Rails,
# golang-migrate and dbmate use that name too).
sqlite3 rails.db "CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY);
    INSERT INTO schema_migrations VALUES ('20230101000000'); CREATE TABLE users (id INTEGER);"
use_db rails.db
for command in "db migrate" "db status" "inventory report"; do
    # shellcheck disable=SC2086
    run "$RC" $command
    expect_code 2 "$command on another tool's schema_migrations"
    expect_contains "$ERR" "schema_migrations table is not rcommerce's" \
        "$command says the migrations table belongs to another program"
done
expect_eq "$(sqlite3 rails.db "SELECT group_concat(name) FROM pragma_table_info('schema_migrations')")" \
    "version" "the other tool's table is left as it was"

if [ "$(id -u)" -ne 0 ]; then
    mkdir locked && chmod 555 locked
    use_db locked/x.db
    run "$RC" db migrate
    expect_code 2 "an unwritable folder"
    expect_contains "$ERR" "not writable" "the error says the folder is not writable"
    chmod 755 locked
fi


# --- seeds racing: one fills the database, the others are refused by name ------
unset RCOMMERCE_TEST_EXTRA_MIGRATIONS
use_db raced.db
"$RC" db migrate >/dev/null
for i in 1 2 3; do
    "$RC" db seed --demo --products 3000 >"seed$i.out" 2>"seed$i.err" &
    seeders[i]=$!
done
seeded=0
for i in 1 2 3; do
    if wait "${seeders[i]}"; then
        seeded=$((seeded + 1))
    else
        expect_contains "$(cat "seed$i.err")" "the database already has" \
            "a seed that lost the race says the database is not empty"
    fi
done
expect_eq "$seeded" 1 "exactly one of three racing seeds fills the database"
expect_eq "$(sqlite3 raced.db "SELECT count(*) FROM products")" 3000 "one catalogue, not a mix"

# --- rollback never drops data silently ----------------------------------------
unset RCOMMERCE_TEST_EXTRA_MIGRATIONS
use_db guarded.db
"$RC" db migrate >/dev/null
"$RC" db seed --demo --products 5 >/dev/null
run "$RC" db rollback
expect_code 1 "rollback of a database holding data needs --force"
expect_contains "$ERR" "customers (20 rows)" "the refusal names a table holding rows"
expect_contains "$ERR" "--force" "the refusal says how to proceed"
expect_eq "$(sqlite3 guarded.db "SELECT count(*) FROM products")" 5 "nothing was dropped"
run "$RC" db rollback --force
expect_code 0 "rollback --force proceeds"
finish
