#!/usr/bin/env bash
# The one test-and-check command (README, .ci/run): installs what it needs, starts moto
# server on 127.0.0.1, then runs fmt, clippy, every test (moto-backed included) and cfn-lint.
set -euo pipefail
cd "$(dirname "$0")/.."

bash infra/bootstrap.sh

port=${SAYPRO_MOTO_PORT:-$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
moto_log=$(mktemp)
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$moto_log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true; rm -f "$moto_log"' EXIT
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
    if ! kill -0 "$moto_pid" 2>/dev/null; then cat "$moto_log" >&2; echo "moto server did not start" >&2; exit 1; fi
    sleep 0.2
done
export SAYPRO_MOTO_URL="http://127.0.0.1:$port"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test (the Table contract runs against moto server at $SAYPRO_MOTO_URL)"
cargo test --workspace --locked
echo "== cfn-lint template.yaml"
.venv/bin/cfn-lint template.yaml
echo "== all checks passed"
