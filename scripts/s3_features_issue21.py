"""Sections of check_s3_features.py for issue 21's families (canned ACLs under BucketOwnerEnforced,
checksums, ...), each written from AWS's documentation (the page is cited above each section)."""

from s3_features_common import *  # noqa: F401,F403 - the shared harness


# --- canned ACLs with ACLs disabled ----------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_OwnershipControlsRule.html (BucketOwnerEnforced:
# "the bucket only accepts PUT requests that don't specify an ACL or specify bucket owner full control
# ACLs"), …/userguide/object-ownership-error-responses.html (AccessControlListNotSupported, 400),
# …/API_CreateBucket.html + …/userguide/object-ownership-error-responses.html
# (InvalidBucketAclWithObjectOwnership). `private` from the bucket owner's own account is the owner's
# full control (the writer is the bucket owner); from another account it is that account's.
def section_canned_acl():
    b = bucket_name("canned")
    if not check(f"canned_acl: create_bucket {b} with ACL private", lambda: owner.create_bucket(Bucket=b, ACL="private")):
        return
    try:
        carol_arn = f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol"
        check("canned_acl: a bucket policy lets carol (another account) write and read", lambda: owner.put_bucket_policy(
            Bucket=b, Policy=policy(b, {"Sid": "CarolWrites", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                                        "Action": ["s3:PutObject", "s3:GetObject"], "Resource": f"arn:aws:s3:::{b}/*"})))
        owner.put_object(Bucket=b, Key="source", Body=b"source")
        uploads = {
            "PutObject": lambda c, acl: c.put_object(Bucket=b, Key="k", Body=b"x", ACL=acl),
            "CreateMultipartUpload": lambda c, acl: c.create_multipart_upload(Bucket=b, Key="k", ACL=acl),
            "CopyObject": lambda c, acl: c.copy_object(Bucket=b, Key="k", ACL=acl,
                                                       CopySource={"Bucket": b, "Key": "source"}),
        }
        for op, call in uploads.items():
            check(f"canned_acl: the owner's {op} with ACL private is accepted", lambda: call(owner, "private"))
            check(f"canned_acl: the owner's {op} with ACL bucket-owner-full-control is accepted",
                  lambda: call(owner, "bucket-owner-full-control"))
            expect_error(f"canned_acl: the owner's {op} with ACL public-read is AccessControlListNotSupported",
                         "AccessControlListNotSupported", lambda: call(owner, "public-read"), 400)
            check(f"canned_acl: carol's {op} with ACL bucket-owner-full-control is accepted",
                  lambda: call(carol, "bucket-owner-full-control"))
            expect_error(f"canned_acl: carol's {op} with ACL private is AccessControlListNotSupported",
                         "AccessControlListNotSupported", lambda: call(carol, "private"), 400)
        owner_cid = canonical_id("canned_acl: ListBuckets names the owner's canonical id", owner, "owner-cid-unknown")
        carol.put_object(Bucket=b, Key="from-carol", Body=b"x", ACL="bucket-owner-full-control")
        check("canned_acl: carol's upload is the bucket owner's, with only its FULL_CONTROL", lambda: (lambda r: want(
            r, r["Owner"]["ID"] == owner_cid and grants(r) == {(owner_cid, "FULL_CONTROL")}, "owner FULL_CONTROL"))(
            owner.get_object_acl(Bucket=b, Key="from-carol")))
        with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"canned-{RUN}.txt"), "w") as f:
            f.write("synced")
        check("canned_acl: aws s3 cp --acl private (what sync tools send) is accepted",
              lambda: aws_cli("s3", "cp", f.name, f"s3://{b}/cli.txt", "--acl", "private") is not None)
        check("canned_acl: aws s3 cp --acl public-read is refused", lambda: want(
            None, aws_cli_fails("s3", "cp", f.name, f"s3://{b}/cli-public.txt", "--acl", "public-read"),
            "a failing aws s3 cp"))
        os.unlink(f.name)
        nb = bucket_name("canned-public")
        expect_error("canned_acl: CreateBucket with ACL public-read is InvalidBucketAclWithObjectOwnership",
                     "InvalidBucketAclWithObjectOwnership", lambda: owner.create_bucket(Bucket=nb, ACL="public-read"), 400)
    finally:
        try:
            owner.delete_bucket_policy(Bucket=b)
        except ClientError:
            pass
        purge(owner, b)


# --- checksums ---------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html (composite
# checksums: the checksum of the parts' checksums, shown as VALUE-N; full-object CRCs; CRC64NVME
# full-object only, SHA-1/SHA-256 composite only), …/API_CreateMultipartUpload.html
# (x-amz-checksum-algorithm, x-amz-checksum-type), …/API_ListParts.html and
# …/API_ListMultipartUploads.html (ChecksumAlgorithm, ChecksumType), …/API_CompleteMultipartUpload.html,
# …/API_HeadObject.html (x-amz-checksum-mode: ENABLED), …/API_GetObjectAttributes.html (the ETag
# unquoted, Checksum, ObjectParts), …/RESTObjectPOST.html (form fields).
def section_checksums():
    import base64
    import hashlib
    import zlib

    def b64(raw):
        return base64.b64encode(raw).decode()

    def crc32(data):
        return zlib.crc32(data).to_bytes(4, "big")

    digests = {"CRC32": crc32, "SHA256": lambda d: hashlib.sha256(d).digest()}
    b = bucket_name("checksums")
    if not check(f"checksums: create_bucket {b}", lambda: owner.create_bucket(Bucket=b)):
        return
    try:
        parts = [bytes(i % 251 for i in range(5 * 1024 * 1024)), b"the last part"]
        for algo, kind in (("CRC32", "COMPOSITE"), ("CRC32", "FULL_OBJECT"), ("SHA256", "COMPOSITE")):
            label = f"checksums: {algo} {kind}"
            key = f"{algo}-{kind}"
            up = check(f"{label}: CreateMultipartUpload answers the algorithm and type", lambda: (lambda r: want(
                r, r.get("ChecksumAlgorithm") == algo and r.get("ChecksumType") == kind, f"{algo} {kind}"))(
                owner.create_multipart_upload(Bucket=b, Key=key, ChecksumAlgorithm=algo, ChecksumType=kind)))
            if not up:
                continue
            uid = up["UploadId"]
            done_parts, sums = [], []
            for n, data in enumerate(parts, start=1):
                r = owner.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=n, Body=data, ChecksumAlgorithm=algo)
                sums.append(r.get(f"Checksum{algo}"))
                done_parts.append({"PartNumber": n, "ETag": r["ETag"], f"Checksum{algo}": r.get(f"Checksum{algo}")})
            equal(f"{label}: each part's checksum is its bytes'", lambda: sums, [b64(digests[algo](p)) for p in parts])
            check(f"{label}: ListParts names the algorithm, the type and each part's checksum", lambda: (lambda r: want(
                r, r.get("ChecksumAlgorithm") == algo and r.get("ChecksumType") == kind
                and [p.get(f"Checksum{algo}") for p in r["Parts"]] == sums, "algorithm, type, sums"))(
                owner.list_parts(Bucket=b, Key=key, UploadId=uid)))
            check(f"{label}: ListMultipartUploads names the algorithm", lambda: (lambda r: want(
                r, [u.get("ChecksumAlgorithm") for u in r.get("Uploads", []) if u["UploadId"] == uid] == [algo], algo))(
                owner.list_multipart_uploads(Bucket=b)))
            if kind == "COMPOSITE":
                expected = b64(digests[algo](b"".join(base64.b64decode(s) for s in sums))) + f"-{len(parts)}"
            else:
                expected = b64(digests[algo](b"".join(parts)))
            equal(f"{label}: CompleteMultipartUpload answers the object's checksum", lambda: (lambda r: (
                r.get(f"Checksum{algo}"), r.get("ChecksumType")))(owner.complete_multipart_upload(
                    Bucket=b, Key=key, UploadId=uid, MultipartUpload={"Parts": done_parts})), (expected, kind))
            equal(f"{label}: HeadObject with ChecksumMode ENABLED shows it", lambda: (lambda r: (
                r.get(f"Checksum{algo}"), r.get("ChecksumType")))(
                owner.head_object(Bucket=b, Key=key, ChecksumMode="ENABLED")), (expected, kind))
            equal(f"{label}: GetObjectAttributes shows the checksum and both parts", lambda: (lambda r: (
                r["Checksum"].get(f"Checksum{algo}"), r["ObjectParts"]["TotalPartsCount"],
                [p.get(f"Checksum{algo}") for p in r["ObjectParts"].get("Parts", [])], r["ObjectSize"],
                r["StorageClass"]))(owner.get_object_attributes(
                    Bucket=b, Key=key, ObjectAttributes=["Checksum", "ObjectParts", "ObjectSize", "StorageClass"])),
                (expected, 2, sums, sum(map(len, parts)), "STANDARD"))
        expect_error("checksums: a SHA256 FULL_OBJECT upload is InvalidRequest", "InvalidRequest",
                     lambda: owner.create_multipart_upload(Bucket=b, Key="x", ChecksumAlgorithm="SHA256",
                                                           ChecksumType="FULL_OBJECT"), 400)
        r = owner.put_object(Bucket=b, Key="one", Body=b"one piece", ChecksumAlgorithm="SHA256")
        equal("checksums: aws s3api get-object-attributes shows the SHA256 checksum", lambda: json.loads(aws_cli(
            "s3api", "get-object-attributes", "--bucket", b, "--key", "one", "--object-attributes", "Checksum"))[
            "Checksum"]["ChecksumSHA256"], base64.b64encode(hashlib.sha256(b"one piece").digest()).decode())
        equal("checksums: GetObjectAttributes' ETag is unquoted", lambda: owner.get_object_attributes(
            Bucket=b, Key="one", ObjectAttributes=["ETag"])["ETag"], r["ETag"].strip('"'))
        good = b64(crc32(b"posted"))
        for what, value, status in (("matching", good, 204), ("wrong", b64(crc32(b"other")), 400)):
            post = owner.generate_presigned_post(b, "posted", Fields={"x-amz-checksum-crc32": value},
                                                 Conditions=[{"x-amz-checksum-crc32": value}])
            check(f"checksums: a POST upload with a {what} x-amz-checksum-crc32 field answers {status}", lambda: (
                lambda r: want(r[0], r[0] == status, status))(post_form(post["url"], post["fields"], b"posted")))
        equal("checksums: …and the object keeps the checksum", lambda: owner.head_object(
            Bucket=b, Key="posted", ChecksumMode="ENABLED").get("ChecksumCRC32"), good)
    finally:
        purge(owner, b)


# --- multipart -------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html and …/API_HeadObject.html
# (partNumber: a ranged GET of that part; PartsCount / x-amz-mp-parts-count), …/userguide/conditional-writes.html
# (If-None-Match and If-Match on CompleteMultipartUpload: 412 PreconditionFailed, the upload stays open),
# …/API_ListMultipartUploads.html + …/API_MultipartUpload.html (Initiator: canonical id or IAM ARN; Owner),
# …/API_UploadPartCopy.html (x-amz-copy-source-range within the source).
def section_multipart():
    b = bucket_name("multipart")
    if not check(f"multipart: create_bucket {b}", lambda: owner.create_bucket(Bucket=b)):
        return
    try:
        sizes = [5 * 1024 * 1024, 1000]

        def upload(key, **complete_kw):
            uid = owner.create_multipart_upload(Bucket=b, Key=key)["UploadId"]
            parts = [{"PartNumber": n, "ETag": owner.upload_part(
                Bucket=b, Key=key, UploadId=uid, PartNumber=n, Body=bytes([64 + n]) * size)["ETag"]}
                for n, size in enumerate(sizes, start=1)]
            return lambda **kw: owner.complete_multipart_upload(
                Bucket=b, Key=key, UploadId=uid, MultipartUpload={"Parts": parts}, **kw)

        check("multipart: a two-part upload completes", upload("mp"))
        for n, size in enumerate(sizes, start=1):
            equal(f"multipart: GetObject PartNumber={n} answers that part and PartsCount 2", lambda: (lambda r: (
                r["ContentLength"], r["PartsCount"], r["Body"].read()[:1], r["ResponseMetadata"]["HTTPStatusCode"]))(
                owner.get_object(Bucket=b, Key="mp", PartNumber=n)), (size, 2, bytes([64 + n]), 206))
            equal(f"multipart: HeadObject PartNumber={n} answers its length and PartsCount 2", lambda: (lambda r: (
                r["ContentLength"], r["PartsCount"]))(owner.head_object(Bucket=b, Key="mp", PartNumber=n)), (size, 2))
        equal("multipart: aws s3api head-object --part-number 2 answers PartsCount 2", lambda: json.loads(aws_cli(
            "s3api", "head-object", "--bucket", b, "--key", "mp", "--part-number", "2"))["PartsCount"], 2)
        expect_error("multipart: PartNumber=3 of two parts is InvalidPartNumber (416)", "InvalidPartNumber",
                     lambda: owner.get_object(Bucket=b, Key="mp", PartNumber=3), 416)
        expect_error("multipart: PartNumber with a Range is InvalidRequest", "InvalidRequest",
                     lambda: owner.get_object(Bucket=b, Key="mp", PartNumber=1, Range="bytes=0-1"), 400)

        complete = upload("mp")
        expect_error("multipart: CompleteMultipartUpload If-None-Match * over an object is PreconditionFailed",
                     "PreconditionFailed", lambda: complete(IfNoneMatch="*"), 412)
        check("multipart: …the upload stays open and completes without the condition", complete)
        etag = owner.head_object(Bucket=b, Key="mp")["ETag"]
        check("multipart: CompleteMultipartUpload If-Match the current ETag completes",
              lambda: upload("mp")(IfMatch=etag))
        complete = upload("mp")
        owner.put_object(Bucket=b, Key="mp", Body=b"replaced")
        expect_error("multipart: …If-Match a replaced ETag is PreconditionFailed", "PreconditionFailed",
                     lambda: complete(IfMatch=etag), 412)
        owner.put_object(Bucket=b, Key="src", Body=b"ten bytes!")
        uid = owner.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
        expect_error("multipart: UploadPartCopy of a range past the source's end is refused",
                     ("InvalidArgument", "InvalidRange"), lambda: owner.upload_part_copy(
                         Bucket=b, Key="dst", UploadId=uid, PartNumber=1, CopySource={"Bucket": b, "Key": "src"},
                         CopySourceRange="bytes=0-100"))
        owner_cid = canonical_id("multipart: ListBuckets names the owner's canonical id", owner, "owner-cid-unknown")
        check("multipart: ListMultipartUploads names the Initiator and Owner", lambda: (lambda r: want(
            r, all(u.get("Initiator", {}).get("ID") == owner_cid and u.get("Owner", {}).get("ID") == owner_cid
                   for u in r.get("Uploads", [])) and r.get("Uploads"), f"Initiator and Owner {owner_cid}"))(
            owner.list_multipart_uploads(Bucket=b)))
    finally:
        purge(owner, b)



# --- policy keys ----------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
# (…IfExists: true when the key is absent), …/reference_policies_condition-keys.html (aws:Referer, present
# when the request has a Referer header), https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html
# (s3:max-keys, s3:x-amz-grant-full-control, s3:x-amz-copy-source), …/userguide/about-object-ownership.html
# (with ACLs disabled a grant of the bucket owner's full control is accepted).
def section_policy_keys():
    b = bucket_name("pkeys")
    src = bucket_name("pkeys-src")
    if not (check(f"policy_keys: create_bucket {b}", lambda: owner.create_bucket(Bucket=b))
            and check(f"policy_keys: create_bucket {src}", lambda: owner.create_bucket(Bucket=src))):
        purge(owner, b)
        return
    try:
        owner_cid = canonical_id("policy_keys: ListBuckets names the owner's canonical id", owner, "owner-cid-unknown")
        carol_arn = f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol"
        check("policy_keys: a policy with …IfExists, grant and copy-source conditions is accepted",
              lambda: owner.put_bucket_policy(Bucket=b, Policy=policy(
                  b,
                  {"Sid": "ReadWithReferer", "Effect": "Allow", "Principal": {"AWS": carol_arn}, "Action": "s3:GetObject",
                   "Resource": f"arn:aws:s3:::{b}/*",
                   "Condition": {"StringLikeIfExists": {"aws:Referer": "http://www.example.com/*"}}},
                  {"Sid": "ListFew", "Effect": "Allow", "Principal": {"AWS": carol_arn}, "Action": "s3:ListBucket",
                   "Resource": f"arn:aws:s3:::{b}",
                   "Condition": {"NumericLessThanEqualsIfExists": {"s3:max-keys": "10"}}},
                  {"Sid": "UploadGrantingOwner", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                   "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{b}/granted/*",
                   "Condition": {"StringEquals": {"s3:x-amz-grant-full-control": f"id={owner_cid}"}}},
                  {"Sid": "CopyPublic", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                   "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{b}/copies/*",
                   "Condition": {"StringLike": {"s3:x-amz-copy-source": f"{src}/public/*"}}})))
        check("policy_keys: the source bucket lets carol read public/*", lambda: owner.put_bucket_policy(
            Bucket=src, Policy=policy(src, {"Effect": "Allow", "Principal": {"AWS": carol_arn}, "Action": "s3:GetObject",
                                            "Resource": f"arn:aws:s3:::{src}/public/*"})))
        owner.put_object(Bucket=b, Key="k", Body=b"x")
        for key in ("public/foo", "private/foo"):
            owner.put_object(Bucket=src, Key=key, Body=b"source")

        def with_referer(value):
            c = make_client(ENDPOINT, KEYS["carol"])
            c.meta.events.register("before-sign.s3.GetObject",
                                   lambda request, **_: request.headers.__setitem__("Referer", value))
            return c
        check("policy_keys: StringLikeIfExists aws:Referer: no Referer reads",
              lambda: carol.get_object(Bucket=b, Key="k"))
        check("policy_keys: …a matching Referer reads",
              lambda: with_referer("http://www.example.com/page").get_object(Bucket=b, Key="k"))
        expect_error("policy_keys: …another Referer is AccessDenied", "AccessDenied",
                     lambda: with_referer("http://www.example.org/").get_object(Bucket=b, Key="k"), 403)
        check("policy_keys: NumericLessThanEqualsIfExists s3:max-keys: MaxKeys=10 lists",
              lambda: carol.list_objects(Bucket=b, MaxKeys=10))
        expect_error("policy_keys: …MaxKeys=11 is AccessDenied", "AccessDenied",
                     lambda: carol.list_objects(Bucket=b, MaxKeys=11), 403)
        check("policy_keys: PutObject granting the owner full control (the condition's value) is accepted",
              lambda: carol.put_object(Bucket=b, Key="granted/a", Body=b"x", GrantFullControl=f"id={owner_cid}"))
        expect_error("policy_keys: …without the grant header it is AccessDenied", "AccessDenied",
                     lambda: carol.put_object(Bucket=b, Key="granted/b", Body=b"x"), 403)
        check("policy_keys: carol copies an object she does not own from public/*",
              lambda: carol.copy_object(Bucket=b, Key="copies/foo", CopySource={"Bucket": src, "Key": "public/foo"}))
        expect_error("policy_keys: …not from private/*", "AccessDenied", lambda: carol.copy_object(
            Bucket=b, Key="copies/bar", CopySource={"Bucket": src, "Key": "private/foo"}), 403)
        equal("policy_keys: …the copy is the bucket owner's (ACLs disabled)", lambda: owner.get_object_acl(
            Bucket=b, Key="copies/foo")["Owner"]["ID"], owner_cid)
    finally:
        for bucket in (b, src):
            try:
                owner.delete_bucket_policy(Bucket=bucket)
            except ClientError:
                pass
            purge(owner, bucket)


# --- listing with encoding-type=url ---------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html (EncodingType: Delimiter, Prefix, Key
# and StartAfter encoded), …/API_ListObjects.html (Marker, NextMarker), …/API_ListObjectVersions.html (KeyMarker),
# …/userguide/object-keys.html (control characters 00–1F and 7F need special handling). boto3 sends
# EncodingType=url itself and decodes the answer.
def section_listing():
    b = bucket_name("listing")
    if not check(f"listing: create_bucket {b}", lambda: owner.create_bucket(Bucket=b)):
        return
    try:
        keys = ["a\x01b", "line\nfeed", "carriage\rreturn", "tab\there", "dir/\x1fname", "del\x7f", "amp&lt<"]
        for key in keys:
            check(f"listing: PutObject {key!r}", lambda: owner.put_object(Bucket=b, Key=key, Body=b"x"))
        equal("listing: ListObjectsV2 (EncodingType=url) gives every key back", lambda: sorted(
            o["Key"] for o in owner.list_objects_v2(Bucket=b)["Contents"]), sorted(keys))
        equal("listing: ListObjects (v1) too", lambda: sorted(
            o["Key"] for o in owner.list_objects(Bucket=b)["Contents"]), sorted(keys))
        equal("listing: ListObjectVersions too", lambda: sorted(
            o["Key"] for o in owner.list_object_versions(Bucket=b)["Versions"]), sorted(keys))
        equal("listing: a prefix with a control character and a delimiter", lambda: (lambda r: (
            r["Prefix"], [p["Prefix"] for p in r.get("CommonPrefixes", [])], [o["Key"] for o in r.get("Contents", [])]))(
            owner.list_objects_v2(Bucket=b, Prefix="dir/\x1f", Delimiter="/")), ("dir/\x1f", [], ["dir/\x1fname"]))
        equal("listing: the raw answer URL-encodes control characters", lambda: (lambda r: (
            r[0], b"a%01b" in r[2] and b"\x01" not in r[2]))(curl_signed_list(b)), (200, True))
        check("listing: the aws CLI lists them (s3api list-objects-v2)", lambda: (lambda out: want(
            out, sorted(json.loads(out)["Contents"], key=lambda o: o["Key"])[0]["Key"] == sorted(keys)[0],
            "the first key"))(aws_cli("s3api", "list-objects-v2", "--bucket", b)))
    finally:
        purge(owner, b)


def curl_signed_list(bucket):
    """(status, headers, body) of ListObjectsV2 with encoding-type=url, signed by botocore."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    url = f"{ENDPOINT}/{bucket}?list-type=2&encoding-type=url"
    req = AWSRequest(method="GET", url=url)
    S3SigV4Auth(owner._request_signer._credentials, "s3", "us-east-1").add_auth(req)
    return http("GET", url, headers=dict(req.headers.items()))


def aws_cli_fails(*args):
    """Whether the aws CLI, as the owner, exits non-zero."""
    try:
        aws_cli(*args)
    except subprocess.CalledProcessError:
        return True
    return False


def aws_cli(*args):
    """The aws CLI's standard output, as the owner."""
    key = KEYS[f"root:{OWNER_ACCOUNT}"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": key["access_key_id"],
           "AWS_SECRET_ACCESS_KEY": key["secret_access_key"], "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run(["aws", "--endpoint-url", ENDPOINT, *args], capture_output=True, check=True,
                          env=env, text=True).stdout


# --- POST object and presigned URLs ----------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html (success_action_status 200/201/204, any other
# value 204; success_action_redirect 303 with bucket, key and etag; a form without policy or signature is anonymous),
# …/API/sigv4-HTTPPOSTConstructPolicy.html (expiration: ISO 8601), …/API/ErrorResponses.html (InvalidPolicyDocument),
# …/API/sigv4-query-string-auth.html (X-Amz-Expires 1–604800: negative or larger 400
# AuthorizationQueryParametersError, 0 expired on arrival), …/API/API_GetObject.html (NoSuchKey only with
# s3:ListBucket, else AccessDenied).
def code_of(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_status_location(url, fields):
    """(status, Location) of a browser form POST, its redirect not followed."""
    boundary = f"----features-{os.getpid()}-{time.time_ns()}"
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="up.txt"\r\n'
             f"Content-Type: text/plain\r\n\r\nx\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.build_opener(_NoRedirect).open(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Location", "")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location", "")


def resigned(form, secret, **policy_changes):
    """The boto3 form's fields with its policy changed and signed again with `secret`."""
    import base64
    import hashlib
    import hmac
    doc = json.loads(base64.b64decode(form["fields"]["policy"]))
    doc.update(policy_changes)
    fields = dict(form["fields"], policy=base64.b64encode(json.dumps(doc).encode()).decode())
    date = fields["x-amz-credential"].split("/")[1]
    key = f"AWS4{secret}".encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    fields["x-amz-signature"] = hmac.new(key, fields["policy"].encode(), hashlib.sha256).hexdigest()
    return fields


def section_post_presigned():
    b, other, anon = bucket_name("postpre"), bucket_name("postpre-other"), bucket_name("postpre-anon")
    if not check(f"post_presigned: create_bucket {b}", lambda: owner.create_bucket(Bucket=b)):
        return
    try:
        url = f"{ENDPOINT}/{b}"
        for status, want_status in (("200", 200), ("201", 201), ("204", 204), ("404", 204), ("bogus", 204)):
            form = owner.generate_presigned_post(b, f"s{status}.txt", Fields={"success_action_status": status},
                                                 Conditions=[{"success_action_status": status}])
            equal(f"post_presigned: success_action_status {status} answers {want_status}",
                  lambda: (lambda r: (r[0], b"<PostResponse>" in r[2]))(post_form(url, form["fields"], b"x")),
                  (want_status, want_status == 201))
        done = "https://example.invalid/done"
        form = owner.generate_presigned_post(b, "r.txt", Fields={"success_action_redirect": done},
                                             Conditions=[{"success_action_redirect": done}])
        equal("post_presigned: success_action_redirect answers 303 to the URL with bucket, key and etag",
              lambda: (lambda r: (r[0], r[1].startswith(f"{done}?bucket={b}&key=r.txt&etag=")))(
                  post_status_location(url, form["fields"])), (303, True))
        form = owner.generate_presigned_post(b, "f.txt")
        secret = KEYS[f"root:{OWNER_ACCOUNT}"]["secret_access_key"]
        cases = (("a form without x-amz-signature", {k: v for k, v in form["fields"].items() if k != "x-amz-signature"},
                  400, "InvalidArgument"),
                 ("an expiration that is no ISO 8601 date", resigned(form, secret, expiration="2100-01-01 00:00:00"),
                  400, "InvalidPolicyDocument"),
                 ("an empty condition {}", resigned(form, secret, conditions=[{}]), 400, "InvalidPolicyDocument"),
                 ("an expired policy", resigned(form, secret, expiration="2001-01-01T00:00:00Z"), 403, "AccessDenied"))
        for label, fields, status, code in cases:
            equal(f"post_presigned: {label} is {status} {code}",
                  lambda: (lambda r: (r[0], code_of(r[2])))(post_form(url, fields, b"x")), (status, code))
        if check(f"post_presigned: create_bucket {other}", lambda: owner.create_bucket(Bucket=other)):
            form = owner.generate_presigned_post(other, "o.txt")
            equal("post_presigned: a form signed for another bucket is 403 AccessDenied",
                  lambda: (lambda r: (r[0], code_of(r[2])))(post_form(url, form["fields"], b"x")), (403, "AccessDenied"))
        equal("post_presigned: an anonymous form to a private bucket is 403",
              lambda: post_form(url, {"key": "anon.txt"}, b"x")[0], 403)
        if check(f"post_presigned: create_bucket {anon}, no public access block, a policy letting anyone put",
                 lambda: (owner.create_bucket(Bucket=anon), owner.delete_public_access_block(Bucket=anon),
                          owner.put_bucket_policy(Bucket=anon, Policy=policy(anon, {
                              "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                              "Resource": f"arn:aws:s3:::{anon}/*"})))):
            equal("post_presigned: …an anonymous form is 204 there",
                  lambda: post_form(f"{ENDPOINT}/{anon}", {"key": "anon.txt"}, b"x")[0], 204)

        owner.put_object(Bucket=b, Key="k", Body=b"old")
        for expires, status, code in ((1, 200, ""), (0, 403, "AccessDenied"), (-1, 400, "AuthorizationQueryParametersError"),
                                      (604800, 200, ""), (604801, 400, "AuthorizationQueryParametersError")):
            signed = owner.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=expires)
            equal(f"post_presigned: a presigned GET with X-Amz-Expires {expires} is {status} {code}".rstrip(),
                  lambda: (lambda r: (r[0], code_of(r[2])))(http("GET", signed)), (status, code))
        put = owner.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=-1000)
        equal("post_presigned: a presigned PUT with X-Amz-Expires -1000 (s3-tests) is 400 AuthorizationQueryParametersError",
              lambda: (lambda r: (r[0], code_of(r[2])))(http("PUT", put, b"new")), (400, "AuthorizationQueryParametersError"))
        put = owner.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=1)
        time.sleep(2.1)
        equal("post_presigned: an expired presigned PUT is 403 AccessDenied and writes nothing",
              lambda: (lambda r: (r[0], code_of(r[2]), body_of(owner, b, "k")))(http("PUT", put, b"new")),
              (403, "AccessDenied", b"old"))

        carol_arn = f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol"
        owner.put_bucket_policy(Bucket=b, Policy=policy(b, {"Effect": "Allow", "Principal": {"AWS": carol_arn},
                                                            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}))
        urls = {who: c.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=600)
                for who, c in (("the owner", owner), ("carol (GetObject only)", carol))}
        owner.delete_object(Bucket=b, Key="k")
        for who, status, code in (("the owner", 404, "NoSuchKey"), ("carol (GetObject only)", 403, "AccessDenied")):
            equal(f"post_presigned: {who}'s signed GET of a deleted object is {status} {code}",
                  lambda: (lambda r: (r[0], code_of(r[2])))(http("GET", urls[who])), (status, code))
        owner.delete_bucket_policy(Bucket=b)
        purge(owner, b)
        for who in urls:
            equal(f"post_presigned: {who}'s signed GET in a deleted bucket is 404 NoSuchBucket",
                  lambda: (lambda r: (r[0], code_of(r[2])))(http("GET", urls[who])), (404, "NoSuchBucket"))
    finally:
        for bucket in (b, other, anon):
            try:
                owner.delete_bucket_policy(Bucket=bucket)
            except ClientError:
                pass
            purge(owner, bucket)
