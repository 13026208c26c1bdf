# staging-flow/adversarial.sh (sourced by scripts/staging-flow.sh, not run): with --fake (unless
# STAGING_ADVERSARY=0), scripts/adversary.sh with servers of its own (on PostgreSQL a second fresh
# database), each of its PASS/FAIL lines counted here.

# --- adversarial: scripts/adversary.sh, with servers of its own (only with --fake) ------------------------
# Its PASS/FAIL lines count here as they come; its own summary lines are not repeated. On PostgreSQL it
# gets a second fresh database on the same server (created here, dropped in clean-up).
if [ "$MODE" = fake ] && [ "$ADVERSARY" != 0 ]; then
    section "adversarial (scripts/adversary.sh)"
    ADV_DB=""
    if [ -n "$PG_CREATED" ]; then
        if pg_admin createdb "${PG_CREATED}_adv" >>"$LOGD/steps.log" 2>&1; then
            PG_ADV_CREATED="${PG_CREATED}_adv"
            ADV_DB="${PG_PARTS[6]}/$PG_ADV_CREATED"
            [ -z "${PG_PARTS[5]}" ] || ADV_DB="$ADV_DB?${PG_PARTS[5]}"
        else
            fail "createdb ${PG_CREATED}_adv for adversary.sh (got $(tail -c 300 "$LOGD/steps.log"))"
        fi
    fi
    adv_n=0; adv_failed=0; adv_rc=""
    while IFS= read -r line; do
        case "$line" in
            "PASS: "*) adv_n=$((adv_n + 1)); pass "adversary: ${line#PASS: }" ;;
            "FAIL: "*) adv_n=$((adv_n + 1)); adv_failed=1; fail "adversary: ${line#FAIL: }" ;;
            "ADVERSARY-EXIT "*) adv_rc=${line#ADVERSARY-EXIT } ;;
            [0-9]*" passed, "[0-9]*" failed") ;;
            *) echo "    $line" ;;
        esac
    done < <( ADVERSARY_DATABASE_URL="$ADV_DB" S3KEEPER_BIN="$KEEPER" FAKE_S3_BIN="$FAKE" PATH="$SAVED_PATH" \
                  timeout --foreground -k 10 300 bash "$ROOT/scripts/adversary.sh" 2>&1 </dev/null
              echo "ADVERSARY-EXIT $?" )
    if [ "$adv_rc" != 0 ] && [ "$adv_failed" = 0 ]; then
        fail "scripts/adversary.sh runs its checks (exit ${adv_rc:-?} after $adv_n checks)"
    fi
fi
