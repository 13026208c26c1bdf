"""The portal suite's configuration of the fake_s3 fixtures (the plugin comes with the fake-s3
wheel), its markers, and the switch to moto:

    pytest tests/python                                   # against fake-s3 (the wheel's binary)
    FAKE_S3_BACKEND=moto pytest tests/python -m denial    # the denial assertions against moto

With FAKE_S3_RESULTS_JSON=PATH each test's outcome, docstring and failure reason is written there
(why_not_moto.py builds README's table from it)."""

import json
import os
from dataclasses import dataclass
from typing import Dict

import pytest

from fake_s3 import ROOT
from portal_config import CONFIG, RESEARCHER_POLICY, UNIVERSITY

BACKEND = os.environ.get("FAKE_S3_BACKEND", "fake-s3")


def pytest_configure(config):
    config.addinivalue_line("markers", "denial: asserts that a request is refused (compared with moto)")
    config.addinivalue_line("markers", "fake_only: uses a feature only fake-s3 has (the plugin, the clock)")
    config.addinivalue_line("markers", "configured_people: carol and dan written into the fake's configuration "
                            "(test_plugin.py's tests of lookups by name), not made through IAM")


def pytest_report_header(config):
    return f"backend: {BACKEND}"


def pytest_collection_modifyitems(config, items):
    if BACKEND == "moto":
        skip = pytest.mark.skip(reason="fake-s3 only (FAKE_S3_BACKEND=moto)")
        for item in items:
            if item.get_closest_marker("fake_only"):
                item.add_marker(skip)


@pytest.fixture
def fake_s3_config():
    return CONFIG


@pytest.fixture(scope="session")
def fake_s3_session_config():
    return CONFIG


if BACKEND == "moto":
    # The same fixtures, yielding a moto server with the same buckets and keys (moto_backend.py).
    from moto_backend import moto_fixtures

    _moto_server, fake_s3, fake_s3_session = moto_fixtures()
elif BACKEND != "fake-s3":
    raise pytest.UsageError(f"FAKE_S3_BACKEND must be fake-s3 or moto, not {BACKEND!r}")


# --- results for why_not_moto.py -------------------------------------------------------------------
_RESULTS = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get("FAKE_S3_RESULTS_JSON"):
        return
    if report.when == "call" or (report.when == "setup" and (report.failed or report.skipped)):
        doc = (getattr(item.obj, "__doc__", None) or item.name).strip().splitlines()[0].strip()
        reason = ""
        if report.failed and call.excinfo is not None:
            reason = str(call.excinfo.value).strip().splitlines()[0] if str(call.excinfo.value).strip() \
                else call.excinfo.typename
            if call.excinfo.typename not in ("AssertionError",):
                reason = f"{call.excinfo.typename}: {reason}"
        _RESULTS.append({"nodeid": item.nodeid, "doc": doc, "outcome": report.outcome,
                         "denial": item.get_closest_marker("denial") is not None, "reason": reason})


def pytest_sessionfinish(session):
    path = os.environ.get("FAKE_S3_RESULTS_JSON")
    if path:
        from importlib.metadata import PackageNotFoundError, version

        versions = {}
        for dist in (("moto",) if BACKEND == "moto" else ("fake-s3",)) + ("boto3",):
            try:
                versions[dist] = version(dist)
            except PackageNotFoundError:
                versions[dist] = "(source tree)"
        with open(path, "w") as f:
            json.dump({"backend": BACKEND, "versions": versions, "results": _RESULTS}, f, indent=1)


# --- the university's researchers, made through IAM ----------------------------------------------
RESEARCHERS = ("carol", "dan")  # carol is granted the controlled dataset; dan is not


@dataclass(frozen=True)
class Researcher:
    """An IAM user the university's root made for a test: what IAM answered (the user id is
    IAM's, not chosen by the suite) and the access key it created, as boto3 keyword arguments."""

    name: str
    user_id: str
    arn: str
    credentials: Dict[str, str]


def make_researcher(iam, name):
    """What a platform's own set-up does for one of its people: CreateUser, PutUserPolicy,
    CreateAccessKey."""
    user = iam.create_user(UserName=name)["User"]
    iam.put_user_policy(UserName=name, PolicyName="researcher", PolicyDocument=json.dumps(RESEARCHER_POLICY))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Researcher(name=name, user_id=user["UserId"], arn=user["Arn"], credentials={
        "aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]})


@pytest.fixture
def researchers(fake_s3):
    """carol and dan, IAM users of the university account made by its root at the start of the
    test: ``researchers["carol"].credentials`` for ``fake_s3.client("s3", **...)`` or
    ``boto3.client(...)``, ``.user_id`` for a grant."""
    iam = fake_s3.client("iam", ROOT, account=UNIVERSITY)
    return {name: make_researcher(iam, name) for name in RESEARCHERS}


# --- the portal's controlled dataset (SPEC §5), shared by several modules --------------------------
CONTROLLED_BUCKET = "portal-controlled"
DATASET_FILES = {"data.csv": b"subject,value\n1,42\n", "README.txt": b"mimic 1.0\n"}


@pytest.fixture
def controlled_dataset(fake_s3, researchers):
    """mimic 1.0 published in a controlled bucket and granted to carol (by her user id) through
    access point mimic-v1-0-01; something else lies outside the dataset's prefix."""
    from dataportal import storage

    storage.create_controlled_bucket(CONTROLLED_BUCKET)
    storage.publish_dataset(CONTROLLED_BUCKET, "mimic", "1.0", DATASET_FILES)
    storage.publish_dataset(CONTROLLED_BUCKET, "eicu", "2.0", {"secret.csv": b"not for carol\n"})
    carol_id = storage.caller_user_id(researchers["carol"].credentials)
    return storage.grant_dataset(CONTROLLED_BUCKET, "mimic", "1.0", [carol_id])
