"""SPEC §5 end to end with boto3: a controlled bucket delegating to its account's access points,
one access point per dataset version whose policy names the granted people."""

import pytest

from conftest import CONTROLLED_BUCKET, DATASET_FILES
from dataportal import storage
from helpers import expect_denied


def test_the_grant_names_the_access_point(controlled_dataset):
    assert controlled_dataset.access_point == "mimic-v1-0-01"
    assert controlled_dataset.s3_uri.endswith(":accesspoint/mimic-v1-0-01/mimic/1.0/")
    assert controlled_dataset.alias.endswith("-s3alias")


def test_granted_user_reads_inside_the_dataset(fake_s3, controlled_dataset, researchers):
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    got = carol.get_object(Bucket=controlled_dataset.arn, Key="mimic/1.0/data.csv")["Body"].read()
    assert got == DATASET_FILES["data.csv"]


def test_granted_user_lists_the_dataset(fake_s3, controlled_dataset, researchers):
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    listed = carol.list_objects_v2(Bucket=controlled_dataset.arn, Prefix="mimic/1.0/")
    assert sorted(o["Key"] for o in listed["Contents"]) == ["mimic/1.0/README.txt", "mimic/1.0/data.csv"]


def test_granted_user_reads_through_the_alias(fake_s3, controlled_dataset, researchers):
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    got = carol.get_object(Bucket=controlled_dataset.alias, Key="mimic/1.0/README.txt")["Body"].read()
    assert got == DATASET_FILES["README.txt"]


@pytest.mark.denial
def test_granted_user_cannot_list_outside_the_dataset(fake_s3, controlled_dataset, researchers):
    """A granted user listing outside SLUG/VERSION/ through the access point is refused"""
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    expect_denied(lambda: carol.list_objects_v2(Bucket=controlled_dataset.arn, Prefix="eicu/"))


@pytest.mark.denial
def test_granted_user_cannot_list_the_whole_bucket(fake_s3, controlled_dataset, researchers):
    """A granted user listing the access point without a prefix is refused"""
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    expect_denied(lambda: carol.list_objects_v2(Bucket=controlled_dataset.arn))


@pytest.mark.denial
def test_granted_user_cannot_read_outside_the_dataset(fake_s3, controlled_dataset, researchers):
    """A granted user reading another dataset through the access point is refused"""
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    expect_denied(lambda: carol.get_object(Bucket=controlled_dataset.arn, Key="eicu/2.0/secret.csv"))


@pytest.mark.denial
def test_ungranted_user_is_refused(fake_s3, controlled_dataset, researchers):
    """A user the access point policy does not name is refused"""
    dan = fake_s3.client("s3", **researchers["dan"].credentials)
    expect_denied(lambda: dan.get_object(Bucket=controlled_dataset.arn, Key="mimic/1.0/data.csv"))


@pytest.mark.denial
def test_granted_user_cannot_bypass_the_access_point(fake_s3, controlled_dataset, researchers):
    """A granted user reading the controlled bucket directly (not through the access point) is refused"""
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    expect_denied(lambda: carol.get_object(Bucket=CONTROLLED_BUCKET, Key="mimic/1.0/data.csv"))


@pytest.mark.denial
def test_revoked_user_is_refused(fake_s3, controlled_dataset, researchers):
    """After the access point policy is rewritten without her, a user is refused"""
    dan_id = storage.caller_user_id(researchers["dan"].credentials)
    storage.grant_dataset(CONTROLLED_BUCKET, "mimic", "1.0", [dan_id])
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    expect_denied(lambda: carol.get_object(Bucket=controlled_dataset.arn, Key="mimic/1.0/data.csv"))
    dan = fake_s3.client("s3", **researchers["dan"].credentials)
    assert dan.get_object(Bucket=controlled_dataset.arn, Key="mimic/1.0/data.csv")["Body"].read()
