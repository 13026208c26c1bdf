"""Cases: the shape of error answers (root, fields, message, content type)."""

from .caselib import case
from .side import xml_fields
from .sigv4 import sign_v4_headers


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
