#!/usr/bin/env bash
# The one test-and-check command (README, .ci/run): installs what it needs, starts moto
# server on 127.0.0.1, then runs fmt, clippy, every test (moto-backed included), the
# production path (infra/production-path.sh), the console's unit and browser tests, schemathesis against the dev server, a short load
# test (infra/load.sh), and cfn-lint.
set -euo pipefail
cd "$(dirname "$0")/.."

bash infra/bootstrap.sh

free_port() {
    python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}

port=${SAYPRO_MOTO_PORT:-$(free_port)}
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
echo "== the production path: the Lambda binaries under cargo lambda watch, a stage of template.yaml in moto"
bash infra/production-path.sh
cargo build --locked -p local
echo "== the typed client: generated from the served document (checked in), then type-checked"
target/debug/local openapi > target/openapi.json
(
    cd web
    npm ci --no-audit --no-fund --loglevel=error
    npx openapi-typescript ../target/openapi.json -o src/api/schema.d.ts
    git diff --exit-code -- src/api/schema.d.ts ||
        { echo "web/src/api/schema.d.ts is stale: run \`npm run api\` in web/ and commit it" >&2; exit 1; }
    npx tsc --noEmit
    echo "== the browser code: unit tests (Vitest), then the console's and the widget's builds"
    npx vitest run
    npm run build
)
# Starts a fresh in-memory dev server (extra flags: $@) on a free port; sets $server_url.
# Every process started here is stopped on exit.
pids="$moto_pid"
trap 'kill $pids 2>/dev/null || true; rm -f "$moto_log"' EXIT
start_dev_server() {
    local port
    port=$(free_port)
    target/debug/local serve --memory --addr "127.0.0.1:$port" "$@" >"target/dev-server-$port.log" 2>&1 &
    pids="$pids $!"
    server_url="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "$server_url/openapi.json" && return
        sleep 0.2
    done
    cat "target/dev-server-$port.log" >&2
    echo "the dev server did not start" >&2
    exit 1
}

echo "== schemathesis: the OpenAPI document against the dev server (no 5xx, responses as documented)"
start_dev_server
# One token reaches every route: a manager who is also a moderator.
token=$(target/debug/local token --sub schemathesis --groups manager,moderator --hours 2)
# The hooks teach it the raw email body of POST /local/inbound-email.
PYTHONPATH=infra SCHEMATHESIS_HOOKS=schemathesis_hooks \
    .venv/bin/schemathesis --no-color run "$server_url/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance \
    --phases examples,fuzzing --generation-deterministic --max-examples 30 \
    --workers 2

echo "== the documentation's examples, run against a fresh dev server"
start_dev_server --demo
API="$server_url" bash infra/check-examples.sh

echo "== the console in headless Chromium, against the same server (screenshots in target/)"
(cd web && SAYPRO_URL="$server_url" LOCAL=../target/debug/local node e2e/run.mjs)

echo "== the load test, short: 20 users for 30 s against a fresh dev server, no request may fail"
start_dev_server --demo
bash infra/load.sh --host "$server_url" -u 20 -r 10 -t 30s

echo "== cfn-lint template.yaml, sam validate --lint (offline), and the project's shell scripts parse"
.venv/bin/cfn-lint template.yaml
SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint -t template.yaml
for script in infra/*.sh .ci/run; do bash -n "$script"; done
echo "== all checks passed"
