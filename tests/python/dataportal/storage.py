"""The portal's S3 side, written as a Django app's ``storage.py`` would be: SPEC §5's controlled
datasets behind access points, upload tickets (presigned POST) and scoped read sessions (AssumeRole
with a session policy). Every client comes from the environment: no endpoint, no keys here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

import boto3
from botocore.exceptions import ClientError


def _s3():
    return boto3.client("s3")


def _account_id() -> str:
    return boto3.client("sts").get_caller_identity()["Account"]


def _region() -> str:
    return boto3.session.Session().region_name or "us-east-1"


def dataset_prefix(slug: str, version: str) -> str:
    return f"{slug}/{version}/"


def access_point_name(slug: str, version: str, number: int) -> str:
    """``SLUG-vVERSION-NN`` (dots in the version become dashes; access point names allow no dots)."""
    return f"{slug}-v{version.replace('.', '-')}-{number:02d}"


@dataclass
class Grant:
    access_point: str
    arn: str
    alias: str
    prefix: str

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.arn}/{self.prefix}"


def create_controlled_bucket(bucket: str) -> None:
    """A bucket that serves data only through access points of its own account, all public access
    blocked (SPEC §5)."""
    s3 = _s3()
    s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    })
    account = _account_id()
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DelegateToOwnAccessPoints",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"StringEquals": {"s3:DataAccessPointAccount": account}},
        }],
    }))


def publish_dataset(bucket: str, slug: str, version: str, files: Dict[str, bytes]) -> List[str]:
    """Uploads a dataset version under ``SLUG/VERSION/``; returns the keys."""
    s3 = _s3()
    keys = []
    for name, body in files.items():
        key = dataset_prefix(slug, version) + name
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        keys.append(key)
    return keys


def access_point_policy(arn: str, prefix: str, principals: Iterable[str]) -> dict:
    """SPEC §5's access point policy: no listing outside the dataset for anyone; reads and listing
    of the dataset for the granted people (by user id)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyListingOutsideTheDataset",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:ListBucket",
                "Resource": arn,
                "Condition": {"StringNotLike": {"s3:prefix": [prefix, prefix + "*"]}},
            },
            {
                "Sid": "GrantedPeopleRead",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(principals)},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [arn, f"{arn}/object/{prefix}*"],
            },
        ],
    }


def grant_dataset(bucket: str, slug: str, version: str, principals: Iterable[str], number: int = 1) -> Grant:
    """Creates (or updates) access point ``SLUG-vVERSION-NN`` on the controlled bucket with a policy
    granting ``principals`` (user ids or ARNs) the dataset."""
    control = boto3.client("s3control")
    account = _account_id()
    name = access_point_name(slug, version, number)
    try:
        alias = control.get_access_point(AccountId=account, Name=name)["Alias"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "NoSuchAccessPoint":
            raise
        alias = control.create_access_point(AccountId=account, Name=name, Bucket=bucket)["Alias"]
    arn = f"arn:aws:s3:{_region()}:{account}:accesspoint/{name}"
    prefix = dataset_prefix(slug, version)
    control.put_access_point_policy(AccountId=account, Name=name,
                                    Policy=json.dumps(access_point_policy(arn, prefix, principals)))
    return Grant(access_point=name, arn=arn, alias=alias, prefix=prefix)


def upload_ticket(bucket: str, prefix: str, *, max_bytes: int = 1 << 20, expires_in: int = 3600) -> dict:
    """A presigned POST for any file under ``prefix`` (SPEC §6): url and form fields."""
    return _s3().generate_presigned_post(
        bucket, prefix + "${filename}", ExpiresIn=expires_in,
        Conditions=[["starts-with", "$key", prefix], ["content-length-range", 1, max_bytes]],
    )


def scoped_read_session(role_arn: str, bucket: str, prefix: str, session_name: str = "portal-reader") -> dict:
    """Temporary credentials of ``role_arn`` narrowed by a session policy to reading ``prefix``:
    boto3 keyword arguments."""
    creds = boto3.client("sts").assume_role(
        RoleArn=role_arn,
        RoleSessionName=session_name,
        DurationSeconds=900,
        Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                           "Resource": f"arn:aws:s3:::{bucket}/{prefix}*"}],
        }),
    )["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def caller_user_id(credentials: Optional[dict] = None) -> str:
    """The verified identity's unique id (what SPEC §4's verification stores)."""
    return boto3.client("sts", **(credentials or {})).get_caller_identity()["UserId"]
