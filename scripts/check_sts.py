#!/usr/bin/env python3
"""Real-client checks of STS with boto3 against a running fake-s3.

    FAKE_S3_ENDPOINT=http://127.0.0.1:PORT python3 scripts/check_sts.py

The server must have been started with scripts/fake-s3-config.json (or FAKE_S3_CONFIG), which
declares role `dataset-reader` (account 111122223333; trusted: alice, and carol of 444455556666;
may read fake-s3-shared) and user `dave` (path /service/; may GetFederationToken and use
fake-s3-shared/uploads/*). Covers GetCallerIdentity, AssumeRole (trust policy, session policies,
the session's S3 rights) and GetFederationToken (scoped by a session policy to one prefix).
Prints one PASS/FAIL line per check and `sts: N passed, M failed`; exits 1 if any failed.
"""

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_PATH = os.environ.get("FAKE_S3_CONFIG", os.path.join(HERE, "fake-s3-config.json"))
ENDPOINT = os.environ.get("FAKE_S3_ENDPOINT", "")
if not re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d+/?$", ENDPOINT):
    sys.exit("FAKE_S3_ENDPOINT must be set to the fake's loopback URL, e.g. http://127.0.0.1:9000")

for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(var, None)
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

PASSED = 0
FAILED = 0


def result(ok, desc, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"PASS: {desc}", flush=True)
    else:
        FAILED += 1
        print(f"FAIL: {desc}" + (f" ({detail})" if detail else ""), flush=True)


def check(desc, fn):
    """fn() must not raise and must return a truthy value (or None); a str it returns is a failure's reason."""
    try:
        value = fn()
    except Exception as e:  # noqa: BLE001 - report every failure as a FAIL line
        result(False, desc, f"{type(e).__name__}: {e}")
        return None
    if isinstance(value, str):
        result(False, desc, value)
        return None
    result(value is None or bool(value), desc, "" if value is None or value else f"got {value!r}")
    return value


def expect_error(desc, codes, fn, message=None):
    """fn() must fail with one of the codes (and, if given, a message matching the regex)."""
    codes = (codes,) if isinstance(codes, str) else codes
    try:
        fn()
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        msg = e.response.get("Error", {}).get("Message") or ""
        ok = code in codes and (message is None or re.search(message, msg) is not None)
        result(ok, desc, f"expected {'/'.join(codes)}{' /' + message + '/' if message else ''}, "
                         f"got {code} (HTTP {status}): {msg}")
        return
    except Exception as e:  # noqa: BLE001
        result(False, desc, f"expected {'/'.join(codes)}, got {type(e).__name__}: {e}")
        return
    result(False, desc, f"expected {'/'.join(codes)}, the call succeeded")


with open(CONFIG_PATH) as f:
    CFG = json.load(f)
KEYS, USER_IDS = {}, {}
for account in CFG["accounts"]:
    if account["id"] == "111122223333":
        KEYS["owner"] = account["root_keys"][0]
    elif account["id"] == "444455556666":
        KEYS["other"] = account["root_keys"][0]
    for user in account.get("users", []):
        KEYS[user["name"]] = user["keys"][0]
        USER_IDS[user["name"]] = user.get("user_id")

CLIENT_CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                       retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def creds_of(who):
    return {"aws_access_key_id": KEYS[who]["access_key_id"], "aws_secret_access_key": KEYS[who]["secret_access_key"]}


def temp_creds(c):
    """Client keyword arguments for an STS Credentials structure."""
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


def sts(**creds):
    return boto3.client("sts", endpoint_url=ENDPOINT, region_name="us-east-1", config=CLIENT_CONFIG, **creds)


def s3(**creds):
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1", config=CLIENT_CONFIG, **creds)


def fetch(url):
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


print(f"== STS, boto3 {boto3.__version__} / botocore {botocore.__version__} against {ENDPOINT}", flush=True)

RUN = f"{int(time.time())}-{os.getpid()}"
SHARED = "fake-s3-shared"
ROLE = "arn:aws:iam::111122223333:role/dataset-reader"
PUB, PRIV = f"sts-{RUN}/public/notes.txt", f"sts-{RUN}/private/notes.txt"
UPLOADS = f"uploads/sts-{RUN}"          # dave's service prefix for this run
BODY = b"hello from sts\n"
owner_s3 = s3(**creds_of("owner"))
owner_s3.put_object(Bucket=SHARED, Key=PUB, Body=BODY)
owner_s3.put_object(Bucket=SHARED, Key=PRIV, Body=BODY)

# --- GetCallerIdentity ------------------------------------------------------------------------------
def identity_is(who, arn, user_id, account):
    r = sts(**creds_of(who)).get_caller_identity()
    got = (r["Arn"], r["UserId"], r["Account"])
    return got == (arn, user_id, account) or f"got {got}"


check("get_caller_identity for alice: her ARN, user id and account",
      lambda: identity_is("alice", "arn:aws:iam::111122223333:user/alice", USER_IDS["alice"], "111122223333"))
check("get_caller_identity for dave shows his path (user/service/dave)",
      lambda: identity_is("dave", "arn:aws:iam::111122223333:user/service/dave", USER_IDS["dave"], "111122223333"))
check("get_caller_identity for carol (account 444455556666)",
      lambda: identity_is("carol", "arn:aws:iam::444455556666:user/carol", USER_IDS["carol"], "444455556666"))
check("get_caller_identity for an account root: ARN :root, UserId = the account id",
      lambda: identity_is("owner", "arn:aws:iam::111122223333:root", "111122223333", "111122223333"))
expect_error("an unknown access key is InvalidClientTokenId (STS's code)", "InvalidClientTokenId",
             lambda: sts(aws_access_key_id="AKIANOSUCHKEY0000000", aws_secret_access_key="x").get_caller_identity())
expect_error("a wrong secret is SignatureDoesNotMatch", "SignatureDoesNotMatch",
             lambda: sts(aws_access_key_id=KEYS["alice"]["access_key_id"],
                         aws_secret_access_key="wrong").get_caller_identity())

# --- AssumeRole -------------------------------------------------------------------------------------
alice_sts = sts(**creds_of("alice"))
r = check("alice assume_role dataset-reader (trust policy names her)",
          lambda: alice_sts.assume_role(RoleArn=ROLE, RoleSessionName=f"alice-{os.getpid()}"))
session = f"alice-{os.getpid()}"
if r:
    c, u = r["Credentials"], r["AssumedRoleUser"]
    check("the credentials are temporary (ASIA…, session token, expiry about an hour away)",
          lambda: c["AccessKeyId"].startswith("ASIA") and c["SessionToken"]
          and 3000 < (c["Expiration"].timestamp() - time.time()) <= 3700 or f"got {c}")
    check("AssumedRoleUser: the session ARN and AROA…:session id",
          lambda: u["Arn"] == f"arn:aws:sts::111122223333:assumed-role/dataset-reader/{session}"
          and re.fullmatch(rf"AROA[A-Z0-9]+:{session}", u["AssumedRoleId"]) is not None or f"got {u}")
    role_sts, role_s3 = sts(**temp_creds(c)), s3(**temp_creds(c))
    check("get_caller_identity with the session's credentials is the assumed-role ARN",
          lambda: (lambda i: i["Arn"] == u["Arn"] and i["UserId"] == u["AssumedRoleId"]
                   and i["Account"] == "111122223333" or f"got {i}")(role_sts.get_caller_identity()))
    check("the role session reads private/ (role policy: read fake-s3-shared)",
          lambda: role_s3.get_object(Bucket=SHARED, Key=PRIV)["Body"].read() == BODY)
    check("the role session lists the bucket",
          lambda: PUB in [o["Key"] for o in role_s3.list_objects_v2(Bucket=SHARED, Prefix=f"sts-{RUN}/")["Contents"]])
    expect_error("the role session cannot write (the role is read-only)", "AccessDenied",
                 lambda: role_s3.put_object(Bucket=SHARED, Key=f"sts-{RUN}/public/role.txt", Body=b"x"))
    expect_error("the role session cannot read carol-bucket (another account)", "AccessDenied",
                 lambda: role_s3.list_objects_v2(Bucket="carol-bucket"))
    url = role_s3.generate_presigned_url("get_object", Params={"Bucket": SHARED, "Key": PUB}, ExpiresIn=300)
    check("a presigned URL made with session credentials carries X-Amz-Security-Token",
          lambda: "X-Amz-Security-Token=" in url or f"got {url}")
    check("…and works (200)", lambda: fetch(url) == (200, BODY) or f"got {fetch(url)}")
    check("…and stops working with the token removed (4xx)",
          lambda: (lambda got: got[0] in (400, 403) or f"got {got}")(
              fetch(re.sub(r"&?X-Amz-Security-Token=[^&]*", "", url))))
    bad_token = dict(temp_creds(c), aws_session_token=c["SessionToken"][:-4] + "AAAA")
    expect_error("an altered session token is InvalidToken on S3", "InvalidToken",
                 lambda: s3(**bad_token).get_object(Bucket=SHARED, Key=PUB))
    expect_error("…and InvalidClientTokenId on STS", "InvalidClientTokenId",
                 lambda: sts(**bad_token).get_caller_identity())
    no_token = {k: v for k, v in temp_creds(c).items() if k != "aws_session_token"}
    # (S3 answers InvalidAccessKeyId, "does not exist in our records", to temporary keys sent without
    # their token; a fake may say InvalidToken.)
    expect_error("temporary keys without their session token are refused", ("InvalidAccessKeyId", "InvalidToken"),
                 lambda: s3(**no_token).get_object(Bucket=SHARED, Key=PUB))

# A session policy narrows the session to what both the role and it allow.
SESSION_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{SHARED}/sts-{RUN}/public/*"}]}
r = check("alice assume_role with a session policy (--policy) limiting it to public/",
          lambda: alice_sts.assume_role(RoleArn=ROLE, RoleSessionName="alice-narrow",
                                        Policy=json.dumps(SESSION_POLICY)))
if r:
    check("PackedPolicySize is reported (a percentage above 0)",
          lambda: 0 < r.get("PackedPolicySize", 0) <= 100 or f"got {r.get('PackedPolicySize')}")
    narrow = s3(**temp_creds(r["Credentials"]))
    check("the narrowed session reads public/", lambda: narrow.get_object(Bucket=SHARED, Key=PUB)["Body"].read() == BODY)
    expect_error("the narrowed session cannot read private/ (the role could)", "AccessDenied",
                 lambda: narrow.get_object(Bucket=SHARED, Key=PRIV))
    expect_error("the narrowed session cannot list (not in the session policy)", "AccessDenied",
                 lambda: narrow.list_objects_v2(Bucket=SHARED, Prefix=f"sts-{RUN}/public/"))
    expect_error("the session policy cannot add rights: PutObject in public/ is still denied", "AccessDenied",
                 lambda: narrow.put_object(Bucket=SHARED, Key=f"sts-{RUN}/public/narrow.txt", Body=b"x"))

expect_error("bob (same account, not in the trust policy) is refused", "AccessDenied",
             lambda: sts(**creds_of("bob")).assume_role(RoleArn=ROLE, RoleSessionName="bob"),
             r"not authorized to perform: sts:AssumeRole")
expect_error("carol (trusted, but her own account's policy does not allow sts:AssumeRole) is refused", "AccessDenied",
             lambda: sts(**creds_of("carol")).assume_role(RoleArn=ROLE, RoleSessionName="carol"))
expect_error("carol's account root (not trusted) is refused", "AccessDenied",
             lambda: sts(**creds_of("other")).assume_role(RoleArn=ROLE, RoleSessionName="other"))
expect_error("a role that does not exist is refused", "AccessDenied",
             lambda: alice_sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/no-such-role", RoleSessionName="x1"))
expect_error("a malformed session policy is MalformedPolicyDocument", "MalformedPolicyDocument",
             lambda: alice_sts.assume_role(RoleArn=ROLE, RoleSessionName="bad-policy", Policy='{"Statement": 1}'))
expect_error("DurationSeconds above the role's maximum session duration (default 1 hour) is ValidationError",
             "ValidationError",
             lambda: alice_sts.assume_role(RoleArn=ROLE, RoleSessionName="too-long", DurationSeconds=7200))

# --- GetFederationToken -------------------------------------------------------------------------------
FED_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": f"arn:aws:s3:::{SHARED}/{UPLOADS}/instrument-7/*"}]}
dave_sts = sts(**creds_of("dave"))
r = check("dave get_federation_token scoped by a policy to one prefix",
          lambda: dave_sts.get_federation_token(Name="instrument-7", Policy=json.dumps(FED_POLICY)))
if r:
    check("FederatedUser: arn:aws:sts::111122223333:federated-user/instrument-7",
          lambda: r["FederatedUser"]["Arn"] == "arn:aws:sts::111122223333:federated-user/instrument-7"
          and r["FederatedUser"]["FederatedUserId"] == "111122223333:instrument-7" or f"got {r['FederatedUser']}")
    fed = s3(**temp_creds(r["Credentials"]))
    check("get_caller_identity with the federated credentials",
          lambda: sts(**temp_creds(r["Credentials"])).get_caller_identity()["Arn"]
          == "arn:aws:sts::111122223333:federated-user/instrument-7")
    check("the federated user uploads under its prefix",
          lambda: fed.put_object(Bucket=SHARED, Key=f"{UPLOADS}/instrument-7/run1.csv", Body=BODY))
    check("…and reads it back", lambda: fed.get_object(Bucket=SHARED, Key=f"{UPLOADS}/instrument-7/run1.csv")["Body"].read() == BODY)
    expect_error("the federated user cannot upload to another instrument's prefix (dave could)", "AccessDenied",
                 lambda: fed.put_object(Bucket=SHARED, Key=f"{UPLOADS}/instrument-8/run1.csv", Body=b"x"))
    expect_error("the federated user cannot upload outside uploads/", "AccessDenied",
                 lambda: fed.put_object(Bucket=SHARED, Key=f"team/sts-{RUN}.csv", Body=b"x"))
    expect_error("the federated user cannot list (not in its policy)", "AccessDenied",
                 lambda: fed.list_objects_v2(Bucket=SHARED, Prefix=f"{UPLOADS}/instrument-7/"))
WIDE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
r = check("dave get_federation_token with a policy wider than his own",
          lambda: dave_sts.get_federation_token(Name="wide", Policy=json.dumps(WIDE)))
if r:
    expect_error("…still cannot do what dave cannot (PutObject in team/)", "AccessDenied",
                 lambda: s3(**temp_creds(r["Credentials"])).put_object(Bucket=SHARED, Key=f"team/sts-{RUN}-wide.csv", Body=b"x"))
r = check("dave get_federation_token without a policy", lambda: dave_sts.get_federation_token(Name="no-policy"))
if r:
    expect_error("…gives credentials with no S3 rights", "AccessDenied",
                 lambda: s3(**temp_creds(r["Credentials"])).get_object(Bucket=SHARED, Key=f"{UPLOADS}/instrument-7/run1.csv"))
    check("…which may still call get_caller_identity (it needs no permission)",
          lambda: sts(**temp_creds(r["Credentials"])).get_caller_identity()["Arn"]
          == "arn:aws:sts::111122223333:federated-user/no-policy")
expect_error("alice, whose policies do not allow sts:GetFederationToken, is refused", "AccessDenied",
             lambda: alice_sts.get_federation_token(Name="alice-fed", Policy=json.dumps(FED_POLICY)))
check("an account root may call get_federation_token (AWS allows it, not recommended)",
      lambda: sts(**creds_of("owner")).get_federation_token(Name="root-fed", Policy=json.dumps(FED_POLICY)))
r = check("alice's role session", lambda: alice_sts.assume_role(RoleArn=ROLE, RoleSessionName="no-fed"))
if r:
    expect_error("get_federation_token with temporary credentials is refused", "AccessDenied",
                 lambda: sts(**temp_creds(r["Credentials"])).get_federation_token(Name="from-role"))

# --- clean-up ---------------------------------------------------------------------------------------------
owner_s3.delete_objects(Bucket=SHARED, Delete={"Objects": [{"Key": k} for k in (
    PUB, PRIV, f"{UPLOADS}/instrument-7/run1.csv", f"sts-{RUN}/public/role.txt", f"sts-{RUN}/public/narrow.txt",
    f"{UPLOADS}/instrument-8/run1.csv", f"team/sts-{RUN}.csv", f"team/sts-{RUN}-wide.csv")]})

print(f"sts: {PASSED} passed, {FAILED} failed", flush=True)
sys.exit(1 if FAILED else 0)
