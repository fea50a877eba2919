#!/usr/bin/env bash
# rcommerce serve against nginx (Debian nginx-light: TLS 1.3 only, one worker,
# the same certificate) serving the same product JSON as a static file, both
# driven by wrk in one run. Prints requests/s and p99 latency for keep-alive
# and for a new TLS handshake per request (Connection: close), and the ratios
# rcommerce/nginx. Targets: keep-alive >= 0.75, handshakes >= 0.8. Also the
# server's CPU time per request (user + system, from /proc), which a busy
# machine distorts far less than requests/s: on a shared 2-core box wrk,
# the server and everything else compete for the same cores.
# Not part of ctest: timings on a shared machine are not assertions.
#   RCOMMERCE_BIN=build/cli/rcommerce tests/bench/serve_bench.sh
# Environment: DURATION (seconds per run, default 10), THREADS (wrk, 2),
# CONNECTIONS (wrk, 50).
set -euo pipefail
: "${RCOMMERCE_BIN:?set RCOMMERCE_BIN to the rcommerce binary}"
# The script works in a scratch folder: a relative path is taken from here.
RCOMMERCE_BIN=$(realpath "$RCOMMERCE_BIN")
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-50}
WORK=$(mktemp -d /tmp/rc-bench.XXXXXX)
chmod 755 "$WORK" # nginx's worker runs as another user and reads the file
PIDS=()
cleanup() {
    for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

RC_PORT=$(port)
NGINX_PORT=$(port)
cd "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout key.pem -out cert.pem 2>/dev/null
cat >rc.toml <<TOML
[server]
host = "127.0.0.1"
port = $RC_PORT
http_port = 0
data_dir = "$WORK/data"
[database]
url = "sqlite://$WORK/rc.db"
[tls]
cert_file = "$WORK/cert.pem"
key_file = "$WORK/key.pem"
ocsp_stapling = false
[log]
level = "warn"
access_log = false
TOML
"$RCOMMERCE_BIN" --config rc.toml db migrate >/dev/null
"$RCOMMERCE_BIN" --config rc.toml db seed --demo --products 50 >/dev/null
API_KEY=$("$RCOMMERCE_BIN" --config rc.toml apikey create --name bench --scopes read)
AUTH="Authorization: Bearer $API_KEY"
"$RCOMMERCE_BIN" --config rc.toml serve 2>rc.log &
RC_PID=$!
PIDS+=("$RC_PID")
wait_port "$RC_PORT"

# The product document as the API serves it; nginx serves the same bytes
# from a file (and ignores the Authorization header both are sent).
PATH_UNDER_TEST=/api/v1/products/1
curl -skf -H "$AUTH" "https://localhost:$RC_PORT$PATH_UNDER_TEST" -o product.json
mkdir -p "www$(dirname "$PATH_UNDER_TEST")"
cp product.json "www$PATH_UNDER_TEST"

cat >nginx.conf <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    server_tokens off;
    default_type application/json;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        ssl_protocols TLSv1.3;
        keepalive_requests 1000;
        root $WORK/www;
    }
}
NGINX
nginx -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
wait_port "$NGINX_PORT"
NGINX_WORKER=$(pgrep -P "$!" | head -1)

# cpu_ticks PID: user + system clock ticks the process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS_PER_SECOND=$(getconf CLK_TCK)

# measure PID URL [wrk args...] -> "requests_per_second p99_ms cpu_us_per_request"
measure() {
    local pid=$1 url=$2
    shift 2
    local before after
    before=$(cpu_ticks "$pid")
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -H "$AUTH" "$@" "$url" >wrk.out
    after=$(cpu_ticks "$pid")
    local rps p99 requests
    rps=$(awk '/Requests\/sec/ {print $2}' wrk.out)
    requests=$(awk '/requests in/ {print $1}' wrk.out)
    p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' wrk.out)
    echo "$rps ${p99:-0} $(python3 -c "print(round(($after - $before) * 1e6 / $TICKS_PER_SECOND / max(1, $requests)))")"
}
ratio() { python3 -c "print(f'{float($1)/float($2):.2f}' if float($2) else 'n/a')"; }

RC_URL="https://localhost:$RC_PORT$PATH_UNDER_TEST"
NG_URL="https://localhost:$NGINX_PORT$PATH_UNDER_TEST"
read -r RC_KA RC_KA_P99 RC_KA_CPU <<<"$(measure "$RC_PID" "$RC_URL")"
read -r NG_KA NG_KA_P99 NG_KA_CPU <<<"$(measure "$NGINX_WORKER" "$NG_URL")"
# The floor under any rcommerce answer: GET /healthz touches neither the
# database nor the key store and sends a fixed 15-byte body, so its cost is
# the connection engine, cpp-httplib's request handling, TLS and our
# middleware alone.
read -r RC_FLOOR RC_FLOOR_P99 RC_FLOOR_CPU <<<"$(measure "$RC_PID" "https://localhost:$RC_PORT/healthz")"
read -r RC_HS RC_HS_P99 RC_HS_CPU <<<"$(measure "$RC_PID" "$RC_URL" -H 'Connection: close')"
read -r NG_HS NG_HS_P99 NG_HS_CPU <<<"$(measure "$NGINX_WORKER" "$NG_URL" -H 'Connection: close')"

printf '%-26s %14s %14s %8s\n' "GET $PATH_UNDER_TEST" rcommerce nginx ratio
printf '%-26s %14s %14s %8s\n' "keep-alive req/s" "$RC_KA" "$NG_KA" "$(ratio "$RC_KA" "$NG_KA")"
printf '%-26s %14s %14s %8s\n' "keep-alive p99 ms" "$RC_KA_P99" "$NG_KA_P99" "$(ratio "$RC_KA_P99" "$NG_KA_P99")"
printf '%-26s %14s %14s %8s\n' "keep-alive CPU us/req" "$RC_KA_CPU" "$NG_KA_CPU" "$(ratio "$RC_KA_CPU" "$NG_KA_CPU")"
printf '%-26s %14s %14s %8s\n' "floor: /healthz req/s" "$RC_FLOOR" "$NG_KA" "$(ratio "$RC_FLOOR" "$NG_KA")"
printf '%-26s %14s %14s %8s\n' "floor: /healthz CPU us/req" "$RC_FLOOR_CPU" "$NG_KA_CPU" "$(ratio "$RC_FLOOR_CPU" "$NG_KA_CPU")"
printf '%-26s %14s %14s %8s\n' "handshake req/s" "$RC_HS" "$NG_HS" "$(ratio "$RC_HS" "$NG_HS")"
printf '%-26s %14s %14s %8s\n' "handshake p99 ms" "$RC_HS_P99" "$NG_HS_P99" "$(ratio "$RC_HS_P99" "$NG_HS_P99")"
printf '%-26s %14s %14s %8s\n' "handshake CPU us/req" "$RC_HS_CPU" "$NG_HS_CPU" "$(ratio "$RC_HS_CPU" "$NG_HS_CPU")"
echo "targets: keep-alive req/s ratio >= 0.75, handshake req/s ratio >= 0.80"
