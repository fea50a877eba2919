# nginx on loopback for check-headers' integration test and benchmark.
# Source after lib.sh (needs WORK, CLEANUP_PIDS, free_port, wait_for_port).

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is not installed (Debian nginx-light)" >&2; exit 1; }

# make_test_certs: a CA ($WORK/ca.pem) and a server certificate for 127.0.0.1
# and localhost ($WORK/server.pem, server.key), valid for 20 days.
make_test_certs() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=check-headers test CA" -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' \
        >"$WORK/ext.cnf"
    openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
        -CAcreateserial -days 20 -extfile "$WORK/ext.cnf" -out "$WORK/server.pem" 2>/dev/null
}

# start_nginx NAME PROTOCOLS SERVER_BLOCK_EXTRA: an HTTPS server and a plain
# HTTP one on free ports; sets HTTPS_PORT and HTTP_PORT.
start_nginx() {
    local name=$1 protocols=$2 extra=$3 dir="$WORK/$1"
    mkdir -p "$dir/logs" "$dir/tmp"
    HTTPS_PORT=$(free_port)
    HTTP_PORT=$(free_port)
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
$( [ "$(id -u)" -eq 0 ] && echo "user nobody nogroup;" )
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$HTTP_PORT;
        location / { return 301 https://127.0.0.1:$HTTPS_PORT\$request_uri; }
        location /plain { default_type text/plain; return 200 "plain\n"; }
    }
    server {
        listen 127.0.0.1:$HTTPS_PORT ssl;
        ssl_certificate $WORK/server.pem;
        ssl_certificate_key $WORK/server.key;
        ssl_protocols $protocols;
        $extra
        location / { default_type text/html; return 200 "<p>hello</p>\n"; }
    }
}
CONF
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" >"$dir/logs/stdout" 2>&1 &
    CLEANUP_PIDS+=($!)
    wait_for_port "$HTTPS_PORT" 10 || { cat "$dir/logs/"* >&2; fail "$name nginx did not start"; finish; }
}

