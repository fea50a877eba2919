# Helpers shared by the serve_*_test.sh scripts (sourced after lib.sh).
CLIENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/serve_clients.py"

# write_config FILE HTTPS_PORT HTTP_PORT [EXTRA_TOML]: a config with its state in $WORK.
write_config() {
    local file=$1 port=$2 http_port=$3 extra=${4:-}
    cat >"$file" <<TOML
[server]
host = "127.0.0.1"
port = $port
http_port = $http_port
data_dir = "$WORK/data"
shutdown_timeout_seconds = 10
${SERVER_EXTRA:-}
[database]
url = "sqlite://$WORK/rc.db"
[tls.lets_encrypt]
cache_dir = "$WORK/acme"
[log]
format = "json"
$extra
TOML
}

# start_server CONFIG LOG: runs serve in the background; SERVER_PID is its pid.
start_server() {
    local config=$1 log=$2 port
    port=$(sed -n 's/^port = //p' "$config" | head -1)
    RCOMMERCE_TEST_ROUTES=1 "$RC" --config "$config" serve --migrate 2>"$log" &
    SERVER_PID=$!
    CLEANUP_PIDS+=("$SERVER_PID")
    if ! wait_for_port "$port" 20; then
        fail "serve did not start on $port: $(cat "$log")"
        return 1
    fi
}

stop_server() {
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# make_ca DIR: an ECDSA test CA (ca.pem, ca.key) in DIR.
make_ca() {
    local dir=$1
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 400 \
        -subj "/CN=rcommerce test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# issue CA_DIR NAME OUT_PREFIX SANS [EXTRA_EXT]: a leaf signed by the CA;
# writes OUT_PREFIX.pem (leaf + CA), OUT_PREFIX.key.
issue() {
    local ca=$1 name=$2 out=$3 sans=$4 extra=${5:-}
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
        -keyout "$out.key" -out "$out.csr" 2>/dev/null
    {
        echo "subjectAltName=$sans"
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature"
        echo "extendedKeyUsage=serverAuth"
        [ -n "$extra" ] && echo "$extra"
    } >"$out.ext"
    openssl x509 -req -in "$out.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial \
        -days 200 -extfile "$out.ext" -out "$out.leaf.pem" 2>/dev/null
    cat "$out.leaf.pem" "$ca/ca.pem" >"$out.pem"
    chmod 600 "$out.key"
}

# fingerprint PORT [SNI]: SHA-256 fingerprint of the certificate served.
fingerprint() {
    local port=$1 sni=${2:-localhost}
    echo | openssl s_client -connect "127.0.0.1:$port" -servername "$sni" 2>/dev/null |
        openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
