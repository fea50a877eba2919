#!/usr/bin/env bash
# The Stripe client and webhook verifier against the fake Stripe server
# (tests/fake_stripe, Node.js) over HTTPS, and the official `stripe` npm
# package's webhook signatures against our verifier. The npm package is
# installed into the build folder once and reused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fake_stripe_lib.sh"
TESTS_BIN="${BUILD_DIR:?}/tests/rcommerce_tests"

prepare_fake_stripe

PORT="$(free_port)"
KEY="sk_test_fake_$(openssl rand -hex 8)"
PORT="$PORT" API_KEY="$KEY" TLS_CERT="$WORK/server.pem" TLS_KEY="$WORK/server.key" \
    node "$NODE_DIR/server.js" >"$WORK/fake.log" 2>&1 &
CLEANUP_PIDS+=($!)
wait_for_port "$PORT" || { cat "$WORK/fake.log" >&2; fail "fake stripe did not start"; finish; }

# A signature made by the official library for a pretty-printed event.
cat >"$WORK/event.json" <<'JSON'
{
  "id": "evt_official_1",
  "object": "event",
  "type": "payment_intent.succeeded",
  "data": {
    "object": { "id": "pi_official", "object": "payment_intent", "amount": 1000,
                "amount_received": 1000, "currency": "jpy", "status": "succeeded",
                "metadata": { "order_id": "ord_official" } }
  }
}
JSON
SECRET="whsec_$(openssl rand -hex 16)"
TS="$(date +%s)"
HEADER="$(node "$NODE_DIR/sign.js" "$SECRET" "$TS" "$WORK/event.json")"
expect_contains "$HEADER" "t=$TS,v1=" "the official library produced a header"

run env RCOMMERCE_FAKE_STRIPE_URL="https://127.0.0.1:$PORT" RCOMMERCE_FAKE_STRIPE_KEY="$KEY" \
    RCOMMERCE_FAKE_STRIPE_CA="$WORK/ca.pem" RCOMMERCE_SIGNED_BODY_FILE="$WORK/event.json" \
    RCOMMERCE_SIGNED_HEADER="$HEADER" RCOMMERCE_SIGNED_SECRET="$SECRET" \
    RCOMMERCE_SIGNED_TIMESTAMP="$TS" \
    "$TESTS_BIN" --no-intro=true -tc='official signatures*,fake stripe*'
expect_code 0 "driver against the fake server"
if grep -Eq 'test cases: +8 \| +8 passed' <<<"$OUT"; then pass; else
    fail "not every fake-server case ran:"$'\n'"$OUT"
fi
expect_not_contains "$(cat "$WORK/fake.log")" "fake server bug" "the fake server never crashed"

# The secret key never shows up in anything the driver printed.
expect_not_contains "$OUT$ERR" "$KEY" "secret key not printed"
finish
