# staging-flow/api.sh (sourced by scripts/staging-flow.sh, not run): `s3keeper serve` started (api,
# expect_status), agree and grant through its HTTP API, the person's `aws s3 sync` through the access
# point ARN (the bucket and listings outside the dataset refused), and revoke.

# --- the API: agree, grant -----------------------------------------------------------------------------
section "s3keeper serve"
API_TOKEN=$(hex 16)
printf 'Authorization: Bearer %s\n' "$API_TOKEN" >"$TMPD/auth-header"
( apply_env service; exec "$KEEPER" serve --listen 127.0.0.1:0 --reconcile-every 0 ) >"$LOGD/serve.out" 2>"$LOGD/serve.log" &
SERVE_PID=$!
API=$(listening_url "$LOGD/serve.out" "$SERVE_PID" 150)
[ -n "$API" ] || { fail "s3keeper serve starts (got: $(tail -c 400 "$LOGD/serve.log"))"; stop "no API"; }
# api METHOD PATH [JSON]: the answer's status in STATUS, its body in $TMPD/body.
api() {
    local args=(-sS --noproxy '*' -m "$STEP_TIMEOUT" -o "$TMPD/body" -D "$TMPD/headers" -w '%{http_code}'
                -X "$1" -H "@$TMPD/auth-header")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    STATUS=$(curl "${args[@]}" "$API$2" 2>"$TMPD/curl-err") || STATUS="${STATUS:-000}"
    { echo "\$ curl -X $1 $API$2 ${3:-} (HTTP $STATUS)"; cat "$TMPD/body" "$TMPD/curl-err"; echo; } >>"$LOGD/steps.log"
}
expect_status() { # expect_status DESC WANT METHOD PATH [JSON]
    local desc=$1 want=$2
    shift 2
    api "$@"
    if [ "$STATUS" = "$want" ]; then pass "$desc"; return 0; fi
    fail "$desc (expected HTTP $want, got $STATUS: $(head -c 300 "$TMPD/body" | tr '\n' ' ')$(tr '\n' ' ' <"$TMPD/curl-err"))"
}
ok=0
for _ in $(seq 1 50); do
    STATUS=$(curl -s --noproxy '*' -m 5 -o "$TMPD/body" -w '%{http_code}' "$API/health") || true
    [ "$STATUS" = 200 ] && { ok=1; break; }
    sleep 0.2
done
if [ "$ok" = 1 ] && jtrue "$TMPD/body" "j['status'] == 'ok'"; then
    pass "s3keeper serve answers GET /health on $API"
else
    fail "s3keeper serve answers GET /health (got HTTP $STATUS: $(head -c 200 "$TMPD/body"))"; stop "no API"
fi
STATUS=$(curl -s --noproxy '*' -m 10 -o "$TMPD/body" -w '%{http_code}' "$API/datasets") || true
check "the API refuses a request without the token (401)" "got HTTP $STATUS" [ "$STATUS" = 401 ]

section "agree and grant"
WHO="{\"email\": \"$EMAIL\"}"
expect_status "POST /datasets/$DS/agreements" 200 POST "/datasets/$DS/agreements" "$WHO" || stop "agreement failed"
check "the agreement grants at once (the person is verified): access.state active" "got $(head -c 400 "$TMPD/body")" \
    jtrue "$TMPD/body" "j['signed'] is True and j['access'] and j['access']['state'] == 'active'"
expect_status "POST /datasets/$DS/grants" 200 POST "/datasets/$DS/grants" "$WHO" || stop "grant failed"
cp "$TMPD/body" "$TMPD/grant.json"
S3_URI=$(jval "$TMPD/grant.json" "j['s3_uri']")
AP_ARN="arn:aws:s3:$REGION:$PLATFORM_ACCOUNT:accesspoint/$SLUG-v${VERSION//./-}-01"
check "the grant is active on access point $SLUG-v${VERSION//./-}-01" "got $(head -c 400 "$TMPD/grant.json")" \
    jtrue "$TMPD/grant.json" "j['state'] == 'active' and j['access_point_arn'] == a[0] and j['email'] == a[1] and a[0].endswith('/' + j['access_point'])" "$AP_ARN" "$EMAIL"
check "s3_uri is s3://ACCESS_POINT_ARN/$DS/" "got $S3_URI" [ "$S3_URI" = "s3://$AP_ARN/$DS/" ]
check "sync_command is 'aws s3 sync S3_URI DEST'" "got $(jval "$TMPD/grant.json" "j['sync_command']")" \
    jtrue "$TMPD/grant.json" "j['sync_command'].startswith('aws s3 sync ' + j['s3_uri'] + ' ')"
[ "$S3_URI" = "s3://$AP_ARN/$DS/" ] || stop "no access point URI to sync from"

# --- the person reads through the access point ------------------------------------------------------------
section "the person's access"
expect_ok -w "$WAIT" "person: aws s3 sync $S3_URI (the access point ARN)" \
    person s3 sync --no-progress "$S3_URI" "$TMPD/copy"
check "the person's copy equals the dataset" "diff -r: $(diff -r "$SRC" "$TMPD/copy" 2>&1 | head -c 300)" \
    diff -r "$SRC" "$TMPD/copy"
expect_err "person: the bucket directly (aws s3 ls s3://$CONTROLLED_BUCKET/$DS/) is refused: AccessDenied" \
    'AccessDenied' person s3 ls "s3://$CONTROLLED_BUCKET/$DS/"
expect_err "person: a dataset file from the bucket directly is refused: AccessDenied" \
    'AccessDenied|Forbidden|403' person s3 cp --no-progress "s3://$CONTROLLED_BUCKET/$DS/README.txt" "$TMPD/x"
expect_err "person: listing the access point's root (outside the dataset) is refused: AccessDenied" \
    'AccessDenied' person s3 ls "s3://$AP_ARN/"
expect_err "person: listing $SLUG/ (a parent of the dataset) through the access point is refused: AccessDenied" \
    'AccessDenied' person s3 ls "s3://$AP_ARN/$SLUG/"

# --- revoke --------------------------------------------------------------------------------------------
section "revoke"
expect_status "DELETE /datasets/$DS/grants/$EMAIL" 204 DELETE "/datasets/$DS/grants/$EMAIL_PATH" || stop "revoke failed"
expect_status "GET /datasets/$DS/grants/$EMAIL after the revoke is 404" 404 GET "/datasets/$DS/grants/$EMAIL_PATH"
expect_err -w "$WAIT" "person: the same aws s3 sync is now refused: AccessDenied" \
    'AccessDenied' person s3 sync --no-progress "$S3_URI" "$TMPD/copy-after-revoke"
check "nothing was downloaded after the revoke" "$(find "$TMPD/copy-after-revoke" -type f 2>/dev/null | head -3)" \
    [ -z "$(find "$TMPD/copy-after-revoke" -type f 2>/dev/null)" ]
