"""Cases: browser POST object forms (SigV4 and V2 policies, success codes, redirects, validation)."""

import base64
import datetime
import hashlib
import hmac
import json
import urllib.parse

import requests

from .caselib import allow, body_of, case, pol_arn
from .config import REGION, TIMEOUT
from .side import xml_fields
from .sigv4 import _signing_key


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
