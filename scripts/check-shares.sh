#!/usr/bin/env bash
# check-shares.sh: SPEC §7's shared buckets with roles, end to end: the `s3keeper share` commands
# against fake-s3 servers this script starts, with the clients the people really use.
#
#   S3KEEPER_BIN=/path/s3keeper FAKE_S3_BIN=/path/fake-s3 scripts/check-shares.sh
#
# (default binaries: target/release/…, else target/debug/…). s3cmd, the aws CLI, python3 and curl
# must be on PATH (exit 2 otherwise; scripts/real-clients.sh installs the clients).
#
# 1. Ceph dialect (scripts/fake-s3-shares-ceph.json): LTS users each in their own account with s3:*
#    on their own things, so in the PI's bucket the bucket policy decides: pi (the owner, whose key
#    pair s3keeper holds), jane@uab.edu (steward), bob (reader), wendy (writer under incoming/),
#    manny@uab.edu (manager), tina of tenant uab (`uab$tina`, reader of test_folder/*jpg), carl (a
#    steward's hand-edited statement), dora, Bob (not bob: names are case-sensitive), mallory
#    (outsider). The PI makes the bucket with s3cmd; s3keeper grants; each user's own s3cmd
#    configuration shows what they may do (the steward also `s3cmd info`, which needs more than the
#    policy actions: GetBucketLocation first); a steward's `s3cmd setpolicy` between two grants makes
#    the next grant/revoke refuse (nothing written) until --adopt, which keeps the hand edit;
#    revoke (with and without --prefix, also from kept hand-written statements; the revoked become
#    former members, denied everything, so writer wendy cannot read back the upload RGW made her
#    the owner of, until `share forget`); members who upload cannot set ACLs (`put --acl-public`,
#    `setacl`); a pattern with a wildcard folder (`*/*.jpg`) refused; `share report
#    --json` from the live policy; `share import` of the LTS guide's hand-written policy; bad
#    roles refused with nothing written; a grant to an RGW user that does not exist (nosuchuser)
#    succeeds with a warning, as RGW accepts any principal, gives nobody more, and is revoked and
#    forgotten; the fake's journal shows that s3keeper made only S3 requests (no STS, no S3 Control).
# 2. AWS dialect (scripts/fake-s3-shares-aws.json): s3keeper runs as IAM user s3keeper-service of
#    111122223333 (only s3:GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy, GetBucketAcl,
#    ListBucket on shares-*); users of 444455556666 and 777788889999 (s3:* identity policies) use
#    the aws CLI: a user-ARN grant (reader, writer under a prefix), an account-id grant, revoke,
#    bad users refused with nothing written.
# The two parts run at the same time, each against its own fake-s3 (about 40 s in all).
#
# The Ceph part against a real Ceph RGW instead (issue 23; scripts/check-rgw.sh does all of this):
#
#   scripts/start-rgw.sh start && scripts/start-rgw.sh users scripts/fake-s3-shares-ceph.json
#   CHECK_SHARES_CEPH_ENDPOINT=http://127.0.0.1:7480 scripts/check-shares.sh
#
# CHECK_SHARES_CEPH_ENDPOINT (a loopback http:// URL) replaces the Ceph fake; the AWS part still runs
# on a fake it starts. An endpoint that serves /_fake/journal is taken for a fake-s3 (its journal is
# used as usual); anything else is RGW, whose journal of each s3keeper call comes from its beast
# access log (CHECK_SHARES_RGW_LOG, default $RGW_DIR/log/client.rgw.log, RGW_DIR default /tmp/rgw):
# an anonymous `GET /?check-shares-barrier=ID` before and after the call, waited for in the log,
# delimits the call's lines; those of the PI's user (whose key s3keeper signs with) become journal
# entries named as the fake names operations (method + path + subresource: PutBucketPolicy,
# GetBucketAcl, ListObjectsV2, HeadObject, PutObject…; the log has no headers, so a CopyObject counts
# as PutObject and an UploadPartCopy as UploadPart). Without a log that shows the barriers, the
# journal checks print `SKIP: …` instead of passing (counted in the summary). Other clients must not
# sign as the PI on that RGW meanwhile. RGW keeps this run's buckets (lts-lab-RUN, lts-import-RUN).
#
# Output: `PASS: …` / `FAIL: … (details)` / `SKIP: … (why)` lines, the last `shares: N passed, M
# failed` (`, K skipped` appended when checks were skipped); exit 1 if a check failed, 2 if it could
# not start. SHARES_KEEP_LOGS=1 keeps the temporary directory (s3keeper and client output, the fakes'
# logs and s3keeper's journal entries); it is kept on failure too.
#
# The script is split by concern: this driver sources the parts in scripts/check-shares/ in this
# order (each runs in this shell, as if it were written here): setup.sh (settings, the tools needed,
# the temporary directory, the clean-up and summary), helpers.sh (run/expect_err/check_out,
# start_server, keeper/kc/ka and the journal of each s3keeper call), rgwlog.sh (rgwlog.py: RGW's
# access log as that journal), report.sh (report_check.py and report_expect: `share report --json`),
# policies.sh (bucket policies read back), aws.sh (part 2, defined as aws_phase), servers.sh (both
# servers, then part 2 in the background) and ceph.sh (part 1, in the foreground); part 2's lines
# are printed and counted here after part 1's.
set -u
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPTS/.." && pwd)"
. "$SCRIPTS/lib.sh"
START=$SECONDS
PARTS="$SCRIPTS/check-shares"
for part in setup helpers rgwlog report policies aws servers ceph; do
    [ -f "$PARTS/$part.sh" ] || { echo "check-shares: missing $PARTS/$part.sh" >&2; exit 2; }
done

. "$PARTS/setup.sh"      # settings, the tools needed, the temporary directory; finish (clean-up, summary)
. "$PARTS/helpers.sh"    # run/expect_err/check_out, start_server, keeper/kc/ka, journal_*, wrote_nothing
. "$PARTS/rgwlog.sh"     # $TOP/rgwlog.py: RGW's access log as a journal
. "$PARTS/report.sh"     # $TOP/report_check.py, report_expect
. "$PARTS/policies.sh"   # policy_of_info, policy_without, principals_of

echo "== check-shares: s3keeper $KEEPER, fake-s3 $FAKE, $(s3cmd --version 2>&1), $(aws --version 2>&1 | cut -d' ' -f1)"
RUN=$(date +%s)$$
RUN=${RUN: -8}
F="$TMPD/files"   # the objects' contents, for both parts
for k in data/a.txt data/b.txt incoming/seed.txt test_folder/pic.jpg test_folder/notes.txt shared/x.txt top.txt; do
    mkdir -p "$F/$(dirname "$k")"; echo "content of $k" >"$F/$k"
done
echo "new bytes" >"$F/new.txt"

. "$PARTS/aws.sh"        # 2. AWS dialect: aws_phase
. "$PARTS/servers.sh"    # both servers; aws_phase starts in the background
. "$PARTS/ceph.sh"       # 1. Ceph dialect, here

# --- the AWS dialect part's results ------------------------------------------------------------------
wait "$AWS_PHASE_PID"
AWS_PHASE_PID=""
grep -v '^aws-phase: ' "$AWS_OUT"
if grep -Eq '^aws-phase: [0-9]+ passed, [0-9]+ failed$' "$AWS_OUT"; then
    PASSED=$((PASSED + $(grep -c '^PASS: ' "$AWS_OUT")))
    FAILED=$((FAILED + $(grep -c '^FAIL: ' "$AWS_OUT")))
else
    PASSED=$((PASSED + $(grep -c '^PASS: ' "$AWS_OUT")))
    FAILED=$((FAILED + $(grep -c '^FAIL: ' "$AWS_OUT")))
    fail "the AWS dialect part ran to completion (it stopped early; see above and $TMPD/aws-phase/steps.log)"
fi

exit 0   # the servers stop and the summary prints in finish()
