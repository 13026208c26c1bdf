"""The pytest plugin (entry point ``pytest11``), loaded when the package is installed.

Fixtures:

- ``fake_s3``: a fresh ``FakeS3`` for the test, configured by ``fake_s3_config``.
- ``fake_s3_config``: None (one account); override it in a conftest.py or a test module to return a
  dict or a path in the configuration file's format.
- ``fake_s3_session``: one ``FakeS3`` for the whole session, configured by the session-scoped
  ``fake_s3_session_config``, reset (``POST /_fake/reset``) before each test that uses it.
- ``fake_s3_identity``: whose keys the environment carries: ``{}`` (the first account's first user,
  else its root) or ``{"user": NAME, "account": ID}``.

Both server fixtures also point the environment at the server (``fake_s3.patch_env``): code under
test that calls ``boto3.client("s3")`` itself reaches the fake. When a test fails, the last requests
of the server's journal (decision and explanation) are added to the report.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional

import pytest

from ._env import patch_env
from ._server import FakeS3


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("fake-s3")
    group.addoption(
        "--fake-s3-bin",
        default=None,
        help="the fake-s3 executable for the fake_s3 fixtures (default: the one installed with the "
        "package, then $FAKE_S3_BIN, then PATH)",
    )


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "fake_s3: the test uses a fake-s3 server")


def _binary(config: Any) -> Optional[str]:
    try:
        return config.getoption("--fake-s3-bin")
    except ValueError:  # pragma: no cover - option not registered
        return None


@pytest.fixture
def fake_s3_config() -> Any:
    """The per-test server's configuration: None, a dict or a path. Override to configure."""
    return None


@pytest.fixture(scope="session")
def fake_s3_session_config() -> Any:
    """The session server's configuration: None, a dict or a path. Override (session scope)."""
    return None


@pytest.fixture
def fake_s3_identity() -> Dict[str, Any]:
    """Whose keys the environment carries: keyword arguments of FakeS3.credentials()."""
    return {}


@pytest.fixture
def fake_s3(fake_s3_config: Any, fake_s3_identity: Dict[str, Any], monkeypatch: Any,
            request: Any) -> Iterator[FakeS3]:
    """A fresh fake-s3 server for this test, stopped after it."""
    with FakeS3(fake_s3_config, binary=_binary(request.config)) as fake:
        patch_env(monkeypatch, fake, **fake_s3_identity)
        yield fake


@pytest.fixture(scope="session")
def _fake_s3_session_server(fake_s3_session_config: Any, request: Any) -> Iterator[FakeS3]:
    with FakeS3(fake_s3_session_config, binary=_binary(request.config)) as fake:
        yield fake


@pytest.fixture
def fake_s3_session(_fake_s3_session_server: FakeS3, fake_s3_identity: Dict[str, Any],
                    monkeypatch: Any) -> Iterator[FakeS3]:
    """The session's fake-s3 server, reset to its configuration before this test."""
    fake = _fake_s3_session_server
    if not fake.running:
        raise RuntimeError(f"the session's fake-s3 server has exited; its log:\n{fake.log_text()[-4000:]}")
    fake.reset()
    patch_env(monkeypatch, fake, **fake_s3_identity)
    yield fake


def _format_journal(entries: Any) -> str:
    lines = []
    for e in entries:
        lines.append(
            f"{e.get('status')} {e.get('method')} {e.get('host')}{e.get('path')} "
            f"{e.get('operation')} by {e.get('principal')}: {e.get('decision')}"
            + (f" ({e.get('explanation')})" if e.get("explanation") else "")
        )
    return "\n".join(lines) or "(no requests)"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        if isinstance(value, FakeS3) and value.running:
            try:
                entries = value.journal(limit=25)
            except Exception:  # noqa: BLE001 - a report section is best effort
                continue
            report.sections.append((f"fake-s3 journal ({name}: last {len(entries)} requests)",
                                    _format_journal(entries)))
