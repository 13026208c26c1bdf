"""Settings of rgw-diff.py: paths, environment variables, the run id and bucket prefix, and log()."""

import os
import secrets
import sys
import time


PKG = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(PKG)
ROOT = os.path.dirname(SCRIPTS)
CONFIG = os.environ.get("RGW_DIFF_CONFIG", os.path.join(SCRIPTS, "fake-s3-shares-ceph.json"))
ACCEPTED_FILE = os.environ.get("RGW_DIFF_ACCEPTED", os.path.join(SCRIPTS, "rgw-accepted.json"))
REGION = "us-east-1"
VERBOSE = os.environ.get("RGW_DIFF_VERBOSE") == "1"
TIMEOUT = 15
RUN = f"{int(time.time()) % 100000:05d}{secrets.token_hex(2)}"
PREFIX = f"rd{RUN}-"      # every bucket of this run; shown as B- in the output


# user name -> the fake-s3 account id (12 digits, or the tenant); filled by harness.load_users()
ACCOUNTS = {}


def log(msg):
    print(f"rgw-diff: {msg}", file=sys.stderr, flush=True)
