# check-shares/ceph.sh (sourced by scripts/check-shares.sh, not run): the Ceph dialect part, in the
# foreground against CEPH_EP (a fake-s3 or real RGW, see servers.sh): one s3cmd configuration per LTS
# user, grants, a grant to a user that does not exist, what each member can do, a steward's hand
# edit and --adopt, revokes and former members, `share import`, and only S3 in the journal.

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
python3 "$SCRIPTS/s3cfg.py" users "$CEPH_CONFIG" "$TMPD" "$CEPH_HOSTPORT" at \
    || bad "cannot read $CEPH_CONFIG"
eval "$(python3 - "$CEPH_CONFIG" <<'PY'
import json, re, shlex, sys
for account in json.load(open(sys.argv[1]))["accounts"]:
    for user in account.get("users", []):
        key = user["keys"][0]
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
