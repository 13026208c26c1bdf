"""fake-s3 from Python: an offline S3, S3 Control and STS server that enforces policies the way AWS
does, started per test.

    from fake_s3 import FakeS3

    with FakeS3() as fake:                      # one account; or a dict / path (SPEC §3.1 format)
        s3 = fake.client("s3")                  # boto3, path-style, access points and S3 Control
        s3.create_bucket(Bucket="b")
        fake.journal()                          # each request's decision and why

The pytest plugin (installed with the package) adds the fixtures ``fake_s3`` (a fresh server per
test, configured by the ``fake_s3_config`` fixture) and ``fake_s3_session`` (one server per session,
reset before each test, configured by ``fake_s3_session_config``).
"""

from ._env import patch_env
from ._server import DEFAULT_CONFIG, ROOT, FakeS3, FakeS3Error, find_binary

try:
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("fake-s3")
    except PackageNotFoundError:  # pragma: no cover - used from a source tree
        __version__ = "0+unknown"
except ImportError:  # pragma: no cover
    __version__ = "0+unknown"

__all__ = ["DEFAULT_CONFIG", "ROOT", "FakeS3", "FakeS3Error", "find_binary", "patch_env", "__version__"]
