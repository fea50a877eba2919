#!/usr/bin/env bash
# Times one certificate issuance against a local Pebble (PEBBLE_VA_NOSLEEP=1)
# with `rcommerce cert issue`, lego and certbot, and prints the ratios.
# Not part of ctest. Usage: RCOMMERCE_BIN=build/cli/rcommerce tests/bench/acme_bench.sh [RUNS]
# Needs the dev script's TEST_PACKAGES and BENCH_PACKAGES (pebble, lego, certbot).
RCOMMERCE_BIN=$(realpath "${RCOMMERCE_BIN:-build/cli/rcommerce}")
export RCOMMERCE_BIN
here=$(dirname "$(realpath "$0")")
source "$here/../integration/lib.sh"
source "$here/../integration/acme_pebble.sh"
cd "$WORK"
RUNS=${1:-3}

start_pebble
export RCOMMERCE_TLS_LETS_ENCRYPT_CACHE_DIR="$WORK/rc"

now() { date +%s.%N; }

# time_client NAME CMD...: runs CMD RUNS times with DOMAIN set to a fresh name
# (the string @DOMAIN@ in CMD is replaced); prints the mean seconds.
time_client() {
    local name=$1 total=0 start end i
    shift
    for ((i = 0; i < RUNS; i++)); do
        local domain="$name-$i.bench.example" args=()
        for arg in "$@"; do args+=("${arg//@DOMAIN@/$domain}"); done
        start=$(now)
        if ! "${args[@]}" >"$WORK/$name-$i.log" 2>&1; then
            echo "$name failed; see below" >&2
            tail -20 "$WORK/$name-$i.log" >&2
            return 1
        fi
        end=$(now)
        total=$(awk "BEGIN { print $total + $end - $start }")
    done
    awk "BEGIN { printf \"%.3f\", $total / $RUNS }"
}

rc=$(time_client rcommerce "$RC" cert issue --directory "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" \
    --email bench@example.com --domain @DOMAIN@ --http-port "$HTTP_PORT")
lego=$(LEGO_CA_CERTIFICATES="$PEBBLE_CA" time_client lego lego --server "$PEBBLE_DIR" \
    --email bench@example.com --accept-tos --path "$WORK/lego" --domains @DOMAIN@ \
    --http --http.port "127.0.0.1:$HTTP_PORT" run)
certbot=$(REQUESTS_CA_BUNDLE="$PEBBLE_CA" time_client certbot certbot certonly --standalone \
    --non-interactive --agree-tos -m bench@example.com --no-eff-email \
    --server "$PEBBLE_DIR" --http-01-port "$HTTP_PORT" --http-01-address 127.0.0.1 \
    --config-dir "$WORK/certbot" --work-dir "$WORK/certbot" --logs-dir "$WORK/certbot" \
    -d @DOMAIN@)

printf '%-10s %8s s per certificate (mean of %d)\n' rcommerce "$rc" "$RUNS" lego "$lego" \
    "$RUNS" certbot "$certbot" "$RUNS"
awk "BEGIN { printf \"lego / rcommerce:    %.1fx\\n\", $lego / $rc }"
awk "BEGIN { printf \"certbot / rcommerce: %.1fx\\n\", $certbot / $rc }"
