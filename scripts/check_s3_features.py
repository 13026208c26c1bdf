#!/usr/bin/env python3
"""Real-client checks of the S3 features of issue 10, written from AWS's documentation (boto3 + curl).

    FAKE_S3_ENDPOINT=http://127.0.0.1:PORT python3 scripts/check_s3_features.py
    FEATURES_ONLY="versioning tagging" FAKE_S3_ENDPOINT=… python3 scripts/check_s3_features.py
    FAKE_S3_CEPH_ENDPOINT=http://127.0.0.1:PORT2 FEATURES_ONLY=ceph python3 scripts/check_s3_features.py

Sections (FEATURES_ONLY, default all): versioning tagging acl cors copy ceph, and issue 21's in
s3_features_issue21.py: canned_acl checksums multipart policy_keys listing post_presigned. All but `ceph` need a
fake started with scripts/fake-s3-config.json (or FAKE_S3_CONFIG) at FAKE_S3_ENDPOINT; `ceph` needs a
second one started with scripts/fake-s3-ceph-config.json (or FAKE_S3_CEPH_CONFIG) at
FAKE_S3_CEPH_ENDPOINT. Every check encodes what AWS documents (the page is cited above each
section), so each one also passes against real S3. Each section makes its own run-unique buckets and
removes them (every version and delete marker too) at the end. Prints one PASS/FAIL line per check,
then `features: N passed, M failed`; exits 1 if any failed.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3_features_common as common  # noqa: E402
from s3_features_common import *  # noqa: E402,F401,F403 - the shared harness
import s3_features_issue21 as issue21  # noqa: E402


# --- 1. versioning --------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html,
# …/API_GetBucketVersioning.html (a never-versioned bucket answers without Status),
# …/API_GetObject.html and …/API_HeadObject.html (versionId; a delete marker: 404 with
# x-amz-delete-marker when current, 405 when named by versionId), …/API_DeleteObject.html,
# …/API_ListObjectVersions.html, …/userguide/DeleteMarker.html, …/userguide/RemDelMarker.html,
# …/userguide/AddingObjectstoVersionSuspendedBuckets.html,
# …/userguide/DeletingObjectsfromVersioningSuspendedBuckets.html (version id `null`),
# …/API_CopyObject.html (x-amz-copy-source-version-id),
# …/API_CompleteMultipartUpload.html (x-amz-version-id), …/RESTObjectPOST.html.
def section_versioning():
    b, key, other = bucket_name("ver"), "doc.txt", "src.txt"
    if not check(f"versioning: create_bucket {b}", lambda: owner.create_bucket(Bucket=b)):
        return
    try:
        check("a never-versioned bucket's GetBucketVersioning has no Status",
              lambda: (lambda r: want(r, "Status" not in r, "no Status"))(owner.get_bucket_versioning(Bucket=b)))
        check("put_bucket_versioning Enabled", lambda: owner.put_bucket_versioning(
            Bucket=b, VersioningConfiguration={"Status": "Enabled"}))
        equal("get_bucket_versioning answers Enabled",
              lambda: owner.get_bucket_versioning(Bucket=b).get("Status"), "Enabled")
        r1 = check("PUT on a versioned bucket answers x-amz-version-id", lambda: (
            lambda r: want(r, r.get("VersionId") not in (None, "", "null"), "a version id"))(
            owner.put_object(Bucket=b, Key=key, Body=b"version one")))
        r2 = check("a second PUT of the same key answers another version id", lambda: (
            lambda r: want(r, r.get("VersionId") not in (None, "", "null", (r1 or {}).get("VersionId")), "a new id"))(
            owner.put_object(Bucket=b, Key=key, Body=b"version two!")))
        v1, v2 = (r1 or {}).get("VersionId", "missing-v1"), (r2 or {}).get("VersionId", "missing-v2")
        c1 = owner.put_object(Bucket=b, Key=other, Body=b"copy source one").get("VersionId", "missing-c1")
        owner.put_object(Bucket=b, Key=other, Body=b"copy source two")
        equal("GET without versionId returns the latest version", lambda: body_of(owner, b, key), b"version two!")
        check("GET ?versionId= of the first version returns its content and VersionId", lambda: (
            lambda r: want(r, r["VersionId"] == v1 and r["Body"].read() == b"version one", f"{v1} 'version one'"))(
            owner.get_object(Bucket=b, Key=key, VersionId=v1)))
        check("HEAD ?versionId= of the first version answers its length and VersionId", lambda: (
            lambda r: want(r, r["VersionId"] == v1 and r["ContentLength"] == len(b"version one"), v1))(
            owner.head_object(Bucket=b, Key=key, VersionId=v1)))
        dm = check("DELETE without versionId answers x-amz-delete-marker: true and the marker's version id", lambda: (
            lambda r: want(r, r.get("DeleteMarker") is True and r.get("VersionId") not in (None, v1, v2), "a marker"))(
            owner.delete_object(Bucket=b, Key=key)))
        dm = (dm or {}).get("VersionId", "missing-dm")
        h = expect_error("GET after that delete is 404 NoSuchKey", "NoSuchKey",
                         lambda: owner.get_object(Bucket=b, Key=key), 404)
        check("…with x-amz-delete-marker: true",
              lambda: want(h, (h or {}).get("x-amz-delete-marker") == "true", "x-amz-delete-marker: true"))
        expect_error("GET ?versionId= of the delete marker is 405 MethodNotAllowed", "MethodNotAllowed",
                     lambda: owner.get_object(Bucket=b, Key=key, VersionId=dm), 405)
        equal("HEAD ?versionId= of the delete marker is 405 (MethodNotAllowed)", lambda: (
            failure(lambda: owner.head_object(Bucket=b, Key=key, VersionId=dm)) or (None, "success"))[1], 405)
        equal("GET ?versionId= of an older version still works behind the marker",
              lambda: body_of(owner, b, key, VersionId=v2), b"version two!")
        check("ListObjectVersions shows both versions (not latest) and the marker (latest)", lambda: (
            lambda vd: want(vd, sorted(vd[0]) == sorted([(v1, False), (v2, False)]) and vd[1] == [(dm, True)],
                            f"versions {v1},{v2} and marker {dm}"))(versions_of(owner, b, key)))
        check("ListObjectVersions lists a key's versions newest first",
              lambda: (lambda vd: want(vd, [v for v, _ in vd[0]] == [v2, v1], [v2, v1]))(versions_of(owner, b, key)))
        check("DELETE ?versionId= removes that version for good and answers its id", lambda: (
            lambda r: want(r, r.get("VersionId") == v1 and not r.get("DeleteMarker"), v1))(
            owner.delete_object(Bucket=b, Key=key, VersionId=v1)))
        expect_error("GET ?versionId= of the removed version is 404 NoSuchVersion", "NoSuchVersion",
                     lambda: owner.get_object(Bucket=b, Key=key, VersionId=v1), 404)
        check("DELETE ?versionId= of the delete marker answers x-amz-delete-marker: true", lambda: (
            lambda r: want(r, r.get("DeleteMarker") is True and r.get("VersionId") == dm, dm))(
            owner.delete_object(Bucket=b, Key=key, VersionId=dm)))
        equal("without the marker the object is back (its latest remaining version)",
              lambda: body_of(owner, b, key), b"version two!")
        check("CopyObject from a source version (CopySource with versionId) answers both version ids", lambda: (
            lambda r: want(r, r.get("CopySourceVersionId") == c1 and r.get("VersionId") not in (None, "null"), c1))(
            owner.copy_object(Bucket=b, Key="copy.txt", CopySource={"Bucket": b, "Key": other, "VersionId": c1})))
        equal("…and the copy holds that version's content", lambda: body_of(owner, b, "copy.txt"), b"copy source one")
        up = owner.create_multipart_upload(Bucket=b, Key="mp.bin")["UploadId"]
        part = owner.upload_part(Bucket=b, Key="mp.bin", UploadId=up, PartNumber=1, Body=b"m" * 1000)
        mp = check("CompleteMultipartUpload on a versioned bucket answers x-amz-version-id", lambda: (
            lambda r: want(r, r.get("VersionId") not in (None, "", "null"), "a version id"))(
            owner.complete_multipart_upload(Bucket=b, Key="mp.bin", UploadId=up, MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})))
        equal("…and that version is listed", lambda: versions_of(owner, b, "mp.bin"),
              ([((mp or {}).get("VersionId"), True)], []))
        post = owner.generate_presigned_post(b, "post.txt", ExpiresIn=300)
        got = [post_form(post["url"], post["fields"], data)[0] for data in (b"posted one", b"posted two")]
        check("two browser POST uploads of one key succeed", lambda: want(got, got == [204, 204], [204, 204]))
        check("…and make two versions, the second one current", lambda: (lambda vd: want(
            vd, len({v for v, _ in vd[0]}) == 2 and [latest for _, latest in vd[0]] == [True, False]
            and body_of(owner, b, "post.txt") == b"posted two", "2 versions"))(versions_of(owner, b, "post.txt")))

        check("put_bucket_versioning Suspended", lambda: owner.put_bucket_versioning(
            Bucket=b, VersioningConfiguration={"Status": "Suspended"}))
        equal("get_bucket_versioning answers Suspended",
              lambda: owner.get_bucket_versioning(Bucket=b).get("Status"), "Suspended")
        owner.put_object(Bucket=b, Key=key, Body=b"null one")
        check("a PUT while suspended stores version `null` beside the older versions", lambda: (lambda vd: want(
            vd, vd[0] == [("null", True), (v2, False)], f"[null (latest), {v2}]"))(versions_of(owner, b, key)))
        owner.put_object(Bucket=b, Key=key, Body=b"null two")
        check("a second PUT while suspended replaces the `null` version", lambda: (lambda vd: want(
            vd, vd[0] == [("null", True), (v2, False)] and body_of(owner, b, key) == b"null two", "one null"))(
            versions_of(owner, b, key)))
        check("a DELETE while suspended answers a delete marker", lambda: (
            lambda r: want(r, r.get("DeleteMarker") is True, "DeleteMarker"))(owner.delete_object(Bucket=b, Key=key)))
        equal("…whose version id is `null`, replacing the `null` version",
              lambda: versions_of(owner, b, key), ([(v2, False)], [("null", True)]))
    finally:
        purge(owner, b)


# --- 2. tagging ---------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html (at most 10 tags; InvalidTag),
# …/API_GetObjectTagging.html, …/API_DeleteObjectTagging.html, …/API_PutObject.html (x-amz-tagging,
# URL-query encoded; s3:PutObjectTagging also needed), …/API_GetObject.html (x-amz-tagging-count),
# …/API_CreateMultipartUpload.html, …/RESTObjectPOST.html (form field `tagging`: a <Tagging> XML
# document), …/API_CopyObject.html (x-amz-tagging-directive COPY, the default, or REPLACE),
# …/API_GetBucketTagging.html (NoSuchTagSet), …/userguide/tagging-and-policies.html (condition keys),
# …/userguide/object-tagging.html (keys up to 128, values up to 256 Unicode characters).
# Over 10 tags: the API reference names InvalidTag for tags failing validation; S3 has been seen to
# answer BadRequest ("Object tags cannot be greater than 10"), so both are accepted.
TOO_MANY = ("InvalidTag", "BadRequest")


def section_tagging():
    b = bucket_name("tag")
    if not check(f"tagging: create_bucket {b}", lambda: owner.create_bucket(Bucket=b)):
        return
    try:
        check("PUT with x-amz-tagging (Tagging='a=1&b=2')", lambda: owner.put_object(
            Bucket=b, Key="t.txt", Body=b"tagged", Tagging="a=1&b=2"))
        check("GetObjectTagging returns those tags", lambda: (lambda t: want(t, t == {"a": "1", "b": "2"}, "a=1, b=2"))(
            tags(owner.get_object_tagging(Bucket=b, Key="t.txt"))))
        check("GetObject answers x-amz-tagging-count: 2", lambda: (lambda r: want(
            r.get("TagCount"), r.get("TagCount") == 2, 2))(owner.get_object(Bucket=b, Key="t.txt")))
        check("x-amz-tagging values are URL-decoded (Tagging='k%20x=v%2Fw')", lambda: (
            owner.put_object(Bucket=b, Key="enc.txt", Body=b"x", Tagging="k%20x=v%2Fw"),
            (lambda t: want(t, t == {"k x": "v/w"}, "{'k x': 'v/w'}"))(
                tags(owner.get_object_tagging(Bucket=b, Key="enc.txt"))))[1])
        check("PutObjectTagging replaces the whole tag set", lambda: (
            owner.put_object_tagging(Bucket=b, Key="t.txt", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]}),
            (lambda t: want(t, t == {"c": "3"}, "c=3"))(tags(owner.get_object_tagging(Bucket=b, Key="t.txt"))))[1])
        check("DeleteObjectTagging empties the tag set", lambda: (
            owner.delete_object_tagging(Bucket=b, Key="t.txt"),
            (lambda t: want(t, t == {}, "no tags"))(tags(owner.get_object_tagging(Bucket=b, Key="t.txt"))))[1])
        check("…and GetObject then answers no x-amz-tagging-count", lambda: (lambda r: want(
            r.get("TagCount"), r.get("TagCount") in (None, 0), "none"))(owner.get_object(Bucket=b, Key="t.txt")))
        up = check("CreateMultipartUpload with x-amz-tagging", lambda: owner.create_multipart_upload(
            Bucket=b, Key="mp.bin", Tagging="stage=raw"))
        if up:
            p = owner.upload_part(Bucket=b, Key="mp.bin", UploadId=up["UploadId"], PartNumber=1, Body=b"z" * 100)
            owner.complete_multipart_upload(Bucket=b, Key="mp.bin", UploadId=up["UploadId"],
                                            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]})
        equal("…the completed object carries those tags",
              lambda: tags(owner.get_object_tagging(Bucket=b, Key="mp.bin")), {"stage": "raw"})
        xml = "<Tagging><TagSet><Tag><Key>origin</Key><Value>browser</Value></Tag></TagSet></Tagging>"
        post = owner.generate_presigned_post(b, "post.txt", ExpiresIn=300, Fields={"tagging": xml},
                                             Conditions=[{"tagging": xml}])
        check("POST upload with a `tagging` form field (a <Tagging> XML document) is 204",
              lambda: (lambda r: want(r[0], r[0] == 204, 204))(post_form(post["url"], post["fields"], b"posted")))
        equal("…and the object carries the tag",
              lambda: tags(owner.get_object_tagging(Bucket=b, Key="post.txt")), {"origin": "browser"})
        owner.put_object(Bucket=b, Key="src.txt", Body=b"source", Tagging="team=data&level=2")
        source_tags = {"team": "data", "level": "2"}
        for directive, extra, expected in (("(no directive)", {}, source_tags),
                                           ("COPY", {"TaggingDirective": "COPY"}, source_tags),
                                           ("REPLACE", {"TaggingDirective": "REPLACE", "Tagging": "n=1"}, {"n": "1"}),
                                           ("REPLACE without tags", {"TaggingDirective": "REPLACE"}, {})):
            dst = f"copy-{len(extra)}-{directive.split()[0]}.txt"
            check(f"CopyObject with tagging directive {directive} gives the copy {expected or 'no tags'}", lambda: (
                owner.copy_object(Bucket=b, Key=dst, CopySource={"Bucket": b, "Key": "src.txt"}, **extra),
                (lambda t: want(t, t == expected, expected))(tags(owner.get_object_tagging(Bucket=b, Key=dst))))[1])

        def tagset(n, key_len=1, value_len=1):
            return {"TagSet": [{"Key": f"{i}".rjust(key_len, "k"), "Value": "v" * value_len} for i in range(n)]}
        check("10 tags are accepted", lambda: owner.put_object_tagging(Bucket=b, Key="src.txt", Tagging=tagset(10)))
        expect_error("11 tags with PutObjectTagging are refused (400)", TOO_MANY,
                     lambda: owner.put_object_tagging(Bucket=b, Key="src.txt", Tagging=tagset(11)), 400)
        expect_error("11 tags in x-amz-tagging on PUT are refused (400)", TOO_MANY, lambda: owner.put_object(
            Bucket=b, Key="eleven.txt", Body=b"x", Tagging="&".join(f"k{i}=v" for i in range(11))), 400)
        check("a 128-character key and a 256-character value are accepted", lambda: owner.put_object_tagging(
            Bucket=b, Key="src.txt", Tagging=tagset(1, 128, 256)))
        expect_error("a 129-character tag key is InvalidTag", "InvalidTag",
                     lambda: owner.put_object_tagging(Bucket=b, Key="src.txt", Tagging=tagset(1, 129)), 400)
        expect_error("a 257-character tag value is InvalidTag", "InvalidTag",
                     lambda: owner.put_object_tagging(Bucket=b, Key="src.txt", Tagging=tagset(1, 1, 257)), 400)
        expect_error("the same tag key twice is InvalidTag", "InvalidTag", lambda: owner.put_object_tagging(
            Bucket=b, Key="src.txt", Tagging={"TagSet": [{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]}), 400)

        expect_error("GetBucketTagging on an untagged bucket is NoSuchTagSet", "NoSuchTagSet",
                     lambda: owner.get_bucket_tagging(Bucket=b), 404)
        check("PutBucketTagging then GetBucketTagging returns the tags", lambda: (
            owner.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "cost", "Value": "lab"}]}),
            (lambda t: want(t, t == {"cost": "lab"}, "cost=lab"))(tags(owner.get_bucket_tagging(Bucket=b))))[1])
        check("DeleteBucketTagging", lambda: owner.delete_bucket_tagging(Bucket=b))
        expect_error("GetBucketTagging after the delete is NoSuchTagSet", "NoSuchTagSet",
                     lambda: owner.get_bucket_tagging(Bucket=b))

        # Tag condition keys, with carol (another account, s3:* in her own) as the grantee.
        carol_arn = f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol"
        owner.put_object(Bucket=b, Key="docs/public.txt", Body=b"public", Tagging="classification=public")
        owner.put_object(Bucket=b, Key="docs/secret.txt", Body=b"secret", Tagging="classification=secret")
        owner.put_object(Bucket=b, Key="docs/plain.txt", Body=b"plain")
        check("a bucket policy with s3:ExistingObjectTag and s3:RequestObjectTag conditions is accepted",
              lambda: owner.put_bucket_policy(Bucket=b, Policy=policy(
                  b,
                  {"Sid": "ReadPublicTagged", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                   "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/docs/*",
                   "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}}},
                  {"Sid": "UploadProjectTagged", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                   "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{b}/uploads/*",
                   "Condition": {
                       "StringEquals": {"s3:RequestObjectTag/project": "alpha"},
                       "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["project", "classification"]}}},
                  {"Sid": "TagOnUpload", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                   "Action": "s3:PutObjectTagging", "Resource": f"arn:aws:s3:::{b}/uploads/*"})))
        equal("s3:ExistingObjectTag: carol reads the object tagged classification=public",
              lambda: body_of(carol, b, "docs/public.txt"), b"public")
        expect_error("…but not the one tagged classification=secret", "AccessDenied",
                     lambda: carol.get_object(Bucket=b, Key="docs/secret.txt"), 403)
        expect_error("…nor the untagged one", "AccessDenied",
                     lambda: carol.get_object(Bucket=b, Key="docs/plain.txt"), 403)
        for tagging, allowed in (("project=alpha", True), ("project=alpha&classification=internal", True),
                                 ("project=beta", False), (None, False), ("project=alpha&cost=1", False)):
            kw = {"Tagging": tagging} if tagging else {}
            desc = f"s3:RequestObjectTag/s3:RequestObjectTagKeys: carol's PUT with {tagging or 'no tags'} is " + (
                "allowed" if allowed else "AccessDenied")
            if allowed:
                check(desc, lambda: carol.put_object(Bucket=b, Key=f"uploads/{len(tagging)}.txt", Body=b"u", **kw))
            else:
                expect_error(desc, "AccessDenied",
                             lambda: carol.put_object(Bucket=b, Key="uploads/denied.txt", Body=b"u", **kw), 403)
    finally:
        purge(owner, b)


# --- 3. ACLs and Object Ownership ----------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html (BucketOwnerEnforced
# by default since April 2023), …/userguide/object-ownership-error-responses.html
# (AccessControlListNotSupported, 400; reading ACLs still works and shows the owner's FULL_CONTROL),
# …/API_PutBucketOwnershipControls.html, …/API_GetBucketOwnershipControls.html,
# …/userguide/create-bucket-faq.html + …/userguide/access-control-block-public-access.html (all four
# block public access settings on for new buckets; BlockPublicAcls: a PUT with a public ACL fails;
# IgnorePublicAcls: public ACLs are ignored), …/userguide/acl-overview.html (canned ACLs, AllUsers
# group URI, x-amz-grant-read: id="canonical id"), …/API_PutObject.html (s3:PutObjectAcl for ACL
# headers), …/userguide/access-control-auth-workflow-object-operation.html (the object owner's ACL
# decides for objects the bucket owner does not own), …/API_ListObjectsV2.html (FetchOwner).
def section_acl():
    b = bucket_name("acl")
    owner_cid = canonical_id("acl: ListBuckets names the owner account's canonical id", owner, "owner-cid-unknown")
    carol_cid = canonical_id("acl: ListBuckets names carol's account's canonical id", carol, "carol-cid-unknown")
    if not check(f"acl: create_bucket {b}", lambda: owner.create_bucket(Bucket=b)):
        return
    try:
        check("a new bucket's ownership is BucketOwnerEnforced", lambda: (lambda r: want(
            r, r["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced", "BucketOwnerEnforced"))(
            owner.get_bucket_ownership_controls(Bucket=b)))
        check("a new bucket has all four block public access settings on", lambda: (lambda r: want(
            r, all(r.values()) and len(r) == 4, "all four True"))(
            owner.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]))
        expect_error("ACLs disabled: PUT with ACL public-read is AccessControlListNotSupported (400)",
                     "AccessControlListNotSupported",
                     lambda: owner.put_object(Bucket=b, Key="pub.txt", Body=b"x", ACL="public-read"), 400)
        check("ACLs disabled: PUT with ACL bucket-owner-full-control is accepted", lambda: owner.put_object(
            Bucket=b, Key="bofc.txt", Body=b"x", ACL="bucket-owner-full-control"))
        owner.put_object(Bucket=b, Key="plain.txt", Body=b"plain")
        check("ACLs disabled: GetObjectAcl shows only the bucket owner's FULL_CONTROL", lambda: (lambda r: want(
            r, r["Owner"]["ID"] == owner_cid and grants(r) == {(owner_cid, "FULL_CONTROL")}, "owner FULL_CONTROL"))(
            owner.get_object_acl(Bucket=b, Key="plain.txt")))
        expect_error("ACLs disabled: PutObjectAcl public-read is AccessControlListNotSupported",
                     "AccessControlListNotSupported",
                     lambda: owner.put_object_acl(Bucket=b, Key="plain.txt", ACL="public-read"), 400)
        check("PutBucketOwnershipControls ObjectWriter", lambda: owner.put_bucket_ownership_controls(
            Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}))
        check("GetBucketOwnershipControls answers ObjectWriter", lambda: (lambda r: want(
            r, r["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "ObjectWriter", "ObjectWriter"))(
            owner.get_bucket_ownership_controls(Bucket=b)))
        expect_error("BlockPublicAcls: PUT with ACL public-read is AccessDenied", "AccessDenied",
                     lambda: owner.put_object(Bucket=b, Key="pub.txt", Body=b"x", ACL="public-read"), 403)
        expect_error("BlockPublicAcls: PutBucketAcl public-read is AccessDenied", "AccessDenied",
                     lambda: owner.put_bucket_acl(Bucket=b, ACL="public-read"), 403)
        check("ACLs enabled: PUT with x-amz-grant-read id=<carol's account> is accepted", lambda: owner.put_object(
            Bucket=b, Key="shared.txt", Body=b"for carol", GrantRead=f'id="{carol_cid}"'))
        check("GetObjectAcl lists carol's account with READ", lambda: (lambda g: want(
            g, (carol_cid, "READ") in g, f"({carol_cid}, READ)"))(
            grants(owner.get_object_acl(Bucket=b, Key="shared.txt"))))
        equal("an ACL grant is a source of Allow: carol reads it with no bucket policy",
              lambda: body_of(carol, b, "shared.txt"), b"for carol")
        expect_error("…but not an object without a grant", "AccessDenied",
                     lambda: carol.get_object(Bucket=b, Key="plain.txt"), 403)

        check("DeletePublicAccessBlock", lambda: owner.delete_public_access_block(Bucket=b))
        check("PUT with ACL public-read is accepted without the block", lambda: owner.put_object(
            Bucket=b, Key="pub.txt", Body=b"for everyone", ACL="public-read"))
        check("GetObjectAcl shows the owner's FULL_CONTROL and AllUsers READ", lambda: (lambda r: want(
            r, {(owner_cid, "FULL_CONTROL"), (ALL_USERS, "READ")} <= grants(r), "owner FULL_CONTROL + AllUsers READ"))(
            owner.get_object_acl(Bucket=b, Key="pub.txt")))
        anon = http("GET", f"{ENDPOINT}/{b}/pub.txt")
        check("an anonymous GET of the public-read object is 200",
              lambda: want(anon[0], anon[0] == 200 and anon[2] == b"for everyone", 200))
        check("an anonymous GET of a private object is 403",
              lambda: (lambda r: want(r[0], r[0] == 403, 403))(http("GET", f"{ENDPOINT}/{b}/plain.txt")))
        check("PutPublicAccessBlock with only IgnorePublicAcls", lambda: owner.put_public_access_block(
            Bucket=b, PublicAccessBlockConfiguration={"BlockPublicAcls": False, "IgnorePublicAcls": True,
                                                      "BlockPublicPolicy": False, "RestrictPublicBuckets": False}))
        check("IgnorePublicAcls: the public-read object, readable anonymously before, is now 403",
              lambda: (lambda r: want((anon[0], r[0]), (anon[0], r[0]) == (200, 403), "200 before, 403 now"))(
                  http("GET", f"{ENDPOINT}/{b}/pub.txt")))
        check("DeletePublicAccessBlock again", lambda: owner.delete_public_access_block(Bucket=b))
        check("PutBucketAcl granting carol's account READ (and the owner FULL_CONTROL)", lambda: owner.put_bucket_acl(
            Bucket=b, GrantRead=f'id="{carol_cid}"', GrantFullControl=f'id="{owner_cid}"'))
        check("GetBucketAcl shows both grants", lambda: (lambda g: want(
            g, {(carol_cid, "READ"), (owner_cid, "FULL_CONTROL")} <= g, "both grants"))(
            grants(owner.get_bucket_acl(Bucket=b))))
        check("a bucket READ grant lets carol list the bucket", lambda: carol.list_objects_v2(Bucket=b))

        carol_arn = f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol"
        writes = {"Sid": "CarolWrites", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                  "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:DeleteObject"],
                  "Resource": f"arn:aws:s3:::{b}/carol/*"}
        check("a bucket policy letting carol write under carol/",
              lambda: owner.put_bucket_policy(Bucket=b, Policy=policy(b, writes)))
        check("ObjectWriter: carol (granted PutObject by policy) writes carol/own.txt", lambda: carol.put_object(
            Bucket=b, Key="carol/own.txt", Body=b"carol's"))
        check("…GetObjectAcl (as carol) names carol's account as the object owner", lambda: (lambda r: want(
            r["Owner"], r["Owner"]["ID"] == carol_cid, carol_cid))(carol.get_object_acl(Bucket=b, Key="carol/own.txt")))
        check("…ListObjectsV2 with FetchOwner shows carol's account as its owner", lambda: (lambda r: want(
            r, [o.get("Owner", {}).get("ID") for o in r.get("Contents", [])] == [carol_cid], [carol_cid]))(
            owner.list_objects_v2(Bucket=b, Prefix="carol/own", FetchOwner=True)))
        expect_error("…and the bucket owner, not granted by its ACL, cannot read it", "AccessDenied",
                     lambda: owner.get_object(Bucket=b, Key="carol/own.txt"), 403)
        check("carol writes carol/bofc.txt with ACL bucket-owner-full-control", lambda: carol.put_object(
            Bucket=b, Key="carol/bofc.txt", Body=b"for the owner", ACL="bucket-owner-full-control"))
        equal("carol's object written with bucket-owner-full-control is readable by the bucket owner",
              lambda: body_of(owner, b, "carol/bofc.txt"), b"for the owner")
        check("PutBucketOwnershipControls BucketOwnerPreferred", lambda: owner.put_bucket_ownership_controls(
            Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}))
        check("carol writes carol/pref.txt with ACL bucket-owner-full-control", lambda: carol.put_object(
            Bucket=b, Key="carol/pref.txt", Body=b"x", ACL="bucket-owner-full-control"))
        check("BucketOwnerPreferred: an object written with bucket-owner-full-control is owned by the bucket owner",
              lambda: (lambda r: want(r["Owner"], r["Owner"]["ID"] == owner_cid, owner_cid))(
                  owner.get_object_acl(Bucket=b, Key="carol/pref.txt")))
        for k in ("carol/own.txt", "carol/bofc.txt", "carol/pref.txt"):
            try:
                carol.delete_object(Bucket=b, Key=k)
            except ClientError:
                pass
    finally:
        purge(owner, b)


# --- 4. UploadPartCopy ------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html (x-amz-copy-source with
# ?versionId=, x-amz-copy-source-range bytes=first-last, x-amz-copy-source-version-id in the answer,
# s3:GetObject on the source), …/API_CompleteMultipartUpload.html (EntityTooSmall: parts but the last
# at least 5 MiB), …/API_GetObject.html (a missing key is 404 NoSuchKey with s3:ListBucket, else 403;
# applied here to the copy source, as issue 10 asks: AWS's copy pages do not spell it out).
MIB = 1024 * 1024


def section_copy():
    src, dst = bucket_name("cpsrc"), bucket_name("cpdst")
    big = random.Random(7).randbytes(5 * MIB + 4321)
    if not check(f"copy: create_bucket {src}", lambda: owner.create_bucket(Bucket=src)):
        return
    try:
        check("copy: enable versioning on the source bucket", lambda: owner.put_bucket_versioning(
            Bucket=src, VersioningConfiguration={"Status": "Enabled"}))
        owner.put_object(Bucket=src, Key="open/big.bin", Body=big)
        va = owner.put_object(Bucket=src, Key="open/small.txt", Body=b"the first version").get("VersionId", "missing")
        owner.put_object(Bucket=src, Key="open/small.txt", Body=b"the second version")
        owner.put_object(Bucket=src, Key="secret/s.txt", Body=b"secret")

        def assemble(c, bucket, key, sources):
            """UploadPartCopy each of sources [(CopySource, range or None)] and complete.
            Returns (the UploadPartCopy answers, the resulting object's bytes)."""
            up = c.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            answers, parts = [], []
            for n, (source, rng) in enumerate(sources, 1):
                r = c.upload_part_copy(Bucket=bucket, Key=key, UploadId=up, PartNumber=n, CopySource=source,
                                       **({"CopySourceRange": rng} if rng else {}))
                answers.append(r)
                parts.append({"PartNumber": n, "ETag": r["CopyPartResult"]["ETag"]})
            c.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts})
            return answers, body_of(c, bucket, key)

        small = {"Bucket": src, "Key": "open/small.txt"}
        check("UploadPartCopy of a whole object (no range): the result is exact", lambda: (lambda a: want(
            a[1], a[1] == b"the second version" and a[0][0]["CopyPartResult"].get("ETag"), b"the second version"))(
            assemble(owner, src, "out/whole.txt", [(small, None)])))
        equal("UploadPartCopy with CopySourceRange bytes=4-9: the result is exactly those 6 bytes",
              lambda: assemble(owner, src, "out/range.txt", [(small, "bytes=4-9")])[1], b"second")
        whole = {"Bucket": src, "Key": "open/big.bin"}
        check("two ranged UploadPartCopy parts (5 MiB + the rest) rebuild the source byte for byte", lambda: (
            lambda got: want(len(got), got == big, f"{len(big)} identical bytes"))(assemble(owner, src, "out/big.bin", [
                (whole, f"bytes=0-{5 * MIB - 1}"), (whole, f"bytes={5 * MIB}-{len(big) - 1}")])[1]))
        check("UploadPartCopy from a source version: that version's bytes and x-amz-copy-source-version-id", lambda: (
            lambda a: want(a, a[1] == b"the first version" and a[0][0].get("CopySourceVersionId") == va, va))(
            assemble(owner, src, "out/old.txt", [(dict(small, VersionId=va), None)])))
        expect_error("CompleteMultipartUpload with a copied first part under 5 MiB is EntityTooSmall", "EntityTooSmall",
                     lambda: assemble(owner, src, "out/tiny.txt", [(small, "bytes=0-2"), (small, "bytes=3-5")]), 400)

        if not check(f"copy: carol creates {dst} in her own account", lambda: carol.create_bucket(Bucket=dst)):
            return
        carol_arn = f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol"
        read_open = {"Sid": "CarolReadsOpen", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                     "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"arn:aws:s3:::{src}/open/*"}
        check("a bucket policy letting carol read open/* on the source", lambda: owner.put_bucket_policy(
            Bucket=src, Policy=policy(src, read_open)))
        up = (check("carol starts a multipart upload in her bucket", lambda: carol.create_multipart_upload(
            Bucket=dst, Key="copied.bin")) or {}).get("UploadId", "no-upload")

        def part_copy(key):
            return carol.upload_part_copy(Bucket=dst, Key="copied.bin", UploadId=up, PartNumber=1,
                                          CopySource={"Bucket": src, "Key": key})
        check("cross-account UploadPartCopy from a source the bucket policy lets carol read",
              lambda: part_copy("open/small.txt"))
        expect_error("UploadPartCopy from a source carol may not read is AccessDenied", "AccessDenied",
                     lambda: part_copy("secret/s.txt"), 403)
        expect_error("a missing source key, carol without s3:ListBucket on the source: AccessDenied (403)",
                     "AccessDenied", lambda: part_copy("open/missing.txt"), 403)
        lists = {"Sid": "CarolLists", "Effect": "Allow", "Principal": {"AWS": carol_arn},
                 "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{src}"}
        check("…the policy now also grants carol s3:ListBucket on the source",
              lambda: owner.put_bucket_policy(Bucket=src, Policy=policy(src, read_open, lists)))
        expect_error("a missing source key, carol with s3:ListBucket on the source: NoSuchKey (404)", "NoSuchKey",
                     lambda: part_copy("open/missing.txt"), 404)
    finally:
        purge(carol, dst)
        purge(owner, src)


# --- 5. CORS --------------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html (the first matching CORSRule:
# origin, method, every requested header), …/API_GetBucketCors.html, …/API_DeleteBucketCors.html,
# …/RESTOPTIONSobject.html (preflight: 403 without a cors configuration or a matching rule; answers
# Access-Control-Allow-Origin, -Allow-Methods, -Allow-Headers, -Max-Age), …/userguide/ManageCorsUsing.html
# (one `*` per AllowedOrigin, e.g. http://*.example.com; ExposeHeader; MaxAgeSeconds),
# …/userguide/cors.html. Choices where the pages leave room: Allow-Methods must contain the requested
# method (S3 sends the rule's methods); Allow-Headers must contain each requested header,
# case-insensitively; `Vary: Origin` is what S3 sends on CORS answers (not spelled out on the pages).
def section_cors():
    b = bucket_name("cors")
    if not check(f"cors: create_bucket {b}", lambda: owner.create_bucket(Bucket=b)):
        return
    try:
        owner.put_object(Bucket=b, Key="doc.txt", Body=b"cors body")
        url = f"{ENDPOINT}/{b}/doc.txt"

        def preflight(origin, method, req_headers=None):
            h = {"Origin": origin, "Access-Control-Request-Method": method}
            if req_headers:
                h["Access-Control-Request-Headers"] = req_headers
            return curl("OPTIONS", url, h)

        def refused(r):
            return want(r[:2], r[0] == 403 and "access-control-allow-origin" not in r[1], "403 without CORS headers")

        check("a preflight to a bucket without CORS is 403",
              lambda: refused(preflight("https://app.example.org", "GET")))
        expect_error("GetBucketCors with none is NoSuchCORSConfiguration", "NoSuchCORSConfiguration",
                     lambda: owner.get_bucket_cors(Bucket=b), 404)
        rules = [{"ID": "app", "AllowedOrigins": ["https://app.example.org"], "AllowedMethods": ["GET", "PUT"],
                  "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag", "x-amz-request-id"],
                  "MaxAgeSeconds": 600},
                 {"ID": "wild", "AllowedOrigins": ["http://*.example.com"], "AllowedMethods": ["GET"]}]
        check("PutBucketCors with two rules",
              lambda: owner.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": rules}))
        equal("GetBucketCors returns them", lambda: [
            (x.get("ID"), x["AllowedOrigins"], sorted(x["AllowedMethods"]), x.get("MaxAgeSeconds"))
            for x in owner.get_bucket_cors(Bucket=b)["CORSRules"]],
              [("app", ["https://app.example.org"], ["GET", "PUT"], 600),
               ("wild", ["http://*.example.com"], ["GET"], None)])

        r = preflight("https://app.example.org", "PUT", "Content-Type, x-amz-meta-note")
        check("a matching preflight (origin, PUT, two allowed headers) is 200", lambda: want(r[:2], r[0] == 200, 200))
        h = r[1]
        equal("…Access-Control-Allow-Origin echoes the origin",
              lambda: h.get("access-control-allow-origin"), "https://app.example.org")
        check("…Access-Control-Allow-Methods contains PUT", lambda: want(
            h.get("access-control-allow-methods"), "put" in listed(h, "access-control-allow-methods"), "PUT"))
        check("…Access-Control-Allow-Headers contains both requested headers", lambda: want(
            h.get("access-control-allow-headers"),
            {"content-type", "x-amz-meta-note"} <= listed(h, "access-control-allow-headers"), "both"))
        equal("…Access-Control-Max-Age: 600", lambda: h.get("access-control-max-age"), "600")
        check("…Vary names Origin", lambda: want(h.get("vary"), "origin" in listed(h, "vary"), "Origin"))
        check("a preflight for a method the rule lacks (DELETE) is 403",
              lambda: refused(preflight("https://app.example.org", "DELETE")))
        check("a preflight from an origin no rule names is 403",
              lambda: refused(preflight("https://evil.example.net", "GET")))
        check("a preflight asking for a header no rule allows is 403",
              lambda: refused(preflight("https://app.example.org", "PUT", "x-custom-header")))
        r = preflight("http://app.example.com", "GET")
        check("wildcard origin http://*.example.com: a preflight from http://app.example.com is 200 and echoes it",
              lambda: want(r[:2], r[0] == 200 and r[1].get("access-control-allow-origin") == "http://app.example.com",
                           "200, echoed"))
        check("…that rule has no AllowedHeader, so requesting one is 403",
              lambda: refused(preflight("http://app.example.com", "GET", "content-type")))
        check("…nor PUT (403)", lambda: refused(preflight("http://app.example.com", "PUT")))
        check("…nor the https:// origin (403)", lambda: refused(preflight("https://app.example.com", "GET")))

        signed = owner.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "doc.txt"}, ExpiresIn=300)
        r = curl("GET", signed, {"Origin": "https://app.example.org"})
        check("an actual GET with a matching Origin is 200 with Access-Control-Allow-Origin", lambda: want(
            r[:2], r[0] == 200 and r[2] == b"cors body"
            and r[1].get("access-control-allow-origin") == "https://app.example.org", "200 + the origin"))
        check("…and Access-Control-Expose-Headers lists the rule's ETag and x-amz-request-id", lambda: want(
            r[1].get("access-control-expose-headers"),
            {"etag", "x-amz-request-id"} <= listed(r[1], "access-control-expose-headers"), "ETag, x-amz-request-id"))
        r = curl("GET", signed, {"Origin": "https://evil.example.net"})
        check("an actual GET from an origin no rule names is still 200, without CORS headers", lambda: want(
            r[:2], r[0] == 200 and "access-control-allow-origin" not in r[1], "200, no Access-Control-Allow-Origin"))

        check("DeleteBucketCors", lambda: owner.delete_bucket_cors(Bucket=b))
        expect_error("GetBucketCors after the delete is NoSuchCORSConfiguration", "NoSuchCORSConfiguration",
                     lambda: owner.get_bucket_cors(Bucket=b))
        check("a preflight after the delete is 403", lambda: refused(preflight("https://app.example.org", "GET")))
    finally:
        purge(owner, b)


# --- 6. the Ceph RGW dialect -----------------------------------------------------------------------------
# SPEC §3 and issue 10 item 10 (RGW's defaults: no public access block on new buckets, ACLs on,
# principals arn:aws:iam:::user/NAME and arn:aws:iam::TENANT:user/NAME); Ceph's bucket policy page
# (https://docs.ceph.com/en/latest/radosgw/bucketpolicy/) documents both principal forms. The fake
# models a tenant as an account of the config file; a 12-digit account id, though, is no RGW
# tenant a user of this config is in (they are all in RGW's default tenant), so on RGW 16.2
# `arn:aws:iam::ACCOUNT:user/bob` names nobody (issue 23, D6): the policy is stored and bob is
# refused. Ownership: RGW 16.2 has no Object Ownership and answers GetBucketOwnershipControls with
# no rule; ObjectWriter and AWS's OwnershipControlsNotFoundError (ACLs enabled, no controls) are
# accepted too. A new bucket's public access block: RGW 16.2 answers it with the four flags off.
def section_ceph():
    if not CEPH_ENDPOINT:
        result(False, "ceph: FAKE_S3_CEPH_ENDPOINT is set (a fake-s3 started with scripts/fake-s3-ceph-config.json)")
        return
    cfg, keys = load_config(os.environ.get("FAKE_S3_CEPH_CONFIG", os.path.join(HERE, "fake-s3-ceph-config.json")))
    pi, bob, mallory = (make_client(CEPH_ENDPOINT, keys[n]) for n in ("pi", "bob", "mallory"))
    bob_account = next(a["id"] for a in cfg["accounts"] if any(u["name"] == "bob" for u in a.get("users", [])))
    b = bucket_name("ceph")
    if not check(f"ceph: pi creates {b}", lambda: pi.create_bucket(Bucket=b)):
        return
    try:
        check("ceph: a new bucket's public access block has every flag off", lambda: (lambda c: want(
            c, c == {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                     "RestrictPublicBuckets": False}, "all four false"))(
            pi.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]))

        def ownership():
            try:
                r = pi.get_bucket_ownership_controls(Bucket=b)
            except ClientError as e:
                code = e.response["Error"]["Code"]
                return want(code, code == "OwnershipControlsNotFoundError",
                            "ObjectWriter or OwnershipControlsNotFoundError")
            rules = r.get("OwnershipControls", {}).get("Rules", [])
            if not rules:
                return True
            rule = rules[0]["ObjectOwnership"]
            return want(rule, rule == "ObjectWriter", "ObjectWriter")
        check("ceph: ACLs are enabled (ownership ObjectWriter)", ownership)
        check("ceph: PUT with ACL public-read is accepted", lambda: pi.put_object(
            Bucket=b, Key="pub.txt", Body=b"open data", ACL="public-read"))
        check("ceph: …GetObjectAcl shows AllUsers READ", lambda: (lambda r: want(
            grants(r), (ALL_USERS, "READ") in grants(r), "AllUsers READ"))(pi.get_object_acl(Bucket=b, Key="pub.txt")))
        check("ceph: …and the object is anonymously readable (200)", lambda: (lambda r: want(
            r[0], r[0] == 200 and r[2] == b"open data", 200))(http("GET", f"{CEPH_ENDPOINT}/{b}/pub.txt")))
        pi.put_object(Bucket=b, Key="private.txt", Body=b"members only")
        check("ceph: a private object is not (403)",
              lambda: (lambda r: want(r[0], r[0] == 403, 403))(http("GET", f"{CEPH_ENDPOINT}/{b}/private.txt")))
        for form, principal, reaches in (("arn:aws:iam:::user/bob", "arn:aws:iam:::user/bob", True),
                                         ("account form arn:aws:iam::ACCOUNT:user/bob",
                                          f"arn:aws:iam::{bob_account}:user/bob", False)):
            reads = {"Sid": "BobReads", "Effect": "Allow", "Principal": {"AWS": [principal]},
                     "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}
            check(f"ceph: a bucket policy naming {form} is accepted",
                  lambda: pi.put_bucket_policy(Bucket=b, Policy=policy(b, reads)))
            if reaches:
                equal("ceph: …bob reads the private object", lambda: body_of(bob, b, "private.txt"), b"members only")
            else:
                expect_error("ceph: …it names no RGW user: bob is AccessDenied", "AccessDenied",
                             lambda: bob.get_object(Bucket=b, Key="private.txt"), 403)
            expect_error("ceph: …mallory, not named, is AccessDenied", "AccessDenied",
                         lambda: mallory.get_object(Bucket=b, Key="private.txt"), 403)
        check("ceph: versioning works in the dialect (two PUTs, two version ids)", lambda: (
            pi.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"}),
            (lambda ids: want(ids, len(set(ids)) == 2 and None not in ids, "two ids"))(
                [pi.put_object(Bucket=b, Key="v.txt", Body=body).get("VersionId") for body in (b"1", b"2")]))[1])
        equal("ceph: object tagging works in the dialect", lambda: (
            pi.put_object(Bucket=b, Key="t.txt", Body=b"t", Tagging="lab=ceph"),
            tags(pi.get_object_tagging(Bucket=b, Key="t.txt")))[1], {"lab": "ceph"})
    finally:
        try:
            pi.delete_bucket_policy(Bucket=b)
        except ClientError:
            pass
        purge(pi, b)


SECTION_FUNCS = {"versioning": section_versioning, "tagging": section_tagging, "acl": section_acl,
                 "cors": section_cors, "copy": section_copy, "ceph": section_ceph,
                 "canned_acl": issue21.section_canned_acl, "checksums": issue21.section_checksums,
                 "multipart": issue21.section_multipart, "policy_keys": issue21.section_policy_keys,
                 "listing": issue21.section_listing, "post_presigned": issue21.section_post_presigned}
for name in ALL_SECTIONS:
    if name not in SECTIONS:
        continue
    print(f"== section {name}", flush=True)
    try:
        SECTION_FUNCS[name]()
    except Exception as e:  # noqa: BLE001 - an unexpected error ends the section, not the run
        result(False, f"{name}: the section ran to completion", f"{type(e).__name__}: {e}")

print(f"features: {common.PASSED} passed, {common.FAILED} failed", flush=True)
sys.exit(1 if common.FAILED else 0)
