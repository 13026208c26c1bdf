"""Cases: objects and their listing, multipart uploads, versioning and tagging."""

import re

from .caselib import BOB, WENDY, allow, body_of, case, keys_of, pol_arn


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
