#!/usr/bin/env bash
# adversary.sh: s3keeper attacked from outside (issue 18), the way a hostile API client, uploader or
# operator mistake would: only the binaries, over HTTP, their CLI, boto3, curl and the fake's own
# /_fake/ endpoints. It starts its own fake-s3 (the service as a least-privilege IAM user, as
# staging-flow.sh --fake does), `s3keeper setup` and `s3keeper serve` on free loopback ports, and a
# second fake-s3 in the Ceph dialect for the share checks.
#
#   S3KEEPER_BIN=/path/s3keeper FAKE_S3_BIN=/path/fake-s3 scripts/adversary.sh [--database-url URL]
#
# (default binaries: target/debug/…). --database-url URL (or ADVERSARY_DATABASE_URL, which keeps a
# password off the command line): the service's database, used as given (an empty PostgreSQL
# database the caller made, as staging-flow.sh does); default a SQLite file in the temporary
# directory. Needs python3 with boto3 and requests, curl; Chromium (/usr/bin/chromium) when
# installed. About 60 s with debug binaries (two cores).
#
# The sections (ADVERSARY_ONLY="clients cancel …" runs a subset, in this order); "(extra)" marks
# attacks beyond issue 18's list, "(regression)" behaviour that already held before it:
#   clients    client names `operator`, `admin`, `Operator`, empty, non-ASCII refused; a client neither
#              lists, shows, finishes nor cancels the operator's tickets (404); a client removed and
#              added again under its name does not see the old client's tickets; a client's token
#              reaches only the upload endpoints and its own prefixes (regression)
#   cancel     cancel deletes only what its ticket uploaded: a wider ticket's cancel keeps a narrower
#              finished ticket's objects, objects there before the ticket survive (also 1,100 of
#              them, more than a listing page), the ticket's own uploads (also overwrites) go;
#              overlapping open tickets are refused (409 naming the open ticket), also when opened at
#              the same moment or hidden behind IAM wildcards (`wc/*/`)
#   race       8 concurrent finish/cancel calls on one ticket (4 rounds): one 200, the rest 409, one
#              audit entry, the objects as the winner says (a finished ticket never loses its
#              objects); a cancel while the ticket's holder keeps uploading leaves nothing behind
#   expiry     `expires: 60` tickets (sts, put, post) refused by S3 once the fake's clock is 2 minutes
#              on (a default-expiry ticket still works then)
#   limits     413 PayloadTooLarge (JSON) for a 3 MB body; 1,001 put keys, a 300-character, CR/LF or
#              NUL content_type, keys over 1,024 bytes (also in UTF-8 bytes, also through the prefix)
#              → 400, exactly 1,024 accepted; URL-special keys presigned exactly; the form's
#              Content-Type condition holds
#   push       `s3keeper push --server`: a link to a directory inside DIR is uploaded under both names;
#              link loops and a FIFO do not hang it; links flipped between inside and outside targets
#              while pushing never upload the outside file's content
#   multipart  finish and cancel abort the ticket's incomplete multipart uploads, and only those (the
#              bucket owner's own one elsewhere survives); what the ticket's credentials may list
#   fake       fake-s3 itself: a POST-form upload with a key over 1,024 bytes is 400 KeyTooLongError
#   page       the upload page (`upload start --html`) of a prefix holding `<!--<script>` or
#              `</script>` keeps its script block intact (python; headless Chromium too if installed)
#   shares     `share grant … --prefix '*/*.jpg'` (wildcards in the folder part, also `?`) and
#              `'*.jpg'` refused, nothing written (Ceph dialect, its own fake-s3)
#   limit      per-client open tickets: `--max-open 2` → the 3rd gets 429 TooManyOpenTickets (also
#              when opened at once); the default is 20
#   flood      (last: it fills the revocation list) sts tickets opened and ended one at a time, in
#              bursts of 6 once the live list passes 17 KB, until `POST /uploads` answers 503
#              CapacityReached (at most 700 tickets, 60 s): finish/cancel never answer 502, the 503
#              hands out and records nothing, tickets held open all along still end (200) and are
#              then refused by S3
#
# Output: `PASS: …` / `FAIL: … (details)` lines, then `adversary: N passed, M failed` and, last,
# `N passed, M failed`. Exit 0 all passed, 1 a check failed, 2 could not start.
# ADVERSARY_KEEP_LOGS=1 keeps the temporary directory (the servers' logs, steps.log); kept on failure.
set -u
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPTS/.." && pwd)"
. "$SCRIPTS/lib.sh"
START=$SECONDS

KEEPER=${S3KEEPER_BIN:-$ROOT/target/debug/s3keeper}
FAKE=${FAKE_S3_BIN:-$ROOT/target/debug/fake-s3}
KEEP_LOGS=${ADVERSARY_KEEP_LOGS:-0}
ALL_SECTIONS="clients cancel race expiry limits push multipart fake page shares limit flood"
ONLY=" ${ADVERSARY_ONLY:-$ALL_SECTIONS} "
SHARES_CONFIG="$SCRIPTS/fake-s3-shares-ceph.json"
DB_URL_ARG=${ADVERSARY_DATABASE_URL:-}

bad() { echo "adversary: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --database-url) [ $# -ge 2 ] || bad "--database-url needs a URL"; DB_URL_ARG=$2; shift ;;
        --database-url=*) DB_URL_ARG=${1#--database-url=} ;;
        -h|--help) sed -n '2,/^set -u$/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) bad "unknown argument: $1 (see --help)" ;;
    esac
    shift
done
for tool in python3 curl timeout od; do command -v "$tool" >/dev/null 2>&1 || bad "$tool is needed on PATH"; done
python3 -c 'import boto3, requests' 2>/dev/null || bad "python3 needs boto3 and requests (python3 -m pip install boto3 requests)"
[ -x "$KEEPER" ] || bad "no s3keeper binary at $KEEPER (cargo build -p s3keeper, or set S3KEEPER_BIN)"
[ -x "$FAKE" ] || bad "no fake-s3 binary at $FAKE (cargo build -p fake-s3, or set FAKE_S3_BIN)"
[ -f "$SHARES_CONFIG" ] || bad "missing $SHARES_CONFIG"
for s in $ONLY; do case " $ALL_SECTIONS " in *" $s "*) ;; *) bad "ADVERSARY_ONLY: unknown section $s (known: $ALL_SECTIONS)" ;; esac; done

# Nothing of the caller's AWS, s3keeper or proxy settings reaches a client or server.
SAVED_PATH=$PATH
for v in $(compgen -e); do
    case "$v" in AWS_*|S3KEEPER_*|STAGING_*|FAKE_S3_*|HTTP_PROXY|HTTPS_PROXY|ALL_PROXY|NO_PROXY|http_proxy|https_proxy|all_proxy|no_proxy)
        unset "$v" 2>/dev/null ;;
    esac
done

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/adversary.XXXXXX") || bad "cannot make a temporary directory"
chmod 700 "$TMPD"
mkdir -p "$TMPD/home" "$TMPD/work"
: >"$TMPD/home/aws-empty"
LOG="$TMPD/steps.log"
: >"$LOG"
hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
RUN=adv-$(hex 4)
VERIFY_BUCKET="$RUN-verification"; OPEN_BUCKET="$RUN-open"
CONTROLLED_BUCKET="$RUN-controlled"; UPLOADS_BUCKET="$RUN-uploads"
DB_URL=${DB_URL_ARG:-"sqlite://$TMPD/s3keeper.db?mode=rwc"}
API_TOKEN=$(hex 16)
FAKE_PID=""; CEPH_PID=""; SERVE_PID=""; ENDPOINT=""; CEPH_EP=""; API=""

# --- clean-up (always) ---------------------------------------------------------------------------------
stop_pid() { # stop_pid PID: SIGINT (both servers shut down on it), then harder
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -INT "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
exec 3>&1 4>&2
finish() {
    local rc=$?
    exec 1>&3 2>&4
    trap - EXIT
    trap '' INT TERM
    [ -z "$ENDPOINT" ] || curl -s --noproxy '*' -m 5 -X DELETE "$ENDPOINT/_fake/clock" >/dev/null 2>&1
    stop_pid "$SERVE_PID"; stop_pid "$FAKE_PID"; stop_pid "$CEPH_PID"
    for f in "$TMPD"/serve.log "$TMPD"/fake*.log; do
        [ -f "$f" ] || continue
        if grep -q panicked "$f"; then fail "$(basename "$f" .log) never panicked ($(grep -m1 panicked "$f" | head -c 300))"; fi
    done
    if [ "$FAILED" -gt 0 ] || [ "$KEEP_LOGS" = 1 ] || [ "$rc" -ne 0 ]; then
        echo "adversary: logs (steps.log, serve.log, fake-s3 request logs) kept in $TMPD"
    else
        rm -rf "$TMPD"
    fi
    echo "adversary: elapsed $((SECONDS - START))s"
    echo "adversary: $PASSED passed, $FAILED failed"
    echo "$PASSED passed, $FAILED failed"
    if [ "$FAILED" -gt 0 ]; then exit 1; fi
    if [ "$rc" -ne 0 ]; then exit "$([ "$rc" -eq 2 ] && echo 2 || echo 1)"; fi
    exit 0
}
trap finish EXIT
trap 'exec 1>&3 2>&4; fail "the run was interrupted"; exit 130' INT TERM

# --- the fakes --------------------------------------------------------------------------------------------
# start_fake NAME CONFIG: fake-s3 on a free loopback port; prints PID and URL as "PID URL".
start_fake() {
    local name=$1 config=$2 pid url=""
    ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
      export PATH="$SAVED_PATH" RUST_LOG=info
      exec "$FAKE" --host 127.0.0.1 --port 0 --config "$config" ) \
        >"$TMPD/$name.out" 2>"$TMPD/$name.log" </dev/null 3>&- 4>&- &
    pid=$!
    for _ in $(seq 1 100); do
        url=$(sed -n 's|^fake-s3 listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$TMPD/$name.out" 2>/dev/null)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$pid $url"
}

# The service's IAM user holds exactly `s3keeper iam-policy` for this run's buckets; the account's
# root keys (ADMIN) are only for checks.
run "$KEEPER" iam-policy --account 111122223333 --region us-east-1 --verify-bucket "$VERIFY_BUCKET" \
    --open-bucket "$OPEN_BUCKET" --controlled-bucket "$CONTROLLED_BUCKET" --uploads-bucket "$UPLOADS_BUCKET"
[ "$RC" -eq 0 ] || { fail "s3keeper iam-policy (exit $RC: $(last_output))"; exit 1; }
cp "$TMPD/out" "$TMPD/service-policy.json"
ADMIN_AK="AKIA$(hex 8 | tr a-f A-F)"; ADMIN_SK=$(hex 20)
SERVICE_AK="AKIA$(hex 8 | tr a-f A-F)"; SERVICE_SK=$(hex 20)
python3 - "$TMPD/fake-s3-config.json" "$TMPD/service-policy.json" "$ADMIN_AK" "$ADMIN_SK" "$SERVICE_AK" "$SERVICE_SK" <<'PY' || { fail "write the fake's configuration"; exit 1; }
import json, sys
out, policy_file, aak, ask, sak, ssk = sys.argv[1:]
config = {"region": "us-east-1", "accounts": [
    {"id": "111122223333",
     "root_keys": [{"access_key_id": aak, "secret_access_key": ask}],
     "users": [{"name": "s3keeper-service", "keys": [{"access_key_id": sak, "secret_access_key": ssk}],
                "policies": [json.load(open(policy_file))]}]}]}
json.dump(config, open(out, "w"), indent=1)
PY
read -r FAKE_PID ENDPOINT < <(start_fake fake-s3 "$TMPD/fake-s3-config.json")
[ -n "$ENDPOINT" ] || { fail "fake-s3 starts (got: $(tail -c 400 "$TMPD/fake-s3.log"))"; exit 1; }
if [[ $ONLY == *" shares "* ]]; then
    read -r CEPH_PID CEPH_EP < <(start_fake fake-ceph "$SHARES_CONFIG")
    [ -n "$CEPH_EP" ] || fail "fake-s3 starts with $(basename "$SHARES_CONFIG") (got: $(tail -c 400 "$TMPD/fake-ceph.log"))"
fi

# --- the service: configured only by the SDK's standard settings and S3KEEPER_* -----------------------
service_env() { # the environment of every s3keeper run as the service (one NAME=VALUE a line)
    cat <<EOF
PATH=$SAVED_PATH
HOME=$TMPD/home
LANG=C.UTF-8
TMPDIR=$TMPD
AWS_CONFIG_FILE=$TMPD/home/aws-empty
AWS_SHARED_CREDENTIALS_FILE=$TMPD/home/aws-empty
AWS_EC2_METADATA_DISABLED=true
AWS_ENDPOINT_URL=$ENDPOINT
HTTP_PROXY=$ENDPOINT
http_proxy=$ENDPOINT
NO_PROXY=
no_proxy=
AWS_ACCESS_KEY_ID=$SERVICE_AK
AWS_SECRET_ACCESS_KEY=$SERVICE_SK
AWS_REGION=us-east-1
S3KEEPER_DATABASE_URL=$DB_URL
S3KEEPER_VERIFY_BUCKET=$VERIFY_BUCKET
S3KEEPER_OPEN_BUCKET=$OPEN_BUCKET
S3KEEPER_CONTROLLED_BUCKET=$CONTROLLED_BUCKET
S3KEEPER_UPLOADS_BUCKET=$UPLOADS_BUCKET
S3KEEPER_API_TOKEN=$API_TOKEN
EOF
}
service_env >"$TMPD/service.env"
keeper() { # keeper ARGS...: s3keeper as the service, with nothing but service_env
    ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
      while IFS= read -r kv; do export "${kv?}"; done <"$TMPD/service.env"
      exec timeout -k 5 60 "$KEEPER" "$@" ) </dev/null
}
run keeper setup
[ "$RC" -eq 0 ] && pass "s3keeper setup (as IAM user s3keeper-service holding exactly iam-policy, on $ENDPOINT)" \
    || { fail "s3keeper setup (exit $RC: $(last_output))"; exit 1; }
( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
  while IFS= read -r kv; do export "${kv?}"; done <"$TMPD/service.env"
  export S3KEEPER_LOG=info
  exec "$KEEPER" serve --listen 127.0.0.1:0 --reconcile-every 0 ) >"$TMPD/serve.out" 2>"$TMPD/serve.log" </dev/null 3>&- 4>&- &
SERVE_PID=$!
for _ in $(seq 1 150); do
    API=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$TMPD/serve.out" 2>/dev/null)
    [ -n "$API" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$API" ] || { fail "s3keeper serve starts (got: $(tail -c 400 "$TMPD/serve.log"))"; exit 1; }
ok=0
for _ in $(seq 1 50); do
    [ "$(curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' "$API/health")" = 200 ] && { ok=1; break; }
    sleep 0.2
done
[ "$ok" = 1 ] && pass "s3keeper serve answers GET /health on $API" || { fail "s3keeper serve answers GET /health"; exit 1; }
echo "adversary: s3keeper $KEEPER, fake-s3 $FAKE ($ENDPOINT${CEPH_EP:+, Ceph dialect $CEPH_EP}), database $(echo "$DB_URL" | sed 's|//[^@/]*@|//***@|')"

# --- the checks (Python: requests, boto3, subprocess), one section at a time --------------------------
# Each section's PASS:/FAIL: lines count here; other lines are shown as they are. A section that dies
# without a FAIL line, or runs over its time, is a failure too.
PY="$TMPD/adversary.py"
sed -n "/^: <<'ADVERSARY_PY'\$/,/^ADVERSARY_PY\$/p" "${BASH_SOURCE[0]}" | sed '1d;$d' >"$PY"
section() {
    local name=$1 limit=$2 line failed=0 rc=""
    [[ $ONLY == *" $name "* ]] || return 0
    echo "== $name"
    while IFS= read -r line; do
        case "$line" in
            "PASS: "*) pass "${line#PASS: }" ;;
            "FAIL: "*) failed=1; fail "${line#FAIL: }" ;;
            "EXIT "*) rc=${line#EXIT } ;;
            *) echo "$line" ;;
        esac
    done < <( ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
                export PATH="$SAVED_PATH" HOME="$TMPD/home" LANG=C.UTF-8 TMPDIR="$TMPD" PYTHONUNBUFFERED=1 \
                    AWS_CONFIG_FILE="$TMPD/home/aws-empty" AWS_SHARED_CREDENTIALS_FILE="$TMPD/home/aws-empty" \
                    AWS_EC2_METADATA_DISABLED=true \
                    ADV_API="$API" ADV_TOKEN="$API_TOKEN" ADV_ENDPOINT="$ENDPOINT" ADV_CEPH_ENDPOINT="$CEPH_EP" \
                    ADV_ADMIN_AK="$ADMIN_AK" ADV_ADMIN_SK="$ADMIN_SK" ADV_BUCKET="$UPLOADS_BUCKET" \
                    ADV_KEEPER="$KEEPER" ADV_WORK="$TMPD/work" ADV_SERVICE_ENV="$TMPD/service.env" \
                    ADV_SHARES_CONFIG="$SHARES_CONFIG" ADV_RUN="$RUN"
                timeout --foreground -k 5 "$limit" python3 "$PY" "$name" 2>>"$LOG"
                echo "EXIT $?" ) 3>&- 4>&- )
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        fail "section $name finishes within ${limit}s (timed out)"
    elif [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
        fail "section $name runs its checks (exit ${rc:-?}: $(tail -c 400 "$LOG" | tr '\n' ' '))"
    fi
}
section clients 30
section cancel 30
section race 30
section expiry 30
section limits 30
section push 40
section multipart 20
section fake 15
section page 20
section shares 30
section limit 30
section flood 90
exit 0   # clean-up and the summary run in finish()

# --- adversary.py: the checks, extracted to the temporary directory by the sed above ---
: <<'ADVERSARY_PY'
"""adversary.sh's checks; run as `python3 adversary.py SECTION` by adversary.sh, which sets ADV_*."""
import concurrent.futures
import datetime
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

E = os.environ
API, TOKEN, EP, BUCKET = E["ADV_API"], E["ADV_TOKEN"], E["ADV_ENDPOINT"], E["ADV_BUCKET"]
KEEPER, WORK = E["ADV_KEEPER"], E["ADV_WORK"]
SERVICE_ENV = dict(line.rstrip("\n").split("=", 1) for line in open(E["ADV_SERVICE_ENV"]) if "=" in line)
CLEAN_ENV = {k: E[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in E}
FAILED = 0


def result(ok, desc, detail=""):
    global FAILED
    if ok:
        print(f"PASS: {desc}", flush=True)
    else:
        FAILED += 1
        print(f"FAIL: {desc}" + (f" ({detail})" if detail else ""), flush=True)
    return ok


def info(msg):
    print(f"    {msg}", flush=True)


def short(text, n=300):
    """One line of at most n characters; runs of one character shown as `k×1016`."""
    text = re.sub(r"(.)\1{19,}", lambda m: f"{m.group(1)}×{len(m.group(0))}", " ".join(str(text).split()))
    return text[:n]


# --- the API ------------------------------------------------------------------------------------------
def session():
    s = requests.Session()
    s.trust_env = False          # loopback only: no proxy, no .netrc
    return s


LOCAL = threading.local()


def http():
    """This thread's session with the API (requests' sessions are not shared between threads)."""
    if not hasattr(LOCAL, "s"):
        LOCAL.s = session()
    return LOCAL.s


def api(method, path, body=None, token=TOKEN, data=None, timeout=30, sess=None):
    """(status, JSON or None, text) of one API call; status 0 when it could not be made."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if data is not None:
        headers["Content-Type"] = "application/json"
    try:
        r = (sess or http()).request(method, API + path, json=body if data is None else None, data=data,
                                   headers=headers, timeout=timeout)
    except requests.RequestException as e:
        return 0, None, f"{type(e).__name__}: {short(e)}"
    try:
        j = r.json()
    except ValueError:
        j = None
    return r.status_code, j, r.text


def open_ticket(prefix, method="sts", token=TOKEN, **kw):
    return api("POST", "/uploads", {"prefix": prefix, "method": method, **kw}, token)


def end(tid, op="finish", token=TOKEN, sess=None):
    return api("POST", f"/uploads/{tid}/{op}", None, token, sess=sess)


def is_error(j, code=None):
    """The API's error shape {"error": CODE, "message": TEXT} (with that CODE when given)."""
    return isinstance(j, dict) and isinstance(j.get("error"), str) and isinstance(j.get("message"), str) \
        and j["message"] != "" and (code is None or j["error"] == code)


def audit(action):
    st, j, txt = api("GET", f"/audit?action={action}&limit=10000")
    return j if st == 200 and isinstance(j, list) else []


# --- the CLI ------------------------------------------------------------------------------------------
def keeper(*args, env=None, timeout=60):
    try:
        p = subprocess.run([KEEPER, *args], env=env or SERVICE_ENV, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout}s"
    return p.returncode, p.stdout, p.stderr


def add_client(name, *prefixes, max_open=None, max_sessions=None):
    """(exit status, token or None, output) of `client add NAME --prefix P… [--max-open N]
    [--max-sessions M]`."""
    args = ["client", "add", name]
    for p in prefixes:
        args += ["--prefix", p]
    if max_open is not None:
        args += ["--max-open", str(max_open)]
    if max_sessions is not None:
        args += ["--max-sessions", str(max_sessions)]
    rc, out, err = keeper(*args)
    token = None
    if rc == 0:
        try:
            token = json.loads(out)["token"]
        except (ValueError, KeyError, TypeError):
            pass
    return rc, token, short(err + " " + out)


# --- S3 -----------------------------------------------------------------------------------------------
def s3(ak, sk, st=None, endpoint=EP):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ak,
                        aws_secret_access_key=sk, aws_session_token=st,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                      connect_timeout=10, read_timeout=30))


ADMIN = s3(E["ADV_ADMIN_AK"], E["ADV_ADMIN_SK"])     # the bucket owner (the account's root)


def ticket_s3(t):
    c = t["credentials"]
    return s3(c["access_key_id"], c["secret_access_key"], c["session_token"])


def error_code(fn):
    """None when fn() succeeds, else the S3 error code (or the exception's name)."""
    try:
        fn()
        return None
    except ClientError as e:
        return e.response.get("Error", {}).get("Code") or str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {short(e, 120)}"


def get(key):
    """The object's bytes as the bucket owner reads them, or None when there is none."""
    try:
        return ADMIN.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise


def keys_under(prefix):
    keys = []
    for page in ADMIN.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def post_form(ticket, key, data, filename="file.bin", **override):
    """A browser-style POST of the ticket's form (key and any `override` fields replaced) with the file
    last: (status, body)."""
    fields = dict(ticket["fields"])
    fields["key"] = key
    fields.update(override)
    try:
        r = session().post(ticket["url"], data=list(fields.items()),
                           files=[("file", (filename, data, "application/octet-stream"))], timeout=30)
    except requests.RequestException as e:
        return 0, f"{type(e).__name__}: {short(e)}"
    return r.status_code, r.text


def fake_clock(when):
    s = session()
    if when is None:
        return s.delete(f"{EP}/_fake/clock", timeout=10).status_code
    stamp = when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return s.put(f"{EP}/_fake/clock", params={"time": stamp}, timeout=10).status_code


def concurrently(fns, timeout=60):
    """Runs the functions at the same moment (a barrier), one thread each; their results in order."""
    barrier = threading.Barrier(len(fns))

    def run(fn):
        try:
            barrier.wait(timeout=20)
        except threading.BrokenBarrierError:
            pass
        return fn()
    with concurrent.futures.ThreadPoolExecutor(len(fns)) as ex:
        return [f.result(timeout=timeout) for f in [ex.submit(run, fn) for fn in fns]]


def ended_quietly(*ids):
    """Ends tickets a section opened (clean-up; statuses ignored)."""
    for tid in ids:
        if tid:
            end(tid, "cancel")


# ======================================================================================================
# 3. clients: reserved names, the operator's tickets, a name reused
# ======================================================================================================
def sec_clients():
    for name, why in (("operator", "the operator's own name"), ("admin", "reserved"), ("Operator", "operator in another case"),
                      ("", "empty"), ("ópérateur", "non-ASCII"), ("operator ", "operator with a trailing space")):
        rc, token, out = add_client(name, "c3/spoof/")
        result(rc != 0, f"client add {name!r} ({why}) is refused (non-zero exit)", f"got exit {rc}: {out}")
        if rc == 0 and name == "operator":
            SPOOF["operator"] = token
    for prefix, why in (("", "empty: the whole bucket"), ("/", "a lone slash"), ("../", "a dot-dot segment")):
        rc, token, out = add_client("c3-prefix", prefix)
        result(rc != 0, f"client add c3-prefix --prefix {prefix!r} ({why}) is refused (extra)", f"got exit {rc}: {out}")
        if rc == 0:
            keeper("client", "remove", "c3-prefix")

    rc, c3, out = add_client("c3", "c3/")
    if not result(rc == 0 and c3, "client add c3 --prefix c3/ prints a token", f"exit {rc}: {out}"):
        return
    for prefix in ("c3x/", "C3/", "c3/../x/", "c3", "/c3/"):        # outside c3/ (regression)
        st, j, txt = open_ticket(prefix, token=c3)
        result(st in (400, 403), f"client c3 (prefix c3/): a ticket on {prefix!r} is refused (400/403) (regression)",
               f"got {st}: {short(txt)}")
        if st == 201:
            ended_quietly(j["id"])
    # A client's token opens only the upload endpoints (regression).
    for method, path, body in (("GET", "/audit", None), ("GET", "/datasets", None), ("POST", "/reconcile", None),
                               ("GET", "/metrics", None), ("POST", "/people", {"email": "x@example.org", "name": "X"}),
                               ("GET", "/shares/" + BUCKET, None)):
        st, j, txt = api(method, path, body, token=c3)
        result(st in (401, 403), f"client c3's token: {method} {path} is refused (401/403) (regression)", f"got {st}: {short(txt)}")
    st, t, txt = open_ticket("c3/op/")
    if not result(st == 201, "the operator (admin token) opens an sts ticket on c3/op/ (201)", f"got {st}: {short(txt)}"):
        return
    op_id = t["id"]
    for who, token in [("client c3 (prefix c3/, covering the ticket)", c3)] + \
            ([("the client named `operator` (accepted above)", SPOOF["operator"])] if SPOOF.get("operator") else []):
        st, j, txt = api("GET", f"/uploads/{op_id}", token=token)
        result(st == 404, f"{who}: GET /uploads/<operator's ticket> is 404", f"got {st}: {short(txt)}")
        st, j, txt = api("GET", "/uploads", token=token)
        ids = [x.get("id") for x in j] if st == 200 and isinstance(j, list) else None
        result(ids is not None and op_id not in ids, f"{who}: GET /uploads does not list the operator's ticket",
               f"got {st}: {short(txt)}")
        for op in ("finish", "cancel"):
            st, j, txt = end(op_id, op, token=token)
            result(st == 404, f"{who}: POST /uploads/<operator's ticket>/{op} is 404", f"got {st}: {short(txt)}")
    st, j, txt = api("GET", f"/uploads/{op_id}")
    result(st == 200 and j.get("state") == "open", "the operator's ticket is still open after the clients' attempts",
           f"got {st}: {short(txt)}")
    ended_quietly(op_id)

    # A client removed, and another added under its name, never sees the first one's tickets.
    rc, t1, out = add_client("c3-reused", "c3r/")
    st, t, txt = open_ticket("c3r/a/", token=t1) if t1 else (0, None, out)
    if not result(st == 201, "client c3-reused opens a ticket on c3r/a/ (201)", f"got {st}: {short(txt)}"):
        return
    old_id = t["id"]
    rc, out, err = keeper("client", "remove", "c3-reused")
    result(rc == 0, "client remove c3-reused", f"exit {rc}: {short(err + out)}")
    st, j, txt = api("GET", "/uploads", token=t1)
    result(st == 401, "the removed client's token is refused (401)", f"got {st}: {short(txt)}")
    rc, t2, out = add_client("c3-reused", "c3r/")
    if result(rc == 0 and t2, "client add c3-reused again (same name, same prefix)", f"exit {rc}: {out}"):
        st, j, txt = api("GET", f"/uploads/{old_id}", token=t2)
        result(st == 404, "the new c3-reused: GET /uploads/<the old client's ticket> is 404", f"got {st}: {short(txt)}")
        st, j, txt = api("GET", "/uploads", token=t2)
        ids = [x.get("id") for x in j] if st == 200 and isinstance(j, list) else None
        result(ids is not None and old_id not in ids, "the new c3-reused: GET /uploads does not list the old client's ticket",
               f"got {st}: {short(txt)}")
        for op in ("finish", "cancel"):
            st, j, txt = end(old_id, op, token=t2)
            result(st == 404, f"the new c3-reused: POST /uploads/<the old client's ticket>/{op} is 404", f"got {st}: {short(txt)}")
    st, j, txt = end(old_id, "cancel")
    result(st in (200, 409), "the operator can still end the removed client's ticket", f"got {st}: {short(txt)}")


SPOOF = {}


# ======================================================================================================
# 2. cancel deletes only what its ticket uploaded; overlapping tickets refused
# ======================================================================================================
def sec_cancel():
    rc, narrow, out1 = add_client("narrow", "builds/other/")
    rc2, wide, out2 = add_client("wide", "builds/")
    if not result(narrow and wide, "client add narrow --prefix builds/other/, wide --prefix builds/", f"{out1} / {out2}"):
        return
    st, t, txt = open_ticket("builds/other/rel/", "post", token=narrow)
    if result(st == 201, "narrow opens a post ticket on builds/other/rel/ (201)", f"got {st}: {short(txt)}"):
        key = "builds/other/rel/index.html"
        pst, body = post_form(t, key, b"<h1>narrow's release</h1>\n", "index.html")
        result(pst == 204, f"narrow: POST form of {key} answers 204", f"got {pst}: {short(body)}")
        st, j, txt = end(t["id"], "finish", token=narrow)
        result(st == 200, "narrow finishes its ticket (200)", f"got {st}: {short(txt)}")
        st, w, txt = open_ticket("builds/", "sts", token=wide)
        if result(st == 201, "wide opens builds/ (narrow's ticket under it is finished: 201)", f"got {st}: {short(txt)}"):
            st, j, txt = end(w["id"], "cancel", token=wide)
            result(st == 200, "wide cancels its ticket without uploading anything (200)", f"got {st}: {short(txt)}")
            result(get(key) is not None, f"{key} (narrow's finished upload) survives wide's cancel",
                   "the object is gone: the cancel deleted everything under builds/")
            st, s, txt = open_ticket("builds/other/rel2/", "sts", token=narrow)
            if st == 201:
                st, j, txt = api("GET", f"/uploads/{s['id']}", token=narrow)
                info(f"(narrow's next ticket shows {len((j or {}).get('objects') or [])} objects under builds/other/rel2/)")
                ended_quietly(s["id"])

    # Objects there before the ticket survive its cancel; what it put (also an overwrite) goes.
    ADMIN.put_object(Bucket=BUCKET, Key="keep/a.txt", Body=b"before-a")
    ADMIN.put_object(Bucket=BUCKET, Key="keep/b.txt", Body=b"before-b")
    st, t, txt = open_ticket("keep/")
    if result(st == 201, "the operator opens an sts ticket on keep/ (keep/a.txt and keep/b.txt already there)", f"got {st}: {short(txt)}"):
        c = ticket_s3(t)
        e1 = error_code(lambda: c.put_object(Bucket=BUCKET, Key="keep/new.txt", Body=b"ticket-new"))
        e2 = error_code(lambda: c.put_object(Bucket=BUCKET, Key="keep/b.txt", Body=b"ticket-b"))
        result(e1 is None and e2 is None, "the ticket puts keep/new.txt and overwrites keep/b.txt", f"errors {e1}, {e2}")
        e3 = error_code(lambda: c.delete_object(Bucket=BUCKET, Key="keep/a.txt"))
        result(e3 == "AccessDenied", "the ticket's credentials cannot delete keep/a.txt (AccessDenied) (extra)", f"got {e3}")
        st, j, txt = end(t["id"], "cancel")
        result(st == 200, "cancel the keep/ ticket (200)", f"got {st}: {short(txt)}")
        a, n, b = get("keep/a.txt"), get("keep/new.txt"), get("keep/b.txt")
        result(a == b"before-a", "keep/a.txt (there before the ticket, untouched) survives the cancel", f"got {a!r}")
        result(n is None, "keep/new.txt (the ticket's upload) is deleted by the cancel", f"got {n!r}")
        result(b is None, "keep/b.txt (overwritten by the ticket) is deleted by the cancel", f"got {b!r}")

    # More than one listing page there before the ticket (extra): all of it survives the cancel.
    def put_many(keys):
        c = s3(E["ADV_ADMIN_AK"], E["ADV_ADMIN_SK"])
        for k in keys:
            c.put_object(Bucket=BUCKET, Key=k, Body=b"before")
    many = [f"many/{i:05}.txt" for i in range(1100)]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(put_many, [many[i::8] for i in range(8)]))
    st, t, txt = open_ticket("many/")
    if result(st == 201, "the operator opens an sts ticket on many/ (1,100 objects already there)", f"got {st}: {short(txt)}"):
        e = error_code(lambda: ticket_s3(t).put_object(Bucket=BUCKET, Key="many/zz-ticket.txt", Body=b"ticket"))
        st, j, txt = end(t["id"], "cancel")
        left = set(keys_under("many/"))
        result(st == 200 and e is None and left == set(many),
               "cancel of a ticket over 1,100 earlier objects (more than one listing page) deletes only its own upload (extra)",
               f"cancel {st}, put {e}; {len(set(many) - left)} earlier objects gone, ticket's object "
               f"{'left' if 'many/zz-ticket.txt' in left else 'gone'}")

    # Overlapping open tickets.
    st, x, txt = open_ticket("ovl/x/")
    if result(st == 201, "the operator opens ovl/x/ (201)", f"got {st}: {short(txt)}"):
        for prefix in ("ovl/", "ovl/x/y/", "ovl/x/"):
            st, j, txt = open_ticket(prefix)
            result(st == 409 and is_error(j) and x["id"] in j["message"],
                   f"while ovl/x/ is open, opening {prefix} answers 409 naming the open ticket {x['id']}",
                   f"got {st}: {short(txt)}")
            if st == 201:
                ended_quietly(j["id"])
        st, j, txt = open_ticket("ovl/xy/")
        result(st == 201, "control: ovl/xy/ (a sibling, not inside ovl/x/) opens (201)", f"got {st}: {short(txt)}")
        if st == 201:
            ended_quietly(j["id"])
        ended_quietly(x["id"])
    # IAM wildcards in a ticket's prefix (extra): `*` and `?` are literal in S3 keys but wildcards in the
    # session policy's Resource; a ticket on wc/*/ must not be able to write into the open wc/a/.
    st, a, txt = open_ticket("wc/a/")
    if result(st == 201, "the operator opens wc/a/ (201)", f"got {st}: {short(txt)}"):
        for prefix in ("wc/*/", "wc/?/", "w*/"):
            st, j, txt = open_ticket(prefix)
            wrote = None
            if st == 201:
                wrote = error_code(lambda: ticket_s3(j).put_object(Bucket=BUCKET, Key="wc/a/intruder.txt", Body=b"x")) is None
                ended_quietly(j["id"])
            result(st in (400, 409) or wrote is False,
                   f"while wc/a/ is open, a ticket on {prefix} is refused (400/409) or cannot write wc/a/intruder.txt (extra)",
                   f"got {st}" + (", and its credentials wrote wc/a/intruder.txt" if wrote else f": {short(txt)}"))
        ended_quietly(a["id"])
    # The same, opened at the same moment (extra): at most one of a prefix and its parent is admitted.
    admitted_both = []
    for r in range(4):
        outs = concurrently([lambda r=r: open_ticket(f"ovlr/{r}/"),
                             lambda r=r: open_ticket(f"ovlr/{r}/x/"),
                             lambda r=r: open_ticket(f"ovlr/{r}/x/y/")])
        ok = [o for o in outs if o[0] == 201]
        if len(ok) > 1:
            admitted_both.append((r, [o[0] for o in outs]))
        ended_quietly(*[o[1]["id"] for o in ok])
    result(not admitted_both, "overlapping prefixes opened at the same moment (4 rounds of P, P/x/, P/x/y/): at most one admitted (extra)",
           f"rounds admitting several: {admitted_both}")


# ======================================================================================================
# 4. concurrent finish/cancel
# ======================================================================================================
def sec_race():
    n = 8
    for r in range(4):
        prefix = f"race/{r}/"
        st, t, txt = open_ticket(prefix)
        if not result(st == 201, f"round {r}: open an sts ticket on {prefix}", f"got {st}: {short(txt)}"):
            continue
        tid = t["id"]
        err = error_code(lambda: ticket_s3(t).put_object(Bucket=BUCKET, Key=prefix + "obj.txt", Body=b"race"))
        ops = ["finish" if (i + r) % 2 == 0 else "cancel" for i in range(n)]
        outs = concurrently([lambda op=op: (op,) + end(tid, op) for op in ops])
        got = [(o[0], o[1]) for o in outs]
        wins = [o for o in got if o[1] == 200]
        result(len(wins) == 1 and all(s == 409 for _, s in got if s != 200),
               f"round {r}: {n} concurrent finish/cancel calls on {tid}: exactly one 200, the rest 409",
               f"got {sorted(got)}; " + "; ".join(short(o[3], 160) for o in outs if o[1] not in (200, 409))[:400])
        entries = [e for e in audit("upload-finish") + audit("upload-cancel")
                   if re.search(rf"\b{re.escape(tid)}\b", e.get("detail", ""))]
        result(len(entries) == 1, f"round {r}: GET /audit has exactly one upload-finish/upload-cancel entry for {tid}",
               f"got {[(e['action'], short(e['detail'], 80)) for e in entries]}")
        st, j, txt = api("GET", f"/uploads/{tid}")
        state = (j or {}).get("state")
        present = get(prefix + "obj.txt") is not None
        winner = {"finish": "finished", "cancel": "cancelled"}.get(wins[0][0]) if len(wins) == 1 else None
        result(err is None and ((state == "finished" and present) or (state == "cancelled" and not present))
               and (winner is None or winner == state),
               f"round {r}: the ticket's state matches its objects and the winning call (finished: kept; cancelled: gone)",
               f"state {state}, object {'present' if present else 'gone'}, winning call {wins[0][0] if wins else None}, put error {err}")

    # Cancel while the ticket's holder keeps uploading (extra): once cancel has answered, nothing the
    # ticket put may remain (revoked before the listing, or deleted after it).
    prefix = "race/hammer/"
    st, t, txt = open_ticket(prefix)
    if not result(st == 201, f"open an sts ticket on {prefix}", f"got {st}: {short(txt)}"):
        return
    c, stop, puts, after = ticket_s3(t), threading.Event(), [0, 0], []

    def hammer():
        deadline = time.monotonic() + 6
        while not stop.is_set() and time.monotonic() < deadline and puts[0] < 2000:
            k = puts[0]
            puts[0] += 1
            if error_code(lambda: c.put_object(Bucket=BUCKET, Key=f"{prefix}{k:05}", Body=b"h")) is None:
                puts[1] += 1
    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for th in threads:
        th.start()
    time.sleep(0.5)
    st, j, txt = end(t["id"], "cancel")
    time.sleep(0.5)            # requests in flight when cancel answered
    stop.set()
    for th in threads:
        th.join(timeout=20)
    left = keys_under(prefix)
    result(st == 200 and not left, f"cancel while the ticket's holder keeps uploading ({puts[1]} of {puts[0]} puts accepted): "
                                   f"nothing is left under {prefix} (extra)", f"cancel {st}; left {left[:5]} ({len(left)} objects)")


# ======================================================================================================
# 5. a ticket's own expiry
# ======================================================================================================
def sec_expiry():
    now = datetime.datetime.now(datetime.timezone.utc)
    specs = {"sts": {"prefix": "exp/sts/", "method": "sts", "expires": 60},
             "put": {"prefix": "exp/put/", "method": "put", "keys": ["a.txt", "b.txt"], "expires": 60},
             "post": {"prefix": "exp/post/", "method": "post", "expires": 60},
             "control": {"prefix": "exp/control/", "method": "sts"}}
    t = {}
    for name, body in specs.items():
        st, j, txt = api("POST", "/uploads", body)
        if result(st == 201, f"open a {name} ticket {json.dumps(body)} (201)", f"got {st}: {short(txt)}"):
            t[name] = j
    if len(t) < 4:
        ended_quietly(*[x["id"] for x in t.values()])
        return
    sts, ctl = ticket_s3(t["sts"]), ticket_s3(t["control"])
    e = error_code(lambda: sts.put_object(Bucket=BUCKET, Key="exp/sts/now.txt", Body=b"now"))
    result(e is None, "now: boto3 put_object with the expires-60 sts credentials works", f"got {e}")
    r = session().put(t["put"]["urls"]["a.txt"], data=b"now", timeout=30)
    result(r.status_code == 200, "now: PUT to the expires-60 presigned URL works (200)", f"got {r.status_code}: {short(r.text)}")
    pst, body = post_form(t["post"], "exp/post/now.txt", b"now")
    result(pst == 204, "now: the expires-60 POST form works (204)", f"got {pst}: {short(body)}")
    later = now + datetime.timedelta(minutes=2)
    cst = fake_clock(later)
    try:
        if not result(cst in (200, 204), f"the fake's clock moves 2 minutes on ({later:%H:%M:%SZ})", f"got HTTP {cst}"):
            return
        e = error_code(lambda: sts.put_object(Bucket=BUCKET, Key="exp/sts/later.txt", Body=b"later"))
        result(e in ("AccessDenied", "ExpiredToken"),
               "2 minutes on: the expires-60 sts ticket's credentials are refused (AccessDenied), not good for 15 minutes",
               f"got {'success' if e is None else e}")
        e = error_code(lambda: ctl.put_object(Bucket=BUCKET, Key="exp/control/later.txt", Body=b"later"))
        result(e is None, "control, 2 minutes on: a default-expiry (900 s) sts ticket still uploads", f"got {e}")
        r = session().put(t["put"]["urls"]["b.txt"], data=b"later", timeout=30)
        result(r.status_code == 403, "2 minutes on: the expires-60 presigned PUT URL is refused (403) (regression)",
               f"got {r.status_code}: {short(r.text)}")
        pst, body = post_form(t["post"], "exp/post/later.txt", b"later")
        result(pst == 403, "2 minutes on: the expires-60 POST form is refused (403) (regression)", f"got {pst}: {short(body)}")
    finally:
        fake_clock(None)
    for key in ("exp/sts/later.txt", "exp/put/b.txt", "exp/post/later.txt"):
        result(get(key) is None, f"nothing arrived at {key} after the expiry")
    ended_quietly(*[x["id"] for x in t.values()])


# ======================================================================================================
# 6. limits
# ======================================================================================================
def sec_limits():
    big = json.dumps({"prefix": "lim/big/", "method": "post", "content_type": "x" * (3 * 1024 * 1024)})
    st, j, txt = api("POST", "/uploads", data=big.encode(), timeout=60, sess=session())   # its own connection
    result(st == 413 and is_error(j, "PayloadTooLarge"),
           "a 3 MB body to POST /uploads answers 413 {\"error\": \"PayloadTooLarge\", \"message\": …}", f"got {st}: {short(txt)}")
    if st == 201:
        ended_quietly(j["id"])

    def expect_400(desc, body):
        st, j, txt = api("POST", "/uploads", body)
        result(st == 400 and is_error(j), f"{desc} → 400 with the JSON error shape", f"got {st}: {short(txt)}")
        if st == 201:
            ended_quietly(j["id"])

    expect_400("a put ticket with 1,001 keys", {"prefix": "lim/k1001/", "method": "put",
                                               "keys": [f"f{i:04}.txt" for i in range(1001)]})
    st, j, txt = api("POST", "/uploads", {"prefix": "lim/k1000/", "method": "put", "keys": [f"f{i:04}.txt" for i in range(1000)]})
    result(st == 201 and len((j or {}).get("urls") or {}) == 1000, "a put ticket with 1,000 keys is accepted (201, 1,000 URLs)",
           f"got {st}: {short(txt)}")
    if st == 201:
        ended_quietly(j["id"])
    expect_400("a post ticket with a 300-character content_type", {"prefix": "lim/ct/", "content_type": "text/" + "p" * 295})
    expect_400("a post ticket with CR/LF in content_type", {"prefix": "lim/ct/", "content_type": "text/plain\r\nX-Injected: 1"})
    expect_400("a post ticket with LF in content_type", {"prefix": "lim/ct/", "content_type": "text/plain\nx"})
    expect_400("a post ticket with a NUL in content_type (extra)", {"prefix": "lim/ct/", "content_type": "text/plain\u0000x"})
    expect_400("a put key making the full key 1,025 bytes", {"prefix": "lim/key/", "method": "put", "keys": ["k" * (1025 - 8)]})
    expect_400("a put key of 520 'é' (520 characters, 1,040 UTF-8 bytes) (extra)",
               {"prefix": "lim/key/", "method": "put", "keys": ["é" * 520]})
    expect_400("a prefix of 1,100 bytes (no key under it can be stored) (extra)", {"prefix": "lim/" + "p" * 1095 + "/"})
    st, j, txt = api("POST", "/uploads", {"prefix": "lim/key/", "method": "put", "keys": ["k" * (1024 - 8)]})
    result(st == 201, "control: a put key making the full key exactly 1,024 bytes is accepted (201)", f"got {st}: {short(txt)}")
    if st == 201:
        ended_quietly(j["id"])
    # Keys that mean something in a URL, presigned: each URL stores exactly its own key (extra).
    odd = ["q?x-id=DeleteObject", "h#frag.txt", "pct%2Fslash.txt", "sp ace+plus.txt", "semi;colon&amp.txt"]
    st, j, txt = api("POST", "/uploads", {"prefix": "lim/odd/", "method": "put", "keys": odd})
    if st == 201:
        wrong = []
        for k in odd:
            url = (j.get("urls") or {}).get(k)
            r = session().put(url, data=k.encode(), timeout=30) if url else None
            if r is None or r.status_code != 200 or get("lim/odd/" + k) != k.encode():
                wrong.append((k, r.status_code if r is not None else "no URL"))
        stray = [k for k in keys_under("lim/") if not k.startswith("lim/odd/")
                 and not k.startswith(("lim/k1000/", "lim/key/", "lim/ctp/"))]
        result(not wrong and not stray, "presigned PUT URLs for keys holding ?, #, %2F, space, +, ; and & store exactly those keys (extra)",
               f"wrong: {wrong}, stray: {stray}")
        ended_quietly(j["id"])
    else:
        result(False, "a put ticket with URL-special keys (?, #, %2F, space, +, ;, &) opens (extra)", f"got {st}: {short(txt)}")
    expect_400("a put key with a `..` segment (../up.txt) (regression)", {"prefix": "lim/odd2/", "method": "put", "keys": ["../up.txt"]})
    # The form's Content-Type condition (regression): text/html refused where image/ was asked.
    st, t, txt = api("POST", "/uploads", {"prefix": "lim/ctp/", "content_type": "image/"})
    if result(st == 201, "a post ticket with content_type image/ (201)", f"got {st}: {short(txt)}"):
        ct = next((k for k in t["fields"] if k.lower() == "content-type"), "Content-Type")
        p1, b1 = post_form(t, "lim/ctp/a.png", b"png", **{ct: "image/png"})
        p2, b2 = post_form(t, "lim/ctp/x.html", b"<script>alert(1)</script>", **{ct: "text/html"})
        result(p1 == 204 and p2 == 403 and get("lim/ctp/x.html") is None,
               "its form stores image/png (204) and refuses the same form sent as text/html (403) (regression)",
               f"got {p1}, {p2}: {short(b2, 200)}")
        ended_quietly(t["id"])
    expect_400("expires 59 (below the 60 s minimum) (regression)", {"prefix": "lim/exp/", "expires": 59})
    expect_400("expires 43,201 (over 12 hours) (regression)", {"prefix": "lim/exp/", "expires": 43201})


# ======================================================================================================
# 7. push and links
# ======================================================================================================
def sec_push():
    rc, token, out = add_client("pusher", "push/", max_open=None)
    if not result(token, "client add pusher --prefix push/", out):
        return
    base = os.path.join(WORK, "push")
    site, outside = os.path.join(base, "site"), os.path.join(base, "outside")
    os.makedirs(os.path.join(site, "sub"))
    os.makedirs(os.path.join(outside, "dir"))
    secret = f"OUTSIDE-SECRET-{os.urandom(8).hex()}\n".encode()
    open(os.path.join(site, "sub", "a.txt"), "wb").write(b"inside a\n")
    open(os.path.join(outside, "secret.txt"), "wb").write(secret)
    open(os.path.join(outside, "dir", "a.txt"), "wb").write(secret)
    os.symlink("sub", os.path.join(site, "in-dir"))                                   # inside: uploaded
    os.symlink("../outside/secret.txt", os.path.join(site, "out-file"))               # outside: skipped
    os.symlink(os.path.join(outside, "dir"), os.path.join(site, "out-dir"))          # outside: skipped

    def push(directory, prefix, timeout=30):
        return keeper("push", directory, "--server", API, "--token", token, "--prefix", prefix,
                      env=CLEAN_ENV, timeout=timeout)
    rc, out, err = push(site, "push/links/")
    keys = sorted(keys_under("push/links/"))
    result("push/links/sub/a.txt" in keys and "push/links/in-dir/a.txt" in keys,
           "push with a link in-dir -> sub (inside DIR) uploads push/links/sub/a.txt and push/links/in-dir/a.txt",
           f"exit {rc}, uploaded {keys}: {short(err, 200)}")
    leaked = [k for k in keys if get(k) == secret]
    result(not leaked and not any("out-" in k for k in keys),
           "links to a file and a directory outside DIR are not uploaded (regression)", f"uploaded {keys}")

    # A directory holding link loops and a FIFO (extra): push ends, skipping them, and uploads the rest.
    loops = os.path.join(base, "loops")
    os.makedirs(os.path.join(loops, "sub"))
    open(os.path.join(loops, "sub", "b.txt"), "wb").write(b"b\n")
    os.symlink(".", os.path.join(loops, "self"))
    os.symlink("..", os.path.join(loops, "sub", "up"))
    os.mkfifo(os.path.join(loops, "pipe"))
    t0 = time.monotonic()
    rc, out, err = push(loops, "push/loops/", timeout=20)
    keys = keys_under("push/loops/")
    result(rc != 124 and "push/loops/sub/b.txt" in keys and not any(k.endswith("pipe") for k in keys) and len(keys) < 50,
           "push of a directory with link loops (self -> ., sub/up -> ..) and a FIFO ends, uploads sub/b.txt, not the FIFO (extra)",
           f"exit {rc} after {time.monotonic() - t0:.1f}s, {len(keys)} objects {keys[:6]}: {short(err, 200)}")

    # Links flipped between an inside and an outside target while push runs.
    race = os.path.join(base, "race")
    os.makedirs(os.path.join(race, "inside-dir"))
    for i in range(150):
        open(os.path.join(race, f"f{i:03}.txt"), "wb").write(b"plain %d\n" % i)
    open(os.path.join(race, "inside.txt"), "wb").write(b"inside\n")
    open(os.path.join(race, "inside-dir", "a.txt"), "wb").write(b"inside dir\n")
    links = [(os.path.join(race, f"l{i:02}"), "inside.txt", os.path.join(outside, "secret.txt")) for i in range(12)]
    links += [(os.path.join(race, f"d{i}"), "inside-dir", os.path.join(outside, "dir")) for i in range(4)]
    for path, inside, _ in links:
        os.symlink(inside, path)
    stop = threading.Event()
    flips = [0]

    def flipper():     # atomic replacements (rename over the link), bounded in time and count
        deadline = time.monotonic() + 8
        while not stop.is_set() and time.monotonic() < deadline and flips[0] < 400000:
            for path, inside, outside_target in links:
                target = outside_target if flips[0] % 2 == 0 else inside
                tmp = path + ".tmp"
                try:
                    os.symlink(target, tmp)
                    os.replace(tmp, path)
                except OSError:
                    pass
            flips[0] += 1
        for path, inside, _ in links:          # leave them inside
            tmp = path + ".tmp"
            try:
                os.symlink(inside, tmp)
                os.replace(tmp, path)
            except OSError:
                pass
    th = threading.Thread(target=flipper)
    th.start()
    runs, t0 = 0, time.monotonic()
    try:
        while runs < 3 and time.monotonic() - t0 < 7:
            push(race, f"push/race/{runs}/", timeout=20)
            runs += 1
    finally:
        stop.set()
        th.join(timeout=20)
    names = tuple(os.path.basename(p) for p, _, _ in links)
    suspects = [k for k in keys_under("push/race/") if k.split("/")[3] in names]
    leaked = [k for k in suspects if get(k) == secret]
    result(not leaked, f"{runs} pushes while {len(links)} links flipped between inside and outside targets "
                       f"({flips[0]} flips): the outside secret's content is in no uploaded object",
           f"uploaded with the secret: {leaked[:5]}")
    info(f"({len(suspects)} objects came from the flipping links)")


# ======================================================================================================
# 8. multipart uploads end with the ticket
# ======================================================================================================
def sec_multipart():
    # The bucket owner's own incomplete upload beside the tickets' prefixes: it must survive them.
    other = ADMIN.create_multipart_upload(Bucket=BUCKET, Key="mp-owner/keep.bin")["UploadId"]
    for op in ("finish", "cancel"):
        prefix = f"mp/{op}/"
        st, t, txt = open_ticket(prefix)
        if not result(st == 201, f"open an sts ticket on {prefix}", f"got {st}: {short(txt)}"):
            continue
        c = ticket_s3(t)
        try:
            up = c.create_multipart_upload(Bucket=BUCKET, Key=prefix + "big.bin")
            c.upload_part(Bucket=BUCKET, Key=prefix + "big.bin", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 1024)
            started = True
        except ClientError as e:
            started = False
            result(False, f"the ticket's credentials start a multipart upload under {prefix}", short(e))
        if started:
            listed = ADMIN.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
            mine = [u for u in listed if u["Key"].startswith(prefix)]
            result(len(mine) == 1, f"control: the bucket owner sees the incomplete upload under {prefix}", f"got {len(mine)}")
            if op == "finish":
                result(len(listed) == len(mine), "fake-s3: list_multipart_uploads honours Prefix (extra)",
                       f"Prefix={prefix} listed {[u['Key'] for u in listed]}")
                for kw in ({}, {"Prefix": prefix}):     # what the ticket's holder may see of others' uploads
                    try:
                        seen = [u["Key"] for u in c.list_multipart_uploads(Bucket=BUCKET, **kw).get("Uploads", [])]
                        how = f"listed {seen}"
                    except ClientError as e:
                        seen, how = [], e.response.get("Error", {}).get("Code")
                    outside = [k for k in seen if not k.startswith(prefix)]
                    result(not outside, f"the ticket's credentials: list_multipart_uploads{' Prefix=' + prefix if kw else ''} "
                                        f"shows no upload outside its prefix (extra)", how)
        st, j, txt = end(t["id"], op)
        result(st == 200, f"{op} the ticket (200)", f"got {st}: {short(txt)}")
        left = [u for u in ADMIN.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
                if u["Key"].startswith(prefix)]
        result(not left, f"after {op}, list_multipart_uploads (bucket owner) shows no incomplete upload under {prefix}",
               f"got {[(u['Key'], u['UploadId'][:12]) for u in left]}")
    ids = [u["UploadId"] for u in ADMIN.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]
    result(other in ids, "the bucket owner's incomplete upload at mp-owner/keep.bin (outside the tickets' prefixes) survives "
                         "their finish and cancel",
           f"uploads left: {len(ids)}")
    error_code(lambda: ADMIN.abort_multipart_upload(Bucket=BUCKET, Key="mp-owner/keep.bin", UploadId=other))


# ======================================================================================================
# 9. fake-s3: POST-form keys over 1,024 bytes
# ======================================================================================================
def sec_fake():
    long_key = "fk/" + "a" * 1100
    e = error_code(lambda: ADMIN.put_object(Bucket=BUCKET, Key=long_key, Body=b"x"))
    result(e == "KeyTooLongError", "fake-s3: PutObject of a 1,103-byte key is 400 KeyTooLongError", f"got {e}")
    form = ADMIN.generate_presigned_post(BUCKET, long_key, ExpiresIn=300)
    form["fields"]["key"] = long_key
    r = session().post(form["url"], data=list(form["fields"].items()), files=[("file", ("f", b"x"))], timeout=30)
    result(r.status_code == 400 and "KeyTooLongError" in r.text,
           "fake-s3: a POST-form upload (bucket owner's signed policy) of a 1,103-byte key is 400 KeyTooLongError",
           f"got {r.status_code}: {short(r.text)}")
    st, t, txt = open_ticket("fk2/", "post")
    if st == 201:
        pst, body = post_form(t, "fk2/" + "b" * 1100, b"x")
        result(pst == 400 and "KeyTooLongError" in body,
               "a ticket's POST form with a 1,104-byte key (within starts-with fk2/) is 400 KeyTooLongError",
               f"got {pst}: {short(body)}")
        ended_quietly(t["id"])
    ok = "fk/" + "c" * 1021
    form = ADMIN.generate_presigned_post(BUCKET, ok, ExpiresIn=300)
    r = session().post(form["url"], data=list(form["fields"].items()), files=[("file", ("f", b"x"))], timeout=30)
    result(r.status_code in (200, 204), "control: a POST-form upload of a 1,024-byte key is stored", f"got {r.status_code}: {short(r.text)}")
    result(not [k for k in keys_under("fk") if len(k.encode()) > 1024], "no key over 1,024 bytes is stored")


# ======================================================================================================
# 10. the upload page
# ======================================================================================================
class Scripts(html.parser.HTMLParser):
    """Start tags, and each script element's raw text as a browser's tokenizer delimits it."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def script_blocks(page):
    """The raw text of each <script> element, ended at the first `</script` (case-insensitive)."""
    blocks, low, i = [], page.lower(), 0
    while True:
        i = low.find("<script", i)
        if i < 0:
            return blocks
        j = low.find(">", i)
        k = low.find("</script", j)
        if j < 0 or k < 0:
            blocks.append(page[j + 1:] if j >= 0 else page[i:])
            return blocks
        blocks.append(page[j + 1:k])
        i = k + 1


def sec_page():
    chromium = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and os.access(p, os.X_OK)), None)
    for n, prefix in enumerate(("x<!--<script>/", "x</script><b id=pwn>/", "x</SCRIPT ><!--<ScRiPt a>/")):
        page_path = os.path.join(WORK, f"page{n}.html")
        rc, out, err = keeper("upload", "start", "--prefix", prefix, "--html", page_path)
        if rc != 0:
            result(not os.path.exists(page_path), f"upload start --prefix {prefix!r} --html: refused, and no page written",
                   f"exit {rc}, yet {page_path} exists")
            info(f"(refused: {short(err, 200)})")
            continue
        try:
            ended_quietly(json.loads(out)["id"])
        except (ValueError, KeyError):
            pass
        page = open(page_path, encoding="utf-8", errors="replace").read()
        blocks = script_blocks(page)
        bad = [b for b in blocks if "<!--" in b or "<script" in b.lower()]
        result(blocks and not bad, f"the page for prefix {prefix!r}: no script block holds `<!--` or `<script`",
               f"{len(blocks)} blocks; offending: {[short(b[max(0, b.find('<!--') - 40):][:160]) for b in bad][:2]}")
        p = Scripts()
        p.feed(page)
        forms = [a for t, a in p.tags if t == "form"]
        injected = [(t, a) for t, a in p.tags if a.get("id") == "pwn" or t == "b"]
        result(forms and not injected, f"the page for prefix {prefix!r}: one form, no element injected by the prefix",
               f"forms {len(forms)}, injected {injected[:3]}")
        if chromium:
            try:
                d = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    f"--user-data-dir={os.path.join(WORK, f'chromium{n}')}", "--virtual-time-budget=2000",
                                    "--dump-dom", "file://" + page_path], capture_output=True, text=True, timeout=30,
                                   env={**CLEAN_ENV, "HOME": os.path.join(WORK, "chromium-home")})
                dom = d.stdout
                q = Scripts()
                q.feed(dom)
                dforms = [a for t, a in q.tags if t == "form"]
                dinj = [(t, a) for t, a in q.tags if a.get("id") == "pwn" or t == "b"]
                low = dom.lower()
                # A script block that swallowed the rest of the page shows it as its text: `</body>` twice.
                whole = low.count("</body>") == 1 and low.count("</script>") == low.count("<script")
                result(d.returncode == 0 and dforms and not dinj and whole,
                       f"headless Chromium: the page for prefix {prefix!r} has its form, its script ends where it should, "
                       f"nothing injected", f"exit {d.returncode}, forms {len(dforms)}, injected {dinj[:2]}, "
                       f"</body> {low.count('</body>')}x, <script {low.count('<script')}x, </script> {low.count('</script>')}x")
            except subprocess.TimeoutExpired:
                result(False, f"headless Chromium loads the page for prefix {prefix!r}", "timed out")
    if not chromium:
        info("(no Chromium installed: the pages were checked with Python's parser only)")


# ======================================================================================================
# 11. shares: wildcards in the folder part; a writer's ACLs; what a revoked writer keeps
# ======================================================================================================
def sec_shares():
    ep = E.get("ADV_CEPH_ENDPOINT")
    if not result(bool(ep), "the Ceph-dialect fake-s3 runs"):
        return
    cfg = json.load(open(E["ADV_SHARES_CONFIG"]))
    pi = next(u for a in cfg["accounts"] for u in a.get("users", []) if u["name"] == "pi")["keys"][0]
    owner = s3(pi["access_key_id"], pi["secret_access_key"], endpoint=ep)
    bucket = f"{E['ADV_RUN']}-share"
    owner.create_bucket(Bucket=bucket)
    env = {**CLEAN_ENV, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": ep, "AWS_ACCESS_KEY_ID": pi["access_key_id"],
           "AWS_SECRET_ACCESS_KEY": pi["secret_access_key"], "AWS_REGION": "us-east-1", "S3KEEPER_DIALECT": "ceph",
           "S3KEEPER_DATABASE_URL": f"sqlite://{WORK}/shares.db?mode=rwc"}

    def policy():
        try:
            return owner.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            return None
    rc, out, err = keeper("share", "grant", bucket, "bob", "--role", "reader", "--prefix", "test_folder/*jpg", env=env)
    result(rc == 0, "control: share grant bob --role reader --prefix 'test_folder/*jpg' (a pattern inside a folder)",
           f"exit {rc}: {short(err + out)}")
    before = policy()
    for prefix, want, extra in (("*/*.jpg", r"(?i)wildcard.*folder|folder.*wildcard", ""),
                                ("*.jpg", r"(?i)folder|wildcard", " (regression)"),
                                ("test_?older/*.jpg", r"(?i)wildcard.*folder|folder.*wildcard", " (extra: `?` is a wildcard too)"),
                                ("a*/b/*.jpg", r"(?i)wildcard.*folder|folder.*wildcard", " (extra)")):
        rc, out, err = keeper("share", "grant", bucket, "dora", "--role", "reader", "--prefix", prefix, env=env)
        result(rc != 0 and re.search(want, err + out),
               f"share grant dora --role reader --prefix {prefix!r} is refused, saying why{extra}",
               f"exit {rc}: {short(err + out)}")
    result(policy() == before, "the refused grants wrote nothing (the bucket policy is unchanged)")

    # A writer cannot publish (ACLs), and after revoke keeps nothing of what they uploaded (RGW
    # makes the uploader the owner): boto3, as a member's script would.
    key_of = lambda name: next(u for a in cfg["accounts"] for u in a.get("users", []) if u["name"] == name)["keys"][0]
    wk = key_of("wendy")
    wendy = s3(wk["access_key_id"], wk["secret_access_key"], endpoint=ep)
    rc, out, err = keeper("share", "grant", bucket, "wendy", "--role", "writer", env=env)
    if not result(rc == 0, "share grant wendy --role writer", f"exit {rc}: {short(err + out)}"):
        return

    def code(call):
        try:
            call()
            return "ok"
        except ClientError as e:
            return e.response.get("Error", {}).get("Code", "?")
    body = b"wendy's data"
    result(code(lambda: wendy.put_object(Bucket=bucket, Key="w/own.txt", Body=body)) == "ok",
           "boto3: writer wendy uploads w/own.txt (control)")
    result(code(lambda: wendy.put_object(Bucket=bucket, Key="w/own2.txt", Body=body,
                                         ACL="bucket-owner-full-control")) == "ok",
           "boto3: writer wendy uploads with ACL=bucket-owner-full-control (allowed)")
    for what, call in (("ACL=public-read on upload",
                        lambda: wendy.put_object(Bucket=bucket, Key="w/pub.txt", Body=body, ACL="public-read")),
                       ("GrantRead to mallory on upload",
                        lambda: wendy.put_object(Bucket=bucket, Key="w/grant.txt", Body=body,
                                                 GrantRead='id="mallory"')),
                       ("put_object_acl public-read on her own upload",
                        lambda: wendy.put_object_acl(Bucket=bucket, Key="w/own.txt", ACL="public-read"))):
        got = code(call)
        result(got == "AccessDenied", f"boto3: writer wendy cannot publish: {what} is AccessDenied", f"got {got}")
    anon = requests.get(f"{ep}/{bucket}/w/own.txt", timeout=10)
    result(anon.status_code == 403, "anonymous GET of wendy's upload is 403", f"got {anon.status_code}")
    rc, out, err = keeper("share", "revoke", bucket, "wendy", env=env)
    result(rc == 0, "share revoke wendy", f"exit {rc}: {short(err + out)}")
    for what, call in (("get_object of her own upload", lambda: wendy.get_object(Bucket=bucket, Key="w/own.txt")),
                       ("put_object_acl of her own upload",
                        lambda: wendy.put_object_acl(Bucket=bucket, Key="w/own.txt", ACL="public-read")),
                       ("put_object", lambda: wendy.put_object(Bucket=bucket, Key="w/late.txt", Body=body))):
        got = code(call)
        result(got == "AccessDenied", f"boto3: revoked wendy keeps nothing: {what} is AccessDenied", f"got {got}")
    rc, out, err = keeper("share", "show", bucket, "--json", env=env)
    former = json.loads(out).get("former", []) if rc == 0 else []
    result(any("wendy" in json.dumps(f) for f in former), "share show --json lists wendy as a former member",
           f"exit {rc}: {short(out)}")
    rc, out, err = keeper("share", "forget", bucket, "wendy", env=env)
    result(rc == 0, "share forget wendy", f"exit {rc}: {short(err + out)}")
    rc, out, err = keeper("share", "show", bucket, "--json", env=env)
    former = json.loads(out).get("former", []) if rc == 0 else ["?"]
    result(not any("wendy" in json.dumps(f) for f in former), "after forget, wendy is no former member",
           f"exit {rc}: {short(out)}")


# ======================================================================================================
# 1. per-client limit, then the flood
# ======================================================================================================
def sec_limit():
    rc, c2, out = add_client("lim2", "lim2/", max_open=2)
    result(rc == 0 and c2, "client add lim2 --prefix lim2/ --max-open 2", f"exit {rc}: {out}")
    if not c2:
        rc, c2, out = add_client("lim2", "lim2/")
        info(f"(fell back to client add lim2 without --max-open: exit {rc})")
    opened = []
    if c2:
        outs = [open_ticket(f"lim2/{i}/", token=c2) for i in range(3)]
        opened += [o[1]["id"] for o in outs if o[0] == 201]
        st, j, txt = outs[2]
        result([o[0] for o in outs[:2]] == [201, 201] and st == 429 and is_error(j, "TooManyOpenTickets"),
               "lim2: two open tickets, the 3rd answers 429 {\"error\": \"TooManyOpenTickets\"}",
               f"got {[o[0] for o in outs]}: {short(txt)}")
        if opened:
            end(opened.pop(0), "finish", token=c2)
            st, j, txt = open_ticket("lim2/again/", token=c2)
            result(st == 201, "lim2: after one is finished, another opens (201)", f"got {st}: {short(txt)}")
            if st == 201:
                opened.append(j["id"])
        ended_quietly(*opened)
        opened = []
        outs = concurrently([lambda i=i: open_ticket(f"lim2/burst{i}/", token=c2) for i in range(6)])
        ok = [o[1]["id"] for o in outs if o[0] == 201]
        result(len(ok) <= 2 and all(o[0] in (201, 429) for o in outs),
               "lim2: 6 tickets opened at the same moment: at most 2 admitted, the others 429 (extra)",
               f"got {sorted(o[0] for o in outs)}")
        ended_quietly(*ok)
    rc, c20, out = add_client("lim20", "lim20/")
    if result(rc == 0 and c20, "client add lim20 --prefix lim20/ (default limit)", f"exit {rc}: {out}"):
        outs = [open_ticket(f"lim20/{i}/", token=c20) for i in range(21)]
        ids = [o[1]["id"] for o in outs if o[0] == 201]
        st, j, txt = outs[20]
        result(all(o[0] == 201 for o in outs[:20]) and st == 429 and is_error(j, "TooManyOpenTickets"),
               "lim20: 20 open tickets, the 21st answers 429 TooManyOpenTickets (the default limit is 20)",
               f"got {[o[0] for o in outs]}: {short(txt)}")
        ended_quietly(*ids)
    # Ending a ticket does not free its place in the revocation list until it expires, so a
    # client that opens and finishes in a loop is stopped by --max-sessions before it can fill
    # the list for everyone.
    rc, c3, out = add_client("places", "places/", max_open=2, max_sessions=3)
    if result(rc == 0 and c3, "client add places --max-open 2 --max-sessions 3", f"exit {rc}: {out}"):
        codes = []
        for i in range(4):
            st, j, txt = open_ticket(f"places/{i}/", token=c3)
            codes.append(st)
            if st == 201:
                end(j["id"], "finish", token=c3)
        result(codes == [201, 201, 201, 429] and is_error(j, "TooManyOpenTickets") and "--max-sessions" in txt,
               "places: 3 tickets opened and finished, the 4th answers 429 (its places are held until they expire)",
               f"got {codes}: {short(txt)}")


def sec_flood():
    rc, token, out = add_client("flood", "flood/", max_open=1000)
    result(rc == 0 and token, "client add flood --prefix flood/ --max-open 1000", f"exit {rc}: {out}")
    if not token:
        rc, token, out = add_client("flood", "flood/")
        info(f"(fell back to client add flood without --max-open: exit {rc})")
        if not token:
            return
    held = []
    for i in range(3):
        st, j, txt = open_ticket(f"flood/held{i}/", token=token)
        if st == 201:
            held.append(j)
    result(len(held) == 3, "flood: 3 tickets opened first and held open", f"got {len(held)}")
    # One ticket at a time (the service serialises them; bursts only slow it down) until the live
    # revocation list passes 17 KB, then bursts of 6 opened at the same moment, so the last places
    # are fought over: none may be given twice (an over-admitted ticket could not be revoked).
    admitted, refusal, refused_prefix, bad_ends, other, t0 = 0, None, None, [], [], time.monotonic()
    i, burst, policy_bytes = 0, 1, 0
    while i < 700 and refusal is None and not bad_ends and not other and time.monotonic() - t0 < 60:
        if burst == 1 and i % 20 == 0:
            try:
                policy_bytes = len(ADMIN.get_bucket_policy(Bucket=BUCKET)["Policy"])
            except ClientError:
                policy_bytes = 0
            if policy_bytes > 17000:
                burst = 6
                info(f"(flood: the revocation list holds {policy_bytes} bytes after {i} tickets: bursts of {burst} from here)")
        n = min(burst, 700 - i)
        opens = [lambda k=k: open_ticket(f"flood/{k}/", token=token) for k in range(i, i + n)]
        outs = concurrently(opens) if n > 1 else [opens[0]()]
        ids = [o[1]["id"] for o in outs if o[0] == 201]
        admitted += len(ids)
        for k, o in zip(range(i, i + n), outs):
            if o[0] == 503 and refusal is None:
                refusal, refused_prefix = o, f"flood/{k}/"
            elif o[0] not in (201, 503):
                other.append(o)
        ends = [lambda tid=tid, k=k: (tid, end(tid, "finish" if k % 2 else "cancel", token=token)) for k, tid in enumerate(ids)]
        ended = concurrently(ends) if len(ends) > 1 else [e() for e in ends]
        bad_ends += [(tid, e[0], short(e[2], 200)) for tid, e in ended if e[0] != 200]
        i += n
    elapsed = time.monotonic() - t0
    info(f"flood: {admitted} tickets admitted and ended in {elapsed:.1f}s before "
         + (f"the first 503 (at attempt {i})" if refusal else "stopping without a 503")
         + f"; at most {len(held) + burst} of the client's tickets were open at once")
    result(not bad_ends, f"flood: finish/cancel of every admitted ticket answers 200 (never 502) ({admitted} tickets)",
           f"got {bad_ends[:3]}")
    result(not other, "flood: POST /uploads answers only 201 or 503", f"got {[(o[0], short(o[2], 200)) for o in other[:3]]}")
    if refusal:
        st, j, txt = refusal
        result(is_error(j, "CapacityReached") and re.search(r"\d", j["message"]) and "credentials" not in j and "id" not in j,
               "flood: the 503 is {\"error\": \"CapacityReached\", \"message\": …} naming the limit, and hands out nothing",
               f"got {st}: {short(txt)}")
        info(f"(503 message: {short((j or {}).get('message', txt), 200)})")
        st, j, txt = api("GET", "/uploads")
        recorded = [x for x in (j if isinstance(j, list) else []) if x.get("prefix") == refused_prefix]
        result(st == 200 and not recorded, f"flood: the refused {refused_prefix} left no ticket behind (GET /uploads)",
               f"got {st}: {short(recorded or txt)}")
        st, j, txt = open_ticket("flood/operator/")
        result(st == 503 and is_error(j, "CapacityReached"), "flood: the operator's token is refused too while full (503) (extra)",
               f"got {st}: {short(txt)}")
        if st == 201:
            held.append(j)
        st, j, txt = open_ticket("flood/after/", "post", token=token)
        result(st == 503 and is_error(j, "CapacityReached"), "flood: a post ticket is refused too while full (503)",
               f"got {st}: {short(txt)}")
        if st == 201:
            held.append(j)
    else:
        result(False, "flood: POST /uploads answers 503 CapacityReached when the revocation list is full (within 700 tickets)",
               f"{admitted} admitted, no 503" + (" (stopped at the first failed finish/cancel)" if bad_ends else ""))
    for k, t in enumerate(held):
        st, j, txt = end(t["id"], "finish" if k % 2 == 0 else "cancel", token=token)
        result(st == 200, f"flood: the held ticket {t['prefix']} ends (200) after the flood", f"got {st}: {short(txt)}")
        if "credentials" in t:
            e = error_code(lambda: ticket_s3(t).put_object(Bucket=BUCKET, Key=t["prefix"] + "late.txt", Body=b"late"))
            result(e == "AccessDenied", f"flood: then {t['prefix']}'s credentials are refused by S3 (put_object AccessDenied)",
                   f"got {'success' if e is None else e}")


SECTIONS = {"clients": sec_clients, "cancel": sec_cancel, "race": sec_race, "expiry": sec_expiry,
            "limits": sec_limits, "push": sec_push, "multipart": sec_multipart, "fake": sec_fake,
            "page": sec_page, "shares": sec_shares, "limit": sec_limit, "flood": sec_flood}

if __name__ == "__main__":
    try:
        SECTIONS[sys.argv[1]]()
    except Exception as e:  # noqa: BLE001 - a crash is a FAIL line with its cause
        import traceback
        traceback.print_exc()
        result(False, f"section {sys.argv[1]} ran to its end", f"{type(e).__name__}: {short(e)}")
    sys.exit(1 if FAILED else 0)
ADVERSARY_PY
