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
set -u
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPTS/.." && pwd)"
. "$SCRIPTS/lib.sh"
START=$SECONDS

CEPH_CONFIG="$SCRIPTS/fake-s3-shares-ceph.json"
AWS_CONFIG="$SCRIPTS/fake-s3-shares-aws.json"
default_bin() {
    if [ -x "$ROOT/target/release/$1" ]; then echo "$ROOT/target/release/$1"; else echo "$ROOT/target/debug/$1"; fi
}
KEEPER=${S3KEEPER_BIN:-$(default_bin s3keeper)}
FAKE=${FAKE_S3_BIN:-$(default_bin fake-s3)}
KEEP_LOGS=${SHARES_KEEP_LOGS:-0}
STEP_TIMEOUT=30
# The Ceph part's server: a fake-s3 started here, or CHECK_SHARES_CEPH_ENDPOINT (see above).
CEPH_EXTERNAL=${CHECK_SHARES_CEPH_ENDPOINT:-}
CEPH_EXTERNAL=${CEPH_EXTERNAL%/}
RGW_LOG=${CHECK_SHARES_RGW_LOG:-${RGW_DIR:-/tmp/rgw}/log/client.rgw.log}
SKIPPED=0
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIP: $*"; }

bad() { echo "check-shares: $*" >&2; exit 2; }
for tool in s3cmd aws python3 curl timeout; do
    command -v "$tool" >/dev/null 2>&1 || bad "$tool is needed on PATH (s3cmd, aws: python3 -m pip install s3cmd awscli)"
done
[ -x "$KEEPER" ] || bad "no s3keeper binary at $KEEPER (set S3KEEPER_BIN)"
[ -x "$FAKE" ] || bad "no fake-s3 binary at $FAKE (set FAKE_S3_BIN)"
[ -f "$CEPH_CONFIG" ] && [ -f "$AWS_CONFIG" ] || bad "missing $CEPH_CONFIG or $AWS_CONFIG"
if [ -n "$CEPH_EXTERNAL" ]; then
    case "$CEPH_EXTERNAL" in
        http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;;
        *) bad "CHECK_SHARES_CEPH_ENDPOINT must be a loopback http:// URL with a port, got $CEPH_EXTERNAL" ;;
    esac
fi

# Nothing of the caller's AWS, s3keeper or proxy settings reaches a client: every request is to
# loopback, and each client gets exactly one identity below.
SAVED_PATH=$PATH
for v in $(compgen -e); do
    case "$v" in AWS_*|S3KEEPER_*|S3CMD_*|HTTP_PROXY|HTTPS_PROXY|ALL_PROXY|NO_PROXY|http_proxy|https_proxy|all_proxy|no_proxy)
        unset "$v" 2>/dev/null ;;
    esac
done

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/check-shares.XXXXXX") || bad "cannot make a temporary directory"
chmod 700 "$TMPD"
TOP=$TMPD   # the AWS dialect part works in $TOP/aws-phase; shared files stay here
mkdir -p "$TMPD/home" "$TMPD/files"
: >"$TMPD/home/aws-empty"
LOG="$TMPD/steps.log"
: >"$LOG"
SERVER_PIDS=()

stop_server() { # stop_server PID
    local pid=$1
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}
# The script's own stdout and stderr (fds 3 and 4): a signal may arrive while a function runs with
# its output redirected (run), and the clean-up and summary must still reach the caller.
exec 3>&1 4>&2
finish() {
    local rc=$?
    exec 1>&3 2>&4
    trap - EXIT
    trap '' INT TERM
    [ -z "${AWS_PHASE_PID:-}" ] || { kill "$AWS_PHASE_PID" 2>/dev/null; wait "$AWS_PHASE_PID" 2>/dev/null; }
    for pid in ${SERVER_PIDS[@]+"${SERVER_PIDS[@]}"}; do stop_server "$pid"; done
    for f in "$TOP"/fake-*.log; do
        [ -f "$f" ] || continue
        if grep -q panicked "$f"; then fail "$(basename "$f" .log) never panicked ($(grep -m1 panicked "$f"))"; fi
    done
    if [ "$FAILED" -gt 0 ] || [ "$KEEP_LOGS" = 1 ] || [ "$rc" -ne 0 ]; then
        echo "check-shares: logs (steps.log: every command and its output; fake-*.log; journal-*.json) kept in $TMPD"
    else
        rm -rf "$TMPD"
    fi
    echo "check-shares: elapsed $((SECONDS - START))s"
    if [ "$SKIPPED" -gt 0 ]; then echo "shares: $PASSED passed, $FAILED failed, $SKIPPED skipped"; else summary shares; fi
    if [ "$FAILED" -eq 0 ] && [ "$rc" -eq 2 ]; then exit 2; fi   # could not start (see above)
    if [ "$FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'exec 1>&3 2>&4; fail "the run was interrupted"; exit 130' INT TERM

# --- helpers (lib.sh's run/expect_ok/expect_err/check, with every command logged) --------------------
run() {
    "$@" >"$TMPD/out" 2>"$TMPD/err" </dev/null
    RC=$?
    { echo "\$ $* (exit $RC)"; cat "$TMPD/out" "$TMPD/err"; echo; } >>"$LOG"
    return 0
}
expect_err() { # expect_err DESC REGEX CMD...: must fail, with output matching REGEX (grep -E)
    local desc=$1 pattern=$2; shift 2
    run "$@"
    if [ "$RC" -ne 0 ] && cat "$TMPD/err" "$TMPD/out" | grep -Eq -- "$pattern"; then
        pass "$desc"
    else
        fail "$desc (expected failure matching /$pattern/, got exit $RC: $(last_output))"
    fi
}
check_out() { # check_out DESC REGEX: the last command's stdout matches REGEX
    if grep -Eq -- "$2" "$TMPD/out"; then pass "$1"; else fail "$1 (expected output matching /$2/, got: $(tr '\n' ' ' <"$TMPD/out" | head -c 400))"; fi
}
# A policy refusal as each client prints it (never an authentication or not-found error).
DENIED_S3CMD='AccessDenied|403 \(Forbidden\)|Access to bucket .* was denied'
DENIED_AWS='\(AccessDenied\)|\(403\) when calling the Head[A-Za-z]+ operation: Forbidden|An error occurred \(403\)'

# start_server NAME CONFIG: fake-s3 on a free loopback port; sets ENDPOINT.
start_server() {
    local name=$1 config=$2 pid
    ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
      export PATH="$SAVED_PATH" RUST_LOG=info
      exec "$FAKE" --host 127.0.0.1 --port 0 --config "$config" ) \
        >"$TMPD/fake-$name.out" 2>"$TMPD/fake-$name.log" </dev/null 3>&- 4>&- &
    pid=$!
    SERVER_PIDS+=("$pid")
    ENDPOINT=""
    for _ in $(seq 1 100); do
        ENDPOINT=$(sed -n 's|^fake-s3 listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$TMPD/fake-$name.out")
        [ -n "$ENDPOINT" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$ENDPOINT" ]; then
        cat "$TMPD/fake-$name.out" "$TMPD/fake-$name.log" >&2
        fail "fake-s3 starts with $(basename "$config")"
        exit 1
    fi
}

# keeper DIALECT ARGS...: `s3keeper ARGS` with only the SDK's standard settings (the server's URL, the
# service's key pair, us-east-1) and S3KEEPER_*: ceph: the PI's RGW key pair, no account; aws: the
# s3keeper-service IAM user, S3KEEPER_ACCOUNT. The call's requests (exactly this call's: nothing else
# runs meanwhile) are kept in $TMPD/journal-last.json and appended to $TMPD/journal-DIALECT.json: on a
# fake from its journal, emptied before the call; on RGW from its access log (journal_begin/_end).
# JOURNAL_OK says whether there is a journal of the call at all (else the journal checks skip).
keeper() {
    local dialect=$1 ep ak sk account="" rc source=fake
    shift
    if [ "$dialect" = ceph ]; then ep=$CEPH_EP; ak=$PI_AK; sk=$PI_SK; source=$CEPH_JOURNAL
    else ep=$AWS_EP; ak=$SERVICE_AK; sk=$SERVICE_SK; account=111122223333; fi
    JOURNAL_OK=1
    case "$source" in
        fake) curl -s -X DELETE "$ep/_fake/journal" >/dev/null 2>&1 ;;
        rgw-log) journal_begin ;;
    esac
    ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
      export PATH="$SAVED_PATH" HOME="$TMPD/home" LANG=C.UTF-8 TMPDIR="$TMPD"
      export AWS_CONFIG_FILE="$TMPD/home/aws-empty" AWS_SHARED_CREDENTIALS_FILE="$TMPD/home/aws-empty" AWS_EC2_METADATA_DISABLED=true
      export AWS_ENDPOINT_URL="$ep" AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" AWS_REGION=us-east-1
      export S3KEEPER_DIALECT="$dialect" S3KEEPER_DATABASE_URL="sqlite://$TMPD/s3keeper-$dialect.db?mode=rwc"
      [ -z "$account" ] || export S3KEEPER_ACCOUNT="$account"
      exec timeout -k 5 "$STEP_TIMEOUT" "$KEEPER" "$@" )
    rc=$?
    case "$source" in
        fake) curl -s "$ep/_fake/journal" >"$TMPD/journal-last.json" 2>/dev/null || echo '[]' >"$TMPD/journal-last.json" ;;
        rgw-log) journal_end ;;
        *) echo '[]' >"$TMPD/journal-last.json"; JOURNAL_OK=0 ;;
    esac
    python3 - "$TMPD/journal-last.json" "$TMPD/journal-$dialect.json" "$*" "$JOURNAL_OK" "$source" <<'PY' >/dev/null 2>&1
import json, os, sys
last, allfile, cmd, ok, source = sys.argv[1:]
try:
    entries = json.load(open(last))
except ValueError:
    entries = []
everything = json.load(open(allfile)) if os.path.exists(allfile) else []
everything.append({"command": cmd, "requests": entries, "journal": source if ok == "1" else None})
json.dump(everything, open(allfile, "w"), indent=1)
PY
    return $rc
}
# journal_begin / journal_end: RGW's access log around one s3keeper call (see the header): the log's
# end after a first barrier, then a second barrier and the PI's requests in between.
journal_begin() {
    JOURNAL_FROM=$(python3 "$TOP/rgwlog.py" barrier "$RGW_LOG" "$CEPH_EP" 2>>"$TMPD/rgwlog.err") || JOURNAL_FROM=""
}
journal_end() {
    if [ -n "$JOURNAL_FROM" ] && python3 "$TOP/rgwlog.py" journal "$RGW_LOG" "$CEPH_EP" "$JOURNAL_FROM" "$PI_USER" \
            "$TMPD/journal-last.json" 2>>"$TMPD/rgwlog.err"; then
        JOURNAL_OK=1
    else
        echo '[]' >"$TMPD/journal-last.json"
        JOURNAL_OK=0
        JOURNAL_WHY="RGW's access log $RGW_LOG did not show this call's barriers in 5 s (see rgwlog.err)"
    fi
}
kc() { keeper ceph "$@"; }
ka() { keeper aws "$@"; }

# journal_ops: the operations of the last s3keeper call, space-separated.
journal_ops() {
    python3 -c 'import json,sys; print(" ".join(e.get("operation", "?") for e in json.load(open(sys.argv[1]))))' \
        "$TMPD/journal-last.json" 2>/dev/null
}
# wrote_nothing DESC: the last s3keeper call made no request that changes anything (SKIP when there
# is no journal of it: never a pass without one).
wrote_nothing() {
    local ops writes
    if [ "${JOURNAL_OK:-1}" != 1 ]; then
        skip "$1 (no journal of s3keeper's requests: $JOURNAL_WHY)"
        return
    fi
    ops=$(journal_ops)
    writes=$(echo "$ops" | tr ' ' '\n' | grep -E '^(Put|Delete|Create|Post|Copy|Complete|Upload|Abort|Restore)' | sort -u | tr '\n' ' ')
    if [ -z "$writes" ]; then pass "$1"; else fail "$1 (s3keeper's requests: $ops)"; fi
}


# --- RGW's access log as a journal (the Ceph part against RGW; see the header) ---------------------------
cat >"$TOP/rgwlog.py" <<'PY'
"""A journal of one s3keeper call from RGW's beast access log, shaped as fake-s3's /_fake/journal.

  rgwlog.py barrier LOG ENDPOINT
      an anonymous `GET ENDPOINT/?check-shares-barrier=ID`; waits (5 s at most) until its line is in
      LOG and prints the byte offset of the end of LOG's complete lines then; exit 3 if never seen
  rgwlog.py journal LOG ENDPOINT START USER OUT
      a barrier, then every request of RGW user USER logged from offset START to it, as journal
      entries ({time, method, path, query, host, operation, principal, status, user_agent}) in OUT
The beast lines read: `… beast: 0x…: ADDR - USER [TIME] "METHOD URI HTTP/1.1" STATUS BYTES - "UA" …` (UA `-`
when none was sent); a beast line of another shape becomes an entry with operation "?".
"""
import json, os, re, sys, time, urllib.error, urllib.parse, urllib.request, uuid

BEAST = " beast: 0x"
LINE = re.compile(r' beast: 0x[0-9a-f]+: (?P<addr>\S+) - (?P<user>\S+) \[(?P<time>[^\]]+)\] '
                  r'"(?P<method>[A-Z]+) (?P<uri>\S+) [^"]*" (?P<status>\d{3}) \S+ \S+ (?:"(?P<ua>[^"]*)"|-)')
MARK = "check-shares-barrier="


def barrier(log, endpoint):
    """Sends a barrier request; the offset after its line once it is in the log, or None."""
    tag = uuid.uuid4().hex
    start = os.path.getsize(log)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        opener.open(f"{endpoint}/?{MARK}{tag}", timeout=5).read()
    except urllib.error.HTTPError:
        pass  # logged all the same
    needle = (MARK + tag).encode()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(log, "rb") as f:
            f.seek(start)
            data = f.read()
        end = data.rfind(b"\n") + 1
        if needle in data[:end]:
            return start + end
        time.sleep(0.01)
    return None


# Bucket and object sub-resources the fake does not serve, as S3 names their operations.
EXTRA_BUCKET = {"lifecycle": ("GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"),
                "logging": ("GetBucketLogging", "PutBucketLogging", None),
                "notification": ("GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", None),
                "replication": ("GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication"),
                "website": ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
                "encryption": ("GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"),
                "object-lock": ("GetObjectLockConfiguration", "PutObjectLockConfiguration", None),
                "requestPayment": ("GetBucketRequestPayment", "PutBucketRequestPayment", None)}
EXTRA_OBJECT = {"retention": ("GetObjectRetention", "PutObjectRetention"),
                "legal-hold": ("GetObjectLegalHold", "PutObjectLegalHold"),
                "torrent": ("GetObjectTorrent", None), "attributes": ("GetObjectAttributes", None)}
# (method, sub-resource or None, operation) in the order fake-s3's router tries them.
BUCKET = [("GET", "acl", "GetBucketAcl"), ("PUT", "acl", "PutBucketAcl"),
          ("GET", "ownershipControls", "GetBucketOwnershipControls"),
          ("PUT", "ownershipControls", "PutBucketOwnershipControls"),
          ("DELETE", "ownershipControls", "DeleteBucketOwnershipControls"),
          ("GET", "tagging", "GetBucketTagging"), ("PUT", "tagging", "PutBucketTagging"),
          ("DELETE", "tagging", "DeleteBucketTagging"), ("GET", "cors", "GetBucketCors"),
          ("PUT", "cors", "PutBucketCors"), ("DELETE", "cors", "DeleteBucketCors"),
          ("GET", "policy", "GetBucketPolicy"), ("GET", "policyStatus", "GetBucketPolicyStatus"),
          ("GET", "publicAccessBlock", "GetPublicAccessBlock"), ("GET", "location", "GetBucketLocation"),
          ("GET", "versioning", "GetBucketVersioning"), ("GET", "versions", "ListObjectVersions"),
          ("GET", "uploads", "ListMultipartUploads"), ("GET", "list-type", "ListObjectsV2"),
          ("GET", None, "ListObjects"), ("HEAD", None, "HeadBucket"), ("PUT", "policy", "PutBucketPolicy"),
          ("PUT", "publicAccessBlock", "PutPublicAccessBlock"), ("PUT", "versioning", "PutBucketVersioning"),
          ("PUT", None, "CreateBucket"), ("DELETE", "policy", "DeleteBucketPolicy"),
          ("DELETE", "publicAccessBlock", "DeletePublicAccessBlock"), ("DELETE", None, "DeleteBucket"),
          ("POST", "delete", "DeleteObjects"), ("POST", None, "PostObject")]
OBJECT = [("GET", "acl", "GetObjectAcl"), ("PUT", "acl", "PutObjectAcl"), ("GET", "tagging", "GetObjectTagging"),
          ("PUT", "tagging", "PutObjectTagging"), ("DELETE", "tagging", "DeleteObjectTagging"),
          ("GET", "uploadId", "ListParts"), ("GET", None, "GetObject"), ("HEAD", None, "HeadObject"),
          ("PUT", "partNumber", "UploadPart"), ("PUT", None, "PutObject"),
          ("DELETE", "uploadId", "AbortMultipartUpload"), ("DELETE", None, "DeleteObject"),
          ("POST", "uploads", "CreateMultipartUpload"), ("POST", "uploadId", "CompleteMultipartUpload"),
          ("POST", "restore", "RestoreObject"), ("POST", "select", "SelectObjectContent")]


def operation(method, path, keys):
    """The S3 operation of a request as fake-s3's journal names it ("-": none)."""
    if path.startswith("/v20180820"):
        return "S3Control"
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket:
        return "ListBuckets" if method == "GET" else "-"   # e.g. an STS form POST to /
    extra = EXTRA_OBJECT if key else EXTRA_BUCKET
    for sub, names in extra.items():
        if sub in keys:
            name = dict(zip(("GET", "PUT", "DELETE"), names)).get(method)
            return name or "-"
    for m, sub, name in (OBJECT if key else BUCKET):
        if m == method and (sub is None or sub in keys):
            return name
    return "-"


def journal(log, endpoint, start, user, out):
    end = barrier(log, endpoint)
    if end is None:
        sys.exit(3)
    with open(log, "rb") as f:
        f.seek(start)
        data = f.read(end - start).decode("utf-8", "replace")
    entries = []
    for line in data.splitlines():
        m = LINE.search(line)
        if not m:
            if BEAST in line and MARK not in line:  # a request line this does not read: never ignored
                entries.append({"method": "?", "path": "?", "host": "", "operation": "?", "status": 0,
                                "unread": line.strip()})
            continue
        if m["user"] != user:
            continue
        path, _, query = m["uri"].partition("?")
        keys = [urllib.parse.unquote(kv.partition("=")[0]) for kv in query.split("&") if kv]
        entries.append({"time": m["time"], "method": m["method"], "path": path, "query": query, "host": "",
                        "operation": operation(m["method"], path, keys), "principal": m["user"],
                        "status": int(m["status"]), "user_agent": m["ua"] or ""})
    json.dump(entries, open(out, "w"), indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "barrier":
        at = barrier(sys.argv[2], sys.argv[3])
        if at is None:
            sys.exit(3)
        print(at)
    else:
        journal(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
PY

# --- `share report --json`: every assertion on its shape is in report_check below --------------------
cat >"$TOP/report_check.py" <<'PY'
"""Checks `s3keeper share report BUCKET --json` against expectations; prints what is wrong.

Usage: report_check.py REPORT.json BUCKET SPEC...  where SPEC is
  owner=ALTS            the report names the bucket's owner (a top-level "owner…" field, or a
                        principal entry), as one of ALTS
  ALTS=CAP,CAP@P,!CAP   a principal (its ARN is one of ALTS, `|`-separated) with each CAP (list, read,
                        write, delete, change-policy); CAP@P: only under prefix P; !CAP: not at all
  ALTS=-                no principal of that name in the report
The shape assumed (adapt report_check() if s3keeper's differs): {"principals": [{"principal": ARN,
"user": NAME, "owner": BOOL, "list"/"read"/"write"/"delete": {"everywhere": BOOL, "under":
[PATTERN…]} (or true, or a list of prefixes), "change_policy": BOOL}, …]}; an "arn" key, a top-level
"owner…" field and capabilities in a nested "can"/"capabilities"/"access" object or list are read
too. A whole-bucket grant is "everywhere", true, "", "*" or the bucket's ARN.
"""
import json
import sys

CAPS = {
    "list": ("list", "List", "ListBucket", "s3:ListBucket"),
    "read": ("read", "Read", "get", "GetObject", "s3:GetObject"),
    "write": ("write", "Write", "put", "PutObject", "s3:PutObject"),
    "delete": ("delete", "Delete", "DeleteObject", "s3:DeleteObject"),
    "change-policy": ("change-policy", "change_policy", "changePolicy", "ChangePolicy",
                      "PutBucketPolicy", "s3:PutBucketPolicy"),
}
NESTED = ("can", "capabilities", "access", "permissions", "rights", "grants")


def report_check(j, bucket, specs):
    problems = []

    def norm(prefix):
        p = str(prefix)
        for head in ("arn:aws:s3:::" + bucket, bucket):
            if p.startswith(head):
                p = p[len(head):]
        p = p.lstrip("/")
        return p[:-1] if p.endswith("*") else p

    def prefixes(val):
        """Where a capability reaches ([""]: the whole bucket), or None: not at all."""
        if val is None or val is False or val == [] or val == {}:
            return None
        if val is True:
            return [""]
        if isinstance(val, str):
            return None if val in ("-", "none") else [norm(val)]
        if isinstance(val, list):
            out = [p for v in val for p in (prefixes(v) or [])]
            return out or None
        if isinstance(val, dict):
            if val.get("allowed") is False or val.get("allow") is False:
                return None
            if val.get("everywhere") is True or val.get("all") is True:
                return [""]
            for k in ("under", "prefixes", "prefix", "resources", "resource", "keys"):
                if k in val:
                    return prefixes(val[k])
            return None if "everywhere" in val else [""]
        return [""]

    def caps(entry):
        found = {}
        places = [entry] + [entry[k] for k in NESTED if isinstance(entry.get(k), dict)]
        for place in places:
            for cap, names in CAPS.items():
                for n in names:
                    if n in place and prefixes(place[n]) is not None:
                        found.setdefault(cap, []).extend(prefixes(place[n]))
        for k in NESTED:
            if isinstance(entry.get(k), list):
                for item in entry[k]:
                    if isinstance(item, str):
                        name, val = item, True
                    elif isinstance(item, dict):
                        name = next((item[x] for x in ("capability", "can", "action", "name", "what")
                                     if isinstance(item.get(x), str)), None)
                        val = next((item[x] for x in ("prefixes", "prefix", "under", "resources")
                                    if x in item), True)
                    else:
                        continue
                    for cap, names in CAPS.items():
                        if name in names and prefixes(val) is not None:
                            found.setdefault(cap, []).extend(prefixes(val))
        return found

    if isinstance(j, dict):
        raw = next((j[k] for k in ("principals", "members", "who", "access", "entries") if k in j), [])
    else:
        raw = j
    if isinstance(raw, dict):
        raw = [dict(v, arn=k) if isinstance(v, dict) else {"arn": k, "can": v} for k, v in raw.items()]
    entries = []  # (the names it goes by: ARN, user…; the entry)
    for e in raw if isinstance(raw, list) else []:
        if isinstance(e, dict):
            names = {e[k] for k in ("arn", "principal", "Principal", "user", "name", "id")
                     if isinstance(e.get(k), str)}
            entries.append((names, e))
    if not entries:
        problems.append("no list of principals found")

    for spec in specs:
        who, _, want = spec.partition("=")
        alts = set(want.split("|")) if who == "owner" else set(who.split("|"))
        if who == "owner":
            owner_fields = [v for k, v in (j.items() if isinstance(j, dict) else []) if "owner" in k.lower()]
            named = any(json.dumps(a) in json.dumps(f) for f in owner_fields for a in alts)
            named = named or any(names & alts for names, e in entries if e.get("owner") is not False)
            if not named:
                problems.append(f"the owner ({want}) is not named")
            continue
        mine = [e for names, e in entries if names & alts]
        if want == "-":
            if mine:
                problems.append(f"{who} is listed but should not be: {json.dumps(mine)}")
            continue
        if not mine:
            problems.append(f"{who} is not listed")
            continue
        have = {}
        for e in mine:
            for cap, ps in caps(e).items():
                have.setdefault(cap, []).extend(ps)
        for item in want.split(","):
            if item.startswith("!"):
                if item[1:] in have:
                    problems.append(f"{who} should not have {item[1:]} (has it under {have[item[1:]]})")
                continue
            cap, _, prefix = item.partition("@")
            if cap not in have:
                problems.append(f"{who} should have {cap} (has {sorted(have)})")
            elif prefix and not all(p.startswith(prefix) for p in have[cap]):
                problems.append(f"{who} should have {cap} only under {prefix} (has it under {have[cap]})")
    return problems


if __name__ == "__main__":
    path, bucket, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        report = json.load(open(path))
    except ValueError as e:
        print(f"not JSON: {e}")
        sys.exit(1)
    found = report_check(report, bucket, specs)
    print("; ".join(found))
    sys.exit(1 if found else 0)
PY
# report_expect DESC BUCKET SPEC...: the last command's stdout is the report; on failure it is shown.
report_expect() {
    local desc=$1 bucket=$2 why
    shift 2
    cp "$TMPD/out" "$TMPD/report.json"
    why=$(python3 "$TOP/report_check.py" "$TMPD/report.json" "$bucket" "$@" 2>&1)
    if [ $? -eq 0 ]; then
        pass "$desc"
    else
        fail "$desc ($why)"
        echo "    share report --json was:"
        python3 -m json.tool "$TMPD/report.json" 2>/dev/null | sed 's/^/    | /' | head -150 \
            || sed 's/^/    | /' "$TMPD/report.json" | head -50
    fi
}

# --- policies -------------------------------------------------------------------------------------
# policy_of_info: the JSON after "Policy:" in the last `s3cmd info` output, compact, to stdout
# ("none" when there is none).
policy_of_info() {
    python3 - "$TMPD/out" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
at = text.find("Policy:")
if at < 0:
    print("missing"); sys.exit(1)
rest = text[at + len("Policy:"):].lstrip()
if not rest.startswith("{"):
    print(rest.splitlines()[0] if rest else "none"); sys.exit(0)
policy, _ = json.JSONDecoder().raw_decode(rest)
print(json.dumps(policy, sort_keys=True))
PY
}
# policy_without FILE ARN: the policy in FILE without ARN among its principals (statements left with
# no principal dropped), compact, sorted.
policy_without() {
    python3 - "$1" "$2" <<'PY'
import json, sys
try:
    p = json.load(open(sys.argv[1]))
except ValueError:
    print("not JSON"); sys.exit(0)
out = []
for s in p.get("Statement", []):
    aws = (s.get("Principal") or {}).get("AWS", []) if isinstance(s.get("Principal"), dict) else s.get("Principal")
    aws = [aws] if isinstance(aws, str) else list(aws or [])
    left = sorted(x for x in aws if x != sys.argv[2])
    if aws and not left:
        continue
    out.append(dict(s, Principal={"AWS": left}) if aws else s)
print(json.dumps(dict(p, Statement=out), sort_keys=True))
PY
}
# principals_of FILE: every principal string in the policy in FILE, one a line.
principals_of() {
    python3 - "$1" <<'PY'
import json, sys
try:
    p = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(0)
for s in p.get("Statement", []):
    pr = s.get("Principal", {})
    vals = pr.get("AWS", []) if isinstance(pr, dict) else [pr]
    for v in [vals] if isinstance(vals, str) else vals:
        print(v)
PY
}

echo "== check-shares: s3keeper $KEEPER, fake-s3 $FAKE, $(s3cmd --version 2>&1), $(aws --version 2>&1 | cut -d' ' -f1)"
RUN=$(date +%s)$$
RUN=${RUN: -8}
F="$TMPD/files"   # the objects' contents, for both parts
for k in data/a.txt data/b.txt incoming/seed.txt test_folder/pic.jpg test_folder/notes.txt shared/x.txt top.txt; do
    mkdir -p "$F/$(dirname "$k")"; echo "content of $k" >"$F/$k"
done
echo "new bytes" >"$F/new.txt"

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

# Both servers first (the clean-up stops them); the AWS dialect part runs in the background, in its
# own directory, while the Ceph part runs here; its lines are printed and counted after.
# The Ceph part's server: CEPH_KIND fake or rgw; CEPH_JOURNAL where the journal of s3keeper's calls
# comes from: fake (/_fake/journal), rgw-log (RGW's access log) or none (the journal checks skip).
if [ -z "$CEPH_EXTERNAL" ]; then
    start_server ceph "$CEPH_CONFIG"
    CEPH_EP=$ENDPOINT CEPH_KIND=fake CEPH_JOURNAL=fake
else
    CEPH_EP=$CEPH_EXTERNAL
    if curl -s -m 5 "$CEPH_EP/_fake/journal" 2>/dev/null \
            | python3 -c 'import json, sys; sys.exit(0 if isinstance(json.load(sys.stdin), list) else 1)' 2>/dev/null; then
        CEPH_KIND=fake CEPH_JOURNAL=fake
    else
        CEPH_KIND=rgw
        code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$CEPH_EP/" 2>/dev/null)
        [ "$code" = 200 ] || bad "nothing answers S3 on CHECK_SHARES_CEPH_ENDPOINT=$CEPH_EP (anonymous ListBuckets: HTTP $code)"
        if [ ! -f "$RGW_LOG" ]; then
            CEPH_JOURNAL=none JOURNAL_WHY="no RGW access log at $RGW_LOG (CHECK_SHARES_RGW_LOG)"
        elif ! python3 "$TOP/rgwlog.py" barrier "$RGW_LOG" "$CEPH_EP" >/dev/null 2>>"$TMPD/rgwlog.err"; then
            CEPH_JOURNAL=none JOURNAL_WHY="$RGW_LOG does not log $CEPH_EP's requests (a barrier request never showed in it; another RGW's log, or debug_rgw below 1?)"
        else
            CEPH_JOURNAL=rgw-log
        fi
    fi
fi
start_server aws "$AWS_CONFIG"
AWS_EP=$ENDPOINT
AWS_OUT="$TMPD/aws-phase.out"
( TMPD="$TMPD/aws-phase"; mkdir -p "$TMPD"; LOG="$TMPD/steps.log"; : >"$LOG"; PASSED=0; FAILED=0
  trap - EXIT; trap 'exit 130' INT TERM
  aws_phase ) >"$AWS_OUT" 2>&1 </dev/null 3>&- 4>&- &
AWS_PHASE_PID=$!

# =========================================================================================================
# 1. Ceph dialect with s3cmd
# =========================================================================================================
echo "== Ceph dialect"
CEPH_HOSTPORT=${CEPH_EP#http://}
case "$CEPH_KIND/$CEPH_JOURNAL" in
    fake/*) echo "fake-s3 (Ceph dialect, $(basename "$CEPH_CONFIG")) on $CEPH_EP${CEPH_EXTERNAL:+ (CHECK_SHARES_CEPH_ENDPOINT)}" ;;
    rgw/rgw-log) echo "Ceph RGW on $CEPH_EP (CHECK_SHARES_CEPH_ENDPOINT; users as in $(basename "$CEPH_CONFIG")); s3keeper's requests from its access log $RGW_LOG" ;;
    *) echo "Ceph RGW on $CEPH_EP (CHECK_SHARES_CEPH_ENDPOINT; users as in $(basename "$CEPH_CONFIG")); no journal: $JOURNAL_WHY" ;;
esac

# One s3cmd configuration per LTS user (file name: the user name, @ as _at_); the PI's keys also
# for s3keeper.
eval "$(python3 - "$CEPH_CONFIG" "$TMPD" "$CEPH_HOSTPORT" <<'PY'
import json, re, shlex, sys
cfg, tmpd, hostport = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
for account in cfg["accounts"]:
    for user in account.get("users", []):
        key = user["keys"][0]
        with open(f"{tmpd}/{user['name'].replace('@', '_at_')}.s3cfg", "w") as f:
            f.write(f"""[default]
access_key = {key['access_key_id']}
secret_key = {key['secret_access_key']}
host_base = {hostport}
host_bucket = {hostport}
use_https = False
bucket_location = us-east-1
signature_v2 = False
check_ssl_certificate = False
progress_meter = False
max_retries = 1
""")
        if user["name"] == "pi":
            print(f"PI_AK={shlex.quote(key['access_key_id'])}; PI_SK={shlex.quote(key['secret_access_key'])}")
            # RGW's user id (as its access log names the signer): NAME, or TENANT$NAME off 12-digit accounts
            tenant = "" if re.fullmatch(r"[0-9]{12}", str(account["id"])) else f"{account['id']}$"
            print(f"PI_USER={shlex.quote(tenant + user['name'])}")
        if user["name"] == "jane@uab.edu":
            print(f"JANE_AK={shlex.quote(key['access_key_id'])}; JANE_SK={shlex.quote(key['secret_access_key'])}")
PY
)"
for who in pi jane_at_uab.edu bob wendy manny_at_uab.edu mallory carl dora Bob tina; do
    [ -f "$TMPD/$who.s3cfg" ] || bad "$CEPH_CONFIG has no user ${who/_at_/@}"
done
as() { # as USER S3CMD-ARGS...
    local who=${1/@/_at_}; shift
    timeout -k 5 "$STEP_TIMEOUT" s3cmd -c "$TMPD/$who.s3cfg" "$@"
}
if [ -n "$CEPH_EXTERNAL" ]; then   # every user's key pair works there (ListBuckets)
    for who in pi jane@uab.edu bob wendy manny@uab.edu mallory carl dora Bob tina; do
        run as "$who" ls
        [ "$RC" -eq 0 ] || bad "user $who's key pair does not work on $CEPH_EP (for RGW: scripts/start-rgw.sh users $CEPH_CONFIG): $(last_output)"
    done
fi
# live_ceph FILE: the live policy (compact JSON, or "none"), as the PI's `s3cmd info` shows it.
live_ceph() {
    run as pi info "s3://$2"
    policy_of_info >"$1"
}

LAB="lts-lab-$RUN"
LAB2="lts-import-$RUN"

# --- the PI's bucket ---------------------------------------------------------------------------------
expect_ok "pi creates $LAB (s3cmd mb)" as pi mb "s3://$LAB"
uploaded=0
for k in data/a.txt data/b.txt incoming/seed.txt test_folder/pic.jpg test_folder/notes.txt shared/x.txt top.txt; do
    run as pi put "$F/$k" "s3://$LAB/$k"
    if [ "$RC" -eq 0 ]; then uploaded=$((uploaded + 1)); else fail "pi uploads $k (exit $RC: $(last_output))"; fi
done
[ "$uploaded" -eq 7 ] && pass "pi uploads 7 objects (s3cmd put)"
# The owner's id as S3 itself reports it (the ACL's owner; RGW: the user id, e.g. `pi`).
run as pi info "s3://$LAB"
OWNER_ID=$(sed -n 's/^ *ACL: *\([^:]*\): FULL_CONTROL.*/\1/p' "$TMPD/out" | head -1)
CEPH_OWNER="owner=arn:aws:iam:::user/pi|arn:aws:iam::300000000001:user/pi|pi|300000000001"
[ -z "$OWNER_ID" ] || CEPH_OWNER="$CEPH_OWNER|arn:aws:iam:::user/$OWNER_ID|$OWNER_ID"
# owner_note: says so when the report names the owner only by an id that is not the user name.
owner_note() {
    jtrue "$TMPD/report.json" "any(p.get('owner') and (p.get('user') == 'pi' or str(p.get('principal', '')).endswith('user/pi')) for p in j.get('principals', []))" \
        || echo "NOTE: the report names the owner as S3 reports it ($OWNER_ID), not as user pi: fake-s3's Ceph dialect answers GetBucketAcl with an AWS-style canonical id where RGW gives the user id"
}
expect_err "bob cannot list $LAB before any grant" "$DENIED_S3CMD" as bob ls "s3://$LAB/"

# --- refusals that write nothing ------------------------------------------------------------------------
expect_err "share grant --role admin is refused with a message" '[Rr]ole|admin' kc share grant "$LAB" bob --role admin
wrote_nothing "share grant --role admin wrote nothing"
expect_err "share grant --role steward --prefix is refused (a steward has the whole bucket)" '[Ss]teward|prefix' \
    kc share grant "$LAB" jane@uab.edu --role steward --prefix data/
wrote_nothing "share grant --role steward --prefix wrote nothing"
live_ceph "$TMPD/p0.json" "$LAB"
check "after the refusals $LAB still has no bucket policy" grep -qx 'none' "$TMPD/p0.json"

# --- grants --------------------------------------------------------------------------------------------
expect_ok "share grant $LAB bob --role reader" kc share grant "$LAB" bob --role reader
expect_ok "share grant $LAB wendy --role writer --prefix incoming/" kc share grant "$LAB" wendy --role writer --prefix incoming/
expect_ok "share grant $LAB manny@uab.edu --role manager" kc share grant "$LAB" manny@uab.edu --role manager
expect_ok "share grant $LAB jane@uab.edu --role steward" kc share grant "$LAB" jane@uab.edu --role steward
expect_ok "share grant $LAB 'uab\$tina' --role reader --prefix 'test_folder/*jpg' (tenant user, key pattern)" \
    kc share grant "$LAB" 'uab$tina' --role reader --prefix 'test_folder/*jpg'
live_ceph "$TMPD/p1.json" "$LAB"
principals_of "$TMPD/p1.json" >"$TMPD/p1.principals"
for p in 'arn:aws:iam:::user/bob' 'arn:aws:iam:::user/wendy' 'arn:aws:iam:::user/manny@uab.edu' \
         'arn:aws:iam:::user/jane@uab.edu' 'arn:aws:iam::uab:user/tina'; do
    check "the live policy names $p" grep -qxF "$p" "$TMPD/p1.principals"
done
check "the rendered policy is under 20 KB ($(wc -c <"$TMPD/p1.json") bytes)" [ "$(wc -c <"$TMPD/p1.json")" -lt 20480 ]

# --- a grant to an RGW user that does not exist -------------------------------------------------------
# RGW accepts any principal in a bucket policy and one that matches nobody grants nothing, so S3 cannot
# tell s3keeper that a name is wrong: in the Ceph dialect the grant succeeds and warns. nosuchuser has
# no key pair: what the grant must not do is give anyone else more. Revoking it makes it a former
# member (a Deny), and `share forget` brings the policy back to p1 for the checks below. (fake-s3's Ceph
# dialect refused unknown principals with MalformedPolicy, as AWS does, until it was made to answer as
# RGW 16.2: against a fake only, a refusal that wrote nothing is accepted too, and said.)
UNKNOWN_WARNING='warning: Ceph RGW does not check that .?nosuchuser.? exists'
NOSUCH=nosuchuser NOSUCH_ARN=arn:aws:iam:::user/nosuchuser
run kc share grant "$LAB" "$NOSUCH" --role writer --prefix incoming/
if [ "$RC" -eq 0 ]; then
    [ "$CEPH_KIND" = rgw ] || echo "NOTE: this fake-s3 accepted the grant to $NOSUCH, as RGW 16.2 does (its Ceph dialect answers unknown principals as RGW)"
    pass "share grant $LAB $NOSUCH --role writer --prefix incoming/ (no such RGW user) succeeds, as RGW accepts any principal"
    if grep -Eq -- "$UNKNOWN_WARNING" "$TMPD/err"; then
        pass "the grant to $NOSUCH warns on stderr that RGW does not check that the name exists"
    else
        fail "the grant to $NOSUCH warns on stderr that RGW does not check that the name exists (stderr: $(tr '\n' ' ' <"$TMPD/err" | head -c 300))"
    fi
    live_ceph "$TMPD/n1.json" "$LAB"
    principals_of "$TMPD/n1.json" >"$TMPD/n1.principals"
    check "the live policy names $NOSUCH_ARN" grep -qxF "$NOSUCH_ARN" "$TMPD/n1.principals"
    policy_without "$TMPD/n1.json" "$NOSUCH_ARN" >"$TMPD/n1.without"
    policy_without "$TMPD/p1.json" "$NOSUCH_ARN" >"$TMPD/p1.without"
    check "the live policy is otherwise the one before the grant to $NOSUCH" cmp -s "$TMPD/p1.without" "$TMPD/n1.without"
    expect_err "reader bob still cannot upload under incoming/ (the grant to $NOSUCH gave him nothing)" "$DENIED_S3CMD" \
        as bob put "$F/new.txt" "s3://$LAB/incoming/bob.txt"
    expect_err "outsider mallory still cannot list incoming/" "$DENIED_S3CMD" as mallory ls "s3://$LAB/incoming/"
    expect_err "outsider mallory still cannot upload under incoming/" "$DENIED_S3CMD" \
        as mallory put "$F/new.txt" "s3://$LAB/incoming/m.txt"
    expect_err "Bob (not bob) still cannot download incoming/seed.txt" "$DENIED_S3CMD" \
        as Bob get --force "s3://$LAB/incoming/seed.txt" "$TMPD/x"
    expect_ok "share revoke $LAB $NOSUCH" kc share revoke "$LAB" "$NOSUCH"
    live_ceph "$TMPD/n2.json" "$LAB"
    check "after the revoke no Allow of the live policy names $NOSUCH" \
        jtrue "$TMPD/n2.json" "not any(s.get('Effect') == 'Allow' and a[0] in (lambda p: [p] if isinstance(p, str) else p)((s.get('Principal') or {}).get('AWS', [])) for s in (j['Statement'] if isinstance(j['Statement'], list) else [j['Statement']]))" \
        "$NOSUCH_ARN"
    expect_ok "share show $LAB --json after the revoke of $NOSUCH" kc share show "$LAB" --json
    if jtrue "$TMPD/out" "a[0] in {f['user'] for f in j['former']}" "$NOSUCH"; then
        pass "share show --json: $NOSUCH is a former member after the revoke (Ceph: denied everything until forgotten)"
        check "the live policy denies former member $NOSUCH everything" \
            jtrue "$TMPD/n2.json" "any(s.get('Effect') == 'Deny' and s.get('Action') == ['s3:*'] and a[0] in (lambda p: [p] if isinstance(p, str) else p)((s.get('Principal') or {}).get('AWS', [])) for s in (j['Statement'] if isinstance(j['Statement'], list) else [j['Statement']]))" \
            "$NOSUCH_ARN"
        expect_ok "share forget $LAB $NOSUCH" kc share forget "$LAB" "$NOSUCH"
    else
        pass "share show --json: $NOSUCH is not a former member after the revoke (nothing to forget)"
    fi
    live_ceph "$TMPD/n3.json" "$LAB"
    check "the live policy is again the one before the grant to $NOSUCH" cmp -s "$TMPD/p1.json" "$TMPD/n3.json"
elif [ "$CEPH_KIND" = fake ]; then
    # The interim: a fake whose Ceph dialect still refuses unknown principals (MalformedPolicy).
    echo "NOTE: this fake-s3 refused the grant to $NOSUCH (its Ceph dialect still refuses unknown principals as AWS does; RGW 16.2 accepts them): accepted against a fake only"
    if cat "$TMPD/err" "$TMPD/out" | grep -q "$NOSUCH"; then
        pass "share grant to $NOSUCH refused by this fake-s3 (exit $RC), with a message naming $NOSUCH"
    else
        fail "share grant to $NOSUCH refused by this fake-s3 (exit $RC), with a message naming $NOSUCH (got: $(last_output))"
    fi
    live_ceph "$TMPD/n3.json" "$LAB"
    # (s3keeper's probe for the principal S3 refused puts the live policy back: compare the policies)
    check "the refused grant to $NOSUCH left the live policy as it was" cmp -s "$TMPD/p1.json" "$TMPD/n3.json"
else
    fail "share grant $LAB $NOSUCH --role writer --prefix incoming/ (no such RGW user) succeeds with a warning, as RGW accepts any principal (exit $RC: $(last_output))"
fi
expect_ok "share show $LAB" kc share show "$LAB"
missing=""
for w in bob wendy 'manny@uab.edu' 'jane@uab.edu' 'uab$tina' 'incoming/' 'test_folder/*jpg' steward manager writer reader; do
    grep -qF -- "$w" "$TMPD/out" || missing="$missing $w"
done
if [ -z "$missing" ]; then pass "share show lists the members, their roles and prefixes"
else fail "share show lists the members, their roles and prefixes (missing:$missing; got: $(tr '\n' ' ' <"$TMPD/out" | head -c 300))"; fi
grep -q nosuchuser "$TMPD/out" && fail "share show does not list nosuchuser (revoked and forgotten, or refused)" \
    || pass "share show does not list nosuchuser (revoked and forgotten, or refused)"
expect_ok "share show $LAB --json" kc share show "$LAB" --json
check "share show --json is JSON" jtrue "$TMPD/out" "isinstance(j, (dict, list))"

# --- what each member can do, with their own s3cmd configuration -------------------------------------
expect_ok "reader bob lists $LAB" as bob ls "s3://$LAB/data/"
check_out "bob's listing shows data/a.txt" "s3://$LAB/data/a.txt"
expect_ok "reader bob downloads data/a.txt" as bob get --force "s3://$LAB/data/a.txt" "$TMPD/bob-a.txt"
check "bob got the right bytes" cmp -s "$F/data/a.txt" "$TMPD/bob-a.txt"
expect_err "reader bob cannot upload" "$DENIED_S3CMD" as bob put "$F/new.txt" "s3://$LAB/data/bob.txt"
expect_err "reader bob cannot delete" "$DENIED_S3CMD" as bob del "s3://$LAB/data/a.txt"
expect_err "Bob (not bob: RGW names are case-sensitive) cannot download" "$DENIED_S3CMD" \
    as Bob get --force "s3://$LAB/data/a.txt" "$TMPD/x"

expect_ok "writer wendy uploads under incoming/" as wendy put "$F/new.txt" "s3://$LAB/incoming/wendy.txt"
expect_ok "writer wendy lists incoming/" as wendy ls "s3://$LAB/incoming/"
check_out "wendy's listing shows her upload" "s3://$LAB/incoming/wendy.txt"
expect_ok "writer wendy downloads under incoming/" as wendy get --force "s3://$LAB/incoming/seed.txt" "$TMPD/w.txt"
expect_err "writer wendy cannot upload outside incoming/" "$DENIED_S3CMD" as wendy put "$F/new.txt" "s3://$LAB/data/wendy.txt"
expect_err "writer wendy cannot download outside incoming/" "$DENIED_S3CMD" as wendy get --force "s3://$LAB/data/a.txt" "$TMPD/x"
expect_err "writer wendy cannot list outside incoming/" "$DENIED_S3CMD" as wendy ls "s3://$LAB/data/"
expect_err "writer wendy cannot delete" "$DENIED_S3CMD" as wendy del "s3://$LAB/incoming/wendy.txt"
expect_err "writer wendy cannot upload with --acl-public (the policy denies ACLs to uploaders)" "$DENIED_S3CMD" \
    as wendy put --acl-public "$F/new.txt" "s3://$LAB/incoming/public.txt"
expect_err "writer wendy cannot make her upload public (setacl --acl-public)" "$DENIED_S3CMD" \
    as wendy setacl --acl-public "s3://$LAB/incoming/wendy.txt"
check "incoming/wendy.txt is not readable anonymously" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$CEPH_EP/$LAB/incoming/wendy.txt")" = 403 ]
expect_err "share grant --prefix '*/*.jpg' (a wildcard in the folder part lists every folder) is refused" 'folder part' \
    kc share grant "$LAB" bob --role reader --prefix '*/*.jpg'
wrote_nothing "the wildcard-folder grant wrote nothing"

expect_ok "manager manny@uab.edu uploads" as manny@uab.edu put "$F/new.txt" "s3://$LAB/data/manny.txt"
expect_ok "manager manny@uab.edu deletes his upload" as manny@uab.edu del "s3://$LAB/data/manny.txt"
expect_ok "manager manny@uab.edu deletes the PI's data/b.txt" as manny@uab.edu del "s3://$LAB/data/b.txt"
expect_err "manager manny@uab.edu cannot change the policy" "$DENIED_S3CMD" \
    as manny@uab.edu setpolicy "$TMPD/p1.json" "s3://$LAB"

# (s3cmd info asks GetBucketLocation first, and fails when that is refused.)
[ "$CEPH_KIND" != fake ] || curl -s -X DELETE "$CEPH_EP/_fake/journal" >/dev/null
expect_ok "steward jane@uab.edu: s3cmd info" as jane@uab.edu info "s3://$LAB"
if [ "$RC" -ne 0 ] && [ "$CEPH_KIND" = fake ]; then
    echo "    (jane's requests the fake refused: $(curl -s "$CEPH_EP/_fake/journal" | python3 -c 'import json,sys; print(", ".join(e["operation"] + " " + str(e["status"]) for e in json.load(sys.stdin) if e["status"] >= 400))'))"
fi
check_out "steward jane@uab.edu sees the policy in s3cmd info" 'Policy: +\{.*arn:aws:iam:::user/bob'
# The same with the aws CLI, which asks for the policy alone (GetBucketPolicy).
printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' >"$TMPD/ceph-aws-config"
jane_aws() {
    ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
      export PATH="$SAVED_PATH" HOME="$TMPD/home" LANG=C.UTF-8 AWS_CONFIG_FILE="$TMPD/ceph-aws-config" \
          AWS_SHARED_CREDENTIALS_FILE="$TMPD/home/aws-empty" AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" \
          AWS_ACCESS_KEY_ID="$JANE_AK" AWS_SECRET_ACCESS_KEY="$JANE_SK"
      exec timeout -k 5 "$STEP_TIMEOUT" aws --endpoint-url "$CEPH_EP" "$@" )
}
expect_ok "steward jane@uab.edu reads the policy (aws s3api get-bucket-policy)" jane_aws s3api get-bucket-policy --bucket "$LAB"
check_out "the policy jane@uab.edu reads names bob" 'arn:aws:iam:::user/bob'
expect_ok "steward jane@uab.edu uploads" as jane@uab.edu put "$F/new.txt" "s3://$LAB/top-jane.txt"
run as jane@uab.edu del "s3://$LAB/top-jane.txt"
[ "$RC" -eq 0 ] || fail "steward jane@uab.edu deletes (exit $RC: $(last_output))"

# tina is in tenant uab and the bucket in the default tenant: RGW names it `:BUCKET` for her (a
# bare name would be uab's own bucket of that name), which s3cmd sends path-style as is.
expect_err "tenant user uab\$tina's bare bucket name is her own tenant's (none)" 'NoSuchBucket|does not exist' \
    as tina get --force "s3://$LAB/test_folder/pic.jpg" "$TMPD/t.jpg"
expect_ok "tenant user uab\$tina downloads :$LAB/test_folder/pic.jpg (test_folder/*jpg)" \
    as tina get --force "s3://:$LAB/test_folder/pic.jpg" "$TMPD/t.jpg"
expect_err "uab\$tina cannot download test_folder/notes.txt" "$DENIED_S3CMD" \
    as tina get --force "s3://:$LAB/test_folder/notes.txt" "$TMPD/x"
expect_err "uab\$tina cannot upload" "$DENIED_S3CMD" as tina put "$F/new.txt" "s3://:$LAB/test_folder/t.jpg"

expect_err "outsider mallory cannot list" "$DENIED_S3CMD" as mallory ls "s3://$LAB/"
expect_err "outsider mallory cannot download" "$DENIED_S3CMD" as mallory get --force "s3://$LAB/data/a.txt" "$TMPD/x"
expect_err "outsider mallory cannot upload" "$DENIED_S3CMD" as mallory put "$F/new.txt" "s3://$LAB/data/m.txt"
expect_err "outsider mallory cannot setpolicy" "$DENIED_S3CMD" as mallory setpolicy "$TMPD/p1.json" "s3://$LAB"

# --- a steward's hand edit between two grants ------------------------------------------------------------
python3 - "$TMPD/p1.json" "$TMPD/p2.json" "$LAB" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["Statement"].append({
    "Sid": "StewardAddedCarl", "Effect": "Allow",
    "Principal": {"AWS": ["arn:aws:iam:::user/carl"]},
    "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{sys.argv[3]}/shared/*"]})
json.dump(p, open(sys.argv[2], "w"), indent=2)
PY
expect_ok "steward jane@uab.edu: s3cmd setpolicy with a statement of her own (carl reads shared/)" \
    as jane@uab.edu setpolicy "$TMPD/p2.json" "s3://$LAB"
live_ceph "$TMPD/p2-live.json" "$LAB"
check "the live policy is the steward's" grep -q StewardAddedCarl "$TMPD/p2-live.json"
expect_ok "carl (hand-edited in) downloads shared/x.txt" as carl get --force "s3://$LAB/shared/x.txt" "$TMPD/c.txt"

expect_ok "share report $LAB --json (from the live, hand-edited policy)" kc share report "$LAB" --json
report_expect "share report names the owner and every member with what they can do" "$LAB" \
    "$CEPH_OWNER" \
    'arn:aws:iam:::user/bob|bob=list,read,!write,!delete,!change-policy' \
    'arn:aws:iam:::user/wendy|wendy=list@incoming/,read@incoming/,write@incoming/,!delete,!change-policy' \
    'arn:aws:iam:::user/manny@uab.edu|manny@uab.edu=list,read,write,delete,!change-policy' \
    'arn:aws:iam:::user/jane@uab.edu|jane@uab.edu=list,read,write,delete,change-policy' \
    'arn:aws:iam::uab:user/tina|uab$tina=read@test_folder/,!write,!delete' \
    'arn:aws:iam:::user/carl|carl=read@shared/,!write,!delete,!change-policy' \
    'arn:aws:iam:::user/mallory|mallory=-' 'arn:aws:iam:::user/Bob|Bob=-'
owner_note
expect_ok "share report $LAB (text)" kc share report "$LAB"
check_out "share report (text) names carl from the live policy" 'carl'

expect_err "share grant after the hand edit is refused and mentions --adopt" '[-][-]adopt' \
    kc share grant "$LAB" dora --role reader
grep -Eq 'StewardAddedCarl|carl' "$TMPD/err" && pass "the refusal shows the hand edit (a diff naming carl's statement)" \
    || fail "the refusal shows the hand edit (a diff naming carl's statement) (stderr: $(tr '\n' ' ' <"$TMPD/err" | head -c 400))"
wrote_nothing "the refused grant wrote nothing"
live_ceph "$TMPD/p2-after.json" "$LAB"
check "the live policy is still the steward's, unchanged" cmp -s "$TMPD/p2-live.json" "$TMPD/p2-after.json"
expect_err "dora (refused grant) cannot download" "$DENIED_S3CMD" as dora get --force "s3://$LAB/data/a.txt" "$TMPD/x"
expect_err "share revoke after the hand edit is refused too and mentions --adopt" '[-][-]adopt' \
    kc share revoke "$LAB" bob
wrote_nothing "the refused revoke wrote nothing"
expect_ok "bob still downloads" as bob get --force "s3://$LAB/data/a.txt" "$TMPD/x"

expect_ok "share grant $LAB dora --role reader --adopt" kc share grant "$LAB" dora --role reader --adopt
live_ceph "$TMPD/p3.json" "$LAB"
principals_of "$TMPD/p3.json" >"$TMPD/p3.principals"
check "the adopted policy still has the steward's carl statement" grep -qxF 'arn:aws:iam:::user/carl' "$TMPD/p3.principals"
check "the adopted policy names dora" grep -qxF 'arn:aws:iam:::user/dora' "$TMPD/p3.principals"
expect_ok "share show $LAB after the adopt" kc share show "$LAB"
check_out "share show lists the steward's kept statement (carl)" 'carl'
expect_ok "dora downloads data/a.txt" as dora get --force "s3://$LAB/data/a.txt" "$TMPD/d.txt"
expect_ok "carl still downloads shared/x.txt (the hand edit was kept)" as carl get --force "s3://$LAB/shared/x.txt" "$TMPD/x"
expect_err "carl still cannot download outside shared/" "$DENIED_S3CMD" as carl get --force "s3://$LAB/data/a.txt" "$TMPD/x"
expect_ok "bob still downloads after the adopt" as bob get --force "s3://$LAB/data/a.txt" "$TMPD/x"
expect_ok "the next grant needs no --adopt (dora writer --prefix dora/)" kc share grant "$LAB" dora --role writer --prefix dora/
expect_ok "dora uploads under dora/" as dora put "$F/new.txt" "s3://$LAB/dora/d.txt"
expect_err "dora cannot upload outside dora/" "$DENIED_S3CMD" as dora put "$F/new.txt" "s3://$LAB/data/d.txt"

# --- revokes ----------------------------------------------------------------------------------------------
expect_ok "share revoke $LAB dora --prefix dora/" kc share revoke "$LAB" dora --prefix dora/
expect_err "dora can no longer upload under dora/" "$DENIED_S3CMD" as dora put "$F/new.txt" "s3://$LAB/dora/d2.txt"
expect_ok "dora still reads (her reader role stays)" as dora get --force "s3://$LAB/data/a.txt" "$TMPD/x"
expect_ok "share revoke $LAB bob" kc share revoke "$LAB" bob
expect_err "revoked bob cannot list" "$DENIED_S3CMD" as bob ls "s3://$LAB/"
expect_err "revoked bob cannot download" "$DENIED_S3CMD" as bob get --force "s3://$LAB/data/a.txt" "$TMPD/x"
expect_ok "share revoke $LAB carl (only in the steward's kept statement)" kc share revoke "$LAB" carl
expect_err "revoked carl cannot download shared/x.txt" "$DENIED_S3CMD" as carl get --force "s3://$LAB/shared/x.txt" "$TMPD/x"
live_ceph "$TMPD/p4.json" "$LAB"
# The revoked stay named only in the former members' Deny (RGW makes uploaders owners).
AWS_OF="(lambda p: [p] if isinstance(p, str) else p)((s.get('Principal') or {}).get('AWS', []))"
STMTS="(j['Statement'] if isinstance(j['Statement'], list) else [j['Statement']])"
check "after the revokes no Allow of the live policy names bob or carl" \
    jtrue "$TMPD/p4.json" "not any(s.get('Effect') == 'Allow' and {'arn:aws:iam:::user/bob', 'arn:aws:iam:::user/carl'} & set($AWS_OF) for s in $STMTS)"
check "after the revokes bob and carl are former members, denied everything" \
    jtrue "$TMPD/p4.json" "any(s.get('Effect') == 'Deny' and s.get('Action') == ['s3:*'] and {'arn:aws:iam:::user/bob', 'arn:aws:iam:::user/carl'} <= set($AWS_OF) for s in $STMTS)"
expect_ok "share revoke $LAB wendy --prefix incoming/" kc share revoke "$LAB" wendy --prefix incoming/
expect_err "revoked wendy cannot upload under incoming/" "$DENIED_S3CMD" as wendy put "$F/new.txt" "s3://$LAB/incoming/w2.txt"
expect_err "revoked wendy cannot download her own upload (RGW made her its owner; she is a former member)" "$DENIED_S3CMD" \
    as wendy get --force "s3://$LAB/incoming/wendy.txt" "$TMPD/x"
expect_err "revoked wendy cannot re-ACL her own upload" "$DENIED_S3CMD" \
    as wendy setacl --acl-public "s3://$LAB/incoming/wendy.txt"
expect_ok "share show $LAB lists the former members" kc share show "$LAB"
check_out "share show $LAB: wendy among the former members" 'former members'
expect_ok "share show $LAB --json (former members)" kc share show "$LAB" --json
check "share show --json lists wendy, bob and carl as former members" \
    jtrue "$TMPD/out" "{'wendy', 'bob', 'carl'} <= {f['user'] for f in j['former']}"
expect_ok "share revoke $LAB 'uab\$tina'" kc share revoke "$LAB" 'uab$tina'
expect_err "revoked uab\$tina cannot download test_folder/pic.jpg" "$DENIED_S3CMD" \
    as tina get --force "s3://:$LAB/test_folder/pic.jpg" "$TMPD/x"
expect_ok "manager manny@uab.edu is unaffected" as manny@uab.edu get --force "s3://$LAB/data/a.txt" "$TMPD/x"

expect_ok "share report $LAB --json after the revokes" kc share report "$LAB" --json
NOTHING='!list,!read,!write,!delete,!change-policy'
# The revoked are named only in the former members' Deny (Ceph: issue 18), with nothing allowed.
report_expect "share report after the revokes: the revoked have nothing, the others as granted" "$LAB" \
    "$CEPH_OWNER" \
    "arn:aws:iam:::user/bob|bob=$NOTHING" "arn:aws:iam:::user/carl|carl=$NOTHING" \
    "arn:aws:iam:::user/wendy|wendy=$NOTHING" "arn:aws:iam::uab:user/tina|uab\$tina=$NOTHING" \
    'arn:aws:iam:::user/dora|dora=list,read,!write,!delete' \
    'arn:aws:iam:::user/manny@uab.edu|manny@uab.edu=list,read,write,delete,!change-policy' \
    'arn:aws:iam:::user/jane@uab.edu|jane@uab.edu=change-policy'
expect_ok "share forget $LAB wendy" kc share forget "$LAB" wendy
expect_ok "forgotten wendy reads her own upload again (its owner, as RGW has it)" \
    as wendy get --force "s3://$LAB/incoming/wendy.txt" "$TMPD/x"
expect_err "share forget $LAB wendy again: not a former member" 'not a former member' kc share forget "$LAB" wendy
expect_ok "share forget --help" kc share forget --help

# --- import of a hand-written policy (the LTS guide's "Tiered Permissions" plus one it cannot express) --
expect_ok "pi creates $LAB2" as pi mb "s3://$LAB2"
run as pi put "$F/data/a.txt" "s3://$LAB2/data/a.txt"
lts_tiered_policy "$LAB2" '{"Sid": "KeepArchive", "Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam:::user/bob"]}, "Action": ["s3:DeleteObject"], "Resource": ["arn:aws:s3:::'"$LAB2"'/archive/*"]}' >"$TMPD/tiered.json"
expect_ok "pi sets the hand-written policy on $LAB2 (s3cmd setpolicy)" as pi setpolicy "$TMPD/tiered.json" "s3://$LAB2"
expect_ok "share import $LAB2" kc share import "$LAB2"
expect_ok "share show $LAB2 after the import" kc share show "$LAB2"
check_out "share show $LAB2 lists the imported members" 'bob'
grep -q 'jane@uab.edu' "$TMPD/out" || fail "share show $LAB2 lists jane@uab.edu (got: $(tr '\n' ' ' <"$TMPD/out" | head -c 300))"
expect_ok "share grant $LAB2 dora --role reader after the import needs no --adopt" kc share grant "$LAB2" dora --role reader
live_ceph "$TMPD/i1.json" "$LAB2"
check "the statement import cannot express (a Deny) is kept" grep -q 'KeepArchive' "$TMPD/i1.json"
expect_ok "dora reads $LAB2" as dora get --force "s3://$LAB2/data/a.txt" "$TMPD/x"
expect_ok "bob still uploads to $LAB2 (imported read-write)" as bob put "$F/new.txt" "s3://$LAB2/data/bob.txt"
expect_ok "bob still deletes in $LAB2 (imported read-write)" as bob del "s3://$LAB2/data/bob.txt"
run as pi put "$F/new.txt" "s3://$LAB2/archive/keep.txt"
expect_err "bob still cannot delete under archive/ (the kept Deny)" "$DENIED_S3CMD" as bob del "s3://$LAB2/archive/keep.txt"
expect_ok "share revoke $LAB2 bob (imported statements; the kept Deny stays)" kc share revoke "$LAB2" bob
expect_err "revoked bob cannot read $LAB2" "$DENIED_S3CMD" as bob get --force "s3://$LAB2/data/a.txt" "$TMPD/x"
live_ceph "$TMPD/i2.json" "$LAB2"
check "after the revoke no Allow of $LAB2's policy names bob" \
    jtrue "$TMPD/i2.json" "not any(s.get('Effect') == 'Allow' and 'arn:aws:iam:::user/bob' in (lambda p: [p] if isinstance(p, str) else p)((s.get('Principal') or {}).get('AWS', [])) for s in (j['Statement'] if isinstance(j['Statement'], list) else [j['Statement']]))"
check "after the revoke the kept Deny naming bob is still there (removing it could only give access back)" \
    grep -q 'KeepArchive' "$TMPD/i2.json"

# --- only S3 in the Ceph dialect ---------------------------------------------------------------------------
python3 - "$TMPD/journal-ceph.json" >"$TMPD/only-s3.txt" <<'PY'
import json, sys
calls = json.load(open(sys.argv[1]))
S3_OPS = {"ListBuckets", "CreateBucket", "HeadBucket", "DeleteBucket", "GetBucketLocation",
    "GetBucketVersioning", "PutBucketVersioning", "ListObjects", "ListObjectsV2", "ListObjectVersions",
    "ListMultipartUploads", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy",
    "GetBucketPolicyStatus", "GetBucketCors", "PutBucketCors", "DeleteBucketCors", "GetBucketAcl",
    "PutBucketAcl", "GetObjectAcl", "PutObjectAcl", "GetBucketOwnershipControls",
    "PutBucketOwnershipControls", "DeleteBucketOwnershipControls", "GetBucketTagging",
    "PutBucketTagging", "DeleteBucketTagging", "GetObjectTagging", "PutObjectTagging",
    "DeleteObjectTagging", "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock",
    "DeleteObjects", "GetObject", "HeadObject", "PutObject", "CopyObject", "DeleteObject",
    "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
    "AbortMultipartUpload", "ListParts",
    # named only from RGW's access log (the fake does not serve them)
    "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
    "GetBucketLogging", "PutBucketLogging", "GetBucketNotificationConfiguration",
    "PutBucketNotificationConfiguration", "GetBucketReplication", "PutBucketReplication",
    "DeleteBucketReplication", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite",
    "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption",
    "GetObjectLockConfiguration", "PutObjectLockConfiguration", "GetBucketRequestPayment",
    "PutBucketRequestPayment", "GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold",
    "PutObjectLegalHold", "GetObjectTorrent", "GetObjectAttributes", "RestoreObject",
    "SelectObjectContent"}
total, other, puts, missing = 0, [], 0, 0
for c in calls:
    if "journal" in c and c["journal"] is None:
        missing += 1
        continue
    for e in c["requests"]:
        total += 1
        op = e.get("operation", "?")
        puts += op == "PutBucketPolicy"
        # STS: its Action names (GetCallerIdentity, AssumeRole…) or "STS"; S3 Control: access point
        # operations, under /v20180820/ or an ACCOUNT.host; "-": the request never got that far.
        if op not in S3_OPS or e.get("path", "").startswith("/v20180820") or op.endswith("AccessPoint"):
            other.append(f"{op} {e.get('method')} {e.get('host')}{e.get('path')} ({c['command']})")
print(f"{total} {puts} {len(calls)} {missing}")
for o in other[:10]:
    print(o)
PY
read -r J_TOTAL J_PUTS J_CALLS J_MISSING <"$TMPD/only-s3.txt"
J_SOURCE="the journal"
[ "$CEPH_JOURNAL" != rgw-log ] || J_SOURCE="RGW's access log"
if [ "$CEPH_JOURNAL" = none ] || [ "${J_MISSING:-0}" -eq "${J_CALLS:-0}" ]; then
    skip "the journal: s3keeper made only S3 requests in the Ceph dialect (no journal of its requests: ${JOURNAL_WHY:-see rgwlog.err})"
    skip "the journal: s3keeper's grants wrote the policy with PutBucketPolicy (no journal of its requests: ${JOURNAL_WHY:-see rgwlog.err})"
else
    note=""
    [ "${J_MISSING:-0}" -eq 0 ] || note="; $J_MISSING of $J_CALLS calls without a journal"
    if [ "${J_TOTAL:-0}" -gt 0 ] && [ "$(wc -l <"$TMPD/only-s3.txt")" -eq 1 ]; then
        pass "$J_SOURCE: s3keeper made only S3 requests in the Ceph dialect ($J_TOTAL requests, $J_PUTS PutBucketPolicy; no STS, no S3 Control$note)"
    else
        fail "$J_SOURCE: s3keeper made only S3 requests in the Ceph dialect ($J_TOTAL requests$note; not S3: $(tail -n +2 "$TMPD/only-s3.txt" | tr '\n' ';'))"
    fi
    check "$J_SOURCE: s3keeper's grants wrote the policy with PutBucketPolicy" [ "${J_PUTS:-0}" -gt 0 ]
fi


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
