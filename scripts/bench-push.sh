#!/usr/bin/env bash
# bench-push.sh: `s3keeper push` (a ticket's POST form, plain HTTP) against `aws s3 sync` (SigV4
# with real credentials) uploading the same directory to the same fake-s3 binary, in one run.
#
#   bash scripts/bench-push.sh            # 1,000 files of 4 KiB, release binaries
#   N=200 SIZE=65536 bash scripts/bench-push.sh
#
# Binaries: S3KEEPER_BIN and FAKE_S3_BIN (default target/release/…; `cargo build --release -p
# s3keeper -p fake-s3 --bins`). Needs the aws CLI. Each tool uploads to its own prefix of the
# uploads bucket; both run three times and the best time of each is reported, with the ratio.
# Figures in README come from this script.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEEPER=${S3KEEPER_BIN:-$ROOT/target/release/s3keeper}
FAKE=${FAKE_S3_BIN:-$ROOT/target/release/fake-s3}
N=${N:-1000}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-3}
die() { echo "bench-push: $*" >&2; exit 2; }
[ -x "$KEEPER" ] || die "no s3keeper at $KEEPER (cargo build --release -p s3keeper)"
[ -x "$FAKE" ] || die "no fake-s3 at $FAKE (cargo build --release -p fake-s3)"
command -v aws >/dev/null || die "the aws CLI is needed (pip install awscli)"

WORK=$(mktemp -d)
FAKE_PID=""
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

ROOT_AK=AKIABENCHROOT0000001
ROOT_SK=bench-root-secret-000000000000000000000001
cat >"$WORK/config.json" <<JSON
{"region": "us-east-1", "accounts": [{"id": "111122223333",
  "root_keys": [{"access_key_id": "$ROOT_AK", "secret_access_key": "$ROOT_SK"}]}]}
JSON
"$FAKE" --host 127.0.0.1 --port 0 --config "$WORK/config.json" >"$WORK/fake.out" 2>"$WORK/fake.log" </dev/null &
FAKE_PID=$!
# shellcheck source=listening.sh
. "$ROOT/scripts/listening.sh"
ENDPOINT=$(listening_url "$WORK/fake.out" "$FAKE_PID")
[ -n "$ENDPOINT" ] || die "fake-s3 did not start: $(cat "$WORK/fake.log")"

# Only the SDK's standard settings; nothing of the caller's AWS configuration.
export AWS_ENDPOINT_URL=$ENDPOINT AWS_ACCESS_KEY_ID=$ROOT_AK AWS_SECRET_ACCESS_KEY=$ROOT_SK
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export S3KEEPER_DATABASE_URL="sqlite://$WORK/keeper.db?mode=rwc" S3KEEPER_VERIFY_ENDPOINT=$ENDPOINT
export NO_PROXY='*'
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
"$KEEPER" setup >/dev/null

mkdir -p "$WORK/dir"
python3 - "$WORK/dir" "$N" "$SIZE" <<'PY'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    sub = os.path.join(d, f"part{i % 10}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i:05}.bin"), "wb") as f:
        f.write(os.urandom(size))
PY

now() { python3 -c 'import time; print(time.monotonic())'; }
best_push="" best_sync=""
for run in $(seq 1 "$RUNS"); do
    "$KEEPER" upload start --prefix "push-$run/" --expires 3600 >"$WORK/ticket.json"
    t0=$(now)
    "$KEEPER" push "$WORK/dir" --ticket "$WORK/ticket.json" >/dev/null 2>"$WORK/push.err" \
        || die "push failed: $(tail -5 "$WORK/push.err")"
    t1=$(now)
    aws s3 sync --only-show-errors "$WORK/dir" "s3://s3keeper-uploads/sync-$run/" \
        || die "aws s3 sync failed"
    t2=$(now)
    p=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
    s=$(python3 -c "print(f'{$t2 - $t1:.3f}')")
    echo "run $run: push ${p}s, aws s3 sync ${s}s"
    best_push=$(python3 -c "print(min(x for x in [$p, ${best_push:-1e9}]))")
    best_sync=$(python3 -c "print(min(x for x in [$s, ${best_sync:-1e9}]))")
done
count=$(aws s3 ls --recursive "s3://s3keeper-uploads/push-1/" | wc -l)
[ "$count" -eq "$N" ] || die "push-1/ holds $count objects, expected $N"
echo "best of $RUNS, $N files of $SIZE bytes: push ${best_push}s, aws s3 sync ${best_sync}s, sync/push $(python3 -c "print(f'{$best_sync / $best_push:.2f}')")x"
