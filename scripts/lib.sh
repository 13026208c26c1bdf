# Shared helpers for the real-client checks (sourced, not run).
#
# Every check prints one line, `PASS: description` or `FAIL: description (details)`, and the
# counters below are reported by `summary`. real-clients.sh counts those lines across all scripts.

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FAKE_S3_CONFIG="${FAKE_S3_CONFIG:-$SCRIPTS_DIR/fake-s3-config.json}"

PASSED=0
FAILED=0

# S3's AccessDenied message: "Access Denied", or, for a caller of the bucket owner's own account,
# the context S3 adds since 2024 (who, which action, which resource, and why).
DENIED_MESSAGE='(Access Denied|User: arn:aws:(iam|sts)::[0-9]{12}:[^ ]+ is not authorized to perform: s3:[A-Za-z]+ on resource: "arn:aws:s3:[^"]+" (because no (identity|resource)-based policy allows the s3:[A-Za-z]+ action|with an explicit deny in (an identity-based|a resource-based|a session) policy))'

pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# require_endpoint: the fake's URL comes from FAKE_S3_ENDPOINT (http://127.0.0.1:PORT).
require_endpoint() {
    if [ -z "${FAKE_S3_ENDPOINT:-}" ]; then
        echo "FAKE_S3_ENDPOINT is not set: start fake-s3 (see scripts/README.md) or run scripts/real-clients.sh" >&2
        exit 2
    fi
    case "$FAKE_S3_ENDPOINT" in
        http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;;
        *) echo "FAKE_S3_ENDPOINT must be a loopback http:// URL, got $FAKE_S3_ENDPOINT" >&2; exit 2 ;;
    esac
    FAKE_S3_HOSTPORT="${FAKE_S3_ENDPOINT#http://}"
    FAKE_S3_HOSTPORT="${FAKE_S3_HOSTPORT%/}"
}

# load_keys: ACCOUNT_KEY/SECRET shell variables for every principal in the config file:
# OWNER_AK/OWNER_SK (root of 111122223333), ALICE_*, BOB_*, OTHER_* (root of 444455556666), CAROL_*.
load_keys() {
    eval "$(python3 - "$FAKE_S3_CONFIG" <<'PY'
import json, shlex, sys
cfg = json.load(open(sys.argv[1]))
acct = {a["id"]: a for a in cfg["accounts"]}
def emit(var, key):
    print(f"{var}_AK={shlex.quote(key['access_key_id'])}")
    print(f"{var}_SK={shlex.quote(key['secret_access_key'])}")
emit("OWNER", acct["111122223333"]["root_keys"][0])
emit("OTHER", acct["444455556666"]["root_keys"][0])
for a in cfg["accounts"]:
    for u in a.get("users", []):
        emit(u["name"].upper(), u["keys"][0])
PY
)"
}

# run CMD...: runs it, keeping stdout in $TMPD/out, stderr in $TMPD/err, the exit status in RC.
run() {
    "$@" >"$TMPD/out" 2>"$TMPD/err"
    RC=$?
}

# The last command's stderr (and stdout), shortened, for FAIL lines.
last_output() {
    { cat "$TMPD/err"; cat "$TMPD/out"; } | tr '\n' ' ' | tail -c 400
}

# expect_ok DESC CMD...: the command must exit 0.
expect_ok() {
    local desc=$1; shift
    run "$@"
    if [ "$RC" -eq 0 ]; then pass "$desc"; else fail "$desc (exit $RC: $(last_output))"; fi
}

# expect_err DESC REGEX CMD...: the command must fail and its output must match REGEX (grep -E).
expect_err() {
    local desc=$1 pattern=$2; shift 2
    run "$@"
    if [ "$RC" -ne 0 ] && cat "$TMPD/err" "$TMPD/out" | grep -Eq "$pattern"; then
        pass "$desc"
    else
        fail "$desc (expected failure matching /$pattern/, got exit $RC: $(last_output))"
    fi
}

# check DESC CMD...: a test command (no output captured) must succeed.
check() {
    local desc=$1; shift
    if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# http_status URL [curl args...]: prints the HTTP status curl got (000 when it could not connect).
http_status() {
    local url=$1; shift
    curl -s -o "$TMPD/body" -w '%{http_code}' "$@" "$url" || true
}

# expect_status DESC WANT URL [curl args...]
expect_status() {
    local desc=$1 want=$2 url=$3; shift 3
    local got
    got=$(http_status "$url" "$@")
    if [ "$got" = "$want" ]; then
        pass "$desc"
    else
        fail "$desc (expected HTTP $want, got $got: $(head -c 300 "$TMPD/body" | tr '\n' ' '))"
    fi
}

summary() {
    echo "$1: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# tamper_signature URL: the same URL with one bit of its signature (SigV2 `Signature` or SigV4
# `X-Amz-Signature`) flipped; every other byte is unchanged.
tamper_signature() {
    python3 - "$1" <<'PY'
import base64, re, sys, urllib.parse as up
url = sys.argv[1]
def flip(m):
    name, value = m.group(1), m.group(2)
    if name == "X-Amz-Signature":
        value = value[:-1] + ("0" if value[-1] != "0" else "1")
    else:
        raw = bytearray(base64.b64decode(up.unquote(value)))
        raw[0] ^= 1
        value = up.quote(base64.b64encode(bytes(raw)).decode(), safe="")
    return f"{name}={value}"
out, n = re.subn(r"(?<=[?&])(X-Amz-Signature|Signature)=([^&]+)", flip, url)
assert n == 1, url
print(out)
PY
}

# jtrue and jval (JSON checks); listening_url (a started server's address).
. "$SCRIPTS_DIR/json.sh"
. "$SCRIPTS_DIR/listening.sh"

# lts_tiered_policy BUCKET [EXTRA_STATEMENT_JSON]: the UAB LTS guide's "Tiered Permissions" example,
# verbatim but for the bucket name (bob and jane@uab.edu read-write, jane changes the policy),
# with one more statement appended when given.
lts_tiered_policy() {
    python3 - "$1" "${2:-}" <<'PY'
import json, sys
bucket, extra = sys.argv[1], sys.argv[2]
both = ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/jane@uab.edu"]
statements = [
    {"Sid": "list-bucket", "Effect": "Allow", "Principal": {"AWS": both},
     "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}"]},
    {"Sid": "change-policy", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/jane@uab.edu"]},
     "Action": ["s3:GetBucketPolicy", "s3:PutBucketPolicy"], "Resource": [f"arn:aws:s3:::{bucket}"]},
    {"Sid": "read-write", "Effect": "Allow", "Principal": {"AWS": both},
     "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]},
]
if extra:
    statements.append(json.loads(extra))
print(json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2))
PY
}

# stop_server PID: SIGTERM (fake-s3 and s3keeper stop on it), up to 2 s to exit, then SIGKILL.
stop_server() {
    local pid=$1
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}

# fail_on_panics LOG...: a FAIL line for each server log that records a panic.
fail_on_panics() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        if grep -q panicked "$f"; then fail "$(basename "$f" .log) never panicked ($(grep -m1 panicked "$f" | head -c 300))"; fi
    done
}
