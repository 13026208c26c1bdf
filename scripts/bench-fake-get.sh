#!/usr/bin/env bash
# bench-fake-get.sh: fake-s3's speed as a client sees it (issue 21). The release `fake-s3` binary
# and a bare hyper server (fake-s3/examples/bare_get.rs: the same server settings and allocator on
# the runtime `#[tokio::main]` gives, the faster of its shapes but one (docs/benchmarks.md),
# answering every request with the same 1 KiB) run side by side on loopback; wrk drives each in
# turn, alternating, with the same settings: a presigned SigV4 1 KiB GET (and a presigned 1 KiB
# PUT), keep-alive, 1 thread, 16 connections. Prints each round's rates, then the median ratio
# fake / bare per method.
#
#   scripts/bench-fake-get.sh            # builds both in release if needed (minutes on 2 cores)
#
# Environment: FAKE_S3_BIN, BARE_BIN (use these binaries), BENCH_SECONDS (per run, default 10),
# BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (16), BENCH_METHODS ("GET PUT"), BENCH_BARE_WORKERS
# (the bare server's worker threads; default one per core, as `#[tokio::main]` gives).
# fake-s3 logs its one line per request (SPEC §3.1) to a file, as a user running it would.
# Installs wrk with apt-get when missing. Not part of CI: run it by hand; figures go to
# docs/benchmarks.md. Exit 2 when it cannot start.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${BENCH_SECONDS:-10}"
ROUNDS="${BENCH_ROUNDS:-3}"
CONNS="${BENCH_CONNECTIONS:-16}"
METHODS="${BENCH_METHODS:-GET PUT}"
bad() { echo "bench-fake-get: $*" >&2; exit 2; }

BARE_WORKERS="${BENCH_BARE_WORKERS:-}"
case "$SECS$ROUNDS$CONNS$BARE_WORKERS" in *[!0-9]*) bad "BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS and BENCH_BARE_WORKERS are whole numbers" ;; esac
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; }) \
            || bad "cannot install wrk (apt-get install wrk)"
    else
        bad "wrk is not installed (sudo apt-get install wrk)"
    fi
fi
python3 -c 'import boto3' 2>/dev/null || bad "python3 with boto3 is needed (pip install boto3)"

# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_binaries

TMPD=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT

wait_port() { # wait_port PORT
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

FPORT=$(free_port)
"$FAKE" --port "$FPORT" >"$TMPD/fake.out" 2>"$TMPD/fake.log" &
PIDS+=($!)
BPORT=$(free_port)
# shellcheck disable=SC2086 # no workers given: no argument
"$BARE" "$BPORT" $BARE_WORKERS >"$TMPD/bare.out" 2>&1 &
PIDS+=($!)
wait_port "$FPORT" || bad "fake-s3 did not start: $(tail -3 "$TMPD/fake.log")"
wait_port "$BPORT" || bad "the bare server did not start: $(cat "$TMPD/bare.out")"

# The default fake's root key (printed by the binary): a bucket, a 1 KiB object, presigned URLs.
eval "$(grep '^export AWS_' "$TMPD/fake.out")"
python3 - "http://127.0.0.1:$FPORT" "$TMPD" <<'PY' || bad "cannot set up the bucket"
import sys, boto3
from botocore.config import Config
ep, out = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=ep, config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="bench")
s3.put_object(Bucket="bench", Key="obj", Body=b"x" * 1024)
get = s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": "obj"}, ExpiresIn=3600)
put = s3.generate_presigned_url("put_object", Params={"Bucket": "bench", "Key": "put"}, ExpiresIn=3600)
open(out + "/get.url", "w").write(get)
open(out + "/put.url", "w").write(put)
PY
cat >"$TMPD/put.lua" <<'LUA'
wrk.method = "PUT"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
[ "$(curl -s -o /dev/null -w '%{http_code}' "$(cat "$TMPD/get.url")")" = 200 ] || bad "the presigned GET does not answer 200"

# rate URL [LUA]: wrk's Requests/sec, and non-2xx answers must be none.
rate() {
    local args=(-t1 -c"$CONNS" -d"${SECS}s" --latency)
    [ -n "${2:-}" ] && args+=(-s "$2")
    wrk "${args[@]}" "$1" >"$TMPD/wrk.txt" 2>&1 || { cat "$TMPD/wrk.txt" >&2; echo 0; return; }
    if grep -q "Non-2xx" "$TMPD/wrk.txt"; then
        echo "bench-fake-get: non-2xx answers: $(grep Non-2xx "$TMPD/wrk.txt")" >&2
    fi
    awk '/Requests\/sec/ {printf "%d", $2}' "$TMPD/wrk.txt"
}

echo "bench-fake-get: wrk -t1 -c$CONNS -d${SECS}s, $ROUNDS rounds, bare server then fake-s3 alternately; $(nproc) cores"
for method in $METHODS; do
    ratios=()
    for r in $(seq "$ROUNDS"); do
        if [ "$method" = PUT ]; then
            b=$(rate "http://127.0.0.1:$BPORT/bench/put" "$TMPD/put.lua")
            f=$(rate "$(cat "$TMPD/put.url")" "$TMPD/put.lua")
        else
            b=$(rate "http://127.0.0.1:$BPORT/bench/obj")
            f=$(rate "$(cat "$TMPD/get.url")")
        fi
        ratio=$(python3 -c "print(f'{$f/$b:.2f}' if $b else 'n/a')")
        ratios+=("$ratio")
        printf '%s round %d: bare %7d req/s, fake-s3 %7d req/s, ratio %s\n' "$method" "$r" "$b" "$f" "$ratio"
    done
    median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$method: median ratio fake-s3 / bare = $median"
done
kill -0 "${PIDS[0]}" 2>/dev/null || bad "fake-s3 died during the run: $(tail -3 "$TMPD/fake.log")"
echo "bench-fake-get: fake-s3 logged $(wc -l <"$TMPD/fake.log") lines"
