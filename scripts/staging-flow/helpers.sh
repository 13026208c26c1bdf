# staging-flow/helpers.sh (sourced by scripts/staging-flow.sh, not run): PASS/FAIL reporting,
# section and stop; in_env/apply_env (a client with exactly one role's settings) and keeper, person,
# admin, service_cli; run, expect_ok, expect_err, check; jtrue/jval (JSON checks); mask, mask_url.

# --- reporting -----------------------------------------------------------------------------------------
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; return 1; }
no_panic() { ! grep -q panicked "$1" 2>/dev/null; }
section() { echo "== $*"; echo "== $*" >>"$LOGD/steps.log"; }
# stop WHY: later steps would mean nothing; clean up and report.
stop() { echo "staging-flow: stopping early: $*"; exit 1; }

# --- running clients with exactly one role's settings -----------------------------------------------
# in_env ROLE TIMEOUT CMD...: CMD in a subshell whose environment holds only PATH, a private HOME and
# aws CLI files, and the role's SDK settings (AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN, AWS_REGION,
# AWS_ENDPOINT_URL, the fake as HTTP proxy) plus, for the service, s3keeper's own settings. The secrets
# never appear on a command line. apply_env ROLE does it inside a subshell (also for the background
# servers, so that $! is the server itself).
in_env() {
    local role=$1 limit=$2
    shift 2
    ( apply_env "$role"; exec timeout --foreground -k 5 "$limit" "$@" )
}
apply_env() {
    local role=$1 v kv
    for v in $(compgen -e); do unset "$v" 2>/dev/null; done
    export PATH="$SAVED_PATH" HOME="$TMPD/home" LANG="$SAVED_LANG" TMPDIR="$TMPD"
    export AWS_CONFIG_FILE="$TMPD/aws-config" AWS_SHARED_CREDENTIALS_FILE="$TMPD/aws-credentials"
    export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
    for kv in "${TRANSPORT_ENV[@]}"; do export "${kv?}"; done
    if [ -n "$ENDPOINT" ]; then export AWS_ENDPOINT_URL="$ENDPOINT"; fi
    if [ "$ENDPOINT_PROXY" = 1 ]; then
        export HTTP_PROXY="$ENDPOINT" http_proxy="$ENDPOINT" NO_PROXY="" no_proxy=""
    fi
    case "$role" in
        service)
            export AWS_ACCESS_KEY_ID="$PLATFORM_AK" AWS_SECRET_ACCESS_KEY="$PLATFORM_SK" AWS_REGION="$REGION"
            [ -z "$PLATFORM_ST" ] || export AWS_SESSION_TOKEN="$PLATFORM_ST"
            export S3KEEPER_DATABASE_URL="$DB_URL" S3KEEPER_VERIFY_BUCKET="$VERIFY_BUCKET" \
                S3KEEPER_OPEN_BUCKET="$OPEN_BUCKET" S3KEEPER_CONTROLLED_BUCKET="$CONTROLLED_BUCKET" \
                S3KEEPER_UPLOADS_BUCKET="$UPLOADS_BUCKET"
            [ -z "${API_TOKEN:-}" ] || export S3KEEPER_API_TOKEN="$API_TOKEN"
            ;;
        person)   # the verification bucket lives in us-east-1: the person's region
            export AWS_ACCESS_KEY_ID="$PERSON_AK" AWS_SECRET_ACCESS_KEY="$PERSON_SK" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
            [ -z "$PERSON_ST" ] || export AWS_SESSION_TOKEN="$PERSON_ST"
            ;;
        admin)
            export AWS_ACCESS_KEY_ID="$ADMIN_AK" AWS_SECRET_ACCESS_KEY="$ADMIN_SK" AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"
            [ -z "$ADMIN_ST" ] || export AWS_SESSION_TOKEN="$ADMIN_ST"
            ;;
        service-cli)   # the service's credentials in the aws CLI (identity and privilege checks)
            export AWS_ACCESS_KEY_ID="$PLATFORM_AK" AWS_SECRET_ACCESS_KEY="$PLATFORM_SK" AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"
            [ -z "$PLATFORM_ST" ] || export AWS_SESSION_TOKEN="$PLATFORM_ST"
            ;;
        ticket) ;;   # no credentials: a ticket's client (its endpoint and proxy as for every client)
        none) unset AWS_ENDPOINT_URL HTTP_PROXY http_proxy ;;
    esac
}
keeper() { in_env service "$STEP_TIMEOUT" "$KEEPER" "$@"; }
person() { in_env person "$STEP_TIMEOUT" aws "$@"; }
admin() { in_env admin "$STEP_TIMEOUT" aws "$@"; }
service_cli() { in_env service-cli "$STEP_TIMEOUT" aws "$@"; }

# run CMD...: stdout in $TMPD/out, stderr in $TMPD/err, exit status in RC; both also in the log.
run() {
    "$@" >"$TMPD/out" 2>"$TMPD/err"
    RC=$?
    { echo "\$ $* (exit $RC)"; cat "$TMPD/out" "$TMPD/err"; } >>"$LOGD/steps.log"
    return 0
}
last_output() { { cat "$TMPD/err"; cat "$TMPD/out"; } | tr '\n' ' ' | tail -c 400; }

# expect_ok [-w SECONDS] DESC CMD...: CMD must exit 0 (retried for SECONDS while AWS catches up).
expect_ok() {
    local within=0
    if [ "$1" = -w ]; then within=$2; shift 2; fi
    local desc=$1 start=$SECONDS
    shift
    while :; do
        run "$@"
        [ "$RC" -eq 0 ] && { pass "$desc"; return 0; }
        [ $((SECONDS - start)) -lt "$within" ] || break
        sleep 3
    done
    fail "$desc (expected exit 0, got exit $RC: $(last_output))"
}
# expect_err [-w SECONDS] DESC REGEX CMD...: CMD must fail with output matching REGEX (grep -E).
expect_err() {
    local within=0
    if [ "$1" = -w ]; then within=$2; shift 2; fi
    local desc=$1 pattern=$2 start=$SECONDS
    shift 2
    while :; do
        run "$@"
        if [ "$RC" -ne 0 ] && cat "$TMPD/err" "$TMPD/out" | grep -Eq -- "$pattern"; then
            pass "$desc"; return 0
        fi
        [ $((SECONDS - start)) -lt "$within" ] || break
        sleep 3
    done
    fail "$desc (expected a failure matching /$pattern/, got exit $RC: $(last_output))"
}
check() { # check DESC DETAIL CMD...: a test command (output not captured) must succeed
    local desc=$1 detail=$2
    shift 2
    if "$@"; then pass "$desc"; else fail "$desc ($detail)"; fi
}
# jtrue and jval (JSON checks), their errors in the steps log.
LOG="$LOGD/steps.log"
. "$(dirname "${BASH_SOURCE[0]}")/../json.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../listening.sh"   # listening_url
mask() { local s=$1; [ ${#s} -gt 8 ] && echo "${s:0:4}…${s: -4}" || echo "(set)"; }
mask_url() {
    python3 - "$1" <<'PY'
import sys, urllib.parse as up
u = up.urlsplit(sys.argv[1])
if u.password:
    netloc = f"{u.username}:***@{u.hostname}" + (f":{u.port}" if u.port else "")
    u = u._replace(netloc=netloc)
print(up.urlunsplit(u))
PY
}
