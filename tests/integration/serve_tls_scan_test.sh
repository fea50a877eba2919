#!/usr/bin/env bash
# The listener against outside tools: OCSP stapling with a test CA whose
# responder is `openssl ocsp` (and serving on when it is down), then
# testssl.sh and sslscan on the defaults: TLS 1.3 only, nothing rated HIGH or
# CRITICAL.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
cd "$WORK"

OCSP_PORT=$(free_port)
make_ca ca
issue ca localhost leaf "DNS:localhost" "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$OCSP_PORT"

# The responder's database: one valid certificate (openssl ca's index format).
SERIAL=$(openssl x509 -in leaf.leaf.pem -noout -serial | cut -d= -f2)
END=$(date -u -d "$(openssl x509 -in leaf.leaf.pem -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t%s\tunknown\t/CN=localhost\n' "$END" "$SERIAL" >index.txt
openssl ocsp -index index.txt -port "$OCSP_PORT" -rsigner ca/ca.pem -rkey ca/ca.key \
    -CA ca/ca.pem -ndays 1 >ocsp.log 2>&1 &
OCSP_PID=$!
CLEANUP_PIDS+=("$OCSP_PID")
# Probe with a real query: the responder serves one connection at a time and
# a bare TCP probe can leave it waiting on a request that never comes.
for _ in $(seq 1 50); do
    openssl ocsp -issuer ca/ca.pem -cert leaf.leaf.pem -url "http://127.0.0.1:$OCSP_PORT" \
        -CAfile ca/ca.pem -timeout 2 >probe.txt 2>&1 && break
    sleep 0.1
done
expect_contains "$(cat probe.txt)" "good" "the test OCSP responder answers"

PORT=$(free_port)
write_config rc.toml "$PORT" 0 "[tls]
cert_file = \"$WORK/leaf.pem\"
key_file = \"$WORK/leaf.key\"
ocsp_stapling = true"
start_server rc.toml serve.log
STAPLE=""
for _ in $(seq 1 50); do
    STAPLE=$(openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -status \
        </dev/null 2>/dev/null | sed -n '/OCSP response:/,/---/p')
    [[ "$STAPLE" == *"Cert Status: good"* ]] && break
    sleep 0.2
done
expect_contains "$STAPLE" "OCSP Response Status: successful" "an OCSP response is stapled"
expect_contains "$STAPLE" "Cert Status: good" "the staple says good"
expect_contains "$(cat serve.log)" "stapling a fresh OCSP response" "stapling is logged"

# --- testssl.sh and sslscan against the defaults -----------------------------
# -p protocols and -h headers keep the scan near 50 s on loopback; -S (the
# certificate and stapling report) alone takes longer than that, and the
# staple is checked with s_client above.
run timeout 100 testssl --quiet --warnings off --openssl /usr/bin/openssl --color 0 \
    --add-ca "$WORK/ca/ca.pem" --ip 127.0.0.1 --nodns min -p -h \
    --jsonfile "$WORK/testssl.json" "https://localhost:$PORT"
[ -s testssl.json ] && pass || fail "testssl.sh wrote no report: $OUT $ERR"
FINDINGS=$(python3 - "$WORK/testssl.json" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1])):
    print(f"{f['id']}|{f['severity']}|{f['finding']}")
PY
)
echo "$FINDINGS" >findings.txt
expect_contains "$FINDINGS" "TLS1_3|OK|offered" "testssl: TLS 1.3 offered"
for old in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_2; do
    expect_contains "$FINDINGS" "$old|" "testssl checked $old"
    expect_not_contains "$(grep "^$old|" findings.txt)" "|offered" "testssl: $old not offered"
done
BAD=$(grep -E '\|(HIGH|CRITICAL)\|' findings.txt || true)
expect_eq "$BAD" "" "testssl reports nothing HIGH or CRITICAL"
expect_contains "$FINDINGS" "HSTS_time|OK|" "testssl: HSTS max-age is sound"

run sslscan --no-colour --no-heartbleed "127.0.0.1:$PORT"
expect_code 0 "sslscan"
expect_contains "$OUT" "TLSv1.3   enabled" "sslscan: TLS 1.3 enabled"
expect_contains "$OUT" "TLSv1.2   disabled" "sslscan: TLS 1.2 disabled"
expect_not_contains "$OUT" "TLSv1.0   enabled" "sslscan: TLS 1.0 disabled"

# --- the responder down: serve on without a staple -----------------------------
stop_server "$SERVER_PID"
kill "$OCSP_PID" && wait "$OCSP_PID" 2>/dev/null || true
PORT=$(free_port)
sed -i "s/^port = .*/port = $PORT/" rc.toml
start_server rc.toml serve-down.log
sleep 1
run openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -status </dev/null
expect_code 0 "the handshake works with the responder down"
expect_contains "$OUT" "OCSP response: no response sent" "no staple when the responder is down"
expect_contains "$(cat serve-down.log)" "OCSP refresh failed" "the failed refresh is logged"
stop_server "$SERVER_PID"

finish
