#!/usr/bin/env bash
# Builds every function for Lambda as the template deploys them (arm64, release,
# `provided.al2023`), zips each bootstrap as SAM would, prints each zip's size and the
# build's time, and checks the template (`sam validate --lint`, offline).
#
#   make package          (bash infra/package.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh package
rustup target add aarch64-unknown-linux-gnu >/dev/null
functions=(send reply listings notify sla-check broadcast reports realtime)
started=$(date +%s)
packages=()
for function in "${functions[@]}"; do packages+=(-p "$function"); done
PATH=$PWD/.venv-package/bin:$PATH cargo lambda build --release --arm64 "${packages[@]}"
echo "built in $(( $(date +%s) - started )) s"
mkdir -p target/lambda-zips
for function in "${functions[@]}"; do
    zip=target/lambda-zips/$function.zip
    rm -f "$zip"
    (cd "target/lambda/$function" && python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED); z.write('bootstrap'); z.close()" "$OLDPWD/$zip")
    printf '%-10s bootstrap %6.1f MB, zipped %5.1f MB\n' "$function" \
        "$(stat -c%s "target/lambda/$function/bootstrap" | awk '{print $1 / 1048576}')" \
        "$(stat -c%s "$zip" | awk '{print $1 / 1048576}')"
done
SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint -t template.yaml
