"""A moto-style suite moved to fake-s3 by changing only its set-up (issue 22).

The "platform code" below is what a Django/boto3 data platform (PhysioNet-like) keeps in its
storage module: one IAM user per project, under the path /projects/, with an inline policy scoped
to the project's prefix and an access key handed to the project's uploader. Its tests are written
the way such projects write them for moto: unittest-style classes (Django's TestCase is one), the
identities made through boto3's IAM client in setUp/tests, `boto3.client(...)` called by the code
under test itself.

The suite is written once, as a unittest class decorated by its set-up, and instantiated under
two set-ups; the decorator is the only difference:

    # 1. moto, as the suite was written: @mock_aws, and moto's documented fake credentials and
    #    region in the environment (skipped when moto is not installed)
    @pytest.mark.usefixtures("aws_credentials")
    @mock_aws
    class ProjectStorageTest(unittest.TestCase): ...

    # 2. fake-s3: the pytest plugin's fixture points boto3 (AWS_ENDPOINT_URL, the root's keys) at a
    #    fresh server; setUp and the tests run unchanged
    @pytest.mark.usefixtures("fake_s3")
    class ProjectStorageTest(unittest.TestCase): ...

(`project_storage_suite(name, set_up)` below builds the class with the set-up's decorator, so the
test methods are the class's own, as @mock_aws requires: it patches only methods defined on the
decorated class.)

moto stores policies but enforces none (its default), so a moto-style suite asserts no refusal.
`denial_suite` is what the move buys: the same set-up code, now with refusals to assert; under moto
it fails, which a strict xfail records when moto is installed.

moto's docs: https://docs.getmoto.org/en/latest/docs/getting_started.html (mock_aws, the fake
credentials, class decorators) and https://docs.getmoto.org/en/latest/docs/iam.html (IAM-like
access control is off by default).
"""

import hashlib
import json
import os
import unittest

import boto3
import pytest
from botocore.exceptions import ClientError

try:
    from moto import mock_aws
except ImportError:  # moto is optional: the moto set-up is skipped without it
    mock_aws = None



# ===================================================================================================
# The platform's code under test (it would live in the app, e.g. project/storage.py)
# ===================================================================================================
class ProjectStorage:
    """Per-project S3 access: a bucket of the platform's, one IAM user per project."""

    POLICY_NAME = "project-access"
    PATH = "/projects/"

    def __init__(self, bucket):
        self.bucket = bucket
        self.iam = boto3.client("iam")
        self.s3 = boto3.client("s3")

    def create_bucket(self):
        self.s3.create_bucket(Bucket=self.bucket)

    def user_name(self, slug):
        return f"project-{slug}"

    def project_policy(self, slug):
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ProjectObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                 "Resource": f"arn:aws:s3:::{self.bucket}/{slug}/*"},
                {"Sid": "ListProjectPrefix", "Effect": "Allow", "Action": "s3:ListBucket",
                 "Resource": f"arn:aws:s3:::{self.bucket}",
                 "Condition": {"StringLike": {"s3:prefix": [f"{slug}/", f"{slug}/*"]}}},
            ],
        }

    def provision_uploader(self, slug):
        """Creates the project's user, its policy and a key; returns the key for the uploader."""
        name = self.user_name(slug)
        self.iam.create_user(UserName=name, Path=self.PATH, Tags=[{"Key": "project", "Value": slug}])
        self.iam.put_user_policy(UserName=name, PolicyName=self.POLICY_NAME,
                                 PolicyDocument=json.dumps(self.project_policy(slug)))
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}

    def rotate_key(self, slug, old_key_id):
        name = self.user_name(slug)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        self.iam.delete_access_key(UserName=name, AccessKeyId=old_key_id)
        return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}

    def revoke_uploader(self, slug):
        """IAM deletes nothing implicitly: keys and inline policies first, then the user."""
        name = self.user_name(slug)
        for key in self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            self.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        for policy_name in self.iam.list_user_policies(UserName=name)["PolicyNames"]:
            self.iam.delete_user_policy(UserName=name, PolicyName=policy_name)
        self.iam.delete_user(UserName=name)

    def project_users(self):
        return sorted(u["UserName"] for u in self.iam.list_users(PathPrefix=self.PATH)["Users"])

    def uploader_client(self, credentials):
        """What the uploader's own code builds: an S3 client from the handed-out key."""
        return boto3.client("s3", **credentials)


# ===================================================================================================
# The suite, as written for moto. `set_up` is the only thing that differs between the two runs.
# ===================================================================================================
def project_storage_suite(name, set_up):
    @set_up
    class ProjectStorageTest(unittest.TestCase):
        def setUp(self):
            # one bucket per test, named from the test's id (deterministic, unique per test)
            self.bucket = "projects-" + hashlib.sha1(self.id().encode()).hexdigest()[:12]
            self.storage = ProjectStorage(self.bucket)
            self.storage.create_bucket()

        def test_provisioning_creates_a_project_user_with_its_policy(self):
            self.storage.provision_uploader("mimic")
            iam = boto3.client("iam")
            user = iam.get_user(UserName="project-mimic")["User"]
            self.assertEqual(user["Path"], "/projects/")
            self.assertTrue(user["Arn"].endswith(":user/projects/project-mimic"))
            self.assertEqual(iam.list_user_policies(UserName="project-mimic")["PolicyNames"], ["project-access"])
            document = iam.get_user_policy(UserName="project-mimic", PolicyName="project-access")["PolicyDocument"]
            self.assertEqual(document, self.storage.project_policy("mimic"))
            tags = iam.list_user_tags(UserName="project-mimic")["Tags"]
            self.assertEqual(tags, [{"Key": "project", "Value": "mimic"}])

        def test_the_uploader_uploads_into_its_prefix(self):
            creds = self.storage.provision_uploader("eicu")
            uploader = self.storage.uploader_client(creds)
            uploader.put_object(Bucket=self.bucket, Key="eicu/data.csv", Body=b"1,2\n")
            listed = uploader.list_objects_v2(Bucket=self.bucket, Prefix="eicu/")
            self.assertEqual([o["Key"] for o in listed["Contents"]], ["eicu/data.csv"])
            body = boto3.client("s3").get_object(Bucket=self.bucket, Key="eicu/data.csv")["Body"].read()
            self.assertEqual(body, b"1,2\n")

        def test_project_users_are_listed_by_path(self):
            self.storage.provision_uploader("mimic")
            self.storage.provision_uploader("eicu")
            boto3.client("iam").create_user(UserName="staff-member")  # not a project user
            self.assertEqual(self.storage.project_users(), ["project-eicu", "project-mimic"])

        def test_keys_are_rotated(self):
            creds = self.storage.provision_uploader("mimic")
            new = self.storage.rotate_key("mimic", creds["aws_access_key_id"])
            keys = boto3.client("iam").list_access_keys(UserName="project-mimic")["AccessKeyMetadata"]
            self.assertEqual([k["AccessKeyId"] for k in keys], [new["aws_access_key_id"]])
            self.assertEqual(keys[0]["Status"], "Active")
            self.storage.uploader_client(new).put_object(Bucket=self.bucket, Key="mimic/after-rotation", Body=b"x")

        def test_a_user_with_a_key_is_not_deleted_directly(self):
            self.storage.provision_uploader("mimic")
            with self.assertRaises(ClientError) as caught:
                boto3.client("iam").delete_user(UserName="project-mimic")
            self.assertEqual(caught.exception.response["Error"]["Code"], "DeleteConflict")

        def test_revoking_removes_the_user(self):
            self.storage.provision_uploader("mimic")
            self.storage.revoke_uploader("mimic")
            with self.assertRaises(ClientError) as caught:
                boto3.client("iam").get_user(UserName="project-mimic")
            self.assertEqual(caught.exception.response["Error"]["Code"], "NoSuchEntity")
            self.assertEqual(self.storage.project_users(), [])

        def test_provisioning_twice_is_refused(self):
            self.storage.provision_uploader("mimic")
            with self.assertRaises(ClientError) as caught:
                self.storage.provision_uploader("mimic")
            self.assertEqual(caught.exception.response["Error"]["Code"], "EntityAlreadyExists")

    ProjectStorageTest.__name__ = ProjectStorageTest.__qualname__ = name
    return ProjectStorageTest


def denial_suite(name, set_up):
    """What moving to fake-s3 buys: the same set-up code, and refusals to assert."""

    @set_up
    class ProjectStorageDenialTest(unittest.TestCase):
        def setUp(self):
            self.bucket = "projects-" + hashlib.sha1(self.id().encode()).hexdigest()[:12]
            self.storage = ProjectStorage(self.bucket)
            self.storage.create_bucket()

        def assertRefused(self, call, code="AccessDenied"):
            with self.assertRaises(ClientError) as caught:
                call()
            self.assertEqual(caught.exception.response["Error"]["Code"], code)

        def test_an_uploader_cannot_write_outside_its_prefix(self):
            uploader = self.storage.uploader_client(self.storage.provision_uploader("eicu"))
            self.assertRefused(lambda: uploader.put_object(Bucket=self.bucket, Key="mimic/intruder.csv", Body=b"x"))

        def test_an_uploader_cannot_list_another_project(self):
            self.storage.provision_uploader("mimic")
            uploader = self.storage.uploader_client(self.storage.provision_uploader("eicu"))
            self.assertRefused(lambda: uploader.list_objects_v2(Bucket=self.bucket, Prefix="mimic/"))

        def test_a_revoked_uploaders_key_is_refused(self):
            uploader = self.storage.uploader_client(self.storage.provision_uploader("eicu"))
            uploader.put_object(Bucket=self.bucket, Key="eicu/before.csv", Body=b"x")
            self.storage.revoke_uploader("eicu")
            self.assertRefused(lambda: uploader.put_object(Bucket=self.bucket, Key="eicu/after.csv", Body=b"x"),
                               "InvalidAccessKeyId")

        def test_an_uploader_cannot_grant_itself_more(self):
            own_iam = boto3.client("iam", **self.storage.provision_uploader("eicu"))
            self.assertRefused(lambda: own_iam.put_user_policy(
                UserName="project-eicu", PolicyName="more",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})))

    ProjectStorageDenialTest.__name__ = ProjectStorageDenialTest.__qualname__ = name
    return ProjectStorageDenialTest


# ===================================================================================================
# Set-up 1: moto, as the suite was written (moto's getting-started page: mock_aws, and fake
# credentials and a region in the environment so that nothing can reach a real account)
# ===================================================================================================
@pytest.fixture
def aws_credentials(monkeypatch):
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            monkeypatch.delenv(name)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)


def moto_set_up(cls):
    if mock_aws is None:
        return unittest.skip("moto is not installed (pip install 'moto[iam,s3,sts]')")(cls)
    return pytest.mark.usefixtures("aws_credentials")(mock_aws(cls))


TestWithMoto = project_storage_suite("TestWithMoto", moto_set_up)
TestDenialsWithMoto = pytest.mark.xfail(
    strict=True, reason="moto does not enforce IAM policies or check keys (its default)")(
    denial_suite("TestDenialsWithMoto", moto_set_up))


# ===================================================================================================
# Set-up 2: the fake_s3 fixture (the pytest plugin's); nothing else changed
# ===================================================================================================
def fake_s3_set_up(cls):
    return pytest.mark.usefixtures("fake_s3")(cls)


TestWithFakeS3 = project_storage_suite("TestWithFakeS3", fake_s3_set_up)
TestDenialsWithFakeS3 = denial_suite("TestDenialsWithFakeS3", fake_s3_set_up)
