#!/usr/bin/env python3
"""rgw-diff.py: the same scripted S3 requests against real Ceph RGW and fake-s3's Ceph dialect.

    scripts/rgw-diff.py                      # starts what it is not given, runs every case, stops them
    RGW_DIFF_ONLY='policy|acl' scripts/rgw-diff.py     # cases whose name matches the regex
    RGW_DIFF_VERBOSE=1 scripts/rgw-diff.py   # every step of every case, both answers
    RGW_DIFF_OUT=obs.json scripts/rgw-diff.py           # every observation of both sides, as JSON

Servers (issue 23):
  RGW_ENDPOINT    a running RGW (path-style, users already made). Unset: `scripts/start-rgw.sh
                  start` (RGW_DIR, RGW_PORT as that script reads them) and `users CONFIG`, stopped
                  again at the end unless RGW_DIFF_KEEP=1. When RGW_DIR names the running cluster,
                  `users CONFIG` is run against it too (idempotent).
  FAKE_ENDPOINT   a running fake-s3 started with CONFIG. Unset: FAKE_S3_BIN (default
                  target/release/fake-s3, else target/debug/fake-s3) `--port 0 --config CONFIG`.
  RGW_DIFF_ACCEPTED the accepted differences (default scripts/rgw-accepted.json)
  RGW_DIFF_CONFIG the fake-s3 Ceph configuration both sides mirror (default
                  scripts/fake-s3-shares-ceph.json: pi, jane@uab.edu, bob, wendy, manny@uab.edu,
                  mallory, carl, dora, Bob, and tina of tenant uab, each in an account of their own).

Each case runs its steps (requests as named users, SigV4, path-style, us-east-1) on both servers and
records per step the status, the S3 error code and the fields that matter (owners and grantees by
user name, listing keys, policy round trips, headers); user ids are shown as <id:USER> so the two
servers' id schemes compare, except in the cases that compare raw ids. One line per case:
  SAME name
  DIFF name: step: rgw=… fake=…; …
  ACCEPTED name: reason
and a summary; exit 1 if a DIFF is not accepted in scripts/rgw-accepted.json (case name →
{"reason", "rgw_16_2", optional "steps": the only steps allowed to differ}), 2 if it cannot start.
Only python3 with boto3/botocore and requests. The requests take about 10 s; a cold RGW start adds
about 15 s (and the Debian packages, once, about 30 s more).
"""

import base64
import concurrent.futures
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET

try:
    import boto3
    import botocore
    import requests
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as e:  # pragma: no cover
    print(f"rgw-diff: needs boto3, botocore and requests ({e}): python3 -m pip install boto3 requests", file=sys.stderr)
    sys.exit(2)

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SCRIPTS)
CONFIG = os.environ.get("RGW_DIFF_CONFIG", os.path.join(SCRIPTS, "fake-s3-shares-ceph.json"))
ACCEPTED_FILE = os.environ.get("RGW_DIFF_ACCEPTED", os.path.join(SCRIPTS, "rgw-accepted.json"))
REGION = "us-east-1"
VERBOSE = os.environ.get("RGW_DIFF_VERBOSE") == "1"
TIMEOUT = 15
RUN = f"{int(time.time()) % 100000:05d}{secrets.token_hex(2)}"
PREFIX = f"rd{RUN}-"      # every bucket of this run; shown as B- in the output


def log(msg):
    print(f"rgw-diff: {msg}", file=sys.stderr, flush=True)


# --- signing (our own, so that expiry, time and the canonical URI are exactly what a case says) ----------

def _q(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


def _signing_key(sk, date):
    k = hmac.new(("AWS4" + sk).encode(), date.encode(), hashlib.sha256).digest()
    for part in (REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _canonical_query(query):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{_q(k)}={_q(v)}" for k, v in sorted(pairs))


def canonical_uri(path):
    """S3's canonical URI: the path as the server decodes it, URI-encoded once (':' as %3A)."""
    return _q(urllib.parse.unquote(path or "/"), safe="/-_.~")


def sign_v4_headers(method, url, headers, body, ak, sk, when=None):
    """SigV4 header auth (the URL is sent as given; `:` in a tenant bucket name stays raw, as s3cmd sends it)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amzdate, date = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    u = urllib.parse.urlsplit(url)
    h = {k.lower(): str(v).strip() for k, v in headers.items()}
    h["host"] = u.netloc
    h["x-amz-date"] = amzdate
    h["x-amz-content-sha256"] = hashlib.sha256(body or b"").hexdigest()
    names = sorted(h)
    canonical = "\n".join([method, canonical_uri(u.path), _canonical_query(u.query),
                           "".join(f"{n}:{h[n]}\n" for n in names), ";".join(names), h["x-amz-content-sha256"]])
    scope = f"{date}/{REGION}/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amzdate}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = hmac.new(_signing_key(sk, date), to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={';'.join(names)}, Signature={sig}"
    del h["host"]
    return h


def presign_v4(method, url, ak, sk, expires, when=None, extra=None):
    """A SigV4 presigned URL with any X-Amz-Expires (also 0, negative, too large) and signing time."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amzdate, date = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    u = urllib.parse.urlsplit(url)
    scope = f"{date}/{REGION}/s3/aws4_request"
    params = dict(extra or {})
    params.update({"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{ak}/{scope}",
                   "X-Amz-Date": amzdate, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"})
    query = "&".join(f"{_q(k)}={_q(v)}" for k, v in sorted(params.items()))
    canonical = "\n".join([method, canonical_uri(u.path), query, f"host:{u.netloc}\n", "host", "UNSIGNED-PAYLOAD"])
    to_sign = f"AWS4-HMAC-SHA256\n{amzdate}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = hmac.new(_signing_key(sk, date), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{u.scheme}://{u.netloc}{u.path}?{query}&X-Amz-Signature={sig}"


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


# --- picks -----------------------------------------------------------------------------------------------

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

# --- the cases -------------------------------------------------------------------------------------------

CASES = []


def case(name):
    def register(f):
        CASES.append((name, f))
        return f
    return register


# Ownership and ACLs --------------------------------------------------------------------------------------

@case("owner.ids-raw")
def _(s):
    """The owner id S3 reports (ListBuckets, GetBucketAcl): RGW's is the user id (`pi`, `uab$tina`)."""
    b = s.mkbucket("ids")
    s.rec("pi's ListBuckets owner id", s.id_of["pi"], raw=True)
    s.rec("tina's ListBuckets owner id", s.id_of["tina"], raw=True)
    s.rec("pi's display name", s.display["pi"], raw=True)
    r = s.clients["pi"].get_bucket_acl(Bucket=b)
    s.rec("GetBucketAcl owner id", r["Owner"]["ID"], raw=True)


@case("acl.bucket-default")
def _(s):
    b = s.mkbucket("acldef")
    s.do("pi GetBucketAcl", "pi", "get_bucket_acl", pick=grants, Bucket=b)
    s.do("bob GetBucketAcl", "bob", "get_bucket_acl", pick=grants, Bucket=b)


@case("acl.owner-reads-member-upload")
def _(s):
    """A member's private upload in the owner's bucket (the bucket policy lets bob write)."""
    b = s.mkbucket("own")
    s.policy(b, [allow([BOB], ["s3:PutObject", "s3:GetObject"], [pol_arn(b, "/*")])])
    s.put(b, "up/bob.txt", "bob", step="bob PutObject")
    s.do("pi GetObject", "pi", "get_object", Bucket=b, Key="up/bob.txt")
    s.do("pi HeadObject", "pi", "head_object", Bucket=b, Key="up/bob.txt")
    s.do("pi GetObjectAcl", "pi", "get_object_acl", pick=grants, Bucket=b, Key="up/bob.txt")
    s.do("bob GetObjectAcl", "bob", "get_object_acl", pick=grants, Bucket=b, Key="up/bob.txt")
    s.do("pi ListObjects (owner of the key)", "pi", "list_objects", Bucket=b,
         pick=lambda r: {"owners": [o.get("Owner", {}).get("ID") for o in r.get("Contents", [])]})
    s.do("pi CopyObject from it", "pi", "copy_object", Bucket=b, Key="copy.txt", CopySource=f"{b}/up/bob.txt")
    s.do("pi DeleteObject", "pi", "delete_object", Bucket=b, Key="up/bob.txt")


@case("acl.member-upload-bucket-owner-full-control")
def _(s):
    b = s.mkbucket("bofc")
    s.policy(b, [allow([BOB], ["s3:PutObject"], [pol_arn(b, "/*")])])
    s.put(b, "k", "bob", step="bob PutObject x-amz-acl: bucket-owner-full-control", ACL="bucket-owner-full-control")
    s.do("pi GetObject", "pi", "get_object", pick=body_of, Bucket=b, Key="k")
    s.do("pi GetObjectAcl", "pi", "get_object_acl", pick=grants, Bucket=b, Key="k")
    s.do("pi PutObjectAcl private (takes it over?)", "pi", "put_object_acl", Bucket=b, Key="k", ACL="private")


@case("acl.grant-read-rgw-user-id")
def _(s):
    """x-amz-grant-read: id="mallory", the RGW user id, literally on both."""
    b = s.mkbucket("grantid")
    s.put(b, "k", step='pi PutObject x-amz-grant-read: id="mallory"', GrantRead='id="mallory"')
    s.do("mallory GetObject", "mallory", "get_object", Bucket=b, Key="k")
    s.do("pi GetObjectAcl", "pi", "get_object_acl", pick=grants, Bucket=b, Key="k")
    s.do('pi PutBucketAcl x-amz-grant-read: id="mallory"', "pi", "put_bucket_acl", Bucket=b, GrantRead='id="mallory"')
    s.do("mallory ListObjects", "mallory", "list_objects", pick=keys_of, Bucket=b)


@case("acl.grant-read-own-id")
def _(s):
    """x-amz-grant-read with the id each server itself reports for mallory."""
    b = s.mkbucket("grantown")
    s.put(b, "k", step="pi PutObject x-amz-grant-read: id=<mallory's id>", GrantRead=f'id="{s.id_of["mallory"]}"')
    s.do("mallory GetObject", "mallory", "get_object", Bucket=b, Key="k")
    s.do("bob GetObject", "bob", "get_object", Bucket=b, Key="k")
    s.do("pi GetObjectAcl", "pi", "get_object_acl", pick=grants, Bucket=b, Key="k")


@case("acl.canned-object")
def _(s):
    b = s.mkbucket("cannedobj")
    for acl in ("private", "public-read", "authenticated-read", "public-read-write"):
        s.put(b, acl, step=f"pi PutObject {acl}", ACL=acl)
        s.do(f"{acl}: anonymous GetObject", None, "get_object", Bucket=b, Key=acl)
        s.do(f"{acl}: mallory GetObject", "mallory", "get_object", Bucket=b, Key=acl)
        s.do(f"{acl}: GetObjectAcl", "pi", "get_object_acl", pick=grants, Bucket=b, Key=acl)


@case("acl.canned-bucket")
def _(s):
    b = s.mkbucket("cannedpr", ACL="public-read")
    s.do("public-read: GetBucketAcl", "pi", "get_bucket_acl", pick=grants, Bucket=b)
    s.do("public-read: anonymous ListObjects", None, "list_objects", pick=keys_of, Bucket=b)
    s.do("public-read: anonymous PutObject", None, "put_object", Bucket=b, Key="anon", Body=b"x")
    b2 = s.mkbucket("cannedprw", ACL="public-read-write")
    s.do("public-read-write: anonymous PutObject", None, "put_object", Bucket=b2, Key="anon", Body=b"x")
    s.do("public-read-write: mallory PutObject", "mallory", "put_object", Bucket=b2, Key="mal", Body=b"x")
    s.do("public-read-write: pi GetObject of mallory's", "pi", "get_object", Bucket=b2, Key="mal")
    s.do("public-read-write: pi GetObject of the anonymous one", "pi", "get_object", Bucket=b2, Key="anon")
    s.do("public-read-write: anonymous object's ACL (as pi)", "pi", "get_object_acl", pick=grants, Bucket=b2, Key="anon")
    s.do("public-read-write: pi DeleteObject of mallory's", "pi", "delete_object", Bucket=b2, Key="mal")
    b3 = s.mkbucket("cannedar", ACL="authenticated-read")
    s.do("authenticated-read: mallory ListObjects", "mallory", "list_objects", pick=keys_of, Bucket=b3)
    s.do("authenticated-read: anonymous ListObjects", None, "list_objects", Bucket=b3)


@case("acl.put-bucket-acl-xml")
def _(s):
    b = s.mkbucket("aclxml")
    s.put(b, "k")
    owner = {"ID": s.id_of["pi"], "DisplayName": s.display["pi"] or "pi"}
    acp = {"Owner": owner, "Grants": [
        {"Grantee": {"ID": s.id_of["pi"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"ID": s.id_of["bob"], "Type": "CanonicalUser"}, "Permission": "READ"}]}
    s.do("pi PutBucketAcl (bob READ)", "pi", "put_bucket_acl", Bucket=b, AccessControlPolicy=acp)
    s.do("GetBucketAcl", "pi", "get_bucket_acl", pick=grants, Bucket=b)
    s.do("bob ListObjects", "bob", "list_objects", pick=keys_of, Bucket=b)
    s.do("bob GetObject (bucket READ only)", "bob", "get_object", Bucket=b, Key="k")
    s.do("pi PutObjectAcl (bob READ)", "pi", "put_object_acl", Bucket=b, Key="k", AccessControlPolicy=acp)
    s.do("bob GetObject", "bob", "get_object", Bucket=b, Key="k")


@case("acl.copy-not-owned-object")
def _(s):
    """s3-tests test_object_copy_not_owned_object_bucket: bob has FULL_CONTROL on pi's bucket and object."""
    b = s.mkbucket("copyown")
    s.put(b, "foo123bar", body=b"foo")
    grant = {"Grantee": {"ID": s.id_of["bob"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    for what, get, putacl, kw in (("object", "get_object_acl", "put_object_acl", {"Key": "foo123bar"}),
                                 ("bucket", "get_bucket_acl", "put_bucket_acl", {})):
        cur = s.clients["pi"].__getattribute__(get)(Bucket=b, **kw)
        acp = {"Owner": cur["Owner"], "Grants": cur["Grants"] + [grant]}
        s.do(f"pi grants bob FULL_CONTROL on the {what}", "pi", putacl, Bucket=b, AccessControlPolicy=acp, **kw)
    s.do("bob GetObject", "bob", "get_object", pick=body_of, Bucket=b, Key="foo123bar")
    s.do("bob CopyObject within the bucket", "bob", "copy_object", Bucket=b, Key="bar321foo",
         CopySource={"Bucket": b, "Key": "foo123bar"})
    s.do("pi GetObject of bob's copy", "pi", "get_object", Bucket=b, Key="bar321foo")


@case("acl.copy-from-granted-bucket")
def _(s):
    """bob copies pi's object, which the bucket policy lets him read, into his own bucket (same tenant)."""
    b, mine = s.mkbucket("cpsrc"), s.mkbucket("cpdst", user="bob")
    s.put(b, "k", body=b"pi's")
    s.policy(b, [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")])])
    s.do("bob CopyObject pi's k into his bucket", "bob", "copy_object", Bucket=mine, Key="k", CopySource={"Bucket": b, "Key": "k"})
    s.do("bob GetObject of the copy", "bob", "get_object", pick=body_of, Bucket=mine, Key="k")
    s.do("mallory CopyObject (not granted)", "mallory", "copy_object", Bucket=mine, Key="m", CopySource={"Bucket": b, "Key": "k"})


@case("acl.policy-requires-grant-full-control")
def _(s):
    """s3-tests test_bucket_policy_put_obj_grant, with the owner's id as each server reports it."""
    b1, b2 = s.mkbucket("pgrant1"), s.mkbucket("pgrant2")
    owner = f"id={s.id_of['pi']}"
    s.policy(b1, [allow("*", "s3:PutObject", pol_arn(b1, "/*"),
                        cond={"StringEquals": {"s3:x-amz-grant-full-control": owner}})], step="put policy b1 (condition)")
    s.policy(b2, [allow("*", "s3:PutObject", pol_arn(b2, "/*"))], step="put policy b2")
    s.do("bob PutObject b1 with x-amz-grant-full-control", "bob", "put_object", Bucket=b1, Key="key1", Body=b"key1",
         GrantFullControl=owner)
    s.do("bob PutObject b1 without it", "bob", "put_object", Bucket=b1, Key="key0", Body=b"key0")
    s.do("bob PutObject b2", "bob", "put_object", Bucket=b2, Key="key2", Body=b"key2")
    s.do("pi GetObjectAcl b1/key1", "pi", "get_object_acl", pick=grants, Bucket=b1, Key="key1")
    s.do("pi GetObjectAcl b2/key2", "pi", "get_object_acl", Bucket=b2, Key="key2")
    s.do("bob GetObjectAcl b2/key2", "bob", "get_object_acl", pick=grants, Bucket=b2, Key="key2")


# Bucket policies -----------------------------------------------------------------------------------------

@case("policy.principal-default-tenant-user")
def _(s):
    b = s.mkbucket("pdef")
    s.put(b, "k")
    s.policy(b, [allow(["arn:aws:iam:::user/bob"], ["s3:GetObject"], [pol_arn(b, "/*")])])
    s.do("bob GetObject", "bob", "get_object", Bucket=b, Key="k")
    s.do("Bob GetObject (another user)", "Bob", "get_object", Bucket=b, Key="k")
    s.do("mallory GetObject", "mallory", "get_object", Bucket=b, Key="k")
    s.do("bob ListObjects (not granted)", "bob", "list_objects", Bucket=b)
    s.do("bob GetObject missing key (no ListBucket)", "bob", "get_object", Bucket=b, Key="missing")


@case("policy.principal-tenant-user")
def _(s):
    b = s.mkbucket("pten")
    s.put(b, "k")
    s.policy(b, [allow([TINA], ["s3:GetObject", "s3:ListBucket"], [pol_arn(b), pol_arn(b, "/*")])])
    s.raw("tina GET :bucket/k", "tina", "GET", f"/:{b}/k")
    s.raw("tina GET bucket/k (bare: her own tenant's)", "tina", "GET", f"/{b}/k")
    s.raw("tina ListObjects :bucket", "tina", "GET", f"/:{b}/")
    s.do("tina GetObject via boto3 (':' percent-encoded)", "tina", "get_object", Bucket=f":{b}", Key="k")
    s.do("bob GetObject (not named)", "bob", "get_object", Bucket=b, Key="k")


@case("policy.principal-account-arn")
def _(s):
    """bob's fake-s3 account id as the ARN's account: on RGW that field is a tenant (bob is in the default one)."""
    acct = s.account_of["bob"]
    b = s.mkbucket("pacct")
    s.put(b, "k")
    s.policy(b, [allow([f"arn:aws:iam::{acct}:user/bob"], ["s3:GetObject"], [pol_arn(b, "/*")])])
    s.do("bob GetObject", "bob", "get_object", Bucket=b, Key="k")


@case("policy.principal-tenant-user-as-dollar")
def _(s):
    """The RGW user id form `uab$tina` in an ARN instead of the tenant field."""
    b = s.mkbucket("pdollar")
    s.put(b, "k")
    s.policy(b, [allow(["arn:aws:iam:::user/uab$tina"], ["s3:GetObject"], [pol_arn(b, "/*")])])
    s.raw("tina GET :bucket/k", "tina", "GET", f"/:{b}/k")


def validation_case(tag, statements_of, after=None):
    def run(s):
        b = s.mkbucket(tag)
        s.put(b, "k")
        s.policy(b, statements_of(b))
        s.do("GetBucketPolicy after", "pi", "get_bucket_policy", Bucket=b,
             pick=lambda r: {"policy": json.loads(r["Policy"])})
        if after:
            after(s, b)
    return run


case("policy.validate.nonexistent-principal")(validation_case(
    "vnoone", lambda b: [allow(["arn:aws:iam:::user/nosuchuser"], ["s3:GetObject"], [pol_arn(b, "/*")])]))
case("policy.validate.nonexistent-tenant-principal")(validation_case(
    "vnotenant", lambda b: [allow(["arn:aws:iam::nosuchtenant:user/tina"], ["s3:GetObject"], [pol_arn(b, "/*")])]))
case("policy.validate.bare-name-principal")(validation_case(
    "vbare", lambda b: [allow("bob", ["s3:GetObject"], [pol_arn(b, "/*")])],
    after=lambda s, b: s.do("bob GetObject", "bob", "get_object", Bucket=b, Key="k")))
case("policy.validate.account-id-principal")(validation_case(
    "vacct", lambda b: [allow([ACCOUNTS["bob"]], ["s3:GetObject"], [pol_arn(b, "/*")])],
    after=lambda s, b: s.do("bob GetObject", "bob", "get_object", Bucket=b, Key="k")))
case("policy.validate.resource-other-bucket")(validation_case(
    "vother", lambda b: [allow([BOB], ["s3:GetObject"], [pol_arn(b + "-other", "/*")])]))
case("policy.validate.resource-star")(validation_case(
    "vstar", lambda b: [allow([BOB], ["s3:GetObject"], "*")],
    after=lambda s, b: s.do("bob GetObject", "bob", "get_object", Bucket=b, Key="k")))
case("policy.validate.no-resource")(validation_case(
    "vnores", lambda b: [{"Sid": "stmt", "Effect": "Allow", "Principal": {"AWS": [BOB]}, "Action": ["s3:GetObject"]}],
    after=lambda s, b: s.do("bob GetObject", "bob", "get_object", Bucket=b, Key="k")))
case("policy.validate.unknown-action")(validation_case(
    "vact", lambda b: [allow([BOB], ["s3:GetObjectx"], [pol_arn(b, "/*")])]))
case("policy.validate.not-an-s3-action")(validation_case(
    "vnots3", lambda b: [allow([BOB], ["iam:CreateUser"], [pol_arn(b, "/*")])]))
case("policy.validate.empty-statement-list")(validation_case("vempty", lambda b: []))
case("policy.validate.principal-star")(validation_case(
    "vanon", lambda b: [allow("*", ["s3:GetObject"], [pol_arn(b, "/*")])],
    after=lambda s, b: s.do("anonymous GetObject", None, "get_object", Bucket=b, Key="k")))


@case("policy.validate.not-json")
def _(s):
    b = s.mkbucket("vjson")
    s.do("PutBucketPolicy not JSON", "pi", "put_bucket_policy", Bucket=b, Policy="{not json")
    s.do("PutBucketPolicy no Statement", "pi", "put_bucket_policy", Bucket=b, Policy='{"Version": "2012-10-17"}')
    s.do("PutBucketPolicy Version 2008", "pi", "put_bucket_policy", Bucket=b, Policy=json.dumps(
        {"Version": "2008-10-17", "Statement": [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")])]}))
    s.do("PutBucketPolicy Version 2020", "pi", "put_bucket_policy", Bucket=b, Policy=json.dumps(
        {"Version": "2020-01-01", "Statement": [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")])]}))


@case("policy.validate.over-20kb")
def _(s):
    b = s.mkbucket("vbig")
    stmts = [allow([user_arn(f"user{i:04d}")], ["s3:GetObject"], [pol_arn(b, f"/p{i}/*")], sid=f"s{i}") for i in range(200)]
    doc = json.dumps({"Version": "2012-10-17", "Statement": stmts})
    s.rec("policy size", len(doc) > 20480)
    s.do("PutBucketPolicy of > 20 KB", "pi", "put_bucket_policy", Bucket=b, Policy=doc)


@case("policy.condition.s3-prefix")
def _(s):
    b = s.mkbucket("cprefix")
    s.put(b, "data/a")
    s.put(b, "other/b")
    s.policy(b, [allow([BOB], ["s3:ListBucket"], [pol_arn(b)], cond={"StringLike": {"s3:prefix": ["data/*"]}})])
    s.do("bob list prefix=data/", "bob", "list_objects_v2", pick=keys_of, Bucket=b, Prefix="data/")
    s.do("bob list prefix=other/", "bob", "list_objects_v2", Bucket=b, Prefix="other/")
    s.do("bob list no prefix", "bob", "list_objects_v2", Bucket=b)
    s.do("bob list v1 prefix=data/", "bob", "list_objects", pick=keys_of, Bucket=b, Prefix="data/")
    s.policy(b, [allow([BOB], ["s3:ListBucket"], [pol_arn(b)], cond={"StringEquals": {"s3:prefix": "data/"}})],
             step="put policy StringEquals")
    s.do("StringEquals: bob list prefix=data/", "bob", "list_objects_v2", pick=keys_of, Bucket=b, Prefix="data/")
    s.do("StringEquals: bob list prefix=data/x", "bob", "list_objects_v2", Bucket=b, Prefix="data/x")


@case("policy.condition.source-ip")
def _(s):
    b = s.mkbucket("cip")
    s.put(b, "k")
    s.policy(b, [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")], cond={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
                 allow([MALLORY], ["s3:GetObject"], [pol_arn(b, "/*")], sid="m",
                       cond={"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
                 allow([WENDY], ["s3:GetObject"], [pol_arn(b, "/*")], sid="w",
                       cond={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.1/32"]}})])
    s.do("bob (IpAddress 127.0.0.0/8)", "bob", "get_object", Bucket=b, Key="k")
    s.do("mallory (NotIpAddress 127.0.0.0/8)", "mallory", "get_object", Bucket=b, Key="k")
    s.do("wendy (IpAddress [10/8, 127.0.0.1/32])", "wendy", "get_object", Bucket=b, Key="k")
    s.raw("bob with X-Forwarded-For 10.1.1.1", "bob", "GET", f"/{b}/k", headers={"X-Forwarded-For": "10.1.1.1"})


@case("policy.condition.x-amz-acl-allow-only-with")
def _(s):
    """Allow PutObject only with x-amz-acl: bucket-owner-full-control (an Allow's condition)."""
    b = s.mkbucket("caclallow")
    s.policy(b, [allow([BOB], ["s3:PutObject"], [pol_arn(b, "/*")],
                       cond={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})])
    s.do("bob PutObject without x-amz-acl", "bob", "put_object", Bucket=b, Key="a", Body=b"x")
    s.do("bob PutObject x-amz-acl: private", "bob", "put_object", Bucket=b, Key="b", Body=b"x", ACL="private")
    s.do("bob PutObject x-amz-acl: bucket-owner-full-control", "bob", "put_object", Bucket=b, Key="c", Body=b"x",
         ACL="bucket-owner-full-control")
    s.do("pi GetObject c", "pi", "get_object", Bucket=b, Key="c")


@case("policy.condition.x-amz-acl-deny-without")
def _(s):
    """The usual AWS form: Allow PutObject, Deny it when x-amz-acl is not bucket-owner-full-control."""
    b = s.mkbucket("cacldeny")
    s.policy(b, [allow([BOB], ["s3:PutObject"], [pol_arn(b, "/*")]),
                 deny([BOB], ["s3:PutObject"], [pol_arn(b, "/*")],
                      cond={"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})])
    s.do("bob PutObject without x-amz-acl", "bob", "put_object", Bucket=b, Key="a", Body=b"x")
    s.do("bob PutObject x-amz-acl: public-read", "bob", "put_object", Bucket=b, Key="b", Body=b"x", ACL="public-read")
    s.do("bob PutObject x-amz-acl: bucket-owner-full-control", "bob", "put_object", Bucket=b, Key="c", Body=b"x",
         ACL="bucket-owner-full-control")
    s.do("pi GetObject c", "pi", "get_object", Bucket=b, Key="c")


@case("policy.condition.null-false")
def _(s):
    """s3keeper's upload guard: Deny PutObject when {"Null": {"s3:x-amz-grant-read": "false"}} (header present)."""
    b = s.mkbucket("cnullf")
    s.policy(b, [allow([BOB], ["s3:PutObject"], [pol_arn(b, "/*")]),
                 deny([BOB], ["s3:PutObject"], [pol_arn(b, "/*")], cond={"Null": {"s3:x-amz-grant-read": "false"}})])
    s.do("bob PutObject without x-amz-grant-read", "bob", "put_object", Bucket=b, Key="a", Body=b"x")
    s.do("bob PutObject with x-amz-grant-read", "bob", "put_object", Bucket=b, Key="b", Body=b"x",
         GrantRead=f'id="{s.id_of["mallory"]}"')


@case("policy.condition.null-true")
def _(s):
    """Deny PutObject when {"Null": {"s3:x-amz-acl": "true"}} (header absent)."""
    b = s.mkbucket("cnullt")
    s.policy(b, [allow([BOB], ["s3:PutObject"], [pol_arn(b, "/*")]),
                 deny([BOB], ["s3:PutObject"], [pol_arn(b, "/*")], cond={"Null": {"s3:x-amz-acl": "true"}})])
    s.do("bob PutObject without x-amz-acl", "bob", "put_object", Bucket=b, Key="a", Body=b"x")
    s.do("bob PutObject x-amz-acl: private", "bob", "put_object", Bucket=b, Key="b", Body=b"x", ACL="private")


@case("policy.condition.acl-stringlike-public")
def _(s):
    """s3-tests test_bucket_policy_put_obj_acl: Deny when s3:x-amz-acl is like public*."""
    b = s.mkbucket("caclpub")
    s.policy(b, [allow("*", ["s3:PutObject"], [pol_arn(b, "/*")]),
                 deny("*", ["s3:PutObject"], [pol_arn(b, "/*")], cond={"StringLike": {"s3:x-amz-acl": "public*"}})])
    s.do("bob PutObject public-read", "bob", "put_object", Bucket=b, Key="a", Body=b"x", ACL="public-read")
    s.do("bob PutObject", "bob", "put_object", Bucket=b, Key="b", Body=b"x")



@case("policy.condition.x-amz-acl-default")
def _(s):
    """Which value s3:x-amz-acl has for an upload without the header (Allow only when it is "private")."""
    b = s.mkbucket("cacldef")
    s.policy(b, [allow([BOB], ["s3:PutObject"], [pol_arn(b, "/*")], cond={"StringEquals": {"s3:x-amz-acl": "private"}})])
    s.do("bob PutObject without x-amz-acl", "bob", "put_object", Bucket=b, Key="a", Body=b"x")
    s.do("bob PutObject x-amz-acl: private", "bob", "put_object", Bucket=b, Key="b", Body=b"x", ACL="private")


@case("policy.condition.stringlike-star-grant")
def _(s):
    """A portable form of s3keeper's grant guard: Deny when StringLike {"s3:x-amz-grant-read": "*"}."""
    b = s.mkbucket("cstar")
    s.policy(b, [allow([BOB], ["s3:PutObject"], [pol_arn(b, "/*")]),
                 deny([BOB], ["s3:PutObject"], [pol_arn(b, "/*")], cond={"StringLike": {"s3:x-amz-grant-read": "*"}})])
    s.do("bob PutObject without x-amz-grant-read", "bob", "put_object", Bucket=b, Key="a", Body=b"x")
    s.do("bob PutObject with x-amz-grant-read", "bob", "put_object", Bucket=b, Key="b", Body=b"x",
         GrantRead=f'id="{s.id_of["mallory"]}"')


BAD_CANNED = ["public-read", "public-read-write", "authenticated-read", "bucket-owner-read", "aws-exec-read", "log-delivery-write"]


@case("policy.condition.acl-deny-list")
def _(s):
    """A portable form of s3keeper's ACL guard: Deny when s3:x-amz-acl is one of the canned ACLs that share."""
    b = s.mkbucket("cacllist")
    s.policy(b, [allow([BOB], ["s3:PutObject"], [pol_arn(b, "/*")]),
                 deny([BOB], ["s3:PutObject"], [pol_arn(b, "/*")], cond={"StringEquals": {"s3:x-amz-acl": BAD_CANNED}})])
    for acl in (None, "private", "bucket-owner-full-control", "public-read", "authenticated-read"):
        kw = {"ACL": acl} if acl else {}
        s.do(f"bob PutObject x-amz-acl: {acl or '(none)'}", "bob", "put_object", Bucket=b, Key=f"k-{acl}", Body=b"x", **kw)


@case("mpu.member-upload-acl-condition")
def _(s):
    """A writer allowed PutObject only with x-amz-acl: bucket-owner-full-control, uploading in parts."""
    b = s.mkbucket("mpuacl")
    s.policy(b, [allow([WENDY], ["s3:PutObject"], [pol_arn(b, "/*")],
                       cond={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
                 allow([WENDY], ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], [pol_arn(b, "/*")], sid="mpu")])
    up = s.do("wendy CreateMultipartUpload without x-amz-acl", "wendy", "create_multipart_upload", Bucket=b, Key="a")
    up = s.do("wendy CreateMultipartUpload bucket-owner-full-control", "wendy", "create_multipart_upload", Bucket=b, Key="w",
              ACL="bucket-owner-full-control")
    uid = up["UploadId"] if up else "none"
    p = s.do("wendy UploadPart", "wendy", "upload_part", Bucket=b, Key="w", UploadId=uid, PartNumber=1, Body=b"x")
    s.do("wendy Complete", "wendy", "complete_multipart_upload", Bucket=b, Key="w", UploadId=uid,
         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"] if p else '"x"'}]})
    s.do("pi GetObject", "pi", "get_object", Bucket=b, Key="w")
    s.do("pi GetObjectAcl", "pi", "get_object_acl", pick=grants, Bucket=b, Key="w")


@case("policy.deny-overrides-allow")
def _(s):
    b = s.mkbucket("pdeny")
    s.put(b, "k")
    s.put(b, "secret/k")
    s.policy(b, [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")]), deny([BOB], ["s3:GetObject"], [pol_arn(b, "/secret/*")])])
    s.do("bob GetObject k", "bob", "get_object", Bucket=b, Key="k")
    s.do("bob GetObject secret/k", "bob", "get_object", Bucket=b, Key="secret/k")
    s.policy(b, [deny([user_arn("pi")], ["s3:GetObject"], [pol_arn(b, "/*")])], step="put policy denying the owner")
    s.do("pi (owner, denied) GetObject", "pi", "get_object", Bucket=b, Key="k")
    s.do("pi (owner) GetBucketPolicy", "pi", "get_bucket_policy", Bucket=b)


@case("policy.owner-denied-policy-calls")
def _(s):
    """A Deny of the policy calls to the owner: can the owner still change the policy (RGW: policies are S3-only)."""
    b = s.mkbucket("plock")
    s.policy(b, [deny([user_arn("pi")], ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"], [pol_arn(b)])])
    s.do("pi GetBucketPolicy", "pi", "get_bucket_policy", Bucket=b)
    s.do("pi PutBucketPolicy", "pi", "put_bucket_policy", Bucket=b, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")])]}))
    s.do("pi DeleteBucketPolicy", "pi", "delete_bucket_policy", Bucket=b)


@case("policy.roundtrip")
def _(s):
    b = s.mkbucket("pround")
    doc = {"Version": "2012-10-17", "Id": "x", "Statement": [
        {"Sid": "read", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob", TINA]},
         "Action": ["s3:GetObject"], "Resource": [pol_arn(b, "/*")]},
        {"Resource": pol_arn(b), "Action": "s3:ListBucket", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
         "Sid": "list", "Condition": {"StringLike": {"s3:prefix": "data/*"}}}]}
    for label, text in (("compact", json.dumps(doc, separators=(",", ":"))), ("indented", json.dumps(doc, indent=2))):
        s.do(f"{label}: PutBucketPolicy", "pi", "put_bucket_policy", Bucket=b, Policy=text)
        r = s.do(f"{label}: GetBucketPolicy", "pi", "get_bucket_policy", Bucket=b)
        if r:
            s.rec(f"{label}: the text comes back verbatim", r["Policy"] == text)
            s.rec(f"{label}: the JSON comes back equal", json.loads(r["Policy"]) == doc)


@case("policy.delete-status")
def _(s):
    b = s.mkbucket("pdel")
    s.do("GetBucketPolicy without a policy", "pi", "get_bucket_policy", Bucket=b)
    s.do("DeleteBucketPolicy without a policy", "pi", "delete_bucket_policy", Bucket=b)
    s.policy(b, [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")])])
    s.do("DeleteBucketPolicy", "pi", "delete_bucket_policy", Bucket=b)
    s.do("GetBucketPolicy after delete", "pi", "get_bucket_policy", Bucket=b)
    s.do("bob DeleteBucketPolicy (not the owner)", "bob", "delete_bucket_policy", Bucket=b)
    s.do("GetBucketPolicy of a missing bucket", "pi", "get_bucket_policy", Bucket=s.bucket("nosuch"))


# The policy s3keeper share renders (service/src/shares/render.rs), and what each member can do under it.
def s3keeper_policy(b):
    objects = pol_arn(b, "/*")
    uploaders = ["arn:aws:iam:::user/jane@uab.edu", "arn:aws:iam:::user/manny@uab.edu", "arn:aws:iam:::user/wendy"]
    stmts = [
        {"Sid": "list-bucket", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/jane@uab.edu",
                                                                         "arn:aws:iam:::user/manny@uab.edu"]},
         "Action": ["s3:ListBucket"], "Resource": [pol_arn(b)]},
        {"Sid": "list-incoming", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/wendy"]},
         "Action": ["s3:ListBucket"], "Resource": [pol_arn(b)], "Condition": {"StringLike": {"s3:prefix": ["incoming/*"]}}},
        {"Sid": "list-test-folder", "Effect": "Allow", "Principal": {"AWS": [TINA]},
         "Action": ["s3:ListBucket"], "Resource": [pol_arn(b)], "Condition": {"StringLike": {"s3:prefix": ["test_folder/*"]}}},
        {"Sid": "read", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob"]},
         "Action": ["s3:GetObject"], "Resource": [objects]},
        {"Sid": "read-test-folder-jpg", "Effect": "Allow", "Principal": {"AWS": [TINA]},
         "Action": ["s3:GetObject"], "Resource": [pol_arn(b, "/test_folder/*jpg")]},
        {"Sid": "read-write-incoming", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/wendy"]},
         "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
         "Resource": [pol_arn(b, "/incoming/*")]},
        {"Sid": "read-write-delete", "Effect": "Allow",
         "Principal": {"AWS": ["arn:aws:iam:::user/jane@uab.edu", "arn:aws:iam:::user/manny@uab.edu"]},
         "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:DeleteObject"],
         "Resource": [objects]},
        {"Sid": "change-policy", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/jane@uab.edu"]},
         "Action": ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetBucketLocation",
                    "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetLifecycleConfiguration"],
         "Resource": [pol_arn(b)]},
        {"Sid": "no-acl", "Effect": "Deny", "Principal": {"AWS": uploaders},
         "Action": ["s3:PutObjectAcl", "s3:PutObjectVersionAcl"], "Resource": [objects]},
        {"Sid": "no-acl-upload", "Effect": "Deny", "Principal": {"AWS": uploaders}, "Action": ["s3:PutObject"],
         "Resource": [objects], "Condition": {"StringNotEquals": {"s3:x-amz-acl": ["bucket-owner-full-control", "private"]},
                                              "Null": {"s3:x-amz-acl": "false"}}},
    ]
    for key in ("s3:x-amz-grant-full-control", "s3:x-amz-grant-read", "s3:x-amz-grant-read-acp",
                "s3:x-amz-grant-write", "s3:x-amz-grant-write-acp"):
        stmts.append({"Sid": "no-" + key[len("s3:x-amz-"):], "Effect": "Deny", "Principal": {"AWS": uploaders},
                      "Action": ["s3:PutObject"], "Resource": [objects], "Condition": {"Null": {key: "false"}}})
    stmts.append({"Sid": "former-members", "Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam:::user/carl"]},
                  "Action": ["s3:*"], "Resource": [pol_arn(b), objects]})
    return {"Version": "2012-10-17", "Statement": stmts}


@case("share.rendered-policy-roles")
def _(s):
    b = s.mkbucket("share")
    for k in ("data/a.txt", "incoming/seed.txt", "test_folder/pic.jpg", "test_folder/notes.txt"):
        s.put(b, k)
    s.do("PutBucketPolicy (s3keeper's rendering)", "pi", "put_bucket_policy", Bucket=b, Policy=json.dumps(s3keeper_policy(b)))
    s.do("GetBucketAcl (s3keeper: the owner)", "pi", "get_bucket_acl", pick=lambda r: {"owner": r["Owner"]["ID"]}, Bucket=b)
    s.do("reader bob GetObject", "bob", "get_object", Bucket=b, Key="data/a.txt")
    s.do("reader bob ListObjectsV2", "bob", "list_objects_v2", pick=keys_of, Bucket=b)
    s.do("reader bob PutObject", "bob", "put_object", Bucket=b, Key="data/bob", Body=b"x")
    s.do("writer wendy PutObject incoming/ (no ACL header)", "wendy", "put_object", Bucket=b, Key="incoming/w1", Body=b"x")
    s.do("writer wendy PutObject incoming/ x-amz-acl: private", "wendy", "put_object", Bucket=b, Key="incoming/w2",
         Body=b"x", ACL="private")
    s.do("writer wendy PutObject incoming/ x-amz-acl: bucket-owner-full-control", "wendy", "put_object", Bucket=b,
         Key="incoming/w3", Body=b"x", ACL="bucket-owner-full-control")
    s.do("writer wendy PutObject incoming/ x-amz-acl: public-read", "wendy", "put_object", Bucket=b, Key="incoming/w4",
         Body=b"x", ACL="public-read")
    s.do("writer wendy PutObject incoming/ x-amz-grant-read", "wendy", "put_object", Bucket=b, Key="incoming/w5",
         Body=b"x", GrantRead=f'id="{s.id_of["mallory"]}"')
    s.do("writer wendy PutObjectAcl", "wendy", "put_object_acl", Bucket=b, Key="incoming/w3", ACL="public-read")
    s.do("writer wendy PutObject data/", "wendy", "put_object", Bucket=b, Key="data/w", Body=b"x")
    s.do("writer wendy list incoming/", "wendy", "list_objects_v2", pick=keys_of, Bucket=b, Prefix="incoming/")
    s.do("writer wendy list data/", "wendy", "list_objects_v2", Bucket=b, Prefix="data/")
    s.do("owner pi GetObject incoming/w3 (bucket-owner-full-control)", "pi", "get_object", Bucket=b, Key="incoming/w3")
    s.do("manager manny DeleteObject data/a.txt", "manny@uab.edu", "delete_object", Bucket=b, Key="data/a.txt")
    s.do("steward jane GetBucketPolicy", "jane@uab.edu", "get_bucket_policy", Bucket=b)
    s.do("steward jane GetBucketLocation", "jane@uab.edu", "get_bucket_location", Bucket=b)
    s.do("steward jane GetBucketAcl", "jane@uab.edu", "get_bucket_acl", Bucket=b)
    s.do("steward jane GetBucketCors", "jane@uab.edu", "get_bucket_cors", Bucket=b)
    s.do("steward jane GetBucketLifecycleConfiguration", "jane@uab.edu", "get_bucket_lifecycle_configuration", Bucket=b)
    s.raw("tenant tina GET :b/test_folder/pic.jpg", "tina", "GET", f"/:{b}/test_folder/pic.jpg")
    s.raw("tenant tina GET :b/test_folder/notes.txt", "tina", "GET", f"/:{b}/test_folder/notes.txt")
    s.raw("tenant tina list :b prefix test_folder/", "tina", "GET", f"/:{b}/", query="list-type=2&prefix=test_folder%2F")
    s.do("former member carl GetObject", "carl", "get_object", Bucket=b, Key="data/a.txt")
    s.do("outsider mallory GetObject", "mallory", "get_object", Bucket=b, Key="incoming/seed.txt")
    s.do("steward jane PutBucketPolicy", "jane@uab.edu", "put_bucket_policy", Bucket=b, Policy=json.dumps(s3keeper_policy(b)))
    s.do("steward jane DeleteBucketPolicy", "jane@uab.edu", "delete_bucket_policy", Bucket=b)


def candidate_policy(b):
    """s3keeper's rendering with upload guards that also hold on RGW 16.2 (whose `Null` operator is
    true whenever the key is absent, whatever the value): StringLike "*" for the grant headers, the
    sharing canned ACLs listed for x-amz-acl; and uploads must give the owner full control."""
    p = s3keeper_policy(b)
    uploaders = ["arn:aws:iam:::user/jane@uab.edu", "arn:aws:iam:::user/manny@uab.edu", "arn:aws:iam:::user/wendy"]
    out = []
    for st in p["Statement"]:
        if st["Sid"] == "no-acl-upload":
            st = dict(st, Condition={"StringEquals": {"s3:x-amz-acl": BAD_CANNED}})
        elif st["Sid"].startswith("no-grant"):
            key = next(iter(st["Condition"]["Null"]))
            st = dict(st, Condition={"StringLike": {key: "*"}})
        out.append(st)
    out.append({"Sid": "owner-reads-uploads", "Effect": "Deny", "Principal": {"AWS": uploaders}, "Action": ["s3:PutObject"],
                "Resource": [pol_arn(b, "/*")], "Condition": {"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}})
    return {"Version": "2012-10-17", "Statement": out}


@case("share.candidate-guards")
def _(s):
    """What the writer role could render instead, checked on both: uploads with bucket-owner-full-control only."""
    b = s.mkbucket("cand")
    s.do("PutBucketPolicy (candidate rendering)", "pi", "put_bucket_policy", Bucket=b, Policy=json.dumps(candidate_policy(b)))
    for acl in (None, "private", "bucket-owner-full-control", "public-read"):
        kw = {"ACL": acl} if acl else {}
        s.do(f"writer wendy PutObject x-amz-acl: {acl or '(none)'}", "wendy", "put_object", Bucket=b, Key=f"incoming/{acl}",
             Body=b"x", **kw)
    s.do("writer wendy PutObject bucket-owner-full-control + x-amz-grant-read", "wendy", "put_object", Bucket=b,
         Key="incoming/g", Body=b"x", ACL="bucket-owner-full-control", GrantRead=f'id="{s.id_of["mallory"]}"')
    s.do("owner pi GetObject of the bucket-owner-full-control upload", "pi", "get_object", Bucket=b,
         Key="incoming/bucket-owner-full-control")
    s.do("writer wendy CreateMultipartUpload (none)", "wendy", "create_multipart_upload", Bucket=b, Key="incoming/mpu0")
    up = s.do("writer wendy CreateMultipartUpload bucket-owner-full-control", "wendy", "create_multipart_upload", Bucket=b,
              Key="incoming/mpu", ACL="bucket-owner-full-control")
    uid = up["UploadId"] if up else "none"
    p = s.do("writer wendy UploadPart", "wendy", "upload_part", Bucket=b, Key="incoming/mpu", UploadId=uid, PartNumber=1, Body=b"x")
    s.do("writer wendy Complete", "wendy", "complete_multipart_upload", Bucket=b, Key="incoming/mpu", UploadId=uid,
         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"] if p else '"x"'}]})
    s.do("owner pi GetObject of the multipart upload", "pi", "get_object", Bucket=b, Key="incoming/mpu")
    s.do("manager manny PutObject bucket-owner-full-control", "manny@uab.edu", "put_object", Bucket=b, Key="m",
         Body=b"x", ACL="bucket-owner-full-control")
    s.do("steward jane PutObject (none)", "jane@uab.edu", "put_object", Bucket=b, Key="j", Body=b"x")


@case("share.probe-deny-unknown-principal")
def _(s):
    """s3keeper's probe: the live policy plus a Deny naming a user who may not exist, on an unused key."""
    b = s.mkbucket("probe")
    base = [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")], sid="read")]
    s.policy(b, base, step="put live policy")
    probe = base + [deny(["arn:aws:iam:::user/nosuchuser"], "s3:GetObject", pol_arn(b, "/.s3keeper-principal-check"),
                         sid="s3keeper-principal-check")]
    s.policy(b, probe, step="put probe (nosuchuser)")
    probe2 = base + [deny(["arn:aws:iam:::user/mallory"], "s3:GetObject", pol_arn(b, "/.s3keeper-principal-check"),
                          sid="s3keeper-principal-check")]
    s.policy(b, probe2, step="put probe (mallory, exists)")


@case("share.bucket-calls")
def _(s):
    """What s3keeper (ensure_bucket, lockout, report) and s3cmd info ask of a bucket."""
    b = s.mkbucket("calls")
    s.do("pi CreateBucket again (own)", "pi", "create_bucket", Bucket=b)
    s.do("bob CreateBucket of pi's name", "bob", "create_bucket", Bucket=b)
    s.do("HeadBucket", "pi", "head_bucket", Bucket=b)
    s.do("bob HeadBucket", "bob", "head_bucket", Bucket=b)
    s.do("HeadBucket missing", "pi", "head_bucket", Bucket=s.bucket("nosuch"))
    s.do("GetBucketLocation", "pi", "get_bucket_location", pick=lambda r: {"loc": r.get("LocationConstraint")}, Bucket=b)
    s.do("GetBucketCors none", "pi", "get_bucket_cors", Bucket=b)
    s.do("GetBucketLifecycleConfiguration none", "pi", "get_bucket_lifecycle_configuration", Bucket=b)
    s.do("GetBucketVersioning new", "pi", "get_bucket_versioning", pick=lambda r: {"st": r.get("Status")}, Bucket=b)
    s.do("GetPublicAccessBlock new", "pi", "get_public_access_block", Bucket=b,
         pick=lambda r: {"config": r.get("PublicAccessBlockConfiguration")})
    s.do("GetBucketOwnershipControls new", "pi", "get_bucket_ownership_controls", Bucket=b,
         pick=lambda r: {"rules": r.get("OwnershipControls", {}).get("Rules")})
    s.do("ListBuckets has it", "pi", "list_buckets", pick=lambda r: {"has": b in [x["Name"] for x in r["Buckets"]]})
    s.do("ListObjectsV2 prefix (demo)", "pi", "list_objects_v2", pick=keys_of, Bucket=b, Prefix="x/")
    s.do("bob ListObjectsV2 (no grant)", "bob", "list_objects_v2", Bucket=b)
    s.do("CreateBucket invalid name", "pi", "create_bucket", Bucket="Bad_Name")
    s.do("DeleteBucket", "pi", "delete_bucket", Bucket=b)
    s.do("DeleteBucket again", "pi", "delete_bucket", Bucket=b)


# Tenants ---------------------------------------------------------------------------------------------------

@case("tenant.namespaces")
def _(s):
    b = s.bucket("ten")
    s.do("pi CreateBucket b", "pi", "create_bucket", Bucket=b)
    s.do("tina CreateBucket b (her tenant)", "tina", "create_bucket", Bucket=b)
    s.put(b, "pi.txt", "pi", body=b"pi's")
    s.put(b, "tina.txt", "tina", body=b"tina's")
    s.do("pi lists b", "pi", "list_objects", pick=keys_of, Bucket=b)
    s.do("tina lists b", "tina", "list_objects", pick=keys_of, Bucket=b)
    s.do("tina ListBuckets names", "tina", "list_buckets",
         pick=lambda r: {"names": sorted(x["Name"] for x in r["Buckets"] if x["Name"].startswith(PREFIX))})
    s.raw("pi GET uab:b/tina.txt (no grant)", "pi", "GET", f"/uab:{b}/tina.txt")
    s.raw("tina GET :b/pi.txt (no grant)", "tina", "GET", f"/:{b}/pi.txt")
    s.do("tina PutBucketPolicy on her b for pi", "tina", "put_bucket_policy", Bucket=b, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow([user_arn("pi")], ["s3:GetObject"], [f"arn:aws:s3::uab:{b}/*"])]}))
    s.do("tina PutBucketPolicy (bare bucket ARN)", "tina", "put_bucket_policy", Bucket=b, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow([user_arn("pi")], ["s3:GetObject"], [pol_arn(b, "/*")])]}))
    s.raw("pi GET uab:b/tina.txt (granted)", "pi", "GET", f"/uab:{b}/tina.txt",
          pick=lambda r: {"body": r.text if r.status_code == 200 else None})
    s.raw("pi GET :b/pi.txt (own, explicit default tenant)", "pi", "GET", f"/:{b}/pi.txt",
          pick=lambda r: {"body": r.text if r.status_code == 200 else None})
    s.raw("pi PUT uab:newbucket (create in another tenant)", "pi", "PUT", f"/uab:{s.bucket('tenx')}")
    s.raw("tina PUT :newbucket (create in the default tenant)", "tina", "PUT", f"/:{s.bucket('teny')}")
    s.raw("tina copy :b/pi.txt -> her b (no grant)", "tina", "PUT", f"/{b}/copied.txt",
          headers={"x-amz-copy-source": f":{b}/pi.txt"})
    s.policy(b, [allow([TINA], ["s3:GetObject"], [pol_arn(b, "/*")])], step="pi grants tina GetObject")
    s.raw("tina GET :b/pi.txt (granted)", "tina", "GET", f"/:{b}/pi.txt")
    s.raw("tina copy :b/pi.txt -> her b (granted)", "tina", "PUT", f"/{b}/copied.txt",
          headers={"x-amz-copy-source": f":{b}/pi.txt"})
    s.raw("tina copy %3Ab/pi.txt -> her b (granted, encoded)", "tina", "PUT", f"/{b}/copied2.txt",
          headers={"x-amz-copy-source": f"%3A{b}/pi.txt"})
    s.do("tina GetObject copied.txt", "tina", "get_object", pick=body_of, Bucket=b, Key="copied.txt")
    s.raw("pi copy uab:b/tina.txt -> his b (tina's policy lets him read)", "pi", "PUT", f"/{b}/from-tina.txt",
          headers={"x-amz-copy-source": f"uab:{b}/tina.txt"})
    s.raw("pi copy pi.txt -> uab:b (no grant to write there)", "pi", "PUT", f"/uab:{b}/from-pi.txt",
          headers={"x-amz-copy-source": f"{b}/pi.txt"})
    s.raw("anonymous GET :b/pi.txt", None, "GET", f"/:{b}/pi.txt")


# Errors ----------------------------------------------------------------------------------------------------

def error_shape(r):
    f = xml_fields(r.content) if r.content.startswith(b"<") else {"_root": None}
    return {"root": f.get("_root"), "fields": sorted(k for k in f if k != "_root"),
            "message_empty": not f.get("Message"), "message": f.get("Message"),
            "bucket_name_field": f.get("BucketName"), "content_type": r.headers.get("Content-Type", "").split(";")[0]}


@case("error.body-shape")
def _(s):
    b = s.mkbucket("errs")
    s.put(b, "k")
    s.raw("NoSuchKey", "pi", "GET", f"/{b}/missing", pick=error_shape)
    s.raw("NoSuchBucket", "pi", "GET", f"/{s.bucket('nosuch')}/k", pick=error_shape)
    s.raw("AccessDenied (mallory)", "mallory", "GET", f"/{b}/k", pick=error_shape)
    s.raw("AccessDenied (anonymous)", None, "GET", f"/{b}/k", pick=error_shape)
    s.raw("NoSuchBucketPolicy", "pi", "GET", f"/{b}", query="policy=", pick=error_shape)
    s.raw("HEAD NoSuchKey (no body)", "pi", "HEAD", f"/{b}/missing", pick=lambda r: {"len": len(r.content)})
    s.raw("SignatureDoesNotMatch", None, "GET", f"/{b}/k",
          headers=sign_v4_headers("GET", s.url(f"/{b}/k"), {}, b"", s.users["pi"][0], "wrong-secret"),
          pick=lambda r: {k: v for k, v in error_shape(r).items() if k != "message"})
    s.raw("InvalidAccessKeyId", None, "GET", f"/{b}/k",
          headers=sign_v4_headers("GET", s.url(f"/{b}/k"), {}, b"", "NOSUCHKEY0000000000", "x"),
          pick=lambda r: {k: v for k, v in error_shape(r).items() if k != "message"})


# POST object forms -----------------------------------------------------------------------------------------

def post_form(s, user, b, fields, conditions=None, expires_in=3600, sign=True, v2=False, drop=()):
    """Fields for a browser POST signed as `user` (SigV4 unless v2)."""
    ak, sk, _ = s.users[user]
    now = datetime.datetime.now(datetime.timezone.utc)
    exp = (now + datetime.timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%SZ")
    form = dict(fields)
    if v2:
        conds = conditions if conditions is not None else [{"bucket": b}, ["starts-with", "$key", ""]] + \
            [{k: v} for k, v in fields.items() if k not in ("key",)]
        policy = base64.b64encode(json.dumps({"expiration": exp, "conditions": conds}).encode()).decode()
        form.update({"AWSAccessKeyId": ak, "policy": policy})
        if sign:
            form["signature"] = base64.b64encode(hmac.new(sk.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    else:
        date = now.strftime("%Y%m%d")
        cred = f"{ak}/{date}/{REGION}/s3/aws4_request"
        amz = {"x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": cred, "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ")}
        conds = conditions if conditions is not None else [{"bucket": b}, ["starts-with", "$key", ""]] + \
            [{k: v} for k, v in list(fields.items()) + list(amz.items()) if k != "key"]
        policy = base64.b64encode(json.dumps({"expiration": exp, "conditions": conds}).encode()).decode()
        form.update(amz)
        form["policy"] = policy
        if sign:
            form["x-amz-signature"] = hmac.new(_signing_key(sk, date), policy.encode(), hashlib.sha256).hexdigest()
    for d in drop:
        form.pop(d, None)
    return form


def post(s, step, b, form, body=b"post body", pick=None):
    try:
        r = s.http.post(s.url(f"/{b}"), data=form, headers={"Connection": "close"}, files={"file": ("f.txt", body, "text/plain")}, timeout=TIMEOUT,
                        allow_redirects=False)
    except requests.RequestException as e:
        s.rec(step, {"error": type(e).__name__})
        return None
    s.rec(step, s.answer(r, pick))
    return r


@case("post.success-codes")
def _(s):
    b = s.mkbucket("post")
    post(s, "signed POST (default 204)", b, post_form(s, "pi", b, {"key": "a.txt"}), pick=lambda r: {"len": len(r.content)})
    post(s, "success_action_status 201", b, post_form(s, "pi", b, {"key": "b.txt", "success_action_status": "201"}),
         pick=lambda r: {"xml": sorted(k for k in xml_fields(r.content) if k != "_root"),
                         "root": xml_fields(r.content).get("_root")})
    post(s, "success_action_status 200", b, post_form(s, "pi", b, {"key": "c.txt", "success_action_status": "200"}),
         pick=lambda r: {"len": len(r.content)})
    post(s, "success_action_status 404 (invalid: 204)", b,
         post_form(s, "pi", b, {"key": "d.txt", "success_action_status": "404"}), pick=lambda r: {"len": len(r.content)})
    s.do("GetObject a.txt", "pi", "get_object", pick=body_of, Bucket=b, Key="a.txt")
    post(s, "${filename} key", b, post_form(s, "pi", b, {"key": "up/${filename}"}, conditions=None))
    s.do("HeadObject up/f.txt", "pi", "head_object", Bucket=b, Key="up/f.txt")


@case("post.redirect")
def _(s):
    b = s.mkbucket("postredir")
    r = post(s, "success_action_redirect", b,
             post_form(s, "pi", b, {"key": "r.txt", "success_action_redirect": "http://example.invalid/done"}),
             pick=lambda r: {"location_prefix": r.headers.get("Location", "").split("?")[0]})
    if r is not None:
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers.get("Location", "")).query)
        s.rec("redirect query fields", sorted(q))


@case("post.anonymous-public-bucket")
def _(s):
    b = s.mkbucket("postanon", ACL="public-read-write")
    post(s, "anonymous POST (no policy)", b, {"key": "anon.txt", "acl": "public-read", "Content-Type": "text/plain"})
    s.do("anonymous GetObject", None, "get_object", pick=body_of, Bucket=b, Key="anon.txt")
    b2 = s.mkbucket("postpriv")
    post(s, "anonymous POST to a private bucket", b2, {"key": "anon.txt"})


@case("post.validation")
def _(s):
    b = s.mkbucket("postval")
    post(s, "v4 missing x-amz-signature", b, post_form(s, "pi", b, {"key": "a"}, sign=False))
    post(s, "v2 missing signature (s3-tests)", b,
         post_form(s, "pi", b, {"key": "a", "acl": "private", "Content-Type": "text/plain"}, v2=True, sign=False))
    post(s, "v2 signed", b, post_form(s, "pi", b, {"key": "v2.txt"}, v2=True))
    post(s, "v2 empty conditions [{}] (s3-tests)", b,
         post_form(s, "pi", b, {"key": "foo.txt", "acl": "private", "Content-Type": "text/plain"}, v2=True, conditions=[{}]))
    post(s, "v4 empty conditions []", b, post_form(s, "pi", b, {"key": "e.txt"}, conditions=[]))
    post(s, "v4 expired policy", b, post_form(s, "pi", b, {"key": "x.txt"}, expires_in=-60))
    post(s, "v4 key outside starts-with", b, post_form(s, "pi", b, {"key": "other/x"},
                                                       conditions=[{"bucket": b}, ["starts-with", "$key", "up/"]]))
    post(s, "v4 content-length-range exceeded", b, post_form(
        s, "pi", b, {"key": "big"}, conditions=[{"bucket": b}, ["starts-with", "$key", ""], ["content-length-range", 0, 3]]))
    post(s, "v4 bad signature", b, dict(post_form(s, "pi", b, {"key": "bad"}), **{"x-amz-signature": "0" * 64}))
    post(s, "v4 as mallory into pi's bucket", b, post_form(s, "mallory", b, {"key": "m.txt"}))


@case("post.dates-and-buckets")
def _(s):
    """Issue 21: a malformed policy expiration or x-amz-date, a form signed for another bucket."""
    b = s.mkbucket("postdate")
    form = post_form(s, "pi", b, {"key": "e.txt"})
    ak, sk, _ = s.users["pi"]
    date = form["x-amz-credential"].split("/")[1]
    for exp in ("2100-01-01 00:00:00", "2100-01-01", "2100-01-01 00:00:00.123456", "2100-01-01T00:00:00"):
        policy = json.loads(base64.b64decode(form["policy"]))
        policy["expiration"] = exp
        f = dict(form, policy=base64.b64encode(json.dumps(policy).encode()).decode())
        f["x-amz-signature"] = hmac.new(_signing_key(sk, date), f["policy"].encode(), hashlib.sha256).hexdigest()
        post(s, f"expiration {exp!r}", b, f)
    conds = lambda amz: [{"bucket": b}, ["starts-with", "$key", ""], {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                         {"x-amz-credential": form["x-amz-credential"]}, {"x-amz-date": amz}]
    for label, amz in (("x-amz-date malformed", "yesterday"), ("x-amz-date another day", "20010101T000000Z")):
        f = post_form(s, "pi", b, {"key": "d.txt"}, conditions=conds(amz))
        f["x-amz-date"] = amz
        post(s, label, b, f)
    other = s.mkbucket("postother")
    post(s, "form signed for another bucket", b, post_form(s, "pi", other, {"key": "o.txt"}))
    s.do("HeadObject o.txt", "pi", "head_object", Bucket=b, Key="o.txt")


@case("post.anonymous-policy")
def _(s):
    """Issue 21: an anonymous form into a bucket whose policy lets anyone put."""
    b = s.mkbucket("postpol")
    s.policy(b, [allow("*", ["s3:PutObject"], [pol_arn(b, "/*")])])
    post(s, "anonymous POST, policy allows PutObject", b, {"key": "anon.txt"})
    s.do("owner HeadObject anon.txt", "pi", "head_object", Bucket=b, Key="anon.txt")


# Presigned URLs --------------------------------------------------------------------------------------------

@case("presign.expiry")
def _(s):
    b = s.mkbucket("presign")
    s.put(b, "k", body=b"presigned")
    ak, sk, _ = s.users["pi"]
    url = s.url(f"/{b}/k")
    now = datetime.datetime.now(datetime.timezone.utc)
    for label, exp, when in (("expires 60", 60, None), ("expires 0", 0, None), ("expires -1", -1, None),
                             ("expires 604800", 604800, None), ("expires 604801", 604801, None),
                             ("expired (signed 2 h ago, 60 s)", 60, now - datetime.timedelta(hours=2)),
                             ("signed 1 h in the future", 60, now + datetime.timedelta(hours=1)),
                             ("signed 8 days ago, 604800 s", 604800, now - datetime.timedelta(days=8))):
        r = s.http.get(presign_v4("GET", url, ak, sk, exp, when), timeout=TIMEOUT)
        s.rec(label, s.answer(r))
    r = s.http.get(presign_v4("GET", url, ak, "wrong", 60), timeout=TIMEOUT)
    s.rec("bad signature", s.answer(r))
    mal = s.users["mallory"]
    s.rec("mallory's URL for pi's object", s.answer(s.http.get(presign_v4("GET", url, mal[0], mal[1], 60), timeout=TIMEOUT)))
    put = presign_v4("PUT", s.url(f"/{b}/put"), ak, sk, 60)
    s.rec("presigned PUT", s.answer(s.http.put(put, data=b"via url", headers={"Connection": "close"}, timeout=TIMEOUT)))
    s.do("GetObject of it", "pi", "get_object", pick=body_of, Bucket=b, Key="put")
    boto = s.clients["pi"].generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=30)
    s.rec("boto3 presigned GET", s.answer(s.http.get(boto, timeout=TIMEOUT)))


@case("presign.gone")
def _(s):
    """Issue 21: signed URLs of a deleted object and bucket, by the owner and by a user the policy lets only
    read; an expired presigned PUT (s3-tests test_object_raw_put_authenticated_expired)."""
    b = s.mkbucket("presgone")
    s.put(b, "k", body=b"gone soon")
    s.policy(b, [allow(user_arn("mallory"), ["s3:GetObject"], [pol_arn(b, "/*")])])
    url = s.url(f"/{b}/k")
    urls = {u: presign_v4("GET", url, s.users[u][0], s.users[u][1], 600) for u in ("pi", "mallory")}
    for u, signed in urls.items():
        s.rec(f"{u}: before", s.answer(s.http.get(signed, timeout=TIMEOUT)))
    now = datetime.datetime.now(datetime.timezone.utc)
    ak, sk, _ = s.users["pi"]
    for label, exp, when in (("PUT signed 2 min ago for 60 s", 60, now - datetime.timedelta(minutes=2)),
                             ("PUT expires -1000", -1000, None), ("PUT expires 0", 0, None)):
        put = presign_v4("PUT", s.url(f"/{b}/late"), ak, sk, exp, when)
        s.rec(label, s.answer(s.http.put(put, data=b"late", headers={"Connection": "close"}, timeout=TIMEOUT)))
    s.do("HeadObject late", "pi", "head_object", Bucket=b, Key="late")
    s.do("setup: delete k", "pi", "delete_object", Bucket=b, Key="k")
    for u, signed in urls.items():
        s.rec(f"{u}: object gone", s.answer(s.http.get(signed, timeout=TIMEOUT)))
    s.do("setup: delete policy", "pi", "delete_bucket_policy", Bucket=b)
    s.do("setup: delete bucket", "pi", "delete_bucket", Bucket=b)
    for u, signed in urls.items():
        s.rec(f"{u}: bucket gone", s.answer(s.http.get(signed, timeout=TIMEOUT)))


@case("get.response-overrides")
def _(s):
    """s3-tests test_object_raw_response_headers, signed and presigned."""
    b = s.mkbucket("overrides")
    s.put(b, "foo")
    hdrs = lambda r: {h: r["ResponseMetadata"]["HTTPHeaders"].get(h) for h in
                      ("content-type", "content-disposition", "content-encoding", "content-language", "cache-control", "expires")}
    s.do("GetObject with response-* overrides", "pi", "get_object", pick=hdrs, Bucket=b, Key="foo",
         ResponseCacheControl="no-cache", ResponseContentDisposition="bla", ResponseContentEncoding="aaa",
         ResponseContentLanguage="esperanto", ResponseContentType="foo/bar", ResponseExpires="123")
    s.do("anonymous override on a public object", None, "get_object", Bucket=b, Key="foo", ResponseContentType="foo/bar")
    s.put(b, "pub", ACL="public-read")
    s.do("anonymous override on a public-read object", None, "get_object", Bucket=b, Key="pub", ResponseContentType="foo/bar",
         pick=lambda r: {"ct": r["ResponseMetadata"]["HTTPHeaders"].get("content-type")})


# Listing ---------------------------------------------------------------------------------------------------

@case("list.return-data")
def _(s):
    """s3-tests test_bucket_list_return_data and friends."""
    b = s.mkbucket("listing")
    for k in ("bar", "baz", "foo", "dir/a", "dir/b", "sp ace", "uni-é"):
        s.put(b, k, body=k.encode())
    heads = {k: s.clients["pi"].head_object(Bucket=b, Key=k) for k in ("bar", "baz", "foo")}

    def v1(r):
        out = []
        for o in r.get("Contents", []):
            h = heads.get(o["Key"])
            out.append({"key": o["Key"], "size": o["Size"], "owner": o.get("Owner", {}).get("ID"),
                        "display": o.get("Owner", {}).get("DisplayName"), "class": o.get("StorageClass"),
                        "etag_matches_head": (o["ETag"] == h["ETag"]) if h else None,
                        "mtime_matches_head": (o["LastModified"].replace(microsecond=0) == h["LastModified"]) if h else None})
        return {"contents": out, "prefixes": [p["Prefix"] for p in r.get("CommonPrefixes", [])]}
    s.do("ListObjects v1", "pi", "list_objects", pick=v1, Bucket=b)
    s.do("ListObjects v1 delimiter /", "pi", "list_objects", pick=keys_of, Bucket=b, Delimiter="/")
    s.do("ListObjectsV2 (no FetchOwner)", "pi", "list_objects_v2",
         pick=lambda r: {"owners": [o.get("Owner") for o in r.get("Contents", [])][:1], "count": r.get("KeyCount")}, Bucket=b)
    s.do("ListObjectsV2 FetchOwner", "pi", "list_objects_v2",
         pick=lambda r: {"owners": sorted({o.get("Owner", {}).get("ID") for o in r.get("Contents", [])})}, Bucket=b, FetchOwner=True)
    s.do("ListObjectsV2 MaxKeys 2", "pi", "list_objects_v2",
         pick=lambda r: {**keys_of(r), "trunc": r.get("IsTruncated"), "next": bool(r.get("NextContinuationToken"))},
         Bucket=b, MaxKeys=2)
    s.do("ListObjectsV2 MaxKeys 0", "pi", "list_objects_v2", pick=lambda r: {**keys_of(r), "trunc": r.get("IsTruncated")},
         Bucket=b, MaxKeys=0)
    s.do("ListObjectsV2 StartAfter foo", "pi", "list_objects_v2", pick=keys_of, Bucket=b, StartAfter="foo")
    s.do("ListObjects v1 Marker baz MaxKeys 1", "pi", "list_objects",
         pick=lambda r: {**keys_of(r), "trunc": r.get("IsTruncated"), "next": r.get("NextMarker")}, Bucket=b, Marker="baz", MaxKeys=1)
    s.raw("ListObjectsV2 encoding-type=url", "pi", "GET", f"/{b}/", query="list-type=2&encoding-type=url",
          pick=lambda r: {"keys": re.findall(r"<Key>([^<]*)</Key>", r.text)})
    s.do("ListObjectVersions (unversioned)", "pi", "list_object_versions",
         pick=lambda r: {"versions": sorted((v["Key"], v["VersionId"]) for v in r.get("Versions", []))[:2]}, Bucket=b)


# Multipart -------------------------------------------------------------------------------------------------

def mpu_parts(r):
    return {"parts": [(p["PartNumber"], p["Size"]) for p in r.get("Parts", [])]}


@case("mpu.small")
def _(s):
    """s3-tests test_multipart_upload_small: one 1-byte part, and completing twice."""
    b = s.mkbucket("mpusmall")
    up = s.do("CreateMultipartUpload", "pi", "create_multipart_upload", Bucket=b, Key="one")
    uid = up["UploadId"] if up else "none"
    p1 = s.do("UploadPart 1 (1 byte)", "pi", "upload_part", Bucket=b, Key="one", UploadId=uid, PartNumber=1, Body=b"x")
    parts = [{"PartNumber": 1, "ETag": p1["ETag"] if p1 else '"x"'}]
    s.do("CompleteMultipartUpload", "pi", "complete_multipart_upload", Bucket=b, Key="one", UploadId=uid,
         MultipartUpload={"Parts": parts})
    s.do("GetObject", "pi", "get_object", pick=lambda r: {"len": r["ContentLength"], "etag_suffix": r["ETag"].strip('"')[-2:]},
         Bucket=b, Key="one")
    s.do("CompleteMultipartUpload again", "pi", "complete_multipart_upload", Bucket=b, Key="one", UploadId=uid,
         MultipartUpload={"Parts": parts})
    up = s.do("CreateMultipartUpload (two small parts)", "pi", "create_multipart_upload", Bucket=b, Key="two")
    uid = up["UploadId"] if up else "none"
    e1 = s.do("UploadPart 1 (1 byte)", "pi", "upload_part", Bucket=b, Key="two", UploadId=uid, PartNumber=1, Body=b"a")
    e2 = s.do("UploadPart 2 (1 byte)", "pi", "upload_part", Bucket=b, Key="two", UploadId=uid, PartNumber=2, Body=b"b")
    s.do("CompleteMultipartUpload two 1-byte parts", "pi", "complete_multipart_upload", Bucket=b, Key="two", UploadId=uid,
         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1["ETag"] if e1 else ""},
                                    {"PartNumber": 2, "ETag": e2["ETag"] if e2 else ""}]})
    s.do("CompleteMultipartUpload no parts", "pi", "complete_multipart_upload", Bucket=b, Key="two", UploadId=uid,
         MultipartUpload={"Parts": []})


@case("mpu.resend-part")
def _(s):
    """s3-tests test_multipart_upload_resend_part: part 2 sent again with other bytes."""
    b = s.mkbucket("mpuresend")
    big = 5 * 1024 * 1024
    up = s.do("CreateMultipartUpload", "pi", "create_multipart_upload", Bucket=b, Key="k")
    uid = up["UploadId"] if up else "none"
    e1 = s.do("UploadPart 1 (5 MiB)", "pi", "upload_part", Bucket=b, Key="k", UploadId=uid, PartNumber=1, Body=b"a" * big)
    e2a = s.do("UploadPart 2", "pi", "upload_part", Bucket=b, Key="k", UploadId=uid, PartNumber=2, Body=b"first")
    e2b = s.do("UploadPart 2 again (other bytes)", "pi", "upload_part", Bucket=b, Key="k", UploadId=uid, PartNumber=2,
               Body=b"second!")
    s.do("ListParts", "pi", "list_parts", pick=mpu_parts, Bucket=b, Key="k", UploadId=uid)
    etag = lambda r: r["ETag"] if r else '"none"'
    s.do("Complete with the first part-2 ETag", "pi", "complete_multipart_upload", Bucket=b, Key="k", UploadId=uid,
         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag(e1)}, {"PartNumber": 2, "ETag": etag(e2a)}]})
    s.do("Complete out of order", "pi", "complete_multipart_upload", Bucket=b, Key="k", UploadId=uid,
         MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": etag(e2b)}, {"PartNumber": 1, "ETag": etag(e1)}]})
    s.do("Complete with the latest", "pi", "complete_multipart_upload", Bucket=b, Key="k", UploadId=uid,
         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag(e1)}, {"PartNumber": 2, "ETag": etag(e2b)}]})
    s.do("GetObject tail", "pi", "get_object", pick=lambda r: {"tail": r["Body"].read()[-7:].decode(), "len": r["ContentLength"]},
         Bucket=b, Key="k")


@case("mpu.copy-ranges")
def _(s):
    """s3-tests test_multipart_copy_invalid_range / _without_range."""
    b = s.mkbucket("mpucopy")
    s.put(b, "src", body=b"0123456789")
    up = s.do("CreateMultipartUpload", "pi", "create_multipart_upload", Bucket=b, Key="dst")
    uid = up["UploadId"] if up else "none"
    src = {"Bucket": b, "Key": "src"}
    s.do("UploadPartCopy bytes=0-21 (past the end)", "pi", "upload_part_copy", Bucket=b, Key="dst", UploadId=uid, PartNumber=1,
         CopySource=src, CopySourceRange="bytes=0-21")
    s.do("UploadPartCopy bytes=5-2 (reversed)", "pi", "upload_part_copy", Bucket=b, Key="dst", UploadId=uid, PartNumber=1,
         CopySource=src, CopySourceRange="bytes=5-2")
    s.do("UploadPartCopy bad syntax", "pi", "upload_part_copy", Bucket=b, Key="dst", UploadId=uid, PartNumber=1,
         CopySource=src, CopySourceRange="0-3")
    r = s.do("UploadPartCopy bytes=0-3", "pi", "upload_part_copy", Bucket=b, Key="dst", UploadId=uid, PartNumber=1,
             CopySource=src, CopySourceRange="bytes=0-3")
    r2 = s.do("UploadPartCopy without range", "pi", "upload_part_copy", Bucket=b, Key="dst", UploadId=uid, PartNumber=2,
              CopySource=src)
    s.do("ListParts", "pi", "list_parts", pick=mpu_parts, Bucket=b, Key="dst", UploadId=uid)
    if r and r2:
        s.do("Complete", "pi", "complete_multipart_upload", Bucket=b, Key="dst", UploadId=uid,
             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["CopyPartResult"]["ETag"]},
                                        {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    s.do("GetObject", "pi", "get_object", pick=body_of, Bucket=b, Key="dst")


@case("mpu.abort-and-list")
def _(s):
    b = s.mkbucket("mpuabort")
    up = s.do("CreateMultipartUpload", "pi", "create_multipart_upload", Bucket=b, Key="k")
    uid = up["UploadId"] if up else "none"
    s.do("UploadPart 1", "pi", "upload_part", Bucket=b, Key="k", UploadId=uid, PartNumber=1, Body=b"x")
    s.do("UploadPart 10001", "pi", "upload_part", Bucket=b, Key="k", UploadId=uid, PartNumber=10001, Body=b"x")
    s.do("UploadPart 0", "pi", "upload_part", Bucket=b, Key="k", UploadId=uid, PartNumber=0, Body=b"x")
    s.do("ListMultipartUploads", "pi", "list_multipart_uploads",
         pick=lambda r: {"keys": [u["Key"] for u in r.get("Uploads", [])]}, Bucket=b)
    s.do("UploadPart to a bad upload id", "pi", "upload_part", Bucket=b, Key="k", UploadId="nosuch", PartNumber=1, Body=b"x")
    s.do("AbortMultipartUpload", "pi", "abort_multipart_upload", Bucket=b, Key="k", UploadId=uid)
    s.do("ListParts after abort", "pi", "list_parts", Bucket=b, Key="k", UploadId=uid)
    s.do("AbortMultipartUpload again", "pi", "abort_multipart_upload", Bucket=b, Key="k", UploadId=uid)


@case("mpu.member-upload")
def _(s):
    """A writer's multipart upload into the owner's bucket (the role's actions), then the owner reads it."""
    b = s.mkbucket("mpumember")
    s.policy(b, [allow([WENDY], ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], [pol_arn(b, "/*")])])
    up = s.do("wendy CreateMultipartUpload", "wendy", "create_multipart_upload", Bucket=b, Key="w")
    uid = up["UploadId"] if up else "none"
    p = s.do("wendy UploadPart", "wendy", "upload_part", Bucket=b, Key="w", UploadId=uid, PartNumber=1, Body=b"x")
    s.do("wendy ListParts", "wendy", "list_parts", pick=mpu_parts, Bucket=b, Key="w", UploadId=uid)
    s.do("pi ListParts (owner)", "pi", "list_parts", pick=mpu_parts, Bucket=b, Key="w", UploadId=uid)
    s.do("wendy Complete", "wendy", "complete_multipart_upload", Bucket=b, Key="w", UploadId=uid,
         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"] if p else ""}]})
    s.do("pi GetObject", "pi", "get_object", Bucket=b, Key="w")
    up = s.do("wendy CreateMultipartUpload bucket-owner-full-control", "wendy", "create_multipart_upload", Bucket=b, Key="w2",
              ACL="bucket-owner-full-control")
    uid = up["UploadId"] if up else "none"
    p = s.do("wendy UploadPart", "wendy", "upload_part", Bucket=b, Key="w2", UploadId=uid, PartNumber=1, Body=b"x")
    s.do("wendy Complete (w2)", "wendy", "complete_multipart_upload", Bucket=b, Key="w2", UploadId=uid,
         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"] if p else ""}]})
    s.do("pi GetObject w2", "pi", "get_object", Bucket=b, Key="w2")


# Versioning and tagging --------------------------------------------------------------------------------------

@case("versioning.basic")
def _(s):
    b = s.mkbucket("versions")
    s.do("PutBucketVersioning Enabled", "pi", "put_bucket_versioning", Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    s.do("GetBucketVersioning", "pi", "get_bucket_versioning", pick=lambda r: {"st": r.get("Status")}, Bucket=b)
    v1 = s.put(b, "k", body=b"one", step="PutObject v1")
    s.put(b, "k", body=b"two", step="PutObject v2")
    s.do("ListObjectVersions", "pi", "list_object_versions",
         pick=lambda r: {"n": len(r.get("Versions", [])), "latest": [v["IsLatest"] for v in r.get("Versions", [])]}, Bucket=b)
    vid = v1.get("VersionId") if v1 else "none"
    s.do("GetObject versionId=v1", "pi", "get_object", pick=body_of, Bucket=b, Key="k", VersionId=vid)
    s.do("DeleteObject (a marker)", "pi", "delete_object", pick=lambda r: {"marker": r.get("DeleteMarker")}, Bucket=b, Key="k")
    s.do("GetObject after delete", "pi", "get_object", Bucket=b, Key="k")
    s.raw("GET after delete: x-amz-delete-marker", "pi", "GET", f"/{b}/k",
          pick=lambda r: {"marker": r.headers.get("x-amz-delete-marker")})
    s.do("GetObject v1 after delete", "pi", "get_object", pick=body_of, Bucket=b, Key="k", VersionId=vid)
    s.do("GetObject bad versionId", "pi", "get_object", Bucket=b, Key="k", VersionId="nosuchversion")
    s.do("ListObjectVersions markers", "pi", "list_object_versions",
         pick=lambda r: {"markers": len(r.get("DeleteMarkers", []))}, Bucket=b)
    s.do("DeleteObject versionId=v1", "pi", "delete_object", Bucket=b, Key="k", VersionId=vid)
    s.do("PutBucketVersioning Suspended", "pi", "put_bucket_versioning", Bucket=b,
         VersioningConfiguration={"Status": "Suspended"})
    s.do("PutObject suspended", "pi", "put_object", pick=lambda r: {"vid": r.get("VersionId")}, Bucket=b, Key="s", Body=b"s")
    s.do("PutBucketVersioning bogus", "pi", "put_bucket_versioning", Bucket=b, VersioningConfiguration={"Status": "Bogus"})


@case("tagging.object")
def _(s):
    b = s.mkbucket("tags")
    s.put(b, "k", Tagging="a=1&b=2", step="PutObject x-amz-tagging a=1&b=2")
    s.do("GetObjectTagging", "pi", "get_object_tagging",
         pick=lambda r: {"tags": sorted((t["Key"], t["Value"]) for t in r["TagSet"])}, Bucket=b, Key="k")
    s.do("GetObject x-amz-tagging-count", "pi", "get_object",
         pick=lambda r: {"count": r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count")}, Bucket=b, Key="k")
    s.do("PutObjectTagging", "pi", "put_object_tagging", Bucket=b, Key="k", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    s.do("GetObjectTagging after", "pi", "get_object_tagging",
         pick=lambda r: {"tags": sorted((t["Key"], t["Value"]) for t in r["TagSet"])}, Bucket=b, Key="k")
    s.do("PutObjectTagging 11 tags", "pi", "put_object_tagging", Bucket=b, Key="k",
         Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]})
    s.do("PutObjectTagging key of 129 chars", "pi", "put_object_tagging", Bucket=b, Key="k",
         Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]})
    s.do("PutObjectTagging value of 257 chars", "pi", "put_object_tagging", Bucket=b, Key="k",
         Tagging={"TagSet": [{"Key": "k", "Value": "v" * 257}]})
    s.do("PutObjectTagging duplicate keys", "pi", "put_object_tagging", Bucket=b, Key="k",
         Tagging={"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]})
    s.do("DeleteObjectTagging", "pi", "delete_object_tagging", Bucket=b, Key="k")
    s.do("GetObjectTagging after delete", "pi", "get_object_tagging", pick=lambda r: {"n": len(r["TagSet"])}, Bucket=b, Key="k")
    s.do("GetObjectTagging missing key", "pi", "get_object_tagging", Bucket=b, Key="missing")
    s.policy(b, [allow([BOB], ["s3:GetObject"], [pol_arn(b, "/*")], cond={"StringEquals": {"s3:ExistingObjectTag/c": "3"}})],
             step="put policy ExistingObjectTag")
    s.put(b, "t3", Tagging="c=3")
    s.put(b, "t4", Tagging="c=4")
    s.do("bob GetObject tagged c=3", "bob", "get_object", Bucket=b, Key="t3")
    s.do("bob GetObject tagged c=4", "bob", "get_object", Bucket=b, Key="t4")


@case("tagging.bucket")
def _(s):
    b = s.mkbucket("btags")
    s.do("GetBucketTagging none", "pi", "get_bucket_tagging", Bucket=b)
    s.do("PutBucketTagging", "pi", "put_bucket_tagging", Bucket=b, Tagging={"TagSet": [{"Key": "lab", "Value": "x"}]})
    s.do("GetBucketTagging", "pi", "get_bucket_tagging",
         pick=lambda r: {"tags": sorted((t["Key"], t["Value"]) for t in r["TagSet"])}, Bucket=b)
    s.do("DeleteBucketTagging", "pi", "delete_bucket_tagging", Bucket=b)
    s.do("GetBucketTagging after delete", "pi", "get_bucket_tagging", Bucket=b)


# --- running --------------------------------------------------------------------------------------------------

def run_case(side, fn):
    side.obs = {}
    t0 = side.last = time.time()
    try:
        fn(side)
    except Exception as e:  # noqa: BLE001  (a harness error is recorded; the other side may differ)
        side.obs["harness error"] = f"{type(e).__name__}: {e}"
        if VERBOSE:
            traceback.print_exc()
    side.elapsed = time.time() - t0
    return side.obs


def short(v, n=160):
    t = json.dumps(v, sort_keys=True, ensure_ascii=False) if not isinstance(v, str) else v
    return t if len(t) <= n else t[:n] + "…"


def compare(a, b):
    diffs = []
    for step in list(dict.fromkeys(list(a) + list(b))):
        va, vb = a.get(step, "<not run>"), b.get(step, "<not run>")
        if va != vb:
            diffs.append((step, va, vb))
    return diffs


ACCOUNTS = {}


def load_users():
    cfg = json.load(open(CONFIG))
    users = {}
    for acct in cfg["accounts"]:
        tenant = "" if re.fullmatch(r"[0-9]{12}", acct["id"]) else acct["id"]
        for u in acct.get("users", []):
            ACCOUNTS[u["name"]] = acct["id"]
            if u.get("keys"):
                k = u["keys"][0]
                users[u["name"]] = (k["access_key_id"], k["secret_access_key"], tenant)
    for need in ("pi", "bob", "Bob", "wendy", "mallory", "tina", "jane@uab.edu", "manny@uab.edu", "carl"):
        if need not in users:
            sys.exit(f"rgw-diff: {CONFIG} has no user {need} (the cases need the users of scripts/fake-s3-shares-ceph.json)")
    return users


class Servers:
    def __init__(self):
        self.fake_proc = None
        self.started_rgw = False
        self.tmp = tempfile.mkdtemp(prefix="rgw-diff.")

    def start(self):
        rgw = os.environ.get("RGW_ENDPOINT")
        script = os.path.join(SCRIPTS, "start-rgw.sh")
        if not rgw:
            log("RGW_ENDPOINT unset: scripts/start-rgw.sh start")
            r = subprocess.run([script, "start"], stdout=subprocess.PIPE, text=True)
            if r.returncode != 0:
                raise SystemExit("rgw-diff: scripts/start-rgw.sh start failed (its messages above)")
            m = re.search(r"^export RGW_ENDPOINT=(\S+)", r.stdout, re.M)
            rgw = m.group(1)
            self.started_rgw = True
        if self.started_rgw or subprocess.run([script, "status"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            r = subprocess.run([script, "users", CONFIG])
            if r.returncode != 0:
                raise SystemExit("rgw-diff: scripts/start-rgw.sh users failed")
        fake = os.environ.get("FAKE_ENDPOINT")
        if not fake:
            binary = os.environ.get("FAKE_S3_BIN") or next(
                (p for p in (os.path.join(ROOT, "target", d, "fake-s3") for d in ("release", "debug")) if os.access(p, os.X_OK)), None)
            if not binary or not os.access(binary, os.X_OK):
                raise SystemExit("rgw-diff: no fake-s3 binary (set FAKE_S3_BIN or FAKE_ENDPOINT)")
            out, err = open(os.path.join(self.tmp, "fake.out"), "w"), open(os.path.join(self.tmp, "fake.log"), "w")
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env["RUST_LOG"] = "info"
            self.fake_proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--config", CONFIG],
                                              stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
            for _ in range(100):
                text = open(os.path.join(self.tmp, "fake.out")).read()
                m = re.search(r"^fake-s3 listening on (http://127\.0\.0\.1:\d+)", text, re.M)
                if m:
                    fake = m.group(1)
                    break
                if self.fake_proc.poll() is not None:
                    break
                time.sleep(0.1)
            if not fake:
                raise SystemExit(f"rgw-diff: fake-s3 did not start (see {self.tmp}/fake.log)")
        return rgw, fake

    def stop(self, keep_logs):
        if self.fake_proc and self.fake_proc.poll() is None:
            self.fake_proc.send_signal(signal.SIGTERM)
            try:
                self.fake_proc.wait(5)
            except subprocess.TimeoutExpired:
                self.fake_proc.kill()
        if self.started_rgw and os.environ.get("RGW_DIFF_KEEP") != "1":
            subprocess.run([os.path.join(SCRIPTS, "start-rgw.sh"), "stop"])
        if self.fake_proc and keep_logs:
            log(f"fake-s3's request log (operation, principal, decision) kept in {self.tmp}/fake.log")
        else:
            for f in ("fake.out", "fake.log"):
                try:
                    os.remove(os.path.join(self.tmp, f))
                except OSError:
                    pass
            try:
                os.rmdir(self.tmp)
            except OSError:
                pass


def main():
    for v in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(v, None)
    os.environ["NO_PROXY"] = "*"
    users = load_users()
    accepted = json.load(open(ACCEPTED_FILE)) if os.path.exists(ACCEPTED_FILE) else {}
    accepted = {k: v for k, v in accepted.items() if not k.startswith("_")}
    only = re.compile(os.environ.get("RGW_DIFF_ONLY", ""))
    servers = Servers()
    failed = True
    try:
        rgw_ep, fake_ep = servers.start()
        sides = [Side("rgw", rgw_ep, users), Side("fake", fake_ep, users)]
        for s in sides:
            try:
                s.learn_ids()
            except Exception as e:  # noqa: BLE001
                raise SystemExit(f"rgw-diff: the users of {os.path.basename(CONFIG)} cannot list their buckets on "
                                 f"{s.name} ({s.endpoint}): {e} (on RGW: scripts/start-rgw.sh users {CONFIG})")
        log(f"rgw {rgw_ep}, fake {fake_ep}, config {os.path.basename(CONFIG)}, run {RUN}")
        t0 = time.time()
        counts = {"SAME": 0, "ACCEPTED": 0, "DIFF": 0}
        unknown_accepted = set(accepted) - {n for n, _ in CASES}
        all_obs = {}
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for name, fn in CASES:
                if not only.search(name):
                    continue
                fa, fb = pool.submit(run_case, sides[0], fn), pool.submit(run_case, sides[1], fn)
                a, b = fa.result(), fb.result()
                all_obs[name] = {"rgw": a, "fake": b}
                diffs = compare(a, b)
                acc = accepted.get(name)
                if VERBOSE:
                    print(f"    {name}: rgw {sides[0].elapsed:.2f} s, fake {sides[1].elapsed:.2f} s")
                    for step in dict.fromkeys(list(a) + list(b)):
                        print(f"    {name} | {step}: rgw={short(a.get(step), 400)} fake={short(b.get(step), 400)}")
                if not diffs:
                    counts["SAME"] += 1
                    print(f"SAME {name}" + (" (listed in rgw-accepted.json but no longer differs)" if acc else ""))
                    continue
                allowed = set(acc.get("steps", [])) if acc else set()
                unlisted = [d for d in diffs if allowed and d[0] not in allowed]
                detail = "; ".join(f"{st}: rgw={short(x)} fake={short(y)}" for st, x, y in diffs)
                if acc and not unlisted:
                    counts["ACCEPTED"] += 1
                    print(f"ACCEPTED {name}: {acc.get('reason', '')}")
                    if VERBOSE:
                        print(f"    ({detail})")
                else:
                    counts["DIFF"] += 1
                    if acc:
                        detail = "; ".join(f"{st}: rgw={short(x)} fake={short(y)}" for st, x, y in unlisted) + \
                            " (steps not in the accepted entry)"
                    print(f"DIFF {name}: {detail}")
                sys.stdout.flush()
        elapsed = time.time() - t0
        if os.environ.get("RGW_DIFF_OUT"):
            json.dump(all_obs, open(os.environ["RGW_DIFF_OUT"], "w"), indent=1, ensure_ascii=False, default=str)
        for n in sorted(unknown_accepted):
            print(f"rgw-diff: note: rgw-accepted.json names {n!r}, which is no case")
        print(f"rgw-diff: {counts['SAME']} same, {counts['ACCEPTED']} accepted, {counts['DIFF']} different "
              f"(not accepted) in {elapsed:.1f} s")
        print(f"rgw-diff: {counts['SAME'] + counts['ACCEPTED']} passed, {counts['DIFF']} failed")
        failed = bool(counts["DIFF"])
        return 1 if failed else 0
    finally:
        servers.stop(keep_logs=failed)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            sys.exit(2)
        raise
