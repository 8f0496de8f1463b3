#!/usr/bin/env bash
# Builds every function for Lambda as the template deploys them (arm64, release,
# `provided.al2023`), zips each bootstrap as SAM would, prints each zip's size and the
# build's time, and checks the template offline: `sam validate --lint`, then `sam build`.
#
#   make package          (bash infra/package.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh package
rustup target add aarch64-unknown-linux-gnu >/dev/null
functions=(send reply listings notify sla-check broadcast reports realtime inbound-email)
# The floor the bench compares them with: hello, world on lambda_http, built the same way.
floor=lambda-floor
started=$(date +%s)
packages=()
for function in "${functions[@]}"; do packages+=(-p "$function"); done
packages+=(-p "$floor")
PATH=$PWD/.venv-package/bin:$PWD/.venv/bin:$PATH cargo lambda build --release --arm64 "${packages[@]}"
echo "built in $(( $(date +%s) - started )) s"
mkdir -p target/lambda-zips
for function in "${functions[@]}" floor; do
    zip=target/lambda-zips/$function.zip
    rm -f "$zip"
    (cd "target/lambda/$function" && python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED); z.write('bootstrap'); z.close()" "$OLDPWD/$zip")
    printf '%-10s bootstrap %6.1f MB, zipped %5.1f MB\n' "$function" \
        "$(stat -c%s "target/lambda/$function/bootstrap" | awk '{print $1 / 1048576}')" \
        "$(stat -c%s "$zip" | awk '{print $1 / 1048576}')"
done
SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint -t template.yaml
# SAM's own build (cargo-lambda per function, a beta builder), offline: on the binaries
# just built it finds everything fresh and only copies them.
started=$(date +%s)
PATH=$PWD/.venv-package/bin:$PWD/.venv/bin:$PATH SAM_CLI_TELEMETRY=0 \
    .venv-sam/bin/sam build --beta-features --build-dir target/sam-build -t template.yaml
echo "sam build in $(( $(date +%s) - started )) s"
