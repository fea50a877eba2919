#!/usr/bin/env bash
# check-headers against our own `rcommerce serve` on its defaults: the audit
# must grade it A+ with no finding above info, over TLS 1.3 only.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
cd "$WORK"

make_ca ca
issue ca localhost srv "DNS:localhost,IP:127.0.0.1"
port=$(free_port)
http_port=$(free_port)
# A certificate from a test CA keeps the chain check real: the audit trusts
# only that CA, never --insecure.
write_config rc.toml "$port" "$http_port" "[tls]
cert_file = \"$WORK/srv.pem\"
key_file = \"$WORK/srv.key\""
start_server rc.toml serve.log || finish

url="https://localhost:$port/api/v1/products"
resolve="localhost:$port:127.0.0.1"

run "$RC" check-headers --format json --ca-file ca/ca.pem --resolve "$resolve" \
    --fail-on low --min-grade A+ "$url"
expect_code 0 "serve's defaults pass --fail-on low --min-grade A+"
grade=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["urls"][0]["grade"])' 2>/dev/null || true)
expect_eq "$grade" "A+" "grade of rcommerce serve"
worst=$(printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
results = d["urls"]
order = {"info": 0, "low": 1, "medium": 2, "high": 3}
worst = "info"
for r in results:
    for f in r.get("findings", []):
        if order.get(f.get("severity"), 0) > order[worst]:
            worst = f["severity"]
print(worst)' 2>/dev/null || echo unparsed)
expect_eq "$worst" "info" "no finding above info"
expect_contains "$OUT" "TLSv1.3" "negotiated TLS 1.3"

# The plain-HTTP listener redirects to HTTPS on the same host.
run "$RC" check-headers --format json --ca-file ca/ca.pem --resolve "$resolve" \
    --resolve "localhost:$http_port:127.0.0.1" "http://localhost:$http_port/api/v1/products"
expect_contains "$OUT" "https://localhost:$port/api/v1/products" "redirect target reported"

# The table is coloured on a terminal, and plain under NO_COLOR or in a pipe.
on_terminal() { # on_terminal CMD...: runs CMD with stdout on a pty; prints colour|plain
    python3 - "$@" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
subprocess.run(sys.argv[1:], stdout=slave, stderr=subprocess.DEVNULL)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
print("colour" if b"\x1b[" in data else "plain")
PY
}
table=("$RC" check-headers --ca-file ca/ca.pem --resolve "$resolve" "$url")
expect_eq "$(on_terminal "${table[@]}")" "colour" "the table is coloured on a terminal"
expect_eq "$(NO_COLOR=1 on_terminal "${table[@]}")" "plain" "NO_COLOR turns colour off"
run "${table[@]}"
expect_not_contains "$OUT" $'\x1b[' "no colour when stdout is not a terminal"

stop_server "$SERVER_PID"
run "$RC" check-headers --ca-file ca/ca.pem --resolve "$resolve" "$url"
expect_code 3 "a stopped server is unreachable (exit 3)"

finish
