"""boto3 sessions that share one botocore data loader: a fresh session per test (so that it reads
the test's environment and caches nothing of another test's) without parsing botocore's JSON
models again each time, which costs more than starting the server."""

from __future__ import annotations

import threading
from typing import Any

_LOADER: Any = None
_LOCK = threading.Lock()


def new_session() -> Any:
    """A new ``boto3.session.Session`` whose botocore session reuses the process's data loader."""
    with _LOCK:
        return new_session_unlocked()


def new_session_unlocked(isolated: bool = False) -> Any:
    global _LOADER
    import os

    import boto3.session
    import botocore.session
    from botocore.configprovider import ConstantProvider

    core = botocore.session.Session()
    if isolated:  # before anything reads (and caches) the profile or the files
        store = core.get_component("config_store")
        store.set_config_provider("config_file", ConstantProvider(os.devnull))
        store.set_config_provider("credentials_file", ConstantProvider(os.devnull))
        store.set_config_provider("profile", ConstantProvider(None))  # AWS_PROFILE ignored
    if _LOADER is None:
        _LOADER = core.get_component("data_loader")
    else:
        core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core)


_SHARED: Any = None


def client(service: str, **kwargs: Any) -> Any:
    """A client from one process-wide session that reads no AWS config or credentials file and no
    profile (FakeS3.client passes everything explicitly). Sessions are not thread-safe, hence the
    lock around client creation; the clients themselves are."""
    global _SHARED
    with _LOCK:
        if _SHARED is None:
            _SHARED = new_session_unlocked(isolated=True)
        return _SHARED.client(service, **kwargs)
