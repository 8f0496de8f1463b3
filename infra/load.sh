#!/usr/bin/env bash
# The load test (infra/load/locustfile.py), headless: users, agents and sockets against
# one stage, then a p50/p99 table per operation from Locust's CSV (target/load_*.csv).
# Exits non-zero if any request failed (or Locust recorded an exception, or nothing ran).
#
#   infra/load.sh --host URL [-u USERS] [-r RATE] [-t RUN_TIME] [--tokens FILE] [locust options...]
#
# --host (or SAYPRO_LOAD_HOST) is required. Defaults: 20 users, 10 started a second, 30s.
# Tokens (--tokens or SAYPRO_LOAD_TOKENS): the JSON file the locustfile describes. Against
# a dev server on 127.0.0.1 or localhost without one, it mints one user token per Locust
# user with target/debug/local (infra/load/dev_tokens.py). Anything else goes to Locust,
# e.g. --agents 5 --sockets 50 --listings L-1001,L-1002,L-1003.
set -euo pipefail
cd "$(dirname "$0")/.."

host=${SAYPRO_LOAD_HOST:-}
users=20
rate=10
run_time=30s
tokens=${SAYPRO_LOAD_TOKENS:-}
agents=3
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --host) host=$2; shift 2 ;;
        -u|--users) users=$2; shift 2 ;;
        -r|--spawn-rate) rate=$2; shift 2 ;;
        -t|--run-time) run_time=$2; shift 2 ;;
        --tokens) tokens=$2; shift 2 ;;
        --agents) agents=$2; extra+=("$1" "$2"); shift 2 ;;
        *) extra+=("$1"); shift ;;
    esac
done
[ -n "$host" ] || { echo "load.sh: --host URL (or SAYPRO_LOAD_HOST) is required" >&2; exit 2; }
[ -x .venv/bin/locust ] || bash infra/bootstrap.sh

if [ -z "$tokens" ]; then
    case "$host" in
        http://127.0.0.1:*|http://localhost:*) ;;
        *) echo "load.sh: --tokens FILE (or SAYPRO_LOAD_TOKENS) is required for $host" >&2; exit 2 ;;
    esac
    tokens=target/load-tokens.json
    python3 infra/load/dev_tokens.py --users "$users" --agents "$agents" --out "$tokens" >/dev/null
fi

mkdir -p target
rm -f target/load_stats.csv target/load_failures.csv target/load_exceptions.csv target/load_stats_history.csv
status=0
.venv/bin/locust -f infra/load/locustfile.py --headless --only-summary \
    -u "$users" -r "$rate" --run-time "$run_time" --host "$host" --tokens "$tokens" \
    --csv target/load "${extra[@]}" || status=$?

.venv/bin/python - "$status" <<'EOF' || exit 1
import csv, sys

status = int(sys.argv[1])
try:
    rows = list(csv.DictReader(open("target/load_stats.csv")))
except FileNotFoundError:
    sys.exit(f"load.sh: Locust wrote no statistics (exit code {status})")
ops = [r for r in rows if r["Name"] != "Aggregated"]
total = next((r for r in rows if r["Name"] == "Aggregated"), None)
width = max([len(f"{r['Type']} {r['Name']}") for r in ops] + [len("operation")])
print(f"\n{'operation':<{width}}  {'requests':>8}  {'failed':>6}  {'p50 ms':>7}  {'p99 ms':>7}  {'req/s':>6}")
for r in ops + ([total] if total else []):
    name = f"{r['Type']} {r['Name']}".strip() if r is not total else "all"
    print(f"{name:<{width}}  {r['Request Count']:>8}  {r['Failure Count']:>6}  {r['50%']:>7}  {r['99%']:>7}"
          f"  {float(r['Requests/s']):>6.2f}")
failures = list(csv.DictReader(open("target/load_failures.csv")))
exceptions = list(csv.DictReader(open("target/load_exceptions.csv")))
for f in failures:
    print(f"FAILED {f['Occurrences']}x {f['Method']} {f['Name']}: {f['Error']}")
for e in exceptions:
    print(f"EXCEPTION {e['Count']}x {e['Message']}\n{e['Traceback']}")
requests = int(total["Request Count"]) if total else 0
failed = int(total["Failure Count"]) if total else 0
if failed or failures or exceptions or requests == 0 or status != 0:
    sys.exit(f"load.sh: {failed} of {requests} requests failed, {len(exceptions)} exceptions (Locust exit code {status})")
print(f"load.sh: {requests} requests, none failed (CSV: target/load_stats.csv)")
EOF
