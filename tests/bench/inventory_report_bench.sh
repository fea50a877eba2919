#!/usr/bin/env bash
# Benchmark of `rcommerce inventory report` on a large catalogue against the
# sqlite3 command-line tool running the same SQL (from --show-sql) with CSV
# output on the same file. Prints both times, their ratio (target <= 1.5) and
# rcommerce's peak RSS (target: well under 100 MiB, independent of row count).
#
#   tests/bench/inventory_report_bench.sh [BUILD_DIR]
#
# Environment: PRODUCTS (default 1000000) products for `db seed --demo`;
# BENCH_DIR (default /tmp/rcommerce-bench) keeps the seeded database between
# runs (delete it to reseed); KINDS (default "stock valuation low-stock");
# RUNS (default 3) timed runs per command, best taken.
set -euo pipefail

BUILD_DIR=${1:-build}
RC="$(cd "$BUILD_DIR" && pwd)/cli/rcommerce"
PRODUCTS=${PRODUCTS:-1000000}
BENCH_DIR=${BENCH_DIR:-/tmp/rcommerce-bench}
KINDS=${KINDS:-"stock valuation low-stock"}
RUNS=${RUNS:-3}
DB="$BENCH_DIR/shop-$PRODUCTS.db"
CONFIG="$BENCH_DIR/rcommerce-$PRODUCTS.toml"

command -v sqlite3 >/dev/null || { echo "needs sqlite3" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 1; }
mkdir -p "$BENCH_DIR"
printf '[database]\nurl = "sqlite://%s"\n' "$DB" >"$CONFIG"

if [ ! -s "$DB" ]; then
    echo "seeding $PRODUCTS products into $DB (once; kept for later runs)"
    "$RC" --config "$CONFIG" db migrate >/dev/null
    /usr/bin/time -f "seeded in %e s" "$RC" --config "$CONFIG" db seed --demo --products "$PRODUCTS"
fi
# The WAL folded into the main file, so neither side pays for reading it.
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
echo "catalogue: $(sqlite3 "$DB" 'SELECT count(*) FROM variants') SKUs," \
    "$(sqlite3 "$DB" 'SELECT count(*) FROM inventory_levels') inventory levels"

# best_time CMD...: the least wall time of RUNS runs, in seconds; the
# output goes to /dev/null (a file would time the disk, not the report).
best_time() {
    local best="" t
    for ((i = 0; i < RUNS; i++)); do
        t=$( { /usr/bin/time -f "%e" "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    echo "$best"
}

peak_rss_kib() {
    { /usr/bin/time -f "%M" "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1
}

printf '%-12s %10s %10s %7s %12s %12s\n' kind rcommerce sqlite3 ratio "rc peak MiB" "rows"
for kind in $KINDS; do
    sql="$("$RC" --config "$CONFIG" inventory report --kind "$kind" --show-sql)"
    rows=$("$RC" --config "$CONFIG" inventory report --kind "$kind" --format csv | wc -l)
    rc_time=$(best_time "$RC" --config "$CONFIG" inventory report --kind "$kind" --format csv)
    sq_time=$(best_time sqlite3 -readonly -csv -header "$DB" "$sql")
    rss=$(peak_rss_kib "$RC" --config "$CONFIG" inventory report --kind "$kind" --format csv)
    ratio=$(awk "BEGIN{printf \"%.2f\", $rc_time / ($sq_time > 0 ? $sq_time : 0.001)}")
    printf '%-12s %9ss %9ss %7s %12.1f %12s\n' "$kind" "$rc_time" "$sq_time" "$ratio" \
        "$(awk "BEGIN{print $rss / 1024}")" "$rows"
done
