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
# RUNS (default 3) timed runs per command, best time and highest RSS taken.
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

# measure CMD...: "<seconds> <peak KiB>" of the fastest of RUNS runs; the
# output goes to /dev/null (a file would time the disk, not the report).
measure() {
    local best="" rss="" stats="$BENCH_DIR/time.out"
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -o "$stats" -f "%e %M" "$@" >/dev/null 2>"$BENCH_DIR/stderr.out"
        read -r t m <"$stats"
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
        if [ -z "$rss" ] || [ "$m" -gt "$rss" ]; then rss=$m; fi
    done
    echo "$best $rss"
}

printf '%-12s %10s %10s %7s %14s %14s\n' kind rcommerce sqlite3 ratio "rc peak MiB" "sqlite3 MiB"
for kind in $KINDS; do
    sql="$("$RC" --config "$CONFIG" inventory report --kind "$kind" --show-sql)"
    read -r rc_time rc_rss < <(measure "$RC" --config "$CONFIG" inventory report --kind "$kind" \
        --format csv)
    read -r sq_time sq_rss < <(measure sqlite3 -readonly -csv -header "$DB" "$sql")
    ratio=$(awk "BEGIN{printf \"%.2f\", $rc_time / ($sq_time > 0 ? $sq_time : 0.001)}")
    printf '%-12s %9ss %9ss %7s %14.1f %14.1f\n' "$kind" "$rc_time" "$sq_time" "$ratio" \
        "$(awk "BEGIN{print $rc_rss / 1024}")" "$(awk "BEGIN{print $sq_rss / 1024}")"
done
