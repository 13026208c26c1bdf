#!/usr/bin/env bash
# check-rgw.sh: issue 23's checks against a real Ceph RGW 16.2, for CI. It installs nothing itself:
# `scripts/start-rgw.sh start` (which installs Debian's Ceph packages when they are missing) starts a
# one-node RGW, `start-rgw.sh users` makes the users of scripts/fake-s3-shares-ceph.json and
# scripts/fake-s3-ceph-config.json, then the parts run one after the other (two of them sign as the
# same users, and check-shares.sh reads RGW's access log as the journal of s3keeper's calls):
#
#   diff    python3 scripts/rgw-diff.py: the same requests against RGW and fake-s3's Ceph dialect
#   shares  scripts/check-shares.sh with CHECK_SHARES_CEPH_ENDPOINT=RGW (its AWS part on a fake)
#   ceph    FAKE_S3_CEPH_ENDPOINT=RGW scripts/check-ceph.sh (the LTS guide's policies with s3cmd)
#
#   scripts/check-rgw.sh                         # all three
#   RGW_CHECKS_ONLY="diff shares" scripts/check-rgw.sh
#
# Settings: S3KEEPER_BIN, FAKE_S3_BIN (default target/debug/s3keeper, target/debug/fake-s3; `cargo
# build --bins`), RGW_CHECKS_ONLY (a subset of "diff shares ceph"), and start-rgw.sh's RGW_DIR,
# RGW_PORT, RGW_MON_PORT, RGW_TIMEOUT. An RGW already running in RGW_DIR is used and left running;
# one this script started is always stopped (its logs kept in RGW_DIR/log when a part failed, or with
# RGW_KEEP_LOGS=1). s3cmd, the aws CLI, python3 with boto3 and requests, and curl must be on PATH
# (scripts/real-clients.sh installs the clients).
#
# Output: each part's own output, then one line per part,
#   check-rgw: PART PASS|FAIL: its summary (exit status) (T s)
# (a part that skipped checks fails: check-shares.sh skips its journal checks without RGW's log)
# and `check-rgw: N passed, M failed` over the parts. Exit 0 when every part passed, 1 when one
# failed, 2 on bad usage or when RGW could not be started. Every part's output is also kept in a
# temporary directory (named at the end when a part failed, or with RGW_CHECKS_KEEP_LOGS=1).
set -u
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPTS/.." && pwd)"
T0=$SECONDS

say() { echo "check-rgw: $*"; }
usage_error() { echo "check-rgw: $*" >&2; exit 2; }

KEEPER=${S3KEEPER_BIN:-$ROOT/target/debug/s3keeper}
FAKE=${FAKE_S3_BIN:-$ROOT/target/debug/fake-s3}
PARTS=${RGW_CHECKS_ONLY:-diff shares ceph}
for p in $PARTS; do
    case "$p" in diff|shares|ceph) ;; *) usage_error "RGW_CHECKS_ONLY: unknown part '$p' (the parts: diff shares ceph)" ;; esac
done
[ -n "${PARTS// /}" ] || usage_error "RGW_CHECKS_ONLY names no part (the parts: diff shares ceph)"
wants() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if wants diff || wants shares; then
    [ -x "$FAKE" ] || usage_error "no fake-s3 binary at $FAKE (cargo build --bins, or set FAKE_S3_BIN)"
fi
if wants shares; then
    [ -x "$KEEPER" ] || usage_error "no s3keeper binary at $KEEPER (cargo build --bins, or set S3KEEPER_BIN)"
fi
for tool in python3 curl; do command -v "$tool" >/dev/null 2>&1 || usage_error "$tool is needed on PATH"; done

export RGW_DIR=${RGW_DIR:-/tmp/rgw}
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/check-rgw.XXXXXX") || usage_error "cannot make a temporary directory"
STARTED=0
declare -A RESULT=() DETAIL=() ELAPSED=()

stop_rgw() {
    [ "$STARTED" = 1 ] || return 0
    STARTED=0
    local t=$SECONDS keep=${RGW_KEEP_LOGS:-0}
    for p in $PARTS; do [ "${RESULT[$p]:-}" = PASS ] || keep=1; done
    RGW_KEEP_LOGS=$keep bash "$SCRIPTS/start-rgw.sh" stop >>"$LOGS/rgw.log" 2>&1 \
        || { say "start-rgw.sh stop failed:"; tail -5 "$LOGS/rgw.log"; }
    STOP_S=$((SECONDS - t))
}
trap 'stop_rgw' EXIT
trap 'say "interrupted"; exit 130' INT TERM

# --- RGW ---------------------------------------------------------------------------------------------
if bash "$SCRIPTS/start-rgw.sh" status >/dev/null 2>&1; then
    say "RGW already runs in $RGW_DIR: using it, and leaving it running"
    eval "$(bash "$SCRIPTS/start-rgw.sh" status 2>/dev/null | grep '^export ')"
    START_S=0
else
    t=$SECONDS
    STARTED=1   # stop_rgw cleans up after a half start too (start-rgw.sh stop ignores what is not there)
    if ! exports=$(bash "$SCRIPTS/start-rgw.sh" start 2>"$LOGS/rgw.log"); then
        cat "$LOGS/rgw.log"
        say "RGW did not start (above; logs in $RGW_DIR/log)"
        for p in $PARTS; do say "$p NOT RUN: RGW did not start"; done
        exit 2
    fi
    cat "$LOGS/rgw.log"
    eval "$(echo "$exports" | grep '^export ')"
    START_S=$((SECONDS - t))
fi
[ -n "${RGW_ENDPOINT:-}" ] || { say "start-rgw.sh gave no RGW_ENDPOINT"; exit 2; }
t=$SECONDS
if ! bash "$SCRIPTS/start-rgw.sh" users "$SCRIPTS/fake-s3-shares-ceph.json" "$SCRIPTS/fake-s3-ceph-config.json" 2>>"$LOGS/rgw.log"; then
    tail -20 "$LOGS/rgw.log"
    say "start-rgw.sh users failed"
    exit 2
fi
USERS_S=$((SECONDS - t))
say "RGW on $RGW_ENDPOINT (RGW_DIR $RGW_DIR): start ${START_S} s, users ${USERS_S} s"

# --- the parts -----------------------------------------------------------------------------------------
# part NAME SUMMARY_REGEX CMD...: runs CMD with its output on ours and in $LOGS/NAME.log; PASS when it
# exits 0; the summary is its last line matching SUMMARY_REGEX.
part() {
    local name=$1 regex=$2 t=$SECONDS rc line
    shift 2
    echo "== check-rgw: $name: $*"
    "$@" </dev/null 2>&1 | tee "$LOGS/$name.log"
    rc=${PIPESTATUS[0]}
    ELAPSED[$name]=$((SECONDS - t))
    line=$(grep -E "$regex" "$LOGS/$name.log" | tail -1)
    if [ "$rc" -eq 0 ]; then RESULT[$name]=PASS; else RESULT[$name]=FAIL; fi
    DETAIL[$name]="${line:-no summary line} (exit $rc)"
    # Skipped checks (check-shares.sh: no journal from RGW's access log) fail here: this script
    # started RGW and names its log, so a skip means a check never ran.
    if echo "$line" | grep -Eq ', [1-9][0-9]* skipped'; then
        RESULT[$name]=FAIL
        DETAIL[$name]="${DETAIL[$name]}; checks were skipped (see the SKIP lines)"
    fi
}
if wants diff; then
    part diff '^rgw-diff: [0-9]+ same' \
        env -u FAKE_ENDPOINT RGW_ENDPOINT="$RGW_ENDPOINT" RGW_DIR="$RGW_DIR" FAKE_S3_BIN="$FAKE" \
        python3 "$SCRIPTS/rgw-diff.py"
fi
if wants shares; then
    part shares '^shares: [0-9]+ passed' \
        env CHECK_SHARES_CEPH_ENDPOINT="$RGW_ENDPOINT" CHECK_SHARES_RGW_LOG="$RGW_DIR/log/client.rgw.log" \
        S3KEEPER_BIN="$KEEPER" FAKE_S3_BIN="$FAKE" bash "$SCRIPTS/check-shares.sh"
fi
if wants ceph; then
    part ceph '^ceph: [0-9]+ passed' \
        env -u FAKE_S3_ENDPOINT -u FAKE_S3_CEPH_CONFIG FAKE_S3_CEPH_ENDPOINT="$RGW_ENDPOINT" \
        bash "$SCRIPTS/check-ceph.sh"
fi

stop_rgw
STOP_S=${STOP_S:-0}
passed=0 failed=0
echo
for p in $PARTS; do
    printf 'check-rgw: %-6s %s: %s (%s s)\n' "$p" "${RESULT[$p]}" "${DETAIL[$p]}" "${ELAPSED[$p]}"
    if [ "${RESULT[$p]}" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
say "RGW start ${START_S} s, users ${USERS_S} s, stop ${STOP_S} s; total $((SECONDS - T0)) s"
if [ "$failed" -gt 0 ] || [ "${RGW_CHECKS_KEEP_LOGS:-0}" = 1 ]; then
    say "each part's output kept in $LOGS"
else
    rm -rf "$LOGS"
fi
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
