#!/usr/bin/env bash
# check-headers against peers that misbehave on the wire: interim 1xx
# responses, bare-LF heads, heads cut short, servers that trickle bytes (in the
# head and in the TLS handshake), redirect loops, and hosts given as IDN or as
# unbracketed IPv6.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_nginx.sh"
PEER="python3 $(dirname "$0")/raw_http_peer.py"

# start_peer MODE ARGS...: a raw_http_peer on a free port; sets PEER_PORT.
start_peer() {
    local mode=$1
    shift
    PEER_PORT=$(free_port)
    $PEER "$mode" "$PEER_PORT" "$@" &
    CLEANUP_PIDS+=($!)
    wait_for_port "$PEER_PORT" 10 || { fail "$mode peer did not start"; finish; }
}

# findings JSON: the final status and the finding ids of the first URL.
findings() {
    python3 -c 'import json,sys; u=json.load(sys.stdin)["urls"][0]
print(u.get("status"), " ".join(f["id"] for f in u.get("findings", [])))' <<<"$1"
}

# --- 103 Early Hints before the real answer: the 200's headers are judged ---
printf 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nX-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 0\r\n\r\n' \
    >"$WORK/early.txt"
start_peer respond "$WORK/early.txt"
run "$RC" check-headers --format json "http://127.0.0.1:$PEER_PORT/"
expect_code 0 "103: audited"
RESULT=$(findings "$OUT")
expect_contains "$RESULT" "200 " "103: the final status is judged, not the interim one"
expect_not_contains "$RESULT" "xfo-missing" "103: the final response's X-Frame-Options counts"
expect_not_contains "$RESULT" "xcto-missing" "103: the final response's nosniff counts"

# --- bare LF line ends (RFC 9112 section 2.2 lets recipients accept them) ---
printf 'HTTP/1.1 200 OK\nX-Frame-Options: DENY\nX-Content-Type-Options: nosniff\nContent-Length: 0\n\n' \
    >"$WORK/lf.txt"
start_peer respond "$WORK/lf.txt"
run "$RC" check-headers --format json "http://127.0.0.1:$PEER_PORT/"
expect_code 0 "bare LF: audited, not unreachable"
RESULT=$(findings "$OUT")
expect_contains "$RESULT" "200 " "bare LF: status read"
expect_not_contains "$RESULT" "xfo-missing" "bare LF: fields read"

# --- a head the server cuts short ---
printf 'HTTP/1.1 200 OK\r\nX-Frame-Options: DENY\r\n' >"$WORK/cut.txt"
start_peer respond "$WORK/cut.txt"
run "$RC" check-headers "http://127.0.0.1:$PEER_PORT/"
expect_code 3 "a head cut short is unreachable"
expect_contains "$OUT" "in the middle of the response headers" "cut head: said so"

# --- a server that trickles its head: --timeout bounds the whole head ---
start_peer trickle
START=$(date +%s)
run timeout 30 "$RC" check-headers --timeout 2 "http://127.0.0.1:$PEER_PORT/"
ELAPSED=$(($(date +%s) - START))
expect_code 3 "trickled head: unreachable"
expect_contains "$OUT" "no complete response head within 2000 ms" "trickled head: said so"
[ "$ELAPSED" -le 6 ] && pass || fail "trickled head: took ${ELAPSED}s with --timeout 2"

# --- a TLS handshake trickled a byte at a time ---
make_test_certs
TLS_PORT=$(free_port)
openssl s_server -quiet -accept "$TLS_PORT" -cert "$WORK/server.pem" -key "$WORK/server.key" \
    -www >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_for_port "$TLS_PORT" 10 || fail "openssl s_server did not start"
start_peer slowproxy "$TLS_PORT"
START=$(date +%s)
run timeout 30 "$RC" check-headers --timeout 2 --ca-file "$WORK/ca.pem" \
    "https://127.0.0.1:$PEER_PORT/"
ELAPSED=$(($(date +%s) - START))
expect_code 3 "trickled handshake: unreachable"
expect_contains "$OUT" "TLS handshake not finished within 2000 ms" "trickled handshake: said so"
[ "$ELAPSED" -le 6 ] && pass || fail "trickled handshake: took ${ELAPSED}s with --timeout 2"

# --- certificates that no CA file can fix: the hint says what would ---
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$WORK/old.key" -out "$WORK/old.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$WORK/old.cnf"
openssl x509 -req -in "$WORK/old.csr" -signkey "$WORK/old.key" -days -1 -extfile "$WORK/old.cnf" \
    -out "$WORK/old.pem" 2>/dev/null
OLD_PORT=$(free_port)
openssl s_server -quiet -accept "$OLD_PORT" -cert "$WORK/old.pem" -key "$WORK/old.key" -www \
    >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_for_port "$OLD_PORT" 10 || fail "openssl s_server (expired) did not start"
run "$RC" check-headers --ca-file "$WORK/old.pem" "https://localhost:$OLD_PORT/"
expect_code 3 "expired certificate: unreachable"
expect_contains "$OUT" "certificate has expired" "expired: the reason"
expect_contains "$OUT" "renew the certificate" "expired: the hint says renew, not --ca-file"
run "$RC" check-headers --ca-file "$WORK/old.pem" --insecure "https://localhost:$OLD_PORT/"
expect_code 0 "expired with --insecure: audited"
expect_contains "$OUT" "tls-cert-expired" "expired with --insecure: the finding"
expect_contains "$OUT" "; EXPIRED;" "expired with --insecure: the table says EXPIRED"
NAME_PORT=$(free_port)
openssl s_server -quiet -accept "$NAME_PORT" -cert "$WORK/server.pem" -key "$WORK/server.key" \
    -www >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_for_port "$NAME_PORT" 10 || fail "openssl s_server (names) did not start"
run "$RC" check-headers --ca-file "$WORK/ca.pem" "https://127.0.0.1:$NAME_PORT/"
expect_code 0 "the right name: audited"
run "$RC" check-headers --ca-file "$WORK/ca.pem" --resolve "elsewhere.test:$NAME_PORT:127.0.0.1" \
    "https://elsewhere.test:$NAME_PORT/"
expect_code 3 "wrong name: unreachable"
expect_contains "$OUT" "does not name elsewhere.test" "wrong name: the reason"
expect_contains "$OUT" "a name the certificate lists" "wrong name: the hint is not --ca-file"

# --- https:// to a port that speaks plain HTTP ---
PLAIN_PORT=$(free_port)
python3 -m http.server "$PLAIN_PORT" --bind 127.0.0.1 >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_for_port "$PLAIN_PORT" 10 || fail "python http.server did not start"
run "$RC" check-headers "https://127.0.0.1:$PLAIN_PORT/a?b"
expect_code 3 "https:// to plain HTTP: unreachable"
expect_contains "$OUT" "try http://127.0.0.1:$PLAIN_PORT/a?b" "https:// to plain HTTP: the hint"

# --- a redirect loop: no page to judge, like a browser's ERR_TOO_MANY_REDIRECTS ---
LOOP_PORT=$(free_port)
printf 'HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:%s/again\r\nContent-Length: 0\r\n\r\n' \
    "$LOOP_PORT" >"$WORK/loop.txt"
$PEER respond "$LOOP_PORT" "$WORK/loop.txt" &
CLEANUP_PIDS+=($!)
wait_for_port "$LOOP_PORT" 10 || fail "loop peer did not start"
run "$RC" check-headers --format json "http://127.0.0.1:$LOOP_PORT/"
expect_code 3 "redirect loop: unreachable"
expect_contains "$ERR" "more than 10 redirects" "redirect loop: said so"
expect_not_contains "$OUT" '"findings"' "redirect loop: a 301's headers are not judged as a page"

# --- Locations a browser would fix up or refuse ---
printf 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' >"$WORK/ok.txt"
start_peer respond "$WORK/ok.txt" "$WORK/spaced.log"
TARGET_PORT=$PEER_PORT
printf 'HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:%s/a b\r\nContent-Length: 0\r\n\r\n' \
    "$TARGET_PORT" >"$WORK/spaced.txt"
start_peer respond "$WORK/spaced.txt"
run "$RC" check-headers "http://127.0.0.1:$PEER_PORT/"
expect_code 0 "a Location with a space: followed"
expect_contains "$(head -1 "$WORK/spaced.log")" "GET /a%20b HTTP/1.1" \
    "a Location with a space: percent-encoded in the request line"
printf 'HTTP/1.1 301 Moved\r\nLocation: https://exa mple.test/\r\nContent-Length: 0\r\n\r\n' \
    >"$WORK/badloc.txt"
start_peer respond "$WORK/badloc.txt"
run "$RC" check-headers "http://127.0.0.1:$PEER_PORT/"
expect_code 3 "an unusable Location: unreachable, not judged as a page"
expect_contains "$OUT" "unusable Location" "an unusable Location: said so"
expect_not_contains "$OUT" "redirect-missing" "an unusable Location: not 'does not redirect'"

# --- an IDN host goes on the wire as its A-label ---
start_peer respond "$WORK/ok.txt" "$WORK/requests.log"
run "$RC" check-headers --resolve "BÜCHER.example:$PEER_PORT:127.0.0.1" \
    "http://bücher.example:$PEER_PORT/"
expect_code 0 "IDN: --resolve matches the name in any case and form"
expect_contains "$(cat "$WORK/requests.log")" "Host: xn--bcher-kva.example:$PEER_PORT" \
    "IDN: the Host header carries the A-label"

# --- an IPv6 address without brackets is ambiguous: a usage error ---
run "$RC" check-headers "http://::1:$PEER_PORT/"
expect_code 2 "unbracketed IPv6: usage error"
expect_contains "$ERR" "in brackets" "unbracketed IPv6: the fix is said"

finish
