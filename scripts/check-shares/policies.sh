# check-shares/policies.sh (sourced by scripts/check-shares.sh, not run): bucket policies read back:
# policy_of_info (from `s3cmd info`), policy_without (one principal taken out) and principals_of.

# --- policies -------------------------------------------------------------------------------------
# policy_of_info: the JSON after "Policy:" in the last `s3cmd info` output, compact, to stdout
# ("none" when there is none).
policy_of_info() {
    python3 - "$TMPD/out" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
at = text.find("Policy:")
if at < 0:
    print("missing"); sys.exit(1)
rest = text[at + len("Policy:"):].lstrip()
if not rest.startswith("{"):
    print(rest.splitlines()[0] if rest else "none"); sys.exit(0)
policy, _ = json.JSONDecoder().raw_decode(rest)
print(json.dumps(policy, sort_keys=True))
PY
}
# policy_without FILE ARN: the policy in FILE without ARN among its principals (statements left with
# no principal dropped), compact, sorted.
policy_without() {
    python3 - "$1" "$2" <<'PY'
import json, sys
try:
    p = json.load(open(sys.argv[1]))
except ValueError:
    print("not JSON"); sys.exit(0)
out = []
for s in p.get("Statement", []):
    aws = (s.get("Principal") or {}).get("AWS", []) if isinstance(s.get("Principal"), dict) else s.get("Principal")
    aws = [aws] if isinstance(aws, str) else list(aws or [])
    left = sorted(x for x in aws if x != sys.argv[2])
    if aws and not left:
        continue
    out.append(dict(s, Principal={"AWS": left}) if aws else s)
print(json.dumps(dict(p, Statement=out), sort_keys=True))
PY
}
# principals_of FILE: every principal string in the policy in FILE, one a line.
principals_of() {
    python3 - "$1" <<'PY'
import json, sys
try:
    p = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(0)
for s in p.get("Statement", []):
    pr = s.get("Principal", {})
    vals = pr.get("AWS", []) if isinstance(pr, dict) else [pr]
    for v in [vals] if isinstance(vals, str) else vals:
        print(v)
PY
}
