#!/usr/bin/env bash
# The command line as a user meets it: version, help on every level, exit
# codes, the error format, and `config check|init|show`.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

run "$RC" --version
expect_code 0 "--version"
expect_contains "$OUT" "rcommerce " "--version prints the name"

run "$RC" --help
expect_code 0 "--help"
for sub in serve cert check-headers db apikey inventory config completions; do
    expect_contains "$OUT" "$sub" "--help lists $sub"
done

for sub in serve "cert issue" "cert renew" "cert list" "cert revoke" check-headers \
    "db migrate" "db status" "db rollback" "db seed" "apikey create" "apikey list" \
    "apikey revoke" "inventory report" "config check" "config init" "config show" \
    "completions bash" "completions zsh" "completions fish"; do
    # shellcheck disable=SC2086
    run "$RC" $sub --help
    expect_code 0 "$sub --help"
    expect_contains "$OUT" "Usage" "$sub --help prints usage"
done

# A configuration given as a pipe (process substitution) or /dev/null is read.
run "$RC" --config <(printf '[server]\nport = 9443\n') config show
expect_code 0 "--config <(...) is read"
expect_contains "$OUT" "port = 9443" "the piped configuration is used"
run "$RC" --config /dev/null config check
expect_code 0 "--config /dev/null means the defaults"
# An unreadable file is named with the reason, not taken for the defaults.
if can_run_as_nobody; then
    printf '[server]\nport = 9443\n' >private.toml && chmod 600 private.toml && chmod 755 "$WORK"
    run as_nobody --config "$WORK/private.toml" config check
    expect_code 2 "an unreadable configuration"
    expect_contains "$ERR" "private.toml: cannot be read: Permission denied" "the reason is given"
    expect_not_contains "$ERR" "built-in defaults" "an unreadable file is not called the defaults"
fi

# Output that cannot be written is a failure, never a silent truncated file.
if [ -w /dev/full ]; then
    for command in "config init" "--version" "completions bash"; do
        # shellcheck disable=SC2086
        run bash -c "\"\$0\" $command >/dev/full" "$RC"
        expect_code 1 "$command to a full disk"
        expect_contains "$ERR" "rcommerce: error: writing the output" \
            "$command names the failed write"
    done
fi
# A reader that stops early (`| head`) is no error.
run bash -o pipefail -c '"$0" config init | head -c 10 >/dev/null' "$RC"
expect_code 0 "config init | head"
expect_eq "$ERR" "" "config init | head prints no error"

run "$RC"
expect_code 2 "no subcommand is a usage error"
expect_contains "$ERR" "rcommerce: error:" "usage errors use the one error format"

run "$RC" db --help
expect_contains "$OUT" "Usage: rcommerce db" "usage lines name rcommerce, not the binary's path"

run "$RC" frobnicate
expect_code 2 "unknown subcommand"
expect_contains "$ERR" 'unknown command "frobnicate"' "the unknown command is named"
run "$RC" --log-level debug servee
expect_code 2 "misspelt subcommand"
expect_contains "$ERR" 'did you mean "serve"?' "the nearest command is suggested"
run "$RC" db migrat
expect_contains "$ERR" 'did you mean "migrate"?' "nested commands are suggested too"
run "$RC" completions powershell
expect_code 2 "an unknown shell"
expect_contains "$ERR" '`rcommerce completions` has no "powershell"' "the unknown shell is named"
expect_contains "$ERR" "bash, zsh, fish" "the shells there are are listed"
run "$RC" db seed --demo --seed -1
expect_code 2 "a negative --seed"
expect_contains "$ERR" "--seed: must be 0 or more, got -1" "a negative seed is said plainly"
run "$RC" check-headers --timeout 0 https://x.example
expect_contains "$ERR" "--timeout 0:" "the timeout is echoed as typed"
RCOMMERCE_DATABASE_URL="sqlite://$WORK/no-such-folder/x.db" run "$RC" db status
expect_code 2 "db status on a missing folder"
expect_contains "$ERR" "folder $WORK/no-such-folder does not exist either" \
    "the missing folder is named first"
RCOMMERCE_TLS_LETS_ENCRYPT_CACHE_DIR="$WORK/no-certs" run "$RC" cert renew
expect_code 0 "cert renew with an empty store has nothing due"
expect_contains "$ERR" "no certificates in $WORK/no-certs" "an empty store is said, not silent"

run "$RC" --log-level loud config init
expect_code 2 "bad --log-level"

# config check: three mistakes, all named with their lines, exit 2.
cat >bad.toml <<'TOML'
[server]
prot = 8443
http_port = "80"

[tls]
min_tls_version = "1.1"
TOML
run "$RC" config check --config bad.toml
expect_code 2 "config check on a bad file"
expect_contains "$ERR" 'bad.toml:2: unknown key "server.prot" (did you mean "port"?)' "misspelt key"
expect_contains "$ERR" 'bad.toml:3: server.http_port must be an integer' "wrong type"
expect_contains "$ERR" 'bad.toml:6: tls.min_tls_version must be one of "1.2", "1.3", got "1.1"' \
    "bad TLS version"

cat >good.toml <<'TOML'
[server]
port = 8443
http_port = 80

[tls]
min_tls_version = "1.3"
TOML
run "$RC" config check --config good.toml
expect_code 0 "config check on the fixed file"

run "$RC" config check --config missing.toml
expect_code 2 "missing config file"
expect_contains "$ERR" "missing.toml" "missing file is named"

# config init writes a file that config check accepts.
"$RC" config init >init.toml
run "$RC" config check --config init.toml
expect_code 0 "config init output is valid"

# The environment overrides the file; secrets are masked by config show.
run env RCOMMERCE_PAYMENT_STRIPE_API_KEY=sk_test_secretvalue RCOMMERCE_SERVER_PORT=9443 \
    "$RC" config show --config good.toml
expect_code 0 "config show"
expect_contains "$OUT" "port = 9443" "environment overrides file"
expect_not_contains "$OUT" "sk_test_secretvalue" "secret masked"
expect_contains "$OUT" 'api_key = "********"' "masked secret shown as stars"

# A secret in a file every user can read is warned about (never printed).
printf '[payment.stripe]\nwebhook_secret = "whsec_filesecret"\n' >secret.toml
chmod 644 secret.toml
run "$RC" config check --config secret.toml
expect_code 0 "a readable secret is a warning, not an error"
expect_contains "$ERR" "warning: secret.toml: holds the secret payment.stripe.webhook_secret" \
    "the exposed secret's key is named"
expect_contains "$ERR" "chmod 600" "the warning says how to fix it"
expect_not_contains "$ERR" "whsec_filesecret" "the secret itself is not printed"
chmod 600 secret.toml
run "$RC" config check --config secret.toml
expect_eq "$ERR" "" "no warning once only the owner can read it"

run env RCOMMERCE_CONFIG="$WORK/bad.toml" "$RC" config check
expect_code 2 "RCOMMERCE_CONFIG is honoured"

# ./rcommerce.toml is found without --config.
cp bad.toml rcommerce.toml
run "$RC" config check
expect_code 2 "./rcommerce.toml is the fallback"
rm rcommerce.toml

# Completions are valid shell.
"$RC" completions bash >c.bash
run bash -n c.bash
expect_code 0 "bash completion parses"
run bash -c "source c.bash; COMP_WORDS=(rcommerce db mi); COMP_CWORD=2; _rcommerce; echo \${COMPREPLY[*]}"
expect_contains "$OUT" "migrate" "bash completion completes db mi"
if command -v fish >/dev/null; then
    "$RC" completions fish >c.fish
    run fish -n c.fish
    expect_code 0 "fish completion parses"
fi

# Host names are checked as ACME and SNI will see them.
cat >hosts.toml <<'TOML'
[server]
host = "0.0.0.0:8443"
domains = ["https://shop.example.com", "shop.example.com", "bad name.example"]
[tls.lets_encrypt]
domains = ["shop.example.com/path"]
TOML
run "$RC" config check --config hosts.toml
expect_code 2 "bad host and domains are configuration errors"
expect_contains "$ERR" 'server.host "0.0.0.0:8443" is not an IP address' "a host with a port is named"
expect_contains "$ERR" 'entry "https://shop.example.com" is not a host name' "a URL in domains is named"
expect_contains "$ERR" 'entry "bad name.example"' "a name with a space is named"
expect_contains "$ERR" 'entry "shop.example.com/path"' "a path in lets_encrypt.domains is named"
expect_not_contains "$ERR" 'entry "shop.example.com" ' "a good name passes"
printf '[server]\nhost = "::"\ndomains = ["bücher.example", "*.shop.example.com"]\n' >hosts-ok.toml
run "$RC" config check --config hosts-ok.toml
expect_code 0 "IPv6 any-address, an IDN and a wildcard are accepted"
# Names the server answers to may be single labels and IP addresses; a
# certificate's names may not.
printf '[server]\nhost = "localhost"\ndomains = ["localhost", "127.0.0.1", "[::1]"]\n' >local.toml
run "$RC" config check --config local.toml
expect_code 0 "localhost, an IPv4 and a bracketed IPv6 address are accepted in server.domains"
printf '[server]\ndomains = ["::1"]\n[tls.lets_encrypt]\ndomains = ["localhost", "10.0.0.1"]\n' \
    >local-bad.toml
run "$RC" config check --config local-bad.toml
expect_code 2 "an unbracketed IPv6 address and unsignable certificate names are refused"
expect_contains "$ERR" '"[::1]"' "the hint shows the bracketed form"
expect_contains "$ERR" 'entry "localhost" is not a domain name a CA can sign' \
    "localhost is no certificate name"
expect_contains "$ERR" 'entry "10.0.0.1" is not a domain name a CA can sign' \
    "an IP is no certificate name"

# A folder given as --config is named as such.
mkdir -p confdir
run "$RC" config check --config confdir
expect_code 2 "--config DIR is a usage error"
expect_contains "$ERR" "is a directory, not a file" "the folder is named as a folder"

# Problems from the environment alone are not blamed on the defaults.
run env RCOMMERCE_SERVER_PORT=99999 "$RC" config check
expect_code 2 "a bad environment override"
expect_contains "$ERR" "RCOMMERCE_SERVER_PORT" "the variable is named"
expect_contains "$ERR" "environment overrides" "the heading mentions the environment"
run env RCOMMERCE_SERVER_DOMAINS=" a.example , b.example" "$RC" config show
expect_contains "$OUT" 'domains = ["a.example", "b.example"]' "list variables are comma-separated"

# serve without --migrate refuses a missing database without creating it.
printf '[database]\nurl = "sqlite://%s/missing.db"\n' "$WORK" >missing-db.toml
run "$RC" --config missing-db.toml serve
expect_code 2 "serve refuses a missing database"
expect_contains "$ERR" "does not exist" "the missing file is named"
expect_contains "$ERR" "serve --migrate" "the hint names --migrate"
[ ! -e "$WORK/missing.db" ] && pass || fail "serve created an empty database file"

# cert issue checks what it can locally before it contacts the CA (port 1:
# nothing listens, so reaching the network would give a connection error).
NOCA=https://127.0.0.1:1/dir
export RCOMMERCE_TLS_LETS_ENCRYPT_CACHE_DIR="$WORK/certs"
check_local() { # label expected-text args...
    local label=$1 text=$2
    shift 2
    run "$RC" cert issue --domain a.example "$@"
    expect_code 2 "$label is a usage error"
    expect_contains "$ERR" "$text" "$label is named"
}
check_local "an http:// directory" "HTTPS only" --directory http://ca.example:1/dir
check_local "a malformed e-mail" 'contact e-mail "no-at-sign"' --directory "$NOCA" \
    --email no-at-sign
check_local "an unreadable --ca-file" "CA file $WORK/nope.pem" --directory "$NOCA" \
    --ca-file "$WORK/nope.pem"
printf 'not a certificate\n' >"$WORK/garbage.pem"
check_local "a --ca-file with no certificate" "holds no PEM certificate" --directory "$NOCA" \
    --ca-file "$WORK/garbage.pem"
check_local "a missing webroot" "webroot $WORK/nowhere" --directory "$NOCA" \
    --webroot "$WORK/nowhere"
check_local "a missing DNS hook" "DNS hook $WORK/hook.sh" --directory "$NOCA" \
    --challenge dns-01 --dns-hook "$WORK/hook.sh"
run "$RC" cert issue --domain a.example --directory "$NOCA"
expect_code 1 "an unreachable CA is a failure"
expect_contains "$ERR" "could not connect" "the connection failure is said in words"
unset RCOMMERCE_TLS_LETS_ENCRYPT_CACHE_DIR

# JSON logs are one object per line, each with ts, level and msg.
printf '[database]\nurl = "sqlite://%s/logs.db"\n' "$WORK" >logs.toml
run "$RC" --config logs.toml db migrate
expect_code 0 "db migrate for the log test"
run "$RC" --log-format json --log-level debug --config logs.toml db seed --demo --products 20
expect_code 0 "db seed with JSON logs"
LOG_CHECK=$(printf '%s\n' "$ERR" | python3 -c '
import json, sys
lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
bad = [l for l in lines if not {"ts", "level", "msg"} <= set(json.loads(l))]
print(f"{len(lines)} lines, {len(bad)} without ts/level/msg")' 2>&1)
expect_contains "$LOG_CHECK" ", 0 without" "every JSON log line has ts, level and msg: $ERR"
expect_not_contains "$LOG_CHECK" "0 lines" "db seed logged its progress"

# Ctrl-C: a long command exits 130 of its own accord (not killed by the signal).
printf '[database]\nurl = "sqlite://%s/seed.db"\n' "$WORK" >seed.toml
run "$RC" --config seed.toml db migrate
INTERRUPTED=$(python3 - "$RC" "$WORK/seed.toml" <<'PY'
import signal, sqlite3, subprocess, sys, time
rc, config = sys.argv[1], sys.argv[2]
p = subprocess.Popen([rc, "--config", config, "db", "seed", "--demo", "--products", "2000000"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
# Interrupt once the seed has committed its first rows (its locations).
database = config.replace("seed.toml", "seed.db")
deadline = time.time() + 30
while time.time() < deadline:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as c:
            if c.execute("SELECT count(*) FROM locations").fetchone()[0] > 0:
                break
    except sqlite3.Error:
        pass
    time.sleep(0.05)
p.send_signal(signal.SIGINT)
print(p.wait(timeout=30))
PY
)
expect_eq "$INTERRUPTED" "130" "an interrupted db seed exits 130"
run "$RC" --config seed.toml db seed --demo
expect_code 1 "a second seed after an interrupted one is refused"
expect_contains "$ERR" "interrupted seed" "the refusal says how to recover from an interrupted seed"

run "$RC" --config logs.toml db seed --demo --products 0
expect_code 2 "--products 0 is a usage error"
run "$RC" --config logs.toml db seed --demo --products 99999999999999
expect_code 2 "an absurd --products is a usage error"
run "$RC" --config logs.toml db seed --demo --seed -1
expect_code 2 "a negative --seed is a usage error"

finish
