#!/usr/bin/env python3
"""Start-up timing of the Python fixture (issue 13): how long `with FakeS3(config)` takes to have a
server answering, and how long a generated 100-test pytest suite takes with a fresh server per test.

    python3 scripts/bench-python-fixture.py [--starts 50] [--tests 100] [--check]

Run it with the Python environment that has the fake-s3 wheel (or FAKE_S3_BIN and PYTHONPATH set to
fake-s3/python). Prints the figures; with --check, exits 1 when the start-up p50 is 50 ms or more or
the 100-test suite takes 10 s or more (the issue's targets). The last line is machine-readable:
`startup_p50_ms=… startup_p90_ms=… stop_p50_ms=… suite_tests=… suite_s=…`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

from fake_s3 import FakeS3, find_binary

# A configuration of the size tests use: two accounts, three users with policies, a role, buckets.
CONFIG = {
    "region": "us-east-1",
    "accounts": [
        {
            "id": "111122223333",
            "root_keys": [{"access_key_id": "AKIABENCHROOT0000001", "secret_access_key": "bench-root-secret"}],
            "users": [
                {"name": name, "keys": [{"access_key_id": f"AKIABENCH{name.upper():0<7}0001"[:20],
                                          "secret_access_key": f"{name}-secret"}],
                 "policies": [{"Version": "2012-10-17", "Statement": [
                     {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                      "Resource": f"arn:aws:s3:::bench-shared/{name}/*"}]}]}
                for name in ("alice", "bob", "carol")
            ],
            "roles": [{"name": "reader", "trust_policy": {"Version": "2012-10-17", "Statement": []},
                       "policies": []}],
            "buckets": [{"name": "bench-shared", "policy": None}],
        },
        {"id": "444455556666",
         "root_keys": [{"access_key_id": "AKIABENCHOTHER000001", "secret_access_key": "bench-other-secret"}]},
    ],
}

SUITE_CONFTEST = """
import pytest

CONFIG = {config!r}


@pytest.fixture
def fake_s3_config():
    return CONFIG
"""

SUITE_TEST = '''
import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.mark.parametrize("n", range({tests}))
def test_fresh_server(fake_s3, n):
    s3 = fake_s3.client("s3", user="alice")
    key = "alice/%d.txt" % n
    s3.put_object(Bucket="bench-shared", Key=key, Body=b"x")
    assert s3.get_object(Bucket="bench-shared", Key=key)["Body"].read() == b"x"
    with pytest.raises(ClientError):
        s3.get_object(Bucket="bench-shared", Key="bob/%d.txt" % n)
'''


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_starts(n, config):
    starts, stops = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        fake = FakeS3(config).start()
        t1 = time.perf_counter()
        assert fake.health()
        t2 = time.perf_counter()
        fake.stop()
        t3 = time.perf_counter()
        starts.append((t1 - t0) * 1000)
        stops.append((t3 - t2) * 1000)
    return starts, stops


def time_suite(tests):
    with tempfile.TemporaryDirectory(prefix="fake-s3-bench-") as tmp:
        with open(os.path.join(tmp, "conftest.py"), "w") as f:
            f.write(SUITE_CONFTEST.format(config=CONFIG))
        with open(os.path.join(tmp, "test_generated.py"), "w") as f:
            f.write(textwrap.dedent(SUITE_TEST.format(tests=tests)))
        cmd = [sys.executable, "-m", "pytest", tmp, "-q", "-p", "no:cacheprovider", "-p", "fake_s3.plugin"]
        # The plugin is normally loaded through its entry point; `-p` also covers a source tree. Loading
        # it twice is an error, so ask only when the entry point is missing.
        try:
            from importlib.metadata import entry_points

            eps = entry_points()
            group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
            if any(ep.value == "fake_s3.plugin" for ep in group):
                cmd = cmd[:-2]
        except Exception:  # noqa: BLE001
            pass
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        elapsed = time.perf_counter() - t0
    return elapsed, proc


def main():
    parser = argparse.ArgumentParser(description="fake_s3 fixture start-up timing")
    parser.add_argument("--starts", type=int, default=50, help="fresh starts to time (default 50)")
    parser.add_argument("--tests", type=int, default=100, help="tests in the generated suite (default 100)")
    parser.add_argument("--check", action="store_true", help="exit 1 when over the issue's targets")
    args = parser.parse_args()

    print(f"fake-s3 binary: {find_binary()}")
    time_starts(3, CONFIG)  # warm the page cache
    starts, stops = time_starts(args.starts, CONFIG)
    p50, p90 = statistics.median(starts), percentile(starts, 0.9)
    stop_p50 = statistics.median(stops)
    print(f"fresh FakeS3 start-up (config dict of 2 accounts, 3 users), {args.starts} starts: "
          f"p50 {p50:.1f} ms, p90 {p90:.1f} ms, max {max(starts):.1f} ms; stop p50 {stop_p50:.1f} ms")
    none_starts, _ = time_starts(max(5, args.starts // 5), None)
    print(f"fresh FakeS3() start-up without a configuration: p50 {statistics.median(none_starts):.1f} ms")

    elapsed, proc = time_suite(args.tests)
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    print(f"generated suite of {args.tests} tests, a fresh server each (pytest wall time incl. start-up): "
          f"{elapsed:.2f} s ({tail})")
    ok = proc.returncode == 0
    if not ok:
        print(proc.stdout[-3000:])
    print(f"startup_p50_ms={p50:.1f} startup_p90_ms={p90:.1f} stop_p50_ms={stop_p50:.1f} "
          f"suite_tests={args.tests} suite_s={elapsed:.2f} suite_ok={int(ok)}")
    if args.check and (p50 >= 50 or elapsed >= 10 * args.tests / 100 or not ok):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
