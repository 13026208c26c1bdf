# check-shares/servers.sh (sourced by scripts/check-shares.sh, not run): the two servers: the Ceph
# part's (a fake-s3 started here, or CHECK_SHARES_CEPH_ENDPOINT: a fake-s3, or real RGW with or
# without its access log as the journal) and the AWS fake; then the AWS part (aws.sh) in the background.

# Both servers first (the clean-up stops them); the AWS dialect part runs in the background, in its
# own directory, while the Ceph part runs here; its lines are printed and counted after.
# The Ceph part's server: CEPH_KIND fake or rgw; CEPH_JOURNAL where the journal of s3keeper's calls
# comes from: fake (/_fake/journal), rgw-log (RGW's access log) or none (the journal checks skip).
if [ -z "$CEPH_EXTERNAL" ]; then
    start_server ceph "$CEPH_CONFIG"
    CEPH_EP=$ENDPOINT CEPH_KIND=fake CEPH_JOURNAL=fake
else
    CEPH_EP=$CEPH_EXTERNAL
    if curl -s -m 5 "$CEPH_EP/_fake/journal" 2>/dev/null \
            | python3 -c 'import json, sys; sys.exit(0 if isinstance(json.load(sys.stdin), list) else 1)' 2>/dev/null; then
        CEPH_KIND=fake CEPH_JOURNAL=fake
    else
        CEPH_KIND=rgw
        code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$CEPH_EP/" 2>/dev/null)
        [ "$code" = 200 ] || bad "nothing answers S3 on CHECK_SHARES_CEPH_ENDPOINT=$CEPH_EP (anonymous ListBuckets: HTTP $code)"
        if [ ! -f "$RGW_LOG" ]; then
            CEPH_JOURNAL=none JOURNAL_WHY="no RGW access log at $RGW_LOG (CHECK_SHARES_RGW_LOG)"
        elif ! python3 "$TOP/rgwlog.py" barrier "$RGW_LOG" "$CEPH_EP" >/dev/null 2>>"$TMPD/rgwlog.err"; then
            CEPH_JOURNAL=none JOURNAL_WHY="$RGW_LOG does not log $CEPH_EP's requests (a barrier request never showed in it; another RGW's log, or debug_rgw below 1?)"
        else
            CEPH_JOURNAL=rgw-log
        fi
    fi
fi
start_server aws "$AWS_CONFIG"
AWS_EP=$ENDPOINT
AWS_OUT="$TMPD/aws-phase.out"
( TMPD="$TMPD/aws-phase"; mkdir -p "$TMPD"; LOG="$TMPD/steps.log"; : >"$LOG"; PASSED=0; FAILED=0
  trap - EXIT; trap 'exit 130' INT TERM
  aws_phase ) >"$AWS_OUT" 2>&1 </dev/null 3>&- 4>&- &
AWS_PHASE_PID=$!
