#!/usr/bin/env python3
"""Upload tickets used by the clients people really use: Python `requests` (no AWS library) with a
`post` ticket's form, boto3 with an `sts` ticket's credentials. Run by staging-flow.sh (section
"uploads without credentials"); written from AWS's documentation, independently of s3keeper's code.

    check_uploads.py post TICKET.json FILE --form-filename NAME --outside-key KEY
        requests.post of the form (the ticket's fields, `file` the last part) to the ticket's url:
        FILE with key PREFIX + FILE's name: 204; with --outside-key: 403 AccessDenied; the form's own
        key (PREFIX${filename}) with a file part named NAME: 204 (the object is PREFIX + NAME; the
        caller checks it with its own credentials).
    check_uploads.py sts TICKET.json --outside-key KEY --parent-prefix P
        boto3 with the ticket's credentials: put_object PREFIX boto3.txt succeeds; put_object KEY
        fails with AccessDenied; list_objects_v2 Prefix=PREFIX succeeds (and shows boto3.txt);
        list_objects_v2 Prefix=P fails with AccessDenied.
    check_uploads.py sts-finished TICKET.json [--wait SECONDS]
        after `upload finish`: put_object PREFIX after-finish.txt fails with AccessDenied (retried
        for SECONDS while AWS applies the revocation).

Common options: --timeout SECONDS (per request, default 30).

Environment: AWS_ENDPOINT_URL (an S3 endpoint other than AWS; boto3 uses it, and an HTTP_PROXY the
caller sets, as the aws CLI does); no other AWS setting is read: the credentials are the ticket's, the
region the ticket's, and the form goes to the ticket's url with no proxy and no credentials.
Prints one `PASS: …` / `FAIL: … (expected …, got …)` line per check; exits 1 if any failed, 2 on
bad arguments or an unreadable ticket.
"""

import argparse
import json
import os
import sys
import time

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import pass_fail
from pass_fail import result, short

# No shared AWS configuration of whoever runs this: only the ticket's credentials.
for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
    os.environ.pop(var, None)
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

def retried(wait, attempt):
    """attempt() -> (ok, detail); repeated every 3 s for `wait` seconds until ok."""
    start = time.monotonic()
    while True:
        try:
            ok, detail = attempt()
        except Exception as e:  # noqa: BLE001 - every failure is a FAIL line
            ok, detail = False, f"{type(e).__name__}: {short(e)}"
        if ok or time.monotonic() - start >= wait:
            return ok, detail
        time.sleep(3)


# --- post: the ticket's form with requests, no AWS library ---------------------------------------------
def post_form(session, ticket, key, path, filename, timeout):
    """A browser-style POST (AWS "POST Object": the form fields, then `file` as the last part) of the
    file at `path`, sent with file name `filename`; key None keeps the ticket's own key field."""
    fields = dict(ticket["fields"])
    if key is not None:
        fields["key"] = key
    with open(path, "rb") as f:
        body = f.read()
    # requests sends `data` parts before `files` parts, in order: the file is the last part.
    return session.post(ticket["url"], data=list(fields.items()),
                        files=[("file", (filename, body, "application/octet-stream"))],
                        timeout=timeout, allow_redirects=False)


def expect_post(desc, want, needle, *args):
    def attempt():
        r = post_form(*args)
        ok = r.status_code == want and (needle is None or needle in r.text)
        return ok, f"expected HTTP {want}{' and ' + needle + ' in the body' if needle else ''}, " \
                   f"got {r.status_code}: {short(r.text)}"
    ok, detail = retried(0, attempt)
    result(ok, desc, detail)


def mode_post(ticket, opts):
    session = requests.Session()
    session.trust_env = False          # no proxy, no .netrc: plain HTTP(S) to the ticket's url
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("AWS_CA_BUNDLE") or True
    prefix, name = ticket["prefix"], os.path.basename(opts.file)
    expect_post(f"requests (no credentials, no AWS library): POST form of {name} to {prefix}{name} answers 204",
                204, None, session, ticket, prefix + name, opts.file, name, opts.timeout)
    expect_post(f"requests: the form with key {opts.outside_key} (outside the prefix) answers 403 AccessDenied",
                403, "AccessDenied", session, ticket, opts.outside_key, opts.file, name, opts.timeout)
    expect_post(f"requests: the form's own key {ticket['fields'].get('key')} with file name "
                f"{opts.form_filename} answers 204 (object {prefix}{opts.form_filename})",
                204, None, session, ticket, None, opts.file, opts.form_filename, opts.timeout)


# --- sts: boto3 with the ticket's credentials ----------------------------------------------------------
def s3_client(ticket, timeout):
    creds = ticket["credentials"]
    session = boto3.session.Session(aws_access_key_id=creds["access_key_id"],
                                    aws_secret_access_key=creds["secret_access_key"],
                                    aws_session_token=creds["session_token"],
                                    region_name=ticket["region"])
    return session.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
                          config=Config(signature_version="s3v4", connect_timeout=timeout,
                                        read_timeout=timeout, retries={"max_attempts": 2}))


def expect_ok(desc, fn, wait=0):
    """fn() must return without raising (describe_error makes its ClientError readable)."""
    def attempt():
        fn()
        return True, ""
    ok, detail = retried(wait, attempt)
    result(ok, desc, f"expected success, got {detail}")


def expect_denied(desc, fn, wait=0):
    def attempt():
        try:
            fn()
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            msg = e.response.get("Error", {}).get("Message") or ""
            return code == "AccessDenied", f"expected AccessDenied, got {code} (HTTP {status}): {short(msg)}"
        return False, "expected AccessDenied, got success"
    ok, detail = retried(wait, attempt)
    result(ok, desc, detail)


def describe_error(fn):
    """fn() with a ClientError turned into a readable exception message."""
    def call():
        try:
            return fn()
        except ClientError as e:
            err = e.response.get("Error", {})
            raise RuntimeError(f"{err.get('Code')} (HTTP {e.response.get('ResponseMetadata', {}).get('HTTPStatusCode')}): "
                               f"{short(err.get('Message') or '')}") from None
    return call


def mode_sts(ticket, opts):
    s3, bucket, prefix = s3_client(ticket, opts.timeout), ticket["bucket"], ticket["prefix"]
    key = prefix + "boto3.txt"
    who = "boto3 with the sts ticket's credentials"
    expect_ok(f"{who}: put_object {key} succeeds",
              describe_error(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"put by boto3\n")))
    expect_denied(f"{who}: put_object {opts.outside_key} (outside the prefix) fails with AccessDenied",
                  lambda: s3.put_object(Bucket=bucket, Key=opts.outside_key, Body=b"outside\n"))

    def listing():
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        if key not in keys:
            raise RuntimeError(f"{key} not in the listing {keys}")
        return True
    expect_ok(f"{who}: list_objects_v2 Prefix={prefix} succeeds and shows {key}", describe_error(listing))
    expect_denied(f"{who}: list_objects_v2 Prefix={opts.parent_prefix} (wider than the ticket) fails with AccessDenied",
                  lambda: s3.list_objects_v2(Bucket=bucket, Prefix=opts.parent_prefix))


def mode_sts_finished(ticket, opts):
    s3, bucket = s3_client(ticket, opts.timeout), ticket["bucket"]
    key = ticket["prefix"] + "after-finish.txt"
    expect_denied(f"boto3 with the sts ticket's credentials after upload finish: put_object {key} fails "
                  f"with AccessDenied (the ticket is revoked)",
                  lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"too late\n"), wait=opts.wait)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=("post", "sts", "sts-finished"))
    p.add_argument("ticket", help="the JSON `s3keeper upload start` printed")
    p.add_argument("file", nargs="?", help="post: the file to upload")
    p.add_argument("--form-filename", help="post: the file name sent with the form's own ${filename} key")
    p.add_argument("--outside-key", help="post, sts: a key outside the ticket's prefix")
    p.add_argument("--parent-prefix", help="sts: a prefix wider than the ticket's")
    p.add_argument("--wait", type=float, default=0, help="sts-finished: seconds to retry")
    p.add_argument("--timeout", type=float, default=30, help="seconds per request")
    opts = p.parse_args()
    need = {"post": ("file", "form_filename", "outside_key"), "sts": ("outside_key", "parent_prefix"),
            "sts-finished": ()}[opts.mode]
    missing = [n for n in need if not getattr(opts, n)]
    if missing:
        p.error(f"{opts.mode} needs " + ", ".join(missing))
    try:
        with open(opts.ticket) as f:
            ticket = json.load(f)
        want_method = "post" if opts.mode == "post" else "sts"
        if ticket.get("method") != want_method:
            raise ValueError(f"method {ticket.get('method')!r}, not {want_method!r}")
        for k in ("bucket", "prefix", "region") + (("url", "fields") if want_method == "post" else ("credentials",)):
            if not ticket.get(k):
                raise ValueError(f"no {k}")
    except (OSError, ValueError) as e:
        print(f"check_uploads.py: unusable ticket {opts.ticket}: {e}", file=sys.stderr)
        sys.exit(2)
    {"post": mode_post, "sts": mode_sts, "sts-finished": mode_sts_finished}[opts.mode](ticket, opts)
    sys.exit(1 if pass_fail.FAILED else 0)


if __name__ == "__main__":
    main()
