"""The suite's fixtures backed by moto instead of fake-s3 (FAKE_S3_BACKEND=moto), for README's
"why not moto" table: one ThreadedMotoServer per session, reset before each test, with the
configuration's buckets created and its keys accepted (moto, like most users run it, does not
check signatures' keys against IAM or evaluate policies). The researchers are made as on fake-s3,
through IAM by the university's root (conftest.py's ``researchers``: CreateUser, PutUserPolicy,
CreateAccessKey, which moto implements); moto files keys it does not know, the configuration's
included, under its default account, so they land there rather than in the university's. The
object offers FakeS3's interface; what moto has no counterpart for (the journal, the clock) raises
NotImplementedError."""

import json
import socket
import urllib.request

import pytest

from fake_s3 import FakeS3, patch_env


class MotoS3(FakeS3):
    def __init__(self, config):
        super().__init__(config)
        self._server = None

    def start(self):
        import tempfile

        from moto.server import ThreadedMotoServer

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        self.host, self.port = "127.0.0.1", port
        self.endpoint_url = f"http://127.0.0.1:{port}"
        self._tmpdir = tempfile.mkdtemp(prefix="moto-s3-")
        return self

    @property
    def running(self):
        return self._server is not None

    def stop(self):
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self):
        req = urllib.request.Request(self.endpoint_url + "/moto-api/reset", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=30).read()
        for account in self.config["accounts"]:
            s3 = self.client("s3", account=account["id"])
            for bucket in account.get("buckets", []):
                s3.create_bucket(Bucket=bucket["name"])
                if bucket.get("policy"):
                    s3.put_bucket_policy(Bucket=bucket["name"], Policy=json.dumps(bucket["policy"]))

    def client(self, service, user=None, account=None, **kwargs):
        # moto recognises access point requests by AWS's own host names
        # (NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com), not by a custom endpoint's: send
        # requests for AWS's hosts over plain HTTP with moto as the proxy, which routes by Host.
        import boto3
        from botocore.config import Config

        config = Config(s3={"addressing_style": "path"}, proxies={"http": self.endpoint_url},
                        ignore_configured_endpoint_urls=True,
                        retries={"max_attempts": 2, "mode": "standard"})
        if kwargs.get("config") is not None:
            config = config.merge(kwargs.pop("config"))
        kwargs.pop("config", None)
        args = dict(self.credentials(user, account), use_ssl=False)
        args.update(kwargs)
        return boto3.client(service, config=config, **args)

    def journal(self, limit=None):
        raise NotImplementedError("moto keeps no journal of authorization decisions")

    def set_time(self, when):
        raise NotImplementedError("moto's server has no clock to set")

    def log_text(self):
        return ""


def moto_fixtures():
    @pytest.fixture(scope="session")
    def _moto_server():
        server = MotoS3(None)
        server.start()
        yield server
        server.stop()

    def _fresh(server, config, identity, monkeypatch):
        moto = MotoS3(config)
        moto._server, moto.host, moto.port = server._server, server.host, server.port
        moto.endpoint_url, moto._tmpdir = server.endpoint_url, server._tmpdir
        moto.reset()
        patch_env(monkeypatch, moto, **identity)
        return moto

    @pytest.fixture
    def fake_s3(_moto_server, fake_s3_config, fake_s3_identity, monkeypatch):
        return _fresh(_moto_server, fake_s3_config, fake_s3_identity, monkeypatch)

    @pytest.fixture
    def fake_s3_session(_moto_server, fake_s3_session_config, fake_s3_identity, monkeypatch):
        return _fresh(_moto_server, fake_s3_session_config, fake_s3_identity, monkeypatch)

    return _moto_server, fake_s3, fake_s3_session
