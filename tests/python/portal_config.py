"""The fake's configuration for the portal's tests (SPEC §3.1's format): the portal's own account
with its service user, a read role and two buckets; a university account with only its root. The
university's researchers (carol, granted; dan, not), who read through access points, are not
configured here: the suite makes them at test time through IAM, as the university's root
(conftest.py's ``researchers`` fixture), with ``RESEARCHER_POLICY``."""

PORTAL = "111122223333"
UNIVERSITY = "444455556666"
READER_ROLE = f"arn:aws:iam::{PORTAL}:role/dataset-reader"
SHARED_BUCKET = "research-shared"
UPLOADS_BUCKET = "portal-uploads"


def _key(name, n=1):
    tag = name.upper().replace("-", "")[:8]
    return {"access_key_id": f"AKIA{tag:0<12}{n:04d}", "secret_access_key": f"{name}-secret-{n:034d}"}


# What the university lets its researchers do (put_user_policy on each of them): read and list
# whatever is shared with them, assume the roles shared with them. The grant is the other side's.
RESEARCHER_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadWhateverIsSharedWithUs", "Effect": "Allow",
     "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
    {"Sid": "AssumeRolesSharedWithUs", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
]}


CONFIG = {
    "region": "us-east-1",
    "accounts": [
        {
            "id": PORTAL,
            "root_keys": [_key("portal-root")],
            "users": [{
                "name": "portal", "path": "/service/", "user_id": "AIDAPORTALSERVICE0001", "keys": [_key("portal")],
                "policies": [{"Version": "2012-10-17", "Statement": [
                    {"Sid": "RunTheStorage", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {"Sid": "HandOutReadSessions", "Effect": "Allow", "Action": "sts:AssumeRole",
                     "Resource": READER_ROLE},
                ]}],
            }],
            "roles": [{
                "name": "dataset-reader", "path": "/",
                "trust_policy": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "ThePortalHandsOutSessions", "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{PORTAL}:user/service/portal"},
                    "Action": "sts:AssumeRole"}]},
                "policies": [{"Version": "2012-10-17", "Statement": [{
                    "Sid": "ReadTheSharedBucket", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{SHARED_BUCKET}", f"arn:aws:s3:::{SHARED_BUCKET}/*"]}]}],
            }],
            "buckets": [{"name": SHARED_BUCKET, "policy": None}, {"name": UPLOADS_BUCKET, "policy": None}],
        },
        {
            "id": UNIVERSITY,
            "root_keys": [_key("uni-root")],
        },
    ],
}
