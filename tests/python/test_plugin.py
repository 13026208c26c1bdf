"""The fixtures themselves: what code under test sees in its environment, identities, start-up
errors, clean-up."""

import copy
import os
import subprocess
import sys
import time

import boto3
import pytest

from fake_s3 import ROOT, FakeS3, FakeS3Error, patch_env
from portal_config import CONFIG, PORTAL, RESEARCHER_POLICY, SHARED_BUCKET, UNIVERSITY, _key

pytestmark = pytest.mark.fake_only


@pytest.fixture
def fake_s3_config(request):
    """The portal's configuration; for the tests marked ``configured_people``, which look people up
    by name (``credentials("dan")``, ``fake_s3_identity``), with carol and dan written into the
    university account as configuration users. Elsewhere the suite makes them through IAM
    (conftest.py's ``researchers``)."""
    if not request.node.get_closest_marker("configured_people"):
        return CONFIG
    config = copy.deepcopy(CONFIG)
    university = next(a for a in config["accounts"] if a["id"] == UNIVERSITY)
    university["users"] = [{"name": name, "path": "/", "keys": [_key(name)], "policies": [RESEARCHER_POLICY]}
                           for name in ("carol", "dan")]
    return config


def test_the_environment_points_at_the_fake(fake_s3):
    assert os.environ["AWS_ENDPOINT_URL"] == fake_s3.endpoint_url
    assert os.environ["AWS_ACCESS_KEY_ID"] == fake_s3.credentials()["aws_access_key_id"]
    assert os.environ["AWS_DEFAULT_REGION"] == os.environ["AWS_REGION"] == "us-east-1"
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "HTTP_PROXY", "https_proxy", "NO_PROXY"):
        assert name not in os.environ
    assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    arn = boto3.client("sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{PORTAL}:user/service/portal"  # the first account's first user
    assert SHARED_BUCKET in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def test_code_under_test_reaches_access_points_and_s3control(fake_s3, controlled_dataset):
    # boto3 clients built from the environment alone (no proxy): access point ARNs and S3 Control
    # name hosts like mimic-v1-0-01-111122223333.127.0.0.1, which the plugin resolves to loopback.
    names = [a["Name"] for a in boto3.client("s3control").list_access_points(AccountId=PORTAL)["AccessPointList"]]
    assert names == ["mimic-v1-0-01"]
    body = boto3.client("s3").get_object(Bucket=controlled_dataset.arn, Key="mimic/1.0/data.csv")["Body"].read()
    assert body.startswith(b"subject")


@pytest.mark.configured_people
class TestIdentityFixture:
    @pytest.fixture
    def fake_s3_identity(self):
        return {"user": "carol"}

    def test_the_environment_carries_that_identity(self, fake_s3):
        assert boto3.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{UNIVERSITY}:user/carol"

    def test_patch_env_switches_identity(self, fake_s3, monkeypatch):
        patch_env(monkeypatch, fake_s3, user=ROOT, account=UNIVERSITY)
        assert boto3.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{UNIVERSITY}:root"


@pytest.mark.configured_people
def test_credentials(fake_s3):
    assert fake_s3.credentials("dan")["aws_access_key_id"].startswith("AKIADAN")
    assert fake_s3.credentials(account=UNIVERSITY) == fake_s3.credentials("carol")
    assert fake_s3.credentials(ROOT)["aws_access_key_id"].startswith("AKIAPORTALRO")
    assert fake_s3.user_arn("portal") == f"arn:aws:iam::{PORTAL}:user/service/portal"
    with pytest.raises(KeyError):
        fake_s3.credentials("nobody")


def test_without_a_configuration_there_is_one_account():
    with FakeS3() as fake:
        s3 = fake.client("s3")  # no users: the root
        s3.create_bucket(Bucket="plain-bucket")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["plain-bucket"]
        assert fake.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::111122223333:root"


def test_a_configuration_file_path(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"region": "eu-west-1", "accounts": [{"id": "123456789012", "root_keys": '
                    '[{"access_key_id": "AKIAFILE000000000001", "secret_access_key": "s"}]}]}')
    with FakeS3(path) as fake:
        assert fake.region == "eu-west-1"
        assert fake.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_a_bad_configuration_fails_with_the_binarys_message():
    with pytest.raises(FakeS3Error) as err:
        FakeS3({"accounts": [{"id": "111122223333", "root_keys": [], "colour": "blue"}]}).start()
    assert "colour" in str(err.value)


def test_the_process_is_gone_after_the_block():
    with FakeS3() as fake:
        pid = fake.pid
        assert fake.health()
    assert not fake.running and not fake.health()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_server_dies_with_a_killed_parent():
    # A parent killed with SIGKILL cannot clean up; Linux's parent-death signal stops the server.
    code = ("import sys, time; from fake_s3 import FakeS3; f = FakeS3().start(); "
            "print(f.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 5
    while alive(pid):
        if time.monotonic() > deadline:
            pytest.fail(f"fake-s3 (pid {pid}) outlived its killed parent")
        time.sleep(0.01)


def alive(pid):
    """True while the process runs (a zombie nobody has reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_set_time_accepts_datetimes(fake_s3):
    import datetime as dt

    fake_s3.set_time(dt.datetime(2030, 1, 2, 3, 4, 5))
    fake_s3.set_time("2030-01-02T03:04:05Z")
    fake_s3.set_time(None)
