# staging-flow/settings.sh (sourced by scripts/staging-flow.sh, not run): the run's parameters from
# STAGING_* and the binaries' variables, the caller's AWS, s3keeper, STAGING_, FAKE_S3_ and proxy
# variables unset, the bucket names and dataset slug, the checks on them and on the tools needed
# (exit 2 otherwise; --fake or real-mode defaults), and the temporary directory.

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
