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

mod v2;
mod v4;

pub use v2::v2_signature;
use v2::*;
use v4::*;

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
    pub query: &'a crate::query::Query,
    pub headers: &'a HeaderMap,
    /// For SigV2: the bucket named by a virtual host, if any.
    pub host_bucket: Option<&'a str>,
}

impl RequestParts<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        crate::header::value(self.headers, name)
    }

    fn query_value(&self, name: &str) -> Option<&str> {
        self.query.get(name)
    }
}

/// `X-Amz-Date`'s ISO 8601 basic form, `YYYYMMDD'T'HHMMSS'Z'`, read by hand: every SigV4
/// request has one, and the general parser cost ten times as much. A test holds the two equal but
/// for a signed year (`+2013…`), which the general parser took and SigV4's format does not allow.
fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u16> {
        b.get(from..to)?.iter().try_fold(0u16, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u16::from(d - b'0'))
        })
    };
    let small = |from: usize| num(from, from + 2).and_then(|n| u8::try_from(n).ok());
    let month = time::Month::try_from(small(4)?).ok()?;
    let date = time::Date::from_calendar_date(i32::from(num(0, 4)?), month, small(6)?).ok()?;
    let time = time::Time::from_hms(small(9)?, small(11)?, small(13)?).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc())
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
    /// Whether requests are answered as Ceph RGW answers them (the Ceph dialect).
    fn ceph_dialect(&self) -> bool {
        false
    }
}

impl Keys for Iam {
    fn key(&self, access_key_id: &str) -> Option<Arc<KeyEntry>> {
        Iam::key(self, access_key_id).cloned()
    }

    fn caller(&self, entry: &KeyEntry, now: OffsetDateTime) -> Result<Caller, AwsError> {
        Iam::caller(self, entry, now)
    }

    fn ceph_dialect(&self) -> bool {
        self.ceph_dialect
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
            if (service == "sts" || service == "iam")
                && matches!(e.code, "InvalidAccessKeyId" | "InvalidToken")
            {
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

    /// The general parser [`parse_amz_date`] replaced, as the reference.
    fn amz_date_by_format(s: &str) -> Option<OffsetDateTime> {
        let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        time::PrimitiveDateTime::parse(s, fmt)
            .ok()
            .map(time::PrimitiveDateTime::assume_utc)
    }

    #[test]
    fn amz_dates_read_as_the_format_reads_them() {
        for s in [
            "20130524T000000Z",
            "20240229T235959Z",
            "20230229T000000Z",
            "20131324T000000Z",
            "20130000T000000Z",
            "20130524T240000Z",
            "20130524T236000Z",
            "20130524T235960Z",
            "00000101T000000Z",
            "99991231T235959Z",
            "20130524 000000Z",
            "20130524T000000",
            "2013052T000000Z0",
            "+0130524T000000Z",
            "2013-05-24T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_amz_date(s), amz_date_by_format(s), "{s:?}");
        }
        // The general parser's `[year]` takes a sign; SigV4's four digits do not.
        for s in ["+20130524T000000Z", "-20130524T000000Z"] {
            assert!(amz_date_by_format(s).is_some(), "{s:?}");
            assert_eq!(parse_amz_date(s), None, "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn amz_dates_agree_with_the_format(s in "[0-9]{8}T[0-9]{6}Z|[0-9T Z+-]{14,17}") {
            proptest::prop_assert_eq!(parse_amz_date(&s), amz_date_by_format(&s));
        }
    }

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
            query: &crate::query::Query::default(),
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
