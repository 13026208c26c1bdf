# staging-flow/preflight.sh (sourced by scripts/staging-flow.sh, not run): the run's parameters
# printed, who is who (admin, service and person identities), the run's buckets must not exist yet
# (exit 2 otherwise), and the service refused a bucket outside its configuration.

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
