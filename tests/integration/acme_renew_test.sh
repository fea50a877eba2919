#!/usr/bin/env bash
# Renewal and CA quirks against Pebble: short-lived certificates renewed once
# and only once, a failing renewal that names its domain and skips the deploy
# hook, 60% of nonces rejected, External Account Binding, alternate chains.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/acme_pebble.sh"
cd "$WORK"
umask 022

# --- a CA issuing 12-second certificates --------------------------------
start_pebble ', "certificateValidityPeriod": 12'
export RCOMMERCE_TLS_LETS_ENCRYPT_CACHE_DIR="$WORK/certs"
COMMON=(--directory "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --email ops@example.com)
DEPLOY=(--deploy-hook "echo \"\$RCOMMERCE_RENEWED_DOMAINS\" >>'$WORK/deployed.log'")

run "$RC" cert issue "${COMMON[@]}" --domain short.example --http-port "$HTTP_PORT"
expect_code 0 "issue a 12-second certificate"
serial1=$(openssl x509 -in certs/short.example/cert.pem -noout -serial)

run "$RC" cert renew "${DEPLOY[@]}"
expect_code 0 "renew right after issuance"
expect_contains "$OUT" "not due  short.example" "a fresh short certificate is not due"
[ ! -e deployed.log ] && pass || fail "no deploy hook when nothing renewed"

# Due once less than a third of the lifetime is left (8 s after issuance).
not_after=$(date -d "$(openssl x509 -in certs/short.example/cert.pem -noout -enddate |
    cut -d= -f2)" +%s)
sleep $((not_after - 4 + 1 - $(date +%s)))
run "$RC" cert renew "${DEPLOY[@]}"
expect_code 0 "renew once due"
expect_contains "$OUT" "renewed  short.example" "the due certificate is renewed"
expect_eq "$(cat deployed.log)" "short.example" "the deploy hook got the renewed names"
serial2=$(openssl x509 -in certs/short.example/cert.pem -noout -serial)
[ "$serial1" != "$serial2" ] && pass || fail "renewal replaced the certificate"
run openssl verify -CAfile "$PEBBLE_ROOT" -untrusted certs/short.example/chain.pem \
    certs/short.example/cert.pem
expect_code 0 "the renewed chain verifies"

run "$RC" cert renew "${DEPLOY[@]}"
expect_code 0 "second renew run"
expect_contains "$OUT" "not due  short.example" "a second run renews nothing"
expect_eq "$(wc -l <deployed.log)" 1 "the deploy hook ran once"

# A renewal whose challenge nobody answers: exit 1, names, no deploy hook.
# Pebble 2.4 reuses a valid authorization 1% of the time even with
# PEBBLE_AUTHZREUSE=0 (its test is `rand.Intn(100) > percent`), which made
# this renewal succeed now and then. A new account owns no authorizations,
# so the challenge must really be answered.
mv certs/accounts "$WORK/accounts.kept"
run "$RC" cert renew --force --http-port "$(free_port)" "${DEPLOY[@]}"
expect_code 1 "failed renewal exits 1"
expect_contains "$ERR" "short.example" "the failure names the certificate"
expect_contains "$ERR" "connection" "the failure gives the CA's reason"
expect_eq "$(wc -l <deployed.log)" 1 "no deploy hook after a failed renewal"
expect_eq "$(openssl x509 -in certs/short.example/cert.pem -noout -serial)" "$serial2" \
    "the old certificate stays after a failed renewal"

# A relative --ca-file is stored absolute: a timer renews from another folder.
mkdir -p rel && cp "$PEBBLE_CA" rel/ca.pem
pushd rel >/dev/null
run "$RC" cert issue --directory "$PEBBLE_DIR" --ca-file ca.pem --email ops@example.com \
    --domain rel.example --http-port "$HTTP_PORT"
popd >/dev/null
expect_code 0 "issue with a relative --ca-file"
expect_eq "$(jq -r .ca_file certs/rel.example/meta.json)" "$WORK/rel/ca.pem" \
    "the CA file is stored as an absolute path"
pushd / >/dev/null
run "$RC" cert renew --force
popd >/dev/null
expect_code 0 "renewal from / finds the CA file"
expect_contains "$OUT" "renewed  rel.example" "the relative-CA certificate is renewed"

# A folder whose metadata is garbage is named, with the reason.
mkdir certs/garbage.example
cp certs/rel.example/cert.pem certs/rel.example/privkey.pem certs/garbage.example/
echo '{not json' >certs/garbage.example/meta.json
run "$RC" cert renew
expect_code 1 "a broken certificate folder fails the run"
expect_contains "$OUT" "FAILED   garbage.example" "the broken folder is named"
expect_contains "$ERR" "meta.json: not valid metadata" "the reason is given"
expect_contains "$OUT" "  rel.example" "the other certificates are still checked"
rm -r certs/garbage.example
for pid in "${CLEANUP_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
CLEANUP_PIDS=()

# --- 60% of nonces rejected, EAB required, an alternate root ------------
EAB_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
export PEBBLE_WFE_NONCEREJECT=60 PEBBLE_ALTERNATE_ROOTS=1
start_pebble ', "externalAccountBindingRequired": true,
  "externalAccountMACKeys": {"kid-1": "'$EAB_KEY'"}'
unset PEBBLE_WFE_NONCEREJECT PEBBLE_ALTERNATE_ROOTS
export RCOMMERCE_TLS_LETS_ENCRYPT_CACHE_DIR="$WORK/certs2"
COMMON=(--directory "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --email ops@example.com)

run "$RC" cert issue "${COMMON[@]}" --domain eab.example --http-port "$HTTP_PORT"
expect_code 2 "EAB required but not given"
expect_contains "$ERR" "External Account Binding" "the error says EAB is required"
expect_contains "$ERR" "RCOMMERCE_TLS_LETS_ENCRYPT_EAB_HMAC_KEY" "the hint names a real way to pass the key"
expect_not_contains "$ERR" "--eab-hmac-key" "the hint names no option that does not exist"

alt_root="$WORK/alt-root.pem"
curl -sf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT/roots/1" >"$alt_root"
alt_cn=$(openssl x509 -in "$alt_root" -noout -subject -nameopt multiline |
    sed -n 's/^ *commonName *= //p')
RCOMMERCE_TLS_LETS_ENCRYPT_EAB_HMAC_KEY=$EAB_KEY run "$RC" --log-level debug cert issue \
    "${COMMON[@]}" --domain nonce.example --domain nonce2.example --http-port "$HTTP_PORT" \
    --eab-kid kid-1 --preferred-chain "$alt_cn"
expect_code 0 "issuance with 60% of nonces rejected, EAB and a preferred chain"
expect_contains "$ERR" "badNonce" "nonces were rejected and retried"
run openssl verify -CAfile "$alt_root" -untrusted certs2/nonce.example/chain.pem \
    certs2/nonce.example/cert.pem
expect_code 0 "the preferred (alternate) chain was stored"

finish
