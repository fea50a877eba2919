# Shared by the tests that run the fake Stripe (sourced after lib.sh).
# prepare_fake_stripe: copies tests/fake_stripe to $NODE_DIR with its pinned
# `stripe` npm package (installed once, cached by package.json), and makes a
# throwaway CA ($WORK/ca.pem) with a certificate for localhost/127.0.0.1
# ($WORK/server.pem, server.key).
NODE_DIR="$BUILD_DIR/fake_stripe"

prepare_fake_stripe() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    mkdir -p "$NODE_DIR"
    cp "$root"/tests/fake_stripe/{server.js,sign.js} "$NODE_DIR/"
    if ! cmp -s "$root/tests/fake_stripe/package.json" "$NODE_DIR/package.json" ||
        [ ! -d "$NODE_DIR/node_modules/stripe" ]; then
        cp "$root/tests/fake_stripe/package.json" "$NODE_DIR/"
        (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=fake stripe test CA" \
        -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$WORK/san.ext"
    openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
        -CAcreateserial -days 1 -extfile "$WORK/san.ext" -out "$WORK/server.pem" 2>/dev/null
}
