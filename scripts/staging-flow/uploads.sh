# staging-flow/uploads.sh (sourced by scripts/staging-flow.sh, not run): uploads without credentials:
# `upload start` POST forms used by curl (post_form, expect_post), `upload finish`, `push --ticket`
# and `upload cancel`, and scripts/check_uploads.py (requests and boto3; py_checks counts its lines).

# --- uploads without credentials (upload tickets) ------------------------------------------------------
section "uploads without credentials"
# post_form TICKET KEY FILE: a browser-style POST form upload of FILE to the ticket's url with all its
# fields (key replaced by KEY; the file the last part), by plain curl with no AWS tool and no
# credentials; the answer's status in STATUS, its body in $TMPD/post-body. --form-string: a field
# value beginning with @ or < is sent as it is.
post_form() {
    local ticket=$1 key=$2 file=$3 url kv args=()
    url=$(jval "$ticket" "j['url']")
    while IFS= read -r -d '' kv; do args+=(--form-string "$kv"); done < <(python3 - "$ticket" "$key" <<'PY'
import json, sys
fields = dict(json.load(open(sys.argv[1]))["fields"])
fields["key"] = sys.argv[2]
sys.stdout.write("".join(f"{k}={v}\0" for k, v in fields.items()))
PY
)
    [ "$ENDPOINT_PROXY" = 1 ] && args+=(--proxy "$ENDPOINT")
    STATUS=$(in_env none "$STEP_TIMEOUT" curl -sS -m "$STEP_TIMEOUT" -o "$TMPD/post-body" -w '%{http_code}' \
        "${args[@]}" -F "file=@$file" "$url" 2>"$TMPD/curl-err") || STATUS=${STATUS:-000}
    { echo "\$ curl -F key=$key -F file=@$file $url (POST form, HTTP $STATUS)"; cat "$TMPD/post-body" "$TMPD/curl-err"; echo; } >>"$LOGD/steps.log"
}
# expect_post [-w SECONDS] DESC WANT REGEX TICKET KEY FILE: the POST answers HTTP WANT with a body
# matching REGEX (empty: any body), retried for SECONDS while AWS applies a policy.
expect_post() {
    local within=0
    if [ "$1" = -w ]; then within=$2; shift 2; fi
    local desc=$1 want=$2 pattern=$3 start=$SECONDS
    shift 3
    while :; do
        post_form "$@"
        if [ "$STATUS" = "$want" ] && { [ -z "$pattern" ] || grep -Eq -- "$pattern" "$TMPD/post-body"; }; then
            pass "$desc"; return 0
        fi
        [ $((SECONDS - start)) -lt "$within" ] || break
        sleep 3
    done
    fail "$desc (expected HTTP $want and a body matching /$pattern/, got $STATUS: $(head -c 300 "$TMPD/post-body" | tr '\n' ' ')$(tr '\n' ' ' <"$TMPD/curl-err"))"
}
UP="$TMPD/uploads"
mkdir -p "$UP/push/sub"
printf 'Hello from staging run %s.\n' "$RUN_HEX" >"$UP/hello.txt"
head -c 2000 /dev/urandom >"$UP/big.bin"
expect_ok "s3keeper upload start --prefix staging-uploads/1/ --max-bytes 1000 > ticket.json" \
    keeper upload start --prefix staging-uploads/1/ --max-bytes 1000 || stop "no upload ticket"
cp "$TMPD/out" "$UP/ticket.json"
TICKET_ID=$(jval "$UP/ticket.json" "j['id']")
check "the ticket is a POST form on $UPLOADS_BUCKET: method post, a url, fields with key and policy" \
    "got $(head -c 400 "$UP/ticket.json" | tr '\n' ' ')" \
    jtrue "$UP/ticket.json" "j['method'] == 'post' and j['url'].startswith('http') and isinstance(j['fields'], dict) and 'key' in j['fields'] and 'policy' in j['fields'] and j['bucket'] == a[0] and j['prefix'] == 'staging-uploads/1/' and j['id']" "$UPLOADS_BUCKET"
[ -n "$TICKET_ID" ] && jtrue "$UP/ticket.json" "isinstance(j['fields'], dict)" || stop "no usable ticket"
expect_post "curl (no credentials): POST form of hello.txt to staging-uploads/1/hello.txt answers 204" \
    204 '' "$UP/ticket.json" staging-uploads/1/hello.txt "$UP/hello.txt"
expect_post "curl: the form with key staging-uploads/2/evil.txt (outside the prefix) answers 403 AccessDenied" \
    403 AccessDenied "$UP/ticket.json" staging-uploads/2/evil.txt "$UP/hello.txt"
expect_post "curl: a 2000-byte file (over --max-bytes 1000) answers 400 EntityTooLarge" \
    400 EntityTooLarge "$UP/ticket.json" staging-uploads/1/big.bin "$UP/big.bin"
expect_ok "s3keeper upload finish $TICKET_ID" keeper upload finish "$TICKET_ID"
check "upload finish says finished, with the one object staging-uploads/1/hello.txt ($(wc -c <"$UP/hello.txt") bytes)" \
    "got $(last_output)" \
    jtrue "$TMPD/out" "j['state'] == 'finished' and [(o['key'], o['size']) for o in j['objects']] == [('staging-uploads/1/hello.txt', int(a[0]))]" \
    "$(wc -c <"$UP/hello.txt")"
expect_post -w "$WAIT" "curl: the same POST after the finish answers 403 (the ticket is revoked)" \
    403 AccessDenied "$UP/ticket.json" staging-uploads/1/hello.txt "$UP/hello.txt"

printf 'one\n' >"$UP/push/a.txt"
printf 'two\n' >"$UP/push/b.txt"
printf 'three\n' >"$UP/push/sub/c.txt"
expect_ok "s3keeper upload start --prefix staging-uploads/3/ > t2.json" \
    keeper upload start --prefix staging-uploads/3/ || stop "no second upload ticket"
cp "$TMPD/out" "$UP/t2.json"
TICKET2_ID=$(jval "$UP/t2.json" "j['id']")
expect_ok "s3keeper push DIR --ticket t2.json (3 files, one in a subdirectory; no credentials)" \
    in_env none "$STEP_TIMEOUT" "$KEEPER" push "$UP/push" --ticket "$UP/t2.json"
expect_ok "admin: aws s3 ls --recursive s3://$UPLOADS_BUCKET/staging-uploads/3/" \
    admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/3/"
check "push put exactly a.txt, b.txt, sub/c.txt under staging-uploads/3/" "got $(last_output)" \
    [ "$(awk '{print $4}' "$TMPD/out" | sort | tr '\n' ' ')" = "staging-uploads/3/a.txt staging-uploads/3/b.txt staging-uploads/3/sub/c.txt " ]
expect_ok "s3keeper upload cancel $TICKET2_ID" keeper upload cancel "$TICKET2_ID"
run admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/3/"
check "after upload cancel, staging-uploads/3/ is empty" "got exit $RC: $(last_output)" \
    [ -z "$(cat "$TMPD/out" "$TMPD/err")" ]

# Python clients (scripts/check_uploads.py, one PASS/FAIL line per check, counted here): requests
# with a post ticket's form (no AWS library), boto3 with an sts ticket's credentials.
# py_checks DESC N CMD...: CMD prints N `PASS: …`/`FAIL: …` lines, each counted as this script's own;
# a CMD that fails without a FAIL line, or prints another number of checks, is a failure too.
py_checks() {
    local desc=$1 want=$2 line n=0 failed=0
    shift 2
    run "$@"
    while IFS= read -r line; do
        case "$line" in
            "PASS: "*) n=$((n + 1)); pass "${line#PASS: }" ;;
            "FAIL: "*) n=$((n + 1)); failed=1; fail "${line#FAIL: }" ;;
        esac
    done <"$TMPD/out"
    if [ "$RC" -ne 0 ] && [ "$failed" = 0 ]; then
        fail "$desc runs its checks (exit $RC: $(last_output))"
    elif [ "$n" -ne "$want" ]; then
        fail "$desc prints $want checks (got $n, exit $RC: $(last_output))"
    fi
}
check_uploads() { # check_uploads MODE ARGS...: scripts/check_uploads.py with no credentials of its own
    in_env ticket $((STEP_TIMEOUT * 4 + WAIT)) python3 "$ROOT/scripts/check_uploads.py" "$@" --timeout "$STEP_TIMEOUT"
}
expect_ok "s3keeper upload start --prefix staging-uploads/4/ --max-bytes 1000 > t4.json" \
    keeper upload start --prefix staging-uploads/4/ --max-bytes 1000 && cp "$TMPD/out" "$UP/t4.json"
if [ -s "$UP/t4.json" ]; then
    py_checks "check_uploads.py post t4.json" 3 \
        check_uploads post "$UP/t4.json" "$UP/hello.txt" --form-filename form-named.txt \
        --outside-key staging-uploads/5/x.txt
    expect_ok "admin: aws s3 ls --recursive s3://$UPLOADS_BUCKET/staging-uploads/4/" \
        admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/4/"
    check "the requests POSTs put exactly hello.txt and form-named.txt (the form's \${filename}) under staging-uploads/4/" \
        "got $(last_output)" \
        [ "$(awk '{print $4}' "$TMPD/out" | sort | tr '\n' ' ')" = "staging-uploads/4/form-named.txt staging-uploads/4/hello.txt " ]
fi
run admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/5/"
check "nothing arrived under staging-uploads/5/ (the refused key)" "got exit $RC: $(last_output)" \
    [ -z "$(cat "$TMPD/out" "$TMPD/err")" ]

expect_ok "s3keeper upload start --prefix staging-uploads/6/ --method sts > t6.json" \
    keeper upload start --prefix staging-uploads/6/ --method sts && cp "$TMPD/out" "$UP/t6.json"
TICKET6_ID=""
if [ -s "$UP/t6.json" ]; then
    TICKET6_ID=$(jval "$UP/t6.json" "j['id']")
    check "the sts ticket holds credentials (access key, secret, session token, expiration) for $UPLOADS_BUCKET, staging-uploads/6/" \
        "got $(jval "$UP/t6.json" "{k: (v if k != 'credentials' else sorted(v)) for k, v in j.items()}" | head -c 400)" \
        jtrue "$UP/t6.json" "j['method'] == 'sts' and j['bucket'] == a[0] and j['prefix'] == 'staging-uploads/6/' and j['region'] and j['id'] and all(j['credentials'].get(k) for k in ('access_key_id', 'secret_access_key', 'session_token', 'expiration')) and 'url' not in j and 'fields' not in j" \
        "$UPLOADS_BUCKET"
    py_checks "check_uploads.py sts t6.json" 4 \
        check_uploads sts "$UP/t6.json" --outside-key staging-uploads/7/x --parent-prefix staging-uploads/
fi
run admin s3 ls --recursive "s3://$UPLOADS_BUCKET/staging-uploads/7/"
check "nothing arrived under staging-uploads/7/ (the refused key)" "got exit $RC: $(last_output)" \
    [ -z "$(cat "$TMPD/out" "$TMPD/err")" ]
if [ -n "$TICKET6_ID" ]; then
    expect_ok "s3keeper upload finish $TICKET6_ID (the sts ticket)" keeper upload finish "$TICKET6_ID"
    check "upload finish says finished, with the one object boto3 put (staging-uploads/6/boto3.txt)" "got $(last_output)" \
        jtrue "$TMPD/out" "j['state'] == 'finished' and [o['key'] for o in j['objects']] == ['staging-uploads/6/boto3.txt']"
    py_checks "check_uploads.py sts-finished t6.json" 1 \
        check_uploads sts-finished "$UP/t6.json" --wait "$WAIT"
fi
