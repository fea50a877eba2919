#!/usr/bin/env bash
# Benchmark (not a test): auditing one HTTPS URL on loopback, nginx with TLS
# 1.2 and 1.3, measured with hyperfine. The audit is four handshakes (the
# request and the TLS 1.2/1.1/1.0 probes, run concurrently) and one request;
# the target is well under a second.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/../integration/audit_nginx.sh"
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 1; }

make_test_certs
start_nginx bench "TLSv1.2 TLSv1.3" 'add_header Strict-Transport-Security "max-age=63072000" always;'
URL="https://127.0.0.1:$HTTPS_PORT/"

hyperfine --warmup 3 --runs "${BENCH_RUNS:-30}" --export-json "$WORK/bench.json" \
    "$RC check-headers --ca-file $WORK/ca.pem --format json $URL" >&2
python3 - "$WORK/bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"check-headers, one HTTPS URL on loopback: mean {r['mean']*1000:.1f} ms, "
      f"min {r['min']*1000:.1f} ms, max {r['max']*1000:.1f} ms over {len(r['times'])} runs")
PY
finish
