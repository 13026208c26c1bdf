"""Cases: bucket policies (principals, validation, conditions, deny, round trips, deletion)."""

import json

from .caselib import BOB, MALLORY, TINA, WENDY, allow, case, deny, grants, keys_of, pol_arn, user_arn
from .config import ACCOUNTS


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
