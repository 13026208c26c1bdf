"""Why was it denied? The fake's journal gives each request's decision and explanation, so a
test can assert the reason, not only the status."""

import pytest

from helpers import expect_denied
from portal_config import UNIVERSITY


@pytest.mark.denial
def test_an_implicit_denial_is_explained(fake_s3, controlled_dataset, researchers):
    """A refused request's journal entry names the principal, the decision and why"""
    dan = fake_s3.client("s3", **researchers["dan"].credentials)
    expect_denied(lambda: dan.get_object(Bucket=controlled_dataset.arn, Key="mimic/1.0/data.csv"))
    entry = [e for e in fake_s3.journal() if e["operation"] == "GetObject"][-1]
    assert entry["principal"] == f"arn:aws:iam::{UNIVERSITY}:user/dan"
    assert entry["decision"] == "ImplicitDeny"
    assert entry["status"] == 403
    assert entry["host"].startswith("mimic-v1-0-01-")
    assert entry["explanation"]


@pytest.mark.denial
def test_an_explicit_denial_names_its_statement(fake_s3, controlled_dataset, researchers):
    """A request refused by a Deny statement is explained by that statement's Sid"""
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    expect_denied(lambda: carol.list_objects_v2(Bucket=controlled_dataset.arn, Prefix="eicu/"))
    entry = fake_s3.denials()[-1]
    assert entry["operation"] == "ListObjectsV2" or entry["operation"].startswith("ListObjects")
    assert entry["decision"] == "ExplicitDeny"
    assert "DenyListingOutsideTheDataset" in entry["explanation"]


@pytest.mark.fake_only
def test_allowed_requests_are_journaled_too(fake_s3, controlled_dataset, researchers):
    carol = fake_s3.client("s3", **researchers["carol"].credentials)
    carol.get_object(Bucket=controlled_dataset.arn, Key="mimic/1.0/data.csv")
    entry = fake_s3.journal(limit=1)[0]
    assert (entry["operation"], entry["decision"], entry["status"]) == ("GetObject", "Allow", 200)
