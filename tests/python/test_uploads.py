"""Upload tickets (SPEC §6): a presigned POST for one prefix, used with plain `requests` as a lab
instrument or a browser would, without AWS credentials."""

import base64
import datetime as dt
import json

import pytest
import requests

from dataportal import storage
from helpers import expect_http_denied
from portal_config import UPLOADS_BUCKET

PREFIX = "tickets/42/"


def post(ticket, filename="run.csv", data=b"a,b\n1,2\n", **overrides):
    return requests.post(ticket["url"], data=dict(ticket["fields"], **overrides),
                         files={"file": (filename, data)}, timeout=30)


def stored(fake_s3, key):
    s3 = fake_s3.client("s3", user="portal")
    try:
        return s3.get_object(Bucket=UPLOADS_BUCKET, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def test_upload_inside_the_prefix(fake_s3):
    ticket = storage.upload_ticket(UPLOADS_BUCKET, PREFIX, max_bytes=1024)
    resp = post(ticket)
    assert resp.status_code == 204, resp.text
    assert stored(fake_s3, PREFIX + "run.csv") == b"a,b\n1,2\n"


@pytest.mark.denial
def test_upload_outside_the_prefix_is_refused(fake_s3):
    """A presigned POST naming a key outside the ticket's prefix is refused"""
    ticket = storage.upload_ticket(UPLOADS_BUCKET, PREFIX, max_bytes=1024)
    expect_http_denied(post(ticket, key="elsewhere/run.csv"))
    assert stored(fake_s3, "elsewhere/run.csv") is None


@pytest.mark.denial
def test_upload_over_the_size_limit_is_refused(fake_s3):
    """A presigned POST over the ticket's content-length-range is refused"""
    ticket = storage.upload_ticket(UPLOADS_BUCKET, PREFIX, max_bytes=1024)
    expect_http_denied(post(ticket, data=b"x" * 4096), status=400, code="EntityTooLarge")


@pytest.mark.denial
def test_expired_ticket_is_refused(fake_s3):
    """A presigned POST whose policy expired a minute ago is refused"""
    ticket = storage.upload_ticket(UPLOADS_BUCKET, PREFIX, max_bytes=1024, expires_in=-60)
    expect_http_denied(post(ticket))


@pytest.mark.denial
def test_tampered_ticket_is_refused(fake_s3):
    """A presigned POST whose signed policy was edited is refused"""
    ticket = storage.upload_ticket(UPLOADS_BUCKET, PREFIX, max_bytes=1024)
    fields = dict(ticket["fields"])
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not (isinstance(c, list) and c[0] == "starts-with")]
    fields["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()
    expect_http_denied(post(dict(ticket, fields=fields), key="elsewhere/run.csv"),
                       code="SignatureDoesNotMatch")


@pytest.mark.fake_only
def test_ticket_expires_when_the_clock_moves(fake_s3):
    ticket = storage.upload_ticket(UPLOADS_BUCKET, PREFIX, max_bytes=1024, expires_in=600)
    fake_s3.set_time(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11))
    expect_http_denied(post(ticket))
    fake_s3.set_time(None)
    assert post(ticket).status_code == 204
