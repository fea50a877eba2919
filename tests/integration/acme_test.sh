#!/usr/bin/env bash
# `rcommerce cert` end to end against Pebble, the ACME test CA, on loopback:
# http-01 (standalone and webroot), dns-01 wildcards through a hook, IDNs,
# failures, nonce rejection, EAB, alternate chains, renewal of short-lived
# certificates, locks, key permissions and revocation.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/acme_pebble.sh"
cd "$WORK"
umask 022

start_pebble
export RCOMMERCE_TLS_LETS_ENCRYPT_CACHE_DIR="$WORK/certs"
COMMON=(--directory "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --email ops@example.com)

# verify_cert FOLDER NAME...: the chain verifies to Pebble's root and the
# leaf carries every NAME.
verify_cert() {
    local folder=$1 label=$1
    shift
    run openssl verify -CAfile "$PEBBLE_ROOT" -untrusted "$folder/chain.pem" "$folder/cert.pem"
    expect_code 0 "$label chains to Pebble's root"
    local sans
    sans=$(openssl x509 -in "$folder/cert.pem" -noout -ext subjectAltName 2>&1)
    for name in "$@"; do
        expect_contains "$sans" "DNS:$name" "$label leaf names $name"
    done
    run openssl x509 -in "$folder/fullchain.pem" -noout
    expect_code 0 "$label fullchain starts with the leaf"
}

# --- http-01, standalone listener, one name; key 0600 under umask 022 ----
run "$RC" cert issue "${COMMON[@]}" --domain single.example --http-port "$HTTP_PORT"
expect_code 0 "standalone issue"
expect_contains "$OUT" "certs/single.example/fullchain.pem" "issue prints the certificate path"
verify_cert certs/single.example single.example
expect_eq "$(stat -c %a certs/single.example/privkey.pem)" 600 "key is 0600 under umask 022"
expect_eq "$(find certs -name '.*.tmp.*' | wc -l)" 0 "no temporary files left"

# --- http-01, standalone, SAN (account reused from the store) -------------
accounts_before=$(ls certs/accounts | wc -l)
run "$RC" cert issue "${COMMON[@]}" --domain san1.example --domain san2.example \
    --http-port "$HTTP_PORT" --key-type rsa-2048
expect_code 0 "SAN issue"
verify_cert certs/san1.example san1.example san2.example
expect_eq "$(ls certs/accounts | wc -l)" "$accounts_before" "the stored account is reused"
run openssl x509 -in certs/san1.example/cert.pem -noout -text
expect_contains "$OUT" "rsaEncryption" "--key-type rsa-2048 gives an RSA key"

# --- a request for fewer names never silently replaces a SAN certificate ---
serial=$(openssl x509 -in certs/san1.example/cert.pem -noout -serial)
run "$RC" cert issue "${COMMON[@]}" --domain san1.example --http-port "$HTTP_PORT"
expect_code 2 "issuing san1 alone over san1+san2 is refused"
expect_contains "$ERR" "also names san2.example" "the refusal names the name it would drop"
expect_contains "$ERR" "--replace" "the refusal says how to go ahead"
expect_eq "$(openssl x509 -in certs/san1.example/cert.pem -noout -serial)" "$serial" \
    "the SAN certificate is kept"
run "$RC" cert issue "${COMMON[@]}" --domain san1.example --domain san2.example \
    --domain san3.example --http-port "$HTTP_PORT"
expect_code 0 "adding a name to the same CA's certificate needs no --replace"
verify_cert certs/san1.example san1.example san2.example san3.example
run "$RC" cert issue "${COMMON[@]}" --domain san1.example --domain san2.example \
    --http-port "$HTTP_PORT" --replace
expect_code 0 "--replace drops a name on purpose"
verify_cert certs/san1.example san1.example san2.example

# --- a broken account.json never costs the account key -----------------
# The key is the only way to revoke what the account ordered.
acct=$(ls -d certs/accounts/*)
key_sum=$(sha256sum <"$acct/key.pem")
echo '{broken' >"$acct/account.json"
run "$RC" cert issue "${COMMON[@]}" --domain single.example --http-port "$HTTP_PORT"
expect_code 0 "issue with a broken account.json"
expect_eq "$(sha256sum <"$acct/key.pem")" "$key_sum" "the account key is kept"
expect_contains "$(cat "$acct/account.json")" "my-account" "account.json is restored"

# --- http-01 through a webroot served by another web server -------------
mkdir -p webroot
# SO_REUSEADDR explicitly: the port has TIME_WAIT entries from the tests above.
python3 -c '
import functools, http.server, socketserver, sys
socketserver.TCPServer.allow_reuse_address = True
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
socketserver.TCPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
' "$HTTP_PORT" webroot >http-server.log 2>&1 &
CLEANUP_PIDS+=($!)
wait_for_port "$HTTP_PORT" 10
run "$RC" cert issue "${COMMON[@]}" --domain web1.example --domain web2.example \
    --webroot "$WORK/webroot"
expect_code 0 "webroot issue"
verify_cert certs/web1.example web1.example web2.example
expect_eq "$(ls webroot/.well-known/acme-challenge | wc -l)" 0 "webroot challenge files removed"
# Under umask 077 the folders made in the webroot must still be readable by
# a web server running as another user.
rm -r webroot/.well-known
umask 077
run "$RC" cert issue "${COMMON[@]}" --domain web1.example --domain web2.example \
    --webroot "$WORK/webroot"
umask 022
expect_code 0 "webroot issue under umask 077"
expect_eq "$(stat -c %a webroot/.well-known webroot/.well-known/acme-challenge | xargs)" \
    "755 755" "webroot folders are 0755 under umask 077"
expect_eq "$(stat -c %a certs/web1.example/privkey.pem)" 600 "key is 0600 under umask 077"

# --- http-01 through the challenge files a running `serve` answers from --
# The web server stands in for `serve`: it maps the well-known path onto
# <cache_dir>/http-01/, the contract `serve` implements.
rmdir webroot/.well-known/acme-challenge
mkdir -p certs/http-01
ln -s "$WORK/certs/http-01" webroot/.well-known/acme-challenge
run "$RC" cert issue "${COMMON[@]}" --domain viaserve.example --http-via-serve
expect_code 0 "issue through the shared challenge store"
verify_cert certs/viaserve.example viaserve.example
expect_eq "$(ls certs/http-01 | wc -l)" 0 "shared challenge files removed"
rm webroot/.well-known/acme-challenge
kill "${CLEANUP_PIDS[-1]}" && wait "${CLEANUP_PIDS[-1]}" 2>/dev/null || true

# --- dns-01 wildcard through a hook talking to pebble-challtestsrv ------
HOOK=$(write_dns_hook)
run "$RC" cert issue "${COMMON[@]}" --domain '*.wild.example' --domain wild.example \
    --challenge dns-01 --dns-hook "$HOOK"
expect_code 0 "wildcard issue with dns-01"
verify_cert certs/_wildcard_.wild.example '*.wild.example' wild.example
expect_contains "$(cat dns-hook.log)" "add _acme-challenge.wild.example" "hook adds the record"
expect_contains "$(cat dns-hook.log)" "remove _acme-challenge.wild.example" "hook removes it"

run "$RC" cert issue "${COMMON[@]}" --domain '*.other.example' --http-port "$HTTP_PORT"
expect_code 2 "a wildcard with http-01 is refused"
expect_contains "$ERR" "dns-01" "the refusal names dns-01"

# Options that contradict each other are refused before the CA is asked.
for conflict in "--webroot $WORK --http-via-serve" "--webroot $WORK --http-port 5" \
    "--http-via-serve --http-port 5" "--staging" "--challenge dns-01 --dns-hook $HOOK --webroot $WORK" \
    "--challenge http-01 --dns-hook $HOOK" "--dns-hook $HOOK --http-port 5"; do
    # shellcheck disable=SC2086 # the options are split on purpose
    run "$RC" cert issue "${COMMON[@]}" --domain conflict.example $conflict
    expect_code 2 "cert issue $conflict is a usage error"
done
run "$RC" cert renew --challenge dns-01 --http-port 5
expect_code 2 "cert renew --challenge dns-01 --http-port is a usage error"
expect_contains "$ERR" "contradict" "the error says the options contradict"
[ ! -e certs/conflict.example ] && pass || fail "no order for contradicting options"

# --- IDN: the A-label is what the CA sees; a wildcard IDN takes dns-01 --
run "$RC" cert issue "${COMMON[@]}" --domain 'bücher.example' --http-port "$HTTP_PORT"
expect_code 0 "IDN issue"
verify_cert certs/xn--bcher-kva.example xn--bcher-kva.example
grep -q 'xn--bcher-kva.example' "$WORK/pebble/pebble.log" && pass ||
    fail "Pebble's log shows the A-label"
run "$RC" cert issue "${COMMON[@]}" --domain '*.bücher.example' --challenge dns-01 \
    --dns-hook "$HOOK"
expect_code 0 "wildcard IDN issue with dns-01"
verify_cert certs/_wildcard_.xn--bcher-kva.example '*.xn--bcher-kva.example'

# --- a DNS hook that hangs is stopped at the hook timeout ---------------
printf '#!/bin/sh\nsleep 300\n' >hang-hook.sh && chmod +x hang-hook.sh
started=$(date +%s)
RCOMMERCE_TLS_LETS_ENCRYPT_HOOK_TIMEOUT_SECONDS=2 run "$RC" cert issue "${COMMON[@]}" \
    --domain hang.example --challenge dns-01 --dns-hook "$WORK/hang-hook.sh"
expect_code 1 "a hanging DNS hook fails the order"
expect_contains "$ERR" "did not finish within 2 s" "the error says the hook timed out"
[ $(($(date +%s) - started)) -lt 30 ] && pass || fail "the hook was stopped at its timeout"
[ ! -e certs/hang.example ] && pass || fail "no certificate folder after a hung hook"

# --- a challenge nobody answers: exit 1, domain and reason, no files ---
run "$RC" cert issue "${COMMON[@]}" --domain unreachable.example --http-port "$(free_port)"
expect_code 1 "unvalidatable challenge fails"
expect_contains "$ERR" "unreachable.example" "the failure names the domain"
expect_contains "$ERR" "connection" "the failure gives the CA's reason"
[ ! -e certs/unreachable.example ] && pass || fail "no partial certificate folder"

# --- locks: a held lock blocks, a garbage one does not -----------------
flock certs/locks/single.example.lock sleep 1.5 &
HOLDER=$!
sleep 0.3
run "$RC" cert issue "${COMMON[@]}" --domain single.example --http-port "$HTTP_PORT"
expect_code 1 "a held lock stops a second order"
expect_contains "$ERR" "another renewer" "the lock holder is reported"
wait "$HOLDER" || true
head -c 64 /dev/zero >certs/locks/single.example.lock
run "$RC" cert issue "${COMMON[@]}" --domain single.example --http-port "$HTTP_PORT"
expect_code 0 "a lock file of NUL bytes does not block"
printf 'garbage\xff' >certs/locks/single.example.lock
run "$RC" cert renew --force --http-port "$HTTP_PORT" --ca-file "$PEBBLE_CA"
expect_code 0 "forced renewal with a garbage lock file"
expect_contains "$OUT" "renewed  single.example" "forced renewal renews"

# --- list ---------------------------------------------------------------
run "$RC" cert list --format json
expect_code 0 "cert list --format json"
expect_eq "$(echo "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 7 \
    "seven certificates listed"
run "$RC" cert list
expect_contains "$OUT" "web1.example,web2.example" "table lists the names"

# --- revocation with the account key -----------------------------------
serial=$(openssl x509 -in certs/web1.example/cert.pem -noout -serial | cut -d= -f2)
rm "$acct/account.json" # revocation finds the account by its key
run "$RC" cert revoke --domain web1.example --reason superseded
expect_code 0 "revoke without account.json"
status=$(curl -sf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT/cert-status-by-serial/${serial,,}")
expect_contains "$status" '"Revoked"' "Pebble reports the certificate revoked"
run "$RC" cert list --format json
expect_contains "$OUT" '"revoked": true' "list shows the revocation"

# A key that does not fit its certificate is shown, not hidden.
cp certs/single.example/privkey.pem single-key.pem
cp certs/san1.example/privkey.pem certs/single.example/privkey.pem
run "$RC" cert list
expect_contains "$(grep '^single.example ' <<<"$OUT")" "broken" "list shows a mismatched key"
run "$RC" cert list --format json
expect_eq "$(jq -r '.[] | select(.names[0]=="single.example") | "\(.due) \(.key_matches)"' \
    <<<"$OUT")" "true false" "list JSON marks it due, key not matching"
: >certs/single.example/cert.pem
run "$RC" cert list
expect_contains "$(grep '^single.example ' <<<"$OUT")" "broken" "list shows an empty cert.pem"
cp single-key.pem certs/single.example/privkey.pem

# An unreadable account key is set aside, not overwritten.
echo garbage >"$acct/key.pem"
run "$RC" cert issue "${COMMON[@]}" --domain single.example --http-port "$HTTP_PORT"
expect_code 0 "issue with an unreadable account key"
expect_eq "$(cat "$acct"/key.pem.unreadable.*)" garbage "the unreadable key is kept aside"
expect_contains "$ERR" "unreadable" "the operator is told"

finish
