"""What the cases share: the registry (CASES, in registration order, and the @case decorator), the picks
(which fields of an answer are compared) and the bucket-policy helpers (ARNs, allow/deny statements)."""


CASES = []


def case(name):
    def register(f):
        CASES.append((name, f))
        return f
    return register


# --- picks ------------------------------------------------------------------------------------------------

def grants(r):
    out = []
    for g in r.get("Grants", []):
        ge = g["Grantee"]
        who = ge.get("ID") or ge.get("URI") or ge.get("EmailAddress")
        out.append([ge.get("Type"), who, g["Permission"]])
    return {"owner": r.get("Owner", {}).get("ID"), "grants": sorted(out)}   # the order is not compared


def body_of(r):
    return {"body": r["Body"].read().decode(errors="replace")}


def keys_of(r):
    return {"keys": [o["Key"] for o in r.get("Contents", [])],
            "prefixes": [p["Prefix"] for p in r.get("CommonPrefixes", [])]}


def pol_arn(b, rest=""):
    return f"arn:aws:s3:::{b}{rest}"


def user_arn(name, tenant=""):
    return f"arn:aws:iam::{tenant}:user/{name}"


def allow(principals, actions, resources, sid=None, cond=None, effect="Allow"):
    s = {"Effect": effect, "Principal": principals if principals == "*" else {"AWS": principals},
         "Action": actions, "Resource": resources}
    if sid:
        s = {"Sid": sid, **s}
    if cond:
        s["Condition"] = cond
    return s


def deny(principals, actions, resources, sid="deny", cond=None):
    return allow(principals, actions, resources, sid=sid, cond=cond, effect="Deny")


BOB, MALLORY, WENDY, TINA = user_arn("bob"), user_arn("mallory"), user_arn("wendy"), user_arn("tina", "uab")
