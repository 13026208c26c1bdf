# staging-flow/cleanup.sh (sourced by scripts/staging-flow.sh, not run): the clean-up that always
# runs (servers stopped, access points, the run's own buckets, the PostgreSQL databases it created),
# finish (logs kept on failure, the summary lines, the exit status) and the EXIT/INT/TERM traps.

# --- clean-up (always) ---------------------------------------------------------------------------------
FAKE_PID=""
SERVE_PID=""
OWNED_BUCKETS=()      # buckets checked absent before the run: the only ones clean-up may delete
PG_CREATED=""         # the name of a PostgreSQL database this run created
PG_ADV_CREATED=""     # … and the one it created for scripts/adversary.sh
INTERRUPTED=0
stop_process() { # stop_process PID NAME: Ctrl-C (both servers shut down on it), then harder
    local pid=$1 name=$2
    kill -INT "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "staging-flow: $name did not stop on SIGINT; sending SIGTERM" >&2
        kill -TERM "$pid" 2>/dev/null; sleep 1; kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}
cleanup() {
    section "clean-up"
    if [ -n "$SERVE_PID" ]; then stop_process "$SERVE_PID" "s3keeper serve"; SERVE_PID=""; fi
    if [ -n "${PLATFORM_ACCOUNT:-}" ] && [ ${#OWNED_BUCKETS[@]} -gt 0 ]; then
        local b ap gone=1
        # Access points on the controlled bucket (they outlive their bucket's deletion otherwise).
        run admin s3control list-access-points --account-id "$PLATFORM_ACCOUNT" --bucket "$CONTROLLED_BUCKET" --output json
        if [ "$RC" -eq 0 ]; then
            cp "$TMPD/out" "$TMPD/aps.json"
            for ap in $(jval "$TMPD/aps.json" "' '.join(x['Name'] for x in j.get('AccessPointList', []))"); do
                run admin s3control delete-access-point --account-id "$PLATFORM_ACCOUNT" --name "$ap"
                [ "$RC" -eq 0 ] || echo "staging-flow: could not delete access point $ap: $(last_output)"
            done
            run admin s3control list-access-points --account-id "$PLATFORM_ACCOUNT" --bucket "$CONTROLLED_BUCKET" --output json
            if [ "$RC" -eq 0 ] && jtrue "$TMPD/out" "not j.get('AccessPointList')"; then
                pass "clean-up: no access point left on $CONTROLLED_BUCKET"
            else
                fail "clean-up: no access point left on $CONTROLLED_BUCKET (got exit $RC: $(last_output))"
            fi
        else
            fail "clean-up: list the access points on $CONTROLLED_BUCKET (got exit $RC: $(last_output))"
        fi
        # The bucket policy goes first: the verification bucket's denies listing to everyone else.
        # (Retried while AWS applies the policy's removal.)
        local start=$SECONDS
        while :; do
            for b in "${OWNED_BUCKETS[@]}"; do
                run admin s3api delete-bucket-policy --bucket "$b"
                grep -q NoSuchBucket "$TMPD/err" && continue      # never created, or gone
                run admin s3 rm --recursive --only-show-errors "s3://$b"
                run admin s3api delete-bucket --bucket "$b"
                [ "$RC" -eq 0 ] || echo "staging-flow: could not delete bucket $b yet: $(last_output)"
            done
            gone=1
            for b in "${OWNED_BUCKETS[@]}"; do
                run admin s3api head-bucket --bucket "$b"
                if [ "$RC" -eq 0 ] || ! grep -Eq '404|Not Found|NoSuchBucket' "$TMPD/err"; then
                    gone=0; echo "staging-flow: bucket $b is still there (or cannot be checked): $(last_output)"
                fi
            done
            [ "$gone" = 0 ] && [ $((SECONDS - start)) -lt "$WAIT" ] || break
            sleep 5
        done
        if [ "$gone" = 1 ]; then pass "clean-up: the run's buckets are gone (${OWNED_BUCKETS[*]})"
        else fail "clean-up: the run's buckets are gone (expected 404 for each of ${OWNED_BUCKETS[*]})"; fi
    fi
    if [ -n "$FAKE_PID" ]; then
        stop_process "$FAKE_PID" fake-s3; FAKE_PID=""
        if ! no_panic "$LOGD/fake-s3.log"; then
            fail "fake-s3 never panicked (see its log: $(grep -m1 panicked "$LOGD/fake-s3.log"))"
        fi
    fi
    if [ -n "$PG_CREATED" ]; then
        local name=$PG_CREATED
        if pg_admin dropdb --if-exists "$name" >>"$LOGD/steps.log" 2>&1 \
            || pg_admin dropdb --if-exists --force "$name" >>"$LOGD/steps.log" 2>&1; then
            pass "clean-up: PostgreSQL database $name dropped"
        else
            fail "clean-up: PostgreSQL database $name dropped (dropdb failed: $(tail -c 300 "$LOGD/steps.log"))"
        fi
        PG_CREATED=""
    fi
    if [ -n "$PG_ADV_CREATED" ]; then
        local adv=$PG_ADV_CREATED
        if pg_admin dropdb --if-exists "$adv" >>"$LOGD/steps.log" 2>&1 \
            || pg_admin dropdb --if-exists --force "$adv" >>"$LOGD/steps.log" 2>&1; then
            pass "clean-up: PostgreSQL database $adv (adversary.sh's) dropped"
        else
            fail "clean-up: PostgreSQL database $adv (adversary.sh's) dropped (dropdb failed: $(tail -c 300 "$LOGD/steps.log"))"
        fi
        PG_ADV_CREATED=""
    fi
}
finish() {
    local rc=$?
    trap - EXIT
    trap '' INT TERM      # clean-up runs to its end (each of its commands has a timeout)
    [ "$INTERRUPTED" = 1 ] && fail "the run was interrupted"
    cleanup
    if [ "$FAILED" -gt 0 ] || [ "$KEEP_LOGS" = 1 ] || [ "$rc" -ne 0 ]; then
        local keep
        keep=$(mktemp -d "${TMPDIR:-/tmp}/staging-flow-logs.XXXXXX") && cp -r "$LOGD/." "$keep/" \
            && echo "staging-flow: logs (step output, s3keeper serve, fake-s3 requests) kept in $keep"
    fi
    rm -rf "$TMPD"
    echo "staging-flow: $PASSED passed, $FAILED failed"
    echo "$PASSED passed, $FAILED failed"
    if [ "$FAILED" -gt 0 ]; then exit 1; fi
    if [ "$rc" -eq 2 ]; then exit 2; fi      # refused to run (bad parameters, existing bucket)
    if [ "$rc" -ne 0 ]; then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'INTERRUPTED=1; exit 130' INT TERM
