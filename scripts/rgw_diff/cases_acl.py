"""Cases: ownership and ACLs (owner ids, canned and granted ACLs, members' uploads, copies)."""

from .caselib import BOB, allow, body_of, case, grants, keys_of, pol_arn


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
