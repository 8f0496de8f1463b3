#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, into the project only:
# a Python venv at .venv with moto server (the AWS emulator), cfn-lint, schemathesis and
# Locust with websocket-client (the load test, infra/load.sh) and cargo-lambda (the
# production path, infra/production-path.sh); the SAM CLI in .venv-sam
# (`sam validate --lint`, `sam build`, `sam deploy`);
# Node.js and npm (the console's build and tests; packages by web/package-lock.json);
# Debian's Chromium for the browser tests (never a browser download).
# Safe to run repeatedly: it reinstalls a venv only when its requirements changed.
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

# A venv at $1 with the pinned requirements $2, made again only when they change.
venv() {
    local dir=$1 requirements=$2 stamp="$1/.requirements.sha256" want
    want=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" > "$stamp"
}
venv .venv infra/requirements.txt
# SAM CLI in its own venv: it pins an older boto3 than moto's.
venv .venv-sam infra/requirements-sam.txt
# `bootstrap.sh package`: also Zig, the arm64 linker of `make package`, which tests need not.
if [ "${1:-}" = package ]; then
    venv .venv-package infra/requirements-package.txt
fi
