"""adversary.sh's section shares: `s3keeper share` on its own Ceph-dialect fake-s3, wildcard patterns
refused, a writer's ACLs, what a revoked writer keeps."""
import json
import os
import re

import requests
from botocore.exceptions import ClientError

from common import CLEAN_ENV, E, WORK, keeper, result, s3, short


# ======================================================================================================
# 11. shares: wildcards in the folder part; a writer's ACLs; what a revoked writer keeps
# ======================================================================================================
def sec_shares():
    ep = E.get("ADV_CEPH_ENDPOINT")
    if not result(bool(ep), "the Ceph-dialect fake-s3 runs"):
        return
    cfg = json.load(open(E["ADV_SHARES_CONFIG"]))
    pi = next(u for a in cfg["accounts"] for u in a.get("users", []) if u["name"] == "pi")["keys"][0]
    owner = s3(pi["access_key_id"], pi["secret_access_key"], endpoint=ep)
    bucket = f"{E['ADV_RUN']}-share"
    owner.create_bucket(Bucket=bucket)
    env = {**CLEAN_ENV, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": ep, "AWS_ACCESS_KEY_ID": pi["access_key_id"],
           "AWS_SECRET_ACCESS_KEY": pi["secret_access_key"], "AWS_REGION": "us-east-1", "S3KEEPER_DIALECT": "ceph",
           "S3KEEPER_DATABASE_URL": f"sqlite://{WORK}/shares.db?mode=rwc"}

    def policy():
        try:
            return owner.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            return None
    rc, out, err = keeper("share", "grant", bucket, "bob", "--role", "reader", "--prefix", "test_folder/*jpg", env=env)
    result(rc == 0, "control: share grant bob --role reader --prefix 'test_folder/*jpg' (a pattern inside a folder)",
           f"exit {rc}: {short(err + out)}")
    before = policy()
    for prefix, want, extra in (("*/*.jpg", r"(?i)wildcard.*folder|folder.*wildcard", ""),
                                ("*.jpg", r"(?i)folder|wildcard", " (regression)"),
                                ("test_?older/*.jpg", r"(?i)wildcard.*folder|folder.*wildcard", " (extra: `?` is a wildcard too)"),
                                ("a*/b/*.jpg", r"(?i)wildcard.*folder|folder.*wildcard", " (extra)")):
        rc, out, err = keeper("share", "grant", bucket, "dora", "--role", "reader", "--prefix", prefix, env=env)
        result(rc != 0 and re.search(want, err + out),
               f"share grant dora --role reader --prefix {prefix!r} is refused, saying why{extra}",
               f"exit {rc}: {short(err + out)}")
    result(policy() == before, "the refused grants wrote nothing (the bucket policy is unchanged)")

    # A writer cannot publish (ACLs), and after revoke keeps nothing of what they uploaded (RGW
    # makes the uploader the owner): boto3, as a member's script would.
    key_of = lambda name: next(u for a in cfg["accounts"] for u in a.get("users", []) if u["name"] == name)["keys"][0]
    wk = key_of("wendy")
    wendy = s3(wk["access_key_id"], wk["secret_access_key"], endpoint=ep)
    rc, out, err = keeper("share", "grant", bucket, "wendy", "--role", "writer", env=env)
    if not result(rc == 0, "share grant wendy --role writer", f"exit {rc}: {short(err + out)}"):
        return

    def code(call):
        try:
            call()
            return "ok"
        except ClientError as e:
            return e.response.get("Error", {}).get("Code", "?")
    body = b"wendy's data"
    result(code(lambda: wendy.put_object(Bucket=bucket, Key="w/own.txt", Body=body)) == "ok",
           "boto3: writer wendy uploads w/own.txt (control)")
    result(code(lambda: wendy.put_object(Bucket=bucket, Key="w/own2.txt", Body=body,
                                         ACL="bucket-owner-full-control")) == "ok",
           "boto3: writer wendy uploads with ACL=bucket-owner-full-control (allowed)")
    for what, call in (("ACL=public-read on upload",
                        lambda: wendy.put_object(Bucket=bucket, Key="w/pub.txt", Body=body, ACL="public-read")),
                       ("GrantRead to mallory on upload",
                        lambda: wendy.put_object(Bucket=bucket, Key="w/grant.txt", Body=body,
                                                 GrantRead='id="mallory"')),
                       ("put_object_acl public-read on her own upload",
                        lambda: wendy.put_object_acl(Bucket=bucket, Key="w/own.txt", ACL="public-read"))):
        got = code(call)
        result(got == "AccessDenied", f"boto3: writer wendy cannot publish: {what} is AccessDenied", f"got {got}")
    anon = requests.get(f"{ep}/{bucket}/w/own.txt", timeout=10)
    result(anon.status_code == 403, "anonymous GET of wendy's upload is 403", f"got {anon.status_code}")
    rc, out, err = keeper("share", "revoke", bucket, "wendy", env=env)
    result(rc == 0, "share revoke wendy", f"exit {rc}: {short(err + out)}")
    for what, call in (("get_object of her own upload", lambda: wendy.get_object(Bucket=bucket, Key="w/own.txt")),
                       ("put_object_acl of her own upload",
                        lambda: wendy.put_object_acl(Bucket=bucket, Key="w/own.txt", ACL="public-read")),
                       ("put_object", lambda: wendy.put_object(Bucket=bucket, Key="w/late.txt", Body=body))):
        got = code(call)
        result(got == "AccessDenied", f"boto3: revoked wendy keeps nothing: {what} is AccessDenied", f"got {got}")
    rc, out, err = keeper("share", "show", bucket, "--json", env=env)
    former = json.loads(out).get("former", []) if rc == 0 else []
    result(any("wendy" in json.dumps(f) for f in former), "share show --json lists wendy as a former member",
           f"exit {rc}: {short(out)}")
    rc, out, err = keeper("share", "forget", bucket, "wendy", env=env)
    result(rc == 0, "share forget wendy", f"exit {rc}: {short(err + out)}")
    rc, out, err = keeper("share", "show", bucket, "--json", env=env)
    former = json.loads(out).get("former", []) if rc == 0 else ["?"]
    result(not any("wendy" in json.dumps(f) for f in former), "after forget, wendy is no former member",
           f"exit {rc}: {short(out)}")
