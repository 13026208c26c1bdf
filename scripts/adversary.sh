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
# The checks are Python, in scripts/adversary/ (run one section at a time as `python3 adversary.py
# SECTION`): common.py the helpers and clients, sec_tickets.py clients, cancel, race and multipart,
# sec_limits.py expiry, limits and fake, sec_cli.py push and page, sec_shares.py shares,
# sec_capacity.py limit and flood.
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
PY="$SCRIPTS/adversary/adversary.py"
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
[ -f "$PY" ] || bad "missing $PY"
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
    fail_on_panics "$TMPD"/serve.log "$TMPD"/fake*.log
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
    url=$(listening_url "$TMPD/$name.out" "$pid")
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
API=$(listening_url "$TMPD/serve.out" "$SERVE_PID" 150)
[ -n "$API" ] || { fail "s3keeper serve starts (got: $(tail -c 400 "$TMPD/serve.log"))"; exit 1; }
ok=0
for _ in $(seq 1 50); do
    [ "$(curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' "$API/health")" = 200 ] && { ok=1; break; }
    sleep 0.2
done
[ "$ok" = 1 ] && pass "s3keeper serve answers GET /health on $API" || { fail "s3keeper serve answers GET /health"; exit 1; }
echo "adversary: s3keeper $KEEPER, fake-s3 $FAKE ($ENDPOINT${CEPH_EP:+, Ceph dialect $CEPH_EP}), database $(echo "$DB_URL" | sed 's|//[^@/]*@|//***@|')"

# --- the checks (Python in scripts/adversary/: requests, boto3, subprocess), one section at a time ----
# Each section's PASS:/FAIL: lines count here; other lines are shown as they are. A section that dies
# without a FAIL line, or runs over its time, is a failure too. No bytecode is written beside them.
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
                    AWS_EC2_METADATA_DISABLED=true PYTHONDONTWRITEBYTECODE=1 \
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
