#!/usr/bin/env bash
# `rcommerce inventory report` end to end: every kind in every machine format
# checked against numbers tests/data/inventory/check_report.py computes on its
# own (ledger sums, the level rule, ISO 4217 decimals), filters, sorting,
# --fail-if-low, hostile names, an empty catalogue, and the databases that
# must be refused with exit 2 (missing, not migrated, newer than the binary).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
DATA="$TEST_DATA/inventory"

printf '[database]\nurl = "sqlite://%s/shop.db"\n' "$WORK" >rc.toml
report() { "$RC" --config rc.toml inventory report "$@"; }

# --- refused databases: never an empty report -----------------------------
run report
expect_code 2 "a missing database is exit 2"
expect_contains "$ERR" "does not exist" "a missing database is named"
expect_eq "$OUT" "" "a missing database prints no report"

sqlite3 shop.db 'CREATE TABLE unrelated (x)'
run report
expect_code 2 "a database that is not migrated is exit 2"
expect_contains "$ERR" "migrations not yet applied" "not migrated is explained"
expect_contains "$ERR" "db migrate" "the hint names db migrate"
expect_eq "$OUT" "" "a not-migrated database prints no report"
rm -f shop.db

run "$RC" --config rc.toml db migrate
expect_code 0 "db migrate"

# --- empty catalogue -------------------------------------------------------
run report --format json
expect_code 0 "an empty catalogue is a successful report"
expect_eq "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(len(d["rows"]), len(d["totals"]))' "$OUT")" \
    "0 0" "an empty catalogue has no rows and no totals"
run report --format csv
expect_eq "$OUT" "record,product_id,product,variant,sku,location,on_hand,reserved,available,reorder_point,threshold,level"$'\r' \
    "an empty CSV still has its header"
run report --fail-if-low
expect_code 0 "--fail-if-low on an empty catalogue"

# --- the fixture -----------------------------------------------------------
NOW=$(date -u +%s)
python3 "$DATA/build_fixture.py" shop.db "$NOW"
cp shop.db shop-copy.db # the report must not write: compared below

check() { # check FORMAT KIND [OPTIONS...]
    local format=$1 kind=$2
    shift 2
    run report --kind "$kind" --format "$format" "$@"
    if [ "$CODE" -ne 0 ] && [ "$CODE" -ne 4 ]; then
        fail "report --kind $kind --format $format $*: exit $CODE: $ERR"
        return
    fi
    printf '%s' "$OUT" >out.txt
    [ -z "$OUT" ] || printf '\n' >>out.txt
    if python3 "$DATA/check_report.py" shop.db "$format" out.txt "$kind" --now "$NOW" "$@" \
        >check.log 2>&1; then
        pass
    else
        fail "report --kind $kind --format $format $*: $(cat check.log)"
    fi
}

for format in csv json ndjson; do
    check "$format" stock
    check "$format" low-stock
    check "$format" out-of-stock
    check "$format" valuation
    check "$format" movements --since 2026-01-01 --until 2026-02-01
    check "$format" reservations
    check "$format" dead-stock
done
check json movements --since 2026-01-20T12:30:00Z
check json movements --since 2026-01-20T12:30:01Z --until 2026-02-01T00:00:01Z
check json reservations --status active --status expired
check csv dead-stock --days 4
check json dead-stock --days 0

# Filters.
check csv stock --location east
check json stock --location main --location zürich
check json stock --sku-prefix MUG-1
check csv stock --sku-prefix CRÈ
check json stock --product 1
check json stock --level critical --level out
check json low-stock --location main
check json valuation --location east
check json movements --since 2026-01-01 --sku-prefix MUG
run report --sku-prefix NOPE --format json
expect_eq "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["rows"]))' "$OUT")" "0" \
    "a prefix matching nothing gives no rows"

# The CSV opens as-is: hostile names round-trip through python's csv module.
run report --format csv
printf '%s\n' "$OUT" >stock.csv
python3 - stock.csv <<'PY' && pass || fail "hostile names in CSV"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
names = {r["product"] for r in rows}
assert 'Mug, "large"' in names and "Tea\nPot" in names and "Crème brûlée – 東京 🎉" in names, names
assert "=SUM(A1)" in names, names
PY

# Money: JPY without decimals, KWD with three, totals per currency.
run report --kind valuation --format csv
expect_contains "$OUT" "POT-1,main,21,JPY,1200,25200" "JPY prints without decimals"
expect_contains "$OUT" "CRÈME-1,zürich,35,KWD,1.234,43.190" "KWD prints three decimals"
expect_contains "$OUT" "total,,,,,,2,USD,,19.98" "the USD total is alone in its row"
run report --kind valuation --format json
expect_eq "$(python3 -c '
import json,sys
d = json.loads(sys.argv[1])
print(sorted(t["value"]["currency"] for t in d["totals"]))' "$OUT")" "['EUR', 'JPY', 'KWD', 'USD']" \
    "one total per currency"

# Deterministic: two runs are byte-identical.
a=$(report --format csv)
b=$(report --format csv)
expect_eq "$a" "$b" "two runs print the same bytes"

# Sorting.
run report --sort location --format csv
csv_field() { # csv_field ROW COLUMN: a field of the CSV in $OUT, parsed by python
    python3 -c 'import csv,io,sys; print(list(csv.DictReader(io.StringIO(sys.argv[1])))[int(sys.argv[2])][sys.argv[3]])' "$OUT" "$1" "$2"
}
first=$(csv_field 0 location)
expect_eq "$first" "east" "--sort location starts with the first location code"
run report --kind low-stock --format csv
expect_eq "$(csv_field 0 level)" "out" \
    "low-stock lists out first"
run report --kind stock --sort time
expect_code 2 "--sort time does not apply to stock"
run report --fail-if-low --location nowhere
expect_code 2 "an unknown --location is a usage error, not an empty report"
expect_contains "$ERR" "--location nowhere" "the unknown location is named"
expect_eq "$OUT" "" "nothing is printed for an unknown location"

# Table output is for people: aligned, control characters escaped.
run report
expect_code 0 "table report"
expect_contains "$OUT" 'Tea\nPot' "a newline in a name shows as \\n in the table"
expect_contains "$OUT" "CRÈME-1" "non-ASCII SKUs print"

# --fail-if-low.
run report --fail-if-low
expect_code 4 "--fail-if-low with low stock exits 4"
run report --fail-if-low --sku-prefix MUG-10
expect_code 0 "--fail-if-low with only ok rows exits 0"
run report --fail-if-low --kind valuation
expect_code 2 "--fail-if-low with a report without levels is a usage error"

# Usage errors.
run report --kind movements
expect_code 2 "movements without --since"
expect_contains "$ERR" "--since" "the missing option is named"
run report --kind movements --since yesterday
expect_code 2 "a bad time"
run report --kind nonsense
expect_code 2 "an unknown kind"
run report --level low --kind valuation
expect_code 2 "--level on valuation"
run report --kind movements --since 2026-12-02 --until 2026-12-01
expect_code 2 "--since after --until is a usage error, not an empty ledger"
expect_contains "$ERR" "is not before --until" "the reversed period is named"
run report --kind movements --since 2026-12-01 --until 2026-12-01
expect_code 2 "an empty period is a usage error"
run report --product 999999
expect_code 2 "an unknown --product is a usage error, not an empty report"
expect_contains "$ERR" "--product 999999" "the unknown product is named"
run report --days 30
expect_code 2 "--days applies to dead-stock only"
run report --kind dead-stock --days 30
expect_code 0 "--days with dead-stock"

# --show-sql prints SQL sqlite3 runs to the same rows.
sql=$(report --kind stock --show-sql)
csv_records() { python3 -c 'import csv,sys; print(len(list(csv.reader(sys.stdin))))'; }
expect_eq "$(($(sqlite3 -csv shop.db "$sql" | csv_records) + 1))" "$(report --format csv | csv_records)" \
    "--show-sql runs in sqlite3 to the same records (ours has a header)"

# Read-only: the report changed nothing.
expect_eq "$(sqlite3 shop.db .dump | md5sum)" "$(sqlite3 shop-copy.db .dump | md5sum)" \
    "the report does not write"

# hold_lock DB BEGIN-STATEMENT: a writer that holds DB's lock for 3 s in the
# background ($HOLDER), started once it holds it.
hold_lock() {
    rm -f locked
    python3 - "$1" "$2" <<'PY' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute(sys.argv[2])
con.execute("UPDATE inventory_levels SET reorder_point = reorder_point + 1")
open("locked", "w").close()
time.sleep(3)
con.execute("COMMIT")
PY
    HOLDER=$!
    CLEANUP_PIDS+=("$HOLDER")
    for _ in $(seq 50); do [ -e locked ] && break; sleep 0.1; done
}

# Safe while serve writes: a writer holding the write lock (as serve does
# mid-transaction) neither blocks the report nor is blocked by it.
hold_lock shop.db "BEGIN IMMEDIATE"
start=$(date +%s%N)
run report --format csv
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_code 0 "the report runs while a writer holds the lock"
[ "$elapsed_ms" -lt 2500 ] && pass || fail "the report waited ${elapsed_ms} ms for the writer"
wait "$HOLDER" && pass || fail "the writer failed while the report read"

# A database another process keeps locked (a rollback-journal copy, where a
# writer does block readers) is a moment to retry, exit 1, not a setup
# mistake (exit 2).
cp shop.db journal.db
sqlite3 journal.db "PRAGMA journal_mode = DELETE" >/dev/null
printf '[database]\nurl = "sqlite://%s/journal.db"\nbusy_timeout_ms = 200\n' "$WORK" >journal.toml
hold_lock journal.db "BEGIN EXCLUSIVE"
run "$RC" --config journal.toml inventory report
expect_code 1 "a database locked past busy_timeout_ms is exit 1 (retry), not 2"
expect_contains "$ERR" "database is locked" "the lock is named"
wait "$HOLDER" || true

# A reader without write access to the database's folder cannot create the
# WAL's -shm file; the error says so instead of "attempt to write".
if can_run_as_nobody; then
    mkdir -p sealed && cp shop.db sealed/shop.db && chmod 755 "$WORK" sealed &&
        chmod 644 sealed/shop.db
    printf '[database]\nurl = "sqlite://%s/sealed/shop.db"\n' "$WORK" >sealed.toml
    chmod 644 sealed.toml
    run as_nobody --config "$WORK/sealed.toml" inventory report
    expect_code 2 "a folder the reader cannot write is a setup problem"
    expect_contains "$ERR" "folder $WORK/sealed is not writable" "the folder is named"
    expect_contains "$ERR" "-shm" "the reason (the WAL's -shm file) is given"
fi

# A valuation too large to print is exit 1 (documented), naming the row.
cp shop.db huge.db
sqlite3 huge.db "UPDATE inventory_levels SET on_hand = 9000000000000
    WHERE rowid = (SELECT min(rowid) FROM inventory_levels);
    UPDATE variants SET unit_cost_amount = 1000000"
printf '[database]\nurl = "sqlite://%s/huge.db"\n' "$WORK" >huge.toml
run "$RC" --config huge.toml inventory report --kind valuation --format csv
expect_code 1 "a valuation beyond 10^15 minor units is exit 1"
expect_contains "$ERR" "valuing SKU " "the overflowing row is named"
expect_contains "$ERR" "on_hand 9000000000000 x unit cost 1000000" "its numbers are given"

# --fail-if-low still says "low" when the reader stops early: with
# `set -o pipefail` a cron job sees exit 4, not 0. The report is larger than
# the output buffer, so the write fails with EPIPE mid-report.
printf '[database]\nurl = "sqlite://%s/many.db"\n' "$WORK" >many.toml
"$RC" --config many.toml db migrate >/dev/null
"$RC" --config many.toml db seed --demo --products 3000 --at 2026-12-01 >/dev/null 2>&1
run bash -o pipefail -c '"$0" --config many.toml inventory report --kind low-stock --fail-if-low |
    head -2 >/dev/null' "$RC"
expect_code 4 "--fail-if-low | head is still exit 4"
expect_eq "$ERR" "" "a reader that stops early causes no error message"

# Help states the reorder rule and the exit codes.
run report --help
expect_contains "$OUT" "reorder point + threshold - available" "help states the reorder rule"
expect_contains "$OUT" "4 --fail-if-low" "help states exit 4"

# A database newer than the binary.
sqlite3 shop.db "INSERT INTO schema_migrations VALUES (9999, 'future', 'x', '2099-01-01T00:00:00Z')"
run report
expect_code 2 "a database newer than the binary is exit 2"
expect_contains "$ERR" "9999" "the newer version is named"
expect_eq "$OUT" "" "a newer database prints no report"

finish
