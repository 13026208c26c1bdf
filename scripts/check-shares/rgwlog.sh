# check-shares/rgwlog.sh (sourced by scripts/check-shares.sh, not run): writes $TOP/rgwlog.py, which
# reads RGW's beast access log as the journal of one s3keeper call (the Ceph part against real RGW:
# CHECK_SHARES_CEPH_ENDPOINT; used by journal_begin/journal_end in helpers.sh and by servers.sh).

# --- RGW's access log as a journal (the Ceph part against RGW; see the header) ---------------------------
cat >"$TOP/rgwlog.py" <<'PY'
"""A journal of one s3keeper call from RGW's beast access log, shaped as fake-s3's /_fake/journal.

  rgwlog.py barrier LOG ENDPOINT
      an anonymous `GET ENDPOINT/?check-shares-barrier=ID`; waits (5 s at most) until its line is in
      LOG and prints the byte offset of the end of LOG's complete lines then; exit 3 if never seen
  rgwlog.py journal LOG ENDPOINT START USER OUT
      a barrier, then every request of RGW user USER logged from offset START to it, as journal
      entries ({time, method, path, query, host, operation, principal, status, user_agent}) in OUT
The beast lines read: `… beast: 0x…: ADDR - USER [TIME] "METHOD URI HTTP/1.1" STATUS BYTES - "UA" …` (UA `-`
when none was sent); a beast line of another shape becomes an entry with operation "?".
"""
import json, os, re, sys, time, urllib.error, urllib.parse, urllib.request, uuid

BEAST = " beast: 0x"
LINE = re.compile(r' beast: 0x[0-9a-f]+: (?P<addr>\S+) - (?P<user>\S+) \[(?P<time>[^\]]+)\] '
                  r'"(?P<method>[A-Z]+) (?P<uri>\S+) [^"]*" (?P<status>\d{3}) \S+ \S+ (?:"(?P<ua>[^"]*)"|-)')
MARK = "check-shares-barrier="


def barrier(log, endpoint):
    """Sends a barrier request; the offset after its line once it is in the log, or None."""
    tag = uuid.uuid4().hex
    start = os.path.getsize(log)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        opener.open(f"{endpoint}/?{MARK}{tag}", timeout=5).read()
    except urllib.error.HTTPError:
        pass  # logged all the same
    needle = (MARK + tag).encode()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(log, "rb") as f:
            f.seek(start)
            data = f.read()
        end = data.rfind(b"\n") + 1
        if needle in data[:end]:
            return start + end
        time.sleep(0.01)
    return None


# Bucket and object sub-resources the fake does not serve, as S3 names their operations.
EXTRA_BUCKET = {"lifecycle": ("GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"),
                "logging": ("GetBucketLogging", "PutBucketLogging", None),
                "notification": ("GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", None),
                "replication": ("GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication"),
                "website": ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
                "encryption": ("GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"),
                "object-lock": ("GetObjectLockConfiguration", "PutObjectLockConfiguration", None),
                "requestPayment": ("GetBucketRequestPayment", "PutBucketRequestPayment", None)}
EXTRA_OBJECT = {"retention": ("GetObjectRetention", "PutObjectRetention"),
                "legal-hold": ("GetObjectLegalHold", "PutObjectLegalHold"),
                "torrent": ("GetObjectTorrent", None), "attributes": ("GetObjectAttributes", None)}
# (method, sub-resource or None, operation) in the order fake-s3's router tries them.
BUCKET = [("GET", "acl", "GetBucketAcl"), ("PUT", "acl", "PutBucketAcl"),
          ("GET", "ownershipControls", "GetBucketOwnershipControls"),
          ("PUT", "ownershipControls", "PutBucketOwnershipControls"),
          ("DELETE", "ownershipControls", "DeleteBucketOwnershipControls"),
          ("GET", "tagging", "GetBucketTagging"), ("PUT", "tagging", "PutBucketTagging"),
          ("DELETE", "tagging", "DeleteBucketTagging"), ("GET", "cors", "GetBucketCors"),
          ("PUT", "cors", "PutBucketCors"), ("DELETE", "cors", "DeleteBucketCors"),
          ("GET", "policy", "GetBucketPolicy"), ("GET", "policyStatus", "GetBucketPolicyStatus"),
          ("GET", "publicAccessBlock", "GetPublicAccessBlock"), ("GET", "location", "GetBucketLocation"),
          ("GET", "versioning", "GetBucketVersioning"), ("GET", "versions", "ListObjectVersions"),
          ("GET", "uploads", "ListMultipartUploads"), ("GET", "list-type", "ListObjectsV2"),
          ("GET", None, "ListObjects"), ("HEAD", None, "HeadBucket"), ("PUT", "policy", "PutBucketPolicy"),
          ("PUT", "publicAccessBlock", "PutPublicAccessBlock"), ("PUT", "versioning", "PutBucketVersioning"),
          ("PUT", None, "CreateBucket"), ("DELETE", "policy", "DeleteBucketPolicy"),
          ("DELETE", "publicAccessBlock", "DeletePublicAccessBlock"), ("DELETE", None, "DeleteBucket"),
          ("POST", "delete", "DeleteObjects"), ("POST", None, "PostObject")]
OBJECT = [("GET", "acl", "GetObjectAcl"), ("PUT", "acl", "PutObjectAcl"), ("GET", "tagging", "GetObjectTagging"),
          ("PUT", "tagging", "PutObjectTagging"), ("DELETE", "tagging", "DeleteObjectTagging"),
          ("GET", "uploadId", "ListParts"), ("GET", None, "GetObject"), ("HEAD", None, "HeadObject"),
          ("PUT", "partNumber", "UploadPart"), ("PUT", None, "PutObject"),
          ("DELETE", "uploadId", "AbortMultipartUpload"), ("DELETE", None, "DeleteObject"),
          ("POST", "uploads", "CreateMultipartUpload"), ("POST", "uploadId", "CompleteMultipartUpload"),
          ("POST", "restore", "RestoreObject"), ("POST", "select", "SelectObjectContent")]


def operation(method, path, keys):
    """The S3 operation of a request as fake-s3's journal names it ("-": none)."""
    if path.startswith("/v20180820"):
        return "S3Control"
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket:
        return "ListBuckets" if method == "GET" else "-"   # e.g. an STS form POST to /
    extra = EXTRA_OBJECT if key else EXTRA_BUCKET
    for sub, names in extra.items():
        if sub in keys:
            name = dict(zip(("GET", "PUT", "DELETE"), names)).get(method)
            return name or "-"
    for m, sub, name in (OBJECT if key else BUCKET):
        if m == method and (sub is None or sub in keys):
            return name
    return "-"


def journal(log, endpoint, start, user, out):
    end = barrier(log, endpoint)
    if end is None:
        sys.exit(3)
    with open(log, "rb") as f:
        f.seek(start)
        data = f.read(end - start).decode("utf-8", "replace")
    entries = []
    for line in data.splitlines():
        m = LINE.search(line)
        if not m:
            if BEAST in line and MARK not in line:  # a request line this does not read: never ignored
                entries.append({"method": "?", "path": "?", "host": "", "operation": "?", "status": 0,
                                "unread": line.strip()})
            continue
        if m["user"] != user:
            continue
        path, _, query = m["uri"].partition("?")
        keys = [urllib.parse.unquote(kv.partition("=")[0]) for kv in query.split("&") if kv]
        entries.append({"time": m["time"], "method": m["method"], "path": path, "query": query, "host": "",
                        "operation": operation(m["method"], path, keys), "principal": m["user"],
                        "status": int(m["status"]), "user_agent": m["ua"] or ""})
    json.dump(entries, open(out, "w"), indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "barrier":
        at = barrier(sys.argv[2], sys.argv[3])
        if at is None:
            sys.exit(3)
        print(at)
    else:
        journal(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
PY
