#!/usr/bin/env bash
# bench-fake-instructions.sh: what one request costs fake-s3 in CPU instructions, beside the bare
# hyper server (fake-s3/examples/bare_get.rs), counted by valgrind's callgrind. A second number
# to scripts/bench-fake-get.sh's rates: wrk's figures move with whatever else the machine runs,
# instruction counts do not, so this shows whether a change made a request cheaper even on a
# noisy machine. The server starts under callgrind, its counters are zeroed once the bucket and
# object exist, N requests go over one keep-alive connection, and the counters are dumped.
#
#   scripts/bench-fake-instructions.sh          # builds both in release if needed
#
# Environment: FAKE_S3_BIN, BARE_BIN (use these binaries), BENCH_REQUESTS (default 2000),
# BENCH_METHODS ("GET PUT"), BENCH_KEEP=DIR (keep the callgrind files there, for callgrind_annotate
# --inclusive=yes: where the instructions go). Needs valgrind (callgrind_control) and python3 with boto3. Under
# valgrind, SHA-256 runs without the CPU's SHA extensions, so the signature check counts for more
# than it costs natively; the bare server signs nothing. Not part of CI. Exit 2 when it cannot start.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${BENCH_REQUESTS:-2000}"
METHODS="${BENCH_METHODS:-GET PUT}"
bad() { echo "bench-fake-instructions: $*" >&2; exit 2; }

case "$N" in '' | *[!0-9]*) bad "BENCH_REQUESTS is a whole number" ;; esac
command -v callgrind_control >/dev/null || bad "valgrind is not installed (apt-get install valgrind)"
python3 -c 'import boto3' 2>/dev/null || bad "python3 with boto3 is needed (pip install boto3)"
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_binaries

TMPD=$(mktemp -d)
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT
wait_port() {
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# client.py URL METHOD N: N requests over one keep-alive connection, each answered 200.
cat >"$TMPD/client.py" <<'PY'
import sys, http.client, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1]); method = sys.argv[2]; n = int(sys.argv[3])
c = http.client.HTTPConnection(u.hostname, u.port)
body = b"x" * 1024 if method == "PUT" else None
path = u.path + ("?" + u.query if u.query else "")
for _ in range(n):
    c.request(method, path, body=body, headers={"Content-Type": "application/octet-stream"} if body else {})
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit(f"status {r.status}")
PY

# measure KIND METHOD: instructions per request.
measure() {
    local kind=$1 method=$2 port out
    port=$(free_port)
    out="$TMPD/$kind.$method"
    if [ "$kind" = bare ]; then
        valgrind --tool=callgrind --callgrind-out-file="$out.cg" "$BARE" "$port" >"$out.out" 2>"$out.log" &
    else
        valgrind --tool=callgrind --callgrind-out-file="$out.cg" "$FAKE" --port "$port" >"$out.out" 2>"$out.log" &
    fi
    PID=$!
    wait_port "$port" || bad "$kind did not start under valgrind: $(tail -3 "$out.log")"
    local url
    if [ "$kind" = bare ]; then
        url="http://127.0.0.1:$port/bench/obj"
    else
        for _ in $(seq 100); do grep -q '^export AWS_SECRET' "$out.out" && break; sleep 0.2; done
        url=$( (eval "$(grep '^export AWS_' "$out.out")"; python3 - "http://127.0.0.1:$port" "$method" <<'PY'
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="bench")
s3.put_object(Bucket="bench", Key="obj", Body=b"x" * 1024)
op = "get_object" if sys.argv[2] == "GET" else "put_object"
key = "obj" if sys.argv[2] == "GET" else "put"
print(s3.generate_presigned_url(op, Params={"Bucket": "bench", "Key": key}, ExpiresIn=3600))
PY
) ) || bad "cannot set up the bucket"
    fi
    # One request before zeroing, so the connection's own set-up is not counted.
    python3 "$TMPD/client.py" "$url" "$method" 1 || bad "the first $method to $kind failed"
    callgrind_control -z "$PID" >/dev/null 2>&1 || bad "callgrind_control cannot reach $kind"
    python3 "$TMPD/client.py" "$url" "$method" "$N" || bad "a $method to $kind failed"
    callgrind_control -d "$PID" >/dev/null 2>&1
    kill "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
    PID=""
    # The dump after zeroing holds exactly the N requests (its `totals:` line).
    local total
    total=$(cat "$out.cg".* 2>/dev/null | awk '/^totals:/ {print $2}' | sort -n | tail -1)
    [ -n "$total" ] || bad "no callgrind dump for $kind"
    if [ -n "${BENCH_KEEP:-}" ]; then
        mkdir -p "$BENCH_KEEP" && cp "$out".cg.* "$BENCH_KEEP/" 2>/dev/null
    fi
    echo $((total / N))
}

echo "bench-fake-instructions: $N requests per server over one keep-alive connection, instructions per request (callgrind)"
for method in $METHODS; do
    b=$(measure bare "$method")
    f=$(measure fake "$method")
    printf '%s: bare %d, fake-s3 %d instructions per request (%.1fx)\n' "$method" "$b" "$f" \
        "$(python3 -c "print($f/$b)")"
done
