#!/usr/bin/env python3
"""rgw-diff.py: the same scripted S3 requests against real Ceph RGW and fake-s3's Ceph dialect.

    scripts/rgw-diff.py                      # starts what it is not given, runs every case, stops them
    RGW_DIFF_ONLY='policy|acl' scripts/rgw-diff.py     # cases whose name matches the regex
    RGW_DIFF_VERBOSE=1 scripts/rgw-diff.py   # every step of every case, both answers
    RGW_DIFF_OUT=obs.json scripts/rgw-diff.py           # every observation of both sides, as JSON

Servers (issue 23):
  RGW_ENDPOINT    a running RGW (path-style, users already made). Unset: `scripts/start-rgw.sh
                  start` (RGW_DIR, RGW_PORT as that script reads them) and `users CONFIG`, stopped
                  again at the end unless RGW_DIFF_KEEP=1. When RGW_DIR names the running cluster,
                  `users CONFIG` is run against it too (idempotent).
  FAKE_ENDPOINT   a running fake-s3 started with CONFIG. Unset: FAKE_S3_BIN (default
                  target/release/fake-s3, else target/debug/fake-s3) `--port 0 --config CONFIG`.
  RGW_DIFF_ACCEPTED the accepted differences (default scripts/rgw-accepted.json)
  RGW_DIFF_CONFIG the fake-s3 Ceph configuration both sides mirror (default
                  scripts/fake-s3-shares-ceph.json: pi, jane@uab.edu, bob, wendy, manny@uab.edu,
                  mallory, carl, dora, Bob, and tina of tenant uab, each in an account of their own).

Each case runs its steps (requests as named users, SigV4, path-style, us-east-1) on both servers and
records per step the status, the S3 error code and the fields that matter (owners and grantees by
user name, listing keys, policy round trips, headers); user ids are shown as <id:USER> so the two
servers' id schemes compare, except in the cases that compare raw ids. One line per case:
  SAME name
  DIFF name: step: rgw=… fake=…; …
  ACCEPTED name: reason
and a summary; exit 1 if a DIFF is not accepted in scripts/rgw-accepted.json (case name →
{"reason", "rgw_16_2", optional "steps": the only steps allowed to differ}), 2 if it cannot start.
Only python3 with boto3/botocore and requests. The requests take about 10 s; a cold RGW start adds
about 15 s (and the Debian packages, once, about 30 s more).
The code is in the package scripts/rgw_diff/ (its __init__.py lists the modules; the cases in cases_*.py).
"""

import os
import sys

try:
    import boto3  # noqa: F401
    import botocore  # noqa: F401
    import requests  # noqa: F401
except ImportError as e:  # pragma: no cover
    print(f"rgw-diff: needs boto3, botocore and requests ({e}): python3 -m pip install boto3 requests", file=sys.stderr)
    sys.exit(2)

# the package rgw_diff/ next to this script (python3 puts the script's folder first on sys.path; this also
# holds when it is run another way, e.g. through a symlink or runpy)
_HERE = os.path.dirname(os.path.realpath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from rgw_diff.harness import main  # noqa: E402


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            sys.exit(2)
        raise
