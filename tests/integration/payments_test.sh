#!/usr/bin/env bash
# Card payments end to end: `rcommerce serve` paying orders through the fake
# Stripe (tests/fake_stripe, HTTPS with its own CA given as
# [payment.stripe] ca_file) and receiving its signed webhooks; the driver is
# payments_client.py. Secrets reach serve through environment variables and
# must never appear in its log.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fake_stripe_lib.sh"
source "$(dirname "$0")/serve_lib.sh"
cd "$WORK"

prepare_fake_stripe

PORT=$(free_port)
HTTP_PORT=$(free_port)
FAKE_PORT=$(free_port)
API_KEY="sk_test_pay_$(openssl rand -hex 12)"
WEBHOOK_SECRET="whsec_$(openssl rand -hex 16)"

write_config rc.toml "$PORT" "$HTTP_PORT" "[payment.stripe]
enabled = true
base_url = \"https://127.0.0.1:$FAKE_PORT\"
ca_file = \"$WORK/ca.pem\"
[tls]
cert_file = \"$WORK/server.pem\"
key_file = \"$WORK/server.key\""
export RCOMMERCE_CONFIG="$WORK/rc.toml"
export RCOMMERCE_PAYMENT_STRIPE_API_KEY="$API_KEY"
export RCOMMERCE_PAYMENT_STRIPE_WEBHOOK_SECRET="$WEBHOOK_SECRET"
# The expired-authorization case waits for the expiry job.
export RCOMMERCE_INVENTORY_EXPIRY_INTERVAL_SECONDS=1

run "$RC" db migrate
expect_code 0 "db migrate"
run "$RC" apikey create --name admin --scopes read,write,admin
ADMIN="$OUT"
start_server rc.toml serve.log || finish
# serve and the fake share one certificate from the test CA, so both trust it.
SERVE_CA="$WORK/ca.pem"

WEBHOOK_URL="https://localhost:$PORT/api/v1/webhooks/stripe"
PORT="$FAKE_PORT" API_KEY="$API_KEY" TLS_CERT="$WORK/server.pem" TLS_KEY="$WORK/server.key" \
    WEBHOOK_URL="$WEBHOOK_URL" \
    WEBHOOK_SECRET="$WEBHOOK_SECRET" WEBHOOK_CA="$SERVE_CA" \
    node "$NODE_DIR/server.js" >"$WORK/fake.log" 2>&1 &
CLEANUP_PIDS+=($!)
wait_for_port "$FAKE_PORT" || { cat "$WORK/fake.log" >&2; fail "fake stripe did not start"; finish; }

RC_ADMIN="$ADMIN" RC_SERVE_LOG="$WORK/serve.log" run python3 "$(dirname "$0")/payments_client.py" "$PORT" "$SERVE_CA" \
    "$WORK/rc.db" "https://127.0.0.1:$FAKE_PORT" "$WORK/ca.pem" "$NODE_DIR/sign.js" \
    "$WEBHOOK_SECRET"
expect_code 0 "payments_client.py situations"
echo "$OUT"
[ "$CODE" -ne 0 ] && echo "$ERR" >&2

stop_server "$SERVER_PID"
expect_not_contains "$(cat serve.log)" "$API_KEY" "the API key is not in serve's log"
expect_not_contains "$(cat serve.log)" "$WEBHOOK_SECRET" "the webhook secret is not in serve's log"
expect_not_contains "$(cat "$WORK/fake.log")" "fake server bug" "the fake server never crashed"
finish
