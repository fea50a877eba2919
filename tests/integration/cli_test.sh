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

run "$RC"
expect_code 2 "no subcommand is a usage error"
expect_contains "$ERR" "rcommerce: error:" "usage errors use the one error format"

run "$RC" frobnicate
expect_code 2 "unknown subcommand"
expect_contains "$ERR" 'unknown command "frobnicate"' "the unknown command is named"
run "$RC" --log-level debug servee
expect_code 2 "misspelt subcommand"
expect_contains "$ERR" 'did you mean "serve"?' "the nearest command is suggested"
run "$RC" db migrat
expect_contains "$ERR" 'did you mean "migrate"?' "nested commands are suggested too"

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

# JSON logs are one object per line.
run "$RC" --log-format json --log-level debug config check --config good.toml
expect_code 0 "json log format accepted"

finish
