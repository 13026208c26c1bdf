#!/usr/bin/env bash
# staging-flow.sh: the whole SPEC §4–§5 flow with the s3keeper binary (never `--embedded`), driven
# only by the AWS SDK's standard settings, with the aws CLI as the person's client.
#
# Usage:
#   scripts/staging-flow.sh --fake [--database-url URL]   # CI: against a fake-s3 it starts itself
#   STAGING_...=… scripts/staging-flow.sh [--database-url URL]   # real AWS (or another S3 endpoint)
#   scripts/staging-flow.sh --help
#
# The flow: `s3keeper setup`, `s3keeper doctor`, add a person; as the person `aws sts
# get-caller-identity` and the `aws s3 presign` command the service prints; verify; register and
# upload a small dataset; `s3keeper serve` and, through its HTTP API, agree and grant; as the person
# `aws s3 sync` through the printed access point ARN (the bucket itself and listings outside the
# dataset refused); revoke (the same sync refused); uploads without credentials: `s3keeper upload
# start` prints a POST form that plain curl uploads with (a key outside the prefix and a file over
# --max-bytes refused), `upload finish` lists the object and revokes the form, `s3keeper push --ticket`
# uploads a directory and `upload cancel` deletes it, Python `requests` (no AWS library) uploads with
# a form (also by its own ${filename} key) and boto3 with an `sts` ticket's credentials, outside the
# prefix refused, refused after `upload finish` (scripts/check_uploads.py, its checks counted here);
# reconcile reports no drift (API and CLI);
# /metrics parses and counts the grant, the revoke and the AWS calls. Then it removes everything it
# created: access points, objects, the buckets (only ones it checked did not exist before), the
# temporary directory, a PostgreSQL database it created. Clean-up runs on failure and Ctrl-C too.
#
# --fake: starts `fake-s3` on a free loopback port with a generated configuration: the platform
# account 111122223333 (root keys: the admin, used only to check and to clean up) with IAM user
# `s3keeper-service` holding exactly the policy `s3keeper iam-policy` prints for the run's buckets
# (the service runs as that user: not root, not s3:*), and the person's account 444455556666 with
# IAM user `ann` (s3:* on *). Clients reach access point and S3 Control host names through the fake
# as their HTTP proxy. At the end, --fake also runs the adversarial checks: scripts/adversary.sh
# (issue 18: hostile clients, races, floods, links, limits) against a fake-s3 and an `s3keeper serve`
# of its own, with the same binaries and, on PostgreSQL, a second fresh database on the same server;
# each of its PASS/FAIL lines counts here.
#
# Real mode parameters (environment):
#   STAGING_ENDPOINT                  empty or unset: real AWS (no AWS_ENDPOINT_URL); else the S3
#                                     endpoint URL for every client (AWS_ENDPOINT_URL)
#   STAGING_ENDPOINT_PROXY            1: also use the endpoint as HTTP proxy (fake-s3); default 1
#                                     for http://127.0.0.1:… and http://localhost:…, else 0
#   STAGING_REGION                    region of the buckets and access points (default us-east-1)
#   STAGING_PLATFORM_ACCESS_KEY_ID, STAGING_PLATFORM_SECRET_ACCESS_KEY, [STAGING_PLATFORM_SESSION_TOKEN]
#                                     the service's credentials: an IAM user (or role session)
#                                     holding exactly `s3keeper iam-policy`'s policy (required);
#                                     upload tickets need sts:GetFederationToken, which only an IAM
#                                     user's long-term keys may call
#   STAGING_PERSON_ACCESS_KEY_ID, STAGING_PERSON_SECRET_ACCESS_KEY, [STAGING_PERSON_SESSION_TOKEN]
#                                     the person's IAM user, in any account (required)
#   STAGING_ADMIN_ACCESS_KEY_ID, STAGING_ADMIN_SECRET_ACCESS_KEY, [STAGING_ADMIN_SESSION_TOKEN]
#                                     for the checks and clean-up (default: the platform credentials)
#   STAGING_BUCKET_PREFIX             buckets PREFIX-verification, PREFIX-open, PREFIX-controlled,
#                                     PREFIX-uploads (and PREFIX-outside, which the service must not
#                                     be able to create); default s3keeper-staging-<8 random hex>.
#                                     The run refuses to start if any of them exists.
#   STAGING_DATASET                   dataset slug (default staging-ds; in real mode
#                                     staging-<the prefix's last part>, since access point names
#                                     are unique per account and region)
#   STAGING_STEP_TIMEOUT              seconds per command (default 60 with --fake, 300 otherwise)
#   STAGING_PROPAGATION_WAIT          seconds to retry steps that wait for AWS to apply a policy
#                                     (default 0 with an endpoint, 90 on real AWS)
#   STAGING_KEEP_LOGS=1               keep the logs directory even when everything passed
#   STAGING_ADVERSARY=0               with --fake, skip the adversarial section (scripts/adversary.sh)
#   S3KEEPER_BIN, FAKE_S3_BIN         the binaries (default target/release/…, else target/debug/…)
# --database-url URL: sqlite://… is used as given. postgres://USER[:PASS]@HOST[:PORT]/DB: if DB does
# not exist it is created and dropped at the end; if it exists, a fresh database
# s3k_<epoch>_<pid>_staging is created on that server instead (and dropped): an existing database is
# never written. Default: a SQLite file in the temporary directory.
#
# Output: `PASS: …` / `FAIL: … (expected …, got …)` lines, then
# `staging-flow: N passed, M failed` and `N passed, M failed`. Exit 0 all passed, 1 a check failed,
# 2 refused to start: bad parameters, or one of the buckets exists (nothing touched).
set -u

# Metric names /metrics must show after the flow (Prometheus text format or OpenMetrics).
METRIC_GRANTS=s3keeper_grants_total
METRIC_REVOKES=s3keeper_revokes_total
METRIC_AWS_CALLS=s3keeper_aws_calls_total
METRIC_AWS_OPERATION_LABEL=operation
METRIC_AWS_OPERATIONS="CreateAccessPoint PutAccessPointPolicy"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLATFORM_ACCOUNT_FAKE=111122223333
PERSON_ACCOUNT_FAKE=444455556666
EMAIL=ann@example.org
EMAIL_PATH=ann%40example.org
VERSION=1.0

usage() { sed -n '2,/^set -u$/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

MODE=real
DB_URL_ARG=""
while [ $# -gt 0 ]; do
    case "$1" in
        --fake) MODE=fake ;;
        --database-url) [ $# -ge 2 ] || { echo "--database-url needs a URL" >&2; exit 2; }
                        DB_URL_ARG=$2; shift ;;
        --database-url=*) DB_URL_ARG=${1#--database-url=} ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# --- parameters, then a clean environment ------------------------------------------------------------
default_bin() {
    if [ -x "$ROOT/target/release/$1" ]; then echo "$ROOT/target/release/$1"; else echo "$ROOT/target/debug/$1"; fi
}
KEEPER=${S3KEEPER_BIN:-$(default_bin s3keeper)}
FAKE=${FAKE_S3_BIN:-$(default_bin fake-s3)}
KEEP_LOGS=${STAGING_KEEP_LOGS:-0}
ADVERSARY=${STAGING_ADVERSARY:-1}
ENDPOINT=${STAGING_ENDPOINT:-}
REGION=${STAGING_REGION:-us-east-1}
PLATFORM_AK=${STAGING_PLATFORM_ACCESS_KEY_ID:-}
PLATFORM_SK=${STAGING_PLATFORM_SECRET_ACCESS_KEY:-}
PLATFORM_ST=${STAGING_PLATFORM_SESSION_TOKEN:-}
PERSON_AK=${STAGING_PERSON_ACCESS_KEY_ID:-}
PERSON_SK=${STAGING_PERSON_SECRET_ACCESS_KEY:-}
PERSON_ST=${STAGING_PERSON_SESSION_TOKEN:-}
ADMIN_AK=${STAGING_ADMIN_ACCESS_KEY_ID:-}
ADMIN_SK=${STAGING_ADMIN_SECRET_ACCESS_KEY:-}
ADMIN_ST=${STAGING_ADMIN_SESSION_TOKEN:-}
ENDPOINT_PROXY=${STAGING_ENDPOINT_PROXY:-}
PREFIX=${STAGING_BUCKET_PREFIX:-}
SLUG=${STAGING_DATASET:-}
STEP_TIMEOUT=${STAGING_STEP_TIMEOUT:-}
WAIT=${STAGING_PROPAGATION_WAIT:-}
SAVED_PATH=$PATH
SAVED_LANG=${LANG:-C.UTF-8}
# Transport settings a real-AWS run may need (corporate proxy, CA bundle); never identity.
TRANSPORT_ENV=()
if [ "$MODE" = real ]; then
    for v in HTTPS_PROXY https_proxy NO_PROXY no_proxy AWS_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE; do
        [ -n "${!v:-}" ] && TRANSPORT_ENV+=("$v=${!v}")
    done
fi
# Nothing of the caller's AWS or s3keeper configuration reaches a client: every client runs in a
# subshell whose environment is rebuilt from scratch (in_env below); the secrets are not exported.
for v in $(compgen -e); do
    case "$v" in AWS_*|S3KEEPER_*|STAGING_*|FAKE_S3_*|HTTP_PROXY|HTTPS_PROXY|ALL_PROXY|NO_PROXY|http_proxy|https_proxy|all_proxy|no_proxy)
        unset "$v" 2>/dev/null ;;
    esac
done

hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
RUN_HEX=$(hex 4)
if [ -z "$PREFIX" ]; then PREFIX="s3keeper-staging-$RUN_HEX"; fi
if [ -z "$SLUG" ]; then
    if [ "$MODE" = fake ]; then SLUG=staging-ds; else SLUG="staging-${PREFIX##*-}"; fi
fi
VERIFY_BUCKET="$PREFIX-verification"
OPEN_BUCKET="$PREFIX-open"
CONTROLLED_BUCKET="$PREFIX-controlled"
UPLOADS_BUCKET="$PREFIX-uploads"
OUTSIDE_BUCKET="$PREFIX-outside"
DS="$SLUG/$VERSION"

bad() { echo "staging-flow: $*" >&2; exit 2; }
case "$PREFIX" in
    *[!a-z0-9-]*|-*|*-|"") bad "STAGING_BUCKET_PREFIX must be lowercase letters, digits and '-', not starting or ending with '-' (got '$PREFIX')" ;;
esac
[ $((${#PREFIX} + 13)) -le 63 ] || bad "STAGING_BUCKET_PREFIX is too long: $VERIFY_BUCKET must be at most 63 characters"
[ ${#PREFIX} -ge 3 ] || bad "STAGING_BUCKET_PREFIX is too short"
case "$SLUG" in
    *[!a-z0-9-]*|-*|*-|"") bad "STAGING_DATASET must be lowercase letters, digits and '-' (got '$SLUG')" ;;
esac
[ $((${#SLUG} + 8)) -le 50 ] || bad "STAGING_DATASET is too long for an access point name ($SLUG-v1-0-01, at most 50 characters)"
case "$REGION" in *[!a-z0-9-]*|"") bad "STAGING_REGION is not a region name: '$REGION'" ;; esac
for tool in aws curl python3 timeout od; do
    command -v "$tool" >/dev/null || bad "$tool is needed (aws: pip install awscli)"
done
python3 -c 'import boto3, requests' 2>/dev/null || bad "python3 needs boto3 and requests (pip install boto3 requests)"
[ -x "$KEEPER" ] || bad "no s3keeper binary at $KEEPER: cargo build --release -p s3keeper, or set S3KEEPER_BIN"

if [ "$MODE" = fake ]; then
    [ -x "$FAKE" ] || bad "no fake-s3 binary at $FAKE: cargo build --release -p fake-s3, or set FAKE_S3_BIN"
    [ -z "$ENDPOINT$PLATFORM_AK$PERSON_AK$ADMIN_AK" ] || bad "--fake makes its own endpoint and credentials: unset STAGING_ENDPOINT and STAGING_*_ACCESS_KEY_ID"
    REGION=us-east-1
    [ -n "$STEP_TIMEOUT" ] || STEP_TIMEOUT=60
    [ -n "$WAIT" ] || WAIT=0
else
    missing=""
    [ -n "$PLATFORM_AK" ] || missing="$missing STAGING_PLATFORM_ACCESS_KEY_ID"
    [ -n "$PLATFORM_SK" ] || missing="$missing STAGING_PLATFORM_SECRET_ACCESS_KEY"
    [ -n "$PERSON_AK" ] || missing="$missing STAGING_PERSON_ACCESS_KEY_ID"
    [ -n "$PERSON_SK" ] || missing="$missing STAGING_PERSON_SECRET_ACCESS_KEY"
    if [ -n "$ADMIN_AK$ADMIN_SK" ] && { [ -z "$ADMIN_AK" ] || [ -z "$ADMIN_SK" ]; }; then
        missing="$missing STAGING_ADMIN_ACCESS_KEY_ID+STAGING_ADMIN_SECRET_ACCESS_KEY(both or neither)"
    fi
    [ -z "$missing" ] || bad "missing:$missing (run with --help, or --fake for a local run)"
    if [ -z "$ADMIN_AK" ]; then ADMIN_AK=$PLATFORM_AK; ADMIN_SK=$PLATFORM_SK; ADMIN_ST=$PLATFORM_ST; fi
    case "$ENDPOINT" in
        ""|http://*|https://*) ;;
        *) bad "STAGING_ENDPOINT must be empty (real AWS) or an http(s):// URL (got '$ENDPOINT')" ;;
    esac
    ENDPOINT=${ENDPOINT%/}
    if [ -z "$ENDPOINT_PROXY" ]; then
        case "$ENDPOINT" in http://127.0.0.1:*|http://localhost:*) ENDPOINT_PROXY=1 ;; *) ENDPOINT_PROXY=0 ;; esac
    fi
    [ -n "$STEP_TIMEOUT" ] || STEP_TIMEOUT=300
    if [ -z "$WAIT" ]; then if [ -n "$ENDPOINT" ]; then WAIT=0; else WAIT=90; fi; fi
fi
case "$STEP_TIMEOUT$WAIT" in *[!0-9]*) bad "STAGING_STEP_TIMEOUT and STAGING_PROPAGATION_WAIT are whole seconds" ;; esac

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/staging-flow.XXXXXX") || bad "cannot make a temporary directory"
chmod 700 "$TMPD"
LOGD="$TMPD/logs"
mkdir -p "$LOGD" "$TMPD/home"
: >"$TMPD/aws-config"; : >"$TMPD/aws-credentials"

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
# jtrue FILE EXPR [ARG...]: the Python expression EXPR (over j = the file's JSON, a = ARGs) holds.
jtrue() {
    python3 - "$@" <<'PY' 2>>"$LOGD/steps.log"
import json, sys
path, expr, a = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    j = json.load(open(path))
    sys.exit(0 if eval(expr, {"j": j, "a": a}) else 1)
except Exception as e:
    print(f"jtrue {expr}: {e}", file=sys.stderr)
    sys.exit(1)
PY
}
# jval FILE EXPR [ARG...]: prints the expression's value (empty when it cannot be computed).
jval() {
    python3 - "$@" <<'PY' 2>>"$LOGD/steps.log"
import json, sys
path, expr, a = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    print(eval(expr, {"j": json.load(open(path)), "a": a}))
except Exception as e:
    print(f"jval {expr}: {e}", file=sys.stderr)
PY
}
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

# --- clean-up (always) ---------------------------------------------------------------------------------
FAKE_PID=""
SERVE_PID=""
OWNED_BUCKETS=()      # buckets checked absent before the run: the only ones clean-up may delete
PG_CREATED=""         # the name of a PostgreSQL database this run created
PG_ADV_CREATED=""     # … and the one it created for scripts/adversary.sh
INTERRUPTED=0
stop_process() { # stop_process PID NAME: Ctrl-C (both servers shut down on it), then harder
    local pid=$1 name=$2
    kill -INT "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "staging-flow: $name did not stop on SIGINT; sending SIGTERM" >&2
        kill -TERM "$pid" 2>/dev/null; sleep 1; kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}
cleanup() {
    section "clean-up"
    if [ -n "$SERVE_PID" ]; then stop_process "$SERVE_PID" "s3keeper serve"; SERVE_PID=""; fi
    if [ -n "${PLATFORM_ACCOUNT:-}" ] && [ ${#OWNED_BUCKETS[@]} -gt 0 ]; then
        local b ap gone=1
        # Access points on the controlled bucket (they outlive their bucket's deletion otherwise).
        run admin s3control list-access-points --account-id "$PLATFORM_ACCOUNT" --bucket "$CONTROLLED_BUCKET" --output json
        if [ "$RC" -eq 0 ]; then
            cp "$TMPD/out" "$TMPD/aps.json"
            for ap in $(jval "$TMPD/aps.json" "' '.join(x['Name'] for x in j.get('AccessPointList', []))"); do
                run admin s3control delete-access-point --account-id "$PLATFORM_ACCOUNT" --name "$ap"
                [ "$RC" -eq 0 ] || echo "staging-flow: could not delete access point $ap: $(last_output)"
            done
            run admin s3control list-access-points --account-id "$PLATFORM_ACCOUNT" --bucket "$CONTROLLED_BUCKET" --output json
            if [ "$RC" -eq 0 ] && jtrue "$TMPD/out" "not j.get('AccessPointList')"; then
                pass "clean-up: no access point left on $CONTROLLED_BUCKET"
            else
                fail "clean-up: no access point left on $CONTROLLED_BUCKET (got exit $RC: $(last_output))"
            fi
        else
            fail "clean-up: list the access points on $CONTROLLED_BUCKET (got exit $RC: $(last_output))"
        fi
        # The bucket policy goes first: the verification bucket's denies listing to everyone else.
        # (Retried while AWS applies the policy's removal.)
        local start=$SECONDS
        while :; do
            for b in "${OWNED_BUCKETS[@]}"; do
                run admin s3api delete-bucket-policy --bucket "$b"
                grep -q NoSuchBucket "$TMPD/err" && continue      # never created, or gone
                run admin s3 rm --recursive --only-show-errors "s3://$b"
                run admin s3api delete-bucket --bucket "$b"
                [ "$RC" -eq 0 ] || echo "staging-flow: could not delete bucket $b yet: $(last_output)"
            done
            gone=1
            for b in "${OWNED_BUCKETS[@]}"; do
                run admin s3api head-bucket --bucket "$b"
                if [ "$RC" -eq 0 ] || ! grep -Eq '404|Not Found|NoSuchBucket' "$TMPD/err"; then
                    gone=0; echo "staging-flow: bucket $b is still there (or cannot be checked): $(last_output)"
                fi
            done
            [ "$gone" = 0 ] && [ $((SECONDS - start)) -lt "$WAIT" ] || break
            sleep 5
        done
        if [ "$gone" = 1 ]; then pass "clean-up: the run's buckets are gone (${OWNED_BUCKETS[*]})"
        else fail "clean-up: the run's buckets are gone (expected 404 for each of ${OWNED_BUCKETS[*]})"; fi
    fi
    if [ -n "$FAKE_PID" ]; then
        stop_process "$FAKE_PID" fake-s3; FAKE_PID=""
        if ! no_panic "$LOGD/fake-s3.log"; then
            fail "fake-s3 never panicked (see its log: $(grep -m1 panicked "$LOGD/fake-s3.log"))"
        fi
    fi
    if [ -n "$PG_CREATED" ]; then
        local name=$PG_CREATED
        if pg_admin dropdb --if-exists "$name" >>"$LOGD/steps.log" 2>&1 \
            || pg_admin dropdb --if-exists --force "$name" >>"$LOGD/steps.log" 2>&1; then
            pass "clean-up: PostgreSQL database $name dropped"
        else
            fail "clean-up: PostgreSQL database $name dropped (dropdb failed: $(tail -c 300 "$LOGD/steps.log"))"
        fi
        PG_CREATED=""
    fi
    if [ -n "$PG_ADV_CREATED" ]; then
        local adv=$PG_ADV_CREATED
        if pg_admin dropdb --if-exists "$adv" >>"$LOGD/steps.log" 2>&1 \
            || pg_admin dropdb --if-exists --force "$adv" >>"$LOGD/steps.log" 2>&1; then
            pass "clean-up: PostgreSQL database $adv (adversary.sh's) dropped"
        else
            fail "clean-up: PostgreSQL database $adv (adversary.sh's) dropped (dropdb failed: $(tail -c 300 "$LOGD/steps.log"))"
        fi
        PG_ADV_CREATED=""
    fi
}
finish() {
    local rc=$?
    trap - EXIT
    trap '' INT TERM      # clean-up runs to its end (each of its commands has a timeout)
    [ "$INTERRUPTED" = 1 ] && fail "the run was interrupted"
    cleanup
    if [ "$FAILED" -gt 0 ] || [ "$KEEP_LOGS" = 1 ] || [ "$rc" -ne 0 ]; then
        local keep
        keep=$(mktemp -d "${TMPDIR:-/tmp}/staging-flow-logs.XXXXXX") && cp -r "$LOGD/." "$keep/" \
            && echo "staging-flow: logs (step output, s3keeper serve, fake-s3 requests) kept in $keep"
    fi
    rm -rf "$TMPD"
    echo "staging-flow: $PASSED passed, $FAILED failed"
    echo "$PASSED passed, $FAILED failed"
    if [ "$FAILED" -gt 0 ]; then exit 1; fi
    if [ "$rc" -eq 2 ]; then exit 2; fi      # refused to run (bad parameters, existing bucket)
    if [ "$rc" -ne 0 ]; then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'INTERRUPTED=1; exit 130' INT TERM

# --- the database ------------------------------------------------------------------------------------
PG_ARGS=()
pg_admin() { # pg_admin TOOL ARGS...: createdb/dropdb/psql on the server named by --database-url
    PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=10 timeout 60 "$1" "${PG_ARGS[@]}" "${@:2}"
}
if [ -z "$DB_URL_ARG" ]; then
    DB_URL="sqlite://$TMPD/s3keeper.db?mode=rwc"
else
    case "$DB_URL_ARG" in
        sqlite:*) DB_URL=$DB_URL_ARG ;;
        postgres://*|postgresql://*)
            command -v createdb >/dev/null && command -v psql >/dev/null \
                || bad "--database-url postgres://… needs createdb and psql (PostgreSQL client)"
            # host, port, user, password, database, query, scheme://netloc: split by Python, one a line
            mapfile -t PG_PARTS < <(python3 - "$DB_URL_ARG" <<'PY'
import sys, urllib.parse as up
u = up.urlsplit(sys.argv[1])
for part in (u.hostname or "127.0.0.1", str(u.port or 5432), up.unquote(u.username or "postgres"),
             up.unquote(u.password or ""), u.path.lstrip("/"), u.query, f"{u.scheme}://{u.netloc}"):
    print(part.replace("\n", ""))
PY
)
            [ ${#PG_PARTS[@]} -eq 7 ] || bad "cannot read --database-url"
            PG_PASSWORD=${PG_PARTS[3]}
            PG_ARGS=(-h "${PG_PARTS[0]}" -p "${PG_PARTS[1]}" -U "${PG_PARTS[2]}")
            name=${PG_PARTS[4]}
            case "$name" in ""|*[!a-zA-Z0-9_]*) name="" ;; esac
            exists=$(pg_admin psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${name:-none}'" 2>"$TMPD/pg-err") \
                || bad "cannot reach PostgreSQL at ${PG_PARTS[0]}:${PG_PARTS[1]} as ${PG_PARTS[2]}: $(tr '\n' ' ' <"$TMPD/pg-err")"
            if [ -z "$name" ] || [ "$exists" = 1 ]; then name="s3k_$(date +%s)_$$_staging"; fi
            pg_admin createdb "$name" 2>"$TMPD/pg-err" || bad "createdb $name failed: $(tr '\n' ' ' <"$TMPD/pg-err")"
            PG_CREATED=$name
            DB_URL="${PG_PARTS[6]}/$name"
            [ -z "${PG_PARTS[5]}" ] || DB_URL="$DB_URL?${PG_PARTS[5]}"
            ;;
        *) bad "--database-url must be sqlite://… or postgres://… (got $(mask_url "$DB_URL_ARG"))" ;;
    esac
fi

# --- --fake: start fake-s3 with the service user holding exactly `s3keeper iam-policy` ----------------
start_fake() {
    section "fake-s3 with a least-privilege service user"
    expect_ok "s3keeper iam-policy prints the service's IAM policy" \
        in_env none "$STEP_TIMEOUT" "$KEEPER" iam-policy --account "$PLATFORM_ACCOUNT_FAKE" --region us-east-1 \
        --verify-bucket "$VERIFY_BUCKET" --open-bucket "$OPEN_BUCKET" --controlled-bucket "$CONTROLLED_BUCKET" \
        --uploads-bucket "$UPLOADS_BUCKET" || stop "no IAM policy for the service"
    cp "$TMPD/out" "$TMPD/service-policy.json"
    if jtrue "$TMPD/service-policy.json" "isinstance(j.get('Statement'), list) and len(j['Statement']) > 0"; then
        pass "the service's IAM policy is a JSON policy document"
    else
        fail "the service's IAM policy is a JSON policy document (got $(head -c 300 "$TMPD/service-policy.json"))"
        stop "no usable IAM policy for the service"
    fi
    # not root-equivalent: no Allow of s3:* or *, no NotAction
    if jtrue "$TMPD/service-policy.json" "not [s for s in j['Statement'] if s.get('Effect') == 'Allow' and (
            set(a.lower() for a in ([s['Action']] if isinstance(s.get('Action'), str) else s.get('Action', []))) & {'*', 's3:*'}
            or 'NotAction' in s)]"; then
        pass "the service's IAM policy allows neither s3:* nor *"
    else
        fail "the service's IAM policy allows neither s3:* nor * (got $(tr -d '\n' <"$TMPD/service-policy.json" | head -c 400))"
    fi
    expect_ok "s3keeper policy validate --kind identity accepts the service's IAM policy" \
        in_env none "$STEP_TIMEOUT" "$KEEPER" policy validate --kind identity "$TMPD/service-policy.json"

    ADMIN_AK="AKIA$(hex 8 | tr a-f A-F)";    ADMIN_SK=$(hex 20); ADMIN_ST=""
    PLATFORM_AK="AKIA$(hex 8 | tr a-f A-F)"; PLATFORM_SK=$(hex 20); PLATFORM_ST=""
    PERSON_AK="AKIA$(hex 8 | tr a-f A-F)";   PERSON_SK=$(hex 20); PERSON_ST=""
    python3 - "$TMPD/fake-s3-config.json" "$TMPD/service-policy.json" "$PLATFORM_ACCOUNT_FAKE" "$PERSON_ACCOUNT_FAKE" \
        "$ADMIN_AK" "$ADMIN_SK" "$PLATFORM_AK" "$PLATFORM_SK" "$PERSON_AK" "$PERSON_SK" <<'PY' || stop "cannot write the fake's configuration"
import json, sys
out, policy_file, platform, people, aak, ask, pak, psk, uak, usk = sys.argv[1:]
policy = json.load(open(policy_file))
config = {"region": "us-east-1", "accounts": [
    {"id": platform,
     "root_keys": [{"access_key_id": aak, "secret_access_key": ask}],
     "users": [{"name": "s3keeper-service", "keys": [{"access_key_id": pak, "secret_access_key": psk}],
                "policies": [policy]}]},
    {"id": people,
     "users": [{"name": "ann", "keys": [{"access_key_id": uak, "secret_access_key": usk}],
                "policies": [{"Version": "2012-10-17",
                              "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]}]}]}
with open(out, "w") as f:
    json.dump(config, f, indent=1)
PY
    ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
      export PATH="$SAVED_PATH" RUST_LOG=info
      exec "$FAKE" --port 0 --config "$TMPD/fake-s3-config.json" ) >"$LOGD/fake-s3.out" 2>"$LOGD/fake-s3.log" &
    FAKE_PID=$!
    for _ in $(seq 1 100); do
        ENDPOINT=$(sed -n 's|^fake-s3 listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$LOGD/fake-s3.out")
        [ -n "$ENDPOINT" ] && break
        kill -0 "$FAKE_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$ENDPOINT" ]; then
        fail "fake-s3 starts with the generated configuration (got: $(tail -c 400 "$LOGD/fake-s3.log"))"
        stop "no fake-s3"
    fi
    pass "fake-s3 listens on $ENDPOINT (its own HTTP proxy for access point and S3 Control hosts)"
    ENDPOINT_PROXY=1
}
[ "$MODE" = fake ] && start_fake

# --- parameters ----------------------------------------------------------------------------------------
section "parameters"
echo "mode:            $MODE"
echo "endpoint:        ${ENDPOINT:-(real AWS: no AWS_ENDPOINT_URL)}$([ "$ENDPOINT_PROXY" = 1 ] && echo ' (also HTTP proxy)')"
echo "region:          $REGION"
echo "buckets:         $VERIFY_BUCKET, $OPEN_BUCKET, $CONTROLLED_BUCKET, $UPLOADS_BUCKET"
echo "dataset:         $DS"
echo "database:        $(mask_url "$DB_URL")"
echo "platform key:    $(mask "$PLATFORM_AK")$([ -n "$PLATFORM_ST" ] && echo ' + session token')"
echo "person key:      $(mask "$PERSON_AK")$([ -n "$PERSON_ST" ] && echo ' + session token')"
echo "admin key:       $(mask "$ADMIN_AK")$([ "$ADMIN_AK" = "$PLATFORM_AK" ] && echo ' (the platform credentials: clean-up needs s3:ListAllMyBuckets, s3:DeleteBucket, s3:DeleteObject, s3:DeleteBucketPolicy too)')"
echo "s3keeper:        $KEEPER"
echo "timeouts:        ${STEP_TIMEOUT}s per command, ${WAIT}s for AWS to apply policies"

# --- who is who ----------------------------------------------------------------------------------------
section "identities"
expect_ok "admin: aws sts get-caller-identity" admin sts get-caller-identity --output json || stop "the admin credentials do not work"
ADMIN_ARN=$(jval "$TMPD/out" "j['Arn']")
expect_ok "service: aws sts get-caller-identity" service_cli sts get-caller-identity --output json || stop "the platform credentials do not work"
PLATFORM_ACCOUNT=$(jval "$TMPD/out" "j['Account']")
SERVICE_ARN=$(jval "$TMPD/out" "j['Arn']")
echo "admin:           $ADMIN_ARN"
echo "service:         $SERVICE_ARN"
case "$SERVICE_ARN" in
    *:root|"") fail "the service does not run as the account root (got '$SERVICE_ARN')" ;;
    *) pass "the service does not run as the account root ($SERVICE_ARN)" ;;
esac
if [ "$MODE" = fake ]; then
    check "the service runs as IAM user s3keeper-service of $PLATFORM_ACCOUNT_FAKE" "got $SERVICE_ARN" \
        [ "$SERVICE_ARN" = "arn:aws:iam::$PLATFORM_ACCOUNT_FAKE:user/s3keeper-service" ]
fi
case "$PLATFORM_ACCOUNT" in [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;;
    *) stop "cannot tell the platform account (got '$PLATFORM_ACCOUNT')" ;; esac

# The person's identity, as they would paste it.
expect_ok "person: aws sts get-caller-identity > id.json" person sts get-caller-identity --output json \
    || stop "the person's credentials do not work"
cp "$TMPD/out" "$TMPD/id.json"
PERSON_ARN=$(jval "$TMPD/id.json" "j['Arn']")
echo "person:          $PERSON_ARN"
check "the person is an IAM user" "got $PERSON_ARN" jtrue "$TMPD/id.json" "':user/' in j['Arn']"

# --- the run's buckets must not exist yet ----------------------------------------------------------------
section "buckets must be new"
for b in "$VERIFY_BUCKET" "$OPEN_BUCKET" "$CONTROLLED_BUCKET" "$UPLOADS_BUCKET" "$OUTSIDE_BUCKET"; do
    run admin s3api head-bucket --bucket "$b"
    if [ "$RC" -eq 0 ] || ! grep -Eq '\(404\)|Not Found|NoSuchBucket' "$TMPD/err"; then
        echo "staging-flow: bucket $b exists or cannot be checked (exit $RC: $(last_output))" >&2
        echo "staging-flow: refusing to run: this run only touches buckets it creates; choose another STAGING_BUCKET_PREFIX" >&2
        exit 2
    fi
done
OWNED_BUCKETS=("$VERIFY_BUCKET" "$OPEN_BUCKET" "$CONTROLLED_BUCKET" "$UPLOADS_BUCKET" "$OUTSIDE_BUCKET")
pass "none of the run's buckets exists yet"

# The service may do what it needs and nothing else: creating another bucket is refused.
OUTSIDE_LOCATION=()
[ "$REGION" = us-east-1 ] || OUTSIDE_LOCATION=(--create-bucket-configuration "LocationConstraint=$REGION")
expect_err "the service cannot create a bucket outside its configuration ($OUTSIDE_BUCKET): AccessDenied" \
    'AccessDenied' service_cli s3api create-bucket --bucket "$OUTSIDE_BUCKET" "${OUTSIDE_LOCATION[@]}"

# --- setup and doctor --------------------------------------------------------------------------------
section "setup"
expect_ok "s3keeper setup" keeper setup || stop "setup failed"
# (ListAllMyBuckets: the verification bucket's policy denies HeadBucket, a ListBucket, to the admin.)
expect_ok "admin: aws s3api list-buckets" admin s3api list-buckets --output json
for b in "$VERIFY_BUCKET" "$OPEN_BUCKET" "$CONTROLLED_BUCKET" "$UPLOADS_BUCKET"; do
    check "setup created $b" "not in list-buckets" jtrue "$TMPD/out" "a[0] in [x['Name'] for x in j['Buckets']]" "$b"
done
for b in "$CONTROLLED_BUCKET" "$UPLOADS_BUCKET"; do
    expect_ok "admin: get-public-access-block on $b" \
        admin s3api get-public-access-block --bucket "$b" --output json
    check "$b has all four public access block flags" "got $(last_output)" \
        jtrue "$TMPD/out" "all(j['PublicAccessBlockConfiguration'].get(k) is True for k in ('BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'))"
done
expect_ok "s3keeper setup again (safe to repeat)" keeper setup

expect_ok "s3keeper doctor" keeper doctor && echo "    doctor: $(grep -v '^[[:space:]]*$' "$TMPD/out" | tail -n 1)"

# --- verification (SPEC §4) --------------------------------------------------------------------------
section "verification"
expect_ok "s3keeper person add $EMAIL --name Ann" keeper person add "$EMAIL" --name Ann || stop "cannot add the person"
expect_ok "s3keeper verify start $EMAIL id.json" keeper verify start "$EMAIL" "$TMPD/id.json" || stop "verify start failed"
PRESIGN=$(grep -v '^[[:space:]]*$' "$TMPD/out" | tail -n 1)
# The service's answer is run as a command: only `aws s3 presign s3://VERIFY_BUCKET/…` with no shell
# metacharacters, split on spaces into an array (never eval).
case "$PRESIGN" in
    "aws s3 presign s3://$VERIFY_BUCKET/"*)
        if printf '%s' "${PRESIGN#aws s3 presign }" | grep -Eq '^s3://[A-Za-z0-9._~%=@/+:-]+$'; then
            pass "verify start prints an aws s3 presign command on the verification bucket"
        else
            fail "verify start prints a plain aws s3 presign command (got characters outside the safe set: $PRESIGN)"
            stop "will not run that command"
        fi ;;
    *) fail "verify start prints 'aws s3 presign s3://$VERIFY_BUCKET/…' last (got '$PRESIGN')"; stop "no presign command" ;;
esac
read -r -a PRESIGN_ARGV <<<"$PRESIGN"
case "$PRESIGN" in
    *"/email=$EMAIL_PATH/userid=$(jval "$TMPD/id.json" "j['UserId']")/account=$(jval "$TMPD/id.json" "j['Account']")/"*)
        pass "the key names the person's email, user id and account" ;;
    *) fail "the key names the person's email, user id and account (got $PRESIGN)" ;;
esac
expect_ok "person: ${PRESIGN_ARGV[*]}" person "${PRESIGN_ARGV[@]:1}" || stop "the person could not presign"
SIGNED_URL=$(grep -v '^[[:space:]]*$' "$TMPD/out" | tail -n 1)
expect_ok -w "$WAIT" "s3keeper verify finish $EMAIL URL" keeper verify finish "$EMAIL" "$SIGNED_URL" \
    || stop "verification failed"
check "verify finish says the person is verified as their IAM user" "got $(last_output)" \
    grep -q "is verified as $PERSON_ARN" "$TMPD/out"

# --- the dataset -------------------------------------------------------------------------------------
section "dataset"
SRC="$TMPD/dataset"
mkdir -p "$SRC/data"
printf 'Staging dataset %s, run %s.\n' "$DS" "$RUN_HEX" >"$SRC/README.txt"
printf 'id,value\n1,alpha\n2,beta\n' >"$SRC/data/part-0001.csv"
head -c 5000 /dev/urandom | od -An -tx1 >"$SRC/data/part-0002.txt"
expect_ok "s3keeper dataset register $SLUG $VERSION --kind controlled" \
    keeper dataset register "$SLUG" "$VERSION" --kind controlled --source "$SRC" || stop "cannot register the dataset"
expect_ok "s3keeper dataset upload $SLUG $VERSION" keeper dataset upload "$SLUG" "$VERSION" || stop "upload failed"
expect_ok "admin: the controlled bucket holds the dataset" admin s3 ls --recursive "s3://$CONTROLLED_BUCKET/$DS/"
check "the upload put exactly the 3 files under $DS/" "got $(last_output)" \
    [ "$(grep -c " $DS/" "$TMPD/out")" = 3 ]

# --- the API: agree, grant -----------------------------------------------------------------------------
section "s3keeper serve"
API_TOKEN=$(hex 16)
printf 'Authorization: Bearer %s\n' "$API_TOKEN" >"$TMPD/auth-header"
( apply_env service; exec "$KEEPER" serve --listen 127.0.0.1:0 --reconcile-every 0 ) >"$LOGD/serve.out" 2>"$LOGD/serve.log" &
SERVE_PID=$!
API=""
for _ in $(seq 1 150); do
    API=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$LOGD/serve.out")
    [ -n "$API" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$API" ] || { fail "s3keeper serve starts (got: $(tail -c 400 "$LOGD/serve.log"))"; stop "no API"; }
# api METHOD PATH [JSON]: the answer's status in STATUS, its body in $TMPD/body.
api() {
    local args=(-sS --noproxy '*' -m "$STEP_TIMEOUT" -o "$TMPD/body" -D "$TMPD/headers" -w '%{http_code}'
                -X "$1" -H "@$TMPD/auth-header")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    STATUS=$(curl "${args[@]}" "$API$2" 2>"$TMPD/curl-err") || STATUS="${STATUS:-000}"
    { echo "\$ curl -X $1 $API$2 ${3:-} (HTTP $STATUS)"; cat "$TMPD/body" "$TMPD/curl-err"; echo; } >>"$LOGD/steps.log"
}
expect_status() { # expect_status DESC WANT METHOD PATH [JSON]
    local desc=$1 want=$2
    shift 2
    api "$@"
    if [ "$STATUS" = "$want" ]; then pass "$desc"; return 0; fi
    fail "$desc (expected HTTP $want, got $STATUS: $(head -c 300 "$TMPD/body" | tr '\n' ' ')$(tr '\n' ' ' <"$TMPD/curl-err"))"
}
ok=0
for _ in $(seq 1 50); do
    STATUS=$(curl -s --noproxy '*' -m 5 -o "$TMPD/body" -w '%{http_code}' "$API/health") || true
    [ "$STATUS" = 200 ] && { ok=1; break; }
    sleep 0.2
done
if [ "$ok" = 1 ] && jtrue "$TMPD/body" "j['status'] == 'ok'"; then
    pass "s3keeper serve answers GET /health on $API"
else
    fail "s3keeper serve answers GET /health (got HTTP $STATUS: $(head -c 200 "$TMPD/body"))"; stop "no API"
fi
STATUS=$(curl -s --noproxy '*' -m 10 -o "$TMPD/body" -w '%{http_code}' "$API/datasets") || true
check "the API refuses a request without the token (401)" "got HTTP $STATUS" [ "$STATUS" = 401 ]

section "agree and grant"
WHO="{\"email\": \"$EMAIL\"}"
expect_status "POST /datasets/$DS/agreements" 200 POST "/datasets/$DS/agreements" "$WHO" || stop "agreement failed"
check "the agreement grants at once (the person is verified): access.state active" "got $(head -c 400 "$TMPD/body")" \
    jtrue "$TMPD/body" "j['signed'] is True and j['access'] and j['access']['state'] == 'active'"
expect_status "POST /datasets/$DS/grants" 200 POST "/datasets/$DS/grants" "$WHO" || stop "grant failed"
cp "$TMPD/body" "$TMPD/grant.json"
S3_URI=$(jval "$TMPD/grant.json" "j['s3_uri']")
AP_ARN="arn:aws:s3:$REGION:$PLATFORM_ACCOUNT:accesspoint/$SLUG-v${VERSION//./-}-01"
check "the grant is active on access point $SLUG-v${VERSION//./-}-01" "got $(head -c 400 "$TMPD/grant.json")" \
    jtrue "$TMPD/grant.json" "j['state'] == 'active' and j['access_point_arn'] == a[0] and j['email'] == a[1] and a[0].endswith('/' + j['access_point'])" "$AP_ARN" "$EMAIL"
check "s3_uri is s3://ACCESS_POINT_ARN/$DS/" "got $S3_URI" [ "$S3_URI" = "s3://$AP_ARN/$DS/" ]
check "sync_command is 'aws s3 sync S3_URI DEST'" "got $(jval "$TMPD/grant.json" "j['sync_command']")" \
    jtrue "$TMPD/grant.json" "j['sync_command'].startswith('aws s3 sync ' + j['s3_uri'] + ' ')"
[ "$S3_URI" = "s3://$AP_ARN/$DS/" ] || stop "no access point URI to sync from"

# --- the person reads through the access point ------------------------------------------------------------
section "the person's access"
expect_ok -w "$WAIT" "person: aws s3 sync $S3_URI (the access point ARN)" \
    person s3 sync --no-progress "$S3_URI" "$TMPD/copy"
check "the person's copy equals the dataset" "diff -r: $(diff -r "$SRC" "$TMPD/copy" 2>&1 | head -c 300)" \
    diff -r "$SRC" "$TMPD/copy"
expect_err "person: the bucket directly (aws s3 ls s3://$CONTROLLED_BUCKET/$DS/) is refused: AccessDenied" \
    'AccessDenied' person s3 ls "s3://$CONTROLLED_BUCKET/$DS/"
expect_err "person: a dataset file from the bucket directly is refused: AccessDenied" \
    'AccessDenied|Forbidden|403' person s3 cp --no-progress "s3://$CONTROLLED_BUCKET/$DS/README.txt" "$TMPD/x"
expect_err "person: listing the access point's root (outside the dataset) is refused: AccessDenied" \
    'AccessDenied' person s3 ls "s3://$AP_ARN/"
expect_err "person: listing $SLUG/ (a parent of the dataset) through the access point is refused: AccessDenied" \
    'AccessDenied' person s3 ls "s3://$AP_ARN/$SLUG/"

# --- revoke --------------------------------------------------------------------------------------------
section "revoke"
expect_status "DELETE /datasets/$DS/grants/$EMAIL" 204 DELETE "/datasets/$DS/grants/$EMAIL_PATH" || stop "revoke failed"
expect_status "GET /datasets/$DS/grants/$EMAIL after the revoke is 404" 404 GET "/datasets/$DS/grants/$EMAIL_PATH"
expect_err -w "$WAIT" "person: the same aws s3 sync is now refused: AccessDenied" \
    'AccessDenied' person s3 sync --no-progress "$S3_URI" "$TMPD/copy-after-revoke"
check "nothing was downloaded after the revoke" "$(find "$TMPD/copy-after-revoke" -type f 2>/dev/null | head -3)" \
    [ -z "$(find "$TMPD/copy-after-revoke" -type f 2>/dev/null)" ]

# --- uploads without credentials (upload tickets) ------------------------------------------------------
section "uploads without credentials"
# post_form TICKET KEY FILE: a browser-style POST form upload of FILE to the ticket's url with all its
# fields (key replaced by KEY; the file the last part), by plain curl with no AWS tool and no
# credentials; the answer's status in STATUS, its body in $TMPD/post-body. --form-string: a field
# value beginning with @ or < is sent as it is.
post_form() {
    local ticket=$1 key=$2 file=$3 url kv args=()
    url=$(jval "$ticket" "j['url']")
    while IFS= read -r -d '' kv; do args+=(--form-string "$kv"); done < <(python3 - "$ticket" "$key" <<'PY'
import json, sys
fields = dict(json.load(open(sys.argv[1]))["fields"])
fields["key"] = sys.argv[2]
sys.stdout.write("".join(f"{k}={v}\0" for k, v in fields.items()))
PY
)
    [ "$ENDPOINT_PROXY" = 1 ] && args+=(--proxy "$ENDPOINT")
    STATUS=$(in_env none "$STEP_TIMEOUT" curl -sS -m "$STEP_TIMEOUT" -o "$TMPD/post-body" -w '%{http_code}' \
        "${args[@]}" -F "file=@$file" "$url" 2>"$TMPD/curl-err") || STATUS=${STATUS:-000}
    { echo "\$ curl -F key=$key -F file=@$file $url (POST form, HTTP $STATUS)"; cat "$TMPD/post-body" "$TMPD/curl-err"; echo; } >>"$LOGD/steps.log"
}
# expect_post [-w SECONDS] DESC WANT REGEX TICKET KEY FILE: the POST answers HTTP WANT with a body
# matching REGEX (empty: any body), retried for SECONDS while AWS applies a policy.
expect_post() {
    local within=0
    if [ "$1" = -w ]; then within=$2; shift 2; fi
    local desc=$1 want=$2 pattern=$3 start=$SECONDS
    shift 3
    while :; do
        post_form "$@"
        if [ "$STATUS" = "$want" ] && { [ -z "$pattern" ] || grep -Eq -- "$pattern" "$TMPD/post-body"; }; then
            pass "$desc"; return 0
        fi
        [ $((SECONDS - start)) -lt "$within" ] || break
        sleep 3
    done
    fail "$desc (expected HTTP $want and a body matching /$pattern/, got $STATUS: $(head -c 300 "$TMPD/post-body" | tr '\n' ' ')$(tr '\n' ' ' <"$TMPD/curl-err"))"
}
UP="$TMPD/uploads"
mkdir -p "$UP/push/sub"
printf 'Hello from staging run %s.\n' "$RUN_HEX" >"$UP/hello.txt"
head -c 2000 /dev/urandom >"$UP/big.bin"
expect_ok "s3keeper upload start --prefix staging-uploads/1/ --max-bytes 1000 > ticket.json" \
    keeper upload start --prefix staging-uploads/1/ --max-bytes 1000 || stop "no upload ticket"
cp "$TMPD/out" "$UP/ticket.json"
TICKET_ID=$(jval "$UP/ticket.json" "j['id']")
check "the ticket is a POST form on $UPLOADS_BUCKET: method post, a url, fields with key and policy" \
    "got $(head -c 400 "$UP/ticket.json" | tr '\n' ' ')" \
    jtrue "$UP/ticket.json" "j['method'] == 'post' and j['url'].startswith('http') and isinstance(j['fields'], dict) and 'key' in j['fields'] and 'policy' in j['fields'] and j['bucket'] == a[0] and j['prefix'] == 'staging-uploads/1/' and j['id']" "$UPLOADS_BUCKET"
[ -n "$TICKET_ID" ] && jtrue "$UP/ticket.json" "isinstance(j['fields'], dict)" || stop "no usable ticket"
expect_post "curl (no credentials): POST form of hello.txt to staging-uploads/1/hello.txt answers 204" \
    204 '' "$UP/ticket.json" staging-uploads/1/hello.txt "$UP/hello.txt"
expect_post "curl: the form with key staging-uploads/2/evil.txt (outside the prefix) answers 403 AccessDenied" \
    403 AccessDenied "$UP/ticket.json" staging-uploads/2/evil.txt "$UP/hello.txt"
expect_post "curl: a 2000-byte file (over --max-bytes 1000) answers 400 EntityTooLarge" \
    400 EntityTooLarge "$UP/ticket.json" staging-uploads/1/big.bin "$UP/big.bin"
expect_ok "s3keeper upload finish $TICKET_ID" keeper upload finish "$TICKET_ID"
check "upload finish says finished, with the one object staging-uploads/1/hello.txt ($(wc -c <"$UP/hello.txt") bytes)" \
    "got $(last_output)" \
    jtrue "$TMPD/out" "j['state'] == 'finished' and [(o['key'], o['size']) for o in j['objects']] == [('staging-uploads/1/hello.txt', int(a[0]))]" \
    "$(wc -c <"$UP/hello.txt")"
expect_post -w "$WAIT" "curl: the same POST after the finish answers 403 (the ticket is revoked)" \
    403 AccessDenied "$UP/ticket.json" staging-uploads/1/hello.txt "$UP/hello.txt"

printf 'one\n' >"$UP/push/a.txt"
printf 'two\n' >"$UP/push/b.txt"
printf 'three\n' >"$UP/push/sub/c.txt"
expect_ok "s3keeper upload start --prefix staging-uploads/3/ > t2.json" \
    keeper upload start --prefix staging-uploads/3/ || stop "no second upload ticket"
cp "$TMPD/out" "$UP/t2.json"
TICKET2_ID=$(jval "$UP/t2.json" "j['id']")
expect_ok "s3keeper push DIR --ticket t2.json (3 files, one in a subdirectory; no credentials)" \
    in_env none "$STEP_TIMEOUT" "$KEEPER" push "$UP/push" --ticket "$UP/t2.json"
expect_ok "admin: aws s3 ls --recursive s3://$UPLOADS_BUCKET/staging-uploads/3/" \
    admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/3/"
check "push put exactly a.txt, b.txt, sub/c.txt under staging-uploads/3/" "got $(last_output)" \
    [ "$(awk '{print $4}' "$TMPD/out" | sort | tr '\n' ' ')" = "staging-uploads/3/a.txt staging-uploads/3/b.txt staging-uploads/3/sub/c.txt " ]
expect_ok "s3keeper upload cancel $TICKET2_ID" keeper upload cancel "$TICKET2_ID"
run admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/3/"
check "after upload cancel, staging-uploads/3/ is empty" "got exit $RC: $(last_output)" \
    [ -z "$(cat "$TMPD/out" "$TMPD/err")" ]

# Python clients (scripts/check_uploads.py, one PASS/FAIL line per check, counted here): requests
# with a post ticket's form (no AWS library), boto3 with an sts ticket's credentials.
# py_checks DESC N CMD...: CMD prints N `PASS: …`/`FAIL: …` lines, each counted as this script's own;
# a CMD that fails without a FAIL line, or prints another number of checks, is a failure too.
py_checks() {
    local desc=$1 want=$2 line n=0 failed=0
    shift 2
    run "$@"
    while IFS= read -r line; do
        case "$line" in
            "PASS: "*) n=$((n + 1)); pass "${line#PASS: }" ;;
            "FAIL: "*) n=$((n + 1)); failed=1; fail "${line#FAIL: }" ;;
        esac
    done <"$TMPD/out"
    if [ "$RC" -ne 0 ] && [ "$failed" = 0 ]; then
        fail "$desc runs its checks (exit $RC: $(last_output))"
    elif [ "$n" -ne "$want" ]; then
        fail "$desc prints $want checks (got $n, exit $RC: $(last_output))"
    fi
}
check_uploads() { # check_uploads MODE ARGS...: scripts/check_uploads.py with no credentials of its own
    in_env ticket $((STEP_TIMEOUT * 4 + WAIT)) python3 "$ROOT/scripts/check_uploads.py" "$@" --timeout "$STEP_TIMEOUT"
}
expect_ok "s3keeper upload start --prefix staging-uploads/4/ --max-bytes 1000 > t4.json" \
    keeper upload start --prefix staging-uploads/4/ --max-bytes 1000 && cp "$TMPD/out" "$UP/t4.json"
if [ -s "$UP/t4.json" ]; then
    py_checks "check_uploads.py post t4.json" 3 \
        check_uploads post "$UP/t4.json" "$UP/hello.txt" --form-filename form-named.txt \
        --outside-key staging-uploads/5/x.txt
    expect_ok "admin: aws s3 ls --recursive s3://$UPLOADS_BUCKET/staging-uploads/4/" \
        admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/4/"
    check "the requests POSTs put exactly hello.txt and form-named.txt (the form's \${filename}) under staging-uploads/4/" \
        "got $(last_output)" \
        [ "$(awk '{print $4}' "$TMPD/out" | sort | tr '\n' ' ')" = "staging-uploads/4/form-named.txt staging-uploads/4/hello.txt " ]
fi
run admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/5/"
check "nothing arrived under staging-uploads/5/ (the refused key)" "got exit $RC: $(last_output)" \
    [ -z "$(cat "$TMPD/out" "$TMPD/err")" ]

expect_ok "s3keeper upload start --prefix staging-uploads/6/ --method sts > t6.json" \
    keeper upload start --prefix staging-uploads/6/ --method sts && cp "$TMPD/out" "$UP/t6.json"
TICKET6_ID=""
if [ -s "$UP/t6.json" ]; then
    TICKET6_ID=$(jval "$UP/t6.json" "j['id']")
    check "the sts ticket holds credentials (access key, secret, session token, expiration) for $UPLOADS_BUCKET, staging-uploads/6/" \
        "got $(jval "$UP/t6.json" "{k: (v if k != 'credentials' else sorted(v)) for k, v in j.items()}" | head -c 400)" \
        jtrue "$UP/t6.json" "j['method'] == 'sts' and j['bucket'] == a[0] and j['prefix'] == 'staging-uploads/6/' and j['region'] and j['id'] and all(j['credentials'].get(k) for k in ('access_key_id', 'secret_access_key', 'session_token', 'expiration')) and 'url' not in j and 'fields' not in j" \
        "$UPLOADS_BUCKET"
    py_checks "check_uploads.py sts t6.json" 4 \
        check_uploads sts "$UP/t6.json" --outside-key staging-uploads/7/x --parent-prefix staging-uploads/
fi
run admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/7/"
check "nothing arrived under staging-uploads/7/ (the refused key)" "got exit $RC: $(last_output)" \
    [ -z "$(cat "$TMPD/out" "$TMPD/err")" ]
if [ -n "$TICKET6_ID" ]; then
    expect_ok "s3keeper upload finish $TICKET6_ID (the sts ticket)" keeper upload finish "$TICKET6_ID"
    check "upload finish says finished, with the one object boto3 put (staging-uploads/6/boto3.txt)" "got $(last_output)" \
        jtrue "$TMPD/out" "j['state'] == 'finished' and [o['key'] for o in j['objects']] == ['staging-uploads/6/boto3.txt']"
    py_checks "check_uploads.py sts-finished t6.json" 1 \
        check_uploads sts-finished "$UP/t6.json" --wait "$WAIT"
fi

# --- reconcile -----------------------------------------------------------------------------------------
section "reconcile"
expect_status "POST /reconcile" 200 POST /reconcile
check "reconcile (API) reports no drift and no failures, with the access point checked" "got $(head -c 400 "$TMPD/body")" \
    jtrue "$TMPD/body" "j['drift'] == [] and j['failures'] == [] and j['access_points_checked'] >= 1"

# --- metrics -------------------------------------------------------------------------------------------
section "metrics"
api GET /metrics
if [ "$STATUS" != 200 ]; then
    fail "GET /metrics (expected HTTP 200, got $STATUS: $(head -c 300 "$TMPD/body"))"
else
    pass "GET /metrics"
    CTYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$TMPD/headers" | tr -d '\r' | head -n 1)
    case "$CTYPE" in
        text/plain*|application/openmetrics-text*) pass "/metrics answers Prometheus text ($CTYPE)" ;;
        *) fail "/metrics answers Prometheus text (expected Content-Type text/plain or application/openmetrics-text, got '$CTYPE')" ;;
    esac
    cp "$TMPD/body" "$LOGD/metrics.txt"
    # A strict parser of the Prometheus text format 0.0.4 or OpenMetrics 1.0 (by Content-Type), then
    # the flow's numbers.
    python3 - "$LOGD/metrics.txt" "$CTYPE" "$METRIC_GRANTS" "$METRIC_REVOKES" "$METRIC_AWS_CALLS" \
        "$METRIC_AWS_OPERATION_LABEL" "$METRIC_AWS_OPERATIONS" >"$TMPD/metrics-check" 2>&1 <<'PY'
import re, sys
path, ctype, grants, revokes, calls, op_label, ops = sys.argv[1:]
om = ctype.startswith("application/openmetrics-text")
text = open(path, encoding="utf-8").read()
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
VALUE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN")
STAMP = re.compile(r"[+-]?\d+(?:\.\d+)?" if om else r"-?\d+")
if om:   # the suffixes each type's samples may have (OpenMetrics 1.0)
    SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "unknown": ("",), "info": ("_info",),
                "stateset": ("",), "summary": ("", "_count", "_sum", "_created"),
                "histogram": ("_bucket", "_count", "_sum", "_created"), "gaugehistogram": ("_bucket", "_gcount", "_gsum")}
else:    # the text format 0.0.4
    SUFFIXES = {"counter": ("",), "gauge": ("",), "untyped": ("",), "summary": ("", "_count", "_sum"),
                "histogram": ("_bucket", "_count", "_sum")}
errors, types, meta, series, samples, done, current = [], {}, set(), set(), [], set(), None

def enter(fam, n):  # a family's lines must be consecutive
    global current
    if fam != current:
        if fam in done:
            errors.append(f"line {n}: the lines of {fam} are not grouped together")
        if current is not None:
            done.add(current)
        current = fam

def family(name, n):
    for base, kind in types.items():
        for suffix in SUFFIXES[kind]:
            if name == base + suffix:
                return base
    if name in types:
        errors.append(f"line {n}: {name} is not a sample name of a {types[name]}")
        return name
    return name

def labels_at(line, i, n):  # parses {a="b",...} at i; returns (labels, index after) or None
    labels = {}
    i += 1
    while True:
        if line[i:i + 1] == "}":
            return labels, i + 1
        lm = LABEL.match(line, i)
        if not lm or line[lm.end():lm.end() + 2] != '="':
            errors.append(f"line {n}: bad label at column {i + 1}: {line!r}"); return None
        key, i, value = lm.group(0), lm.end() + 2, ""
        while i < len(line) and line[i] != '"':
            if line[i] == "\\":
                if line[i + 1:i + 2] not in ("\\", '"', "n"):
                    errors.append(f"line {n}: bad escape in label {key}"); return None
                value += {"\\": "\\", '"': '"', "n": "\n"}[line[i + 1]]; i += 2
            else:
                value += line[i]; i += 1
        if i >= len(line):
            errors.append(f"line {n}: unterminated label value"); return None
        i += 1
        if key in labels:
            errors.append(f"line {n}: label {key} twice")
        labels[key] = value
        if line[i:i + 1] == ",":
            i += 1
        elif line[i:i + 1] != "}":
            errors.append(f"line {n}: expected ',' or '}}' at column {i + 1}"); return None

if not text.endswith("\n"):
    errors.append("the text does not end with a newline")
lines = text.split("\n")[:-1]
if om:
    if not lines or lines[-1] != "# EOF":
        errors.append("OpenMetrics text must end with '# EOF'")
    elif "# EOF" in lines[:-1]:
        errors.append("lines after '# EOF'")
    lines = lines[:-1]
for n, line in enumerate(lines, 1):
    if line == "":
        if om: errors.append(f"line {n}: empty line")
        continue
    if line.startswith("#"):
        parts = line.split(" ", 3)
        kinds = ("HELP", "TYPE", "UNIT") if om else ("HELP", "TYPE")
        if len(parts) < 2 or parts[1] not in kinds:
            if om: errors.append(f"line {n}: a comment that is not HELP, TYPE or UNIT: {line!r}")
            continue
        if len(parts) < 3 or not NAME.fullmatch(parts[2]):
            errors.append(f"line {n}: {parts[1]} without a valid metric name"); continue
        name = parts[2]
        if (parts[1], name) in meta:
            errors.append(f"line {n}: second {parts[1]} for {name}")
        meta.add((parts[1], name))
        if name in {s[3] for s in samples}:
            errors.append(f"line {n}: {parts[1]} for {name} after its samples")
        enter(name, n)
        if parts[1] == "TYPE":
            if len(parts) != 4 or parts[3] not in SUFFIXES:
                errors.append(f"line {n}: TYPE {name} needs one of {sorted(SUFFIXES)}"); continue
            types[name] = parts[3]
        elif parts[1] == "HELP" and len(parts) == 4 and re.search(r'\\[^\\n"]' if om else r"\\[^\\n]", parts[3]):
            errors.append(f"line {n}: bad escape in HELP text")
        continue
    m = NAME.match(line)
    if not m:
        errors.append(f"line {n}: no metric name: {line!r}"); continue
    name, i, labels = m.group(0), m.end(), {}
    if line[i:i + 1] == "{":
        parsed = labels_at(line, i, n)
        if parsed is None:
            continue
        labels, i = parsed
    rest = line[i:]
    if om and " # " in rest:   # an exemplar: ' # {labels} value [timestamp]'
        rest, exemplar = rest.split(" # ", 1)
        if not re.fullmatch(r'\{.*\} \S+( \S+)?', exemplar):
            errors.append(f"line {n}: bad exemplar: {line!r}")
    if not rest.startswith(" "):
        errors.append(f"line {n}: no space before the value: {line!r}"); continue
    fields = rest[1:].split(" ")
    if len(fields) not in (1, 2) or not VALUE.fullmatch(fields[0]) or (len(fields) == 2 and not STAMP.fullmatch(fields[1])):
        errors.append(f"line {n}: bad value or timestamp: {line!r}"); continue
    fam = family(name, n)
    enter(fam, n)
    key = (name, tuple(sorted(labels.items())))
    if key in series:
        errors.append(f"line {n}: duplicate series {name}{labels}")
    series.add(key)
    value = float(fields[0].replace("Inf", "inf"))
    kind = types.get(fam)
    if kind in ("counter", "histogram") and not value >= 0:
        errors.append(f"line {n}: {name} is {fields[0]}, a {kind} cannot be negative")
    if name == fam + "_bucket" and "le" not in labels:
        errors.append(f"line {n}: histogram bucket without le")
    samples.append((name, labels, value, fam))
# Each histogram series has a +Inf bucket equal to its _count.
for fam, kind in types.items():
    if kind != "histogram":
        continue
    counts = {tuple(sorted(l.items())): v for s, l, v, f in samples if s == fam + "_count"}
    infs = {tuple(sorted((k, x) for k, x in l.items() if k != "le")): v
            for s, l, v, f in samples if s == fam + "_bucket" and l.get("le") == "+Inf"}
    if counts != infs:
        errors.append(f"{fam}: the +Inf buckets do not match the _count samples")
if errors:
    print("PARSE " + "; ".join(errors[:5]))
    sys.exit(1)
print(f"PARSED {len(samples)} samples in {len(types)} typed families, {'OpenMetrics' if om else 'text format 0.0.4'}")
def total(name, **want):
    return sum(v for s, l, v, f in samples if s == name and all(l.get(k) == w for k, w in want.items()))
print(f"GRANTS {total(grants)}")
print(f"REVOKES {total(revokes)}")
for op in ops.split():
    print(f"CALLS {op} {total(calls, **{op_label: op})}")
seen = sorted({l.get(op_label, '?') for s, l, v, f in samples if s == calls})
print(f"OPERATIONS {' '.join(seen)}")
PY
    if grep -q '^PARSED ' "$TMPD/metrics-check"; then
        pass "/metrics parses as Prometheus text ($(sed -n 's/^PARSED //p' "$TMPD/metrics-check"))"
    else
        fail "/metrics parses as Prometheus text (got $(head -c 400 "$TMPD/metrics-check"))"
    fi
    # A second opinion when the prometheus_client package is installed (pip install prometheus_client).
    if python3 -c 'import prometheus_client' 2>/dev/null; then
        run python3 - "$LOGD/metrics.txt" "$CTYPE" <<'PY'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from prometheus_client.parser import text_string_to_metric_families as text_format
parse = openmetrics if sys.argv[2].startswith("application/openmetrics-text") else text_format
families = list(parse(open(sys.argv[1], encoding="utf-8").read()))
print(f"{len(families)} families, {sum(len(f.samples) for f in families)} samples")
PY
        if [ "$RC" -eq 0 ]; then pass "prometheus_client's parser reads /metrics too ($(cat "$TMPD/out"))"
        else fail "prometheus_client's parser reads /metrics too (got $(last_output))"; fi
    fi
    n=$(sed -n 's/^GRANTS //p' "$TMPD/metrics-check")
    check "/metrics counts the flow's grant ($METRIC_GRANTS >= 1)" "got ${n:-nothing}" \
        python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 1 else 1)' "${n:-0}"
    n=$(sed -n 's/^REVOKES //p' "$TMPD/metrics-check")
    check "/metrics counts the flow's revoke ($METRIC_REVOKES >= 1)" "got ${n:-nothing}" \
        python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 1 else 1)' "${n:-0}"
    for op in $METRIC_AWS_OPERATIONS; do
        n=$(sed -n "s/^CALLS $op //p" "$TMPD/metrics-check")
        check "/metrics counts AWS calls by operation ($METRIC_AWS_CALLS{$METRIC_AWS_OPERATION_LABEL=\"$op\"} >= 1)" \
            "got ${n:-nothing}; operations seen: $(sed -n 's/^OPERATIONS //p' "$TMPD/metrics-check")" \
            python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 1 else 1)' "${n:-0}"
    done
fi

# --- stop the service; reconcile from the CLI -----------------------------------------------------------
section "stop"
stop_process "$SERVE_PID" "s3keeper serve"
SERVE_PID=""
check "s3keeper serve never panicked" "$(grep -m1 panicked "$LOGD/serve.log" 2>/dev/null)" \
    no_panic "$LOGD/serve.log"
expect_ok "s3keeper reconcile --json" keeper reconcile --json
check "reconcile (CLI) reports no drift and no failures" "got $(last_output)" \
    jtrue "$TMPD/out" "j['drift'] == [] and j['failures'] == [] and j['access_points_checked'] >= 1"

# --- adversarial: scripts/adversary.sh, with servers of its own (only with --fake) ------------------------
# Its PASS/FAIL lines count here as they come; its own summary lines are not repeated. On PostgreSQL it
# gets a second fresh database on the same server (created here, dropped in clean-up).
if [ "$MODE" = fake ] && [ "$ADVERSARY" != 0 ]; then
    section "adversarial (scripts/adversary.sh)"
    ADV_DB=""
    if [ -n "$PG_CREATED" ]; then
        if pg_admin createdb "${PG_CREATED}_adv" >>"$LOGD/steps.log" 2>&1; then
            PG_ADV_CREATED="${PG_CREATED}_adv"
            ADV_DB="${PG_PARTS[6]}/$PG_ADV_CREATED"
            [ -z "${PG_PARTS[5]}" ] || ADV_DB="$ADV_DB?${PG_PARTS[5]}"
        else
            fail "createdb ${PG_CREATED}_adv for adversary.sh (got $(tail -c 300 "$LOGD/steps.log"))"
        fi
    fi
    adv_n=0; adv_failed=0; adv_rc=""
    while IFS= read -r line; do
        case "$line" in
            "PASS: "*) adv_n=$((adv_n + 1)); pass "adversary: ${line#PASS: }" ;;
            "FAIL: "*) adv_n=$((adv_n + 1)); adv_failed=1; fail "adversary: ${line#FAIL: }" ;;
            "ADVERSARY-EXIT "*) adv_rc=${line#ADVERSARY-EXIT } ;;
            [0-9]*" passed, "[0-9]*" failed") ;;
            *) echo "    $line" ;;
        esac
    done < <( ADVERSARY_DATABASE_URL="$ADV_DB" S3KEEPER_BIN="$KEEPER" FAKE_S3_BIN="$FAKE" PATH="$SAVED_PATH" \
                  timeout --foreground -k 10 300 bash "$ROOT/scripts/adversary.sh" 2>&1 </dev/null
              echo "ADVERSARY-EXIT $?" )
    if [ "$adv_rc" != 0 ] && [ "$adv_failed" = 0 ]; then
        fail "scripts/adversary.sh runs its checks (exit ${adv_rc:-?} after $adv_n checks)"
    fi
fi

exit 0   # clean-up and the summary run in finish()
