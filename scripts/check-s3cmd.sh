#!/usr/bin/env bash
# Real-client checks with s3cmd against a running fake-s3, following the university "LTS" shared
# bucket guide: an allocation owner, a steward and members, with bucket policies applied by
# `s3cmd setpolicy`, shown by `s3cmd info` and removed by `s3cmd delpolicy`.
#   FAKE_S3_ENDPOINT=http://127.0.0.1:PORT scripts/check-s3cmd.sh
#
# Roles, all in account 111122223333 of scripts/fake-s3-config.json:
#   owner   = the account root (the allocation owner's key pair)
#   steward = bob   (identity policy: s3:* on lts-* buckets)
#   member  = alice (no identity grant on lts-* buckets: only what the bucket policy gives her)
#   outsider= carol (account 444455556666)
set -u
. "$(dirname "$0")/lib.sh"
require_endpoint
load_keys
command -v s3cmd >/dev/null || { echo "s3cmd not found (pip install s3cmd)" >&2; exit 2; }

TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
RUN_ID="$(date +%s)-$$"
LAB="lts-lab-$RUN_ID"

# One s3cmd configuration per person: path-style on the fake, plain HTTP, us-east-1, SigV4.
for p in owner:OWNER bob:BOB alice:ALICE carol:CAROL; do
    name=${p%%:*}; var=${p#*:}; ak_var=${var}_AK; sk_var=${var}_SK
    python3 "$SCRIPTS_DIR/s3cfg.py" one "$TMPD/$name.s3cfg" "${!ak_var}" "${!sk_var}" "$FAKE_S3_HOSTPORT" \
        || { echo "cannot write $TMPD/$name.s3cfg" >&2; exit 2; }
done
# s3cmd AS PERSON ARGS...
as() { local who=$1; shift; s3cmd -c "$TMPD/$who.s3cfg" "$@"; }
# An authorization refusal (a HEAD has no body, hence the bare 403 Forbidden).
DENIED="AccessDenied\\): $DENIED_MESSAGE|403 \\(Forbidden\\)"

# The guide's policies, with AWS-style principals (arn:aws:iam::ACCOUNT:user/NAME).
policy() { # policy NAME: writes $TMPD/NAME.json
    local member='"arn:aws:iam::111122223333:user/alice"'
    case "$1" in
    read-only) cat >"$TMPD/$1.json" <<EOF
{"Version": "2012-10-17",
 "Statement": [
  {"Sid": "list-bucket", "Effect": "Allow", "Principal": {"AWS": [$member]},
   "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::$LAB"]},
  {"Sid": "read-only", "Effect": "Allow", "Principal": {"AWS": [$member]},
   "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::$LAB/*"]}]}
EOF
    ;;
    read-write) cat >"$TMPD/$1.json" <<EOF
{"Version": "2012-10-17",
 "Statement": [
  {"Sid": "list-bucket", "Effect": "Allow", "Principal": {"AWS": [$member]},
   "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::$LAB"]},
  {"Sid": "read-write", "Effect": "Allow", "Principal": {"AWS": [$member]},
   "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::$LAB/*"]}]}
EOF
    ;;
    tiered|tiered-location|tiered-info)
    # tiered is the guide's policy; tiered-location adds s3:GetBucketLocation, which `s3cmd info`
    # calls before anything else; tiered-info adds the other bucket settings `s3cmd info` reads
    # and does not forgive a 403 for (lifecycle, CORS, ACL), as S3 and RGW would refuse them too.
    local list='"s3:ListBucket"'
    [ "$1" = tiered-location ] && list='"s3:ListBucket", "s3:GetBucketLocation"'
    [ "$1" = tiered-info ] && list='"s3:ListBucket", "s3:GetBucketLocation", "s3:GetLifecycleConfiguration", "s3:GetBucketCORS", "s3:GetBucketAcl"'
    cat >"$TMPD/$1.json" <<EOF
{"Version": "2012-10-17",
 "Statement": [
  {"Sid": "list-bucket", "Effect": "Allow", "Principal": {"AWS": [$member]},
   "Action": [$list], "Resource": ["arn:aws:s3:::$LAB"]},
  {"Sid": "change-policy", "Effect": "Allow", "Principal": {"AWS": [$member]},
   "Action": ["s3:GetBucketPolicy", "s3:PutBucketPolicy"], "Resource": ["arn:aws:s3:::$LAB"]},
  {"Sid": "read-write", "Effect": "Allow", "Principal": {"AWS": [$member]},
   "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::$LAB/*"]}]}
EOF
    ;;
    folder) cat >"$TMPD/$1.json" <<EOF
{"Version": "2012-10-17",
 "Statement": [
  {"Sid": "list-bucket", "Effect": "Allow", "Principal": {"AWS": [$member]},
   "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::$LAB"]},
  {"Sid": "This statement grants read access to the JPGs in test_folder", "Effect": "Allow",
   "Principal": {"AWS": [$member]},
   "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::$LAB/test_folder/*jpg"]}]}
EOF
    ;;
    unknown-user) cat >"$TMPD/$1.json" <<EOF
{"Version": "2012-10-17",
 "Statement": [{"Sid": "read-only", "Effect": "Allow",
   "Principal": {"AWS": ["arn:aws:iam::111122223333:user/jane@uab.edu"]},
   "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::$LAB/*"]}]}
EOF
    ;;
    ceph-style) cat >"$TMPD/$1.json" <<EOF
{"Version": "2012-10-17",
 "Statement": [{"Sid": "read-only", "Effect": "Allow",
   "Principal": {"AWS": ["arn:aws:iam:::user/alice"]},
   "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::$LAB/*"]}]}
EOF
    ;;
    esac
}

echo "== s3cmd ($(s3cmd --version 2>&1)) against $FAKE_S3_ENDPOINT"

# --- the steward creates and fills the lab bucket ---------------------------------------------------
expect_ok "steward (bob) s3cmd mb s3://$LAB" as bob mb "s3://$LAB"
echo "raw measurements" >"$TMPD/data.txt"
printf 'jpeg bytes' >"$TMPD/img.jpg"
expect_ok "steward s3cmd put data/data.txt" as bob put "$TMPD/data.txt" "s3://$LAB/data/data.txt"
expect_ok "steward s3cmd put test_folder/img.jpg" as bob put "$TMPD/img.jpg" "s3://$LAB/test_folder/img.jpg"
expect_ok "steward s3cmd put test_folder/notes.txt" as bob put "$TMPD/data.txt" "s3://$LAB/test_folder/notes.txt"
expect_ok "owner s3cmd ls s3://$LAB/ (bucket created by the steward belongs to the account)" \
    as owner ls "s3://$LAB/"
grep -q "DIR.*s3://$LAB/data/" "$TMPD/out" && grep -q "DIR.*s3://$LAB/test_folder/" "$TMPD/out" \
    && pass "s3cmd ls shows the data/ and test_folder/ directories" \
    || fail "s3cmd ls shows the data/ and test_folder/ directories ($(last_output))"
expect_ok "owner s3cmd ls --recursive" as owner ls --recursive "s3://$LAB"
[ "$(grep -c "s3://$LAB/" "$TMPD/out")" = 3 ] && pass "recursive listing shows the 3 objects" \
    || fail "recursive listing shows the 3 objects ($(last_output))"
expect_ok "owner s3cmd get" as owner get --force "s3://$LAB/data/data.txt" "$TMPD/got.txt"
check "s3cmd get returns the uploaded bytes" cmp -s "$TMPD/data.txt" "$TMPD/got.txt"
expect_ok "s3cmd info on an object" as owner info "s3://$LAB/data/data.txt"
grep -q "MD5 sum:   $(md5sum "$TMPD/data.txt" | cut -d' ' -f1)" "$TMPD/out" && grep -q 'File size: 17' "$TMPD/out" \
    && pass "s3cmd info shows the object's size and MD5" || fail "s3cmd info shows the object's size and MD5 ($(last_output))"
expect_ok "s3cmd info on the bucket (no policy yet)" as owner info "s3://$LAB"
grep -q 'Policy: *none' "$TMPD/out" && grep -q 'Location: *us-east-1' "$TMPD/out" \
    && pass "s3cmd info shows Location us-east-1 and Policy: none" || fail "s3cmd info shows Location us-east-1 and Policy: none ($(last_output))"

# --- members have nothing until a bucket policy grants it ---------------------------------------------
expect_err "member (alice) cannot list the lab bucket before any policy" "$DENIED" as alice ls "s3://$LAB/"
expect_err "member cannot download before any policy" "$DENIED" as alice get --force "s3://$LAB/data/data.txt" "$TMPD/a.txt"
expect_err "member cannot create buckets (only owner and stewards can)" "$DENIED" as alice mb "s3://lts-alice-$RUN_ID"
expect_err "outsider (carol, other account) cannot list the lab bucket" "$DENIED" as carol ls "s3://$LAB/"
expect_err "steward bob has no rights outside lts-* buckets" "$DENIED" as bob ls "s3://fake-s3-shared/"

# --- setpolicy / info / delpolicy as the guide uses them --------------------------------------------------
policy unknown-user
expect_err "setpolicy naming a user that does not exist is MalformedPolicy 'Invalid principal in policy'" \
    'MalformedPolicy.*Invalid principal in policy' as owner setpolicy "$TMPD/unknown-user.json" "s3://$LAB"
policy ceph-style
expect_err "setpolicy with a Ceph-style principal (arn:aws:iam:::user/alice) is MalformedPolicy, as on AWS" \
    'MalformedPolicy' as owner setpolicy "$TMPD/ceph-style.json" "s3://$LAB"

policy read-only
expect_ok "owner s3cmd setpolicy read-only" as owner setpolicy "$TMPD/read-only.json" "s3://$LAB"
grep -q 'Policy updated' "$TMPD/out" && pass "setpolicy reports 'Policy updated'" || fail "setpolicy reports 'Policy updated' ($(last_output))"
expect_ok "owner s3cmd info shows the policy" as owner info "s3://$LAB"
grep -q 'Policy: .*arn:aws:iam::111122223333:user/alice' "$TMPD/out" && grep -q '"read-only"' "$TMPD/out" \
    && pass "s3cmd info prints the policy with alice's ARN and the read-only Sid" \
    || fail "s3cmd info prints the policy with alice's ARN and the read-only Sid ($(last_output))"
expect_ok "read-only member can list" as alice ls --recursive "s3://$LAB"
[ "$(grep -c "s3://$LAB/" "$TMPD/out")" = 3 ] && pass "read-only member sees the 3 objects" \
    || fail "read-only member sees the 3 objects ($(last_output))"
expect_ok "read-only member can download" as alice get --force "s3://$LAB/data/data.txt" "$TMPD/a.txt"
check "read-only member got the right bytes" cmp -s "$TMPD/data.txt" "$TMPD/a.txt"
expect_err "read-only member put is AccessDenied" "AccessDenied\\): $DENIED_MESSAGE" as alice put "$TMPD/data.txt" "s3://$LAB/data/alice.txt"
expect_err "read-only member del is AccessDenied" "$DENIED" as alice del "s3://$LAB/data/data.txt"
policy read-write
expect_err "read-only member cannot change the policy (AccessDenied)" "$DENIED" \
    as alice setpolicy "$TMPD/read-write.json" "s3://$LAB"
expect_err "read-only member cannot delete the policy (AccessDenied)" "$DENIED" as alice delpolicy "s3://$LAB"
expect_err "read-only member cannot delete the bucket (AccessDenied)" "$DENIED" as alice rb "s3://$LAB"
expect_err "outsider carol is still denied (the policy names alice only)" "$DENIED" as carol ls "s3://$LAB/"

expect_ok "owner s3cmd setpolicy read-write" as owner setpolicy "$TMPD/read-write.json" "s3://$LAB"
expect_ok "read-write member can put" as alice put "$TMPD/data.txt" "s3://$LAB/data/alice.txt"
expect_ok "read-write member can del" as alice del "s3://$LAB/data/alice.txt"
expect_err "read-write member still cannot change the policy" "$DENIED" \
    as alice setpolicy "$TMPD/read-write.json" "s3://$LAB"

policy tiered
expect_ok "steward (bob) s3cmd setpolicy tiered" as bob setpolicy "$TMPD/tiered.json" "s3://$LAB"
expect_err "tiered (guide's policy): member's s3cmd info is AccessDenied (it starts with GetBucketLocation, not granted)" \
    "AccessDenied\\): $DENIED_MESSAGE" as alice info "s3://$LAB"
policy tiered-location
expect_ok "owner s3cmd setpolicy tiered + s3:GetBucketLocation" as owner setpolicy "$TMPD/tiered-location.json" "s3://$LAB"
expect_err "tiered + location: member's s3cmd info is still AccessDenied (it reads the lifecycle and CORS configurations next)" \
    "AccessDenied\\): $DENIED_MESSAGE" as alice info "s3://$LAB"
policy tiered-info
expect_ok "owner s3cmd setpolicy tiered + what s3cmd info reads" as owner setpolicy "$TMPD/tiered-info.json" "s3://$LAB"
expect_ok "tiered: member with change-policy can s3cmd info the bucket" as alice info "s3://$LAB"
grep -q '"change-policy"' "$TMPD/out" && pass "tiered: member sees the policy in s3cmd info" \
    || fail "tiered: member sees the policy in s3cmd info ($(last_output))"
policy read-only
expect_ok "tiered: member with change-policy can setpolicy (downgrading herself to read-only)" \
    as alice setpolicy "$TMPD/read-only.json" "s3://$LAB"
expect_err "…after which her put is AccessDenied" "$DENIED" as alice put "$TMPD/data.txt" "s3://$LAB/data/alice2.txt"

policy folder
expect_ok "owner s3cmd setpolicy limited to test_folder/*jpg" as owner setpolicy "$TMPD/folder.json" "s3://$LAB"
expect_ok "member can get test_folder/img.jpg" as alice get --force "s3://$LAB/test_folder/img.jpg" "$TMPD/i.jpg"
expect_err "member cannot get test_folder/notes.txt (not *jpg)" "$DENIED" \
    as alice get --force "s3://$LAB/test_folder/notes.txt" "$TMPD/n.txt"
expect_err "member cannot get data/data.txt (outside test_folder)" "$DENIED" \
    as alice get --force "s3://$LAB/data/data.txt" "$TMPD/d.txt"

expect_ok "steward s3cmd delpolicy" as bob delpolicy "s3://$LAB"
grep -q 'Policy deleted' "$TMPD/out" && pass "delpolicy reports 'Policy deleted'" || fail "delpolicy reports 'Policy deleted' ($(last_output))"
expect_ok "s3cmd info after delpolicy" as owner info "s3://$LAB"
grep -q 'Policy: *none' "$TMPD/out" && pass "s3cmd info shows Policy: none again" || fail "s3cmd info shows Policy: none again ($(last_output))"
expect_err "member is denied again after delpolicy" "$DENIED" as alice get --force "s3://$LAB/test_folder/img.jpg" "$TMPD/i2.jpg"
expect_ok "owner delpolicy when there is none succeeds (DeleteBucketPolicy is idempotent)" as owner delpolicy "s3://$LAB"

# --- more s3cmd transfer commands -----------------------------------------------------------------------
mkdir -p "$TMPD/tree/sub"
for f in a.txt b.txt sub/c.txt; do echo "file $f" >"$TMPD/tree/$f"; done
expect_ok "steward s3cmd sync uploads a directory" as bob sync "$TMPD/tree/" "s3://$LAB/tree/"
expect_ok "s3cmd sync back to a new directory" as bob sync "s3://$LAB/tree/" "$TMPD/tree.back/"
check "s3cmd sync round-trips the tree" diff -r "$TMPD/tree" "$TMPD/tree.back"
head -c $((11 * 1024 * 1024)) /dev/urandom >"$TMPD/big.bin"
expect_ok "s3cmd put of 11 MiB with 5 MiB chunks (multipart, 3 parts)" \
    as bob put --multipart-chunk-size-mb=5 "$TMPD/big.bin" "s3://$LAB/big.bin"
expect_ok "s3cmd get of the multipart object" as bob get --force "s3://$LAB/big.bin" "$TMPD/big.back"
check "multipart object round-trips" cmp -s "$TMPD/big.bin" "$TMPD/big.back"
expect_ok "s3cmd cp within the bucket (CopyObject)" as bob cp "s3://$LAB/data/data.txt" "s3://$LAB/copy/data.txt"
expect_ok "s3cmd signurl + curl" as bob signurl "s3://$LAB/copy/data.txt" +300
url=$(tr -d '\n' <"$TMPD/out")
expect_status "s3cmd signurl URL fetched with curl is 200" 200 "$url"

# --- SigV2 (s3cmd --signature-v2, as older LTS set-ups use it) -----------------------------------------------
expect_ok "s3cmd --signature-v2 ls" as owner --signature-v2 ls "s3://$LAB/data/"
expect_ok "s3cmd --signature-v2 put" as owner --signature-v2 put "$TMPD/data.txt" "s3://$LAB/v2/data.txt"
expect_ok "s3cmd --signature-v2 get" as owner --signature-v2 get --force "s3://$LAB/data/data.txt" "$TMPD/v2.txt"
expect_err "s3cmd --signature-v2 put by a read-only member is AccessDenied" "AccessDenied\\): $DENIED_MESSAGE" \
    as alice --signature-v2 put "$TMPD/data.txt" "s3://$LAB/v2/alice.txt"

# --- clean-up ---------------------------------------------------------------------------------------------
expect_err "s3cmd rb of a non-empty bucket fails (BucketNotEmpty)" 'BucketNotEmpty' as bob rb "s3://$LAB"
expect_ok "steward s3cmd del --recursive --force" as bob del --recursive --force "s3://$LAB"
expect_ok "steward s3cmd rb" as bob rb "s3://$LAB"
expect_err "s3cmd ls of the removed bucket is NoSuchBucket" 'NoSuchBucket|does not exist' as owner ls "s3://$LAB/"

summary "s3cmd"
