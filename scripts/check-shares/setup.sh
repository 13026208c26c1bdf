# check-shares/setup.sh (sourced by scripts/check-shares.sh, not run): the run's settings (the
# binaries, the two configurations, CHECK_SHARES_CEPH_ENDPOINT and RGW's access log), the tools it
# needs (exit 2 otherwise), the caller's AWS, s3keeper and proxy variables unset, the temporary
# directory, and the clean-up and summary on exit (finish, with the INT/TERM trap).

CEPH_CONFIG="$SCRIPTS/fake-s3-shares-ceph.json"
AWS_CONFIG="$SCRIPTS/fake-s3-shares-aws.json"
default_bin() {
    if [ -x "$ROOT/target/release/$1" ]; then echo "$ROOT/target/release/$1"; else echo "$ROOT/target/debug/$1"; fi
}
KEEPER=${S3KEEPER_BIN:-$(default_bin s3keeper)}
FAKE=${FAKE_S3_BIN:-$(default_bin fake-s3)}
KEEP_LOGS=${SHARES_KEEP_LOGS:-0}
STEP_TIMEOUT=30
# The Ceph part's server: a fake-s3 started here, or CHECK_SHARES_CEPH_ENDPOINT (see above).
CEPH_EXTERNAL=${CHECK_SHARES_CEPH_ENDPOINT:-}
CEPH_EXTERNAL=${CEPH_EXTERNAL%/}
RGW_LOG=${CHECK_SHARES_RGW_LOG:-${RGW_DIR:-/tmp/rgw}/log/client.rgw.log}
SKIPPED=0
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIP: $*"; }

bad() { echo "check-shares: $*" >&2; exit 2; }
for tool in s3cmd aws python3 curl timeout; do
    command -v "$tool" >/dev/null 2>&1 || bad "$tool is needed on PATH (s3cmd, aws: python3 -m pip install s3cmd awscli)"
done
[ -x "$KEEPER" ] || bad "no s3keeper binary at $KEEPER (set S3KEEPER_BIN)"
[ -x "$FAKE" ] || bad "no fake-s3 binary at $FAKE (set FAKE_S3_BIN)"
[ -f "$CEPH_CONFIG" ] && [ -f "$AWS_CONFIG" ] || bad "missing $CEPH_CONFIG or $AWS_CONFIG"
if [ -n "$CEPH_EXTERNAL" ]; then
    case "$CEPH_EXTERNAL" in
        http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;;
        *) bad "CHECK_SHARES_CEPH_ENDPOINT must be a loopback http:// URL with a port, got $CEPH_EXTERNAL" ;;
    esac
fi

# Nothing of the caller's AWS, s3keeper or proxy settings reaches a client: every request is to
# loopback, and each client gets exactly one identity below.
SAVED_PATH=$PATH
for v in $(compgen -e); do
    case "$v" in AWS_*|S3KEEPER_*|S3CMD_*|HTTP_PROXY|HTTPS_PROXY|ALL_PROXY|NO_PROXY|http_proxy|https_proxy|all_proxy|no_proxy)
        unset "$v" 2>/dev/null ;;
    esac
done

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/check-shares.XXXXXX") || bad "cannot make a temporary directory"
chmod 700 "$TMPD"
TOP=$TMPD   # the AWS dialect part works in $TOP/aws-phase; shared files stay here
mkdir -p "$TMPD/home" "$TMPD/files"
: >"$TMPD/home/aws-empty"
LOG="$TMPD/steps.log"
: >"$LOG"
SERVER_PIDS=()

# stop_server PID: lib.sh's.
# The script's own stdout and stderr (fds 3 and 4): a signal may arrive while a function runs with
# its output redirected (run), and the clean-up and summary must still reach the caller.
exec 3>&1 4>&2
finish() {
    local rc=$?
    exec 1>&3 2>&4
    trap - EXIT
    trap '' INT TERM
    [ -z "${AWS_PHASE_PID:-}" ] || { kill "$AWS_PHASE_PID" 2>/dev/null; wait "$AWS_PHASE_PID" 2>/dev/null; }
    for pid in ${SERVER_PIDS[@]+"${SERVER_PIDS[@]}"}; do stop_server "$pid"; done
    fail_on_panics "$TOP"/fake-*.log
    if [ "$FAILED" -gt 0 ] || [ "$KEEP_LOGS" = 1 ] || [ "$rc" -ne 0 ]; then
        echo "check-shares: logs (steps.log: every command and its output; fake-*.log; journal-*.json) kept in $TMPD"
    else
        rm -rf "$TMPD"
    fi
    echo "check-shares: elapsed $((SECONDS - START))s"
    if [ "$SKIPPED" -gt 0 ]; then echo "shares: $PASSED passed, $FAILED failed, $SKIPPED skipped"; else summary shares; fi
    if [ "$FAILED" -eq 0 ] && [ "$rc" -eq 2 ]; then exit 2; fi   # could not start (see above)
    if [ "$FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'exec 1>&3 2>&4; fail "the run was interrupted"; exit 130' INT TERM
