"""fake_s3_session: one server for the session, back to its configuration before each test. The
tests run in file order: the second sees nothing the first left."""

import datetime as dt

import boto3
import pytest

from portal_config import SHARED_BUCKET

pytestmark = pytest.mark.fake_only
ENDPOINTS = []


def test_first_leaves_things_behind(fake_s3_session):
    ENDPOINTS.append(fake_s3_session.endpoint_url)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="left-behind")
    s3.put_object(Bucket=SHARED_BUCKET, Key="left/behind.txt", Body=b"x")
    fake_s3_session.client("s3control").create_access_point(AccountId="111122223333", Name="left-ap",
                                                             Bucket=SHARED_BUCKET)
    fake_s3_session.set_time(dt.datetime(2031, 1, 1))


def test_second_starts_from_the_configuration(fake_s3_session):
    ENDPOINTS.append(fake_s3_session.endpoint_url)
    assert fake_s3_session.journal() == []
    s3 = boto3.client("s3")
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == ["portal-uploads", SHARED_BUCKET]
    assert s3.list_objects_v2(Bucket=SHARED_BUCKET).get("KeyCount") == 0
    control = fake_s3_session.client("s3control")
    assert control.list_access_points(AccountId="111122223333").get("AccessPointList", []) == []
    # the system clock again: a request signed now is not "too skewed"
    assert boto3.client("sts").get_caller_identity()["Account"] == "111122223333"


def test_the_session_server_is_one_server(fake_s3_session):
    ENDPOINTS.append(fake_s3_session.endpoint_url)
    assert len(set(ENDPOINTS)) == 1
