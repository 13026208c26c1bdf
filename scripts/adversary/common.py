"""adversary.sh's shared helpers: the ADV_* settings, PASS:/FAIL: lines, the API, the CLI and S3 clients
(the bucket owner's and a ticket's), used by every sec_*.py module."""
import concurrent.futures
import datetime
import json
import os
import subprocess
import sys
import threading

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pass_fail import result, short  # noqa: E402 - scripts/pass_fail.py, shared with check_uploads.py

E = os.environ
API, TOKEN, EP, BUCKET = E["ADV_API"], E["ADV_TOKEN"], E["ADV_ENDPOINT"], E["ADV_BUCKET"]
KEEPER, WORK = E["ADV_KEEPER"], E["ADV_WORK"]
SERVICE_ENV = dict(line.rstrip("\n").split("=", 1) for line in open(E["ADV_SERVICE_ENV"]) if "=" in line)
CLEAN_ENV = {k: E[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in E}


def info(msg):
    print(f"    {msg}", flush=True)


# --- the API ------------------------------------------------------------------------------------------
def session():
    s = requests.Session()
    s.trust_env = False          # loopback only: no proxy, no .netrc
    return s


LOCAL = threading.local()


def http():
    """This thread's session with the API (requests' sessions are not shared between threads)."""
    if not hasattr(LOCAL, "s"):
        LOCAL.s = session()
    return LOCAL.s


def api(method, path, body=None, token=TOKEN, data=None, timeout=30, sess=None):
    """(status, JSON or None, text) of one API call; status 0 when it could not be made."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if data is not None:
        headers["Content-Type"] = "application/json"
    try:
        r = (sess or http()).request(method, API + path, json=body if data is None else None, data=data,
                                   headers=headers, timeout=timeout)
    except requests.RequestException as e:
        return 0, None, f"{type(e).__name__}: {short(e)}"
    try:
        j = r.json()
    except ValueError:
        j = None
    return r.status_code, j, r.text


def open_ticket(prefix, method="sts", token=TOKEN, **kw):
    return api("POST", "/uploads", {"prefix": prefix, "method": method, **kw}, token)


def end(tid, op="finish", token=TOKEN, sess=None):
    return api("POST", f"/uploads/{tid}/{op}", None, token, sess=sess)


def is_error(j, code=None):
    """The API's error shape {"error": CODE, "message": TEXT} (with that CODE when given)."""
    return isinstance(j, dict) and isinstance(j.get("error"), str) and isinstance(j.get("message"), str) \
        and j["message"] != "" and (code is None or j["error"] == code)


def audit(action):
    st, j, txt = api("GET", f"/audit?action={action}&limit=10000")
    return j if st == 200 and isinstance(j, list) else []


# --- the CLI ------------------------------------------------------------------------------------------
def keeper(*args, env=None, timeout=60):
    try:
        p = subprocess.run([KEEPER, *args], env=env or SERVICE_ENV, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout}s"
    return p.returncode, p.stdout, p.stderr


def add_client(name, *prefixes, max_open=None, max_sessions=None):
    """(exit status, token or None, output) of `client add NAME --prefix P… [--max-open N]
    [--max-sessions M]`."""
    args = ["client", "add", name]
    for p in prefixes:
        args += ["--prefix", p]
    if max_open is not None:
        args += ["--max-open", str(max_open)]
    if max_sessions is not None:
        args += ["--max-sessions", str(max_sessions)]
    rc, out, err = keeper(*args)
    token = None
    if rc == 0:
        try:
            token = json.loads(out)["token"]
        except (ValueError, KeyError, TypeError):
            pass
    return rc, token, short(err + " " + out)


# --- S3 -----------------------------------------------------------------------------------------------
def s3(ak, sk, st=None, endpoint=EP):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ak,
                        aws_secret_access_key=sk, aws_session_token=st,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                      connect_timeout=10, read_timeout=30))


ADMIN = s3(E["ADV_ADMIN_AK"], E["ADV_ADMIN_SK"])     # the bucket owner (the account's root)


def ticket_s3(t):
    c = t["credentials"]
    return s3(c["access_key_id"], c["secret_access_key"], c["session_token"])


def error_code(fn):
    """None when fn() succeeds, else the S3 error code (or the exception's name)."""
    try:
        fn()
        return None
    except ClientError as e:
        return e.response.get("Error", {}).get("Code") or str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {short(e, 120)}"


def get(key):
    """The object's bytes as the bucket owner reads them, or None when there is none."""
    try:
        return ADMIN.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise


def keys_under(prefix):
    keys = []
    for page in ADMIN.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def post_form(ticket, key, data, filename="file.bin", **override):
    """A browser-style POST of the ticket's form (key and any `override` fields replaced) with the file
    last: (status, body)."""
    fields = dict(ticket["fields"])
    fields["key"] = key
    fields.update(override)
    try:
        r = session().post(ticket["url"], data=list(fields.items()),
                           files=[("file", (filename, data, "application/octet-stream"))], timeout=30)
    except requests.RequestException as e:
        return 0, f"{type(e).__name__}: {short(e)}"
    return r.status_code, r.text


def fake_clock(when):
    s = session()
    if when is None:
        return s.delete(f"{EP}/_fake/clock", timeout=10).status_code
    stamp = when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return s.put(f"{EP}/_fake/clock", params={"time": stamp}, timeout=10).status_code


def concurrently(fns, timeout=60):
    """Runs the functions at the same moment (a barrier), one thread each; their results in order."""
    barrier = threading.Barrier(len(fns))

    def run(fn):
        try:
            barrier.wait(timeout=20)
        except threading.BrokenBarrierError:
            pass
        return fn()
    with concurrent.futures.ThreadPoolExecutor(len(fns)) as ex:
        return [f.result(timeout=timeout) for f in [ex.submit(run, fn) for fn in fns]]


def ended_quietly(*ids):
    """Ends tickets a section opened (clean-up; statuses ignored)."""
    for tid in ids:
        if tid:
            end(tid, "cancel")
