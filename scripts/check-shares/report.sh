# check-shares/report.sh (sourced by scripts/check-shares.sh, not run): writes $TOP/report_check.py,
# every assertion on the shape of `s3keeper share report --json`, and defines report_expect, which
# runs it on the last command's output.

# --- `share report --json`: every assertion on its shape is in report_check below --------------------
cat >"$TOP/report_check.py" <<'PY'
"""Checks `s3keeper share report BUCKET --json` against expectations; prints what is wrong.

Usage: report_check.py REPORT.json BUCKET SPEC...  where SPEC is
  owner=ALTS            the report names the bucket's owner (a top-level "owner…" field, or a
                        principal entry), as one of ALTS
  ALTS=CAP,CAP@P,!CAP   a principal (its ARN is one of ALTS, `|`-separated) with each CAP (list, read,
                        write, delete, change-policy); CAP@P: only under prefix P; !CAP: not at all
  ALTS=-                no principal of that name in the report
The shape assumed (adapt report_check() if s3keeper's differs): {"principals": [{"principal": ARN,
"user": NAME, "owner": BOOL, "list"/"read"/"write"/"delete": {"everywhere": BOOL, "under":
[PATTERN…]} (or true, or a list of prefixes), "change_policy": BOOL}, …]}; an "arn" key, a top-level
"owner…" field and capabilities in a nested "can"/"capabilities"/"access" object or list are read
too. A whole-bucket grant is "everywhere", true, "", "*" or the bucket's ARN.
"""
import json
import sys

CAPS = {
    "list": ("list", "List", "ListBucket", "s3:ListBucket"),
    "read": ("read", "Read", "get", "GetObject", "s3:GetObject"),
    "write": ("write", "Write", "put", "PutObject", "s3:PutObject"),
    "delete": ("delete", "Delete", "DeleteObject", "s3:DeleteObject"),
    "change-policy": ("change-policy", "change_policy", "changePolicy", "ChangePolicy",
                      "PutBucketPolicy", "s3:PutBucketPolicy"),
}
NESTED = ("can", "capabilities", "access", "permissions", "rights", "grants")


def report_check(j, bucket, specs):
    problems = []

    def norm(prefix):
        p = str(prefix)
        for head in ("arn:aws:s3:::" + bucket, bucket):
            if p.startswith(head):
                p = p[len(head):]
        p = p.lstrip("/")
        return p[:-1] if p.endswith("*") else p

    def prefixes(val):
        """Where a capability reaches ([""]: the whole bucket), or None: not at all."""
        if val is None or val is False or val == [] or val == {}:
            return None
        if val is True:
            return [""]
        if isinstance(val, str):
            return None if val in ("-", "none") else [norm(val)]
        if isinstance(val, list):
            out = [p for v in val for p in (prefixes(v) or [])]
            return out or None
        if isinstance(val, dict):
            if val.get("allowed") is False or val.get("allow") is False:
                return None
            if val.get("everywhere") is True or val.get("all") is True:
                return [""]
            for k in ("under", "prefixes", "prefix", "resources", "resource", "keys"):
                if k in val:
                    return prefixes(val[k])
            return None if "everywhere" in val else [""]
        return [""]

    def caps(entry):
        found = {}
        places = [entry] + [entry[k] for k in NESTED if isinstance(entry.get(k), dict)]
        for place in places:
            for cap, names in CAPS.items():
                for n in names:
                    if n in place and prefixes(place[n]) is not None:
                        found.setdefault(cap, []).extend(prefixes(place[n]))
        for k in NESTED:
            if isinstance(entry.get(k), list):
                for item in entry[k]:
                    if isinstance(item, str):
                        name, val = item, True
                    elif isinstance(item, dict):
                        name = next((item[x] for x in ("capability", "can", "action", "name", "what")
                                     if isinstance(item.get(x), str)), None)
                        val = next((item[x] for x in ("prefixes", "prefix", "under", "resources")
                                    if x in item), True)
                    else:
                        continue
                    for cap, names in CAPS.items():
                        if name in names and prefixes(val) is not None:
                            found.setdefault(cap, []).extend(prefixes(val))
        return found

    if isinstance(j, dict):
        raw = next((j[k] for k in ("principals", "members", "who", "access", "entries") if k in j), [])
    else:
        raw = j
    if isinstance(raw, dict):
        raw = [dict(v, arn=k) if isinstance(v, dict) else {"arn": k, "can": v} for k, v in raw.items()]
    entries = []  # (the names it goes by: ARN, user…; the entry)
    for e in raw if isinstance(raw, list) else []:
        if isinstance(e, dict):
            names = {e[k] for k in ("arn", "principal", "Principal", "user", "name", "id")
                     if isinstance(e.get(k), str)}
            entries.append((names, e))
    if not entries:
        problems.append("no list of principals found")

    for spec in specs:
        who, _, want = spec.partition("=")
        alts = set(want.split("|")) if who == "owner" else set(who.split("|"))
        if who == "owner":
            owner_fields = [v for k, v in (j.items() if isinstance(j, dict) else []) if "owner" in k.lower()]
            named = any(json.dumps(a) in json.dumps(f) for f in owner_fields for a in alts)
            named = named or any(names & alts for names, e in entries if e.get("owner") is not False)
            if not named:
                problems.append(f"the owner ({want}) is not named")
            continue
        mine = [e for names, e in entries if names & alts]
        if want == "-":
            if mine:
                problems.append(f"{who} is listed but should not be: {json.dumps(mine)}")
            continue
        if not mine:
            problems.append(f"{who} is not listed")
            continue
        have = {}
        for e in mine:
            for cap, ps in caps(e).items():
                have.setdefault(cap, []).extend(ps)
        for item in want.split(","):
            if item.startswith("!"):
                if item[1:] in have:
                    problems.append(f"{who} should not have {item[1:]} (has it under {have[item[1:]]})")
                continue
            cap, _, prefix = item.partition("@")
            if cap not in have:
                problems.append(f"{who} should have {cap} (has {sorted(have)})")
            elif prefix and not all(p.startswith(prefix) for p in have[cap]):
                problems.append(f"{who} should have {cap} only under {prefix} (has it under {have[cap]})")
    return problems


if __name__ == "__main__":
    path, bucket, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        report = json.load(open(path))
    except ValueError as e:
        print(f"not JSON: {e}")
        sys.exit(1)
    found = report_check(report, bucket, specs)
    print("; ".join(found))
    sys.exit(1 if found else 0)
PY
# report_expect DESC BUCKET SPEC...: the last command's stdout is the report; on failure it is shown.
report_expect() {
    local desc=$1 bucket=$2 why
    shift 2
    cp "$TMPD/out" "$TMPD/report.json"
    why=$(python3 "$TOP/report_check.py" "$TMPD/report.json" "$bucket" "$@" 2>&1)
    if [ $? -eq 0 ]; then
        pass "$desc"
    else
        fail "$desc ($why)"
        echo "    share report --json was:"
        python3 -m json.tool "$TMPD/report.json" 2>/dev/null | sed 's/^/    | /' | head -150 \
            || sed 's/^/    | /' "$TMPD/report.json" | head -50
    fi
}
