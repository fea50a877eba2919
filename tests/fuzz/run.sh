#!/usr/bin/env bash
# Builds every libFuzzer target in tests/fuzz/ with clang++ in build-fuzz/
# (-DRCOMMERCE_FUZZ=ON: ASan, UBSan, coverage) and runs each for its share of a
# bounded budget: FUZZ_SECONDS in total (default 20). Seeds come from
# tests/fuzz/corpus/<target>/ when present. Exits 1 when any target crashes,
# leaks or times out on an input; the crashing input is kept in build-fuzz/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
BUDGET="${FUZZ_SECONDS:-20}"

targets=()
for src in "$ROOT"/tests/fuzz/*_fuzz.cpp; do
    [ -e "$src" ] && targets+=("$(basename "$src" .cpp)")
done
[ ${#targets[@]} -eq 0 ] && { echo "fuzz: no targets"; exit 0; }

CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DRCOMMERCE_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j 2 --target "${targets[@]}"

per=$((BUDGET / ${#targets[@]}))
[ "$per" -lt 1 ] && per=1
status=0
for target in "${targets[@]}"; do
    scratch="$(mktemp -d)"
    corpora=("$scratch")
    [ -d "$ROOT/tests/fuzz/corpus/$target" ] && corpora+=("$ROOT/tests/fuzz/corpus/$target")
    log="$BUILD/$target.log"
    if "$BUILD/tests/$target" -max_total_time="$per" -max_len=4096 -timeout=5 \
        -artifact_prefix="$BUILD/$target-" "${corpora[@]}" >"$log" 2>&1; then
        echo "fuzz: $target ok ($(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1) in ${per}s)"
    else
        echo "fuzz: $target FAILED; log: $log" >&2
        tail -40 "$log" >&2
        status=1
    fi
    rm -rf "$scratch"
done
exit "$status"
