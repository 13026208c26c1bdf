"""FakeS3: the fake-s3 binary as a context manager, for tests written in Python."""

from __future__ import annotations

import atexit
import copy
import datetime as _dt
import http.client
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.parse
import weakref
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

__all__ = ["DEFAULT_CONFIG", "ROOT", "FakeS3", "FakeS3Error", "find_binary"]

BINARY_NAME = "fake-s3.exe" if os.name == "nt" else "fake-s3"

# What `fake-s3` runs with when no configuration is given (src/main.rs): one account, whose root
# user has this key pair. FakeS3(config=None) passes the same document, so that credentials() and
# POST /_fake/reset see one configuration whichever way the binary was started.
DEFAULT_CONFIG: Dict[str, Any] = {
    "accounts": [
        {
            "id": "111122223333",
            "root_keys": [
                {"access_key_id": "AKIAFAKES3ADMIN00001", "secret_access_key": "fake-s3-admin-secret"}
            ],
        }
    ]
}

_LISTENING = re.compile(rb"fake-s3 listening on (http://[^\s]+?)/?(?:\s+\(region ([^)\s]+)\))?\s*$")


class _Root:
    """The account root user, for credentials()/client(): `fake.credentials(ROOT)`."""

    def __repr__(self) -> str:
        return "fake_s3.ROOT"


ROOT = _Root()


class FakeS3Error(RuntimeError):
    """fake-s3 could not be found, did not start, or answered an admin request with an error."""


def find_binary() -> str:
    """The fake-s3 executable: the one installed with this package (the Python environment's
    scripts directory, then the user scheme's), then $FAKE_S3_BIN, then PATH."""
    candidates = []
    for scheme in (None, f"{os.name}_user"):
        try:
            scripts = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        if scripts:
            candidates.append(os.path.join(scripts, BINARY_NAME))
    env = os.environ.get("FAKE_S3_BIN")
    if env:
        candidates.append(env)
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(BINARY_NAME)
    if found:
        return found
    if env:
        raise FakeS3Error(f"FAKE_S3_BIN={env} is not an executable file")
    raise FakeS3Error(
        "the fake-s3 binary was not found (looked in "
        + ", ".join(candidates or ["the scripts directory"])
        + ", $FAKE_S3_BIN and PATH): install the wheel (`pip install fake-s3`) or set FAKE_S3_BIN"
    )


# Servers still running, stopped at interpreter exit even if a test forgot to.
_LIVE: "weakref.WeakSet[FakeS3]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for fake in list(_LIVE):
        fake.stop()


def _parent_death_hook() -> Any:
    """A pre-exec hook asking Linux to kill the child when its parent dies (PR_SET_PDEATHSIG), or
    None where that is unavailable. The function is looked up here, in the parent."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):  # pragma: no cover - not glibc/musl
        return None
    PR_SET_PDEATHSIG = 1
    sig = int(signal.SIGKILL)
    return lambda: prctl(PR_SET_PDEATHSIG, sig)


def _rfc3339(when: Union[str, _dt.datetime, _dt.date, float, int]) -> str:
    if isinstance(when, str):
        return when
    if isinstance(when, (int, float)):
        when = _dt.datetime.fromtimestamp(when, _dt.timezone.utc)
    elif not isinstance(when, _dt.datetime):
        when = _dt.datetime(when.year, when.month, when.day, tzinfo=_dt.timezone.utc)
    if when.tzinfo is None:  # naive datetimes are taken as UTC, as AWS's clocks are
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


class FakeS3:
    """One fake-s3 server on a free loopback port.

    ``config`` is None (one account, 111122223333, with a root key pair), a dict in the format of
    the configuration file (SPEC §3.1: ``{"region": …, "accounts": [{"id", "root_keys", "users",
    "roles", "buckets"}]}``) or the path of such a file.

    ``enforcement="soft"`` serves requests that policy would refuse and journals each with its
    Deny and the reason, marked ``"enforcement": "soft"`` (``fake-s3 --enforcement soft``); the
    default, ``"hard"``, refuses them as AWS does. ``client("iam")`` is the account root's IAM
    client: users, keys, groups, roles and policies made through it take effect at once.

        with FakeS3(config) as fake:
            s3 = fake.client("s3", user="alice")
    """

    def __init__(
        self,
        config: Union[None, Mapping[str, Any], str, "os.PathLike[str]"] = None,
        *,
        binary: Optional[str] = None,
        startup_timeout: float = 20.0,
        log_level: Optional[str] = None,
        enforcement: Optional[str] = None,
    ) -> None:
        if enforcement not in (None, "hard", "soft"):
            raise ValueError(f"enforcement must be 'hard' or 'soft', not {enforcement!r}")
        if config is None:
            self.config: Dict[str, Any] = copy.deepcopy(DEFAULT_CONFIG)
            self._config_path: Optional[str] = None
        elif isinstance(config, Mapping):
            self.config = json.loads(json.dumps(config))  # a private copy, and JSON-clean now
            self._config_path = None
        elif isinstance(config, (str, os.PathLike)):
            self._config_path = os.fspath(config)
            try:
                with open(self._config_path, encoding="utf-8") as f:
                    self.config = json.load(f)
            except (OSError, ValueError) as e:
                raise FakeS3Error(f"cannot read the configuration {self._config_path}: {e}") from e
        else:
            raise TypeError(f"config must be None, a dict or a path, not {type(config).__name__}")
        if not isinstance(self.config, dict) or not self.config.get("accounts"):
            raise FakeS3Error("the configuration needs at least one account (\"accounts\": [...])")
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.log_level = log_level
        self.enforcement = enforcement
        self.endpoint_url: str = ""
        self.region: str = str(self.config.get("region") or "us-east-1")
        self.host = ""
        self.port = 0
        self._proc: Optional[subprocess.Popen] = None
        self._tmpdir: Optional[str] = None
        self._log_path: Optional[str] = None
        self._lock = threading.Lock()

    # --- life cycle ------------------------------------------------------------------------------
    def __enter__(self) -> "FakeS3":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.endpoint_url if self.running else "stopped"
        return f"<FakeS3 {state}>"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc else None

    def start(self) -> "FakeS3":
        """Starts the server and returns once it answers; FakeS3Error (with the binary's stderr)
        if it exits or stays silent."""
        with self._lock:
            if self._proc is not None:
                raise FakeS3Error("this FakeS3 is already started")
            binary = self.binary or find_binary()
            self._tmpdir = tempfile.mkdtemp(prefix="fake-s3-")
            try:
                path = self._config_path
                if path is None:
                    path = os.path.join(self._tmpdir, "config.json")
                    with open(path, "w", encoding="utf-8") as f:
                        json.dump(self.config, f)
                # The request log goes to a file: a pipe nobody reads would stall the server once full.
                self._log_path = os.path.join(self._tmpdir, "fake-s3.log")
                log = open(self._log_path, "ab")
                env = dict(os.environ)
                if self.log_level:
                    env["RUST_LOG"] = self.log_level
                kwargs: Dict[str, Any] = {}
                # Linux: the server dies with us even if we are killed. The hook runs between fork and
                # exec, safe only when we are the only thread; the signal comes when the starting
                # *thread* ends, hence only from the main thread.
                if (sys.platform.startswith("linux") and threading.active_count() == 1
                        and threading.current_thread() is threading.main_thread()):
                    hook = _parent_death_hook()
                    if hook is not None:
                        kwargs["preexec_fn"] = hook
                try:
                    args = [binary, "--host", "127.0.0.1", "--port", "0", "--config", path]
                    if self.enforcement:
                        args += ["--enforcement", self.enforcement]
                    self._proc = subprocess.Popen(
                        args,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=log,
                        env=env,
                        close_fds=True,
                        **kwargs,
                    )
                finally:
                    log.close()
                _LIVE.add(self)
                line = self._read_listening_line()
                m = _LISTENING.match(line)
                if not m:
                    raise FakeS3Error(f"unexpected first line from fake-s3: {line!r}")
                self.endpoint_url = m.group(1).decode()
                if m.group(2):
                    self.region = m.group(2).decode()
                netloc = urllib.parse.urlsplit(self.endpoint_url)
                self.host, self.port = netloc.hostname or "127.0.0.1", int(netloc.port or 80)
                self._wait_healthy()
            except BaseException:
                self._stop_locked()
                raise
        return self

    def _startup_failure(self, why: str) -> FakeS3Error:
        rc = self._proc.poll() if self._proc else None
        if rc is None and self._proc is not None:
            self._proc.kill()
            self._proc.wait()
        return FakeS3Error(f"fake-s3 {why}" + (f" (exit status {rc})" if rc is not None else "")
                           + f"; its stderr:\n{self.log_text().strip() or '(empty)'}")

    def _read_listening_line(self) -> bytes:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + self.startup_timeout
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._startup_failure(f"did not report its address within {self.startup_timeout} s")
                if not sel.select(left):
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    self._proc.wait()
                    raise self._startup_failure("exited at start-up")
                buf += chunk
        # The rest of stdout (export lines) stays in the pipe, which is closed in stop().
        return buf.split(b"\n", 1)[0]

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                status, _ = self._admin("GET", "/_fake/health", check=False, timeout=1.0)
                if status == 200:
                    return
            except OSError:
                pass
            if self._proc is None or self._proc.poll() is not None:
                raise self._startup_failure("exited at start-up")
            if time.monotonic() > deadline:
                raise self._startup_failure("does not answer /_fake/health")
            time.sleep(0.002)

    def stop(self) -> None:
        """Stops the server (idempotent) and removes its temporary files."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        proc, self._proc = self._proc, None
        _LIVE.discard(self)
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()  # the server stops at once (SIGTERM ends it as Ctrl-C does); state is in memory
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.stdout:
                proc.stdout.close()
        self._log_path = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def log_text(self) -> str:
        """The server's log so far (one line per request: operation, principal, decision).

        The server writes its lines in batches, about 2 ms after each request; `journal()` has
        every answered request at once."""
        if not self._log_path:
            return ""
        try:
            with open(self._log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # --- identities ------------------------------------------------------------------------------
    def _account(self, account: Optional[str]) -> Dict[str, Any]:
        accounts = self.config["accounts"]
        if account is None:
            return accounts[0]
        for a in accounts:
            if str(a.get("id")) == str(account):
                return a
        raise KeyError(f"no account {account!r} in the configuration (have {[a.get('id') for a in accounts]})")

    def _keys(self, user: Any, account: Optional[str]) -> Dict[str, str]:
        if user is ROOT:
            acct = self._account(account)
            if not acct.get("root_keys"):
                raise KeyError(f"account {acct.get('id')} has no root_keys")
            return acct["root_keys"][0]
        if user is None:
            acct = self._account(account)
            users = [u for u in acct.get("users", []) if u.get("keys")]
            if users:
                return users[0]["keys"][0]
            if acct.get("root_keys"):
                return acct["root_keys"][0]
            raise KeyError(f"account {acct.get('id')} has neither users with keys nor root_keys")
        accounts = [self._account(account)] if account is not None else self.config["accounts"]
        for acct in accounts:
            for u in acct.get("users", []):
                if u.get("name") == user:
                    if not u.get("keys"):
                        raise KeyError(f"user {user!r} has no access keys in the configuration")
                    return u["keys"][0]
        if user == "root" and account is not None:
            return self._keys(ROOT, account)
        where = f"account {account}" if account is not None else "the configuration"
        raise KeyError(f"no user {user!r} in {where}")

    def credentials(self, user: Any = None, account: Optional[str] = None) -> Dict[str, str]:
        """boto3 keyword arguments (``aws_access_key_id``, ``aws_secret_access_key``,
        ``region_name``) for a user of the configuration: by name (searched in ``account``, else in
        every account), ``ROOT`` for the account's root, or by default the first account's first user,
        else its root."""
        key = self._keys(user, account)
        return {
            "aws_access_key_id": key["access_key_id"],
            "aws_secret_access_key": key["secret_access_key"],
            "region_name": self.region,
        }

    def environ(self, user: Any = None, account: Optional[str] = None) -> Dict[str, str]:
        """The environment variables that point an SDK or the aws CLI at this server as that user."""
        creds = self.credentials(user, account)
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def aws_config_file(self) -> str:
        """The path of an AWS config file (``[default]``: the region, path-style addressing) that
        lives as long as the server, for ``AWS_CONFIG_FILE``."""
        self._require_running()
        assert self._tmpdir is not None
        path = os.path.join(self._tmpdir, "aws-config")
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as f:
                f.write(f"[default]\nregion = {self.region}\ns3 =\n    addressing_style = path\n")
        return path

    def client(self, service: str, user: Any = None, account: Optional[str] = None, **kwargs: Any) -> Any:
        """A boto3 client for this server as that identity: path-style addressing, and the server
        as HTTP proxy so that access point ARNs (``NAME-ACCOUNT.127.0.0.1``) and S3 Control
        (``ACCOUNT.127.0.0.1``) reach it. Extra keyword arguments go to ``boto3.client``; a
        ``config`` is merged over these settings; ``aws_session_token`` etc. override the keys."""
        try:
            from botocore.config import Config

            from . import _boto
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("FakeS3.client() needs boto3: pip install boto3 (or fake-s3[boto3])") from e
        self._require_running()
        config = Config(
            s3={"addressing_style": "path"},
            proxies={"http": self.endpoint_url},
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )
        if kwargs.get("config") is not None:
            config = config.merge(kwargs.pop("config"))
        kwargs.pop("config", None)
        args: Dict[str, Any] = dict(self.credentials(user, account), endpoint_url=self.endpoint_url)
        args.update(kwargs)
        return _boto.client(service, config=config, **args)

    # --- the admin endpoints -------------------------------------------------------------------
    def _require_running(self) -> None:
        if not self.endpoint_url:
            raise FakeS3Error("the server is not started: use `with FakeS3() as fake:` or fake.start()")

    def _admin(self, method: str, path: str, *, check: bool = True, timeout: float = 30.0) -> Any:
        self._require_running()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, headers={"Content-Length": "0"} if method in ("POST", "PUT") else {})
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = body.decode("utf-8", "replace")
        if not check:
            return resp.status, data
        if resp.status == 404 and path.startswith("/_fake/reset"):
            raise FakeS3Error("this fake-s3 binary has no POST /_fake/reset: it is older than the Python "
                              "package; install a newer wheel or point FAKE_S3_BIN at a newer build")
        if resp.status != 200:
            raise FakeS3Error(f"{method} {path} answered {resp.status}: {data}")
        return data

    def health(self) -> bool:
        """True when the server answers /_fake/health."""
        try:
            return self._admin("GET", "/_fake/health", check=False, timeout=2.0)[0] == 200
        except OSError:
            return False

    def journal(self, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """The requests since start (or the last reset/clear), oldest first: dicts with
        ``request_id, time, method, path, host, operation, principal, decision`` (``Allow``,
        ``ExplicitDeny``, ``ImplicitDeny`` or None when the request failed before authorization),
        ``explanation`` and ``status``."""
        query = f"?limit={int(limit)}" if limit is not None else ""
        return self._admin("GET", "/_fake/journal" + query)

    def denials(self, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """The journal's denied requests (ExplicitDeny or ImplicitDeny)."""
        return [e for e in self.journal(limit) if e.get("decision") in ("ExplicitDeny", "ImplicitDeny")]

    def clear_journal(self) -> None:
        self._admin("DELETE", "/_fake/journal")

    def set_time(self, when: Union[None, str, _dt.datetime, _dt.date, float, int]) -> None:
        """Fixes the server's clock (signatures, expiry, aws:CurrentTime) at ``when`` (a datetime,
        naive ones taken as UTC; an RFC 3339 string; or a Unix time); None returns to the system
        clock."""
        if when is None:
            self._admin("DELETE", "/_fake/clock")
            return
        self._admin("PUT", "/_fake/clock?time=" + urllib.parse.quote(_rfc3339(when), safe=""))

    def least_privilege(self, arn: str) -> Dict[str, Any]:
        """The identity policy (a dict) allowing exactly the actions on exactly the resources that
        the principal ``arn`` requested since the last reset, allowed or refused: one statement
        per resource, listings under ``s3:prefix`` conditions (GET /_fake/least-privilege)."""
        return self._admin("GET", "/_fake/least-privilege?principal=" + urllib.parse.quote(arn, safe=""))

    def reset(self) -> None:
        """Back to the configuration: no buckets or objects but the configured ones, no STS
        sessions, empty journal, system clock (POST /_fake/reset)."""
        self._admin("POST", "/_fake/reset")

    def user_arn(self, user: str, account: Optional[str] = None) -> str:
        """``arn:aws:iam::ACCOUNT:user/PATH/NAME`` of a configured user."""
        accounts = [self._account(account)] if account is not None else self.config["accounts"]
        for acct in accounts:
            for u in acct.get("users", []):
                if u.get("name") == user:
                    return f"arn:aws:iam::{acct['id']}:user{u.get('path') or '/'}{user}"
        raise KeyError(f"no user {user!r}")
