#!/usr/bin/env bash
# Runs the documentation's examples against a dev server, so they stay true.
#
#   cargo build -p local
#   target/debug/local serve --memory --demo --addr 127.0.0.1:3999 &
#   API=http://127.0.0.1:3999 bash infra/check-examples.sh
#
# Every ```sh block of README.md and docs/*.md (in the order of PAGES below) runs, in
# order, in one shell, in a scratch folder. A block whose fence reads ```sh no-run (the
# two make commands, a deploy) is shown to readers but not run. Before running, the text
# is adjusted: `cargo run -q -p local --` becomes the built target/debug/local, and
# http://127.0.0.1:3000 becomes $API (the `local sla-check` command reaches it through
# SAYPRO_ADDR).
#
# curl is a shell function here: any answer of HTTP 400 or more fails the run, except
# that a command whose line ends with `# expect NNN` must answer exactly NNN. The server
# must be fresh (`--memory --demo`): the examples save configuration over version 0.
# CHECK_VERBOSE=1 prints every command's output too.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

: "${API:?set API to the dev server, e.g. API=http://127.0.0.1:3999}"
API=${API%/}
LOCAL=${LOCAL:-$repo/target/debug/local}
[ -x "$LOCAL" ] || { echo "no $LOCAL: run cargo build -p local first" >&2; exit 1; }
command -v jq >/dev/null || { echo "the examples use jq: install it (apt-get install jq)" >&2; exit 1; }
curl -s -o /dev/null "$API/openapi.json" || { echo "no dev server answers at $API" >&2; exit 1; }

# The pages in reading order (each guide sets up its own tokens); pages not named here
# follow. CHECK_PAGES="docs/website.md" runs only those (on a fresh server, too).
if [ -n "${CHECK_PAGES:-}" ]; then
    read -r -a PAGES <<<"$CHECK_PAGES"
else
    PAGES=(README.md docs/website.md docs/admins.md docs/moderators.md
        docs/managers-and-finance.md docs/operators.md docs/architecture.md)
    for page in docs/*.md; do
        [[ " ${PAGES[*]} " == *" $page "* ]] || PAGES+=("$page")
    done
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The script to run: a prelude, then each block behind a marker naming where it is.
python3 - "$API" "$LOCAL" "${PAGES[@]}" >"$scratch/examples.sh" <<'PY'
import re, shlex, sys

api, local, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
out = []
for page in pages:
    lines = open(page, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        fence = re.match(r"^```sh(\s+(\S+))?\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, body = i + 1, []
        i += 1
        while not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if fence.group(2) == "no-run":
            continue
        text = "\n".join(body)
        text = text.replace("cargo run -q -p local --", shlex.quote(local))
        text = text.replace("http://127.0.0.1:3000", api)
        # `# expect NNN` at the end of a command: that curl must answer exactly NNN.
        # The command may span lines (trailing backslashes); mark its first curl.
        logical, current = [], []
        for line in text.split("\n"):
            current.append(line)
            if not line.endswith("\\"):
                logical.append(current)
                current = []
        if current:
            logical.append(current)
        lines_out = []
        for command in logical:
            expect = re.search(r"#\s*expect\s+(\d{3})\b", command[-1])
            if expect:
                for k, line in enumerate(command):
                    marked, n = re.subn(r"(^|[\s($|])curl ", rf"\1EXPECT={expect.group(1)} curl ", line, count=1)
                    if n:
                        command[k] = marked
                        break
                else:
                    sys.exit(f"{page}:{start}: '# expect' on a command without curl")
            lines_out.extend(command)
        out.append(f"__block {shlex.quote(page)}:{start}")
        out.append("\n".join(lines_out))
print("\n".join(out))
PY

cat >"$scratch/prelude.sh" <<'SH'
set -euo pipefail
__where=start
__block() {
    __where=$1
    echo "== $1" >&3
}
# curl as the examples call it, checking the status of every answer.
curl() {
    local headers body status want
    headers=$(mktemp) body=$(mktemp)
    local own_output=no arg
    for arg in "$@"; do
        case $arg in -o | --output) own_output=yes ;; esac
    done
    if [ $own_output = yes ]; then
        command curl -sS -D "$headers" "$@" || { echo "FAILED at $__where: curl $* (no answer)" >&3; return 1; }
    else
        command curl -sS -D "$headers" -o "$body" "$@" || { echo "FAILED at $__where: curl $* (no answer)" >&3; return 1; }
        cat "$body"
        [ -s "$body" ] && [ "$(tail -c 1 "$body")" != "" ] && echo   # end the line
    fi
    status=$(grep -E '^HTTP/' "$headers" | tail -n 1 | cut -d' ' -f2)
    want=${EXPECT:-}
    if { [ -n "$want" ] && [ "$status" != "$want" ]; } || { [ -z "$want" ] && [ "${status:-0}" -ge 400 ]; }; then
        {
            echo "FAILED at $__where: HTTP $status${want:+ (expected $want)}"
            echo "  curl $(printf '%q ' "$@")"
            [ $own_output = no ] && sed 's/^/  /' "$body" && echo
        } >&3
        echo "$__where" >>"$__failures"
        rm -f "$headers" "$body"
        return 1
    fi
    [ -n "$want" ] && echo "   answered $status as expected" >&3
    rm -f "$headers" "$body"
    return 0
}
SH

export API SAYPRO_ADDR=${API#*://}
export __failures=$scratch/failures
: >"$__failures"
cd "$scratch"
mkdir work && cd work
if [ "${CHECK_VERBOSE:-}" = 1 ]; then out=/dev/stdout; else out=$scratch/output; fi
status=0
bash -c 'source ../prelude.sh; source ../examples.sh' 3>&1 >"$out" 2>&1 || status=$?
if [ $status -ne 0 ] || [ -s "$__failures" ]; then
    [ "${CHECK_VERBOSE:-}" = 1 ] || { echo "-- output of the last commands:"; tail -n 20 "$scratch/output"; }
    echo "examples failed" >&2
    exit 1
fi
echo "all examples passed ($(grep -c '^__block' "$scratch/examples.sh") blocks)"
