"""Side: one server under test (RGW or fake-s3), with a boto3 client per user, raw signed HTTP, and the
observations of the running case (user ids normalised to <id:USER>, the run's bucket prefix to B-)."""

import json
import time
import xml.etree.ElementTree as ET

import boto3
import botocore
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from .config import ACCOUNTS, PREFIX, REGION, TIMEOUT, VERBOSE, log
from .sigv4 import sign_v4_headers


def xml_fields(text):
    """{tag: text} of the root's children (namespace dropped) and the root's tag as '_root'."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return {"_root": None}
    strip = lambda t: t.split("}", 1)[-1]
    out = {"_root": strip(root.tag)}
    for child in root:
        out[strip(child.tag)] = child.text or ""
    return out


def close_after_body(request, **_):
    """A request with a body goes on a connection of its own. RGW 16.2 answers a refused PUT (403)
    without reading its body; the next request on that kept-alive connection then gets no answer
    until the client's read timeout (botocore retries after 60 s), which would make the run slow."""
    if request.body:
        request.headers["Connection"] = "close"


# --- a server under test ---------------------------------------------------------------------------------

class Side:
    def __init__(self, name, endpoint, users):
        self.name, self.endpoint = name, endpoint.rstrip("/")
        self.users = users            # name -> (ak, sk, tenant)
        self.account_of = ACCOUNTS    # name -> the fake-s3 account id (12 digits, or the tenant)
        self.ids = {}                 # canonical id -> user name (learned)
        self.id_of = {}               # user name -> canonical id
        self.display = {}             # user name -> display name (learned)
        self.obs = None               # the running case's observations
        self.http = requests.Session()
        cfg = dict(region_name=REGION, endpoint_url=self.endpoint)
        conf = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=TIMEOUT,
                      request_checksum_calculation="when_required", response_checksum_validation="when_required")
        self.clients = {u: boto3.client("s3", aws_access_key_id=ak, aws_secret_access_key=sk, config=conf, **cfg)
                        for u, (ak, sk, _) in users.items()}
        self.clients[None] = boto3.client("s3", config=conf.merge(Config(signature_version=UNSIGNED)), **cfg)
        for c in self.clients.values():   # tenant names (`:b`, `uab:b`) are the server's to judge
            c.meta.events.unregister("before-parameter-build.s3", botocore.handlers.validate_bucket_name)
            c.meta.events.register("before-send.s3", close_after_body)

    # the ids each server gives its users (ListBuckets' Owner)
    def learn_ids(self):
        for u in self.users:
            r = self.clients[u].list_buckets()
            self.ids[r["Owner"]["ID"]] = u
            self.id_of[u] = r["Owner"]["ID"]
            self.display[u] = r["Owner"].get("DisplayName")

    def norm(self, v):
        if isinstance(v, dict):
            return {k: self.norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [self.norm(x) for x in v]
        if isinstance(v, str):
            if v in self.ids:
                return f"<id:{self.ids[v]}>"
            return v.replace(PREFIX, "B-")
        return v

    def rec(self, step, value, raw=False):
        base, n = step, 2
        while step in self.obs:        # a step name used twice in a case keeps both answers
            step, n = f"{base} #{n}", n + 1
        self.obs[step] = value if raw else self.norm(value)
        now = time.time()
        if VERBOSE and now - getattr(self, "last", now) > 2:
            log(f"{self.name}: step {step!r} took {now - self.last:.1f} s")
        self.last = now

    # boto3 calls: records {status, code, **pick(response)}; returns the response or None
    def do(self, step, user, op, pick=None, **kw):
        try:
            r = getattr(self.clients[user], op)(**kw)
            o = {"status": r["ResponseMetadata"]["HTTPStatusCode"]}
            if pick:
                o.update(pick(r))
        except ClientError as e:
            r = None
            o = {"status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                 "code": e.response.get("Error", {}).get("Code")}
        except Exception as e:  # noqa: BLE001  (a client-side failure is an observation too)
            r = None
            o = {"error": type(e).__name__}
        if step:
            self.rec(step, o)
        return r

    def url(self, path, query=""):
        return f"{self.endpoint}{path}" + (f"?{query}" if query else "")

    # raw HTTP: SigV4 header auth by our signer (user None: anonymous)
    def raw(self, step, user, method, path, query="", headers=None, body=b"", pick=None):
        url = self.url(path, query)
        h = dict(headers or {})
        if body:
            h["Connection"] = "close"
        if user is not None:
            ak, sk, _ = self.users[user]
            h = sign_v4_headers(method, url, h, body, ak, sk)
        try:
            r = self.http.request(method, url, headers=h, data=body, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as e:
            if step:
                self.rec(step, {"error": type(e).__name__})
            return None
        if step:
            self.rec(step, self.answer(r, pick))
        return r

    def answer(self, r, pick=None):
        o = {"status": r.status_code}
        if r.status_code >= 300 and r.content.startswith(b"<"):
            o["code"] = xml_fields(r.content).get("Code")
        if pick:
            o.update(pick(r))
        return o

    def bucket(self, tag):
        return f"{PREFIX}{tag}"

    def mkbucket(self, tag, user="pi", **kw):
        b = self.bucket(tag)
        self.do(f"setup: {user} creates {tag}", user, "create_bucket", Bucket=b, **kw)
        return b

    def put(self, b, key, user="pi", body=b"data", step=None, **kw):
        return self.do(step or f"setup: {user} puts {key}", user, "put_object", Bucket=b, Key=key, Body=body, **kw)

    def policy(self, b, statements, user="pi", step="put policy"):
        # every statement gets a Sid (s1, s2, … unless it has one): unique, deterministic
        statements = [st if "Sid" in st else {"Sid": f"s{i + 1}", **st} for i, st in enumerate(statements)]
        doc = {"Version": "2012-10-17", "Statement": statements}
        return self.do(step, user, "put_bucket_policy", Bucket=b, Policy=json.dumps(doc))
