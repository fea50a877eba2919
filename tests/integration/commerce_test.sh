#!/usr/bin/env bash
# The commerce API against the real `rcommerce serve` over HTTPS on a fresh
# SQLite database: API keys from the CLI, then every situation of
# commerce_client.py (auth, validation, pagination, 413, the concurrency
# rules, the commerce cases, idempotency, the order lifecycle, alerts), then
# the README's curl session exactly as written there.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
cd "$WORK"

PORT=$(free_port)
HTTP_PORT=$(free_port)
SERVER_EXTRA='max_body_bytes = 65536' write_config rc.toml "$PORT" "$HTTP_PORT"
export RCOMMERCE_CONFIG="$WORK/rc.toml"

run "$RC" db migrate
expect_code 0 "db migrate"

# --- API keys from the command line --------------------------------------------
run "$RC" apikey create --name admin --scopes read,write,admin
expect_code 0 "apikey create"
ADMIN="$OUT"
[[ "$ADMIN" =~ ^rk_live_[A-Za-z0-9]+_[A-Za-z0-9]+$ ]] && pass || fail "live key shape: $ADMIN"
expect_contains "$ERR" "not shown again" "the key is shown once"
run "$RC" apikey create --name writer --scopes read,write --test
WRITER="$OUT"
[[ "$WRITER" == rk_test_* ]] && pass || fail "--test makes an rk_test_ key: $WRITER"
run "$RC" apikey create --name reader --scopes read
READER="$OUT"
run "$RC" apikey create --name bad --scopes read,root
expect_code 2 "an unknown scope is a usage error"
expect_contains "$ERR" "root" "the unknown scope is named"
run "$RC" apikey create --name doomed --scopes read
DOOMED="$OUT"
run "$RC" apikey list
expect_code 0 "apikey list"
expect_contains "$OUT" "reader" "list shows names"
expect_not_contains "$OUT" "${ADMIN##*_}" "list never shows a secret"
! grep -qa "$ADMIN" rc.db rc.db-wal 2>/dev/null && pass || fail "the whole key is in the database"
run "$RC" apikey list --format json
expect_code 0 "apikey list --format json"
expect_eq "$(jq -r '[.[] | select(.name == "writer") | .scopes | join(",")] | first' <<<"$OUT")" \
    "read,write" "JSON lists each key's scopes"
expect_eq "$(jq -r '[.[] | .revoked_at] | unique | tostring' <<<"$OUT")" "[null]" \
    "no key revoked yet"
expect_not_contains "$OUT" "${ADMIN##*_}" "JSON never shows a secret"
DOOMED_PREFIX="${DOOMED%_*}"
run "$RC" apikey revoke "$DOOMED_PREFIX"
expect_code 0 "apikey revoke"
expect_contains "$OUT" "refuses it within 5 s" "revoke says how soon a running serve notices"
run "$RC" apikey revoke "$DOOMED_PREFIX"
expect_code 0 "revoking a revoked key is harmless"
expect_contains "$OUT" "was already revoked" "a second revoke says nothing changed"
run "$RC" apikey revoke no_such_key
expect_code 1 "revoking an unknown key"
run "$RC" apikey create --name typo --scopes 'read,,write'
expect_code 2 "an empty scope item is refused"
expect_contains "$ERR" 'an empty scope in "read,,write"' "the empty item is named"
run "$RC" apikey create --name ""
expect_code 2 "an empty name is refused"
expect_eq "$(grep -c 'must be 1 to 200' <<<"$ERR")" 1 "the field error is printed once"

start_server rc.toml serve.log
CA="$WORK/data/dev-cert.pem"
URL="https://localhost:$PORT"

run curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $DOOMED" \
    "$URL/api/v1/products"
expect_eq "$OUT" "401" "a revoked key is refused"

# --- every situation ------------------------------------------------------------
RC_ADMIN="$ADMIN" RC_WRITER="$WRITER" RC_READER="$READER" \
    run python3 "$(dirname "$0")/commerce_client.py" "$PORT" "$CA" "$WORK/rc.db"
expect_code 0 "commerce_client.py situations"
echo "$OUT"
[ "$CODE" -ne 0 ] && echo "$ERR" >&2

# --- the README's curl session, run as written --------------------------------
# The README block is bash between the "<!-- curl-session -->" markers; it
# uses $KEY, $URL and --cacert "$CA".
sed -n '/<!-- curl-session -->/,/<!-- \/curl-session -->/p' \
    "$(dirname "$0")/../../README.md" | sed -n '/^```bash$/,/^```$/p' | sed '1d;$d' >session.sh
[ -s session.sh ] && pass || fail "README has no curl session"
KEY="$ADMIN" URL="$URL" CA="$CA" SKU="README-TEE" run bash -euo pipefail session.sh
expect_code 0 "the README curl session runs"
expect_contains "$OUT" '"state":"fulfilled"' "the README session ends with a fulfilled order"

# The server survived all of it and logged no internal error.
expect_not_contains "$(cat serve.log)" "unexpected failure" "no handler failed unexpectedly"
stop_server "$SERVER_PID"

# --- a request cut off by kill -9 ----------------------------------------------
# A card payment waits on a "Stripe" that accepts and never answers, holding
# its Idempotency-Key; serve is killed. After the restart the same request
# is told its first attempt was interrupted, not that it is still running.
SILENT_PORT=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
held = [s.accept() for _ in range(8)]; time.sleep(600)' "$SILENT_PORT" &
CLEANUP_PIDS+=($!)
wait_for_port "$SILENT_PORT"
cat >>rc.toml <<TOML
[payment.stripe]
enabled = true
api_key = "sk_test_silent"
webhook_secret = "whsec_silent"
base_url = "https://127.0.0.1:$SILENT_PORT"
max_retries = 0
TOML
start_server rc.toml serve2.log
JSON='Content-Type: application/json'
ORDER_ID=$(curl -sS --cacert "$CA" -H "Authorization: Bearer $ADMIN" -H "$JSON" \
    -d '{"currency": "EUR", "lines": [{"sku": "TEE-BLACK-M", "quantity": 1}]}' \
    "$URL/api/v1/orders" | jq .id)
pay() {
    curl -sS --cacert "$CA" -H "Authorization: Bearer $ADMIN" -H "Idempotency-Key: cut-off" \
        -H "$JSON" -d '{"gateway": "stripe", "payment_method": "pm_card_visa"}' \
        "$URL/api/v1/orders/$ORDER_ID/payments" "$@"
}
pay -o /dev/null 2>/dev/null &
for _ in $(seq 50); do
    [ "$(sqlite3 rc.db "SELECT count(*) FROM idempotency_keys WHERE key = 'cut-off'")" = 1 ] && break
    sleep 0.1
done
run pay
expect_contains "$OUT" '"code":"idempotency_key_in_use"' "while the first runs, the key is in use"
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
RCOMMERCE_DATABASE_BUSY_TIMEOUT_MS=300 start_server rc.toml serve3.log
run pay
expect_contains "$OUT" '"code":"idempotency_key_interrupted"' \
    "after kill -9 and a restart, the key's first request is reported interrupted"
expect_contains "$OUT" "new Idempotency-Key" "the hint says how to go on"

# --- a webhook while the store is locked: 503 (Stripe retries), logged ---------
EVENT='{"id": "evt_busy", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}'
deliver() {
    local t sig
    t=$(date +%s)
    sig=$(printf '%s.%s' "$t" "$EVENT" | openssl dgst -sha256 -hmac whsec_silent | sed 's/^.* //')
    curl -sS --cacert "$CA" -H "Stripe-Signature: t=$t,v1=$sig" -H "$JSON" \
        --data-binary "$EVENT" -w '\n%{http_code}' "$URL/api/v1/webhooks/stripe"
}
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close(); time.sleep(3); c.execute("ROLLBACK")' rc.db locked &
LOCKER=$!
for _ in $(seq 50); do [ -e locked ] && break; sleep 0.1; done
run deliver
expect_contains "$OUT" '"code":"database_busy"' "a webhook on a locked store is database_busy"
expect_eq "$(tail -1 <<<"$OUT")" "503" "and 503, so Stripe delivers it again"
wait "$LOCKER"
run deliver
expect_eq "$(tail -1 <<<"$OUT")" "200" "delivered again, it is recorded"
stop_server "$SERVER_PID"
finish
