"""SigV4 signing of our own (header auth and presigned URLs), so that expiry, time and the canonical URI
are exactly what a case says."""

import datetime
import hashlib
import hmac
import urllib.parse

from .config import REGION


def _q(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


def _signing_key(sk, date):
    k = hmac.new(("AWS4" + sk).encode(), date.encode(), hashlib.sha256).digest()
    for part in (REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _canonical_query(query):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{_q(k)}={_q(v)}" for k, v in sorted(pairs))


def canonical_uri(path):
    """S3's canonical URI: the path as the server decodes it, URI-encoded once (':' as %3A)."""
    return _q(urllib.parse.unquote(path or "/"), safe="/-_.~")


def sign_v4_headers(method, url, headers, body, ak, sk, when=None):
    """SigV4 header auth (the URL is sent as given; `:` in a tenant bucket name stays raw, as s3cmd sends it)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amzdate, date = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    u = urllib.parse.urlsplit(url)
    h = {k.lower(): str(v).strip() for k, v in headers.items()}
    h["host"] = u.netloc
    h["x-amz-date"] = amzdate
    h["x-amz-content-sha256"] = hashlib.sha256(body or b"").hexdigest()
    names = sorted(h)
    canonical = "\n".join([method, canonical_uri(u.path), _canonical_query(u.query),
                           "".join(f"{n}:{h[n]}\n" for n in names), ";".join(names), h["x-amz-content-sha256"]])
    scope = f"{date}/{REGION}/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amzdate}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = hmac.new(_signing_key(sk, date), to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={';'.join(names)}, Signature={sig}"
    del h["host"]
    return h


def presign_v4(method, url, ak, sk, expires, when=None, extra=None):
    """A SigV4 presigned URL with any X-Amz-Expires (also 0, negative, too large) and signing time."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amzdate, date = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    u = urllib.parse.urlsplit(url)
    scope = f"{date}/{REGION}/s3/aws4_request"
    params = dict(extra or {})
    params.update({"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{ak}/{scope}",
                   "X-Amz-Date": amzdate, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"})
    query = "&".join(f"{_q(k)}={_q(v)}" for k, v in sorted(params.items()))
    canonical = "\n".join([method, canonical_uri(u.path), query, f"host:{u.netloc}\n", "host", "UNSIGNED-PAYLOAD"])
    to_sign = f"AWS4-HMAC-SHA256\n{amzdate}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = hmac.new(_signing_key(sk, date), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{u.scheme}://{u.netloc}{u.path}?{query}&X-Amz-Signature={sig}"
