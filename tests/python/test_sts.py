"""Scoped read sessions: the portal assumes its read role with a session policy narrowing it to one
project; code builds its S3 client from those credentials (AWS_ENDPOINT_URL from the fixture)."""

import boto3
import pytest

from dataportal import storage
from helpers import expect_denied
from portal_config import READER_ROLE, SHARED_BUCKET


@pytest.fixture
def projects(fake_s3):
    s3 = boto3.client("s3")  # the portal's own identity, from the environment
    s3.put_object(Bucket=SHARED_BUCKET, Key="projects/alpha/results.csv", Body=b"alpha\n")
    s3.put_object(Bucket=SHARED_BUCKET, Key="projects/beta/results.csv", Body=b"beta\n")


def test_the_session_is_the_assumed_role(fake_s3, projects):
    creds = storage.scoped_read_session(READER_ROLE, SHARED_BUCKET, "projects/alpha/")
    arn = boto3.client("sts", **creds).get_caller_identity()["Arn"]
    assert arn.endswith(":assumed-role/dataset-reader/portal-reader")


def test_the_session_reads_inside_its_prefix(fake_s3, projects):
    creds = storage.scoped_read_session(READER_ROLE, SHARED_BUCKET, "projects/alpha/")
    s3 = boto3.client("s3", **creds)
    assert s3.get_object(Bucket=SHARED_BUCKET, Key="projects/alpha/results.csv")["Body"].read() == b"alpha\n"


@pytest.mark.denial
def test_the_session_policy_narrows_the_role(fake_s3, projects):
    """An assumed role's session cannot read what its session policy leaves out (the role allows it)"""
    creds = storage.scoped_read_session(READER_ROLE, SHARED_BUCKET, "projects/alpha/")
    s3 = boto3.client("s3", **creds)
    expect_denied(lambda: s3.get_object(Bucket=SHARED_BUCKET, Key="projects/beta/results.csv"))


@pytest.mark.denial
def test_the_session_cannot_list(fake_s3, projects):
    """An assumed role's session cannot list the bucket (the role may; the session policy may not)"""
    creds = storage.scoped_read_session(READER_ROLE, SHARED_BUCKET, "projects/alpha/")
    s3 = boto3.client("s3", **creds)
    expect_denied(lambda: s3.list_objects_v2(Bucket=SHARED_BUCKET, Prefix="projects/alpha/"))


@pytest.mark.denial
def test_an_untrusted_user_cannot_assume_the_role(fake_s3, researchers):
    """A user the role's trust policy does not name cannot assume it"""
    sts = fake_s3.client("sts", **researchers["dan"].credentials)
    expect_denied(lambda: sts.assume_role(RoleArn=READER_ROLE, RoleSessionName="dan"))
