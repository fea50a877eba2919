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
HTTP_PORT=$(free_port)
write_config rc.toml "$PORT" "$HTTP_PORT" "[tls]
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

# --- every command of docs/security.md's Verification section -----------------
# The commands are read from the doc and run as written (on this test's
# ports), so the doc cannot drift from what works: a command added there
# without a check here fails this test. testssl.sh gets two test-only flags:
# --add-ca for this test's CA and --jsonfile for its findings.
DOC="$(dirname "$0")/../../docs/security.md"
sed -n '/^## Verification/,/^## Troubleshooting/p' "$DOC" | sed -n '/^```sh$/,/^```$/p' |
    sed '1d;$d' | grep -v '^#' | sed -E 's/[[:space:]]+#.*$//' >doc_commands.txt
expect_eq "$(wc -l <doc_commands.txt)" 8 "docs/security.md's Verification block holds 8 commands"
testssl_findings() {
    python3 - "$WORK/testssl.json" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1])):
    print(f"{f['id']}|{f['severity']}|{f['finding']}")
PY
}
while IFS= read -r -u 3 line; do
    cmd=${line//localhost:8443/localhost:$PORT}
    cmd=${cmd//localhost:8080/localhost:$HTTP_PORT}
    case "$line" in
    *"-tls1_2"*)
        run bash -c "$cmd"
        expect_code 1 "doc: s_client -tls1_2 is refused"
        expect_contains "$OUT$ERR" "alert protocol version" "doc: TLS 1.2 gets a protocol-version alert"
        ;;
    *"-tls1_3"*)
        run bash -c "$cmd"
        expect_code 0 "doc: s_client -tls1_3"
        expect_contains "$OUT" "TLSv1.3" "doc: TLS 1.3 negotiated"
        ;;
    *"-status"*)
        run bash -c "$cmd"
        expect_code 0 "doc: s_client -status"
        expect_contains "$OUT" "OCSP Response Status: successful" "doc: the staple is shown"
        ;;
    "curl -k -I "*)
        run bash -c "$cmd"
        expect_code 0 "doc: curl -k -I"
        expect_contains "$OUT" "HTTP/1.1 200" "doc: HEAD /healthz is 200"
        for header in strict-transport-security content-security-policy x-frame-options \
            x-content-type-options referrer-policy permissions-policy cross-origin-opener-policy \
            cross-origin-resource-policy cache-control; do
            expect_contains "${OUT,,}" "$header:" "doc: HEAD /healthz carries $header"
        done
        ;;
    "curl -I -H"*)
        run bash -c "$cmd"
        expect_code 0 "doc: curl -I on the HTTP port"
        expect_contains "$OUT" "HTTP/1.1 308" "doc: the HTTP port redirects with 308"
        expect_contains "$OUT" "Location: https://localhost:$PORT/a?b=1" "doc: to the same path and query"
        ;;
    testssl*)
        # testssl.sh wants the URI last.
        run timeout 200 bash -c \
            "${cmd% *} --add-ca '$WORK/ca/ca.pem' --jsonfile '$WORK/testssl.json' ${cmd##* }"
        [ -s testssl.json ] && pass || fail "doc: testssl.sh wrote no report: $OUT $ERR"
        FINDINGS=$(testssl_findings)
        echo "$FINDINGS" >findings.txt
        expect_contains "$FINDINGS" "TLS1_3|OK|offered" "testssl: TLS 1.3 offered"
        for old in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_2; do
            expect_contains "$FINDINGS" "$old|" "testssl checked $old"
            expect_not_contains "$(grep "^$old|" findings.txt)" "|offered" "testssl: $old not offered"
        done
        BAD=$(grep -E '\|(HIGH|CRITICAL)\|' findings.txt || true)
        expect_eq "$BAD" "" "testssl's full scan reports nothing HIGH or CRITICAL"
        expect_contains "$FINDINGS" "HSTS_time|OK|" "testssl: HSTS max-age is sound"
        expect_contains "$FINDINGS" "OCSP_stapling|OK|" "testssl: the OCSP staple is seen"
        ;;
    sslscan*)
        run bash -c "sslscan --no-colour ${cmd#sslscan }"
        expect_code 0 "doc: sslscan"
        expect_contains "$OUT" "TLSv1.3   enabled" "sslscan: TLS 1.3 enabled"
        expect_contains "$OUT" "TLSv1.2   disabled" "sslscan: TLS 1.2 disabled"
        expect_not_contains "$OUT" "TLSv1.0   enabled" "sslscan: TLS 1.0 disabled"
        ;;
    *promtool*)
        run bash -c "set -o pipefail; $cmd"
        expect_code 0 "doc: promtool accepts /metrics: $OUT $ERR"
        ;;
    *)
        fail "docs/security.md's Verification has a command this test does not run: $line"
        ;;
    esac
done 3<doc_commands.txt

# --- the responder down: serve on without a staple -----------------------------
stop_server "$SERVER_PID"
kill "$OCSP_PID" && wait "$OCSP_PID" 2>/dev/null || true
PORT=$(free_port)
sed -i -e "s/^port = .*/port = $PORT/" -e "s/^http_port = .*/http_port = 0/" rc.toml
start_server rc.toml serve-down.log
sleep 1
run openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -status </dev/null
expect_code 0 "the handshake works with the responder down"
expect_contains "$OUT" "OCSP response: no response sent" "no staple when the responder is down"
expect_contains "$(cat serve-down.log)" "OCSP refresh failed" "the failed refresh is logged"
stop_server "$SERVER_PID"

finish
