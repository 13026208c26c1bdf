"""Cases: the policy `s3keeper share` renders, a candidate rendering, its probe and bucket calls."""

import json

from .caselib import BOB, TINA, allow, case, deny, keys_of, pol_arn
from .cases_policy import BAD_CANNED


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
