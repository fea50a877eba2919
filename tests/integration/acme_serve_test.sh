#!/usr/bin/env bash
# `serve` with [tls.lets_encrypt] enabled, against Pebble: it obtains the
# missing certificate through its own HTTP listener and serves it, renews it
# while running (new serial, same process), keeps serving the old one while
# the CA is down and retries, obtains before listening under
# server.production, and stops cleanly on SIGTERM in the middle of an order.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/acme_pebble.sh"
source "$(dirname "$0")/serve_lib.sh"
cd "$WORK"
umask 022

# served_cert PORT NAME: the certificate served for SNI NAME, as PEM.
served_cert() {
    echo | timeout 5 openssl s_client -connect "127.0.0.1:$1" -servername "$2" 2>/dev/null |
        openssl x509 2>/dev/null || true
}
served_serial() { served_cert "$1" "$2" | openssl x509 -noout -serial 2>/dev/null || true; }

# wait_until SECONDS COMMAND...: until COMMAND succeeds, polling every 0.2 s.
wait_until() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 5; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

# le_config FILE HTTPS HTTP CACHE DOMAIN [SERVER_EXTRA]: serve with Let's
# Encrypt on Pebble, retrying after 1-2 s.
le_config() {
    cat >"$1" <<TOML
[server]
host = "127.0.0.1"
port = $2
http_port = $3
data_dir = "$WORK/data"
shutdown_timeout_seconds = 10
${6:-}
[database]
url = "sqlite://$WORK/rc.db"
[log]
format = "json"
[tls.lets_encrypt]
enabled = true
email = "ops@example.com"
domains = ["$5"]
directory_url = "$PEBBLE_DIR"
ca_file = "$PEBBLE_CA"
cache_dir = "$4"
retry_min_seconds = 1
retry_max_seconds = 2
deploy_hook = "echo \"\$RCOMMERCE_RENEWED_DOMAINS\" >>'$WORK/deployed.log'"
TOML
}

# --- obtain at start: a 15-second certificate, http-01 on serve's port ----
start_pebble ', "certificateValidityPeriod": 15'
PEBBLE_PID=${CLEANUP_PIDS[-1]}
port=$(free_port)
le_config a.toml "$port" "$HTTP_PORT" "$WORK/certs" shop.example
start_server a.toml serve-a.log
pid=$SERVER_PID
issuer_is_pebble() {
    served_cert "$port" shop.example | openssl x509 -noout -issuer | grep -q Pebble
}
wait_until 20 issuer_is_pebble && pass || fail "serve obtained and served a Pebble certificate"
serial1=$(served_serial "$port" shop.example)
expect_eq "$serial1" "$(openssl x509 -in certs/shop.example/cert.pem -noout -serial)" \
    "the served certificate is the stored one"
run openssl verify -CAfile "$PEBBLE_ROOT" -untrusted certs/shop.example/chain.pem \
    certs/shop.example/cert.pem
expect_code 0 "the obtained certificate chains to Pebble's root"
expect_contains "$(cat serve-a.log)" "obtaining a certificate" "the log says it obtained one"
expect_eq "$(cat deployed.log)" "shop.example" "the deploy hook ran after obtaining"
expect_eq "$(ls certs/http-01 | wc -l)" 0 "no challenge file left behind"

# --- renewal while running: due after 10 of its 15 seconds -----------------
# check_interval_seconds stays at a day: serve must wake when it is due.
serial_changed() {
    local s
    s=$(served_serial "$port" shop.example)
    [ -n "$s" ] && [ "$s" != "$serial1" ]
}
wait_until 20 serial_changed && pass || fail "the served serial changed after renewal"
serial2=$(served_serial "$port" shop.example)
kill -0 "$pid" 2>/dev/null && pass || fail "the same serve process still runs"
expect_contains "$(cat serve-a.log)" "certificate renewed" "the log says it renewed"
expect_not_contains "$(cat serve-a.log)" '"stopping' "serve never restarted"
expect_eq "$(sed -n 2p deployed.log)" "shop.example" "the deploy hook ran after renewal"

# --- the CA is down when the next renewal is due ---------------------------
kill "$PEBBLE_PID"
two_failures() { [ "$(grep -c 'certificate renewal failed' serve-a.log)" -ge 2 ]; }
wait_until 20 two_failures && pass || fail "a failing renewal is logged and retried"
first_failure=$(grep "certificate renewal failed" serve-a.log | head -1)
expect_contains "$first_failure" "contacting https://localhost" \
    "the failure gives the reason"
expect_contains "$(cat serve-a.log)" "certificate retry scheduled" "the retry is scheduled"
expect_eq "$(served_serial "$port" shop.example)" "$serial2" "the old certificate is still served"
expect_not_contains "$(cat serve-a.log)" "$(sed -n 2p pebble/key.pem)" "no key material logged"
stop_server "$pid"
expect_contains "$(tail -1 serve-a.log)" '"stopped"' "serve stops cleanly while retrying"

# --- server.production: the certificate is obtained before listening ------
# With the CA still down the start fails, naming why, instead of listening
# with nothing to serve.
le_config p0.toml "$(free_port)" "$(free_port)" "$WORK/certs-p0" prod.example "production = true"
run timeout 20 "$RC" --config p0.toml serve --migrate
expect_code 1 "under server.production a failed first order stops the start"
expect_contains "$ERR" "contacting https://localhost" "the start failure gives the reason"

start_pebble
port=$(free_port)
le_config p.toml "$port" "$HTTP_PORT" "$WORK/certs-p" prod.example "production = true"
start_server p.toml serve-p.log
# The HTTPS port opens only once the certificate is there: no dev certificate.
run served_cert "$port" prod.example
expect_contains "$(echo "$OUT" | openssl x509 -noout -issuer)" "Pebble" \
    "under server.production the first certificate is served from the first handshake"
stop_server "$SERVER_PID"

# --- SIGTERM in the middle of an order ------------------------------------
# Pebble validates http-01 at $HTTP_PORT; a listener there that never
# answers keeps the authorization pending while serve polls it.
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
' "$HTTP_PORT" >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_for_port "$HTTP_PORT" 10
port=$(free_port)
le_config s.toml "$port" "$(free_port)" "$WORK/certs-s" stall.example
start_server s.toml serve-s.log
challenge_published() { [ -n "$(ls certs-s/http-01 2>/dev/null)" ]; }
wait_until 20 challenge_published && pass || fail "the order reached its challenge"
started=$(date +%s%N)
kill -TERM "$SERVER_PID"
set +e
wait "$SERVER_PID"
code=$?
set -e
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
expect_eq "$code" 0 "SIGTERM mid-order exits 0"
[ "$elapsed_ms" -lt 3000 ] && pass || fail "SIGTERM mid-order stopped in ${elapsed_ms} ms"
[ ! -e certs-s/stall.example ] && pass || fail "no certificate folder from a cancelled order"
expect_eq "$(ls certs-s/http-01 | wc -l)" 0 "the challenge file is removed"
expect_eq "$(find certs-s -name '.*.tmp.*' | wc -l)" 0 "no temporary files left"
expect_not_contains "$(cat serve-s.log)" "obtaining a certificate failed" \
    "a cancelled order is not reported as a failure"
expect_contains "$(cat serve-s.log)" "order cancelled for shutdown" "the log says it was cancelled"

# The same under server.production, where the order runs before listening.
le_config ps.toml "$(free_port)" "$(free_port)" "$WORK/certs-ps" stall2.example "production = true"
"$RC" --config ps.toml serve --migrate 2>serve-ps.log &
ps_pid=$!
CLEANUP_PIDS+=("$ps_pid")
account_ready() { grep -q "ACME account ready" serve-ps.log; }
wait_until 20 account_ready && pass || fail "the production start placed its order"
sleep 0.5
started=$(date +%s%N)
kill -TERM "$ps_pid"
set +e
wait "$ps_pid"
code=$?
set -e
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
expect_eq "$code" 0 "SIGTERM during the production start's order exits 0"
[ "$elapsed_ms" -lt 3000 ] && pass || fail "the production start stopped in ${elapsed_ms} ms"
expect_contains "$(cat serve-ps.log)" "cancelling the order" "the log says the order was cancelled"
[ ! -e certs-ps/stall2.example ] && pass || fail "no certificate folder from the cancelled start"

finish
