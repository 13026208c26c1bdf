"""Assertions shared by the suite. A denial assertion says what happened instead, so that the
same test run against moto (FAKE_S3_BACKEND=moto) explains its failure in README's table."""

from botocore.exceptions import ClientError


def expect_denied(call, codes=("AccessDenied",)):
    """``call()`` must fail with one of ``codes``; returns the ClientError."""
    try:
        result = call()
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        assert code in codes, f"refused with {code} (HTTP {status}) instead of {'/'.join(codes)}"
        return e
    status = (result or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(result, dict) else None
    raise AssertionError(f"not refused: the call succeeded (HTTP {status})" if status else
                         "not refused: the call succeeded")


def expect_http_denied(resp, status=403, code="AccessDenied"):
    """A plain HTTP answer (``requests``) must be ``status`` with S3's error ``code``."""
    body = resp.text
    got = body.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in body else None
    assert resp.status_code == status and got == code, (
        f"not refused: the upload succeeded (HTTP {resp.status_code})" if resp.status_code < 300
        else f"refused with HTTP {resp.status_code} {got} instead of {status} {code}"
    )
