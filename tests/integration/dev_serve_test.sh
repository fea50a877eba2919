#!/usr/bin/env bash
# The README's first command, `./dev serve`, as a newcomer runs it: it
# installs what is missing, builds, writes a development configuration,
# migrates the SQLite database and serves HTTPS with a development
# certificate. The test moves var/ to its own folder and the ports to free
# ones (the only differences from the README), then checks the headers with
# `curl -k -I` and runs the README's curl session against it.
source "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$WORK"

PORT=$(free_port)
HTTP_PORT=$(free_port)
DEV_DIR="$WORK/var"
RCOMMERCE_DEV_DIR="$DEV_DIR" RCOMMERCE_SERVER_PORT="$PORT" RCOMMERCE_SERVER_HTTP_PORT="$HTTP_PORT" \
    "$ROOT/dev" serve >dev.log 2>&1 &
CLEANUP_PIDS+=($!)
DEV_PID=$!
# Building from scratch can take minutes; a refusal to start ends the wait.
for ((i = 0; i < 6000; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$DEV_PID" 2>/dev/null || break
    sleep 0.1
done
if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    fail "./dev serve did not start listening:"
    cat dev.log >&2
    finish
fi

expect_eq "$(kill -0 "$DEV_PID" 2>/dev/null && echo running)" "running" "./dev serve keeps serving"
run "$RC" --config "$DEV_DIR/rcommerce.toml" config check
expect_code 0 "the configuration ./dev serve writes is valid"
[ -s "$DEV_DIR/dev-cert.pem" ] && pass || fail "a development certificate in var/dev-cert.pem"
expect_contains "$(cat dev.log)" "self-signed" "the log says a development certificate was made"

run curl -k -sS -I "https://localhost:$PORT/healthz"
expect_code 0 "curl -k -I"
for header in "HTTP/1.1 200" "Strict-Transport-Security: max-age=63072000; includeSubDomains" \
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'" \
    "X-Frame-Options: DENY" "X-Content-Type-Options: nosniff" \
    "Referrer-Policy: strict-origin-when-cross-origin" "Cross-Origin-Opener-Policy: same-origin"; do
    expect_contains "$OUT" "$header" "curl -k -I shows $header"
done
expect_not_contains "$OUT" "Server:" "no Server banner"

run curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: localhost" \
    "http://127.0.0.1:$HTTP_PORT/api/v1/products?limit=1"
expect_eq "$OUT" "308 https://localhost:$PORT/api/v1/products?limit=1" \
    "http:// redirects to https://localhost"

# The README's curl session against the development server.
run "$RC" --config "$DEV_DIR/rcommerce.toml" apikey create --name demo --scopes read,write,admin
expect_code 0 "apikey create on the development database"
KEY="$OUT"
sed -n '/<!-- curl-session -->/,/<!-- \/curl-session -->/p' "$ROOT/README.md" |
    sed -n '/^```bash$/,/^```$/p' | sed '1d;$d' >session.sh
KEY="$KEY" URL="https://localhost:$PORT" CA="$DEV_DIR/dev-cert.pem" \
    run bash -euo pipefail session.sh
expect_code 0 "the README curl session runs against ./dev serve"
expect_contains "$OUT" '"on_hand":23' "the README's stock figure"

kill -TERM "$DEV_PID"
wait "$DEV_PID" 2>/dev/null && STATUS=0 || STATUS=$?
expect_eq "$STATUS" 0 "./dev serve stops cleanly on SIGTERM"
finish
