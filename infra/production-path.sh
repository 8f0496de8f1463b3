#!/usr/bin/env bash
# The production path (docs/operators.md#the-production-path): the real Lambda binaries
# under `cargo lambda watch`, on a stage of template.yaml made in moto server, driven by
# tests/tests/e2e/production_path.rs as Lambda would (HTTP events, the stream, the
# schedules). Debug builds; uses the moto server at $SAYPRO_MOTO_URL or starts one.
#
#   bash infra/production-path.sh          (part of `make test`)
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh

free_port() {
    python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}
wait_for() { # url, pid, log, what
    for _ in $(seq 1 150); do
        curl -s -o /dev/null "$1" && return
        kill -0 "$2" 2>/dev/null || { cat "$3" >&2; echo "$4 did not start" >&2; exit 1; }
        sleep 0.2
    done
    cat "$3" >&2; echo "$4 did not start" >&2; exit 1
}
mkdir -p target/production-path
pids=""
trap 'kill $pids 2>/dev/null || true' EXIT
if [ -z "${SAYPRO_MOTO_URL:-}" ]; then
    port=$(free_port)
    .venv/bin/moto_server -H 127.0.0.1 -p "$port" >target/production-path/moto.log 2>&1 &
    pids="$!"
    export SAYPRO_MOTO_URL="http://127.0.0.1:$port"
    wait_for "$SAYPRO_MOTO_URL/moto-api/" "$pids" target/production-path/moto.log "moto server"
fi

stage="path$(date +%s)"
.venv/bin/python infra/production-path/stage.py --endpoint "$SAYPRO_MOTO_URL" --stage "$stage" \
    >target/production-path/env
{
    echo "AWS_ENDPOINT_URL=$SAYPRO_MOTO_URL"
    echo "AWS_REGION=eu-west-1"
    echo "AWS_ACCESS_KEY_ID=test"
    echo "AWS_SECRET_ACCESS_KEY=test"
} >>target/production-path/env

# The binaries the harness invokes, built first so the watch starts each at once.
functions=(send reply notify sla-check broadcast reports inbound-email)
for function in "${functions[@]}"; do cargo build --locked --bin "$function"; done

port=$(free_port)
log=target/production-path/watch.log
PATH=$PWD/.venv/bin:$PATH cargo lambda watch --ignore-changes --invoke-address 127.0.0.1 \
    --invoke-port "$port" --env-file target/production-path/env >"$log" 2>&1 &
pids="$pids $!"
watch_pid=$!
wait_for "http://127.0.0.1:$port/" "$watch_pid" "$log" "cargo lambda watch"

table=$(sed -n "s/^TABLE_NAME='\(.*\)'$/\1/p" target/production-path/env)
SAYPRO_LAMBDA_URL="http://127.0.0.1:$port" SAYPRO_STAGE_TABLE="$table" \
    SAYPRO_WATCH_LOG="$PWD/$log" \
    cargo test --locked -p tests --test e2e -- --ignored --exact \
    production_path::a_message_an_escalation_and_a_report_through_the_lambda_binaries
