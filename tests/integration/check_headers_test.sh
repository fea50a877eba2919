#!/usr/bin/env bash
# check-headers against nginx on loopback: a deliberately poor configuration
# (every flaw must be found, with the right exit codes), a good one (a good
# grade), a closed port (exit 3), and SARIF validated against the 2.1.0 schema.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/audit_nginx.sh"
make_test_certs

# --- the poor configuration ---
start_nginx poor "TLSv1.2 TLSv1.3" '
        server_tokens on;
        add_header Content-Security-Policy "default-src '"'"'self'"'"'; script-src '"'"'self'"'"' '"'"'unsafe-inline'"'"'" always;
        add_header X-XSS-Protection "1; mode=block" always;
        add_header Set-Cookie "session=abc123; Path=/; HttpOnly" always;'
POOR="https://127.0.0.1:$HTTPS_PORT/"

run "$RC" check-headers --ca-file "$WORK/ca.pem" --format json "$POOR"
expect_code 0 "poor: no thresholds, exit 0"
for id in tls-1.2-accepted hsts-missing csp-unsafe-inline xxss-enabled cookie-session-no-secure \
    banner-version; do
    expect_contains "$OUT" "\"id\": \"$id\"" "poor: finding $id"
done
expect_not_contains "$OUT" '"id": "tls-cert-untrusted"' "poor: --ca-file makes the chain valid"
expect_not_contains "$OUT" '"id": "tls-1.0-accepted"' "poor: TLS 1.0 is refused"
expect_contains "$OUT" '"accepts_tls1_2": true' "poor: TLS 1.2 probe"
expect_contains "$OUT" '"version": "TLSv1.3"' "poor: negotiated TLS 1.3"
expect_contains "$OUT" '"value": "nginx/' "poor: the banner value is reported"
python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT" && pass || fail "poor: stdout is not only JSON"
GRADE=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["urls"][0]["grade"])' <<<"$OUT")
case "$GRADE" in A*|B+) fail "poor: grade $GRADE is too good" ;; *) pass ;; esac

run "$RC" check-headers --ca-file "$WORK/ca.pem" --fail-on high "$POOR"
expect_code 1 "poor: --fail-on high"
run "$RC" check-headers --ca-file "$WORK/ca.pem" --min-grade B "$POOR"
expect_code 1 "poor: --min-grade B"
run "$RC" check-headers --ca-file "$WORK/ca.pem" --min-grade F "$POOR"
expect_code 0 "poor: --min-grade F"
expect_contains "$OUT" "grade $GRADE" "poor: the table shows the grade"
expect_not_contains "$OUT" $'\033[' "poor: no colour when stdout is not a terminal"

# An untrusted certificate: unreachable without --insecure, audited with it.
run "$RC" check-headers "$POOR"
expect_code 3 "untrusted certificate without --insecure"
expect_contains "$OUT$ERR" "--ca-file" "untrusted: the hint names --ca-file"
run "$RC" check-headers --insecure --format json "$POOR"
expect_code 0 "--insecure audits anyway"
expect_contains "$OUT" '"insecure": true' "--insecure is reported"
expect_contains "$OUT" '"id": "tls-cert-untrusted"' "--insecure still reports the chain"

# http:// follows the redirect to HTTPS; --resolve pins a name to loopback.
run "$RC" check-headers --ca-file "$WORK/ca.pem" --format json \
    --resolve "localhost:$HTTP_PORT:127.0.0.1" "http://localhost:$HTTP_PORT/x"
expect_code 0 "redirect audit"
expect_contains "$OUT" "\"https://127.0.0.1:$HTTPS_PORT/x\"" "redirect: the https hop is recorded"
expect_contains "$OUT" '"id": "redirect-first-hop-not-https"' "redirect: off-host first hop"
run "$RC" check-headers --format json "http://127.0.0.1:$HTTP_PORT/plain"
expect_contains "$OUT" '"id": "redirect-missing"' "plain http page: no redirect"

# --urls-file and --header (an authenticated request wants no-store)
printf '# staging\n\n%s\n' "$POOR" >"$WORK/urls.txt"
run "$RC" check-headers --ca-file "$WORK/ca.pem" --format json --urls-file "$WORK/urls.txt" \
    --header 'Authorization: Bearer test'
expect_code 0 "--urls-file"
expect_contains "$OUT" '"id": "cache-control-authenticated-cacheable"' "--header marks auth"
run "$RC" check-headers --header 'no colon' "$POOR"
expect_code 2 "--header without a colon"
run "$RC" check-headers --ca-file "$WORK/missing-ca.pem" "$POOR"
expect_code 2 "an unreadable --ca-file is a usage error, not an unreachable URL"
expect_contains "$ERR" "missing-ca.pem" "the unreadable CA file is named"
run "$RC" check-headers --ca-file /etc/passwd "$POOR"
expect_code 2 "a --ca-file holding no certificate is a usage error"
expect_contains "$ERR" "holds no PEM certificate" "the CA file's problem is said"
run "$RC" check-headers --ca-file "$WORK" "$POOR"
expect_code 2 "a folder as --ca-file is a usage error"
run "$RC" check-headers --resolve "localhost:443:notanip" "$POOR"
expect_code 2 "--resolve with a name as ADDRESS is a usage error"
expect_contains "$ERR" "not an IPv4 or IPv6 address" "--resolve says what ADDRESS must be"

# --expect policy
cat >"$WORK/expect.toml" <<'TOML'
[[require]]
name = "Strict-Transport-Security"
[[require]]
name = "Content-Security-Policy"
matches = "default-src 'self'"
[[forbid]]
name = "X-XSS-Protection"
TOML
run "$RC" check-headers --ca-file "$WORK/ca.pem" --format json --expect "$WORK/expect.toml" "$POOR"
expect_contains "$OUT" '"id": "expect-header-missing"' "expect: required HSTS missing"
expect_contains "$OUT" '"id": "expect-header-forbidden"' "expect: forbidden X-XSS-Protection"
expect_not_contains "$OUT" '"id": "expect-header-mismatch"' "expect: CSP pattern matches"
printf '[[require]]\nname = 3\n' >"$WORK/bad.toml"
run "$RC" check-headers --expect "$WORK/bad.toml" "$POOR"
expect_code 2 "expect: a bad policy is a usage error"

# SARIF and JUnit
run "$RC" check-headers --ca-file "$WORK/ca.pem" --format sarif "$POOR"
echo "$OUT" >"$WORK/poor.sarif"
expect_contains "$OUT" '"ruleId": "hsts-missing"' "sarif: a result per finding"
run "$RC" check-headers --ca-file "$WORK/ca.pem" --format junit --fail-on medium "$POOR"
expect_contains "$OUT" '<testcase classname="check-headers.'"$POOR"'" name="hsts-missing">' \
    "junit: a test case per check"
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.read())' \
    <<<"$OUT" && pass || fail "junit: not well-formed XML"

# --- a closed port and a bad option ---
CLOSED=$(free_port)
run "$RC" check-headers --timeout 2 "https://127.0.0.1:$CLOSED/"
expect_code 3 "closed port"
run "$RC" check-headers --format sarif "https://127.0.0.1:$CLOSED/"
expect_code 3 "closed port, sarif"
expect_contains "$ERR" "rcommerce: error:" "closed port: the error goes to stderr"
run "$RC" check-headers --format xml "$POOR"
expect_code 2 "unknown format"

# --- a well-configured, TLS 1.3-only server ---
start_nginx good "TLSv1.3" '
        server_tokens off;
        add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;
        add_header Content-Security-Policy "default-src '"'"'none'"'"'; frame-ancestors '"'"'none'"'"'; base-uri '"'"'none'"'"'; form-action '"'"'none'"'"'" always;
        add_header X-Content-Type-Options "nosniff" always;
        add_header X-Frame-Options "DENY" always;
        add_header Referrer-Policy "no-referrer" always;
        add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;
        add_header Cross-Origin-Opener-Policy "same-origin" always;
        add_header Cross-Origin-Embedder-Policy "require-corp" always;
        add_header Cross-Origin-Resource-Policy "same-origin" always;
        add_header Set-Cookie "__Host-session=1; Path=/; Secure; HttpOnly; SameSite=Lax" always;'
GOOD="https://127.0.0.1:$HTTPS_PORT/"
run "$RC" check-headers --ca-file "$WORK/ca.pem" --format json --fail-on low --min-grade A "$GOOD"
expect_code 0 "good: nothing at low or above, grade at least A"
expect_contains "$OUT" '"grade": "A+"' "good: grade A+"
expect_contains "$OUT" '"accepts_tls1_2": false' "good: TLS 1.3 only"
expect_contains "$OUT" '"version": "TLSv1.3"' "good: negotiated TLS 1.3"
run "$RC" check-headers --ca-file "$WORK/ca.pem" --fail-on low "$GOOD" "$POOR"
expect_code 1 "two URLs, one poor"

# --- SARIF against the official 2.1.0 schema (offline after one npm install) ---
SCHEMA_DIR="${BUILD_DIR:-$WORK}/npm-sarif"
if [ ! -d "$SCHEMA_DIR/node_modules/ajv-draft-04" ] || [ ! -f "$SCHEMA_DIR/sarif-schema.json" ]; then
    mkdir -p "$SCHEMA_DIR"
    (cd "$SCHEMA_DIR" && npm install --silent --no-audit --no-fund ajv@8 ajv-draft-04@1 >/dev/null 2>&1 &&
        npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null 2>&1 &&
        tar -xzf microsoft-jest-sarif-*.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json &&
        mv package/lib/schemas/sarif-2.1.0-rtm.5.json sarif-schema.json && rm -rf package) ||
        true
fi
if [ -f "$SCHEMA_DIR/sarif-schema.json" ] && [ -d "$SCHEMA_DIR/node_modules/ajv-draft-04" ]; then
    if NODE_PATH="$SCHEMA_DIR/node_modules" node "$(dirname "$0")/../data/audit/validate_sarif.js" \
        "$SCHEMA_DIR/sarif-schema.json" "$WORK/poor.sarif"; then
        pass
    else
        fail "sarif: does not validate against the SARIF 2.1.0 schema"
    fi
else
    fail "sarif: could not install ajv and the SARIF schema from npm"
fi

finish
