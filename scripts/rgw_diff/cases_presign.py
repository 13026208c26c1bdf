"""Cases: presigned URLs (expiry, gone objects and buckets) and GET response-* overrides."""

import datetime

from .caselib import allow, body_of, case, pol_arn, user_arn
from .config import TIMEOUT
from .sigv4 import presign_v4


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
