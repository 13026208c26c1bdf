#!/usr/bin/env bash
# Real-client checks with the AWS CLI (v1 or v2) against a running fake-s3.
#   FAKE_S3_ENDPOINT=http://127.0.0.1:PORT scripts/check-aws-cli.sh
# The server must have been started with scripts/fake-s3-config.json (or FAKE_S3_CONFIG).
set -u
. "$(dirname "$0")/lib.sh"
require_endpoint
load_keys
command -v aws >/dev/null || { echo "aws CLI not found (pip install awscli)" >&2; exit 2; }

TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
RUN_ID="$(date +%s)-$$"
B="awscli-$RUN_ID"          # created by the owner for this run
SHARED=fake-s3-shared       # pre-created by the config (account 111122223333)
MINE="alice/awscli-$RUN_ID"  # alice's keys for this run (checks may run in parallel)
TEAM="team/awscli-$RUN_ID"   # keys outside alice's prefix

# An isolated CLI configuration: one profile per principal, path-style addressing, us-east-1.
# `owner-v4` presigns with SigV4 (CLI v1 presigns with SigV2 by default).
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE
export AWS_CONFIG_FILE="$TMPD/config" AWS_SHARED_CREDENTIALS_FILE="$TMPD/credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_DEFAULT_REGION=us-east-1
: >"$AWS_CONFIG_FILE"; : >"$AWS_SHARED_CREDENTIALS_FILE"
for p in owner:OWNER owner-v4:OWNER alice:ALICE bob:BOB carol:CAROL; do
    name=${p%%:*}; var=${p#*:}; ak_var=${var}_AK; sk_var=${var}_SK
    sigv=""
    [ "$name" = owner-v4 ] && sigv="    signature_version = s3v4"
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

# aws AS PROFILE ARGS...: the CLI pointed at the fake as PROFILE.
as() {
    local who=$1; shift
    case "$1 $2" in
        "s3 cp"|"s3 sync"|"s3 mv") aws --endpoint-url "$FAKE_S3_ENDPOINT" --profile "$who" "$@" --no-progress ;;
        *) aws --endpoint-url "$FAKE_S3_ENDPOINT" --profile "$who" "$@" ;;
    esac
}
# A policy refusal: AccessDenied with S3's "Access Denied" message, or for a caller of the bucket
# owner's own account the context S3 adds ("User: ARN is not authorized to perform: ACTION on
# resource: "ARN" because …"), or a bare 403 for HEAD requests, which have no body; as opposed
# to an authentication failure.
AD="\\(AccessDenied\\) when calling the [A-Za-z0-9]+ operation: $DENIED_MESSAGE"
DENIED="$AD|\\(403\\) when calling the Head[A-Za-z]+ operation: Forbidden"

echo "== aws CLI ($(aws --version 2>&1)) against $FAKE_S3_ENDPOINT"

# --- buckets and objects (owner) ----------------------------------------------------------
expect_ok "s3 mb creates bucket $B" as owner s3 mb "s3://$B"
expect_ok "s3 ls lists the owner's buckets" as owner s3 ls
grep -q " $B\$" "$TMPD/out" && grep -q " $SHARED\$" "$TMPD/out" \
    && pass "s3 ls shows $B and the pre-created $SHARED" \
    || fail "s3 ls shows $B and the pre-created $SHARED (got: $(tr '\n' ' ' <"$TMPD/out"))"
# us-east-1 answers 200 when the owner re-creates its own bucket ("for legacy compatibility",
# CreateBucket's BucketAlreadyOwnedByYou documentation); another account gets BucketAlreadyExists.
expect_ok "s3 mb of the owner's existing bucket succeeds in us-east-1" as owner s3 mb "s3://$B"
expect_err "s3 mb of another account's bucket is refused" 'BucketAlreadyExists' \
    as carol s3 mb "s3://$B"

printf 'hello from the aws cli\n' >"$TMPD/hello.txt"
expect_ok "s3 cp uploads a file" as owner s3 cp "$TMPD/hello.txt" "s3://$B/docs/hello.txt"
expect_ok "s3 cp downloads it back" as owner s3 cp "s3://$B/docs/hello.txt" "$TMPD/hello.back"
check "downloaded bytes equal uploaded bytes" cmp -s "$TMPD/hello.txt" "$TMPD/hello.back"
expect_ok "s3 cp s3:// -> s3:// (CopyObject)" as owner s3 cp "s3://$B/docs/hello.txt" "s3://$B/copies/hello.txt"
expect_ok "s3 cp of the copy to stdout" as owner s3 cp "s3://$B/copies/hello.txt" -
check "copied object has the same bytes" cmp -s "$TMPD/hello.txt" "$TMPD/out"
expect_err "s3 cp of a missing key fails with 404" '\(404\)|Not Found|NoSuchKey' \
    as owner s3 cp "s3://$B/docs/missing.txt" "$TMPD/missing"

# Keys that need URL encoding (the CLI lists with encoding-type=url and decodes the answer).
ODD='odd/with space+plus&amp=é~(1).txt'
expect_ok "s3 cp to a key with spaces, '+', '&', '=' and non-ASCII" as owner s3 cp "$TMPD/hello.txt" "s3://$B/$ODD"
expect_ok "s3api list-objects-v2 --prefix odd/" as owner s3api list-objects-v2 --bucket "$B" --prefix odd/ --output json
python3 - "$TMPD/out" "$ODD" <<'PY' && pass "the odd key is listed exactly as written" || fail "the odd key is listed exactly as written ($(tr '\n' ' ' <"$TMPD/out" | head -c 400))"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if [o["Key"] for o in r.get("Contents", [])] == [sys.argv[2]] else 1)
PY
expect_ok "s3 cp downloads the odd key" as owner s3 cp "s3://$B/$ODD" "$TMPD/odd.back"
check "odd key round-trips" cmp -s "$TMPD/hello.txt" "$TMPD/odd.back"
url=$(as owner s3 presign "s3://$B/$ODD")
expect_status "presigned GET (SigV2) of the odd key via curl is 200" 200 "$url"
url=$(as owner-v4 s3 presign "s3://$B/$ODD")
expect_status "presigned GET (SigV4) of the odd key via curl is 200" 200 "$url"

expect_ok "s3api head-object" as owner s3api head-object --bucket "$B" --key docs/hello.txt
md5=$(md5sum "$TMPD/hello.txt" | cut -d' ' -f1)
python3 - "$TMPD/out" "$md5" <<'PY' && pass "head-object ContentLength=23 and ETag is the MD5" || fail "head-object ContentLength=23 and ETag is the MD5 ($(tr '\n' ' ' <"$TMPD/out"))"
import json, sys
h = json.load(open(sys.argv[1]))
sys.exit(0 if h["ContentLength"] == 23 and h["ETag"] == '"%s"' % sys.argv[2] else 1)
PY
expect_err "head-object of a missing key is a 404" '\(404\)|Not Found' \
    as owner s3api head-object --bucket "$B" --key nope

expect_err "s3api put-object with a wrong --content-md5 is BadDigest" 'BadDigest' \
    as owner s3api put-object --bucket "$B" --key docs/bad-md5.txt --body "$TMPD/hello.txt" \
    --content-md5 "$(python3 -c 'import base64, hashlib; print(base64.b64encode(hashlib.md5(b"x").digest()).decode())')"
as owner s3 rm "s3://$B/docs/bad-md5.txt" >/dev/null 2>&1   # in case it was stored anyway

# --- sync -----------------------------------------------------------------------------------
mkdir -p "$TMPD/tree/a/b" "$TMPD/tree/c"
for f in top.txt a/one.txt a/b/two.txt c/three.txt; do echo "content of $f" >"$TMPD/tree/$f"; done
expect_ok "s3 sync uploads a directory tree" as owner s3 sync "$TMPD/tree" "s3://$B/tree"
[ "$(grep -c '^upload:' "$TMPD/out")" = 4 ] && pass "s3 sync uploaded 4 files" \
    || fail "s3 sync uploaded 4 files (got: $(last_output))"
expect_ok "s3 sync again is a no-op" as owner s3 sync "$TMPD/tree" "s3://$B/tree"
[ ! -s "$TMPD/out" ] && pass "second s3 sync transferred nothing" \
    || fail "second s3 sync transferred nothing (got: $(last_output))"
expect_ok "s3 sync downloads the tree" as owner s3 sync "s3://$B/tree" "$TMPD/tree.back"
check "downloaded tree equals the original" diff -r "$TMPD/tree" "$TMPD/tree.back"
rm "$TMPD/tree/c/three.txt"
expect_ok "s3 sync --delete removes a deleted file" as owner s3 sync --delete "$TMPD/tree" "s3://$B/tree"
grep -q 'delete: s3://.*/tree/c/three.txt' "$TMPD/out" && pass "s3 sync --delete reported the deletion" \
    || fail "s3 sync --delete reported the deletion (got: $(last_output))"
expect_ok "s3 ls --recursive" as owner s3 ls --recursive "s3://$B/tree/"
[ "$(wc -l <"$TMPD/out")" = 3 ] && ! grep -q three.txt "$TMPD/out" && pass "s3 ls --recursive shows the 3 remaining files" \
    || fail "s3 ls --recursive shows the 3 remaining files (got: $(last_output))"
expect_ok "s3 ls of a prefix shows PRE entries" as owner s3 ls "s3://$B/tree/"
grep -q 'PRE a/' "$TMPD/out" && grep -q 'top.txt' "$TMPD/out" && ! grep -q 'one.txt' "$TMPD/out" \
    && pass "s3 ls groups sub-directories as PRE a/" || fail "s3 ls groups sub-directories as PRE a/ (got: $(last_output))"

# --- list-objects-v2 with prefix, delimiter and pagination ----------------------------------
expect_ok "s3api list-objects-v2 --prefix tree/ --delimiter /" \
    as owner s3api list-objects-v2 --bucket "$B" --prefix tree/ --delimiter / --no-paginate
python3 - "$TMPD/out" <<'PY' && pass "list-objects-v2 returns Contents [tree/top.txt] and CommonPrefixes [tree/a/]" || fail "list-objects-v2 returns Contents [tree/top.txt] and CommonPrefixes [tree/a/] ($(tr '\n' ' ' <"$TMPD/out" | head -c 400))"
import json, sys
r = json.load(open(sys.argv[1]))
keys = [o["Key"] for o in r.get("Contents", [])]
prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
sys.exit(0 if keys == ["tree/top.txt"] and prefixes == ["tree/a/"] and r.get("KeyCount") == 2 and r.get("Delimiter") == "/" and r.get("Name") else 1)
PY
expect_ok "s3api list-objects-v2 --prefix tree/a/ (no delimiter)" \
    as owner s3api list-objects-v2 --bucket "$B" --prefix tree/a/
python3 - "$TMPD/out" <<'PY' && pass "list-objects-v2 --prefix returns every key below it" || fail "list-objects-v2 --prefix returns every key below it ($(tr '\n' ' ' <"$TMPD/out" | head -c 400))"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if [o["Key"] for o in r.get("Contents", [])] == ["tree/a/b/two.txt", "tree/a/one.txt"] else 1)
PY
expect_ok "s3api list-objects-v2 --max-keys 1 (pagination)" \
    as owner s3api list-objects-v2 --bucket "$B" --prefix tree/ --max-keys 1 --no-paginate
python3 - "$TMPD/out" <<'PY' && pass "a page of 1 key is truncated with a continuation token" || fail "a page of 1 key is truncated with a continuation token ($(tr '\n' ' ' <"$TMPD/out" | head -c 400))"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if len(r.get("Contents", [])) == 1 and r.get("IsTruncated") and r.get("NextContinuationToken") else 1)
PY
expect_ok "s3api list-objects-v2 --page-size 1 follows every continuation token" \
    as owner s3api list-objects-v2 --bucket "$B" --prefix tree/ --page-size 1 --query 'Contents[].Key' --output text
[ "$(tr '\t' '\n' <"$TMPD/out" | grep -c .)" = 3 ] && pass "paginated listing returns all 3 keys once" \
    || fail "paginated listing returns all 3 keys once (got: $(last_output))"

# --- multipart upload through s3 cp (> 8 MiB threshold) --------------------------------------
head -c $((9 * 1024 * 1024 + 123)) /dev/urandom >"$TMPD/big.bin"
expect_ok "s3 cp of a 9 MiB file (multipart upload)" as owner s3 cp "$TMPD/big.bin" "s3://$B/big/big.bin"
expect_ok "head-object of the multipart object" as owner s3api head-object --bucket "$B" --key big/big.bin
python3 - "$TMPD/out" $((9 * 1024 * 1024 + 123)) <<'PY' && pass "multipart object has the full length and a '-2' ETag" || fail "multipart object has the full length and a '-2' ETag ($(tr '\n' ' ' <"$TMPD/out"))"
import json, sys
h = json.load(open(sys.argv[1]))
sys.exit(0 if h["ContentLength"] == int(sys.argv[2]) and h["ETag"].endswith('-2"') else 1)
PY
expect_ok "s3 cp downloads the multipart object" as owner s3 cp "s3://$B/big/big.bin" "$TMPD/big.back"
check "multipart object round-trips byte for byte" cmp -s "$TMPD/big.bin" "$TMPD/big.back"
expect_ok "s3api list-multipart-uploads shows none left over" \
    as owner s3api list-multipart-uploads --bucket "$B" --output json
python3 - "$TMPD/out" <<'PY' && pass "no multipart upload left open" || fail "no multipart upload left open ($(tr '\n' ' ' <"$TMPD/out"))"
import json, sys
text = open(sys.argv[1]).read().strip()
sys.exit(0 if not text or not json.loads(text).get("Uploads") else 1)
PY

# --- presigned URLs + curl ---------------------------------------------------------------------
for prof in owner owner-v4; do
    kind=SigV2; [ "$prof" = owner-v4 ] && kind=SigV4
    url=$(as "$prof" s3 presign "s3://$B/docs/hello.txt" --expires-in 300)
    case "$kind:$url" in
        SigV2:*AWSAccessKeyId=*Signature=*|SigV2:*Signature=*AWSAccessKeyId=*) pass "aws s3 presign gives a $kind URL" ;;
        SigV4:*X-Amz-Signature=*) pass "aws s3 presign gives a $kind URL" ;;
        *) fail "aws s3 presign gives a $kind URL (got $url)" ;;
    esac
    expect_status "presigned GET ($kind) via curl is 200" 200 "$url"
    cmp -s "$TMPD/body" "$TMPD/hello.txt" && pass "presigned GET ($kind) returns the object" \
        || fail "presigned GET ($kind) returns the object (got $(head -c 200 "$TMPD/body"))"
    expect_status "the same URL without its query (unsigned) is 403" 403 "${url%%\?*}"
    grep -q '<Code>AccessDenied</Code>' "$TMPD/body" && pass "unsigned GET answers an AccessDenied error document" \
        || fail "unsigned GET answers an AccessDenied error document (got $(head -c 300 "$TMPD/body"))"
    bad=$(tamper_signature "$url")
    expect_status "presigned GET ($kind) with an edited signature is 403" 403 "$bad"
    grep -q '<Code>SignatureDoesNotMatch</Code>' "$TMPD/body" && pass "edited $kind signature answers SignatureDoesNotMatch" \
        || fail "edited $kind signature answers SignatureDoesNotMatch (got $(head -c 300 "$TMPD/body"))"
    # Asking for another key with the same signature must fail too.
    expect_status "presigned $kind URL replayed for another key is 403" 403 "${url/docs\/hello.txt/copies\/hello.txt}"
done
url=$(as owner-v4 s3 presign "s3://$B/docs/hello.txt" --expires-in 1)
sleep 2
expect_status "presigned GET (SigV4) after expiry is 403" 403 "$url"
grep -q 'expired' "$TMPD/body" && pass "expired URL says 'Request has expired'" \
    || fail "expired URL says 'Request has expired' (got $(head -c 300 "$TMPD/body"))"

# --- bucket policies -----------------------------------------------------------------------------
expect_err "get-bucket-policy without a policy is NoSuchBucketPolicy" 'NoSuchBucketPolicy' \
    as owner s3api get-bucket-policy --bucket "$B"
cat >"$TMPD/bad-policy.json" <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:user/nobody-by-that-name"},
  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::$B/*"}]}
EOF
expect_err "put-bucket-policy naming a user that does not exist is MalformedPolicy" \
    'MalformedPolicy.*Invalid principal in policy' \
    as owner s3api put-bucket-policy --bucket "$B" --policy "file://$TMPD/bad-policy.json"
cat >"$TMPD/other-bucket-policy.json" <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::444455556666:user/carol"},
  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::some-other-bucket/*"}]}
EOF
expect_err "put-bucket-policy whose Resource is another bucket is MalformedPolicy" 'MalformedPolicy' \
    as owner s3api put-bucket-policy --bucket "$B" --policy "file://$TMPD/other-bucket-policy.json"

# carol (account 444455556666, allowed s3:* by her own account) before any grant:
expect_err "carol (other account) cannot list $B" "$DENIED" as carol s3 ls "s3://$B/"
expect_err "carol cannot download from $B" "$DENIED" as carol s3 cp "s3://$B/docs/hello.txt" "$TMPD/c1"
expect_err "carol cannot get-object from $B (AccessDenied)" "$AD" \
    as carol s3api get-object --bucket "$B" --key docs/hello.txt "$TMPD/c1"
expect_err "carol cannot upload to $B (AccessDenied)" "$AD" \
    as carol s3 cp "$TMPD/hello.txt" "s3://$B/carol/hello.txt"

cat >"$TMPD/policy.json" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "CarolList", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::444455556666:user/carol"},
     "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::$B"},
    {"Sid": "CarolRead", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::444455556666:user/carol"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::$B/docs/*"}
  ]
}
EOF
expect_ok "put-bucket-policy granting carol list + read of docs/" \
    as owner s3api put-bucket-policy --bucket "$B" --policy "file://$TMPD/policy.json"
expect_ok "get-bucket-policy" as owner s3api get-bucket-policy --bucket "$B" --output json
python3 - "$TMPD/out" <<'PY' && pass "get-bucket-policy returns the stored policy" || fail "get-bucket-policy returns the stored policy ($(tr '\n' ' ' <"$TMPD/out" | head -c 400))"
import json, sys
p = json.loads(json.load(open(sys.argv[1]))["Policy"])
sids = sorted(s.get("Sid") for s in p["Statement"])
principals = {s["Principal"]["AWS"] for s in p["Statement"]}
sys.exit(0 if sids == ["CarolList", "CarolRead"] and principals == {"arn:aws:iam::444455556666:user/carol"} else 1)
PY
expect_ok "s3api get-bucket-policy-status" as owner s3api get-bucket-policy-status --bucket "$B" --output json
grep -q '"IsPublic": false' "$TMPD/out" && pass "a policy naming one account is not public" \
    || fail "a policy naming one account is not public ($(last_output))"
expect_ok "carol can now list $B" as carol s3 ls "s3://$B/docs/"
grep -q hello.txt "$TMPD/out" && pass "carol's listing shows docs/hello.txt" || fail "carol's listing shows docs/hello.txt ($(last_output))"
expect_ok "carol can now download docs/hello.txt" as carol s3 cp "s3://$B/docs/hello.txt" "$TMPD/c2"
check "carol got the right bytes" cmp -s "$TMPD/hello.txt" "$TMPD/c2"
expect_err "carol still cannot read outside docs/ (AccessDenied)" "$AD" \
    as carol s3api get-object --bucket "$B" --key copies/hello.txt "$TMPD/c3"
expect_err "carol still cannot upload (AccessDenied)" "$AD" \
    as carol s3 cp "$TMPD/hello.txt" "s3://$B/docs/carol.txt"
expect_err "carol cannot read the bucket policy (AccessDenied)" "$AD" \
    as carol s3api get-bucket-policy --bucket "$B"
expect_err "alice (same account, no grant on $B) cannot read it (AccessDenied)" "$AD" \
    as alice s3api get-object --bucket "$B" --key docs/hello.txt "$TMPD/a0"
expect_ok "delete-bucket-policy" as owner s3api delete-bucket-policy --bucket "$B"
expect_err "get-bucket-policy after delete is NoSuchBucketPolicy" 'NoSuchBucketPolicy' \
    as owner s3api get-bucket-policy --bucket "$B"
expect_err "carol is denied again once the policy is gone" "$AD" \
    as carol s3api get-object --bucket "$B" --key docs/hello.txt "$TMPD/c4"

# --- identity policies: alice may only use fake-s3-shared/alice/ ---------------------------------
expect_ok "alice uploads under her prefix" as alice s3 cp "$TMPD/hello.txt" "s3://$SHARED/$MINE/hello.txt"
expect_ok "alice lists her prefix" as alice s3 ls "s3://$SHARED/$MINE/"
grep -q hello.txt "$TMPD/out" && pass "alice's listing shows her object" || fail "alice's listing shows her object ($(last_output))"
expect_ok "alice downloads her object" as alice s3 cp "s3://$SHARED/$MINE/hello.txt" "$TMPD/a1"
expect_ok "alice uploads a 9 MiB file under her prefix (multipart)" \
    as alice s3 cp "$TMPD/big.bin" "s3://$SHARED/$MINE/big.bin"
expect_ok "owner puts an object outside alice's prefix" as owner s3 cp "$TMPD/hello.txt" "s3://$SHARED/$TEAM/notes.txt"
expect_err "alice cannot upload outside her prefix (AccessDenied)" "$AD" \
    as alice s3 cp "$TMPD/hello.txt" "s3://$SHARED/$TEAM/alice.txt"
expect_err "alice cannot get-object outside her prefix (AccessDenied)" "$AD" \
    as alice s3api get-object --bucket "$SHARED" --key "$TEAM/notes.txt" "$TMPD/a2"
expect_err "alice cannot list the bucket root (AccessDenied)" "$AD" as alice s3 ls "s3://$SHARED/"
expect_err "alice cannot list another prefix (AccessDenied)" "$AD" as alice s3 ls "s3://$SHARED/team/"
expect_err "alice cannot delete outside her prefix (AccessDenied)" "$AD" \
    as alice s3api delete-object --bucket "$SHARED" --key "$TEAM/notes.txt"
expect_err "alice cannot read the bucket policy (AccessDenied)" "$AD" \
    as alice s3api get-bucket-policy --bucket "$SHARED"
expect_err "alice cannot create buckets (AccessDenied)" "$AD" as alice s3 mb "s3://alice-$RUN_ID"
expect_err "head-object on a missing key outside alice's rights is 403, not 404" '\(403\)|Forbidden' \
    as alice s3api head-object --bucket "$SHARED" --key "$TEAM/missing.txt"
expect_err "bob (steward of lts-* only) cannot read $SHARED (AccessDenied)" "$AD" \
    as bob s3api get-object --bucket "$SHARED" --key "$TEAM/notes.txt" "$TMPD/b1"
expect_ok "alice deletes her objects with s3 rm --recursive" as alice s3 rm --recursive "s3://$SHARED/$MINE/"
[ "$(grep -c '^delete:' "$TMPD/out")" = 2 ] && pass "s3 rm --recursive deleted alice's 2 objects" \
    || fail "s3 rm --recursive deleted alice's 2 objects ($(last_output))"

# --- clean-up with rm / rb -------------------------------------------------------------------
expect_ok "s3 rm removes one object" as owner s3 rm "s3://$SHARED/$TEAM/notes.txt"
expect_err "s3 rb of a non-empty bucket is BucketNotEmpty" 'BucketNotEmpty' as owner s3 rb "s3://$B"
expect_ok "s3 rm --recursive empties $B" as owner s3 rm --recursive "s3://$B"
expect_ok "s3api list-objects-v2 of the emptied bucket" as owner s3api list-objects-v2 --bucket "$B" --output json
python3 - "$TMPD/out" <<'PY' && pass "the bucket is empty" || fail "the bucket is empty ($(tr '\n' ' ' <"$TMPD/out" | head -c 300))"
import json, sys
text = open(sys.argv[1]).read().strip()
sys.exit(0 if not text or not json.loads(text).get("Contents") else 1)
PY
expect_ok "s3 rb removes the empty bucket" as owner s3 rb "s3://$B"
expect_err "head-bucket after rb is 404" '\(404\)|Not Found' as owner s3api head-bucket --bucket "$B"

summary "aws-cli"
