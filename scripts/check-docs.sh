#!/usr/bin/env bash
# check-docs.sh: runs every fenced block the docs mark as checked, so the commands they show cannot
# drift from the binaries.
#
#   scripts/check-docs.sh [FILE.md ...]        (default: README.md and docs/*.md)
#
# A checked block is a fence opened with exactly ```sh checked (at the start of a line) and closed
# with ```. Each runs as a script of its own with `bash -euo pipefail`, in a fresh temporary
# directory, with:
# - `s3keeper` and `fake-s3` on PATH: $S3KEEPER_BIN and $FAKE_S3_BIN (default target/debug/…);
# - $ROOT, the repository root (a block may `cd "$ROOT"` to read the repository's files; it must
#   not write there);
# - none of the caller's AWS_*, S3KEEPER_* or proxy settings, and an empty aws CLI configuration;
# - a time limit of $CHECK_DOCS_TIMEOUT seconds (120); whatever a block leaves running (a
#   fake-s3 in the background) is stopped when it ends.
# A block may start with a comment `# needs: TOOL ...` naming the commands it uses beyond bash,
# coreutils and the two binaries; a missing one fails the block with its name.
# Blocks that cannot run here (real AWS, a deployment, cargo itself) stay plain ```sh.
#
# Output: `PASS: FILE:LINE (first command)` or `FAIL: …` with the block's last lines of output, one
# per block (CHECK_DOCS_SHOW=1 shows every block's output), then `docs: N passed, M failed`.
# Exit 1 if a block failed or none was found, 2 if it could not start.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TIMEOUT=${CHECK_DOCS_TIMEOUT:-120}

bad() { echo "check-docs: $*" >&2; exit 2; }
KEEPER=${S3KEEPER_BIN:-$ROOT/target/debug/s3keeper}
FAKE=${FAKE_S3_BIN:-$ROOT/target/debug/fake-s3}
[ -x "$KEEPER" ] || bad "no s3keeper binary at $KEEPER (build it: cargo build -p s3keeper -p fake-s3 --bins, or set S3KEEPER_BIN)"
[ -x "$FAKE" ] || bad "no fake-s3 binary at $FAKE (build it: cargo build -p s3keeper -p fake-s3 --bins, or set FAKE_S3_BIN)"
command -v timeout >/dev/null 2>&1 || bad "timeout (coreutils) is needed on PATH"
command -v setsid >/dev/null 2>&1 || bad "setsid (util-linux) is needed on PATH"

if [ "$#" -gt 0 ]; then
    files=("$@")
else
    cd "$ROOT" || bad "cannot enter $ROOT"
    files=(README.md docs/*.md)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-docs.XXXXXX") || bad "cannot make a temporary directory"
current=""   # the session of the block running, stopped with it if this script is interrupted
trap '[ -z "$current" ] || kill -TERM -- "-$current" 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/bin" "$WORK/blocks"
ln -s "$KEEPER" "$WORK/bin/s3keeper"
ln -s "$FAKE" "$WORK/bin/fake-s3"
: >"$WORK/aws-empty"

# Each checked block to $WORK/blocks/N.sh, and "N<TAB>FILE:LINE" to the index.
: >"$WORK/index"
n=0
for f in "${files[@]}"; do
    [ -f "$f" ] || bad "no such file: $f"
    n=$(awk -v file="$f" -v dir="$WORK/blocks" -v n="$n" -v index_file="$WORK/index" '
        !inblock && /^```sh checked[ \t]*$/ { inblock = 1; n++; out = dir "/" n ".sh"; printf "" > out
                                               print n "\t" file ":" FNR >> index_file; next }
        inblock && /^```[ \t]*$/          { inblock = 0; close(out); next }
        inblock                           { print >> out }
        END { if (inblock) { print "check-docs: " file ": a checked block opened and never closed" > "/dev/stderr"; exit 3 }
              print n }
    ' "$f") || bad "could not read the blocks of $f"
done

passed=0
failed=0
while IFS=$'\t' read -r i where; do
    block="$WORK/blocks/$i.sh"
    label=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' -e '^cd "$ROOT"$' "$block" | head -n 1 |
        sed 's/[[:space:]][[:space:]]*#.*//' | cut -c1-70)
    needs=$(sed -n '1s/^#[[:space:]]*needs:[[:space:]]*//p' "$block")
    missing=""
    for tool in $needs; do
        command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
    done
    if [ -n "$missing" ]; then
        echo "FAIL: $where ($label): needs$missing, not installed"
        failed=$((failed + 1))
        continue
    fi
    dir="$WORK/run-$i"
    mkdir -p "$dir"
    # A session of its own, so that everything the block starts can be stopped with it.
    (
        cd "$dir" || exit 2
        for v in $(compgen -e); do
            case "$v" in
            AWS_* | S3KEEPER_* | HTTP_PROXY | HTTPS_PROXY | ALL_PROXY | NO_PROXY | http_proxy | https_proxy | all_proxy | no_proxy)
                unset "$v" ;;
            esac
        done
        export PATH="$WORK/bin:$PATH" ROOT TMPDIR="$dir"
        export AWS_CONFIG_FILE="$WORK/aws-empty" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-empty" \
            AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
        exec setsid timeout -k 5 "$TIMEOUT" bash -euo pipefail "$block" </dev/null
    ) >"$dir/output" 2>&1 &
    current=$!
    wait "$current"
    rc=$?
    kill -TERM -- "-$current" 2>/dev/null
    current=""
    if [ "$rc" -eq 0 ]; then
        echo "PASS: $where ($label)"
        [ "${CHECK_DOCS_SHOW:-0}" != 1 ] || sed 's/^/    /' "$dir/output"
        passed=$((passed + 1))
    else
        if [ "$rc" -eq 124 ]; then why="timed out after ${TIMEOUT}s"; else why="exit $rc"; fi
        echo "FAIL: $where ($label): $why; its last lines:"
        tail -n 20 "$dir/output" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
done <"$WORK/index"

echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
