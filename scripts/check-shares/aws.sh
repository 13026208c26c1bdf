# check-shares/aws.sh (sourced by scripts/check-shares.sh, not run): the AWS dialect part, defined as
# aws_phase: the aws CLI across accounts against the AWS fake (fake-s3-shares-aws.json). servers.sh
# runs it in the background in $TMPD/aws-phase; the driver prints and counts its lines at the end.

# =========================================================================================================
# 2. AWS dialect with the aws CLI across accounts (run in the background, see below)
# =========================================================================================================
aws_phase() {
echo "== AWS dialect"
echo "fake-s3 (AWS dialect, $(basename "$AWS_CONFIG")) on $AWS_EP"
mkdir -p "$TMPD/aws" "$TMPD/home"
: >"$TMPD/home/aws-empty"
: >"$TMPD/aws/config"; : >"$TMPD/aws/credentials"
eval "$(python3 - "$AWS_CONFIG" "$TMPD/aws" <<'PY'
import json, shlex, sys
cfg, d = json.load(open(sys.argv[1])), sys.argv[2]
profiles = []
for a in cfg["accounts"]:
    if a.get("root_keys"):
        profiles.append(("admin", a["root_keys"][0]))
    for u in a.get("users", []):
        profiles.append((u["name"], u["keys"][0]))
with open(f"{d}/config", "w") as c, open(f"{d}/credentials", "w") as k:
    for name, key in profiles:
        c.write(f"[profile {name}]\nregion = us-east-1\ns3 =\n    addressing_style = path\n\n")
        k.write(f"[{name}]\naws_access_key_id = {key['access_key_id']}\naws_secret_access_key = {key['secret_access_key']}\n\n")
        if name == "s3keeper-service":
            print(f"SERVICE_AK={shlex.quote(key['access_key_id'])}; SERVICE_SK={shlex.quote(key['secret_access_key'])}")
PY
)"
[ -n "${SERVICE_AK:-}" ] || bad "$AWS_CONFIG has no user s3keeper-service"
awsas() { # awsas PROFILE AWS-ARGS...
    local who=$1; shift
    ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
      export PATH="$SAVED_PATH" HOME="$TMPD/home" LANG=C.UTF-8 AWS_CONFIG_FILE="$TMPD/aws/config" \
          AWS_SHARED_CREDENTIALS_FILE="$TMPD/aws/credentials" AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
      exec timeout -k 5 "$STEP_TIMEOUT" aws --endpoint-url "$AWS_EP" --profile "$who" "$@" )
}
live_aws() { # live_aws FILE BUCKET: the live policy (compact JSON, or "none")
    run awsas admin s3api get-bucket-policy --bucket "$2" --output json
    python3 - "$TMPD/out" >"$1" <<'PY'
import json, sys
try:
    print(json.dumps(json.loads(json.load(open(sys.argv[1]))["Policy"]), sort_keys=True))
except Exception:
    print("none")
PY
}
SHARED="shares-aws-$RUN"
CAROL=arn:aws:iam::444455556666:user/carol
DAN=arn:aws:iam::444455556666:user/dan

expect_ok "admin (root of 111122223333) creates $SHARED" awsas admin s3api create-bucket --bucket "$SHARED"
for k in data/a.txt incoming/seed.txt; do
    run awsas admin s3api put-object --bucket "$SHARED" --key "$k" --body "$F/$k"
    [ "$RC" -eq 0 ] || fail "admin uploads $k (exit $RC: $(last_output))"
done
expect_err "carol cannot read $SHARED before any grant" "$DENIED_AWS" awsas carol s3 cp "s3://$SHARED/data/a.txt" -

# --- bad users and roles: refused, nothing written ---------------------------------------------------------
expect_err "AWS dialect: a bare user name is refused with a message" '.' ka share grant "$SHARED" carol --role reader
wrote_nothing "the bare-name grant wrote nothing"
expect_err "AWS dialect: --role admin is refused with a message" '[Rr]ole|admin' ka share grant "$SHARED" "$CAROL" --role admin
wrote_nothing "the --role admin grant wrote nothing"
expect_err "AWS dialect: an 11-digit account id is refused" '.' ka share grant "$SHARED" 44445555666 --role reader
wrote_nothing "the 11-digit account grant wrote nothing"
expect_err "AWS dialect: a Ceph-style ARN without account is refused" '.' ka share grant "$SHARED" 'arn:aws:iam:::user/carol' --role reader
wrote_nothing "the account-less ARN grant wrote nothing"
live_aws "$TMPD/a0.json" "$SHARED"
check "after the refusals $SHARED still has no bucket policy" grep -qx none "$TMPD/a0.json"

# --- a user ARN across accounts ------------------------------------------------------------------------------
expect_ok "share grant $SHARED $CAROL --role reader" ka share grant "$SHARED" "$CAROL" --role reader
expect_ok "share grant $SHARED $DAN --role writer --prefix incoming/" ka share grant "$SHARED" "$DAN" --role writer --prefix incoming/
live_aws "$TMPD/a1.json" "$SHARED"
principals_of "$TMPD/a1.json" >"$TMPD/a1.principals"
check "the live policy names carol's and dan's ARNs" bash -c "grep -qxF '$CAROL' '$TMPD/a1.principals' && grep -qxF '$DAN' '$TMPD/a1.principals'"

expect_ok "carol (444455556666) lists $SHARED" awsas carol s3 ls "s3://$SHARED/data/"
check_out "carol's listing shows a.txt" 'a\.txt'
expect_ok "carol downloads data/a.txt" awsas carol s3 cp "s3://$SHARED/data/a.txt" "$TMPD/carol-a.txt"
check "carol got the right bytes" cmp -s "$F/data/a.txt" "$TMPD/carol-a.txt"
expect_err "reader carol cannot upload" "$DENIED_AWS" awsas carol s3api put-object --bucket "$SHARED" --key data/carol.txt --body "$F/new.txt"
expect_err "reader carol cannot delete" "$DENIED_AWS" awsas carol s3api delete-object --bucket "$SHARED" --key data/a.txt

expect_ok "writer dan uploads under incoming/" awsas dan s3api put-object --bucket "$SHARED" --key incoming/dan.txt --body "$F/new.txt"
expect_ok "writer dan lists incoming/" awsas dan s3api list-objects-v2 --bucket "$SHARED" --prefix incoming/
check_out "dan's listing shows his upload" 'incoming/dan\.txt'
expect_ok "writer dan downloads under incoming/" awsas dan s3api get-object --bucket "$SHARED" --key incoming/seed.txt "$TMPD/dan-seed.txt"
expect_err "writer dan cannot upload outside incoming/" "$DENIED_AWS" awsas dan s3api put-object --bucket "$SHARED" --key data/dan.txt --body "$F/new.txt"
expect_err "writer dan cannot download outside incoming/" "$DENIED_AWS" awsas dan s3api get-object --bucket "$SHARED" --key data/a.txt "$TMPD/x"
expect_err "writer dan cannot delete" "$DENIED_AWS" awsas dan s3api delete-object --bucket "$SHARED" --key incoming/dan.txt
expect_err "erin (same account as carol, not granted) cannot read" "$DENIED_AWS" \
    awsas erin s3api get-object --bucket "$SHARED" --key data/a.txt "$TMPD/x"

# --- an account id ---------------------------------------------------------------------------------------------
expect_ok "share grant $SHARED 777788889999 --role reader (an account)" ka share grant "$SHARED" 777788889999 --role reader
expect_ok "frank (777788889999) reads" awsas frank s3api get-object --bucket "$SHARED" --key data/a.txt "$TMPD/f.txt"
expect_ok "gina (777788889999) reads" awsas gina s3 cp "s3://$SHARED/data/a.txt" "$TMPD/g.txt"
expect_ok "gina (777788889999) lists" awsas gina s3api list-objects-v2 --bucket "$SHARED"
expect_err "frank cannot upload (reader)" "$DENIED_AWS" awsas frank s3api put-object --bucket "$SHARED" --key data/f.txt --body "$F/new.txt"

expect_ok "share report $SHARED --json" ka share report "$SHARED" --json
report_expect "share report (AWS dialect) names the owner, the users and the account" "$SHARED" \
    'owner=111122223333|arn:aws:iam::111122223333:root' \
    "$CAROL=list,read,!write,!delete,!change-policy" \
    "$DAN=list@incoming/,read@incoming/,write@incoming/,!delete" \
    'arn:aws:iam::777788889999:root|777788889999=list,read,!write' \
    'arn:aws:iam::444455556666:user/erin=-'

# --- revoke ------------------------------------------------------------------------------------------------------
expect_ok "share revoke $SHARED $CAROL" ka share revoke "$SHARED" "$CAROL"
expect_err "revoked carol cannot read" "$DENIED_AWS" awsas carol s3api get-object --bucket "$SHARED" --key data/a.txt "$TMPD/x"
expect_err "revoked carol cannot list" "$DENIED_AWS" awsas carol s3api list-objects-v2 --bucket "$SHARED"
expect_ok "share revoke $SHARED 777788889999" ka share revoke "$SHARED" 777788889999
expect_err "frank cannot read after the account's revoke" "$DENIED_AWS" awsas frank s3api get-object --bucket "$SHARED" --key data/a.txt "$TMPD/x"
expect_ok "dan (not revoked) still uploads under incoming/" awsas dan s3api put-object --bucket "$SHARED" --key incoming/dan2.txt --body "$F/new.txt"
live_aws "$TMPD/a2.json" "$SHARED"
principals_of "$TMPD/a2.json" >"$TMPD/a2.principals"
if grep -qE '444455556666:user/carol|777788889999' "$TMPD/a2.principals"; then
    fail "after the revokes the live policy names neither carol nor 777788889999 (it names: $(tr '\n' ' ' <"$TMPD/a2.principals"))"
else
    pass "after the revokes the live policy names neither carol nor 777788889999"
fi

echo "aws-phase: $PASSED passed, $FAILED failed"
}
