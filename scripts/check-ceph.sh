#!/usr/bin/env bash
# Real-client checks of the Ceph RGW principal dialect with s3cmd, as the university "LTS" guide
# writes its bucket policies: principals `arn:aws:iam:::user/NAME` (no account).
#   FAKE_S3_CEPH_ENDPOINT=http://127.0.0.1:PORT scripts/check-ceph.sh
# That fake-s3 must run with scripts/fake-s3-ceph-config.json (`"dialect": "ceph"`; or
# FAKE_S3_CEPH_CONFIG): one LTS user per allocation (pi, bob, jane@uab.edu, mallory), each in its own
# account with s3:* on its own things, so in pi's bucket each gets exactly what its policy grants.
# If FAKE_S3_ENDPOINT (an AWS-dialect fake with scripts/fake-s3-config.json) is also set, the same
# principal form is checked to be MalformedPolicy there.
set -u
. "$(dirname "$0")/lib.sh"
CEPH_CONFIG="${FAKE_S3_CEPH_CONFIG:-$SCRIPTS_DIR/fake-s3-ceph-config.json}"
if [ -z "${FAKE_S3_CEPH_ENDPOINT:-}" ]; then
    echo "FAKE_S3_CEPH_ENDPOINT is not set: start fake-s3 with $CEPH_CONFIG (see scripts/README.md) or run scripts/real-clients.sh" >&2
    exit 2
fi
case "$FAKE_S3_CEPH_ENDPOINT" in
    http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;;
    *) echo "FAKE_S3_CEPH_ENDPOINT must be a loopback http:// URL, got $FAKE_S3_CEPH_ENDPOINT" >&2; exit 2 ;;
esac
HOSTPORT="${FAKE_S3_CEPH_ENDPOINT#http://}"; HOSTPORT="${HOSTPORT%/}"
command -v s3cmd >/dev/null || { echo "s3cmd not found (pip install s3cmd)" >&2; exit 2; }

TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
RUN_ID="$(date +%s)-$$"
LAB="lts-ceph-$RUN_ID"

# One s3cmd configuration per LTS user, as the guide has people write them.
python3 "$SCRIPTS_DIR/s3cfg.py" users "$CEPH_CONFIG" "$TMPD" "$HOSTPORT" local \
    || { echo "cannot read $CEPH_CONFIG" >&2; exit 2; }
for who in pi bob jane mallory; do
    [ -f "$TMPD/$who.s3cfg" ] || { echo "$CEPH_CONFIG has no user $who" >&2; exit 2; }
done
as() { local who=$1; shift; s3cmd -c "$TMPD/$who.s3cfg" "$@"; }
# RGW's AccessDenied carries an empty <Message> (s3cmd: `403 (AccessDenied)`), AWS's "Access Denied".
DENIED='AccessDenied\): Access Denied|403 \(AccessDenied\)|403 \(Forbidden\)|Access to bucket .* was denied'

# The guide's policies, verbatim but for the bucket name: "Tiered Permissions" and "Read-Only for All Files".
lts_tiered_policy "$LAB" >"$TMPD/tiered.json"
cat >"$TMPD/read-only.json" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "list-bucket",
    "Effect": "Allow",
    "Principal": {"AWS": ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/jane@uab.edu"]},
    "Action": ["s3:ListBucket"],
    "Resource": ["arn:aws:s3:::$LAB"]
  },
  {
    "Sid": "read-only",
    "Effect": "Allow",
    "Principal": {"AWS": ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/jane@uab.edu"]},
    "Action": ["s3:GetObject"],
    "Resource": ["arn:aws:s3:::$LAB/*"]
  }]
}
EOF

echo "== Ceph dialect, $(s3cmd --version 2>&1) against $FAKE_S3_CEPH_ENDPOINT"

# --- pi's allocation ----------------------------------------------------------------------------------
echo "lab data" >"$TMPD/data.txt"
expect_ok "pi creates bucket $LAB" as pi mb "s3://$LAB"
expect_ok "pi uploads data/results.txt" as pi put "$TMPD/data.txt" "s3://$LAB/data/results.txt"
expect_err "bob cannot list $LAB before any policy" "$DENIED" as bob ls "s3://$LAB/"
expect_err "jane@uab.edu cannot download before any policy" "$DENIED" as jane get --force "s3://$LAB/data/results.txt" "$TMPD/x"

# --- the tiered policy with Ceph principals ---------------------------------------------------------------
expect_ok "pi: s3cmd setpolicy with arn:aws:iam:::user/NAME principals is accepted (ceph dialect)" \
    as pi setpolicy "$TMPD/tiered.json" "s3://$LAB"
expect_ok "pi: s3cmd info" as pi info "s3://$LAB"
grep -q 'arn:aws:iam:::user/bob' "$TMPD/out" && grep -q 'arn:aws:iam:::user/jane@uab.edu' "$TMPD/out" \
    && pass "s3cmd info shows the policy with the principals as written" \
    || fail "s3cmd info shows the policy with the principals as written ($(last_output))"
expect_ok "bob (named) lists $LAB" as bob ls "s3://$LAB/data/"
grep -q "s3://$LAB/data/results.txt" "$TMPD/out" && pass "bob's listing shows data/results.txt" \
    || fail "bob's listing shows data/results.txt ($(last_output))"
expect_ok "bob downloads data/results.txt" as bob get --force "s3://$LAB/data/results.txt" "$TMPD/bob.txt"
check "bob got the right bytes" cmp -s "$TMPD/data.txt" "$TMPD/bob.txt"
expect_ok "bob uploads (read-write)" as bob put "$TMPD/data.txt" "s3://$LAB/data/bob.txt"
expect_ok "jane@uab.edu (named) downloads" as jane get --force "s3://$LAB/data/bob.txt" "$TMPD/jane.txt"
expect_ok "jane@uab.edu deletes bob's upload (read-write)" as jane del "s3://$LAB/data/bob.txt"
expect_err "mallory (not named) cannot list $LAB" "$DENIED" as mallory ls "s3://$LAB/"
expect_err "mallory cannot download" "$DENIED" as mallory get --force "s3://$LAB/data/results.txt" "$TMPD/x"
expect_err "mallory cannot upload" "$DENIED" as mallory put "$TMPD/data.txt" "s3://$LAB/data/mallory.txt"
expect_err "bob (not in change-policy) cannot setpolicy" "$DENIED" as bob setpolicy "$TMPD/read-only.json" "s3://$LAB"
expect_err "bob cannot delpolicy" "$DENIED" as bob delpolicy "s3://$LAB"

# --- jane, the steward, changes the policy -------------------------------------------------------------------
expect_ok "jane@uab.edu (change-policy) sets the read-only policy" as jane setpolicy "$TMPD/read-only.json" "s3://$LAB"
expect_ok "bob still downloads" as bob get --force "s3://$LAB/data/results.txt" "$TMPD/bob2.txt"
expect_err "bob can no longer upload (read-only)" "$DENIED" as bob put "$TMPD/data.txt" "s3://$LAB/data/bob2.txt"
expect_err "jane@uab.edu can no longer change the policy (she dropped change-policy)" "$DENIED" \
    as jane setpolicy "$TMPD/tiered.json" "s3://$LAB"
expect_ok "pi (the owner) deletes the policy" as pi delpolicy "s3://$LAB"
expect_err "bob is denied again" "$DENIED" as bob get --force "s3://$LAB/data/results.txt" "$TMPD/x"

# --- the AWS dialect refuses the same policy ------------------------------------------------------------------
if [ -n "${FAKE_S3_ENDPOINT:-}" ]; then
    require_endpoint
    load_keys
    AWS_LAB="lts-awsdialect-$RUN_ID"
    run_aws() {
        s3cmd --access_key="$OWNER_AK" --secret_key="$OWNER_SK" --host="$FAKE_S3_HOSTPORT" \
            --host-bucket="$FAKE_S3_HOSTPORT" --no-ssl --region=us-east-1 --no-check-certificate "$@"
    }
    sed "s/$LAB/$AWS_LAB/g" "$TMPD/tiered.json" >"$TMPD/aws-tiered.json"
    run_aws mb "s3://$AWS_LAB" >/dev/null 2>&1
    expect_err "the same policy on the AWS-dialect fake is MalformedPolicy (Invalid principal)" \
        'MalformedPolicy' run_aws setpolicy "$TMPD/aws-tiered.json" "s3://$AWS_LAB"
    run_aws rb "s3://$AWS_LAB" >/dev/null 2>&1
fi

# --- clean-up ------------------------------------------------------------------------------------------------
expect_ok "pi empties $LAB" as pi del --recursive --force "s3://$LAB"
expect_ok "pi removes $LAB" as pi rb "s3://$LAB"

summary "ceph"
