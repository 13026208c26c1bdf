#!/usr/bin/env python3
"""Real-client checks with boto3 against a running fake-s3.

    FAKE_S3_ENDPOINT=http://127.0.0.1:PORT python3 scripts/check_boto3.py

The server must have been started with scripts/fake-s3-config.json (or FAKE_S3_CONFIG).
Prints one PASS/FAIL line per check and `boto3: N passed, M failed`; exits 1 if any failed.
"""

import base64
import hashlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
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
    if isinstance(value, str):  # a helper explaining why it failed
        result(False, desc, value)
        return None
    result(value is None or bool(value), desc, "" if value is None or value else f"got {value!r}")
    return value


def error_code(fn):
    """The AWS error code fn() fails with (None when it succeeds)."""
    try:
        fn()
    except ClientError as e:
        return e.response.get("Error", {}).get("Code")
    return None


def expect_error(desc, codes, fn):
    codes = (codes,) if isinstance(codes, str) else codes
    try:
        fn()
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        msg = e.response.get("Error", {}).get("Message")
        result(code in codes, desc, f"expected {'/'.join(codes)}, got {code} (HTTP {status}): {msg}")
        return
    except Exception as e:  # noqa: BLE001
        result(False, desc, f"expected {'/'.join(codes)}, got {type(e).__name__}: {e}")
        return
    result(False, desc, f"expected {'/'.join(codes)}, the call succeeded")


# --- principals and clients ------------------------------------------------------------------------
with open(CONFIG_PATH) as f:
    CFG = json.load(f)
KEYS = {}
for account in CFG["accounts"]:
    if account["id"] == "111122223333":
        KEYS["owner"] = account["root_keys"][0]
    elif account["id"] == "444455556666":
        KEYS["other"] = account["root_keys"][0]
    for user in account.get("users", []):
        KEYS[user["name"]] = user["keys"][0]


def client(who, sig="s3v4", access_key=None, secret=None):
    key = KEYS[who] if who else {}
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=access_key or key["access_key_id"],
        aws_secret_access_key=secret or key["secret_access_key"],
        config=Config(
            signature_version=sig,
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def fetch(url, method="GET", data=None, headers=None):
    """(status, body) for a plain urllib request (no AWS signing)."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def xml_code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body or b"")
    return m.group(1).decode() if m else None


def tamper(url):
    """The URL with one bit of its signature flipped and nothing else changed."""

    def flip(m):
        name, value = m.group(1), m.group(2)
        if name == "X-Amz-Signature":
            return f"{name}={value[:-1]}{'0' if value[-1] != '0' else '1'}"
        raw = bytearray(base64.b64decode(urllib.parse.unquote(value)))
        raw[0] ^= 1
        return f"{name}={urllib.parse.quote(base64.b64encode(bytes(raw)).decode(), safe='')}"

    out, n = re.subn(r"(?<=[?&])(X-Amz-Signature|Signature)=([^&]+)", flip, url)
    assert n == 1, url
    return out


def expect_http(desc, want_status, got, want_code=None):
    status, body = got
    ok = status == want_status and (want_code is None or xml_code(body) == want_code)
    result(ok, desc, f"expected HTTP {want_status}{' ' + want_code if want_code else ''}, "
                     f"got {status} {xml_code(body)}: {body[:200]!r}")


print(f"== boto3 {boto3.__version__} / botocore {botocore.__version__} against {ENDPOINT}", flush=True)

RUN = f"{int(time.time())}-{os.getpid()}"
B = f"boto3-{RUN}"
SHARED = "fake-s3-shared"
MINE = f"alice/boto3-{RUN}.txt"  # alice's key for this run (checks may run in parallel)
TEAM = f"team/boto3-{RUN}.txt"   # a key outside her prefix
owner = client("owner")
owner_v2 = client("owner", sig="s3")
alice = client("alice")
bob = client("bob")
carol = client("carol")
BODY = b"hello from boto3\n"

# --- header auth in both signature versions --------------------------------------------------------
check(f"create_bucket {B} (SigV4 header auth)", lambda: owner.create_bucket(Bucket=B))
check("head_bucket", lambda: owner.head_bucket(Bucket=B))
check("get_bucket_location is us-east-1 (None)",
      lambda: owner.get_bucket_location(Bucket=B).get("LocationConstraint") is None)
check("list_buckets includes the new bucket and the pre-created one",
      lambda: {B, SHARED} <= {b["Name"] for b in owner.list_buckets()["Buckets"]})
check("list_buckets of account 444455556666 shows only its own buckets",
      lambda: [b["Name"] for b in carol.list_buckets()["Buckets"]] == ["carol-bucket"])
check("put_object (SigV4)", lambda: owner.put_object(Bucket=B, Key="docs/hello.txt", Body=BODY))
check("get_object (SigV4) returns the bytes",
      lambda: owner.get_object(Bucket=B, Key="docs/hello.txt")["Body"].read() == BODY)
check("put_object (SigV2 header auth)",
      lambda: owner_v2.put_object(Bucket=B, Key="docs/v2.txt", Body=b"v2 body", ContentType="text/plain"))
check("get_object (SigV2 header auth) returns the bytes and Content-Type",
      lambda: (lambda r: r["Body"].read() == b"v2 body" and r["ContentType"] == "text/plain")(
          owner_v2.get_object(Bucket=B, Key="docs/v2.txt")))
# Bucket-level requests with SigV2 header auth. botocore sends path-style `GET /BUCKET?...` but signs
# the resource `/BUCKET/` (botocore/handlers.py: "If the request URI is ONLY a bucket, the auth_path
# must be terminated with a '/' character to generate a signature that the server will accept").
check("list_objects_v2 (SigV2 header auth)",
      lambda: [o["Key"] for o in owner_v2.list_objects_v2(Bucket=B, Prefix="docs/")["Contents"]]
      == ["docs/hello.txt", "docs/v2.txt"])
check("list_objects v1 (SigV2 header auth)",
      lambda: [o["Key"] for o in owner_v2.list_objects(Bucket=B, Prefix="docs/")["Contents"]]
      == ["docs/hello.txt", "docs/v2.txt"])
check("head_bucket (SigV2 header auth)", lambda: owner_v2.head_bucket(Bucket=B))
expect_error("get_bucket_policy without a policy (SigV2 header auth) is NoSuchBucketPolicy", "NoSuchBucketPolicy",
             lambda: owner_v2.get_bucket_policy(Bucket=B))
check("create_bucket + delete_bucket (SigV2 header auth)",
      lambda: owner_v2.create_bucket(Bucket=f"{B}-v2") and owner_v2.delete_bucket(Bucket=f"{B}-v2"))
check("put_object with user metadata",
      lambda: owner.put_object(Bucket=B, Key="docs/meta.txt", Body=b"m", Metadata={"team": "lab"}))
check("head_object returns the metadata, length and MD5 ETag",
      lambda: (lambda h: h["Metadata"] == {"team": "lab"} and h["ContentLength"] == 1
               and h["ETag"] == '"%s"' % hashlib.md5(b"m").hexdigest())(
          owner.head_object(Bucket=B, Key="docs/meta.txt")))
expect_error("an unknown access key is InvalidAccessKeyId (SigV4)", "InvalidAccessKeyId",
             lambda: client(None, access_key="AKIANOSUCHKEY0000000", secret="x").list_objects_v2(Bucket=B))
expect_error("an unknown access key is InvalidAccessKeyId (SigV2)", "InvalidAccessKeyId",
             lambda: client(None, sig="s3", access_key="AKIANOSUCHKEY0000000", secret="x").list_objects(Bucket=B))
expect_error("a wrong secret is SignatureDoesNotMatch (SigV4)", "SignatureDoesNotMatch",
             lambda: client("owner", secret="wrong-secret").list_objects_v2(Bucket=B))
expect_error("a wrong secret is SignatureDoesNotMatch (SigV2)", "SignatureDoesNotMatch",
             lambda: client("owner", sig="s3", secret="wrong-secret").list_objects(Bucket=B))
expect_http("an unsigned GET of an object is 403 AccessDenied", 403,
            fetch(f"{ENDPOINT}/{B}/docs/hello.txt"), "AccessDenied")

# --- object features ---------------------------------------------------------------------------------
check("get_object Range=bytes=6-10 returns 5 bytes with Content-Range",
      lambda: (lambda r: r["Body"].read() == BODY[6:11] and r["ContentRange"] == f"bytes 6-10/{len(BODY)}")(
          owner.get_object(Bucket=B, Key="docs/hello.txt", Range="bytes=6-10")))
etag = owner.head_object(Bucket=B, Key="docs/hello.txt")["ETag"]
expect_error("get_object IfNoneMatch=<etag> is 304", "304",
             lambda: owner.get_object(Bucket=B, Key="docs/hello.txt", IfNoneMatch=etag))
expect_error("get_object IfMatch=<wrong etag> is PreconditionFailed", "PreconditionFailed",
             lambda: owner.get_object(Bucket=B, Key="docs/hello.txt", IfMatch='"0000"'))
expect_error("get_object of a missing key is NoSuchKey (owner may list)", "NoSuchKey",
             lambda: owner.get_object(Bucket=B, Key="docs/missing"))
expect_error("get_object from a missing bucket is NoSuchBucket", "NoSuchBucket",
             lambda: owner.get_object(Bucket=f"no-such-bucket-{RUN}", Key="k"))
BAD_MD5 = base64.b64encode(hashlib.md5(b"xyz").digest()).decode()
for c, name in ((owner, "SigV4"), (owner_v2, "SigV2")):
    expect_error(f"put_object with a wrong Content-MD5 is BadDigest ({name})", "BadDigest",
                 lambda: c.put_object(Bucket=B, Key=f"bad/md5-{name}.txt", Body=b"abc", ContentMD5=BAD_MD5))
    expect_error(f"…and stored nothing ({name})", "NoSuchKey",
                 lambda: c.get_object(Bucket=B, Key=f"bad/md5-{name}.txt"))
    expect_error(f"put_object with a wrong x-amz-checksum-crc32 is BadDigest ({name})", "BadDigest",
                 lambda: c.put_object(Bucket=B, Key=f"bad/crc-{name}.txt", Body=b"abc", ChecksumCRC32="AAAAAA=="))
# Whatever happened above, leave no bad/ keys behind for the listing checks below.
owner.delete_objects(Bucket=B, Delete={"Objects": [{"Key": f"bad/{k}-{n}.txt"} for k in ("md5", "crc")
                                                   for n in ("SigV4", "SigV2")]})
check("put_object ChecksumAlgorithm=SHA256 returns the SHA-256 checksum",
      lambda: owner.put_object(Bucket=B, Key="copies/sha.txt", Body=b"abc", ChecksumAlgorithm="SHA256")
      .get("ChecksumSHA256") == base64.b64encode(hashlib.sha256(b"abc").digest()).decode())
check("head_object ChecksumMode=ENABLED returns the stored SHA-256 checksum",
      lambda: owner.head_object(Bucket=B, Key="copies/sha.txt", ChecksumMode="ENABLED")
      .get("ChecksumSHA256") == base64.b64encode(hashlib.sha256(b"abc").digest()).decode())
check("get_object Range=bytes=-5 returns the last 5 bytes",
      lambda: owner.get_object(Bucket=B, Key="docs/hello.txt", Range="bytes=-5")["Body"].read() == BODY[-5:])
expect_error("get_object with a Range past the end is InvalidRange", "InvalidRange",
             lambda: owner.get_object(Bucket=B, Key="docs/hello.txt", Range="bytes=1000-2000"))
# Conditional writes (S3 has supported If-None-Match: * since 2024-08 and If-Match since 2024-11).
owner.put_object(Bucket=B, Key="cond/once.txt", Body=b"first")
expect_error("put_object IfNoneMatch='*' on an existing key is PreconditionFailed", "PreconditionFailed",
             lambda: owner.put_object(Bucket=B, Key="cond/once.txt", Body=b"second", IfNoneMatch="*"))
expect_error("put_object IfMatch=<wrong etag> is PreconditionFailed", "PreconditionFailed",
             lambda: owner.put_object(Bucket=B, Key="cond/once.txt", Body=b"third",
                                      IfMatch='"00000000000000000000000000000000"'))
check("…and the object still holds the first write",
      lambda: owner.get_object(Bucket=B, Key="cond/once.txt")["Body"].read() == b"first")
check("put_object IfNoneMatch='*' on a new key succeeds",
      lambda: owner.put_object(Bucket=B, Key="cond/new.txt", Body=b"x", IfNoneMatch="*"))
check("delete_object of a missing key succeeds (204)",
      lambda: owner.delete_object(Bucket=B, Key="docs/never-there")["ResponseMetadata"]["HTTPStatusCode"] == 204)
check("list_objects_v2 StartAfter skips earlier keys",
      lambda: [o["Key"] for o in owner.list_objects_v2(Bucket=B, Prefix="docs/", StartAfter="docs/hello.txt")["Contents"]]
      == ["docs/meta.txt", "docs/v2.txt"])
check("copy_object", lambda: owner.copy_object(Bucket=B, Key="copies/hello.txt",
                                                CopySource={"Bucket": B, "Key": "docs/hello.txt"}))
check("the copy has the same bytes",
      lambda: owner.get_object(Bucket=B, Key="copies/hello.txt")["Body"].read() == BODY)
for i in range(5):
    owner.put_object(Bucket=B, Key=f"many/{i}.txt", Body=b"x")
check("delete_objects removes 3 keys in one call",
      lambda: sorted(d["Key"] for d in owner.delete_objects(
          Bucket=B, Delete={"Objects": [{"Key": f"many/{i}.txt"} for i in range(3)]})["Deleted"])
      == ["many/0.txt", "many/1.txt", "many/2.txt"])
check("list_objects_v2 after delete_objects shows the 2 others",
      lambda: [o["Key"] for o in owner.list_objects_v2(Bucket=B, Prefix="many/")["Contents"]]
      == ["many/3.txt", "many/4.txt"])
check("list_objects (v1) with Delimiter groups prefixes",
      lambda: (lambda r: [p["Prefix"] for p in r["CommonPrefixes"]] == ["cond/", "copies/", "docs/", "many/"])(
          owner.list_objects(Bucket=B, Delimiter="/")))
check("list_objects_v2 paginator with PageSize=1 visits each key once",
      lambda: [o["Key"] for page in owner.get_paginator("list_objects_v2").paginate(
          Bucket=B, Prefix="docs/", PaginationConfig={"PageSize": 1}) for o in page.get("Contents", [])]
      == ["docs/hello.txt", "docs/meta.txt", "docs/v2.txt"])
check("list_objects (v1) paginator with MaxKeys=1 uses markers",
      lambda: [o["Key"] for page in owner.get_paginator("list_objects").paginate(
          Bucket=B, Prefix="docs/", PaginationConfig={"PageSize": 1}) for o in page.get("Contents", [])]
      == ["docs/hello.txt", "docs/meta.txt", "docs/v2.txt"])
check("list_object_versions lists each key with VersionId 'null'",
      lambda: {(v["Key"], v["VersionId"]) for v in owner.list_object_versions(Bucket=B, Prefix="docs/")["Versions"]}
      == {("docs/hello.txt", "null"), ("docs/meta.txt", "null"), ("docs/v2.txt", "null")})

# --- multipart with the low-level API -----------------------------------------------------------------
PART = 5 * 1024 * 1024
part1, part2 = os.urandom(PART), os.urandom(1234)
mpu = check("create_multipart_upload", lambda: owner.create_multipart_upload(Bucket=B, Key="mp/big.bin"))
if mpu:
    uid = mpu["UploadId"]
    e1 = check("upload_part 1 (5 MiB)", lambda: owner.upload_part(
        Bucket=B, Key="mp/big.bin", UploadId=uid, PartNumber=1, Body=part1))
    e2 = check("upload_part 2 (last, small)", lambda: owner.upload_part(
        Bucket=B, Key="mp/big.bin", UploadId=uid, PartNumber=2, Body=part2))
    check("list_multipart_uploads shows the upload",
          lambda: [u["UploadId"] for u in owner.list_multipart_uploads(Bucket=B).get("Uploads", [])] == [uid])
    check("list_parts shows parts 1 and 2 with their sizes",
          lambda: [(p["PartNumber"], p["Size"]) for p in owner.list_parts(
              Bucket=B, Key="mp/big.bin", UploadId=uid)["Parts"]] == [(1, PART), (2, 1234)])
    if e1 and e2:
        check("complete_multipart_upload", lambda: owner.complete_multipart_upload(
            Bucket=B, Key="mp/big.bin", UploadId=uid, MultipartUpload={"Parts": [
                {"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]}))
        want_etag = '"%s-2"' % hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).hexdigest()
        check("the completed object has S3's multipart ETag (md5 of part md5s, '-2')",
              lambda: owner.head_object(Bucket=B, Key="mp/big.bin")["ETag"] == want_etag)
        check("the completed object's bytes are part1 + part2",
              lambda: owner.get_object(Bucket=B, Key="mp/big.bin")["Body"].read() == part1 + part2)
    u2 = owner.create_multipart_upload(Bucket=B, Key="mp/small.bin")["UploadId"]
    s1 = owner.upload_part(Bucket=B, Key="mp/small.bin", UploadId=u2, PartNumber=1, Body=b"tiny")["ETag"]
    s2 = owner.upload_part(Bucket=B, Key="mp/small.bin", UploadId=u2, PartNumber=2, Body=b"tiny")["ETag"]
    expect_error("completing with a non-last part under 5 MiB is EntityTooSmall", "EntityTooSmall",
                 lambda: owner.complete_multipart_upload(
                     Bucket=B, Key="mp/small.bin", UploadId=u2, MultipartUpload={"Parts": [
                         {"PartNumber": 1, "ETag": s1}, {"PartNumber": 2, "ETag": s2}]}))
    expect_error("completing with a wrong part ETag is InvalidPart", "InvalidPart",
                 lambda: owner.complete_multipart_upload(
                     Bucket=B, Key="mp/small.bin", UploadId=u2, MultipartUpload={"Parts": [
                         {"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]}))
    check("abort_multipart_upload", lambda: owner.abort_multipart_upload(Bucket=B, Key="mp/small.bin", UploadId=u2))
    expect_error("list_parts of an aborted upload is NoSuchUpload", "NoSuchUpload",
                 lambda: owner.list_parts(Bucket=B, Key="mp/small.bin", UploadId=u2))
    check("no multipart uploads left",
          lambda: not owner.list_multipart_uploads(Bucket=B).get("Uploads"))
check("upload_fileobj of 9 MiB goes multipart through the transfer manager",
      lambda: owner.upload_fileobj(__import__("io").BytesIO(part1 + part1[:4 * 1024 * 1024]), B, "mp/managed.bin",
                                   Config=boto3.s3.transfer.TransferConfig(multipart_threshold=8 * 1024 * 1024)))
check("…and its ETag says 2 parts",
      lambda: owner.head_object(Bucket=B, Key="mp/managed.bin")["ETag"].endswith('-2"'))

# --- presigned URLs ------------------------------------------------------------------------------------
for sig, name in (("s3", "SigV2"), ("s3v4", "SigV4")):
    c = client("owner", sig=sig)
    get_url = c.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "docs/hello.txt"}, ExpiresIn=300)
    marker = "X-Amz-Signature=" if sig == "s3v4" else "Signature="
    result(marker in get_url and ("X-Amz-Algorithm" in get_url) == (sig == "s3v4"),
           f"generate_presigned_url with signature_version={sig!r} gives a {name} URL", get_url)
    status, body = fetch(get_url)
    result(status == 200 and body == BODY, f"presigned GET ({name}) is 200 with the object",
           f"got {status} {body[:200]!r}")
    expect_http(f"presigned GET ({name}) with a tampered signature is 403 SignatureDoesNotMatch", 403,
                fetch(tamper(get_url)), "SignatureDoesNotMatch")
    expect_http(f"presigned GET ({name}) used for HEAD is 403", 403, fetch(get_url, method="HEAD"))

    key = f"presigned/{name}.txt"
    put_url = c.generate_presigned_url("put_object", Params={"Bucket": B, "Key": key, "ContentType": "text/plain"},
                                       ExpiresIn=300)
    payload = f"uploaded with a {name} presigned PUT".encode()
    expect_http(f"presigned PUT ({name}) with the signed Content-Type is 200", 200,
                fetch(put_url, "PUT", payload, {"Content-Type": "text/plain"}))
    check(f"the presigned PUT ({name}) stored the bytes and Content-Type",
          lambda: (lambda r: r["Body"].read() == payload and r["ContentType"] == "text/plain")(
              owner.get_object(Bucket=B, Key=key)))
    expect_http(f"presigned PUT ({name}) with a tampered signature is 403 SignatureDoesNotMatch", 403,
                fetch(tamper(put_url), "PUT", b"evil", {"Content-Type": "text/plain"}), "SignatureDoesNotMatch")
    expect_http(f"presigned PUT ({name}) with another Content-Type than signed is 403", 403,
                fetch(put_url, "PUT", b"evil", {"Content-Type": "application/json"}), "SignatureDoesNotMatch")
    check(f"a refused presigned PUT ({name}) left the object unchanged",
          lambda: owner.get_object(Bucket=B, Key=key)["Body"].read() == payload)
    expect_http(f"presigned GET URL ({name}) used for a PUT is 403", 403,
                fetch(get_url, "PUT", b"evil", {"Content-Type": "text/plain"}))

    dl_url = c.generate_presigned_url("get_object", ExpiresIn=300, Params={
        "Bucket": B, "Key": "docs/hello.txt", "ResponseContentDisposition": 'attachment; filename="report.txt"',
        "ResponseContentType": "application/octet-stream"})

    def download_headers(u=dl_url):
        with urllib.request.urlopen(u, timeout=30) as resp:
            return (resp.headers.get("Content-Disposition"), resp.headers.get("Content-Type"))

    check(f"presigned GET ({name}) with response-content-disposition/-type overrides sets those headers",
          lambda: download_headers() == ('attachment; filename="report.txt"', "application/octet-stream")
          or f"got {download_headers()}")

    # Valid signature, but the signer is not allowed: alice presigning outside her prefix.
    a_url = client("alice", sig=sig).generate_presigned_url(
        "get_object", Params={"Bucket": B, "Key": "docs/hello.txt"}, ExpiresIn=300)
    expect_http(f"alice's correctly signed {name} URL for an object she may not read is 403 AccessDenied",
                403, fetch(a_url), "AccessDenied")

# Expired URLs: ExpiresIn=1, then wait 2 seconds.
expired = {}
for sig, name in (("s3", "SigV2"), ("s3v4", "SigV4")):
    c = client("owner", sig=sig)
    expired[(name, "GET")] = c.generate_presigned_url(
        "get_object", Params={"Bucket": B, "Key": "docs/hello.txt"}, ExpiresIn=1)
    expired[(name, "PUT")] = c.generate_presigned_url(
        "put_object", Params={"Bucket": B, "Key": f"presigned/expired-{name}.txt", "ContentType": "text/plain"},
        ExpiresIn=1)
time.sleep(2.2)
for (name, method), url in expired.items():
    got = fetch(url, method, b"late" if method == "PUT" else None,
                {"Content-Type": "text/plain"} if method == "PUT" else {})
    expect_http(f"expired presigned {method} ({name}) is 403 AccessDenied", 403, got, "AccessDenied")
expect_error("an expired presigned PUT stored nothing", "NoSuchKey",
             lambda: owner.get_object(Bucket=B, Key="presigned/expired-SigV4.txt"))
# Lengthening a SigV2 URL's lifetime invalidates its signature.
url = owner_v2.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "docs/hello.txt"}, ExpiresIn=60)
longer = re.sub(r"Expires=(\d+)", lambda m: f"Expires={int(m.group(1)) + 3600}", url)
expect_http("a SigV2 URL whose Expires was edited is 403 SignatureDoesNotMatch", 403, fetch(longer),
            "SignatureDoesNotMatch")
url = owner.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "docs/hello.txt"}, ExpiresIn=60)
expect_http("a SigV4 URL whose X-Amz-Expires was edited is 403 SignatureDoesNotMatch", 403,
            fetch(url.replace("X-Amz-Expires=60", "X-Amz-Expires=3600")), "SignatureDoesNotMatch")
expect_http("a SigV4 URL with X-Amz-Expires over 7 days is 400 AuthorizationQueryParametersError", 400,
            fetch(url.replace("X-Amz-Expires=60", "X-Amz-Expires=604801")), "AuthorizationQueryParametersError")

# --- browser POST uploads (generate_presigned_post) ------------------------------------------------------
def post_form(url, fields, filename="upload.txt", data=b"x", content_type="text/plain"):
    """(status, body) of a multipart/form-data POST of the fields, then the file last (as browsers do)."""
    boundary = f"----fake-s3-check-{os.getpid()}-{time.time_ns()}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return fetch(url, "POST", b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def stored(bucket, key):
    try:
        return owner.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError:
        return None


for sig, name in (("s3v4", "SigV4"), ("s3", "SigV2")):
    c = client("owner", sig=sig)
    prefix = f"post/{name}/"
    # A key ending in ${filename} makes botocore add ["starts-with", "$key", prefix] to the policy.
    post = c.generate_presigned_post(B, prefix + "${filename}", ExpiresIn=300,
                                     Fields={"Content-Type": "text/csv"},
                                     Conditions=[["content-length-range", 1, 1024],
                                                 ["eq", "$Content-Type", "text/csv"]])
    fields = post["fields"]
    check(f"generate_presigned_post ({name}) signs with the expected fields",
          lambda: (("x-amz-signature" in fields and fields.get("x-amz-algorithm") == "AWS4-HMAC-SHA256")
                   if name == "SigV4" else ("signature" in fields and "AWSAccessKeyId" in fields)) or f"got {fields}")
    expect_http(f"POST upload ({name}) within starts-with $key and content-length-range is 204", 204,
                post_form(post["url"], fields, "report.csv", b"a,b\n1,2\n"))
    check(f"${{filename}} was replaced by the file's name ({name}): {prefix}report.csv",
          lambda: stored(B, prefix + "report.csv") == b"a,b\n1,2\n" or f"got {stored(B, prefix + 'report.csv')!r}")
    check(f"…with the form's Content-Type ({name})",
          lambda: owner.head_object(Bucket=B, Key=prefix + "report.csv")["ContentType"] == "text/csv")
    expect_http(f"POST upload ({name}) with an explicit key under the prefix is 204", 204,
                post_form(post["url"], dict(fields, key=prefix + "explicit.txt"), data=b"explicit"))
    check(f"…stored under that key ({name})", lambda: stored(B, prefix + "explicit.txt") == b"explicit")
    expect_http(f"POST upload ({name}) with a key outside the prefix is 403 AccessDenied", 403,
                post_form(post["url"], dict(fields, key=f"elsewhere/{name}.txt")), "AccessDenied")
    check(f"…and stored nothing ({name})", lambda: stored(B, f"elsewhere/{name}.txt") is None)
    expect_http(f"POST upload ({name}) breaking an eq condition (Content-Type) is 403 AccessDenied", 403,
                post_form(post["url"], dict(fields, **{"Content-Type": "text/plain"}), "eq.txt"), "AccessDenied")
    expect_http(f"POST upload ({name}) over content-length-range is 400 EntityTooLarge", 400,
                post_form(post["url"], fields, "big.bin", b"x" * 2048), "EntityTooLarge")
    check(f"…and stored nothing ({name})", lambda: stored(B, prefix + "big.bin") is None)
    expect_http(f"POST upload ({name}) of an empty file under content-length-range's minimum is 400 EntityTooSmall",
                400, post_form(post["url"], fields, "empty.txt", b""), "EntityTooSmall")
    tampered = dict(fields)
    if name == "SigV4":  # hex: change the last digit
        v = tampered["x-amz-signature"]
        tampered["x-amz-signature"] = v[:-1] + ("0" if v[-1] != "0" else "1")
    else:  # base64: flip one bit
        raw = bytearray(base64.b64decode(tampered["signature"]))
        raw[0] ^= 1
        tampered["signature"] = base64.b64encode(bytes(raw)).decode()
    expect_http(f"POST upload ({name}) with an edited signature is 403 SignatureDoesNotMatch", 403,
                post_form(post["url"], tampered), "SignatureDoesNotMatch")
    expect_http(f"POST upload ({name}) with a form field the policy does not cover is 403 AccessDenied", 403,
                post_form(post["url"], dict(fields, **{"x-amz-meta-note": "extra"})), "AccessDenied")
    expired = c.generate_presigned_post(B, prefix + "${filename}", ExpiresIn=-60,
                                        Conditions=[["content-length-range", 1, 1024]])
    expect_http(f"POST upload ({name}) with an expired policy is 403 AccessDenied", 403,
                post_form(expired["url"], expired["fields"], "late.txt"), "AccessDenied")
    check(f"…and stored nothing ({name})", lambda: stored(B, prefix + "late.txt") is None)
    created = c.generate_presigned_post(B, prefix + "created.txt", ExpiresIn=300,
                                        Fields={"success_action_status": "201"},
                                        Conditions=[{"success_action_status": "201"}])
    got = post_form(created["url"], created["fields"], data=b"created")
    expect_http(f"POST upload ({name}) with success_action_status=201 is 201", 201, got)
    check(f"…with a PostResponse naming the bucket and key ({name})",
          lambda: (b"<PostResponse>" in got[1] and f"<Bucket>{B}</Bucket>".encode() in got[1]
                   and f"<Key>{prefix}created.txt</Key>".encode() in got[1]) or f"got {got[1][:300]!r}")
# The policy is signed by someone who must be allowed to put the object.
alice_post = client("alice").generate_presigned_post(SHARED, f"alice/post-{RUN}/${{filename}}", ExpiresIn=300)
expect_http("alice's POST policy for her own prefix uploads (204)", 204,
            post_form(alice_post["url"], alice_post["fields"], "alice.txt", b"mine"))
alice_team = client("alice").generate_presigned_post(SHARED, f"team/post-{RUN}/${{filename}}", ExpiresIn=300)
expect_http("alice's POST policy for team/ (where she may not write) is 403 AccessDenied", 403,
            post_form(alice_team["url"], alice_team["fields"], "alice.txt", b"not mine"), "AccessDenied")
owner.delete_objects(Bucket=SHARED, Delete={"Objects": [{"Key": f"alice/post-{RUN}/alice.txt"},
                                                        {"Key": f"team/post-{RUN}/alice.txt"}]})

# --- access points from boto3, with the fake as HTTP proxy ------------------------------------------------
# Access point ARNs make botocore send to NAME-ACCOUNT.127.0.0.1:PORT and S3 Control to
# ACCOUNT.127.0.0.1:PORT; Config(proxies=…) sends those to the fake, which routes by Host.
def proxied(who, service="s3"):
    key = KEYS[who]
    return boto3.client(service, endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=key["access_key_id"], aws_secret_access_key=key["secret_access_key"],
                        config=Config(proxies={"http": ENDPOINT}, signature_version="s3v4",
                                      s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}))


def fetch_proxied(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": ENDPOINT}))
    try:
        with opener.open(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


AP_NAME = f"b3-{RUN}"
AP_ARN = f"arn:aws:s3:us-east-1:111122223333:accesspoint/{AP_NAME}"
control = proxied("owner", "s3control")
carol_ap = proxied("carol")
created_ap = check(f"s3control create_access_point {AP_NAME} (boto3, fake as proxy)",
                   lambda: control.create_access_point(AccountId="111122223333", Name=AP_NAME, Bucket=B))
if created_ap:
    check("get_access_point returns the same alias",
          lambda: control.get_access_point(AccountId="111122223333", Name=AP_NAME)["Alias"] == created_ap["Alias"])
    owner.put_bucket_policy(Bucket=B, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
         "Resource": [f"arn:aws:s3:::{B}", f"arn:aws:s3:::{B}/*"],
         "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}}]}))
    check("put_access_point_policy granting carol GetObject on docs/*",
          lambda: control.put_access_point_policy(AccountId="111122223333", Name=AP_NAME, Policy=json.dumps({
              "Version": "2012-10-17", "Statement": [{
                  "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:user/carol"},
                  "Action": "s3:GetObject", "Resource": f"{AP_ARN}/object/docs/*"}]})))
    check("carol get_object through the access point ARN",
          lambda: carol_ap.get_object(Bucket=AP_ARN, Key="docs/hello.txt")["Body"].read() == BODY)
    expect_error("carol get_object outside docs/ through the ARN is AccessDenied", "AccessDenied",
                 lambda: carol_ap.get_object(Bucket=AP_ARN, Key="copies/hello.txt"))
    expect_error("carol get_object on the bucket directly is AccessDenied", "AccessDenied",
                 lambda: carol.get_object(Bucket=B, Key="docs/hello.txt"))
    check("carol get_object through the alias, path-style, without the proxy",
          lambda: carol.get_object(Bucket=created_ap["Alias"], Key="docs/hello.txt")["Body"].read() == BODY)
    ap_url = carol_ap.generate_presigned_url("get_object", Params={"Bucket": AP_ARN, "Key": "docs/hello.txt"},
                                             ExpiresIn=300)
    check("a presigned URL through the ARN names the access point's host",
          lambda: ap_url.startswith(f"http://{AP_NAME}-111122223333.") or f"got {ap_url}")
    expect_http("…and fetched through the fake as proxy is 200", 200, fetch_proxied(ap_url))
    v2_url = client("carol", sig="s3").generate_presigned_url(
        "get_object", Params={"Bucket": created_ap["Alias"], "Key": "docs/hello.txt"}, ExpiresIn=300)
    check("a SigV2 presigned URL through the access point's alias is refused (access points need SigV4)",
          lambda: (lambda got: got[0] in (400, 403) or f"got {got[0]} {got[1][:200]!r}")(fetch(v2_url)))
    check("delete_access_point", lambda: control.delete_access_point(AccountId="111122223333", Name=AP_NAME))
    expect_error("get_access_point after delete is NoSuchAccessPoint", "NoSuchAccessPoint",
                 lambda: control.get_access_point(AccountId="111122223333", Name=AP_NAME))
    owner.delete_bucket_policy(Bucket=B)

# --- policy enforcement ----------------------------------------------------------------------------------
# alice: identity policy allows fake-s3-shared/alice/* and listing with prefix alice/.
check("alice put_object under alice/", lambda: alice.put_object(Bucket=SHARED, Key=MINE, Body=BODY))
check("alice get_object under alice/",
      lambda: alice.get_object(Bucket=SHARED, Key=MINE)["Body"].read() == BODY)
check("alice list_objects_v2 Prefix=alice/",
      lambda: MINE in [o["Key"] for o in alice.list_objects_v2(Bucket=SHARED, Prefix="alice/")["Contents"]])
owner.put_object(Bucket=SHARED, Key=TEAM, Body=BODY)
expect_error("alice put_object outside alice/ is AccessDenied", "AccessDenied",
             lambda: alice.put_object(Bucket=SHARED, Key="team/alice.txt", Body=b"x"))
expect_error("alice get_object outside alice/ is AccessDenied", "AccessDenied",
             lambda: alice.get_object(Bucket=SHARED, Key=TEAM))
expect_error("alice copy_object from team/ into alice/ is AccessDenied (no read on the source)", "AccessDenied",
             lambda: alice.copy_object(Bucket=SHARED, Key="alice/stolen.txt",
                                       CopySource={"Bucket": SHARED, "Key": TEAM}))
expect_error("alice list_objects_v2 without a prefix is AccessDenied", "AccessDenied",
             lambda: alice.list_objects_v2(Bucket=SHARED))
expect_error("alice list_objects_v2 Prefix=team/ is AccessDenied", "AccessDenied",
             lambda: alice.list_objects_v2(Bucket=SHARED, Prefix="team/"))
expect_error("alice get_object of a missing key outside her rights is AccessDenied, not NoSuchKey",
             "AccessDenied", lambda: alice.get_object(Bucket=SHARED, Key="team/nothing-here"))
expect_error("alice delete_object outside alice/ is AccessDenied", "AccessDenied",
             lambda: alice.delete_object(Bucket=SHARED, Key=TEAM))
check("delete_objects by alice reports AccessDenied per key outside her prefix",
      lambda: (lambda r: [d["Key"] for d in r.get("Deleted", [])] == [MINE]
               and [(e["Key"], e["Code"]) for e in r.get("Errors", [])] == [(TEAM, "AccessDenied")])(
          alice.delete_objects(Bucket=SHARED, Delete={"Objects": [{"Key": MINE}, {"Key": TEAM}]})))
check(f"{TEAM} survived alice's delete_objects",
      lambda: owner.head_object(Bucket=SHARED, Key=TEAM)["ContentLength"] == len(BODY))
expect_error("alice create_bucket is AccessDenied", "AccessDenied",
             lambda: alice.create_bucket(Bucket=f"alice-{RUN}"))
expect_error("alice put_bucket_policy is AccessDenied", "AccessDenied",
             lambda: alice.put_bucket_policy(Bucket=SHARED, Policy=json.dumps({
                 "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
                                                         "Action": "s3:*", "Resource": f"arn:aws:s3:::{SHARED}/*"}]})))
expect_error("bob (lts-* steward) get_object on fake-s3-shared is AccessDenied", "AccessDenied",
             lambda: bob.get_object(Bucket=SHARED, Key=TEAM))

# carol (account 444455556666) is denied until a bucket policy grants her.
expect_error("carol get_object before any grant is AccessDenied", "AccessDenied",
             lambda: carol.get_object(Bucket=B, Key="docs/hello.txt"))
expect_error("carol list_objects_v2 before any grant is AccessDenied", "AccessDenied",
             lambda: carol.list_objects_v2(Bucket=B))
expect_error("carol's account root is denied too", "AccessDenied",
             lambda: client("other").get_object(Bucket=B, Key="docs/hello.txt"))
expect_error("the owner's root cannot read carol's account's bucket", "AccessDenied",
             lambda: owner.list_objects_v2(Bucket="carol-bucket"))
bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
       "Principal": {"AWS": "arn:aws:iam::444455556666:user/nobody"}, "Action": "s3:GetObject",
       "Resource": f"arn:aws:s3:::{B}/*"}]}
try:
    owner.put_bucket_policy(Bucket=B, Policy=json.dumps(bad))
    result(False, "put_bucket_policy naming a missing user is MalformedPolicy 'Invalid principal in policy'",
           "it was accepted")
except ClientError as e:
    err = e.response["Error"]
    result(err.get("Code") == "MalformedPolicy" and "Invalid principal in policy" in err.get("Message", ""),
           "put_bucket_policy naming a missing user is MalformedPolicy 'Invalid principal in policy'",
           f"got {err}")
policy = {"Version": "2012-10-17", "Statement": [
    {"Sid": "CarolReadDocs", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:user/carol"},
     "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{B}/docs/*"},
    {"Sid": "CarolList", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:user/carol"},
     "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{B}"},
    {"Sid": "NobodyDeletes", "Effect": "Deny", "Principal": "*",
     "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{B}/docs/hello.txt"}]}
check("put_bucket_policy granting carol", lambda: owner.put_bucket_policy(Bucket=B, Policy=json.dumps(policy)))
check("get_bucket_policy returns the three statements",
      lambda: sorted(s["Sid"] for s in json.loads(owner.get_bucket_policy(Bucket=B)["Policy"])["Statement"])
      == ["CarolList", "CarolReadDocs", "NobodyDeletes"])
check("carol get_object docs/hello.txt is now allowed",
      lambda: carol.get_object(Bucket=B, Key="docs/hello.txt")["Body"].read() == BODY)
check("carol list_objects_v2 is now allowed",
      lambda: "docs/hello.txt" in [o["Key"] for o in carol.list_objects_v2(Bucket=B)["Contents"]])
expect_error("carol get_object outside docs/ is still AccessDenied", "AccessDenied",
             lambda: carol.get_object(Bucket=B, Key="copies/hello.txt"))
expect_error("carol put_object is still AccessDenied", "AccessDenied",
             lambda: carol.put_object(Bucket=B, Key="docs/carol.txt", Body=b"x"))
expect_error("carol's account root is still denied (the policy names the user)", "AccessDenied",
             lambda: client("other").get_object(Bucket=B, Key="docs/hello.txt"))
expect_error("an explicit Deny in the bucket policy beats the owner's root", "AccessDenied",
             lambda: owner.delete_object(Bucket=B, Key="docs/hello.txt"))
carol_url = client("carol", sig="s3").generate_presigned_url(
    "get_object", Params={"Bucket": B, "Key": "docs/hello.txt"}, ExpiresIn=300)
expect_http("carol's SigV2 presigned GET works cross-account once granted", 200, fetch(carol_url))
check("delete_bucket_policy", lambda: owner.delete_bucket_policy(Bucket=B))
expect_error("get_bucket_policy after delete is NoSuchBucketPolicy", "NoSuchBucketPolicy",
             lambda: owner.get_bucket_policy(Bucket=B))
expect_error("carol is AccessDenied again after the policy is deleted", "AccessDenied",
             lambda: carol.get_object(Bucket=B, Key="docs/hello.txt"))
expect_http("carol's presigned URL stops working too", 403, fetch(carol_url), "AccessDenied")

# --- public access block ------------------------------------------------------------------------------------
pab = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
check("put_public_access_block", lambda: owner.put_public_access_block(
    Bucket=B, PublicAccessBlockConfiguration=pab))
check("get_public_access_block returns it",
      lambda: owner.get_public_access_block(Bucket=B)["PublicAccessBlockConfiguration"] == pab)
public = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                  "Resource": f"arn:aws:s3:::{B}/*"}]}
expect_error("BlockPublicPolicy refuses a public bucket policy (AccessDenied)", "AccessDenied",
             lambda: owner.put_bucket_policy(Bucket=B, Policy=json.dumps(public)))
check("delete_public_access_block", lambda: owner.delete_public_access_block(Bucket=B))
expect_error("get_public_access_block after delete is NoSuchPublicAccessBlockConfiguration",
             "NoSuchPublicAccessBlockConfiguration", lambda: owner.get_public_access_block(Bucket=B))
check("a public read policy is accepted without the block",
      lambda: owner.put_bucket_policy(Bucket=B, Policy=json.dumps(public)))
check("get_bucket_policy_status says it is public",
      lambda: owner.get_bucket_policy_status(Bucket=B)["PolicyStatus"]["IsPublic"] is True)
expect_http("an anonymous GET of a public object is 200", 200, fetch(f"{ENDPOINT}/{B}/docs/hello.txt"))
expect_http("an anonymous PUT is still 403", 403,
            fetch(f"{ENDPOINT}/{B}/docs/anon.txt", "PUT", b"x", {"Content-Type": "text/plain"}), "AccessDenied")
owner.delete_bucket_policy(Bucket=B)

# --- bucket subresources the fake does not serve must not be taken for other operations -----------------------
# S3 answers these with their own documents; a fake that lacks them should say NotImplemented (as it
# does for ?acl, ?cors, ?tagging, …), never list, create or delete the bucket instead.
def payer_or_not_implemented():
    try:
        r = owner.get_bucket_request_payment(Bucket=B)
        r.pop("ResponseMetadata", None)
    except ClientError as e:
        return e.response["Error"]["Code"] == "NotImplemented" or f"error {e.response['Error']}"
    return r.get("Payer") == "BucketOwner" or f"no Payer in the answer: {r}"


def ownership_or_error():
    try:
        r = owner.get_bucket_ownership_controls(Bucket=B)
        r.pop("ResponseMetadata", None)
    except ClientError as e:
        return (e.response["Error"]["Code"] in ("NotImplemented", "OwnershipControlsNotFoundError")
                or f"error {e.response['Error']}")
    return bool(r.get("OwnershipControls", {}).get("Rules")) or f"no Rules in the answer: {r}"


def survives(call):
    scratch = f"{B}-scratch"
    owner.create_bucket(Bucket=scratch)
    try:
        call(scratch)
    except ClientError:
        pass
    try:
        owner.head_bucket(Bucket=scratch)
    except ClientError as e:
        return f"the bucket is gone ({e.response['Error']['Code']})"
    owner.delete_bucket(Bucket=scratch)
    return True


def not_created(call):
    ghost = f"{B}-ghost"
    code = error_code(lambda: call(ghost))
    created = error_code(lambda: owner.head_bucket(Bucket=ghost)) is None
    if created:
        owner.delete_bucket(Bucket=ghost)
        return f"the call answered {code or 'success'} and created bucket {ghost}"
    return code in ("NoSuchBucket", "NotImplemented") or f"answered {code}"


check("GET ?requestPayment answers Payer=BucketOwner (or NotImplemented), not a listing", payer_or_not_implemented)
check("GET ?ownershipControls answers its rules (or an error), not a listing", ownership_or_error)
check("DELETE ?ownershipControls leaves the bucket in place",
      lambda: survives(lambda b: owner.delete_bucket_ownership_controls(Bucket=b)))
check("DELETE ?analytics leaves the bucket in place",
      lambda: survives(lambda b: owner.delete_bucket_analytics_configuration(Bucket=b, Id="x")))
check("PUT ?requestPayment on a missing bucket is NoSuchBucket (or NotImplemented) and creates nothing",
      lambda: not_created(lambda b: owner.put_bucket_request_payment(
          Bucket=b, RequestPaymentConfiguration={"Payer": "Requester"})))
check("PUT ?accelerate on a missing bucket is NoSuchBucket (or NotImplemented) and creates nothing",
      lambda: not_created(lambda b: owner.put_bucket_accelerate_configuration(
          Bucket=b, AccelerateConfiguration={"Status": "Enabled"})))

# --- clean-up -------------------------------------------------------------------------------------------------
expect_error("delete_bucket of a non-empty bucket is BucketNotEmpty", "BucketNotEmpty",
             lambda: owner.delete_bucket(Bucket=B))


def empty_and_delete():
    for page in owner.get_paginator("list_objects_v2").paginate(Bucket=B):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            owner.delete_objects(Bucket=B, Delete={"Objects": keys})
    owner.delete_bucket(Bucket=B)


check("empty the bucket with delete_objects and delete it", empty_and_delete)
expect_error("head_bucket after delete is 404", "404", lambda: owner.head_bucket(Bucket=B))
owner.delete_object(Bucket=SHARED, Key=TEAM)

print(f"boto3: {PASSED} passed, {FAILED} failed", flush=True)
sys.exit(1 if FAILED else 0)
