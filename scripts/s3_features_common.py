"""The harness check_s3_features.py and its section modules share: the endpoints and sections chosen by
the environment, PASS/FAIL counting (check, want, equal, expect_error), clients, plain HTTP and clean-up.
Split out of check_s3_features.py to keep each file under 800 lines; see that script's doc string."""

import json
import os
import random  # noqa: F401 - the sections use it through `import *`
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
LOOPBACK = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d+/?$")
ALL_SECTIONS = ["versioning", "tagging", "acl", "cors", "copy", "ceph", "canned_acl", "checksums", "multipart", "policy_keys", "listing", "post_presigned"]
SECTIONS = os.environ.get("FEATURES_ONLY", "").split() or ALL_SECTIONS
unknown = [s for s in SECTIONS if s not in ALL_SECTIONS]
if unknown:
    sys.exit(f"FEATURES_ONLY: unknown section(s) {unknown}; choose from {' '.join(ALL_SECTIONS)}")
ENDPOINT = os.environ.get("FAKE_S3_ENDPOINT", "").rstrip("/")
CEPH_ENDPOINT = os.environ.get("FAKE_S3_CEPH_ENDPOINT", "").rstrip("/")
if any(s != "ceph" for s in SECTIONS) and not LOOPBACK.match(ENDPOINT):
    sys.exit("FAKE_S3_ENDPOINT must be set to the fake's loopback URL, e.g. http://127.0.0.1:9000")
if CEPH_ENDPOINT and not LOOPBACK.match(CEPH_ENDPOINT):
    sys.exit("FAKE_S3_CEPH_ENDPOINT must be a loopback http:// URL")

for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
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


def short(value, n=300):
    if isinstance(value, dict):  # an SDK answer: its fields, not the HTTP metadata
        value = {k: v for k, v in value.items() if k not in ("ResponseMetadata", "Body")}
    text = repr(value)
    return text if len(text) <= n else text[:n] + "…"


def check(desc, fn):
    """fn() must not raise and must return its success value: True, or another truthy value that is not a
    str (an SDK answer, or what want() passes on), which check() hands back for later use. A str it
    returns is the failure's reason; None (a check that returned nothing, say a forgotten `return`)
    and every other falsy value are failures too. Returns fn()'s value on success, None on failure."""
    try:
        value = fn()
    except ClientError as e:
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        result(False, desc, f"got {err.get('Code')} (HTTP {status}): {err.get('Message')}")
        return None
    except Exception as e:  # noqa: BLE001 - report every failure as a FAIL line
        result(False, desc, f"{type(e).__name__}: {e}")
        return None
    if value is None:
        result(False, desc, "check returned nothing")
        return None
    if isinstance(value, str):
        result(False, desc, value)
        return None
    ok = bool(value)
    result(ok, desc, "" if ok else f"got {short(value)}")
    return value if ok else None


def want(value, ok, expected):
    """For check(): value when ok (True when it is None, empty or a str, which check() would take for
    a failure), else the failure's reason. Never None."""
    if not ok:
        return f"expected {expected}, got {short(value)}"
    return value if value and not isinstance(value, str) else True


def equal(desc, fn, expected):
    """fn() must return expected."""
    return check(desc, lambda: (lambda v: want(v, v == expected, short(expected)))(fn()))


def failure(fn):
    """(code, HTTP status, headers) of the ClientError fn() raises; None when it succeeds."""
    try:
        fn()
    except ClientError as e:
        meta = e.response.get("ResponseMetadata", {})
        return e.response.get("Error", {}).get("Code"), meta.get("HTTPStatusCode"), meta.get("HTTPHeaders", {})
    return None


def expect_error(desc, codes, fn, status=None):
    """fn() must fail with one of codes (and the HTTP status, when given)."""
    codes = (codes,) if isinstance(codes, str) else codes
    try:
        got = failure(fn)
    except Exception as e:  # noqa: BLE001
        result(False, desc, f"expected {'/'.join(codes)}, got {type(e).__name__}: {e}")
        return None
    if got is None:
        result(False, desc, f"expected {'/'.join(codes)}, the call succeeded")
        return None
    code, got_status, headers = got
    ok = code in codes and (status is None or got_status == status)
    expected = "/".join(codes) + (f" (HTTP {status})" if status else "")
    result(ok, desc, f"expected {expected}, got {code} (HTTP {got_status})")
    return headers if ok else None


# --- principals, clients, plain HTTP ------------------------------------------------------------------
def load_config(path):
    """(the config, {"root:ACCOUNT" or user name (before any @): first key pair})."""
    with open(path) as f:
        cfg = json.load(f)
    keys = {}
    for account in cfg["accounts"]:
        if account.get("root_keys"):
            keys[f"root:{account['id']}"] = account["root_keys"][0]
        for user in account.get("users", []):
            keys[user["name"].split("@")[0]] = user["keys"][0]
    return cfg, keys


def make_client(endpoint, key):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=key["access_key_id"], aws_secret_access_key=key["secret_access_key"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60))


def http(method, url, data=None, headers=None):
    """(status, headers with lower-case names, body) of an unsigned request with urllib."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def curl(method, url, headers):
    """(status, headers with lower-case names, repeated ones joined by ", ", body) from curl -i."""
    cmd = ["curl", "-s", "-i", "--max-time", "30", "--noproxy", "*", "-X", method]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd + [url], capture_output=True, check=False).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/\S+ (\d+)", lines[0] if lines else "")
    got = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        got[name] = f"{got[name]}, {value.strip()}" if name in got else value.strip()
    return (int(m.group(1)) if m else 0), got, body


def listed(headers, name):
    """The comma-separated values of a header, lower-cased, as a set."""
    return {v.strip().lower() for v in headers.get(name, "").split(",") if v.strip()}


def post_form(url, fields, data):
    """(status, headers, body) of a browser-style multipart/form-data POST, the file last."""
    boundary = f"----features-{os.getpid()}-{time.time_ns()}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="up.txt"\r\n'
                 f"Content-Type: text/plain\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return http("POST", url, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def tags(resp):
    return {t["Key"]: t["Value"] for t in resp.get("TagSet", [])}


def grants(resp):
    """{(grantee id or group URI, permission)} of a Get*Acl answer."""
    out = set()
    for g in resp.get("Grants", []):
        grantee = g.get("Grantee", {})
        out.add((grantee.get("ID") or grantee.get("URI") or grantee.get("EmailAddress"), g.get("Permission")))
    return out


def versions_of(c, bucket, key):
    """([(VersionId, IsLatest)] newest first, [(VersionId, IsLatest)] of delete markers) for one key."""
    r = c.list_object_versions(Bucket=bucket, Prefix=key)
    vs = [(v["VersionId"], v["IsLatest"]) for v in r.get("Versions", []) if v["Key"] == key]
    dms = [(d["VersionId"], d["IsLatest"]) for d in r.get("DeleteMarkers", []) if d["Key"] == key]
    return vs, dms


def body_of(c, bucket, key, **kw):
    return c.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def policy(bucket, *statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def purge(c, bucket):
    """Best effort: every version, delete marker, object and upload, then the bucket itself."""
    steps = [
        lambda: [c.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})
                 for page in c.get_paginator("list_object_versions").paginate(Bucket=bucket)
                 for objs in [[{"Key": v["Key"], "VersionId": v["VersionId"]}
                               for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]] if objs],
        lambda: [c.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})
                 for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                 for objs in [[{"Key": o["Key"]} for o in page.get("Contents", [])]] if objs],
        lambda: [c.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
                 for u in c.list_multipart_uploads(Bucket=bucket).get("Uploads", [])],
        lambda: c.delete_bucket(Bucket=bucket),
    ]
    for step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - clean-up is best effort
            pass


RUN = f"{int(time.time())}-{os.getpid()}"
OWNER_ACCOUNT, OTHER_ACCOUNT = "111122223333", "444455556666"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
if any(s != "ceph" for s in SECTIONS):
    _, KEYS = load_config(os.environ.get("FAKE_S3_CONFIG", os.path.join(HERE, "fake-s3-config.json")))
    owner = make_client(ENDPOINT, KEYS[f"root:{OWNER_ACCOUNT}"])
    carol = make_client(ENDPOINT, KEYS["carol"])  # account 444455556666, s3:* by her own policy
    print(f"== boto3 {boto3.__version__} / botocore {botocore.__version__} against {ENDPOINT}", flush=True)


def bucket_name(what):
    return f"feat-{what}-{RUN}"


def canonical_id(desc, c, fallback):
    """The caller's canonical user id, as ListBuckets names its Owner (a check of its own)."""
    got = check(desc, lambda: (lambda r: want(r, bool(r.get("Owner", {}).get("ID")), "Owner.ID"))(c.list_buckets()))
    return (got or {}).get("Owner", {}).get("ID") or fallback
