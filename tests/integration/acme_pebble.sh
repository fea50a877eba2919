# Starts Pebble and pebble-challtestsrv on free loopback ports for ACME tests
# and benchmarks. Source after lib.sh (tests) or with WORK and CLEANUP_PIDS
# set. After start_pebble: PEBBLE_DIR (directory URL), PEBBLE_CA (trust for
# its HTTPS), PEBBLE_MGMT (management base URL), CHALL_MGMT (challtestsrv
# API), HTTP_PORT (where Pebble validates http-01), PEBBLE_ROOT (root PEM).

# start_pebble [extra JSON config members]: env PEBBLE_* is passed through.
start_pebble() {
    local extra=${1:-}
    local dir="$WORK/pebble"
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
    PEBBLE_CA="$dir/cert.pem"
    local acme_port mgmt_port dns_port chall_port
    acme_port=$(free_port)
    mgmt_port=$(free_port)
    dns_port=$(free_port)
    chall_port=$(free_port)
    HTTP_PORT=$(free_port)
    cat >"$dir/config.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$acme_port",
  "managementListenAddress": "127.0.0.1:$mgmt_port",
  "certificate": "$dir/cert.pem", "privateKey": "$dir/key.pem",
  "httpPort": $HTTP_PORT, "tlsPort": $(free_port), "ocspResponderURL": ""$extra}}
JSON
    pebble-challtestsrv -dns01 "127.0.0.1:$dns_port" -http01 "" -https01 "" -tlsalpn01 "" \
        -management "127.0.0.1:$chall_port" -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
        >"$dir/challtestsrv.log" 2>&1 &
    CLEANUP_PIDS+=($!)
    PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=${PEBBLE_AUTHZREUSE:-0} \
        pebble -config "$dir/config.json" -dnsserver "127.0.0.1:$dns_port" \
        >"$dir/pebble.log" 2>&1 &
    CLEANUP_PIDS+=($!)
    wait_for_port "$acme_port" 20 && wait_for_port "$mgmt_port" 20 &&
        wait_for_port "$chall_port" 20 || {
        cat "$dir/pebble.log" "$dir/challtestsrv.log" >&2
        return 1
    }
    PEBBLE_DIR="https://localhost:$acme_port/dir"
    PEBBLE_MGMT="https://localhost:$mgmt_port"
    CHALL_MGMT="http://127.0.0.1:$chall_port"
    PEBBLE_ROOT="$dir/root.pem"
    curl -sf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT/roots/0" >"$PEBBLE_ROOT"
    curl -sf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT/intermediates/0" >"$dir/intermediate.pem"
}

# A dns-01 hook that publishes TXT records through pebble-challtestsrv.
write_dns_hook() {
    local hook="$WORK/dns-hook.sh"
    cat >"$hook" <<HOOK
#!/bin/sh
# \$1 add|remove, \$2 _acme-challenge name, \$3 TXT value
echo "\$1 \$2" >>"$WORK/dns-hook.log"
case "\$1" in
add) curl -sf -d "{\"host\":\"\$2.\",\"value\":\"\$3\"}" "$CHALL_MGMT/set-txt" ;;
remove) curl -sf -d "{\"host\":\"\$2.\"}" "$CHALL_MGMT/clear-txt" ;;
esac
HOOK
    chmod +x "$hook"
    echo "$hook"
}
