"""Identities made through IAM, and what they may do (issue 22): changes take effect on the next
request, IAM calls are authorized like any other, soft enforcement, and the least-privilege policy
generated from what ran.

AWS pages each group rests on (README.md has the full list):
- policy evaluation: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  and .../reference_policies_evaluation-logic_policy-eval-denyallow.html ("By default, all requests
  are implicitly denied with the exception of the AWS account root user"; "An explicit deny
  overrides an explicit allow");
- permissions boundaries: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
- access keys: https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html ("Inactive
  means that the key cannot be used"), S3's InvalidAccessKeyId
  (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html), IAM/STS's
  InvalidClientTokenId (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html);
- principal tags: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag
  and https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html;
- roles: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html;
- authorizing IAM calls: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
  (iam:CreateUser on arn:${Partition}:iam::${Account}:user/${UserNameWithPath}) and
  https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html.
"""

import json
import re
import subprocess
import urllib.parse
import urllib.request

import pytest

from fake_s3 import DEFAULT_CONFIG, FakeS3, find_binary
pytest.register_assert_rewrite("iam_helpers")  # before its import: its asserts explain failures

from iam_helpers import (  # noqa: E402
    ACCOUNT,
    ROOT_ARN,
    ROOT_KEY,
    allow,
    deny,
    dumps,
    expect_error,
    keys_client,
    make_user,
    marked_soft,
    policy,
    role_arn,
    trust,
    user_arn,
)

pytest_plugins = ("iam_helpers",)  # the `uid` fixture


OBJECTS = {
    "data/a.csv": b"a\n",
    "data/b.csv": b"b\n",
    "reports/r1.csv": b"r1\n",
    "secret/s.csv": b"secret\n",
}


def obj(bucket, key=None):
    return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def make_bucket(fake, name):
    """A bucket of the account root's, holding OBJECTS."""
    s3 = fake.client("s3")
    s3.create_bucket(Bucket=name)
    for key, body in OBJECTS.items():
        s3.put_object(Bucket=name, Key=key, Body=body)
    return name


def read(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def denied(call):
    return expect_error(call, "AccessDenied", 403)


def journal_entries(fake, operation, principal=None):
    return [e for e in fake.journal()
            if e.get("operation") == operation and (principal is None or e.get("principal") == principal)]


@pytest.fixture
def iam(fake_s3):
    return fake_s3.client("iam")


@pytest.fixture
def bucket(fake_s3, uid):
    return make_bucket(fake_s3, uid("bkt"))


ADMIN = policy(allow("*", "*", sid="Everything"))


def _role_with_reader(fake, iam, bucket, uid, path="/"):
    """A user allowed to call sts:AssumeRole, and a role that trusts her and reads data/."""
    user, role = uid("assumer"), uid("reader")
    _, key = make_user(iam, user, inline=policy(allow("sts:AssumeRole", role_arn(role, path))))
    iam.create_role(RoleName=role, Path=path, AssumeRolePolicyDocument=dumps(trust(user_arn(user))))
    iam.put_role_policy(RoleName=role, PolicyName="read-data", PolicyDocument=dumps(policy(
        allow("s3:GetObject", obj(bucket, "data/*")))))
    return user, key, role


@pytest.fixture
def soft():
    with FakeS3(enforcement="soft") as fake:
        yield fake


def _as_list(v):
    return [v] if isinstance(v, str) else list(v)


def check_shape(doc):
    """An identity policy: Version 2012-10-17, Allow statements only, no `*` in any action or
    resource, no Principal."""
    assert isinstance(doc, dict), type(doc)
    assert doc.get("Version") == "2012-10-17"
    assert isinstance(doc.get("Statement"), list)
    for st in doc["Statement"]:
        assert st.get("Effect") == "Allow", st
        assert "Principal" not in st and "NotAction" not in st and "NotResource" not in st, st
        for action in _as_list(st["Action"]):
            assert "*" not in action, f"wildcard action {action!r}"
        for resource in _as_list(st["Resource"]):
            assert "*" not in resource, f"wildcard resource {resource!r}"


def grants(doc):
    """{resource: {action (lower case: IAM actions are case-insensitive)}} of the statements without
    conditions, checking that they are grouped by resource: a resource is in one statement only."""
    out = {}
    for st in doc["Statement"]:
        if st.get("Condition"):
            continue
        for resource in _as_list(st["Resource"]):
            assert resource not in out, f"{resource} is in two statements: not grouped by resource"
            out[resource] = {a.lower() for a in _as_list(st["Action"])}
    return out


def listing_prefixes(doc, bucket_arn):
    """The s3:prefix values of the statements allowing s3:ListBucket on the bucket."""
    prefixes = set()
    for st in doc["Statement"]:
        if "s3:listbucket" not in {a.lower() for a in _as_list(st["Action"])}:
            continue
        assert _as_list(st["Resource"]) == [bucket_arn], st
        cond = st.get("Condition") or {}
        found = [v for op, kv in cond.items() if op in ("StringEquals", "StringLike")
                 for k, v in kv.items() if k.lower() == "s3:prefix"]
        assert found, f"a listing without an s3:prefix condition: {st}"
        for v in found:
            prefixes.update(_as_list(v))
    return prefixes


# ===================================================================================================
class TestChangesTakeEffectAtOnce:
    """A change through IAM decides the very next request."""

    def test_a_user_made_through_iam_is_refused_until_a_policy_allows(self, fake_s3, iam, bucket, uid):
        name = uid("newbie")
        _, key = make_user(iam, name)
        s3 = keys_client(fake_s3, "s3", key)
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))
        iam.put_user_policy(UserName=name, PolicyName="read-data", PolicyDocument=dumps(policy(
            allow("s3:GetObject", obj(bucket, "data/*")))))
        assert read(s3, bucket, "data/a.csv") == b"a\n"  # the very next request
        denied(lambda: s3.get_object(Bucket=bucket, Key="secret/s.csv"))
        iam.delete_user_policy(UserName=name, PolicyName="read-data")
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))

    def test_a_new_key_works_on_the_next_request(self, fake_s3, iam, uid):
        name = uid("fresh")
        user = iam.create_user(UserName=name, Path="/staff/")["User"]
        key = iam.create_access_key(UserName=name)["AccessKey"]
        me = keys_client(fake_s3, "sts", key).get_caller_identity()  # needs no permission (API_GetCallerIdentity)
        assert me["Arn"] == user_arn(name, "/staff/")
        assert me["UserId"] == user["UserId"]
        assert me["Account"] == ACCOUNT

    def test_a_deleted_key_is_refused_with_invalid_access_key_id(self, fake_s3, iam, bucket, uid):
        name = uid("rotator")
        _, old = make_user(iam, name, inline=policy(allow("s3:GetObject", obj(bucket, "*"))))
        new = iam.create_access_key(UserName=name)["AccessKey"]
        assert read(keys_client(fake_s3, "s3", old), bucket, "data/a.csv") == b"a\n"
        iam.delete_access_key(UserName=name, AccessKeyId=old["AccessKeyId"])
        expect_error(lambda: keys_client(fake_s3, "s3", old).get_object(Bucket=bucket, Key="data/a.csv"),
                     "InvalidAccessKeyId", 403)
        assert read(keys_client(fake_s3, "s3", new), bucket, "data/a.csv") == b"a\n"  # the other key still works

    def test_an_inactive_key_is_refused_until_it_is_active_again(self, fake_s3, iam, bucket, uid):
        # API_UpdateAccessKey: "Active means that the key can be used for programmatic calls to AWS,
        # while Inactive means that the key cannot be used."
        name = uid("sleeper")
        _, key = make_user(iam, name, inline=policy(allow("s3:GetObject", obj(bucket, "*"))))
        s3 = keys_client(fake_s3, "s3", key)
        iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        expect_error(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"), "InvalidAccessKeyId", 403)
        iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
        assert read(s3, bucket, "data/a.csv") == b"a\n"

    def test_iam_and_sts_refuse_a_deleted_key_with_invalid_client_token_id(self, fake_s3, iam, uid):
        # AMBIGUITY: issue 22 says a deleted or inactive key is refused with InvalidAccessKeyId, which is
        # S3's error (tested above). IAM's and STS's Common Errors pages name the same case
        # InvalidClientTokenId ("The X.509 certificate or AWS access key ID provided does not exist in our
        # records", HTTP 403); this test follows those pages for the query APIs.
        name = uid("gone")
        _, key = make_user(iam, name)
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        expect_error(lambda: keys_client(fake_s3, "sts", key).get_caller_identity(), "InvalidClientTokenId", 403)
        expect_error(lambda: keys_client(fake_s3, "iam", key).get_user(), "InvalidClientTokenId", 403)

    def test_a_groups_policy_grants_and_leaving_the_group_revokes(self, fake_s3, iam, bucket, uid):
        name, group = uid("member"), uid("readers")
        _, key = make_user(iam, name)
        s3 = keys_client(fake_s3, "s3", key)
        iam.create_group(GroupName=group)
        iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=dumps(policy(
            allow("s3:GetObject", obj(bucket, "data/*")))))
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))
        iam.add_user_to_group(GroupName=group, UserName=name)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        iam.remove_user_from_group(GroupName=group, UserName=name)
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))
        iam.add_user_to_group(GroupName=group, UserName=name)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        iam.delete_group_policy(GroupName=group, PolicyName="read")
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))

    def test_a_managed_policy_attached_to_a_group_grants_until_detached(self, fake_s3, iam, bucket, uid):
        name, group = uid("member"), uid("readers")
        _, key = make_user(iam, name)
        s3 = keys_client(fake_s3, "s3", key)
        iam.create_group(GroupName=group)
        iam.add_user_to_group(GroupName=group, UserName=name)
        arn = iam.create_policy(PolicyName=uid("read"), PolicyDocument=dumps(policy(
            allow("s3:GetObject", obj(bucket, "data/*")))))["Policy"]["Arn"]
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        iam.detach_group_policy(GroupName=group, PolicyArn=arn)
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))

    def test_attaching_detaching_and_the_default_version_change_decisions_at_once(self, fake_s3, iam, bucket, uid):
        # API_CreatePolicyVersion: "The default version is the version that is in effect for the IAM
        # users, groups, and roles to which the policy is attached."
        name = uid("analyst")
        _, key = make_user(iam, name)
        s3 = keys_client(fake_s3, "s3", key)
        arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(policy(
            allow("s3:GetObject", obj(bucket, "data/*")))))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        denied(lambda: s3.get_object(Bucket=bucket, Key="reports/r1.csv"))
        iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=dumps(policy(
            allow("s3:GetObject", obj(bucket, "reports/*")))))
        assert read(s3, bucket, "reports/r1.csv") == b"r1\n"
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        iam.create_policy_version(PolicyArn=arn, SetAsDefault=False, PolicyDocument=dumps(policy(
            allow("s3:*", "*"))))  # a version that is not the default grants nothing
        denied(lambda: s3.get_object(Bucket=bucket, Key="secret/s.csv"))
        iam.detach_user_policy(UserName=name, PolicyArn=arn)
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))

    def test_an_explicit_deny_in_a_group_overrides_the_users_allow(self, fake_s3, iam, bucket, uid):
        name, group = uid("member"), uid("no-secrets")
        _, key = make_user(iam, name, inline=policy(allow("s3:GetObject", obj(bucket, "*"))))
        s3 = keys_client(fake_s3, "s3", key)
        assert read(s3, bucket, "secret/s.csv") == b"secret\n"
        iam.create_group(GroupName=group)
        iam.put_group_policy(GroupName=group, PolicyName="deny", PolicyDocument=dumps(policy(
            deny("s3:GetObject", obj(bucket, "secret/*"), sid="NoSecretsForMembers"))))
        iam.add_user_to_group(GroupName=group, UserName=name)
        denied(lambda: s3.get_object(Bucket=bucket, Key="secret/s.csv"))
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        entry = [e for e in journal_entries(fake_s3, "GetObject", user_arn(name))
                 if e["path"].endswith("/secret/s.csv")][-1]
        assert entry["decision"] == "ExplicitDeny"
        assert "NoSecretsForMembers" in entry["explanation"]


# ===================================================================================================
class TestPermissionsBoundaries:
    """access_policies_boundaries: "An entity's permissions boundary allows it to perform only the
    actions that are allowed by both its identity-based policies and its permissions boundaries." A
    boundary changes decisions at once, like any other IAM change."""

    def test_a_boundary_caps_an_admin_policy(self, fake_s3, iam, bucket, uid):
        boundary = iam.create_policy(PolicyName=uid("read-only-boundary"), PolicyDocument=dumps(policy(
            allow(["s3:GetObject", "s3:ListBucket"], [obj(bucket), obj(bucket, "*")]))))["Policy"]["Arn"]
        name = uid("admin")
        _, key = make_user(iam, name, inline=ADMIN, PermissionsBoundary=boundary)
        s3 = keys_client(fake_s3, "s3", key)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        denied(lambda: s3.put_object(Bucket=bucket, Key="data/new.csv", Body=b"x"))
        denied(lambda: s3.delete_object(Bucket=bucket, Key="data/a.csv"))
        # access_policies_boundaries (Shirley's example): outside the boundary she "cannot perform
        # operations in any other service, including IAM", whatever her permissions policy allows
        denied(lambda: keys_client(fake_s3, "iam", key).create_user(UserName=uid("minion")))
        iam.delete_user_permissions_boundary(UserName=name)
        s3.put_object(Bucket=bucket, Key="data/new.csv", Body=b"x")  # at once, without the boundary
        iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
        denied(lambda: s3.put_object(Bucket=bucket, Key="data/new2.csv", Body=b"x"))

    def test_a_boundary_alone_grants_nothing(self, fake_s3, iam, bucket, uid):
        # access_policies_boundaries: a permissions boundary "does not grant permissions on its own".
        boundary = iam.create_policy(PolicyName=uid("wide-boundary"), PolicyDocument=dumps(policy(
            allow("s3:*", "*"))))["Policy"]["Arn"]
        _, key = make_user(iam, uid("bounded"), PermissionsBoundary=boundary)
        denied(lambda: keys_client(fake_s3, "s3", key).get_object(Bucket=bucket, Key="data/a.csv"))

    def test_an_explicit_deny_in_a_boundary_wins(self, fake_s3, iam, bucket, uid):
        boundary = iam.create_policy(PolicyName=uid("b"), PolicyDocument=dumps(policy(
            allow("s3:*", "*"), deny("s3:GetObject", obj(bucket, "secret/*"), sid="BoundaryDeny"))))["Policy"]["Arn"]
        _, key = make_user(iam, uid("bounded"), inline=ADMIN, PermissionsBoundary=boundary)
        s3 = keys_client(fake_s3, "s3", key)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        denied(lambda: s3.get_object(Bucket=bucket, Key="secret/s.csv"))

    def test_a_bucket_policy_naming_the_user_is_not_capped_by_the_boundary(self, fake_s3, iam, bucket, uid):
        # API_PutUserPermissionsBoundary (and CreateUser's PermissionsBoundary): "Permissions boundaries
        # do not define the maximum permissions that a resource-based policy can grant to an entity."
        # access_policies_boundaries ("Resource-based policies") adds that, within the same account, a
        # resource-based policy naming the IAM user's ARN is not limited by an implicit deny in the
        # boundary.
        boundary = iam.create_policy(PolicyName=uid("list-only"), PolicyDocument=dumps(policy(
            allow("s3:ListBucket", obj(bucket)))))["Policy"]["Arn"]
        name = uid("named")
        _, key = make_user(iam, name, PermissionsBoundary=boundary)
        fake_s3.client("s3").put_bucket_policy(Bucket=bucket, Policy=dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "NamedUserReadsData", "Effect": "Allow", "Principal": {"AWS": user_arn(name)},
                           "Action": "s3:GetObject", "Resource": obj(bucket, "data/*")}]}))
        s3 = keys_client(fake_s3, "s3", key)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        denied(lambda: s3.get_object(Bucket=bucket, Key="reports/r1.csv"))


# ===================================================================================================
class TestIamCallsAreAuthorized:
    """IAM calls are authorized like any other; nobody escalates by writing their own policy."""

    def test_an_intern_without_iam_create_user_is_refused(self, fake_s3, iam, bucket, uid):
        intern, wanted = uid("intern"), uid("wanted")
        _, key = make_user(iam, intern, inline=policy(allow(["s3:GetObject", "s3:ListBucket"], "*")))
        intern_iam = keys_client(fake_s3, "iam", key)
        err = denied(lambda: intern_iam.create_user(UserName=wanted))
        # troubleshoot_access-denied: "User: ARN is not authorized to perform: ACTION on resource: ..."
        message = err.response["Error"]["Message"]
        assert user_arn(intern) in message
        assert "iam:CreateUser" in message
        expect_error(lambda: iam.get_user(UserName=wanted), "NoSuchEntity", 404)  # nothing was created
        denied(lambda: intern_iam.list_users())
        denied(lambda: intern_iam.create_access_key(UserName=intern))  # not even a key for herself
        entry = journal_entries(fake_s3, "CreateUser", user_arn(intern))[-1]
        assert entry["decision"] == "ImplicitDeny"
        assert entry["status"] == 403
        assert entry["explanation"]

    def test_iam_permissions_apply_to_the_users_arn_with_its_path(self, fake_s3, iam, uid):
        # The Service Authorization Reference: the user resource is
        # arn:${Partition}:iam::${Account}:user/${UserNameWithPath}.
        manager = uid("manager")
        _, key = make_user(iam, manager, inline=policy(
            allow(["iam:CreateUser", "iam:CreateAccessKey"], f"arn:aws:iam::{ACCOUNT}:user/interns/*")))
        mgr = keys_client(fake_s3, "iam", key)
        hired = uid("hired")
        assert mgr.create_user(UserName=hired, Path="/interns/")["User"]["Arn"] == user_arn(hired, "/interns/")
        mgr.create_access_key(UserName=hired)
        denied(lambda: mgr.create_user(UserName=uid("staffer"), Path="/staff/"))
        denied(lambda: mgr.create_user(UserName=uid("rootpath")))
        denied(lambda: mgr.create_access_key(UserName=manager))

    def test_nobody_escalates_by_writing_their_own_policy(self, fake_s3, iam, bucket, uid):
        name, admins = uid("climber"), uid("admins")
        iam.create_group(GroupName=admins)
        iam.put_group_policy(GroupName=admins, PolicyName="admin", PolicyDocument=dumps(ADMIN))
        admin_arn = iam.create_policy(PolicyName=uid("admin"), PolicyDocument=dumps(ADMIN))["Policy"]["Arn"]
        boundary = iam.create_policy(PolicyName=uid("boundary"), PolicyDocument=dumps(policy(
            allow(["iam:Get*", "iam:List*"], "*"))))["Policy"]["Arn"]
        _, key = make_user(iam, name, PermissionsBoundary=boundary,
                           inline=policy(allow(["iam:GetUser", "iam:ListUserPolicies"], user_arn(name))))
        me = keys_client(fake_s3, "iam", key)
        me.get_user()  # what she may do, she does
        denied(lambda: me.put_user_policy(UserName=name, PolicyName="mine", PolicyDocument=dumps(ADMIN)))
        denied(lambda: me.attach_user_policy(UserName=name, PolicyArn=admin_arn))
        denied(lambda: me.add_user_to_group(GroupName=admins, UserName=name))
        denied(lambda: me.delete_user_permissions_boundary(UserName=name))
        denied(lambda: me.create_policy_version(PolicyArn=boundary, PolicyDocument=dumps(ADMIN), SetAsDefault=True))
        assert iam.list_user_policies(UserName=name)["PolicyNames"] == [f"{name}-inline"]
        assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []
        assert iam.get_group(GroupName=admins)["Users"] == []
        denied(lambda: keys_client(fake_s3, "s3", key).get_object(Bucket=bucket, Key="data/a.csv"))

    def test_iam_put_user_policy_on_themselves_lets_a_user_write_their_own_policy(self, fake_s3, iam, bucket, uid):
        name, other = uid("selfserve"), uid("other")
        iam.create_user(UserName=other)
        _, key = make_user(iam, name, inline=policy(allow("iam:PutUserPolicy", user_arn(name))))
        me = keys_client(fake_s3, "iam", key)
        s3 = keys_client(fake_s3, "s3", key)
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))
        me.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=dumps(policy(
            allow("s3:GetObject", obj(bucket, "data/*")))))
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        denied(lambda: me.put_user_policy(UserName=other, PolicyName="x", PolicyDocument=dumps(ADMIN)))


# ===================================================================================================
class TestPrincipalTags:
    """aws:PrincipalTag from user and role tags."""

    def test_a_principal_tag_condition_follows_the_users_tags(self, fake_s3, iam, bucket, uid):
        name = uid("tagged")
        _, key = make_user(iam, name, Tags=[{"Key": "team", "Value": "research"}], inline=policy(
            allow("s3:GetObject", obj(bucket, "*"), condition={"StringEquals": {"aws:PrincipalTag/team": "research"}})))
        s3 = keys_client(fake_s3, "s3", key)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "marketing"}])
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))
        iam.untag_user(UserName=name, TagKeys=["team"])
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))
        iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "research"}])
        assert read(s3, bucket, "data/a.csv") == b"a\n"

    def test_a_principal_tag_policy_variable(self, fake_s3, iam, bucket, uid):
        # reference_policies_variables: aws:PrincipalTag/tag-key may be used as a policy variable.
        name = uid("scoped")
        _, key = make_user(iam, name, Tags=[{"Key": "area", "Value": "data"}], inline=policy(
            allow("s3:GetObject", f"arn:aws:s3:::{bucket}/${{aws:PrincipalTag/area}}/*")))
        s3 = keys_client(fake_s3, "s3", key)
        assert read(s3, bucket, "data/a.csv") == b"a\n"
        denied(lambda: s3.get_object(Bucket=bucket, Key="reports/r1.csv"))
        iam.tag_user(UserName=name, Tags=[{"Key": "area", "Value": "reports"}])
        assert read(s3, bucket, "reports/r1.csv") == b"r1\n"
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/a.csv"))

    def test_a_roles_tags_are_its_sessions_principal_tags(self, fake_s3, iam, bucket, uid):
        # reference_policies_condition-keys, aws:PrincipalTag: for a role session the key holds the
        # role's tags (and session tags, which the fake does not serve).
        assumer = uid("assumer")
        _, key = make_user(iam, assumer, inline=policy(allow("sts:AssumeRole", "*")))
        gated = policy(allow("s3:GetObject", obj(bucket, "*"),
                             condition={"StringEquals": {"aws:PrincipalTag/clearance": "high"}}))
        tagged, plain = uid("tagged-role"), uid("plain-role")
        for role, tags in ((tagged, [{"Key": "clearance", "Value": "high"}]), (plain, [])):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(trust(user_arn(assumer))), Tags=tags)
            iam.put_role_policy(RoleName=role, PolicyName="gated", PolicyDocument=dumps(gated))
        sts = keys_client(fake_s3, "sts", key)
        s_tagged = keys_client(fake_s3, "s3", sts.assume_role(RoleArn=role_arn(tagged), RoleSessionName="tt")["Credentials"])
        s_plain = keys_client(fake_s3, "s3", sts.assume_role(RoleArn=role_arn(plain), RoleSessionName="pp")["Credentials"])
        assert read(s_tagged, bucket, "data/a.csv") == b"a\n"
        denied(lambda: s_plain.get_object(Bucket=bucket, Key="data/a.csv"))


# ===================================================================================================
class TestRoles:
    """Trust policies, and sessions following their role's policies."""

    def test_a_role_is_assumed_by_a_user_its_trust_policy_names(self, fake_s3, iam, bucket, uid):
        user, key, role = _role_with_reader(fake_s3, iam, bucket, uid, path="/service/")
        resp = keys_client(fake_s3, "sts", key).assume_role(RoleArn=role_arn(role, "/service/"), RoleSessionName="job-1")
        creds = resp["Credentials"]
        assert creds["AccessKeyId"].startswith("ASIA")  # reference_identifiers: ASIA = temporary keys
        assert creds["SessionToken"]
        # API_AssumedRoleUser / reference_identifiers: the assumed-role ARN has no path
        expected = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/job-1"
        assert resp["AssumedRoleUser"]["Arn"] == expected
        assert keys_client(fake_s3, "sts", creds).get_caller_identity()["Arn"] == expected
        session = keys_client(fake_s3, "s3", creds)
        assert read(session, bucket, "data/a.csv") == b"a\n"
        denied(lambda: session.get_object(Bucket=bucket, Key="secret/s.csv"))

    def test_a_user_the_trust_policy_does_not_name_cannot_assume_the_role(self, fake_s3, iam, bucket, uid):
        _, _, role = _role_with_reader(fake_s3, iam, bucket, uid)
        _, key = make_user(iam, uid("stranger"), inline=policy(allow("sts:AssumeRole", "*")))
        denied(lambda: keys_client(fake_s3, "sts", key).assume_role(RoleArn=role_arn(role), RoleSessionName="xx"))

    def test_update_assume_role_policy_changes_who_may_assume_at_once(self, fake_s3, iam, bucket, uid):
        first, key1, role = _role_with_reader(fake_s3, iam, bucket, uid)
        second = uid("successor")
        _, key2 = make_user(iam, second, inline=policy(allow("sts:AssumeRole", role_arn(role))))
        denied(lambda: keys_client(fake_s3, "sts", key2).assume_role(RoleArn=role_arn(role), RoleSessionName="ss"))
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=dumps(trust(user_arn(second))))
        keys_client(fake_s3, "sts", key2).assume_role(RoleArn=role_arn(role), RoleSessionName="ss")
        denied(lambda: keys_client(fake_s3, "sts", key1).assume_role(RoleArn=role_arn(role), RoleSessionName="ff"))

    def test_a_session_follows_the_roles_policies(self, fake_s3, iam, bucket, uid):
        # id_roles_use_revoke-sessions: a policy attached to the role applies to its existing sessions
        # (that is how sessions are revoked); the session carries no copy of the role's permissions.
        _, key, role = _role_with_reader(fake_s3, iam, bucket, uid)
        creds = keys_client(fake_s3, "sts", key).assume_role(RoleArn=role_arn(role), RoleSessionName="ss")["Credentials"]
        session = keys_client(fake_s3, "s3", creds)
        assert read(session, bucket, "data/a.csv") == b"a\n"
        iam.delete_role_policy(RoleName=role, PolicyName="read-data")
        denied(lambda: session.get_object(Bucket=bucket, Key="data/a.csv"))
        arn = iam.create_policy(PolicyName=uid("reports"), PolicyDocument=dumps(policy(
            allow("s3:GetObject", obj(bucket, "reports/*")))))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        assert read(session, bucket, "reports/r1.csv") == b"r1\n"
        iam.put_role_policy(RoleName=role, PolicyName="revoke", PolicyDocument=dumps(policy(
            deny("s3:*", "*", sid="RevokeOlderSessions",
                 condition={"DateLessThan": {"aws:TokenIssueTime": "2999-01-01T00:00:00Z"}}))))
        denied(lambda: session.get_object(Bucket=bucket, Key="reports/r1.csv"))

    def test_a_roles_boundary_caps_its_sessions(self, fake_s3, iam, bucket, uid):
        _, key, role = _role_with_reader(fake_s3, iam, bucket, uid)
        iam.put_role_policy(RoleName=role, PolicyName="admin", PolicyDocument=dumps(ADMIN))
        boundary = iam.create_policy(PolicyName=uid("b"), PolicyDocument=dumps(policy(
            allow("s3:GetObject", obj(bucket, "*")))))["Policy"]["Arn"]
        iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
        creds = keys_client(fake_s3, "sts", key).assume_role(RoleArn=role_arn(role), RoleSessionName="ss")["Credentials"]
        session = keys_client(fake_s3, "s3", creds)
        assert read(session, bucket, "secret/s.csv") == b"secret\n"
        denied(lambda: session.put_object(Bucket=bucket, Key="data/new.csv", Body=b"x"))
        iam.delete_role_permissions_boundary(RoleName=role)
        session.put_object(Bucket=bucket, Key="data/new.csv", Body=b"x")


# ===================================================================================================
class TestJournalAndReset:
    """The journal and reset with identities made through IAM."""

    def test_the_journal_names_users_made_through_iam(self, fake_s3, iam, bucket, uid):
        name = uid("journaled")
        _, key = make_user(iam, name, path="/staff/")
        denied(lambda: keys_client(fake_s3, "s3", key).get_object(Bucket=bucket, Key="data/a.csv"))
        entry = journal_entries(fake_s3, "GetObject", user_arn(name, "/staff/"))[-1]
        assert (entry["decision"], entry["status"]) == ("ImplicitDeny", 403)
        made = journal_entries(fake_s3, "CreateAccessKey", ROOT_ARN)[-1]
        assert (made["decision"], made["status"]) == ("Allow", 200)

    def test_reset_forgets_identities_made_through_iam(self, fake_s3, iam, uid):
        # fake-s3's own contract (docs/python.md): reset() goes "back to the configuration". Identities
        # made through IAM are not in the configuration, so they and their keys are gone.
        name = uid("ephemeral")
        _, key = make_user(iam, name)
        fake_s3.reset()
        expect_error(lambda: fake_s3.client("iam").get_user(UserName=name), "NoSuchEntity", 404)
        expect_error(lambda: keys_client(fake_s3, "s3", key).list_buckets(), "InvalidAccessKeyId", 403)
        fake_s3.client("iam").create_user(UserName=name)  # the name is free again


# ===================================================================================================
class TestSoftEnforcement:
    """Soft enforcement: what policy would refuse is served and journaled as a Deny; signatures still count."""

    def test_soft_mode_serves_what_policy_would_refuse_and_journals_the_deny(self, soft, uid):
        bucket = make_bucket(soft, uid("bkt"))
        name = uid("unprivileged")
        _, key = make_user(soft.client("iam"), name)
        s3 = keys_client(soft, "s3", key)
        assert read(s3, bucket, "data/a.csv") == b"a\n"  # served
        s3.put_object(Bucket=bucket, Key="data/new.csv", Body=b"new")  # served, and stored
        assert read(soft.client("s3"), bucket, "data/new.csv") == b"new"
        for op in ("GetObject", "PutObject"):
            entry = journal_entries(soft, op, user_arn(name))[-1]
            assert entry["decision"] == "ImplicitDeny", op
            assert entry["status"] == 200, op
            assert entry["explanation"], op
            assert marked_soft(entry), entry

    def test_soft_mode_journals_an_explicit_deny_with_its_statement(self, soft, uid):
        bucket = make_bucket(soft, uid("bkt"))
        name = uid("denied")
        _, key = make_user(soft.client("iam"), name, inline=policy(
            allow("s3:GetObject", obj(bucket, "*")), deny("s3:GetObject", obj(bucket, "secret/*"), sid="KeepOut")))
        s3 = keys_client(soft, "s3", key)
        assert read(s3, bucket, "secret/s.csv") == b"secret\n"
        entry = journal_entries(soft, "GetObject", user_arn(name))[-1]
        assert (entry["decision"], entry["status"]) == ("ExplicitDeny", 200)
        assert "KeepOut" in entry["explanation"]
        assert marked_soft(entry)
        read(s3, bucket, "data/a.csv")
        allowed = journal_entries(soft, "GetObject", user_arn(name))[-1]
        assert (allowed["decision"], allowed["status"]) == ("Allow", 200)

    def test_soft_mode_serves_iam_calls_policy_would_refuse(self, soft, uid):
        intern, hired = uid("intern"), uid("hired")
        _, key = make_user(soft.client("iam"), intern)
        keys_client(soft, "iam", key).create_user(UserName=hired)
        assert soft.client("iam").get_user(UserName=hired)["User"]["Arn"] == user_arn(hired)
        entry = journal_entries(soft, "CreateUser", user_arn(intern))[-1]
        assert (entry["decision"], entry["status"]) == ("ImplicitDeny", 200)
        assert marked_soft(entry)

    def test_soft_mode_serves_an_assume_role_the_trust_policy_would_refuse(self, soft, uid):
        iam = soft.client("iam")
        owner, stranger, role = uid("owner"), uid("stranger"), uid("role")
        iam.create_user(UserName=owner)
        _, key = make_user(iam, stranger)
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(trust(user_arn(owner))))
        creds = keys_client(soft, "sts", key).assume_role(RoleArn=role_arn(role), RoleSessionName="ss")["Credentials"]
        assert creds["SessionToken"]
        entry = journal_entries(soft, "AssumeRole", user_arn(stranger))[-1]
        assert entry["decision"] in ("ImplicitDeny", "ExplicitDeny")
        assert entry["status"] == 200
        assert marked_soft(entry)

    def test_soft_mode_still_verifies_signatures_and_keys(self, soft, uid):
        bucket = make_bucket(soft, uid("bkt"))
        iam = soft.client("iam")
        name = uid("u")
        _, key = make_user(iam, name)
        forged = dict(key, SecretAccessKey="not-the-secret-" + key["SecretAccessKey"][:8])
        expect_error(lambda: keys_client(soft, "s3", forged).put_object(Bucket=bucket, Key="forged.csv", Body=b"x"),
                     "SignatureDoesNotMatch", 403)
        expect_error(lambda: soft.client("s3").head_object(Bucket=bucket, Key="forged.csv"), ("404", "NoSuchKey"), 404)
        unknown = {"AccessKeyId": "AKIAUNKNOWNKEY000001", "SecretAccessKey": "whatever"}
        expect_error(lambda: keys_client(soft, "s3", unknown).get_object(Bucket=bucket, Key="data/a.csv"),
                     "InvalidAccessKeyId", 403)
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        expect_error(lambda: keys_client(soft, "s3", key).get_object(Bucket=bucket, Key="data/a.csv"),
                     "InvalidAccessKeyId", 403)
        failed = [e for e in soft.journal() if e["status"] == 403]
        assert len(failed) == 3  # the forged PUT, the unknown key, the deleted key
        for entry in failed:  # failed before authorization: no decision, not served, not "soft"
            assert entry["decision"] is None, entry
            assert not marked_soft(entry), entry

    def test_hard_enforcement_is_the_default(self, fake_s3, iam, bucket, uid):
        name = uid("u")
        _, key = make_user(iam, name)
        denied(lambda: keys_client(fake_s3, "s3", key).get_object(Bucket=bucket, Key="data/a.csv"))
        entry = journal_entries(fake_s3, "GetObject", user_arn(name))[-1]
        assert (entry["decision"], entry["status"]) == ("ImplicitDeny", 403)
        assert not marked_soft(entry)

    def test_soft_mode_survives_reset(self, soft, uid):
        # AMBIGUITY (fake-s3's contract): the enforcement mode is the server's setting (--enforcement),
        # which reset ("back to the configuration") keeps.
        soft.reset()
        bucket = make_bucket(soft, uid("bkt"))
        _, key = make_user(soft.client("iam"), uid("u"))
        assert read(keys_client(soft, "s3", key), bucket, "data/a.csv") == b"a\n"

    def test_soft_mode_from_the_configuration(self, uid):
        # AMBIGUITY: issue 22 names the command-line flag (--enforcement soft), the Python argument and
        # "config" without naming the configuration file's field; this corpus expects the flag's name,
        # a top-level "enforcement": "soft".
        with FakeS3(dict(DEFAULT_CONFIG, enforcement="soft")) as fake:
            bucket = make_bucket(fake, uid("bkt"))
            _, key = make_user(fake.client("iam"), uid("u"))
            assert read(keys_client(fake, "s3", key), bucket, "data/a.csv") == b"a\n"

    def test_soft_mode_from_the_command_line(self, tmp_path, uid):
        # issue 22: `fake-s3 --enforcement soft`. Without --config the binary runs DEFAULT_CONFIG's
        # account (fake_s3/_server.py says both start the same way).
        proc = subprocess.Popen([find_binary(), "--host", "127.0.0.1", "--port", "0", "--enforcement", "soft"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            line = proc.stdout.readline().decode()
            m = re.search(r"listening on (http://\S+?)/?(?:\s|$)", line)
            assert m, f"unexpected first line: {line!r}"
            endpoint = m.group(1)
            import boto3
            from botocore.config import Config

            def client(service, key_id, secret):
                return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                                    aws_access_key_id=key_id, aws_secret_access_key=secret,
                                    config=Config(s3={"addressing_style": "path"}, proxies={"http": endpoint}))

            root_s3 = client("s3", ROOT_KEY["access_key_id"], ROOT_KEY["secret_access_key"])
            root_iam = client("iam", ROOT_KEY["access_key_id"], ROOT_KEY["secret_access_key"])
            bucket = uid("bkt")
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_object(Bucket=bucket, Key="a.csv", Body=b"a\n")
            name = uid("u")
            root_iam.create_user(UserName=name)
            key = root_iam.create_access_key(UserName=name)["AccessKey"]
            s3 = client("s3", key["AccessKeyId"], key["SecretAccessKey"])
            assert s3.get_object(Bucket=bucket, Key="a.csv")["Body"].read() == b"a\n"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            proc.stdout.close()


# ===================================================================================================
class TestLeastPrivilege:
    """fake.least_privilege(arn): exactly what the principal requested since the last reset."""

    def test_the_policy_allows_exactly_what_was_requested_grouped_by_resource(self, fake_s3, iam, bucket, uid):
        name = uid("worker")
        user, key = make_user(iam, name, inline=policy(allow("s3:*", [obj(bucket), obj(bucket, "*")])))
        s3 = keys_client(fake_s3, "s3", key)
        s3.put_object(Bucket=bucket, Key="data/new.csv", Body=b"x")
        read(s3, bucket, "data/a.csv")
        read(s3, bucket, "data/a.csv")
        s3.head_object(Bucket=bucket, Key="data/a.csv")  # s3:GetObject too
        read(s3, bucket, "reports/r1.csv")
        doc = fake_s3.least_privilege(user["Arn"])
        check_shape(doc)
        assert grants(doc) == {
            obj(bucket, "data/new.csv"): {"s3:putobject"},
            obj(bucket, "data/a.csv"): {"s3:getobject"},
            obj(bucket, "reports/r1.csv"): {"s3:getobject"},
        }
        json.dumps(doc)  # a plain JSON-able dict

    def test_refused_requests_are_in_the_policy_too(self, fake_s3, iam, bucket, uid):
        user, key = make_user(iam, uid("unprivileged"))
        s3 = keys_client(fake_s3, "s3", key)
        denied(lambda: s3.get_object(Bucket=bucket, Key="secret/s.csv"))
        denied(lambda: s3.delete_object(Bucket=bucket, Key="data/b.csv"))
        doc = fake_s3.least_privilege(user["Arn"])
        check_shape(doc)
        assert grants(doc) == {obj(bucket, "secret/s.csv"): {"s3:getobject"},
                               obj(bucket, "data/b.csv"): {"s3:deleteobject"}}

    def test_listings_are_allowed_with_s3_prefix_conditions(self, fake_s3, iam, bucket, uid):
        user, key = make_user(iam, uid("lister"), inline=policy(allow("s3:ListBucket", obj(bucket))))
        s3 = keys_client(fake_s3, "s3", key)
        s3.list_objects_v2(Bucket=bucket, Prefix="data/")
        s3.list_objects_v2(Bucket=bucket, Prefix="reports/", Delimiter="/")
        s3.list_objects(Bucket=bucket, Prefix="data/")  # v1, the same action and prefix
        doc = fake_s3.least_privilege(user["Arn"])
        check_shape(doc)
        assert listing_prefixes(doc, obj(bucket)) == {"data/", "reports/"}
        assert obj(bucket) not in grants(doc)  # never an unconditioned s3:ListBucket

    def test_other_principals_requests_are_not_in_the_policy(self, fake_s3, iam, bucket, uid):
        wide = policy(allow("s3:*", [obj(bucket), obj(bucket, "*")]))
        me, my_key = make_user(iam, uid("me"), inline=wide)
        _, their_key = make_user(iam, uid("them"), inline=wide)
        read(keys_client(fake_s3, "s3", my_key), bucket, "data/a.csv")
        read(keys_client(fake_s3, "s3", their_key), bucket, "data/b.csv")
        fake_s3.client("s3").get_object(Bucket=bucket, Key="reports/r1.csv")  # the root's
        assert grants(fake_s3.least_privilege(me["Arn"])) == {obj(bucket, "data/a.csv"): {"s3:getobject"}}

    def test_iam_requests_are_in_the_policy(self, fake_s3, iam, uid):
        name = uid("selfie")
        user, key = make_user(iam, name, inline=policy(allow(["iam:GetUser", "iam:ListAccessKeys"], user_arn(name))))
        me = keys_client(fake_s3, "iam", key)
        me.get_user()
        me.list_access_keys()
        doc = fake_s3.least_privilege(user["Arn"])
        check_shape(doc)
        assert grants(doc) == {user_arn(name): {"iam:getuser", "iam:listaccesskeys"}}

    def test_the_policy_covers_requests_since_the_last_reset(self, uid):
        # A user of the configuration (those survive reset; users made through IAM do not).
        bucket = uid("bkt")
        analyst = {"access_key_id": "AKIAANALYST000000001", "secret_access_key": "analyst-secret-0000000000000000000001"}
        config = dict(DEFAULT_CONFIG, accounts=[dict(DEFAULT_CONFIG["accounts"][0], users=[{
            "name": "analyst", "path": "/", "user_id": "AIDAANALYSTEXAMPLE001", "keys": [analyst],
            "policies": [policy(allow("s3:*", [obj(bucket), obj(bucket, "*")]))]}],
            buckets=[{"name": bucket, "policy": None}])])
        with FakeS3(config) as fake:
            s3 = fake.client("s3", user="analyst")
            arn = fake.user_arn("analyst")
            s3.put_object(Bucket=bucket, Key="before.csv", Body=b"x")
            assert grants(fake.least_privilege(arn)) == {obj(bucket, "before.csv"): {"s3:putobject"}}
            fake.reset()
            assert grants(fake.least_privilege(arn)) == {}
            s3.put_object(Bucket=bucket, Key="after.csv", Body=b"y")
            s3.get_object(Bucket=bucket, Key="after.csv")
            doc = fake.least_privilege(arn)
            check_shape(doc)
            assert grants(doc) == {obj(bucket, "after.csv"): {"s3:putobject", "s3:getobject"}}

    def test_attached_to_the_principal_it_lets_the_same_requests_pass_and_nothing_else(self, fake_s3, iam, bucket, uid):
        name = uid("app")
        user, key = make_user(iam, name, inline=policy(allow("s3:*", [obj(bucket), obj(bucket, "*")])))
        s3 = keys_client(fake_s3, "s3", key)

        def the_workload():
            s3.put_object(Bucket=bucket, Key="data/new.csv", Body=b"x")
            assert read(s3, bucket, "data/a.csv") == b"a\n"
            s3.head_object(Bucket=bucket, Key="data/a.csv")
            s3.list_objects_v2(Bucket=bucket, Prefix="data/")
            assert read(s3, bucket, "reports/r1.csv") == b"r1\n"

        the_workload()
        doc = fake_s3.least_privilege(user["Arn"])
        check_shape(doc)
        # swap the wide policy for the generated one (a managed policy: lint-clean means IAM accepts it)
        iam.delete_user_policy(UserName=name, PolicyName=f"{name}-inline")
        arn = iam.create_policy(PolicyName=uid("least"), PolicyDocument=dumps(doc))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
        the_workload()  # the same requests pass
        # ... and nothing else
        denied(lambda: s3.get_object(Bucket=bucket, Key="secret/s.csv"))
        denied(lambda: s3.get_object(Bucket=bucket, Key="data/b.csv"))
        denied(lambda: s3.put_object(Bucket=bucket, Key="data/a.csv", Body=b"overwrite"))
        denied(lambda: s3.put_object(Bucket=bucket, Key="reports/new.csv", Body=b"x"))
        denied(lambda: s3.delete_object(Bucket=bucket, Key="data/a.csv"))
        denied(lambda: s3.list_objects_v2(Bucket=bucket, Prefix="reports/"))
        denied(lambda: s3.list_objects_v2(Bucket=bucket))

    def test_the_http_endpoint_answers_the_same_policy(self, fake_s3, iam, bucket, uid):
        user, key = make_user(iam, uid("u"), inline=policy(allow("s3:GetObject", obj(bucket, "*"))))
        read(keys_client(fake_s3, "s3", key), bucket, "data/a.csv")
        url = f"{fake_s3.endpoint_url}/_fake/least-privilege?principal={urllib.parse.quote(user['Arn'], safe='')}"
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert resp.status == 200
            served = json.loads(resp.read())
        assert served == fake_s3.least_privilege(user["Arn"])

    def test_soft_mode_then_least_privilege_is_the_workflow(self, soft, uid):
        # Run the workload with nothing granted under soft enforcement, then ask what it needed.
        bucket = make_bucket(soft, uid("bkt"))
        user, key = make_user(soft.client("iam"), uid("newapp"))
        s3 = keys_client(soft, "s3", key)
        s3.put_object(Bucket=bucket, Key="out/result.csv", Body=b"r")
        s3.list_objects_v2(Bucket=bucket, Prefix="out/")
        doc = soft.least_privilege(user["Arn"])
        check_shape(doc)
        assert grants(doc) == {obj(bucket, "out/result.csv"): {"s3:putobject"}}
        assert listing_prefixes(doc, obj(bucket)) == {"out/"}
