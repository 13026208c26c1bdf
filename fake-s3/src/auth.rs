//! Authentication: who sent a request, checked by signature
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html> for SigV2).
//!
//! Every request passes through [`authenticate`]; there is no way to skip it. A request with no
//! credentials at all is anonymous and is then only allowed where a policy grants `*`.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method};
use time::OffsetDateTime;

use crate::chunked::{self, ChunkSigner};
use crate::error::AwsError;
use crate::identity::{Caller, Iam, KeyEntry};
use crate::sigv4::{self, AuthHeader, Credential};

/// AWS allows 15 minutes between the signer's clock and its own.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Which signature scheme authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigVersion {
    V2,
    V4,
}

/// `s3:authType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    Header,
    Query,
    Post,
}

impl AuthType {
    /// The value of the `s3:authType` condition key.
    pub fn key_value(self) -> &'static str {
        match self {
            AuthType::Header => "REST-HEADER",
            AuthType::Query => "REST-QUERY-STRING",
            AuthType::Post => "POST",
        }
    }
}

/// An authenticated request: the caller and the body with any transfer encoding removed.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub caller: Caller,
    /// The access key that signed the request.
    pub access_key: Option<String>,
    /// `None` for anonymous requests.
    pub signature: Option<(SigVersion, AuthType)>,
    /// Age of the signature in milliseconds (`s3:signatureAge`).
    pub signature_age_ms: Option<i64>,
    /// `x-amz-content-sha256` as sent (SigV4).
    pub content_sha256: Option<String>,
    pub body: Bytes,
    /// Trailing checksum headers from an aws-chunked body.
    pub trailers: Vec<(String, String)>,
}

/// The request as the authenticator sees it.
#[derive(Debug)]
pub struct RequestParts<'a> {
    pub method: &'a Method,
    /// The path as sent (still percent-encoded).
    pub raw_path: &'a str,
    /// Decoded query parameters, in order.
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    /// For SigV2: the bucket named by a virtual host, if any.
    pub host_bucket: Option<&'a str>,
}

impl RequestParts<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, fmt)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// Reads the dates SigV2 clients send: RFC 1123 with `GMT` (botocore), RFC 2822 with a numeric
/// zone (s3cmd's `+0000`), or the ISO 8601 basic form of `x-amz-date`.
fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    let gmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s, gmt)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
        .or_else(|| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc2822).ok())
        .or_else(|| parse_amz_date(s))
}

/// Where the authenticator finds access keys and their owners. The server's implementation
/// holds the IAM lock only for each lookup, never while a body is hashed or decoded.
pub trait Keys {
    /// The key entry for an access key id.
    fn key(&self, access_key_id: &str) -> Option<Arc<KeyEntry>>;
    /// The caller a key belongs to.
    fn caller(&self, entry: &KeyEntry, now: OffsetDateTime) -> Result<Caller, AwsError>;
}

impl Keys for Iam {
    fn key(&self, access_key_id: &str) -> Option<Arc<KeyEntry>> {
        Iam::key(self, access_key_id).cloned()
    }

    fn caller(&self, entry: &KeyEntry, now: OffsetDateTime) -> Result<Caller, AwsError> {
        Iam::caller(self, entry, now)
    }
}

/// Authenticates a request. `region` is the region the fake serves; `service` is `s3` or `sts`.
/// A `Content-MD5` header, whatever the signature scheme, must match the (decoded) body.
pub fn authenticate(
    parts: &RequestParts<'_>,
    body: Bytes,
    keys: &dyn Keys,
    now: OffsetDateTime,
    region: &str,
    service: &str,
) -> Result<Authenticated, AwsError> {
    let authenticated =
        authenticate_signature(parts, body, keys, now, region, service).map_err(|e| {
            // STS names an unknown key or a bad session token differently from S3.
            if service == "sts" && matches!(e.code, "InvalidAccessKeyId" | "InvalidToken") {
                AwsError::invalid_client_token_id(
                    "The security token included in the request is invalid.",
                )
            } else {
                e
            }
        })?;
    check_md5(parts, &authenticated.body)?;
    Ok(authenticated)
}

fn authenticate_signature(
    parts: &RequestParts<'_>,
    body: Bytes,
    keys: &dyn Keys,
    now: OffsetDateTime,
    region: &str,
    service: &str,
) -> Result<Authenticated, AwsError> {
    if let Some(auth) = parts.header("authorization") {
        if auth.starts_with(sigv4::ALGORITHM) {
            return v4_header(parts, auth, body, keys, now, region, service);
        }
        if let Some(rest) = auth.strip_prefix("AWS ") {
            return v2_header(parts, rest, body, keys, now);
        }
        return Err(AwsError::invalid_argument("Unsupported Authorization Type"));
    }
    if parts.query_value("X-Amz-Algorithm").is_some() {
        return v4_query(parts, body, keys, now, region, service);
    }
    if parts.query_value("AWSAccessKeyId").is_some() && parts.query_value("Signature").is_some() {
        return v2_query(parts, body, keys, now);
    }
    Ok(Authenticated {
        caller: Caller::anonymous(),
        access_key: None,
        signature: None,
        signature_age_ms: None,
        content_sha256: None,
        body,
        trailers: Vec::new(),
    })
}

fn lookup(keys: &dyn Keys, access_key: &str) -> Result<Arc<KeyEntry>, AwsError> {
    keys.key(access_key).ok_or_else(|| {
        AwsError::invalid_access_key_id(
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    })
}

fn check_token(entry: &KeyEntry, given: Option<&str>) -> Result<(), AwsError> {
    match (&entry.session_token, given) {
        (None, None) => Ok(()),
        (Some(want), Some(got)) if sigv4::constant_time_eq(want, got) => Ok(()),
        (Some(_), None) => Err(AwsError::invalid_token(
            "The provided token is malformed or otherwise invalid (temporary credentials need x-amz-security-token).",
        )),
        _ => Err(AwsError::invalid_token("The provided token is malformed or otherwise invalid.")),
    }
}

fn check_scope(
    cred: &Credential,
    amz_date: &str,
    region: &str,
    service: &str,
    query: bool,
) -> Result<(), AwsError> {
    let bad = |m: String| {
        if query {
            AwsError::authorization_query_parameters_error(m)
        } else {
            AwsError::authorization_header_malformed(m)
        }
    };
    if !amz_date.starts_with(&cred.date) {
        return Err(bad(format!(
            "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date: \"{}\".",
            cred.date
        )));
    }
    if cred.region != region {
        return Err(bad(format!(
            "The authorization header is malformed; the region '{}' is wrong; expecting '{region}'",
            cred.region
        )));
    }
    if cred.service != service && !(service == "s3" && cred.service == "s3-control") {
        return Err(bad(format!(
            "The authorization header is malformed; incorrect service \"{}\". This endpoint belongs to \"{service}\".",
            cred.service
        )));
    }
    Ok(())
}

/// Canonical URIs to try: S3's own (decode, then encode once) and the path exactly as sent, for
/// clients that encode a few characters differently.
fn canonical_uris(raw_path: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(2);
    if let Some(decoded) = sigv4::percent_decode(raw_path) {
        out.push(sigv4::canonical_uri(&decoded));
    }
    let raw = if raw_path.is_empty() { "/" } else { raw_path };
    if !out.iter().any(|u| u == raw) {
        out.push(raw.to_owned());
    }
    out
}

/// What a SigV4 signature is checked against.
struct Claim<'a> {
    signed_headers: &'a [String],
    canonical_query: &'a str,
    payload_hash: &'a str,
    amz_date: &'a str,
    credential: &'a Credential,
    key: &'a [u8; 32],
    signature: &'a str,
}

/// Checks a SigV4 signature (`SignatureDoesNotMatch` when it is wrong).
fn verify_signature(parts: &RequestParts<'_>, claim: &Claim<'_>) -> Result<(), AwsError> {
    if signature_matches(parts, claim) {
        Ok(())
    } else {
        Err(AwsError::signature_does_not_match(
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ))
    }
}

fn signature_matches(parts: &RequestParts<'_>, claim: &Claim<'_>) -> bool {
    let header_value = |name: &str| -> Option<String> {
        let mut values = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok());
        let mut out = sigv4::canonical_header_value(values.next()?);
        for v in values {
            out.push(',');
            out.push_str(&sigv4::canonical_header_value(v));
        }
        Some(out)
    };
    canonical_uris(parts.raw_path).iter().any(|uri| {
        sigv4::canonical_request(
            parts.method.as_str(),
            uri,
            claim.canonical_query,
            claim.signed_headers,
            header_value,
            claim.payload_hash,
        )
        .is_some_and(|creq| {
            let sts = sigv4::string_to_sign(claim.amz_date, &claim.credential.scope(), &creq);
            sigv4::constant_time_eq(&sigv4::signature(claim.key, &sts), claim.signature)
        })
    })
}

/// S3 refuses `x-amz-*` headers that the signature does not cover: they change what a request
/// does (`x-amz-copy-source`, `x-amz-acl`, metadata), so a presigned URL must not gain them.
/// `x-amz-content-sha256` may be unsigned in header auth, as S3 allows.
fn check_unsigned_headers(
    parts: &RequestParts<'_>,
    signed: &[String],
    query_auth: bool,
) -> Result<(), AwsError> {
    let unsigned: Vec<&str> = parts
        .headers
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|n| n.starts_with("x-amz-") && !signed.iter().any(|s| s == n))
        .filter(|n| query_auth || *n != "x-amz-content-sha256")
        .collect();
    if unsigned.is_empty() {
        Ok(())
    } else {
        Err(AwsError::access_denied(format!(
            "There were headers present in the request which were not signed: {}",
            unsigned.join(", ")
        )))
    }
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A signed payload hash must be the body's (`XAmzContentSHA256Mismatch`).
fn check_payload_hash(hex: &str, body: &[u8]) -> Result<(), AwsError> {
    if hex.eq_ignore_ascii_case(&sigv4::sha256_hex(body)) {
        Ok(())
    } else {
        Err(AwsError::content_sha256_mismatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ))
    }
}

fn check_skew(signed_at: OffsetDateTime, now: OffsetDateTime) -> Result<(), AwsError> {
    if (now - signed_at).whole_seconds().abs() > MAX_SKEW_SECONDS {
        return Err(AwsError::request_time_too_skewed(
            "The difference between the request time and the current time is too large.",
        ));
    }
    Ok(())
}

fn v4_header(
    parts: &RequestParts<'_>,
    auth: &str,
    body: Bytes,
    keys: &dyn Keys,
    now: OffsetDateTime,
    region: &str,
    service: &str,
) -> Result<Authenticated, AwsError> {
    let AuthHeader {
        credential,
        signed_headers,
        signature,
    } = sigv4::parse_authorization(auth)
        .map_err(|e| AwsError::authorization_header_malformed(e.to_string()))?;
    let amz_date = parts
        .header("x-amz-date")
        .map(str::to_owned)
        .or_else(|| {
            parts
                .header("date")
                .and_then(parse_http_date)
                .map(format_amz_date)
        })
        .ok_or_else(|| {
            AwsError::access_denied("AWS authentication requires a valid Date or x-amz-date header")
        })?;
    let signed_at = parse_amz_date(&amz_date).ok_or_else(|| {
        AwsError::access_denied("AWS authentication requires a valid Date or x-amz-date header")
    })?;
    check_skew(signed_at, now)?;
    check_scope(&credential, &amz_date, region, service, false)?;
    if !signed_headers.iter().any(|h| h == "host") {
        return Err(AwsError::authorization_header_malformed(
            "The authorization header is malformed; `host` must be a signed header",
        ));
    }
    let entry = lookup(keys, &credential.access_key)?;
    let entry = &entry;
    let payload_hash = match parts.header("x-amz-content-sha256") {
        Some(h) => h.to_owned(),
        None if service == "s3" => {
            return Err(AwsError::invalid_request(
                "Missing required header for this request: x-amz-content-sha256",
            ))
        }
        None => sigv4::sha256_hex(&body),
    };
    let query_pairs: Vec<(String, String)> = parts.query.to_vec();
    let canonical_query = sigv4::canonical_query(&query_pairs);
    let key = entry.signing_key(&credential.date, &credential.region, &credential.service);
    verify_signature(
        parts,
        &Claim {
            signed_headers: &signed_headers,
            canonical_query: &canonical_query,
            payload_hash: &payload_hash,
            amz_date: &amz_date,
            credential: &credential,
            key: &key,
            signature: &signature,
        },
    )?;
    check_unsigned_headers(parts, &signed_headers, false)?;
    check_token(entry, parts.header("x-amz-security-token"))?;
    let caller = keys.caller(entry, now)?;
    let (body, trailers) = match payload_hash.as_str() {
        "UNSIGNED-PAYLOAD" => (body, Vec::new()),
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => chunked::decode_owned(body, None, false)?,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => {
            let signer = ChunkSigner {
                key,
                amz_date: amz_date.clone(),
                scope: credential.scope(),
                seed_signature: signature.clone(),
            };
            let trailer = payload_hash.ends_with("-TRAILER");
            chunked::decode_owned(body, Some(&signer), trailer)?
        }
        hex if is_sha256_hex(hex) => {
            check_payload_hash(hex, &body)?;
            (body, Vec::new())
        }
        other => {
            return Err(AwsError::invalid_argument(format!(
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value, not `{other}`"
            )))
        }
    };
    if let Some(declared) = parts.header("x-amz-decoded-content-length") {
        if declared.parse::<usize>().ok() != Some(body.len()) {
            return Err(AwsError::incomplete_body(
                "You did not provide the number of bytes specified by the x-amz-decoded-content-length header",
            ));
        }
    }
    Ok(Authenticated {
        caller,
        access_key: Some(credential.access_key.clone()),
        signature: Some((SigVersion::V4, AuthType::Header)),
        signature_age_ms: Some((now - signed_at).whole_milliseconds().max(0) as i64),
        content_sha256: Some(payload_hash),
        body,
        trailers,
    })
}

fn format_amz_date(t: OffsetDateTime) -> String {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(fmt).unwrap_or_default()
}

fn v4_query(
    parts: &RequestParts<'_>,
    body: Bytes,
    keys: &dyn Keys,
    now: OffsetDateTime,
    region: &str,
    service: &str,
) -> Result<Authenticated, AwsError> {
    let q = |name: &str| {
        parts.query_value(name).ok_or_else(|| {
            AwsError::authorization_query_parameters_error(format!(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; `{name}` is missing."
            ))
        })
    };
    if q("X-Amz-Algorithm")? != sigv4::ALGORITHM {
        return Err(AwsError::authorization_query_parameters_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let credential = Credential::parse(q("X-Amz-Credential")?)
        .map_err(|e| AwsError::authorization_query_parameters_error(e.to_string()))?;
    let amz_date = q("X-Amz-Date")?.to_owned();
    let signed_at = parse_amz_date(&amz_date).ok_or_else(|| {
        AwsError::authorization_query_parameters_error(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        )
    })?;
    let expires: i64 = q("X-Amz-Expires")?.parse().map_err(|_| {
        AwsError::authorization_query_parameters_error("X-Amz-Expires should be a number")
    })?;
    if !(1..=604_800).contains(&expires) {
        return Err(AwsError::authorization_query_parameters_error(
            if expires < 1 {
                "X-Amz-Expires must be non-negative"
            } else {
                "X-Amz-Expires must be less than a week (in seconds) that is 604800"
            },
        ));
    }
    let signed_headers: Vec<String> = q("X-Amz-SignedHeaders")?
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    let signature = q("X-Amz-Signature")?.to_owned();
    if !signed_headers.iter().any(|h| h == "host") {
        return Err(AwsError::authorization_query_parameters_error(
            "X-Amz-SignedHeaders must include `host`",
        ));
    }
    check_scope(&credential, &amz_date, region, service, true)?;
    if (signed_at - now).whole_seconds() > MAX_SKEW_SECONDS {
        return Err(AwsError::access_denied("Request is not valid yet"));
    }
    if now > signed_at + time::Duration::seconds(expires) {
        return Err(AwsError::access_denied("Request has expired"));
    }
    let entry = lookup(keys, &credential.access_key)?;
    let entry = &entry;
    let canonical_query = sigv4::canonical_query(
        &parts
            .query
            .iter()
            .filter(|(k, _)| k != "X-Amz-Signature")
            .cloned()
            .collect::<Vec<_>>(),
    );
    let payload_hash = parts
        .query_value("X-Amz-Content-Sha256")
        .or_else(|| parts.header("x-amz-content-sha256"))
        .unwrap_or("UNSIGNED-PAYLOAD")
        .to_owned();
    let key = entry.signing_key(&credential.date, &credential.region, &credential.service);
    verify_signature(
        parts,
        &Claim {
            signed_headers: &signed_headers,
            canonical_query: &canonical_query,
            payload_hash: &payload_hash,
            amz_date: &amz_date,
            credential: &credential,
            key: &key,
            signature: &signature,
        },
    )?;
    if is_sha256_hex(&payload_hash) {
        check_payload_hash(&payload_hash, &body)?;
    } else if service != "s3" && !body.is_empty() {
        // Only S3 lets a presigned URL leave its body unsigned; elsewhere the body is parameters.
        return Err(AwsError::access_denied(
            "a query-signed request to this service cannot carry an unsigned body",
        ));
    }
    check_unsigned_headers(parts, &signed_headers, true)?;
    check_token(
        entry,
        parts
            .query_value("X-Amz-Security-Token")
            .or_else(|| parts.header("x-amz-security-token")),
    )?;
    let caller = keys.caller(entry, now)?;
    Ok(Authenticated {
        caller,
        access_key: Some(credential.access_key.clone()),
        signature: Some((SigVersion::V4, AuthType::Query)),
        signature_age_ms: Some((now - signed_at).whole_milliseconds().max(0) as i64),
        content_sha256: Some(payload_hash),
        body,
        trailers: Vec::new(),
    })
}

/// Sub-resources and response overrides that SigV2 signs: the list S3 and botocore use (note that
/// `publicAccessBlock` is not on it).
const V2_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// The SigV2 string to sign (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html>).
pub fn v2_string_to_sign(parts: &RequestParts<'_>, date_or_expires: &str) -> String {
    let path = if parts.raw_path.is_empty() {
        "/"
    } else {
        parts.raw_path
    };
    v2_string_to_sign_for(parts, date_or_expires, path)
}

/// The strings to sign a client may have used: S3 names a bucket `/BUCKET/` in the
/// canonicalized resource (botocore signs that form for path-style bucket requests), while
/// other clients sign the path as sent.
fn v2_candidates(parts: &RequestParts<'_>, date_or_expires: &str) -> Vec<String> {
    let path = if parts.raw_path.is_empty() {
        "/"
    } else {
        parts.raw_path
    };
    let mut out = vec![v2_string_to_sign_for(parts, date_or_expires, path)];
    let segments = path.trim_matches('/').split('/').count();
    let bucket_level = parts.host_bucket.is_none() && segments == 1 && path.len() > 1;
    if bucket_level {
        let other = match path.strip_suffix('/') {
            Some(p) => p.to_owned(),
            None => format!("{path}/"),
        };
        out.push(v2_string_to_sign_for(parts, date_or_expires, &other));
    }
    out
}

fn v2_matches(
    parts: &RequestParts<'_>,
    date_or_expires: &str,
    secret: &str,
    signature: &str,
) -> bool {
    v2_candidates(parts, date_or_expires).iter().any(|sts| {
        let ok = sigv4::constant_time_eq(&v2_signature(secret, sts), signature);
        if !ok {
            tracing::debug!(string_to_sign = %sts, "SigV2 signature mismatch");
        }
        ok
    })
}

fn v2_string_to_sign_for(parts: &RequestParts<'_>, date_or_expires: &str, path: &str) -> String {
    let header = |n: &str| parts.header(n).unwrap_or("").trim().to_owned();
    let mut amz: Vec<(String, String)> = Vec::new();
    for (name, value) in parts.headers {
        let n = name.as_str().to_ascii_lowercase();
        if n.starts_with("x-amz-") {
            let v = value.to_str().unwrap_or("").trim().to_owned();
            match amz.iter_mut().find(|(k, _)| *k == n) {
                Some(slot) => {
                    slot.1.push(',');
                    slot.1.push_str(&v);
                }
                None => amz.push((n, v)),
            }
        }
    }
    amz.sort();
    let mut resource = String::new();
    if let Some(b) = parts.host_bucket {
        resource.push('/');
        resource.push_str(b);
    }
    resource.push_str(path);
    let mut subs: Vec<(&str, &str)> = parts
        .query
        .iter()
        .filter(|(k, _)| V2_SUBRESOURCES.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    subs.sort();
    for (i, (k, v)) in subs.iter().enumerate() {
        resource.push(if i == 0 { '?' } else { '&' });
        resource.push_str(k);
        if !v.is_empty() {
            resource.push('=');
            resource.push_str(v);
        }
    }
    let mut out = format!(
        "{}\n{}\n{}\n{}\n",
        parts.method.as_str(),
        header("content-md5"),
        header("content-type"),
        date_or_expires
    );
    for (k, v) in amz {
        out.push_str(&format!("{k}:{v}\n"));
    }
    out.push_str(&resource);
    out
}

/// Base64 HMAC-SHA1 of `sts`.
pub fn v2_signature(secret: &str, sts: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn v2_header(
    parts: &RequestParts<'_>,
    rest: &str,
    body: Bytes,
    keys: &dyn Keys,
    now: OffsetDateTime,
) -> Result<Authenticated, AwsError> {
    let (access_key, signature) = rest.trim().rsplit_once(':').ok_or_else(|| {
        AwsError::invalid_argument(
            "AWS authorization header is invalid. Expected AwsAccessKeyId:signature",
        )
    })?;
    let signed_at = parts
        .header("x-amz-date")
        .or_else(|| parts.header("date"))
        .and_then(parse_http_date)
        .ok_or_else(|| {
            AwsError::access_denied("AWS authentication requires a valid Date or x-amz-date header")
        })?;
    check_skew(signed_at, now)?;
    let entry = lookup(keys, access_key)?;
    let entry = &entry;
    // With x-amz-date present, the Date line is empty and x-amz-date is signed as an amz header.
    let date_line = if parts.header("x-amz-date").is_some() {
        String::new()
    } else {
        parts.header("date").unwrap_or("").trim().to_owned()
    };
    if !v2_matches(parts, &date_line, &entry.secret, signature) {
        return Err(AwsError::signature_does_not_match(
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ));
    }
    check_token(entry, parts.header("x-amz-security-token"))?;
    Ok(Authenticated {
        caller: keys.caller(entry, now)?,
        access_key: Some(access_key.to_owned()),
        signature: Some((SigVersion::V2, AuthType::Header)),
        signature_age_ms: Some((now - signed_at).whole_milliseconds().max(0) as i64),
        content_sha256: None,
        body,
        trailers: Vec::new(),
    })
}

fn v2_query(
    parts: &RequestParts<'_>,
    body: Bytes,
    keys: &dyn Keys,
    now: OffsetDateTime,
) -> Result<Authenticated, AwsError> {
    let q = |n: &str| parts.query_value(n).unwrap_or("");
    let expires: i64 = q("Expires")
        .parse()
        .map_err(|_| AwsError::access_denied("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"))?;
    if now.unix_timestamp() > expires {
        return Err(AwsError::access_denied("Request has expired"));
    }
    let entry = lookup(keys, q("AWSAccessKeyId"))?;
    let entry = &entry;
    if !v2_matches(parts, q("Expires"), &entry.secret, q("Signature")) {
        return Err(AwsError::signature_does_not_match(
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ));
    }
    check_token(
        entry,
        parts
            .query_value("x-amz-security-token")
            .or_else(|| parts.header("x-amz-security-token")),
    )?;
    Ok(Authenticated {
        caller: keys.caller(entry, now)?,
        access_key: Some(q("AWSAccessKeyId").to_owned()),
        signature: Some((SigVersion::V2, AuthType::Query)),
        signature_age_ms: None,
        content_sha256: None,
        body,
        trailers: Vec::new(),
    })
}

/// `Content-MD5`, when sent, must match the body (`BadDigest`).
pub fn check_md5(parts: &RequestParts<'_>, body: &[u8]) -> Result<(), AwsError> {
    use md5::{Digest, Md5};
    if let Some(md5) = parts.header("content-md5") {
        let want = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
        if md5.trim() != want {
            return Err(AwsError::bad_digest(
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published SigV2 example: GET /photos/puppy.jpg on the johnsmith bucket.
    #[test]
    fn sigv2_documented_example() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "host",
            http::HeaderValue::from_static("johnsmith.s3.amazonaws.com"),
        );
        headers.insert(
            "date",
            http::HeaderValue::from_static("Tue, 27 Mar 2007 19:36:42 +0000"),
        );
        let parts = RequestParts {
            method: &Method::GET,
            raw_path: "/photos/puppy.jpg",
            query: &[],
            headers: &headers,
            host_bucket: Some("johnsmith"),
        };
        let sts = v2_string_to_sign(&parts, "Tue, 27 Mar 2007 19:36:42 +0000");
        assert_eq!(
            sts,
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"
        );
        assert_eq!(
            v2_signature("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &sts),
            "bWq2s1WEIj+Ydj0vQ697zp+IXMU="
        );
    }

    #[test]
    fn canonical_uri_candidates() {
        assert_eq!(canonical_uris("/b/a%20b"), vec!["/b/a%20b"]);
        assert_eq!(canonical_uris("/b/a!b"), vec!["/b/a%21b", "/b/a!b"]);
        assert_eq!(canonical_uris(""), vec!["/"]);
    }
}
