#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, into the project only:
# a Python venv at .venv with moto server (the AWS emulator), cfn-lint, schemathesis and
# Locust with websocket-client (the load test, infra/load.sh);
# Node.js and npm (the console's build and tests; packages by web/package-lock.json);
# Debian's Chromium for the browser tests (never a browser download).
# Safe to run repeatedly: it reinstalls only when requirements.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    echo "bootstrap: python3-venv missing, installing it with apt-get" >&2
    apt-get update -qq && apt-get install -y -qq python3-venv python3-pip >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "bootstrap: Node.js and npm missing, installing them with apt-get" >&2
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if ! [ -x /usr/bin/chromium ]; then
    echo "bootstrap: chromium missing, installing Debian's package with apt-get" >&2
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
for tool in curl jq; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bootstrap: $tool missing, installing it with apt-get" >&2
        apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null
    fi
done

stamp=.venv/.requirements.sha256
want=$(sha256sum infra/requirements.txt | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
echo "$want" > "$stamp"
