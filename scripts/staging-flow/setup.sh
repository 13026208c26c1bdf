# staging-flow/setup.sh (sourced by scripts/staging-flow.sh, not run): `s3keeper setup` (twice) and
# `doctor`, the person added and verified (SPEC §4: verify start, the printed `aws s3 presign`,
# verify finish), and the dataset registered and uploaded to the controlled bucket.

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
