#!/usr/bin/env bash
# CI entry point for the real-client checks: the aws CLI, boto3 and s3cmd against a fresh fake-s3.
#
#   scripts/real-clients.sh
#
# Installs missing clients with pip, builds target/debug/fake-s3 if needed, starts it on a free
# loopback port with scripts/fake-s3-config.json (and, for the Ceph dialect checks, a second one with
# scripts/fake-s3-ceph-config.json), runs check-aws-cli.sh, check_boto3.py, check-s3cmd.sh,
# check-access-points.sh, check_sts.py and check-ceph.sh (in parallel; REAL_CLIENTS_SERIAL=1 runs them
# one after the other), always stops the servers, and ends with the line `N passed, M failed`.
# Exits 1 if any check failed.
#
# Environment: FAKE_S3_BIN (use this binary, do not build), REAL_CLIENTS_SERIAL=1,
# REAL_CLIENTS_ONLY="aws boto3 s3cmd ap sts ceph features" (a subset), FEATURES_ONLY (sections of
# check_s3_features.py; default: every section), REAL_CLIENTS_KEEP_LOGS=1,
# REAL_CLIENTS_TIMEOUT (seconds per script, default 170).
set -u
SCRIPTS="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$SCRIPTS/.." && pwd)"
CONFIG="$SCRIPTS/fake-s3-config.json"
CEPH_CONFIG="$SCRIPTS/fake-s3-ceph-config.json"
START=$(date +%s)
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/real-clients.XXXXXX")
SERVER_PIDS=()
# Every request goes to loopback; a proxy from the caller's environment must not see any of it.
# (check-access-points.sh sets HTTP_PROXY to the fake itself for its own access point commands.)
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy

# stop_server PID (lib.sh, which the checks source too; only that function is used here).
. "$SCRIPTS/lib.sh"
cleanup() {
    for pid in ${SERVER_PIDS[@]+"${SERVER_PIDS[@]}"}; do stop_server "$pid"; done
    [ "${KEEP_LOGS:-0}" = 1 ] || rm -rf "$LOGS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "real-clients: $*" >&2; KEEP_LOGS=1; echo "logs kept in $LOGS"; echo "0 passed, 1 failed"; exit 1; }

# --- clients ----------------------------------------------------------------------------------------
PIP="python3 -m pip install -q --disable-pip-version-check"
need=()
command -v aws >/dev/null 2>&1 || need+=(awscli)
python3 -c 'import boto3' >/dev/null 2>&1 || need+=(boto3)
command -v s3cmd >/dev/null 2>&1 || need+=(s3cmd)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} with pip"
    $PIP "${need[@]}" >"$LOGS/pip.log" 2>&1 || { cat "$LOGS/pip.log" >&2; die "pip install ${need[*]} failed"; }
    hash -r
fi
command -v curl >/dev/null 2>&1 || die "curl is required"

# --- the binary -------------------------------------------------------------------------------------------
if [ -n "${FAKE_S3_BIN:-}" ]; then
    BIN=$FAKE_S3_BIN
else
    BIN="$ROOT/target/debug/fake-s3"
    # cargo decides whether anything changed (a no-op when up to date; waits for another build's lock).
    (cd "$ROOT" && cargo build -q -p fake-s3 --bin fake-s3) >"$LOGS/build.log" 2>&1 \
        || { tail -40 "$LOGS/build.log" >&2; die "cargo build -p fake-s3 failed"; }
fi
[ -x "$BIN" ] || die "no fake-s3 binary at $BIN"

# --- the servers on free ports ------------------------------------------------------------------------
# start_server NAME CONFIG: starts fake-s3, logging to $LOGS/NAME.{out,log}; sets ENDPOINT and SERVER_PID.
start_server() {
    local name=$1 config=$2
    "$BIN" --host 127.0.0.1 --port 0 --config "$config" >"$LOGS/$name.out" 2>"$LOGS/$name.log" </dev/null &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    ENDPOINT=$(listening_url "$LOGS/$name.out" "$SERVER_PID")
    if [ -z "$ENDPOINT" ]; then
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOGS/$name.out" "$LOGS/$name.log" >&2; die "fake-s3 ($config) exited at start-up"; }
        die "fake-s3 ($config) did not print its address within 10 s"
    fi
}
ONLY=" ${REAL_CLIENTS_ONLY:-aws boto3 s3cmd ap sts ceph features} "
# Every section of check_s3_features.py (the ceph one needs the Ceph-dialect server).
if [[ $ONLY == *" ceph "* ]]; then
    export FEATURES_ONLY="${FEATURES_ONLY:-versioning tagging acl cors copy canned_acl checksums multipart policy_keys listing post_presigned ceph}"
else
    export FEATURES_ONLY="${FEATURES_ONLY:-versioning tagging acl cors copy canned_acl checksums multipart policy_keys listing post_presigned}"
fi
servers=(server)   # the log names of the servers started, for the health checks below
start_server server "$CONFIG"
echo "fake-s3 ($BIN) listening on $ENDPOINT"
export FAKE_S3_ENDPOINT=$ENDPOINT FAKE_S3_CONFIG=$CONFIG
if [[ $ONLY == *" ceph "* ]]; then
    start_server ceph-server "$CEPH_CONFIG"
    echo "fake-s3 (Ceph dialect, $(basename "$CEPH_CONFIG")) listening on $ENDPOINT"
    export FAKE_S3_CEPH_ENDPOINT=$ENDPOINT FAKE_S3_CEPH_CONFIG=$CEPH_CONFIG
    servers+=(ceph-server)
fi

# --- the checks ---------------------------------------------------------------------------------------------
names=(); cmds=()
[[ $ONLY == *" aws "* ]] && { names+=(aws-cli); cmds+=("$SCRIPTS/check-aws-cli.sh"); }
[[ $ONLY == *" boto3 "* ]] && { names+=(boto3); cmds+=("python3 $SCRIPTS/check_boto3.py"); }
[[ $ONLY == *" s3cmd "* ]] && { names+=(s3cmd); cmds+=("$SCRIPTS/check-s3cmd.sh"); }
[[ $ONLY == *" ap "* ]] && { names+=(access-points); cmds+=("$SCRIPTS/check-access-points.sh"); }
[[ $ONLY == *" sts "* ]] && { names+=(sts); cmds+=("python3 $SCRIPTS/check_sts.py"); }
[[ $ONLY == *" ceph "* ]] && { names+=(ceph); cmds+=("$SCRIPTS/check-ceph.sh"); }
[[ $ONLY == *" features "* ]] && { names+=(features); cmds+=("python3 $SCRIPTS/check_s3_features.py"); }
LIMIT=${REAL_CLIENTS_TIMEOUT:-170}   # seconds per script; the whole run must stay under 3 minutes

run_one() { # run_one INDEX
    local i=$1
    timeout --kill-after=5 "$LIMIT" ${cmds[$i]} >"$LOGS/${names[$i]}.log" 2>&1
    echo $? >"$LOGS/${names[$i]}.rc"
}
if [ "${REAL_CLIENTS_SERIAL:-0}" = 1 ]; then
    for i in "${!names[@]}"; do run_one "$i"; cat "$LOGS/${names[$i]}.log"; done
else
    pids=()
    for i in "${!names[@]}"; do run_one "$i" & pids+=($!); done
    wait "${pids[@]}"
    for i in "${!names[@]}"; do cat "$LOGS/${names[$i]}.log"; done
fi

passed=0; failed=0
for n in "${names[@]}"; do
    p=$(grep -c '^PASS: ' "$LOGS/$n.log"); f=$(grep -c '^FAIL: ' "$LOGS/$n.log")
    rc=$(cat "$LOGS/$n.rc" 2>/dev/null || echo 1)
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "FAIL: $n finished within ${LIMIT}s (timed out)"; f=$((f + 1))
    elif ! grep -Eq "^$n: [0-9]+ passed, [0-9]+ failed\$" "$LOGS/$n.log"; then
        # It stopped early (a crash, a syntax error): the checks it never reached are not counted.
        echo "FAIL: $n ran to completion (exit $rc before its summary line; see its output above)"; f=$((f + 1))
    elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        echo "FAIL: $n ran to completion (exit $rc without a FAIL line; see its output above)"; f=$((f + 1))
    fi
    passed=$((passed + p)); failed=$((failed + f))
done

# The servers themselves: still up, and they never panicked.
requests=0
for i in "${!servers[@]}"; do
    srv=${servers[$i]}; pid=${SERVER_PIDS[$i]}
    label="fake-s3"; [ "$srv" = server ] || label="fake-s3 ($srv)"
    if kill -0 "$pid" 2>/dev/null; then
        echo "PASS: $label stayed up for the whole run"; passed=$((passed + 1))
    else
        echo "FAIL: $label stayed up for the whole run (it exited; last log lines below)"; failed=$((failed + 1))
        tail -20 "$LOGS/$srv.log"
    fi
    if grep -qi 'panicked' "$LOGS/$srv.log"; then
        echo "FAIL: $label logged no panic"; failed=$((failed + 1))
        grep -i -A5 'panicked' "$LOGS/$srv.log" | head -30
    else
        echo "PASS: $label logged no panic"; passed=$((passed + 1))
    fi
    requests=$((requests + $(grep -c ' request_id=' "$LOGS/$srv.log")))
done
echo "requests served: $requests; elapsed: $(( $(date +%s) - START ))s"
if [ "$failed" -gt 0 ] || [ "${REAL_CLIENTS_KEEP_LOGS:-0}" = 1 ]; then
    KEEP_LOGS=1
    echo "logs (client output, fake-s3's request log) kept in $LOGS"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
