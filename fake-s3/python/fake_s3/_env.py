"""Pointing code under test, which builds its own boto3 clients, at a FakeS3 through the
environment (with pytest's monkeypatch, so that everything is undone after the test)."""

from __future__ import annotations

import os
import socket
from typing import Any, Optional

# Variables of the developer's shell that would send requests elsewhere or as someone else.
_REMOVED = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)

_LOOPBACK_SUFFIXES = (".127.0.0.1", ".localhost")


def _loopback_getaddrinfo(original: Any) -> Any:
    """getaddrinfo that resolves ``ANYTHING.127.0.0.1`` (and ``ANYTHING.localhost``) to loopback:
    the host names SDKs build for access points (``NAME-ACCOUNT.127.0.0.1``) and S3 Control
    (``ACCOUNT.127.0.0.1``) from a loopback endpoint. Other names resolve as before."""

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if isinstance(name, str):
            lowered = name.lower().rstrip(".")
            for suffix in _LOOPBACK_SUFFIXES:
                if lowered.endswith(suffix):
                    host = "127.0.0.1"
                    break
        return original(host, *args, **kwargs)

    getaddrinfo._fake_s3_loopback = True  # type: ignore[attr-defined]
    return getaddrinfo


def patch_env(monkeypatch: Any, fake: Any, user: Any = None, account: Optional[str] = None) -> None:
    """Sets ``AWS_ENDPOINT_URL``, the keys of ``user`` (see ``FakeS3.credentials``) and the region,
    removes session tokens, profiles, proxies and other AWS settings of the developer's shell, points
    ``AWS_CONFIG_FILE`` at a file of the fake's (region, path-style) and ``AWS_SHARED_CREDENTIALS_FILE``
    at an empty one, and resolves the access point / S3 Control host names of the loopback endpoint to
    loopback (``socket.getaddrinfo``), and gives boto3 a new default session (the old one keeps the
    credentials it resolved first), so that ``boto3.client("s3")`` in code under test reaches the
    fake, access point ARNs and ``s3control`` included. Call it again to switch identity."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL_") or name in _REMOVED:
            monkeypatch.delenv(name, raising=False)
    for name, value in fake.environ(user, account).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", fake.aws_config_file())
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # boto3's default session keeps the credentials and config file it read first: code under test
    # gets a new one, made after the variables above (sharing the parsed service models).
    try:
        import boto3
    except ImportError:  # pragma: no cover - boto3 is optional
        boto3 = None
    if boto3 is not None:
        from ._boto import new_session

        monkeypatch.setattr(boto3, "DEFAULT_SESSION", new_session())
    if not getattr(socket.getaddrinfo, "_fake_s3_loopback", False):
        monkeypatch.setattr(socket, "getaddrinfo", _loopback_getaddrinfo(socket.getaddrinfo))
