# Shared helpers for integration tests that drive the real binary.
# Each test script sources this file; it gets a fresh temporary folder that
# is removed on success and kept (and named) on failure.
set -euo pipefail

: "${RCOMMERCE_BIN:?RCOMMERCE_BIN must point at the rcommerce binary}"
RC="$RCOMMERCE_BIN"
TEST_NAME="$(basename "$0" .sh)"
WORK="$(mktemp -d "/tmp/rc-${TEST_NAME}.XXXXXX")"
FAILURES=0
CHECKS=0
declare -a CLEANUP_PIDS=()

cleanup() {
    local status=$?
    for pid in "${CLEANUP_PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -eq 0 ] && [ "$FAILURES" -eq 0 ]; then
        rm -rf "$WORK"
    else
        echo "kept $WORK for inspection" >&2
    fi
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}

pass() {
    CHECKS=$((CHECKS + 1))
}

# run CMD...: runs it, storing stdout, stderr and exit code in OUT, ERR, CODE.
run() {
    set +e
    "$@" >"$WORK/.out" 2>"$WORK/.err"
    CODE=$?
    set -e
    OUT="$(cat "$WORK/.out")"
    ERR="$(cat "$WORK/.err")"
}

expect_code() {
    local want=$1 label=$2
    if [ "$CODE" -ne "$want" ]; then
        fail "$label: exit code $CODE, expected $want"$'\n'"stdout: $OUT"$'\n'"stderr: $ERR"
    else
        pass
    fi
}

expect_contains() {
    local haystack=$1 needle=$2 label=$3
    if [[ "$haystack" != *"$needle"* ]]; then
        fail "$label: expected to find [$needle] in:"$'\n'"$haystack"
    else
        pass
    fi
}

expect_not_contains() {
    local haystack=$1 needle=$2 label=$3
    if [[ "$haystack" == *"$needle"* ]]; then
        fail "$label: did not expect [$needle] in:"$'\n'"$haystack"
    else
        pass
    fi
}

expect_eq() {
    local got=$1 want=$2 label=$3
    if [ "$got" != "$want" ]; then
        fail "$label: got [$got], expected [$want]"
    else
        pass
    fi
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_for_port() {
    local port=$1 limit=${2:-20} i
    for ((i = 0; i < limit * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "$TEST_NAME: $FAILURES of $((CHECKS + FAILURES)) checks failed" >&2
        exit 1
    fi
    echo "$TEST_NAME: all $CHECKS checks passed"
}

# can_run_as_nobody: true when the test runs as root and can drop to the
# `nobody` user. as_nobody ARGS...: rcommerce ARGS as `nobody`, through a copy
# of the binary in $WORK (made world-readable): the build folder may sit
# under a 0700 folder (a CI clone under `mktemp -d`) that nobody cannot enter.
can_run_as_nobody() {
    [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null && id nobody >/dev/null 2>&1
}
as_nobody() {
    if [ ! -x "$WORK/rcommerce-for-nobody" ]; then
        cp "$RC" "$WORK/rcommerce-for-nobody" && chmod 755 "$WORK/rcommerce-for-nobody" "$WORK"
    fi
    runuser -u nobody -- "$WORK/rcommerce-for-nobody" "$@"
}
