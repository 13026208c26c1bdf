"""Cases: RGW tenants (bucket namespaces, `tenant:bucket` names, cross-tenant grants and copies)."""

import json

from .caselib import TINA, allow, body_of, case, keys_of, pol_arn, user_arn
from .config import PREFIX


# Tenants ---------------------------------------------------------------------------------------------------

@case("tenant.namespaces")
def _(s):
    b = s.bucket("ten")
    s.do("pi CreateBucket b", "pi", "create_bucket", Bucket=b)
    s.do("tina CreateBucket b (her tenant)", "tina", "create_bucket", Bucket=b)
    s.put(b, "pi.txt", "pi", body=b"pi's")
    s.put(b, "tina.txt", "tina", body=b"tina's")
    s.do("pi lists b", "pi", "list_objects", pick=keys_of, Bucket=b)
    s.do("tina lists b", "tina", "list_objects", pick=keys_of, Bucket=b)
    s.do("tina ListBuckets names", "tina", "list_buckets",
         pick=lambda r: {"names": sorted(x["Name"] for x in r["Buckets"] if x["Name"].startswith(PREFIX))})
    s.raw("pi GET uab:b/tina.txt (no grant)", "pi", "GET", f"/uab:{b}/tina.txt")
    s.raw("tina GET :b/pi.txt (no grant)", "tina", "GET", f"/:{b}/pi.txt")
    s.do("tina PutBucketPolicy on her b for pi", "tina", "put_bucket_policy", Bucket=b, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow([user_arn("pi")], ["s3:GetObject"], [f"arn:aws:s3::uab:{b}/*"])]}))
    s.do("tina PutBucketPolicy (bare bucket ARN)", "tina", "put_bucket_policy", Bucket=b, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow([user_arn("pi")], ["s3:GetObject"], [pol_arn(b, "/*")])]}))
    s.raw("pi GET uab:b/tina.txt (granted)", "pi", "GET", f"/uab:{b}/tina.txt",
          pick=lambda r: {"body": r.text if r.status_code == 200 else None})
    s.raw("pi GET :b/pi.txt (own, explicit default tenant)", "pi", "GET", f"/:{b}/pi.txt",
          pick=lambda r: {"body": r.text if r.status_code == 200 else None})
    s.raw("pi PUT uab:newbucket (create in another tenant)", "pi", "PUT", f"/uab:{s.bucket('tenx')}")
    s.raw("tina PUT :newbucket (create in the default tenant)", "tina", "PUT", f"/:{s.bucket('teny')}")
    s.raw("tina copy :b/pi.txt -> her b (no grant)", "tina", "PUT", f"/{b}/copied.txt",
          headers={"x-amz-copy-source": f":{b}/pi.txt"})
    s.policy(b, [allow([TINA], ["s3:GetObject"], [pol_arn(b, "/*")])], step="pi grants tina GetObject")
    s.raw("tina GET :b/pi.txt (granted)", "tina", "GET", f"/:{b}/pi.txt")
    s.raw("tina copy :b/pi.txt -> her b (granted)", "tina", "PUT", f"/{b}/copied.txt",
          headers={"x-amz-copy-source": f":{b}/pi.txt"})
    s.raw("tina copy %3Ab/pi.txt -> her b (granted, encoded)", "tina", "PUT", f"/{b}/copied2.txt",
          headers={"x-amz-copy-source": f"%3A{b}/pi.txt"})
    s.do("tina GetObject copied.txt", "tina", "get_object", pick=body_of, Bucket=b, Key="copied.txt")
    s.raw("pi copy uab:b/tina.txt -> his b (tina's policy lets him read)", "pi", "PUT", f"/{b}/from-tina.txt",
          headers={"x-amz-copy-source": f"uab:{b}/tina.txt"})
    s.raw("pi copy pi.txt -> uab:b (no grant to write there)", "pi", "PUT", f"/uab:{b}/from-pi.txt",
          headers={"x-amz-copy-source": f"{b}/pi.txt"})
    s.raw("anonymous GET :b/pi.txt", None, "GET", f"/:{b}/pi.txt")
