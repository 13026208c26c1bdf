"""Helpers shared by issue 22's acceptance corpus (tests/iam): the `uid` fixture, ARNs, policy
builders, sized policies for IAM's quotas, error assertions and clients for keys made through IAM.

These tests are written from AWS's documentation (see README.md beside this file), not from
fake-s3's code, and are EXPECTED TO FAIL until issue 22 lands: today fake-s3 answers an IAM request
with `AuthorizationHeaderMalformed: incorrect service "iam"`, `FakeS3()` takes no `enforcement`
argument and there is no `least_privilege()`. They live outside tests/python so that CI does not
run them yet.

Deliberately no conftest.py here: tests/python's modules do `from conftest import ...`, which would
pick up another directory's conftest when both directories run in one pytest session. The `fake_s3`
fixture comes from fake-s3's pytest plugin (installed with the wheel, or `-p fake_s3.plugin`).

Every test uses a fresh server (the plugin's `fake_s3` fixture or `with FakeS3(...)`), so tests are
independent; names are still unique per test (`uid`), derived from the test's id so that a run is
deterministic (no random names, and no sleeps: IAM changes must take effect on the next request)."""

import hashlib
import itertools
import json

import pytest
from botocore.exceptions import ClientError

# The account of fake_s3.DEFAULT_CONFIG (`FakeS3()` / `FakeS3(config=None)`): one account whose root
# user holds a key pair; `fake.client("iam")` is that root's IAM client (issue 22's contract).
ACCOUNT = "111122223333"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
ROOT_KEY = {"access_key_id": "AKIAFAKES3ADMIN00001", "secret_access_key": "fake-s3-admin-secret"}


# --- names -----------------------------------------------------------------------------------------
@pytest.fixture
def uid(request):
    """A fixture (test modules load this module with `pytest_plugins`): ``uid("user")`` -> ``"user-3f2a9c-1"``,
    unique within the run (the test id's hash and a counter), deterministic from one run to the
    next, valid as an IAM name and as a bucket name."""
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:6]
    counter = itertools.count(1)

    def make(prefix):
        return f"{prefix}-{digest}-{next(counter)}".lower()

    return make


# --- ARNs ------------------------------------------------------------------------------------------
def user_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:user{path}{name}"


def group_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:group{path}{name}"


def role_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


def policy_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


# --- policies --------------------------------------------------------------------------------------
def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resources, condition=None, sid=None):
    st = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        st["Condition"] = condition
    if sid:
        st["Sid"] = sid
    return st


def deny(actions, resources, condition=None, sid=None):
    st = allow(actions, resources, condition, sid)
    st["Effect"] = "Deny"
    return st


def trust(*principal_arns, actions="sts:AssumeRole"):
    """A role trust policy letting these principals assume the role."""
    return policy({"Effect": "Allow", "Principal": {"AWS": list(principal_arns)}, "Action": actions})


def dumps(doc):
    return json.dumps(doc)


def non_whitespace_len(text):
    """IAM's size quotas count characters other than white space (IAM and AWS STS quotas)."""
    return sum(1 for c in text if not c.isspace())


def sized_policy(size, sid="Sized"):
    """An identity policy whose compact JSON has exactly ``size`` characters (none of them white
    space): one statement allowing s3:GetObject on a padded object ARN."""
    def build(pad):
        return policy(allow("s3:GetObject", f"arn:aws:s3:::size-test-bucket/{'k' * pad}", sid=sid))

    base = len(json.dumps(build(0), separators=(",", ":")))
    assert size >= base, f"cannot build a policy of {size} characters (minimum {base})"
    doc = build(size - base)
    assert len(json.dumps(doc, separators=(",", ":"))) == size
    return doc


def sized_trust_policy(size):
    """A role trust policy whose compact JSON has exactly ``size`` non-white-space characters: the
    padding is a condition on sts:RoleSessionName (a string, no white space)."""
    def build(pad):
        doc = trust(f"arn:aws:iam::{ACCOUNT}:root")
        doc["Statement"][0]["Condition"] = {"StringEquals": {"sts:RoleSessionName": "s" * (pad + 1)}}
        return doc

    base = len(json.dumps(build(0), separators=(",", ":")))
    doc = build(size - base)
    assert len(json.dumps(doc, separators=(",", ":"))) == size
    return doc


def compact(doc):
    return json.dumps(doc, separators=(",", ":"))


# --- errors ----------------------------------------------------------------------------------------
def expect_error(call, code, status=None):
    """``call()`` must fail with the AWS error ``code`` (one code, or a tuple where AWS's
    documentation leaves the choice open) and, when given, that HTTP status. Returns the
    ClientError."""
    codes = code if isinstance(code, tuple) else (code,)
    try:
        result = call()
    except ClientError as e:
        got = e.response.get("Error", {}).get("Code")
        got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        assert got in codes, f"failed with {got} (HTTP {got_status}) instead of {'/'.join(codes)}: {e}"
        if status is not None:
            assert got_status == status, f"{got} answered HTTP {got_status} instead of {status}"
        return e
    raise AssertionError(f"expected {'/'.join(codes)}, but the call succeeded: {result!r:.300}")


def status_of(response):
    return response["ResponseMetadata"]["HTTPStatusCode"]


# --- identities made through IAM -------------------------------------------------------------------
def keys_client(fake, service, key, **kwargs):
    """A boto3 client for ``fake`` signing with an access key returned by IAM's CreateAccessKey (a
    dict with AccessKeyId and SecretAccessKey) or by STS (Credentials, with SessionToken)."""
    args = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    if key.get("SessionToken"):
        args["aws_session_token"] = key["SessionToken"]
    args.update(kwargs)
    return fake.client(service, **args)


def make_user(iam, name, path="/", inline=None, **create_kwargs):
    """Creates a user through IAM (as a moto-style suite would), optionally with one inline
    policy, and an access key. Returns (User, AccessKey)."""
    user = iam.create_user(UserName=name, Path=path, **create_kwargs)["User"]
    if inline is not None:
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-inline", PolicyDocument=dumps(inline))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return user, key


def marked_soft(entry):
    """Whether a journal entry is marked as served under soft enforcement.

    AMBIGUITY (fake-s3's contract, not AWS's): issue 22 says the journal records each request that
    policy would refuse "with its Deny decision and the reason, marked as soft" but does not name
    the field. This corpus accepts ``"enforcement": "soft"`` or ``"soft": true``; whichever the
    implementation picks, it must be the same on every such entry and absent/false under hard
    enforcement."""
    return entry.get("enforcement") == "soft" or entry.get("soft") is True
