"""The IAM Query API served by fake-s3 (issue 22), operation family by operation family, through
boto3 as the account root (`fake.client("iam")`).

Each assertion rests on the IAM API Reference page of its operation
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_<Operation>.html), on "IAM and AWS STS
quotas" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html) for the limits,
and on "IAM identifiers" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html)
for ARNs, paths and unique-id prefixes. README.md maps each test group to its pages.

HTTP statuses are those the API Reference lists for each error: NoSuchEntity 404,
EntityAlreadyExists 409, LimitExceeded 409, DeleteConflict 409, MalformedPolicyDocument 400,
InvalidInput 400.
"""

import datetime
import json

import pytest

pytest.register_assert_rewrite("iam_helpers")  # before its import: its asserts explain failures

from iam_helpers import (  # noqa: E402
    ACCOUNT,
    allow,
    compact,
    deny,
    dumps,
    expect_error,
    group_arn,
    keys_client,
    make_user,
    policy,
    policy_arn,
    role_arn,
    sized_policy,
    sized_trust_policy,
    status_of,
    trust,
    user_arn,
)

pytest_plugins = ("iam_helpers",)  # the `uid` fixture


READ = policy(allow("s3:GetObject", "arn:aws:s3:::some-bucket/*"))
WRITE = policy(allow("s3:PutObject", "arn:aws:s3:::some-bucket/*"))
ROOT_TRUST = trust(f"arn:aws:iam::{ACCOUNT}:root")


@pytest.fixture
def iam(fake_s3):
    """The account root's IAM client: issue 22's contract for `FakeS3().client("iam")`."""
    return fake_s3.client("iam")


# ===================================================================================================
# Users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser; paths
# ===================================================================================================
def test_create_user_answers_the_new_user(iam, uid):
    name = uid("alice")
    resp = iam.create_user(UserName=name)
    assert status_of(resp) == 200
    assert resp["ResponseMetadata"].get("RequestId")
    user = resp["User"]
    assert user["UserName"] == name
    assert user["Path"] == "/"  # API_CreateUser: "If it is not included, it defaults to a slash (/)"
    assert user["Arn"] == user_arn(name)
    assert user["UserId"].startswith("AIDA")  # reference_identifiers: unique-id prefixes, AIDA = IAM user
    assert isinstance(user["CreateDate"], datetime.datetime)
    assert "PermissionsBoundary" not in user
    assert not user.get("Tags")


def test_a_path_is_part_of_the_user_arn(iam, uid):
    name, path = uid("bob"), "/division_abc/subdivision_xyz/"  # the example of reference_identifiers
    user = iam.create_user(UserName=name, Path=path)["User"]
    assert user["Path"] == path
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/division_abc/subdivision_xyz/{name}"
    assert iam.get_user(UserName=name)["User"]["Arn"] == user["Arn"]


def test_user_ids_are_unique(iam, uid):
    a = iam.create_user(UserName=uid("u"))["User"]["UserId"]
    b = iam.create_user(UserName=uid("u"))["User"]["UserId"]
    assert a != b


def test_creating_an_existing_user_is_entity_already_exists(iam, uid):
    name = uid("carol")
    iam.create_user(UserName=name)
    expect_error(lambda: iam.create_user(UserName=name), "EntityAlreadyExists", 409)


def test_user_names_are_not_distinguished_by_case(iam, uid):
    # API_CreateUser: "Names are not distinguished by case. For example, you cannot create resources
    # named both "MyResource" and "myresource"."
    name = uid("dave")
    iam.create_user(UserName=name)
    expect_error(lambda: iam.create_user(UserName=name.upper()), "EntityAlreadyExists", 409)


def test_a_path_must_begin_and_end_with_a_slash(iam, uid):
    # API_CreateUser: Path pattern (\u002F)|(\u002F[\u0021-\u007E]+\u002F).
    # AMBIGUITY: the page gives the pattern but not the error code; AWS's query APIs answer a
    # pattern violation with the common error ValidationError (400). InvalidInput is also accepted.
    expect_error(lambda: iam.create_user(UserName=uid("erin"), Path="no-slashes"),
                 ("ValidationError", "InvalidInput"), 400)


def test_get_user_answers_what_create_user_did(iam, uid):
    name = uid("frank")
    created = iam.create_user(UserName=name, Path="/staff/")["User"]
    got = iam.get_user(UserName=name)["User"]
    for field in ("UserName", "UserId", "Arn", "Path", "CreateDate"):
        assert got[field] == created[field], field


def test_get_unknown_user_is_no_such_entity(iam, uid):
    expect_error(lambda: iam.get_user(UserName=uid("ghost")), "NoSuchEntity", 404)


def test_get_user_without_a_name_is_the_caller(fake_s3, iam, uid):
    # API_GetUser: "If you do not specify a user name, IAM determines the user name implicitly based
    # on the AWS access key ID used to sign the request to this operation."
    name = uid("grace")
    _, key = make_user(iam, name, inline=policy(allow("iam:GetUser", user_arn(name))))
    me = keys_client(fake_s3, "iam", key).get_user()["User"]
    assert me["UserName"] == name
    assert me["Arn"] == user_arn(name)


def test_list_users_filters_by_path_prefix(iam, uid):
    eng, sales, plain = uid("eng"), uid("sales"), uid("plain")
    iam.create_user(UserName=eng, Path="/eng/")
    iam.create_user(UserName=sales, Path="/sales/")
    iam.create_user(UserName=plain)
    resp = iam.list_users(PathPrefix="/eng/")
    assert [u["UserName"] for u in resp["Users"]] == [eng]
    assert resp["IsTruncated"] is False
    everyone = {u["UserName"] for u in iam.list_users()["Users"]}
    assert everyone == {eng, sales, plain}  # a fresh server: no other users
    listed = {u["UserName"]: u for u in iam.list_users()["Users"]}
    assert listed[sales]["Arn"] == user_arn(sales, "/sales/")


def test_list_users_paginates_with_marker(iam, uid):
    names = {uid("page") for _ in range(3)}
    for n in names:
        iam.create_user(UserName=n)
    first = iam.list_users(MaxItems=2)
    assert len(first["Users"]) == 2
    assert first["IsTruncated"] is True
    assert first["Marker"]
    rest = iam.list_users(MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    assert {u["UserName"] for u in first["Users"] + rest["Users"]} == names
    # boto3's paginator follows the markers the same way
    paged = [u["UserName"] for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1})
             for u in page["Users"]]
    assert sorted(paged) == sorted(names)


def test_update_user_renames_and_keeps_the_id_keys_and_policies(iam, uid):
    old, new = uid("henry"), uid("henri")
    created = iam.create_user(UserName=old)["User"]
    iam.put_user_policy(UserName=old, PolicyName="read", PolicyDocument=dumps(READ))
    key = iam.create_access_key(UserName=old)["AccessKey"]
    assert status_of(iam.update_user(UserName=old, NewUserName=new)) == 200
    expect_error(lambda: iam.get_user(UserName=old), "NoSuchEntity", 404)
    renamed = iam.get_user(UserName=new)["User"]
    assert renamed["UserId"] == created["UserId"]
    assert renamed["Arn"] == user_arn(new)
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=new)["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    assert iam.list_user_policies(UserName=new)["PolicyNames"] == ["read"]


def test_update_user_moves_the_user_to_a_new_path(iam, uid):
    name = uid("ines")
    iam.create_user(UserName=name, Path="/interns/")
    iam.update_user(UserName=name, NewPath="/staff/")
    user = iam.get_user(UserName=name)["User"]
    assert user["Path"] == "/staff/"
    assert user["Arn"] == user_arn(name, "/staff/")
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/interns/")["Users"]] == []


def test_update_user_to_a_taken_name_is_entity_already_exists(iam, uid):
    a, b = uid("jack"), uid("jill")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    expect_error(lambda: iam.update_user(UserName=a, NewUserName=b), "EntityAlreadyExists", 409)


def test_update_unknown_user_is_no_such_entity(iam, uid):
    expect_error(lambda: iam.update_user(UserName=uid("nobody"), NewPath="/x/"), "NoSuchEntity", 404)


def test_delete_user(iam, uid):
    name = uid("kim")
    iam.create_user(UserName=name)
    assert status_of(iam.delete_user(UserName=name)) == 200
    expect_error(lambda: iam.get_user(UserName=name), "NoSuchEntity", 404)
    assert name not in {u["UserName"] for u in iam.list_users()["Users"]}
    expect_error(lambda: iam.delete_user(UserName=name), "NoSuchEntity", 404)
    iam.create_user(UserName=name)  # the name is free again


def _attach_key(iam, name, uid):
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda: iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])


def _attach_inline(iam, name, uid):
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=dumps(READ))
    return lambda: iam.delete_user_policy(UserName=name, PolicyName="p")


def _attach_managed(iam, name, uid):
    arn = iam.create_policy(PolicyName=uid("pol"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    return lambda: iam.detach_user_policy(UserName=name, PolicyArn=arn)


def _join_group(iam, name, uid):
    group = uid("grp")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    return lambda: iam.remove_user_from_group(GroupName=group, UserName=name)


@pytest.mark.parametrize("attach", [_attach_key, _attach_inline, _attach_managed, _join_group],
                         ids=["access key", "inline policy", "attached managed policy", "group membership"])
def test_deleting_a_user_with_attached_items_is_delete_conflict(iam, uid, attach):
    # API_DeleteUser: "when you delete a user programmatically, you must delete the items attached
    # to the user manually, or the deletion fails" (access keys, inline policies, attached managed
    # policies, group memberships, ...); the error is DeleteConflict.
    name = uid("leo")
    iam.create_user(UserName=name)
    remove = attach(iam, name, uid)
    expect_error(lambda: iam.delete_user(UserName=name), "DeleteConflict", 409)
    iam.get_user(UserName=name)  # still there
    remove()
    iam.delete_user(UserName=name)
    expect_error(lambda: iam.get_user(UserName=name), "NoSuchEntity", 404)


# ===================================================================================================
# Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey
# ===================================================================================================
def test_create_access_key_answers_the_secret_once(iam, uid):
    name = uid("mia")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["UserName"] == name
    assert key["AccessKeyId"].startswith("AKIA")  # reference_identifiers: AKIA = access key
    assert key["Status"] == "Active"
    assert key["SecretAccessKey"]
    assert isinstance(key["CreateDate"], datetime.datetime)
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert len(listed) == 1
    assert listed[0]["AccessKeyId"] == key["AccessKeyId"]
    assert listed[0]["UserName"] == name
    assert listed[0]["Status"] == "Active"
    assert "SecretAccessKey" not in listed[0]  # API_AccessKeyMetadata has no secret


def test_a_user_has_at_most_two_access_keys(iam, uid):
    # reference_iam-quotas: "Access keys assigned to an IAM user: 2"
    name = uid("noah")
    iam.create_user(UserName=name)
    first = iam.create_access_key(UserName=name)["AccessKey"]
    iam.create_access_key(UserName=name)
    expect_error(lambda: iam.create_access_key(UserName=name), "LimitExceeded", 409)
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2
    iam.delete_access_key(UserName=name, AccessKeyId=first["AccessKeyId"])
    iam.create_access_key(UserName=name)  # room again


def test_an_inactive_key_still_counts_against_the_quota(iam, uid):
    # AMBIGUITY: GetAccountSummary describes AccessKeysPerUserQuota as "active access keys", while
    # the quotas page says "Access keys assigned to an IAM user: 2". IAM refuses a third key while two
    # exist whatever their status; this test follows the quotas page.
    name = uid("nora")
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    iam.create_access_key(UserName=name)
    iam.update_access_key(UserName=name, AccessKeyId=k["AccessKeyId"], Status="Inactive")
    expect_error(lambda: iam.create_access_key(UserName=name), "LimitExceeded", 409)


def test_update_access_key_makes_it_inactive_and_active_again(iam, uid):
    name = uid("olga")
    iam.create_user(UserName=name)
    key_id = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    assert status_of(iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")) == 200
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Active")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Active"


def test_delete_access_key(iam, uid):
    name = uid("pia")
    iam.create_user(UserName=name)
    key_id = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    assert status_of(iam.delete_access_key(UserName=name, AccessKeyId=key_id)) == 200
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    expect_error(lambda: iam.delete_access_key(UserName=name, AccessKeyId=key_id), "NoSuchEntity", 404)
    expect_error(lambda: iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Active"),
                 "NoSuchEntity", 404)


def test_a_key_is_only_found_under_its_own_user(iam, uid):
    a, b = uid("quinn"), uid("ravi")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    key_id = iam.create_access_key(UserName=a)["AccessKey"]["AccessKeyId"]
    expect_error(lambda: iam.delete_access_key(UserName=b, AccessKeyId=key_id), "NoSuchEntity", 404)
    assert len(iam.list_access_keys(UserName=a)["AccessKeyMetadata"]) == 1


def test_access_keys_of_an_unknown_user_are_no_such_entity(iam, uid):
    ghost = uid("ghost")
    expect_error(lambda: iam.create_access_key(UserName=ghost), "NoSuchEntity", 404)
    expect_error(lambda: iam.list_access_keys(UserName=ghost), "NoSuchEntity", 404)


def test_create_access_key_without_a_name_is_for_the_caller(fake_s3, iam, uid):
    # API_CreateAccessKey: "If you do not specify a user name, IAM determines the user name
    # implicitly based on the AWS access key ID signing the request."
    name = uid("sam")
    _, key = make_user(iam, name, inline=policy(
        allow(["iam:CreateAccessKey", "iam:ListAccessKeys"], user_arn(name))))
    mine = keys_client(fake_s3, "iam", key)
    second = mine.create_access_key()["AccessKey"]
    assert second["UserName"] == name
    assert {k["AccessKeyId"] for k in mine.list_access_keys()["AccessKeyMetadata"]} == {
        key["AccessKeyId"], second["AccessKeyId"]}


# ===================================================================================================
# Inline policies of users, groups and roles: Put/Get/List/Delete{User,Group,Role}Policy
# ===================================================================================================
class Kind:
    """One kind of identity, with the names of its IAM operations."""

    def __init__(self, kind, param, limit):
        self.kind, self.param, self.limit = kind, param, limit  # limit: aggregate inline size quota

    def __repr__(self):
        return self.kind

    def create(self, iam, name):
        if self.kind == "user":
            return iam.create_user(UserName=name)
        if self.kind == "group":
            return iam.create_group(GroupName=name)
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST))

    def call(self, iam, verb, name, **kwargs):
        """verb: put/get/list/delete (inline), attach/detach/list_attached (managed)."""
        k = self.kind
        op = {
            "put": f"put_{k}_policy", "get": f"get_{k}_policy", "list": f"list_{k}_policies",
            "delete": f"delete_{k}_policy", "attach": f"attach_{k}_policy",
            "detach": f"detach_{k}_policy", "list_attached": f"list_attached_{k}_policies",
        }[verb]
        return getattr(iam, op)(**{self.param: name}, **kwargs)


# reference_iam-quotas: "You can add as many inline policies as you want to an IAM user, role, or
# group. But the total aggregate policy size (the sum size of all inline policies) per entity cannot
# exceed": user 2,048, role 10,240, group 5,120 characters; "IAM does not count white space".
KINDS = [Kind("user", "UserName", 2048), Kind("group", "GroupName", 5120), Kind("role", "RoleName", 10240)]


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_inline_policies_put_get_list_delete(iam, uid, kind):
    name = uid(kind.kind)
    kind.create(iam, name)
    assert kind.call(iam, "list", name)["PolicyNames"] == []
    assert status_of(kind.call(iam, "put", name, PolicyName="read", PolicyDocument=dumps(READ))) == 200
    got = kind.call(iam, "get", name, PolicyName="read")
    assert got[kind.param] == name
    assert got["PolicyName"] == "read"
    assert got["PolicyDocument"] == READ  # boto3 URL-decodes and parses the document
    kind.call(iam, "put", name, PolicyName="write", PolicyDocument=dumps(WRITE))
    assert sorted(kind.call(iam, "list", name)["PolicyNames"]) == ["read", "write"]
    assert status_of(kind.call(iam, "delete", name, PolicyName="read")) == 200
    assert kind.call(iam, "list", name)["PolicyNames"] == ["write"]
    expect_error(lambda: kind.call(iam, "get", name, PolicyName="read"), "NoSuchEntity", 404)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_putting_an_inline_policy_again_replaces_it(iam, uid, kind):
    name = uid(kind.kind)
    kind.create(iam, name)
    kind.call(iam, "put", name, PolicyName="p", PolicyDocument=dumps(READ))
    kind.call(iam, "put", name, PolicyName="p", PolicyDocument=dumps(WRITE))
    assert kind.call(iam, "get", name, PolicyName="p")["PolicyDocument"] == WRITE
    assert kind.call(iam, "list", name)["PolicyNames"] == ["p"]


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_inline_policies_of_an_unknown_identity_are_no_such_entity(iam, uid, kind):
    ghost = uid("ghost")
    expect_error(lambda: kind.call(iam, "put", ghost, PolicyName="p", PolicyDocument=dumps(READ)),
                 "NoSuchEntity", 404)
    expect_error(lambda: kind.call(iam, "list", ghost), "NoSuchEntity", 404)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_an_unknown_inline_policy_is_no_such_entity(iam, uid, kind):
    name = uid(kind.kind)
    kind.create(iam, name)
    expect_error(lambda: kind.call(iam, "get", name, PolicyName="absent"), "NoSuchEntity", 404)
    expect_error(lambda: kind.call(iam, "delete", name, PolicyName="absent"), "NoSuchEntity", 404)


# Documents IAM refuses with MalformedPolicyDocument (API_PutUserPolicy & co.: "The request was
# rejected because the policy document was malformed"), per the grammar of the IAM JSON policy
# language (reference_policies_grammar) and the elements' pages.
MALFORMED_IDENTITY_POLICIES = {
    "not JSON": '{"Version": "2012-10-17", "Statement": [',
    # reference_policies_elements_principal: "You cannot use the Principal element in an
    # identity-based policy."
    "a Principal in an identity policy": dumps(policy({
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"})),
    "no Effect": dumps(policy({"Action": "s3:GetObject", "Resource": "*"})),
    "Effect neither Allow nor Deny": dumps(policy({"Effect": "Permit", "Action": "s3:GetObject",
                                                   "Resource": "*"})),
    # reference_policies_elements_action: an action is "service-prefix:action-name".
    "an action without a service prefix": dumps(policy(allow("GetObject", "*"))),
    "no Statement": dumps({"Version": "2012-10-17"}),
    # reference_policies_elements_version: the only versions are 2012-10-17 and 2008-10-17.
    "an unknown Version": dumps({"Version": "2020-01-01", "Statement": [allow("s3:GetObject", "*")]}),
    # reference_policies_elements_resource: an identity policy statement needs Resource or NotResource.
    "no Resource": dumps(policy({"Effect": "Allow", "Action": "s3:GetObject"})),
}


@pytest.mark.parametrize("kind", KINDS, ids=repr)
@pytest.mark.parametrize("case", sorted(MALFORMED_IDENTITY_POLICIES))
def test_a_malformed_inline_policy_is_refused(iam, uid, kind, case):
    name = uid(kind.kind)
    kind.create(iam, name)
    expect_error(lambda: kind.call(iam, "put", name, PolicyName="bad",
                                   PolicyDocument=MALFORMED_IDENTITY_POLICIES[case]),
                 "MalformedPolicyDocument", 400)
    assert kind.call(iam, "list", name)["PolicyNames"] == []


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_inline_policy_size_quota_is_per_identity_and_ignores_white_space(iam, uid, kind):
    name = uid(kind.kind)
    kind.create(iam, name)
    at_limit = sized_policy(kind.limit)
    # exactly the quota, sent with white space added: accepted (white space is not counted)
    kind.call(iam, "put", name, PolicyName="big", PolicyDocument=json.dumps(at_limit, indent=4))
    # the aggregate is full: any second inline policy exceeds it
    expect_error(lambda: kind.call(iam, "put", name, PolicyName="more", PolicyDocument=compact(READ)),
                 "LimitExceeded", 409)
    # replacing the policy is not adding to it
    kind.call(iam, "put", name, PolicyName="big", PolicyDocument=compact(READ))
    kind.call(iam, "put", name, PolicyName="more", PolicyDocument=compact(WRITE))
    # one character over the quota on a fresh identity
    other = uid(kind.kind)
    kind.create(iam, other)
    expect_error(lambda: kind.call(iam, "put", other, PolicyName="big",
                                   PolicyDocument=compact(sized_policy(kind.limit + 1))),
                 "LimitExceeded", 409)


# ===================================================================================================
# Managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy; versions
# ===================================================================================================
def test_create_policy_answers_the_new_policy(iam, uid):
    name = uid("readers")
    pol = iam.create_policy(PolicyName=name, Path="/team/", PolicyDocument=dumps(READ),
                            Description="read some-bucket")["Policy"]
    assert pol["PolicyName"] == name
    assert pol["Arn"] == policy_arn(name, "/team/")
    assert pol["Path"] == "/team/"
    assert pol["PolicyId"].startswith("ANPA")  # reference_identifiers: ANPA = managed policy
    assert pol["DefaultVersionId"] == "v1"
    assert pol["AttachmentCount"] == 0
    assert pol["PermissionsBoundaryUsageCount"] == 0
    assert pol["IsAttachable"] is True
    assert isinstance(pol["CreateDate"], datetime.datetime)
    assert isinstance(pol["UpdateDate"], datetime.datetime)
    got = iam.get_policy(PolicyArn=pol["Arn"])["Policy"]
    for field in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "CreateDate"):
        assert got[field] == pol[field], field
    # API_Policy: Description "is included in the response to the GetPolicy operation"
    assert got["Description"] == "read some-bucket"


def test_creating_an_existing_policy_is_entity_already_exists(iam, uid):
    name = uid("dup")
    iam.create_policy(PolicyName=name, PolicyDocument=dumps(READ))
    expect_error(lambda: iam.create_policy(PolicyName=name, PolicyDocument=dumps(WRITE)),
                 "EntityAlreadyExists", 409)


def test_get_unknown_policy_is_no_such_entity(iam, uid):
    expect_error(lambda: iam.get_policy(PolicyArn=policy_arn(uid("absent"))), "NoSuchEntity", 404)


def test_list_policies_by_scope_path_and_attachment(iam, uid):
    team, plain, user = uid("teampol"), uid("plainpol"), uid("u")
    team_arn = iam.create_policy(PolicyName=team, Path="/team/", PolicyDocument=dumps(READ))["Policy"]["Arn"]
    iam.create_policy(PolicyName=plain, PolicyDocument=dumps(WRITE))
    local = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert local == {team, plain}  # a fresh server: the account's own policies only
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local", PathPrefix="/team/")["Policies"]] == [team]
    assert iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"] == []
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=team_arn)
    attached = iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]
    assert [p["PolicyName"] for p in attached] == [team]
    assert attached[0]["AttachmentCount"] == 1


def test_get_policy_version_answers_the_document(iam, uid):
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["VersionId"] == "v1"
    assert version["IsDefaultVersion"] is True
    assert version["Document"] == READ
    assert isinstance(version["CreateDate"], datetime.datetime)


def test_policy_versions_and_the_default_version(iam, uid):
    # API_CreatePolicyVersion: "Optionally, you can set the new version as the policy's default
    # version. The default version is the version that is in effect for the IAM users, groups, and
    # roles to which the policy is attached."
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(WRITE), SetAsDefault=False)["PolicyVersion"]
    assert v2["VersionId"] == "v2"
    assert v2["IsDefaultVersion"] is False
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    both = policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::some-bucket/*"))
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(both), SetAsDefault=True)["PolicyVersion"]
    assert (v3["VersionId"], v3["IsDefaultVersion"]) == ("v3", True)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    versions = {v["VersionId"]: v["IsDefaultVersion"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]}
    assert versions == {"v1": False, "v2": False, "v3": True}
    assert status_of(iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")) == 200
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["IsDefaultVersion"] is True
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"] == both


def test_a_managed_policy_keeps_at_most_five_versions(iam, uid):
    # API_CreatePolicyVersion: "A managed policy can have up to five versions. If the policy has five
    # versions, you must delete an existing version using DeletePolicyVersion before you create a new
    # version." reference_iam-quotas: "Versions of a managed policy that can be stored: 5".
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(WRITE))
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5
    expect_error(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(WRITE)),
                 "LimitExceeded", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(WRITE))
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5


def test_the_default_version_cannot_be_deleted(iam, uid):
    # API_DeletePolicyVersion: "You cannot delete the default version from a policy using this
    # operation." Its errors: DeleteConflict.
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(WRITE))
    expect_error(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v1"), "DeleteConflict", 409)
    assert status_of(iam.delete_policy_version(PolicyArn=arn, VersionId="v2")) == 200
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]


def test_an_unknown_policy_version_is_no_such_entity(iam, uid):
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    expect_error(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v9"), "NoSuchEntity", 404)
    expect_error(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v9"), "NoSuchEntity", 404)
    expect_error(lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="v9"), "NoSuchEntity", 404)


def test_deleting_an_attached_policy_is_delete_conflict(iam, uid):
    # API_DeletePolicy: "Before you can delete a managed policy, you must first detach the policy
    # from all users, groups, and roles that it is attached to."
    user = uid("u")
    iam.create_user(UserName=user)
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    expect_error(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict", 409)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    assert status_of(iam.delete_policy(PolicyArn=arn)) == 200
    expect_error(lambda: iam.get_policy(PolicyArn=arn), "NoSuchEntity", 404)


def test_deleting_a_policy_with_other_versions_is_delete_conflict(iam, uid):
    # API_DeletePolicy: "In addition, you must delete all the policy's versions" (other than the
    # default, which DeletePolicy deletes).
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(WRITE))
    expect_error(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy(PolicyArn=arn)
    expect_error(lambda: iam.get_policy(PolicyArn=arn), "NoSuchEntity", 404)
    expect_error(lambda: iam.delete_policy(PolicyArn=arn), "NoSuchEntity", 404)


@pytest.mark.parametrize("case", sorted(MALFORMED_IDENTITY_POLICIES))
def test_a_malformed_managed_policy_is_refused(iam, uid, case):
    doc = MALFORMED_IDENTITY_POLICIES[case]
    name = uid("bad")
    expect_error(lambda: iam.create_policy(PolicyName=name, PolicyDocument=doc), "MalformedPolicyDocument", 400)
    expect_error(lambda: iam.get_policy(PolicyArn=policy_arn(name)), "NoSuchEntity", 404)
    arn = iam.create_policy(PolicyName=uid("good"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    expect_error(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc),
                 "MalformedPolicyDocument", 400)


def test_managed_policy_size_quota_ignores_white_space(iam, uid):
    # reference_iam-quotas: "Managed policy size: 6,144 characters"; white space is not counted.
    iam.create_policy(PolicyName=uid("big"), PolicyDocument=json.dumps(sized_policy(6144), indent=4))
    expect_error(lambda: iam.create_policy(PolicyName=uid("over"), PolicyDocument=compact(sized_policy(6145))),
                 "LimitExceeded", 409)
    arn = iam.create_policy(PolicyName=uid("small"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=compact(sized_policy(6144)))
    expect_error(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=compact(sized_policy(6145))),
                 "LimitExceeded", 409)


def test_attachment_count_follows_attachments(iam, uid):
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    user, group, role = uid("u"), uid("g"), uid("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2


# ===================================================================================================
# Attach/Detach/ListAttached{User,Group,Role}Policies
# ===================================================================================================
@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_attach_list_detach_managed_policies(iam, uid, kind):
    name = uid(kind.kind)
    kind.create(iam, name)
    pname = uid("pol")
    arn = iam.create_policy(PolicyName=pname, Path="/team/", PolicyDocument=dumps(READ))["Policy"]["Arn"]
    assert kind.call(iam, "list_attached", name)["AttachedPolicies"] == []
    assert status_of(kind.call(iam, "attach", name, PolicyArn=arn)) == 200
    resp = kind.call(iam, "list_attached", name)
    assert resp["AttachedPolicies"] == [{"PolicyName": pname, "PolicyArn": arn}]
    assert resp["IsTruncated"] is False
    assert kind.call(iam, "list_attached", name, PathPrefix="/team/")["AttachedPolicies"] == [
        {"PolicyName": pname, "PolicyArn": arn}]
    assert kind.call(iam, "list_attached", name, PathPrefix="/other/")["AttachedPolicies"] == []
    assert kind.call(iam, "list", name)["PolicyNames"] == []  # attached is not inline
    assert status_of(kind.call(iam, "detach", name, PolicyArn=arn)) == 200
    assert kind.call(iam, "list_attached", name)["AttachedPolicies"] == []


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_attaching_an_unknown_policy_or_to_an_unknown_identity_is_no_such_entity(iam, uid, kind):
    name = uid(kind.kind)
    kind.create(iam, name)
    expect_error(lambda: kind.call(iam, "attach", name, PolicyArn=policy_arn(uid("absent"))), "NoSuchEntity", 404)
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    expect_error(lambda: kind.call(iam, "attach", uid("ghost"), PolicyArn=arn), "NoSuchEntity", 404)
    expect_error(lambda: kind.call(iam, "list_attached", uid("ghost")), "NoSuchEntity", 404)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_attaching_something_that_is_not_a_policy_arn_is_invalid_input(iam, uid, kind):
    # API_AttachUserPolicy & co.: InvalidInput "an invalid or out-of-range value was supplied for an
    # input parameter" (400).
    name = uid(kind.kind)
    kind.create(iam, name)
    expect_error(lambda: kind.call(iam, "attach", name, PolicyArn="this-is-not-a-policy-arn"), "InvalidInput", 400)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_detaching_a_policy_that_is_not_attached_is_no_such_entity(iam, uid, kind):
    name = uid(kind.kind)
    kind.create(iam, name)
    arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
    expect_error(lambda: kind.call(iam, "detach", name, PolicyArn=arn), "NoSuchEntity", 404)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_at_most_ten_managed_policies_per_identity(iam, uid, kind):
    # reference_iam-quotas: "Managed policies attached to an IAM role / user: 10" (default, may be
    # raised to 20), "Managed policies attached to an IAM group: 10".
    name = uid(kind.kind)
    kind.create(iam, name)
    arns = [iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"] for _ in range(11)]
    for arn in arns[:10]:
        kind.call(iam, "attach", name, PolicyArn=arn)
    expect_error(lambda: kind.call(iam, "attach", name, PolicyArn=arns[10]), "LimitExceeded", 409)
    assert len(kind.call(iam, "list_attached", name)["AttachedPolicies"]) == 10


# ===================================================================================================
# Groups: CreateGroup, GetGroup, DeleteGroup, AddUserToGroup, RemoveUserFromGroup
# ===================================================================================================
def test_create_group_answers_the_new_group(iam, uid):
    name = uid("admins")
    group = iam.create_group(GroupName=name, Path="/ops/")["Group"]
    assert group["GroupName"] == name
    assert group["Path"] == "/ops/"
    assert group["Arn"] == group_arn(name, "/ops/")
    assert group["GroupId"].startswith("AGPA")  # reference_identifiers: AGPA = user group
    assert isinstance(group["CreateDate"], datetime.datetime)


def test_creating_an_existing_group_is_entity_already_exists(iam, uid):
    name = uid("grp")
    iam.create_group(GroupName=name)
    expect_error(lambda: iam.create_group(GroupName=name), "EntityAlreadyExists", 409)
    expect_error(lambda: iam.create_group(GroupName=name.upper()), "EntityAlreadyExists", 409)


def test_get_group_lists_its_members(iam, uid):
    group, a, b = uid("grp"), uid("a"), uid("b")
    iam.create_group(GroupName=group)
    assert iam.get_group(GroupName=group)["Users"] == []
    for u in (a, b):
        iam.create_user(UserName=u)
        assert status_of(iam.add_user_to_group(GroupName=group, UserName=u)) == 200
    resp = iam.get_group(GroupName=group)
    assert resp["Group"]["GroupName"] == group
    assert resp["Group"]["Arn"] == group_arn(group)
    assert {u["UserName"] for u in resp["Users"]} == {a, b}
    assert {u["Arn"] for u in resp["Users"]} == {user_arn(a), user_arn(b)}
    assert resp["IsTruncated"] is False
    assert status_of(iam.remove_user_from_group(GroupName=group, UserName=a)) == 200
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [b]


def test_group_membership_with_unknown_users_or_groups_is_no_such_entity(iam, uid):
    group, user = uid("grp"), uid("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    expect_error(lambda: iam.add_user_to_group(GroupName=group, UserName=uid("ghost")), "NoSuchEntity", 404)
    expect_error(lambda: iam.add_user_to_group(GroupName=uid("ghost"), UserName=user), "NoSuchEntity", 404)
    expect_error(lambda: iam.remove_user_from_group(GroupName=uid("ghost"), UserName=user), "NoSuchEntity", 404)
    expect_error(lambda: iam.get_group(GroupName=uid("ghost")), "NoSuchEntity", 404)


def test_a_user_is_in_at_most_ten_groups(iam, uid):
    # reference_iam-quotas: "IAM groups an IAM user can be a member of: 10"
    user = uid("u")
    iam.create_user(UserName=user)
    groups = [uid("grp") for _ in range(11)]
    for g in groups:
        iam.create_group(GroupName=g)
    for g in groups[:10]:
        iam.add_user_to_group(GroupName=g, UserName=user)
    expect_error(lambda: iam.add_user_to_group(GroupName=groups[10], UserName=user), "LimitExceeded", 409)


def test_delete_group(iam, uid):
    name = uid("grp")
    iam.create_group(GroupName=name)
    assert status_of(iam.delete_group(GroupName=name)) == 200
    expect_error(lambda: iam.get_group(GroupName=name), "NoSuchEntity", 404)
    expect_error(lambda: iam.delete_group(GroupName=name), "NoSuchEntity", 404)


@pytest.mark.parametrize("what", ["member", "inline policy", "attached policy"])
def test_deleting_a_group_that_is_not_empty_is_delete_conflict(iam, uid, what):
    # API_DeleteGroup: "The group must not contain any users or have any attached policies."
    # Using_DeleteGroup: with the API you remove the users, delete the inline policies and detach
    # the managed policies first.
    name = uid("grp")
    iam.create_group(GroupName=name)
    if what == "member":
        user = uid("u")
        iam.create_user(UserName=user)
        iam.add_user_to_group(GroupName=name, UserName=user)
        undo = lambda: iam.remove_user_from_group(GroupName=name, UserName=user)  # noqa: E731
    elif what == "inline policy":
        iam.put_group_policy(GroupName=name, PolicyName="p", PolicyDocument=dumps(READ))
        undo = lambda: iam.delete_group_policy(GroupName=name, PolicyName="p")  # noqa: E731
    else:
        arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
        iam.attach_group_policy(GroupName=name, PolicyArn=arn)
        undo = lambda: iam.detach_group_policy(GroupName=name, PolicyArn=arn)  # noqa: E731
    expect_error(lambda: iam.delete_group(GroupName=name), "DeleteConflict", 409)
    undo()
    iam.delete_group(GroupName=name)


# ===================================================================================================
# Roles: CreateRole (trust policy), GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy
# ===================================================================================================
def test_create_role_answers_the_new_role_with_its_trust_policy(iam, uid):
    name = uid("reader")
    doc = trust(user_arn("someone"), f"arn:aws:iam::{ACCOUNT}:root")
    role = iam.create_role(RoleName=name, Path="/service/", AssumeRolePolicyDocument=dumps(doc),
                           Description="reads things")["Role"]
    assert role["RoleName"] == name
    assert role["Path"] == "/service/"
    assert role["Arn"] == role_arn(name, "/service/")
    assert role["RoleId"].startswith("AROA")  # reference_identifiers: AROA = role
    assert isinstance(role["CreateDate"], datetime.datetime)
    # API_CreateRole: "Upon success, the response includes the same trust policy in JSON format."
    assert role["AssumeRolePolicyDocument"] == doc
    got = iam.get_role(RoleName=name)["Role"]
    assert got["Arn"] == role["Arn"]
    assert got["RoleId"] == role["RoleId"]
    assert got["AssumeRolePolicyDocument"] == doc
    # API_CreateRole, MaxSessionDuration: "If you do not specify a value for this setting, the
    # default value of one hour is applied."
    assert got["MaxSessionDuration"] == 3600
    assert got["Description"] == "reads things"


def test_creating_an_existing_role_is_entity_already_exists(iam, uid):
    name = uid("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    expect_error(lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST)),
                 "EntityAlreadyExists", 409)


def test_list_roles_filters_by_path_prefix(iam, uid):
    svc, plain = uid("svc"), uid("plain")
    iam.create_role(RoleName=svc, Path="/service/", AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    iam.create_role(RoleName=plain, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/service/")["Roles"]] == [svc]
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} >= {svc, plain}


def test_get_unknown_role_is_no_such_entity(iam, uid):
    expect_error(lambda: iam.get_role(RoleName=uid("absent")), "NoSuchEntity", 404)


MALFORMED_TRUST_POLICIES = {
    "not JSON": '{"Version": "2012-10-17", "Statement": [',
    # reference_policies_elements_principal: "In IAM roles, use the Principal element in the role
    # trust policy to specify who can assume the role."
    "no Principal": dumps(policy({"Effect": "Allow", "Action": "sts:AssumeRole"})),
    "no Effect": dumps(policy({"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_TRUST_POLICIES))
def test_a_malformed_trust_policy_is_refused(iam, uid, case):
    doc = MALFORMED_TRUST_POLICIES[case]
    name = uid("role")
    expect_error(lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc), "MalformedPolicyDocument", 400)
    expect_error(lambda: iam.get_role(RoleName=name), "NoSuchEntity", 404)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    expect_error(lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=doc), "MalformedPolicyDocument", 400)
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == ROOT_TRUST


def test_trust_policy_size_quota(iam, uid):
    # reference_iam-quotas: "Role trust policy length: 2,048 characters" (the default; may be
    # raised to 4,096); white space is not counted.
    iam.create_role(RoleName=uid("role"), AssumeRolePolicyDocument=json.dumps(sized_trust_policy(2048), indent=4))
    expect_error(lambda: iam.create_role(RoleName=uid("role"), AssumeRolePolicyDocument=compact(sized_trust_policy(2049))),
                 "LimitExceeded", 409)


def test_update_assume_role_policy_replaces_the_trust_policy(iam, uid):
    name = uid("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    new = trust(user_arn("someone-else"))
    assert status_of(iam.update_assume_role_policy(RoleName=name, PolicyDocument=dumps(new))) == 200
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == new
    expect_error(lambda: iam.update_assume_role_policy(RoleName=uid("ghost"), PolicyDocument=dumps(new)),
                 "NoSuchEntity", 404)


def test_delete_role(iam, uid):
    name = uid("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    assert status_of(iam.delete_role(RoleName=name)) == 200
    expect_error(lambda: iam.get_role(RoleName=name), "NoSuchEntity", 404)
    expect_error(lambda: iam.delete_role(RoleName=name), "NoSuchEntity", 404)


@pytest.mark.parametrize("what", ["inline policy", "attached policy"])
def test_deleting_a_role_with_policies_is_delete_conflict(iam, uid, what):
    # API_DeleteRole: "you must delete the items attached to the role manually, or the deletion
    # fails": inline policies (DeleteRolePolicy), attached managed policies (DetachRolePolicy).
    name = uid("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    if what == "inline policy":
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=dumps(READ))
        undo = lambda: iam.delete_role_policy(RoleName=name, PolicyName="p")  # noqa: E731
    else:
        arn = iam.create_policy(PolicyName=uid("p"), PolicyDocument=dumps(READ))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        undo = lambda: iam.detach_role_policy(RoleName=name, PolicyArn=arn)  # noqa: E731
    expect_error(lambda: iam.delete_role(RoleName=name), "DeleteConflict", 409)
    undo()
    iam.delete_role(RoleName=name)


# ===================================================================================================
# Permissions boundaries of users and roles
# ===================================================================================================
def _boundary(iam, uid):
    return iam.create_policy(PolicyName=uid("boundary"), PolicyDocument=dumps(READ))["Policy"]["Arn"]


def test_a_user_created_with_a_boundary(iam, uid):
    arn = _boundary(iam, uid)
    name = uid("u")
    user = iam.create_user(UserName=name, PermissionsBoundary=arn)["User"]
    expected = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}
    assert user["PermissionsBoundary"] == expected  # API_AttachedPermissionsBoundary
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"] == expected
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    # a boundary is not an attached policy (API_Policy counts them apart: AttachmentCount vs
    # PermissionsBoundaryUsageCount)
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0


def test_put_and_delete_a_user_permissions_boundary(iam, uid):
    arn = _boundary(iam, uid)
    name = uid("u")
    iam.create_user(UserName=name)
    assert status_of(iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=arn)) == 200
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn
    other = _boundary(iam, uid)
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=other)  # replaces
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == other
    assert status_of(iam.delete_user_permissions_boundary(UserName=name)) == 200
    assert "PermissionsBoundary" not in iam.get_user(UserName=name)["User"]


def test_role_permissions_boundaries(iam, uid):
    arn = _boundary(iam, uid)
    with_b, without = uid("role"), uid("role")
    role = iam.create_role(RoleName=with_b, AssumeRolePolicyDocument=dumps(ROOT_TRUST), PermissionsBoundary=arn)["Role"]
    assert role["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                           "PermissionsBoundaryArn": arn}
    iam.create_role(RoleName=without, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
    assert "PermissionsBoundary" not in iam.get_role(RoleName=without)["Role"]
    assert status_of(iam.put_role_permissions_boundary(RoleName=without, PermissionsBoundary=arn)) == 200
    assert iam.get_role(RoleName=without)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 2
    assert status_of(iam.delete_role_permissions_boundary(RoleName=with_b)) == 200
    assert "PermissionsBoundary" not in iam.get_role(RoleName=with_b)["Role"]


def test_a_boundary_must_be_an_existing_policy(iam, uid):
    # API_CreateUser and API_PutUserPermissionsBoundary list NoSuchEntity: "referenced a resource
    # entity that does not exist".
    absent = policy_arn(uid("absent"))
    name = uid("u")
    expect_error(lambda: iam.create_user(UserName=name, PermissionsBoundary=absent), "NoSuchEntity", 404)
    expect_error(lambda: iam.get_user(UserName=name), "NoSuchEntity", 404)
    iam.create_user(UserName=name)
    expect_error(lambda: iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=absent),
                 "NoSuchEntity", 404)
    expect_error(lambda: iam.put_user_permissions_boundary(UserName=uid("ghost"), PermissionsBoundary=_boundary(iam, uid)),
                 "NoSuchEntity", 404)


# ===================================================================================================
# Tags on users and roles
# ===================================================================================================
def test_user_tags(iam, uid):
    name = uid("u")
    user = iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "research"},
                                                {"Key": "cost-center", "Value": "41200"}])["User"]
    assert sorted(user["Tags"], key=lambda t: t["Key"]) == [{"Key": "cost-center", "Value": "41200"},
                                                            {"Key": "team", "Value": "research"}]
    as_dict = lambda tags: {t["Key"]: t["Value"] for t in tags}  # noqa: E731
    assert as_dict(iam.get_user(UserName=name)["User"]["Tags"]) == {"team": "research", "cost-center": "41200"}
    assert as_dict(iam.list_user_tags(UserName=name)["Tags"]) == {"team": "research", "cost-center": "41200"}
    # API_TagUser: "If a tag with the same key name already exists, then that tag is overwritten
    # with the new value."
    assert status_of(iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "clinical"},
                                                     {"Key": "level", "Value": "2"}])) == 200
    assert as_dict(iam.list_user_tags(UserName=name)["Tags"]) == {"team": "clinical", "cost-center": "41200", "level": "2"}
    assert status_of(iam.untag_user(UserName=name, TagKeys=["cost-center", "level"])) == 200
    assert as_dict(iam.list_user_tags(UserName=name)["Tags"]) == {"team": "clinical"}


def test_role_tags(iam, uid):
    name = uid("role")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST),
                           Tags=[{"Key": "team", "Value": "research"}])["Role"]
    assert role["Tags"] == [{"Key": "team", "Value": "research"}]
    assert iam.get_role(RoleName=name)["Role"]["Tags"] == [{"Key": "team", "Value": "research"}]
    iam.tag_role(RoleName=name, Tags=[{"Key": "team", "Value": "clinical"}, {"Key": "tier", "Value": "gold"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
    assert tags == {"team": "clinical", "tier": "gold"}
    iam.untag_role(RoleName=name, TagKeys=["team"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "tier", "Value": "gold"}]


def test_tags_of_unknown_users_and_roles_are_no_such_entity(iam, uid):
    tags = [{"Key": "k", "Value": "v"}]
    expect_error(lambda: iam.tag_user(UserName=uid("ghost"), Tags=tags), "NoSuchEntity", 404)
    expect_error(lambda: iam.list_user_tags(UserName=uid("ghost")), "NoSuchEntity", 404)
    expect_error(lambda: iam.tag_role(RoleName=uid("ghost"), Tags=tags), "NoSuchEntity", 404)
    expect_error(lambda: iam.list_role_tags(RoleName=uid("ghost")), "NoSuchEntity", 404)


@pytest.mark.parametrize("what", ["user", "role"])
def test_at_most_fifty_tags(iam, uid, what):
    # reference_iam-quotas: "Tags per IAM user / role: 50"; API_TagUser: "if you exceed the allowed
    # maximum number of tags, then the entire request fails" (LimitExceeded).
    name = uid(what)
    if what == "user":
        iam.create_user(UserName=name)
        tag = lambda tags: iam.tag_user(UserName=name, Tags=tags)  # noqa: E731
        listed = lambda: iam.list_user_tags(UserName=name)["Tags"]  # noqa: E731
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(ROOT_TRUST))
        tag = lambda tags: iam.tag_role(RoleName=name, Tags=tags)  # noqa: E731
        listed = lambda: iam.list_role_tags(RoleName=name)["Tags"]  # noqa: E731
    tag([{"Key": f"k{i:02d}", "Value": "v"} for i in range(50)])
    expect_error(lambda: tag([{"Key": "one-more", "Value": "v"}]), "LimitExceeded", 409)
    assert len(listed()) == 50  # the failed request changed nothing
    tag([{"Key": "k00", "Value": "changed"}])  # overwriting is not adding
    assert {t["Key"]: t["Value"] for t in listed()}["k00"] == "changed"


def test_tag_keys_starting_with_aws_are_reserved(iam, uid):
    # id_tags (Tagging IAM resources): the aws: prefix is reserved for AWS use.
    # AMBIGUITY: the page does not name the error; IAM answers InvalidInput (ValidationError accepted).
    name = uid("u")
    iam.create_user(UserName=name)
    expect_error(lambda: iam.tag_user(UserName=name, Tags=[{"Key": "aws:team", "Value": "x"}]),
                 ("InvalidInput", "ValidationError"), 400)
    assert iam.list_user_tags(UserName=name)["Tags"] == []


# ===================================================================================================
# The root's IAM client is the account root
# ===================================================================================================
def test_the_root_iam_client_is_the_account_root(fake_s3):
    # issue 22: `FakeS3().client("iam")` is the account root's IAM client, as client("s3") is today.
    arn = fake_s3.client("sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:root"
    fake_s3.client("iam").list_users()  # the root may do everything
    entry = [e for e in fake_s3.journal() if e.get("operation") == "ListUsers"][-1]
    assert entry["principal"] == arn
    assert entry["decision"] == "Allow"
    assert entry["status"] == 200


def test_deny_statements_are_valid_in_identity_policies(iam, uid):
    name = uid("u")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=dumps(policy(
        deny("s3:DeleteObject", "arn:aws:s3:::some-bucket/*", sid="NoDeletes"))))
    assert iam.get_user_policy(UserName=name, PolicyName="deny")["PolicyDocument"]["Statement"][0]["Sid"] == "NoDeletes"
