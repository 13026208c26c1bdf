# staging-flow/fake.sh (sourced by scripts/staging-flow.sh, not run): with --fake, start_fake:
# `s3keeper iam-policy` checked, fake-s3 started on a free loopback port with generated keys and the
# service user holding exactly that policy; it is run here when MODE is fake.

# --- --fake: start fake-s3 with the service user holding exactly `s3keeper iam-policy` ----------------
start_fake() {
    section "fake-s3 with a least-privilege service user"
    expect_ok "s3keeper iam-policy prints the service's IAM policy" \
        in_env none "$STEP_TIMEOUT" "$KEEPER" iam-policy --account "$PLATFORM_ACCOUNT_FAKE" --region us-east-1 \
        --verify-bucket "$VERIFY_BUCKET" --open-bucket "$OPEN_BUCKET" --controlled-bucket "$CONTROLLED_BUCKET" \
        --uploads-bucket "$UPLOADS_BUCKET" || stop "no IAM policy for the service"
    cp "$TMPD/out" "$TMPD/service-policy.json"
    if jtrue "$TMPD/service-policy.json" "isinstance(j.get('Statement'), list) and len(j['Statement']) > 0"; then
        pass "the service's IAM policy is a JSON policy document"
    else
        fail "the service's IAM policy is a JSON policy document (got $(head -c 300 "$TMPD/service-policy.json"))"
        stop "no usable IAM policy for the service"
    fi
    # not root-equivalent: no Allow of s3:* or *, no NotAction
    if jtrue "$TMPD/service-policy.json" "not [s for s in j['Statement'] if s.get('Effect') == 'Allow' and (
            set(a.lower() for a in ([s['Action']] if isinstance(s.get('Action'), str) else s.get('Action', []))) & {'*', 's3:*'}
            or 'NotAction' in s)]"; then
        pass "the service's IAM policy allows neither s3:* nor *"
    else
        fail "the service's IAM policy allows neither s3:* nor * (got $(tr -d '\n' <"$TMPD/service-policy.json" | head -c 400))"
    fi
    expect_ok "s3keeper policy validate --kind identity accepts the service's IAM policy" \
        in_env none "$STEP_TIMEOUT" "$KEEPER" policy validate --kind identity "$TMPD/service-policy.json"

    ADMIN_AK="AKIA$(hex 8 | tr a-f A-F)";    ADMIN_SK=$(hex 20); ADMIN_ST=""
    PLATFORM_AK="AKIA$(hex 8 | tr a-f A-F)"; PLATFORM_SK=$(hex 20); PLATFORM_ST=""
    PERSON_AK="AKIA$(hex 8 | tr a-f A-F)";   PERSON_SK=$(hex 20); PERSON_ST=""
    python3 - "$TMPD/fake-s3-config.json" "$TMPD/service-policy.json" "$PLATFORM_ACCOUNT_FAKE" "$PERSON_ACCOUNT_FAKE" \
        "$ADMIN_AK" "$ADMIN_SK" "$PLATFORM_AK" "$PLATFORM_SK" "$PERSON_AK" "$PERSON_SK" <<'PY' || stop "cannot write the fake's configuration"
import json, sys
out, policy_file, platform, people, aak, ask, pak, psk, uak, usk = sys.argv[1:]
policy = json.load(open(policy_file))
config = {"region": "us-east-1", "accounts": [
    {"id": platform,
     "root_keys": [{"access_key_id": aak, "secret_access_key": ask}],
     "users": [{"name": "s3keeper-service", "keys": [{"access_key_id": pak, "secret_access_key": psk}],
                "policies": [policy]}]},
    {"id": people,
     "users": [{"name": "ann", "keys": [{"access_key_id": uak, "secret_access_key": usk}],
                "policies": [{"Version": "2012-10-17",
                              "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]}]}]}
with open(out, "w") as f:
    json.dump(config, f, indent=1)
PY
    ( for v in $(compgen -e); do unset "$v" 2>/dev/null; done
      export PATH="$SAVED_PATH" RUST_LOG=info
      exec "$FAKE" --port 0 --config "$TMPD/fake-s3-config.json" ) >"$LOGD/fake-s3.out" 2>"$LOGD/fake-s3.log" &
    FAKE_PID=$!
    ENDPOINT=$(listening_url "$LOGD/fake-s3.out" "$FAKE_PID")
    if [ -z "$ENDPOINT" ]; then
        fail "fake-s3 starts with the generated configuration (got: $(tail -c 400 "$LOGD/fake-s3.log"))"
        stop "no fake-s3"
    fi
    pass "fake-s3 listens on $ENDPOINT (its own HTTP proxy for access point and S3 Control hosts)"
    ENDPOINT_PROXY=1
}
[ "$MODE" = fake ] && start_fake
