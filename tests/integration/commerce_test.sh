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
finish
