#!/usr/bin/env bash
# Real-client checks for S3 access points with the aws CLI against a running fake-s3: the controlled
# dataset design of SPEC §5, end to end.
#   FAKE_S3_ENDPOINT=http://127.0.0.1:PORT scripts/check-access-points.sh
# The server must have been started with scripts/fake-s3-config.json (or FAKE_S3_CONFIG).
#
# The owner (root of 111122223333) creates a controlled bucket with all four public access block
# flags, uploads dataset `mimic` version 1.0 under `mimic/1.0/` (and files elsewhere), delegates the
# bucket to its access points (`StringEquals s3:DataAccessPointAccount`), creates access point
# `mimic-v1-0-01` and grants carol (account 444455556666, by her user id) s3:GetObject and
# s3:ListBucket on the dataset, with a Deny of any listing outside `mimic/1.0/`.
#
# Access point and S3 Control requests go to host names the CLI builds from the endpoint
# (`mimic-v1-0-01-111122223333.127.0.0.1:PORT`, `111122223333.127.0.0.1:PORT`), which do not
# resolve: those commands run with HTTP_PROXY pointing at the fake itself (`ap_as` below), which
# accepts proxy requests and routes by Host. Everything else (and the alias, used path-style as a
# bucket name) goes straight to the endpoint.
#
# The access point names are fixed (mimic-v1-0-01, mimic-v1-0-02): run one copy of this script per
# server at a time. They are deleted at the end, and at the start if an earlier run left them.
set -u
. "$(dirname "$0")/lib.sh"
require_endpoint
load_keys
command -v aws >/dev/null || { echo "aws CLI not found (pip install awscli)" >&2; exit 2; }

TMPD=$(mktemp -d)
RUN_ID="$(date +%s)-$$"
ACCT=111122223333
B="ctl-ap-$RUN_ID"                       # the controlled bucket
SLUG=mimic; VERSION=1.0
DS="$SLUG/$VERSION"                      # the dataset's prefix
AP=mimic-v1-0-01                         # SLUG-vVERSION-NN
AP2=mimic-v1-0-02
ARN="arn:aws:s3:us-east-1:$ACCT:accesspoint/$AP"

unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE
export AWS_CONFIG_FILE="$TMPD/config" AWS_SHARED_CREDENTIALS_FILE="$TMPD/credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_DEFAULT_REGION=us-east-1
: >"$AWS_CONFIG_FILE"; : >"$AWS_SHARED_CREDENTIALS_FILE"
# carol-v4 presigns with SigV4 (CLI v1 presigns with SigV2 by default, which access points refuse).
for p in owner:OWNER alice:ALICE carol:CAROL carol-v4:CAROL other:OTHER; do
    name=${p%%:*}; var=${p#*:}; ak_var=${var}_AK; sk_var=${var}_SK
    sigv=""
    [ "$name" = carol-v4 ] && sigv="    signature_version = s3v4"
    cat >>"$AWS_CONFIG_FILE" <<EOF
[profile $name]
region = us-east-1
s3 =
    addressing_style = path
$sigv
EOF
    cat >>"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[$name]
aws_access_key_id = ${!ak_var}
aws_secret_access_key = ${!sk_var}
EOF
done

# as PROFILE ARGS...: the CLI pointed at the fake, no proxy (path-style buckets and aliases).
as() {
    local who=$1; shift
    case "$1 $2" in
        "s3 cp"|"s3 sync"|"s3 mv") aws --endpoint-url "$FAKE_S3_ENDPOINT" --profile "$who" "$@" --no-progress ;;
        *) aws --endpoint-url "$FAKE_S3_ENDPOINT" --profile "$who" "$@" ;;
    esac
}
# ap_as PROFILE ARGS...: the same with the fake as HTTP proxy, for access point ARNs and s3control.
ap_as() {
    HTTP_PROXY="$FAKE_S3_ENDPOINT" http_proxy="$FAKE_S3_ENDPOINT" NO_PROXY= no_proxy= as "$@"
}
# curl through the fake as proxy (curl ignores an upper-case HTTP_PROXY, so pass --proxy).
ap_status() { http_status "$1" --proxy "$FAKE_S3_ENDPOINT" --noproxy ''; }

CLEANED=0
cleanup() {
    [ "$CLEANED" = 1 ] && { rm -rf "$TMPD"; return; }
    for n in "$AP" "$AP2"; do
        ap_as owner s3control delete-access-point --account-id "$ACCT" --name "$n" >/dev/null 2>&1
    done
    as owner s3 rm --recursive "s3://$B" >/dev/null 2>&1 && as owner s3 rb "s3://$B" >/dev/null 2>&1
    rm -rf "$TMPD"
}
trap cleanup EXIT
# Access points an interrupted earlier run left behind (names are fixed).
for n in "$AP" "$AP2"; do
    ap_as owner s3control delete-access-point --account-id "$ACCT" --name "$n" >/dev/null 2>&1
done

AD="\\(AccessDenied\\) when calling the [A-Za-z0-9]+ operation: $DENIED_MESSAGE"
DENIED="$AD|\\(403\\) when calling the Head[A-Za-z]+ operation: Forbidden"
# py FILE CODE: runs CODE with `j` = the JSON in FILE; its truth is the exit status.
py() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }

echo "== access points, aws CLI ($(aws --version 2>&1)) against $FAKE_S3_ENDPOINT (proxied for $AP-$ACCT.$FAKE_S3_HOSTPORT)"

# --- the controlled bucket and the dataset (owner) -------------------------------------------------
mkdir -p "$TMPD/dataset/data" "$TMPD/elsewhere"
echo "MIMIC 1.0: read me first" >"$TMPD/dataset/README.txt"
for i in 1 2; do printf 'id,value\n%s,%s\n' "$i" "$((i * 7))" >"$TMPD/dataset/data/part-000$i.csv"; done
echo "not part of any dataset" >"$TMPD/elsewhere/secret.txt"
echo "MIMIC 2.0: another version" >"$TMPD/elsewhere/v2.txt"
expect_ok "owner creates the controlled bucket $B" as owner s3 mb "s3://$B"
expect_ok "owner uploads the dataset under $DS/ (s3 sync)" as owner s3 sync "$TMPD/dataset" "s3://$B/$DS/"
[ "$(grep -c '^upload:' "$TMPD/out")" = 3 ] && pass "s3 sync uploaded the dataset's 3 files" \
    || fail "s3 sync uploaded the dataset's 3 files (got: $(last_output))"
expect_ok "owner uploads other/secret.txt (outside any dataset)" as owner s3 cp "$TMPD/elsewhere/secret.txt" "s3://$B/other/secret.txt"
expect_ok "owner uploads $SLUG/2.0/README.txt (another version)" as owner s3 cp "$TMPD/elsewhere/v2.txt" "s3://$B/$SLUG/2.0/README.txt"
expect_ok "put-public-access-block with all four flags" as owner s3api put-public-access-block --bucket "$B" \
    --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
cat >"$TMPD/bucket-policy.json" <<EOF
{"Version": "2012-10-17",
 "Statement": [{"Sid": "DelegateToOwnAccessPoints", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
   "Resource": ["arn:aws:s3:::$B", "arn:aws:s3:::$B/*"],
   "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "$ACCT"}}}]}
EOF
expect_ok "the delegation bucket policy is accepted despite BlockPublicPolicy (not public: DataAccessPointAccount)" \
    as owner s3api put-bucket-policy --bucket "$B" --policy "file://$TMPD/bucket-policy.json"
expect_ok "get-bucket-policy-status" as owner s3api get-bucket-policy-status --bucket "$B" --output json
py "$TMPD/out" 'j["PolicyStatus"]["IsPublic"] is False' && pass "the delegation policy is not public" \
    || fail "the delegation policy is not public ($(last_output))"

# --- S3 Control: the access point ------------------------------------------------------------------
expect_ok "s3control create-access-point $AP" \
    ap_as owner s3control create-access-point --account-id "$ACCT" --name "$AP" --bucket "$B" --output json
py "$TMPD/out" "j['AccessPointArn'] == '$ARN' and j['Alias'].endswith('-s3alias') and len(j['Alias']) <= 63" \
    && pass "create-access-point returns the ARN and an alias ending -s3alias" \
    || fail "create-access-point returns the ARN and an alias ending -s3alias ($(last_output))"
ALIAS=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("Alias", "no-alias"))' "$TMPD/out" 2>/dev/null || echo no-alias)
expect_err "creating $AP again is AccessPointAlreadyOwnedByYou" 'AccessPointAlreadyOwnedByYou' \
    ap_as owner s3control create-access-point --account-id "$ACCT" --name "$AP" --bucket "$B"
expect_ok "s3control create-access-point $AP2 (a second one on the bucket)" \
    ap_as owner s3control create-access-point --account-id "$ACCT" --name "$AP2" --bucket "$B"
LONG=$(printf 'a%.0s' $(seq 1 51))
for bad in My-Ap trail- -lead mimic-v1-s3alias "$LONG"; do
    case "$bad" in
        My-Ap) why="upper case" ;; trail-) why="ends with -" ;; -lead) why="starts with -" ;;
        *-s3alias) why="ends with -s3alias" ;; *) why="51 characters" ;;
    esac
    expect_err "create-access-point refuses the name ${bad:0:20} ($why)" \
        '\((InvalidRequest|InvalidAccessPointName|InvalidURI)\)' \
        ap_as owner s3control create-access-point --account-id "$ACCT" "--name=$bad" --bucket "$B"
done
# (Names shorter than 3 characters never reach the server: botocore checks the model's minimum.)

expect_ok "s3control get-access-point" ap_as owner s3control get-access-point --account-id "$ACCT" --name "$AP" --output json
py "$TMPD/out" "j['Name'] == '$AP' and j['Bucket'] == '$B' and j['NetworkOrigin'] == 'Internet' and j['Alias'] == '$ALIAS' and j.get('AccessPointArn') == '$ARN' and j.get('BucketAccountId') == '$ACCT' and all(j['PublicAccessBlockConfiguration'].values()) and 'CreationDate' in j" \
    && pass "get-access-point: name, bucket, Internet origin, alias, ARN, all four block flags" \
    || fail "get-access-point: name, bucket, Internet origin, alias, ARN, all four block flags ($(last_output))"
expect_ok "s3control list-access-points --bucket $B" \
    ap_as owner s3control list-access-points --account-id "$ACCT" --bucket "$B" --output json
py "$TMPD/out" "[a['Name'] for a in j['AccessPointList']] == ['$AP', '$AP2'] and all(a['Bucket'] == '$B' and a['Alias'].endswith('-s3alias') for a in j['AccessPointList'])" \
    && pass "list-access-points shows $AP and $AP2 on $B" \
    || fail "list-access-points shows $AP and $AP2 on $B ($(last_output))"
expect_ok "s3control list-access-points --max-results 1" \
    ap_as owner s3control list-access-points --account-id "$ACCT" --bucket "$B" --max-results 1 --no-paginate --output json
py "$TMPD/out" "[a['Name'] for a in j['AccessPointList']] == ['$AP'] and j.get('NextToken')" \
    && pass "a page of 1 access point has a NextToken" \
    || fail "a page of 1 access point has a NextToken ($(last_output))"
expect_err "list-access-points by carol for account $ACCT is AccessDenied" "$AD" \
    ap_as carol s3control list-access-points --account-id "$ACCT"
expect_err "get-access-point of a missing name is NoSuchAccessPoint" 'NoSuchAccessPoint' \
    ap_as owner s3control get-access-point --account-id "$ACCT" --name "nope-$$"

# --- the access point policy ------------------------------------------------------------------------
expect_err "get-access-point-policy before any is NoSuchAccessPointPolicy" 'NoSuchAccessPointPolicy' \
    ap_as owner s3control get-access-point-policy --account-id "$ACCT" --name "$AP"
ap_policy() { # ap_policy PRINCIPAL FILE
    cat >"$2" <<EOF
{"Version": "2012-10-17",
 "Statement": [
  {"Sid": "DenyListingOutsideTheDataset", "Effect": "Deny", "Principal": {"AWS": "*"},
   "Action": "s3:ListBucket", "Resource": "$ARN",
   "Condition": {"StringNotLike": {"s3:prefix": "$DS/*"}}},
  {"Sid": "GrantedPeople", "Effect": "Allow", "Principal": {"AWS": ["$1"]},
   "Action": ["s3:GetObject", "s3:ListBucket"],
   "Resource": ["$ARN", "$ARN/object/$DS/*"]}]}
EOF
}
ap_policy "arn:aws:iam::444455556666:user/nobody-$$" "$TMPD/bad-ap-policy.json"
expect_err "put-access-point-policy naming a user that does not exist is MalformedPolicy" \
    'MalformedPolicy.*Invalid principal in policy' \
    ap_as owner s3control put-access-point-policy --account-id "$ACCT" --name "$AP" --policy "file://$TMPD/bad-ap-policy.json"
ap_policy AIDACAROLEXAMPLE0001 "$TMPD/ap-policy.json"   # carol's user id (fixed in the config)
expect_ok "put-access-point-policy granting carol by her user id" \
    ap_as owner s3control put-access-point-policy --account-id "$ACCT" --name "$AP" --policy "file://$TMPD/ap-policy.json"
expect_ok "get-access-point-policy" ap_as owner s3control get-access-point-policy --account-id "$ACCT" --name "$AP" --output json
py "$TMPD/out" "(lambda p: sorted(s.get('Sid') for s in p['Statement']) == ['DenyListingOutsideTheDataset', 'GrantedPeople'] and [s['Principal']['AWS'] for s in p['Statement'] if s['Sid'] == 'GrantedPeople'][0] in (['arn:aws:iam::444455556666:user/carol'], 'arn:aws:iam::444455556666:user/carol'))(json.loads(j['Policy']))" \
    && pass "get-access-point-policy returns the policy with carol's user id shown as her ARN" \
    || fail "get-access-point-policy returns the policy with carol's user id shown as her ARN ($(last_output))"
expect_ok "get-access-point-policy-status" \
    ap_as owner s3control get-access-point-policy-status --account-id "$ACCT" --name "$AP" --output json
py "$TMPD/out" 'j["PolicyStatus"]["IsPublic"] is False' && pass "the access point policy is not public" \
    || fail "the access point policy is not public ($(last_output))"
expect_err "carol cannot read the access point policy (AccessDenied)" "$AD" \
    ap_as carol s3control get-access-point-policy --account-id "$ACCT" --name "$AP"

# --- carol through the access point ARN -------------------------------------------------------------
expect_ok "carol: aws s3 ls s3://$ARN/$DS/" ap_as carol s3 ls "s3://$ARN/$DS/"
grep -q ' README.txt$' "$TMPD/out" && grep -q 'PRE data/' "$TMPD/out" \
    && pass "carol's listing shows README.txt and PRE data/" || fail "carol's listing shows README.txt and PRE data/ ($(last_output))"
expect_ok "carol: aws s3 ls --recursive through the ARN" ap_as carol s3 ls --recursive "s3://$ARN/$DS/"
[ "$(grep -c " $DS/" "$TMPD/out")" = 3 ] && ! grep -q 'other/\|2\.0/' "$TMPD/out" \
    && pass "the recursive listing shows exactly the dataset's 3 files" \
    || fail "the recursive listing shows exactly the dataset's 3 files ($(last_output))"
expect_ok "carol: aws s3 sync s3://$ARN/$DS/ to a directory" ap_as carol s3 sync "s3://$ARN/$DS/" "$TMPD/carol-copy"
[ "$(grep -c '^download:' "$TMPD/out")" = 3 ] && pass "s3 sync downloaded 3 files" \
    || fail "s3 sync downloaded 3 files ($(last_output))"
check "carol's copy equals the dataset" diff -r "$TMPD/dataset" "$TMPD/carol-copy"
expect_ok "carol: a second s3 sync is a no-op" ap_as carol s3 sync "s3://$ARN/$DS/" "$TMPD/carol-copy"
[ ! -s "$TMPD/out" ] && pass "the second sync transferred nothing" || fail "the second sync transferred nothing ($(last_output))"
expect_ok "carol: s3 cp of one file through the ARN" ap_as carol s3 cp "s3://$ARN/$DS/README.txt" "$TMPD/readme.back"
check "the file has the right bytes" cmp -s "$TMPD/dataset/README.txt" "$TMPD/readme.back"
expect_ok "carol: s3api head-object through the ARN" ap_as carol s3api head-object --bucket "$ARN" --key "$DS/README.txt"
expect_err "carol cannot list other/ through the access point (AccessDenied)" "$AD" ap_as carol s3 ls "s3://$ARN/other/"
expect_err "carol cannot list the access point's root (AccessDenied)" "$AD" ap_as carol s3 ls "s3://$ARN/"
expect_err "carol cannot list $SLUG/ (a parent of the dataset) (AccessDenied)" "$AD" ap_as carol s3 ls "s3://$ARN/$SLUG/"
expect_err "carol cannot list $SLUG/2.0/ (another version) (AccessDenied)" "$AD" ap_as carol s3 ls "s3://$ARN/$SLUG/2.0/"
expect_err "carol cannot get other/secret.txt through the access point (AccessDenied)" "$AD" \
    ap_as carol s3api get-object --bucket "$ARN" --key other/secret.txt "$TMPD/x"
expect_err "carol cannot s3 cp other/secret.txt through the access point (403)" "$DENIED" \
    ap_as carol s3 cp "s3://$ARN/other/secret.txt" "$TMPD/x"
expect_err "carol cannot get $SLUG/2.0/README.txt (another version) (AccessDenied)" "$AD" \
    ap_as carol s3api get-object --bucket "$ARN" --key "$SLUG/2.0/README.txt" "$TMPD/x"
expect_err "carol cannot upload through the access point (AccessDenied)" "$AD" \
    ap_as carol s3 cp "$TMPD/elsewhere/secret.txt" "s3://$ARN/$DS/carol.txt"

# --- not through the access point, or not granted ----------------------------------------------------
expect_err "carol cannot list the bucket directly (AccessDenied)" "$AD" as carol s3 ls "s3://$B/$DS/"
expect_err "carol cannot get a dataset file from the bucket directly (AccessDenied)" "$AD" \
    as carol s3api get-object --bucket "$B" --key "$DS/README.txt" "$TMPD/x"
expect_err "alice (owner's account, not granted) cannot list the dataset through the ARN (AccessDenied)" "$AD" \
    ap_as alice s3 ls "s3://$ARN/$DS/"
expect_err "alice cannot get a dataset file through the ARN (AccessDenied)" "$AD" \
    ap_as alice s3api get-object --bucket "$ARN" --key "$DS/README.txt" "$TMPD/x"
expect_err "carol's account root (not granted) cannot list through the ARN (AccessDenied)" "$AD" \
    ap_as other s3 ls "s3://$ARN/$DS/"
expect_err "carol's account root cannot get a dataset file through the ARN (AccessDenied)" "$AD" \
    ap_as other s3api get-object --bucket "$ARN" --key "$DS/README.txt" "$TMPD/x"
expect_err "carol has no grant through $AP2 (no policy there) (AccessDenied)" "$AD" \
    ap_as carol s3 ls "s3://arn:aws:s3:us-east-1:$ACCT:accesspoint/$AP2/$DS/"
expect_ok "the owner may list the dataset through the ARN" ap_as owner s3 ls "s3://$ARN/$DS/"
expect_err "the access point's Deny applies to the owner too: listing its root is AccessDenied" "$AD" \
    ap_as owner s3 ls "s3://$ARN/"

# --- the alias, path-style, no proxy -------------------------------------------------------------------
expect_ok "carol: aws s3 ls s3://ALIAS/$DS/ (path-style, no proxy)" as carol s3 ls "s3://$ALIAS/$DS/"
grep -q ' README.txt$' "$TMPD/out" && pass "the listing through the alias shows README.txt" \
    || fail "the listing through the alias shows README.txt ($(last_output))"
expect_ok "carol: s3 cp of a dataset file through the alias" as carol s3 cp "s3://$ALIAS/$DS/data/part-0001.csv" "$TMPD/p1"
check "the file fetched through the alias has the right bytes" cmp -s "$TMPD/dataset/data/part-0001.csv" "$TMPD/p1"
expect_err "carol cannot list the alias's root (AccessDenied)" "$AD" as carol s3 ls "s3://$ALIAS/"
expect_err "carol cannot get other/secret.txt through the alias (AccessDenied)" "$AD" \
    as carol s3api get-object --bucket "$ALIAS" --key other/secret.txt "$TMPD/x"
expect_err "alice cannot list through the alias (AccessDenied)" "$AD" as alice s3 ls "s3://$ALIAS/$DS/"

# --- presigned URLs through the access point -------------------------------------------------------
url=$(ap_as carol-v4 s3 presign "s3://$ARN/$DS/README.txt" --expires-in 300)
case "$url" in
    "http://$AP-$ACCT.$FAKE_S3_HOSTPORT/$DS/README.txt?"*X-Amz-Signature=*) pass "s3 presign through the ARN gives a SigV4 URL on the access point's host" ;;
    *) fail "s3 presign through the ARN gives a SigV4 URL on the access point's host (got $url)" ;;
esac
expect_status "curl (fake as proxy) of carol's presigned URL is 200" 200 "$url" --proxy "$FAKE_S3_ENDPOINT" --noproxy ''
cmp -s "$TMPD/body" "$TMPD/dataset/README.txt" && pass "the presigned GET returns the file" \
    || fail "the presigned GET returns the file (got $(head -c 200 "$TMPD/body"))"
expect_status "the same URL with an edited signature is 403" 403 "$(tamper_signature "$url")" --proxy "$FAKE_S3_ENDPOINT" --noproxy ''
grep -q '<Code>SignatureDoesNotMatch</Code>' "$TMPD/body" && pass "…SignatureDoesNotMatch" \
    || fail "…SignatureDoesNotMatch (got $(head -c 300 "$TMPD/body"))"
expect_status "the URL without its query (anonymous) is 403" 403 "${url%%\?*}" --proxy "$FAKE_S3_ENDPOINT" --noproxy ''
url=$(ap_as carol-v4 s3 presign "s3://$ARN/other/secret.txt" --expires-in 300)
expect_status "carol's presigned URL for other/secret.txt is 403" 403 "$url" --proxy "$FAKE_S3_ENDPOINT" --noproxy ''
grep -q '<Code>AccessDenied</Code>' "$TMPD/body" && pass "…AccessDenied" || fail "…AccessDenied (got $(head -c 300 "$TMPD/body"))"
url=$(ap_as carol s3 presign "s3://$ARN/$DS/README.txt" --expires-in 300)   # CLI v1 default: SigV2
case "$url" in
    *X-Amz-Signature=*) pass "(this CLI presigns access points with SigV4 by default)" ;;
    *) got=$(ap_status "$url")
       case "$got" in 400|403) pass "a SigV2 presigned URL through the access point is refused ($got: access points need SigV4)" ;;
           *) fail "a SigV2 presigned URL through the access point is refused (access points need SigV4; got HTTP $got)" ;;
       esac ;;
esac
url=$(as carol-v4 s3 presign "s3://$ALIAS/$DS/README.txt" --expires-in 300)
expect_status "curl (no proxy) of a presigned URL through the alias is 200" 200 "$url"

# --- revoking -------------------------------------------------------------------------------------------
expect_ok "s3control delete-access-point-policy" \
    ap_as owner s3control delete-access-point-policy --account-id "$ACCT" --name "$AP"
expect_err "carol is denied once the access point policy is gone (AccessDenied)" "$AD" \
    ap_as carol s3api get-object --bucket "$ARN" --key "$DS/README.txt" "$TMPD/x"
expect_ok "s3control delete-access-point $AP" ap_as owner s3control delete-access-point --account-id "$ACCT" --name "$AP"
expect_ok "s3control delete-access-point $AP2" ap_as owner s3control delete-access-point --account-id "$ACCT" --name "$AP2"
expect_err "get-access-point after delete is NoSuchAccessPoint" 'NoSuchAccessPoint' \
    ap_as owner s3control get-access-point --account-id "$ACCT" --name "$AP"
expect_err "the deleted access point's ARN answers NoSuchAccessPoint" 'NoSuchAccessPoint' \
    ap_as owner s3 ls "s3://$ARN/$DS/"
expect_err "the deleted access point's alias no longer works" 'NoSuchAccessPoint|NoSuchBucket' \
    as owner s3 ls "s3://$ALIAS/$DS/"
expect_ok "s3control list-access-points --bucket $B is empty" \
    ap_as owner s3control list-access-points --account-id "$ACCT" --bucket "$B" --output json
py "$TMPD/out" "not j.get('AccessPointList')" && pass "no access point left on $B" \
    || fail "no access point left on $B ($(last_output))"

# --- clean-up -------------------------------------------------------------------------------------------
expect_ok "s3 rm --recursive empties $B" as owner s3 rm --recursive "s3://$B"
expect_ok "s3 rb removes $B" as owner s3 rb "s3://$B"
CLEANED=1

summary "access-points"
