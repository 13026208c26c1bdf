# check-shares/helpers.sh (sourced by scripts/check-shares.sh, not run): the helpers both parts use:
# run/expect_err/check_out with every command logged, the clients' denial patterns, start_server (a
# fake-s3 on a free port), keeper/kc/ka (one s3keeper call and its journal, from the fake or from
# RGW's access log via journal_begin/journal_end), journal_ops and wrote_nothing.

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
    ENDPOINT=$(listening_url "$TMPD/fake-$name.out" "$pid")
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
