//! Signature Version 4 as pure functions
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>).
//!
//! Nothing here knows about HTTP servers or identities: the caller supplies the request parts and
//! the secret, and compares signatures with [`constant_time_eq`].

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The algorithm name in `Authorization` headers and `X-Amz-Algorithm`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// SHA-256 of the empty string, hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Why an `Authorization` header or presigned query could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the authorization header is malformed: {0}")]
    Malformed(String),
}

/// The credential scope: `AKID/20130524/us-east-1/s3/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

impl Credential {
    /// Reads `AKID/DATE/REGION/SERVICE/aws4_request`.
    pub fn parse(s: &str) -> Result<Credential, ParseError> {
        let mut parts = s.split('/');
        match (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            (Some(ak), Some(date), Some(region), Some(service), Some("aws4_request"), None)
                if !ak.is_empty()
                    && date.len() == 8
                    && date.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(Credential {
                    access_key: ak.to_owned(),
                    date: date.to_owned(),
                    region: region.to_owned(),
                    service: service.to_owned(),
                })
            }
            _ => Err(ParseError::Malformed(format!(
                "the credential `{s}` is not `ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request`"
            ))),
        }
    }

    /// `DATE/REGION/SERVICE/aws4_request`.
    pub fn scope(&self) -> String {
        [
            self.date.as_str(),
            &self.region,
            &self.service,
            "aws4_request",
        ]
        .join("/")
    }
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    pub credential: Credential,
    /// Lowercase, in the order given (which must be sorted).
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Reads an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<AuthHeader, ParseError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| ParseError::Malformed("unsupported algorithm".into()))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        let Some((k, v)) = part.split_once('=') else {
            return Err(ParseError::Malformed(format!(
                "`{part}` is not `Name=value`"
            )));
        };
        match k.trim() {
            "Credential" => credential = Some(Credential::parse(v.trim())?),
            "SignedHeaders" => {
                signed = Some(
                    v.trim()
                        .split(';')
                        .map(str::to_ascii_lowercase)
                        .collect::<Vec<_>>(),
                )
            }
            "Signature" => signature = Some(v.trim().to_owned()),
            other => {
                return Err(ParseError::Malformed(format!(
                    "unknown component `{other}`"
                )))
            }
        }
    }
    match (credential, signed, signature) {
        (Some(credential), Some(signed_headers), Some(signature))
            if signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(AuthHeader {
                credential,
                signed_headers,
                signature,
            })
        }
        _ => Err(ParseError::Malformed(
            "expected `Credential`, `SignedHeaders` and a 64-digit hex `Signature`".into(),
        )),
    }
}

/// SigV4's unreserved bytes (`A-Z a-z 0-9 - . _ ~`), as a table: every parameter of every signed
/// request is checked byte by byte.
const UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    t
};

/// Whether `b` is unreserved, or `/` when `keep_slash`.
fn unreserved(b: u8, keep_slash: bool) -> bool {
    UNRESERVED[usize::from(b)] || (keep_slash && b == b'/')
}

/// URI-encodes as SigV4 requires: everything but `A-Z a-z 0-9 - . _ ~` becomes `%XX` (upper
/// case); `/` is kept when `keep_slash`.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    uri_encode_cow(s, keep_slash).into_owned()
}

/// [`uri_encode`], borrowing `s` when nothing in it needs encoding (most names and values do
/// not, and this runs for every parameter of every signed request).
pub fn uri_encode_cow(s: &str, keep_slash: bool) -> Cow<'_, str> {
    let Some(first) = s.bytes().position(|b| !unreserved(b, keep_slash)) else {
        return Cow::Borrowed(s);
    };
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for b in s[first..].bytes() {
        if unreserved(b, keep_slash) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    Cow::Owned(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes bytes; `None` when the result is not UTF-8 or an escape is broken.
pub fn percent_decode(s: &str) -> Option<String> {
    percent_decode_cow(s).map(Cow::into_owned)
}

/// [`percent_decode`], borrowing `s` when it holds no escape.
pub fn percent_decode_cow(s: &str) -> Option<Cow<'_, str>> {
    let bytes = s.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'%') else {
        return Some(Cow::Borrowed(s));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// The canonical URI of an S3 request: the decoded path, each byte encoded once, `/` kept. S3
/// does not normalise `.`/`..` segments or double slashes.
pub fn canonical_uri(decoded_path: &str) -> String {
    if decoded_path.is_empty() {
        return "/".to_owned();
    }
    uri_encode(decoded_path, true)
}

/// The canonical query string from decoded `(name, value)` pairs: each encoded, sorted by name
/// then value, joined with `&`.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    canonical_query_of(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// [`canonical_query`] over borrowed pairs (a presigned request's, without its signature).
pub fn canonical_query_of<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut encoded: Vec<(Cow<'a, str>, Cow<'a, str>)> = pairs
        .map(|(k, v)| (uri_encode_cow(k, false), uri_encode_cow(v, false)))
        .collect();
    encoded.sort_unstable();
    let len = encoded.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(len);
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Trims a header value and collapses runs of spaces, as canonical headers require.
pub fn canonical_header_value(v: &str) -> Cow<'_, str> {
    let trimmed = v.trim();
    // A byte scan: `str::contains` with a two-byte needle sets up a substring searcher, which
    // showed in profiles for these short values.
    if !trimmed.as_bytes().windows(2).any(|w| w == b"  ") {
        return Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut space = false;
    for c in trimmed.chars() {
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    Cow::Owned(out)
}

/// The canonical request. `headers` gives each signed header's value(s) by lowercase name; values
/// of a repeated header are joined with `,`.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    signed_headers: &[String],
    header_value: impl Fn(&str) -> Option<String>,
    payload_hash: &str,
) -> Option<String> {
    canonical_request_with(
        method,
        canonical_uri,
        canonical_query,
        signed_headers,
        |name, out| {
            out.push_str(&header_value(name)?);
            Some(())
        },
        payload_hash,
    )
}

/// [`canonical_request`] with each signed header's value written straight into the request by
/// `header_value` (the verifier's form: no string per header).
pub fn canonical_request_with(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    signed_headers: &[String],
    header_value: impl Fn(&str, &mut String) -> Option<()>,
    payload_hash: &str,
) -> Option<String> {
    let mut out = String::with_capacity(256);
    out.push_str(method);
    out.push('\n');
    out.push_str(canonical_uri);
    out.push('\n');
    out.push_str(canonical_query);
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        header_value(name, &mut out)?;
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(payload_hash);
    Some(out)
}

/// Lower-case hex; a table lookup per byte (the `hex` crate's iterator showed in profiles).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// [`to_hex`] written at the end of `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    to_hex(&Sha256::digest(data))
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = sha256_hex(canonical_request.as_bytes());
    [ALGORITHM, amz_date, scope, &hash].join("\n")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The derived signing key for a day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Hex HMAC of `string_to_sign` with `key`.
pub fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    to_hex(&hmac(key, string_to_sign.as_bytes()))
}

/// The string to sign for one chunk of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body.
pub fn chunk_string_to_sign(
    amz_date: &str,
    scope: &str,
    previous_signature: &str,
    chunk: &[u8],
) -> String {
    format!(
        "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous_signature}\n{EMPTY_SHA256}\n{}",
        sha256_hex(chunk)
    )
}

/// The string to sign for the trailer of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` body.
pub fn trailer_string_to_sign(
    amz_date: &str,
    scope: &str,
    previous_signature: &str,
    trailer: &[u8],
) -> String {
    format!(
        "AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{previous_signature}\n{}",
        sha256_hex(trailer)
    )
}

/// Compares two signatures without leaking where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| canonical_header_value(v).into_owned())
        }
    }

    /// AWS's published example: GET Object with a Range header.
    #[test]
    fn get_object_example_from_the_s3_documentation() {
        let signed: Vec<String> = ["host", "range", "x-amz-content-sha256", "x-amz-date"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let creq = canonical_request(
            "GET",
            &canonical_uri("/test.txt"),
            "",
            &signed,
            headers(&[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY_SHA256),
                ("x-amz-date", "20130524T000000Z"),
            ]),
            EMPTY_SHA256,
        )
        .unwrap_or_default();
        let sts = string_to_sign(
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            &creq,
        );
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        assert_eq!(
            signature(&key, &sts),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    /// AWS's published presigned-URL example (GET /test.txt, expires 86400).
    #[test]
    fn presigned_url_example_from_the_s3_documentation() {
        let query = canonical_query(&[
            ("X-Amz-Algorithm".into(), ALGORITHM.into()),
            (
                "X-Amz-Credential".into(),
                "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request".into(),
            ),
            ("X-Amz-Date".into(), "20130524T000000Z".into()),
            ("X-Amz-Expires".into(), "86400".into()),
            ("X-Amz-SignedHeaders".into(), "host".into()),
        ]);
        let creq = canonical_request(
            "GET",
            "/test.txt",
            &query,
            &["host".to_owned()],
            headers(&[("host", "examplebucket.s3.amazonaws.com")]),
            "UNSIGNED-PAYLOAD",
        )
        .unwrap_or_default();
        let sts = string_to_sign(
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            &creq,
        );
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        assert_eq!(
            signature(&key, &sts),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn parses_authorization_headers() {
        let h = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
        );
        let h = h.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.credential.region, "us-east-1");
        assert_eq!(h.signed_headers, vec!["host", "range", "x-amz-date"]);
        for bad in [
            "AWS4-HMAC-SHA256 Credential=AKID/2013/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            "AWS AKID:sig",
            "AWS4-HMAC-SHA256 SignedHeaders=host",
            "AWS4-HMAC-SHA256 Credential=A/20130524/r/s/aws4_request, SignedHeaders=host, Signature=zz",
        ] {
            assert!(parse_authorization(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encoding_rules() {
        assert_eq!(uri_encode("a b/c~d*e", true), "a%20b/c~d%2Ae");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_encode("é", false), "%C3%A9");
        assert_eq!(percent_decode("a%20b%2Fc"), Some("a b/c".into()));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
        assert_eq!(canonical_header_value("  a   b  c "), "a b c");
        assert_eq!(
            canonical_query(&[
                ("b".into(), "2".into()),
                ("a".into(), "x y".into()),
                ("a".into(), "".into())
            ]),
            "a=&a=x%20y&b=2"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn credentials_have_exactly_five_parts() {
        assert!(Credential::parse("AK/20240101/us-east-1/s3/aws4_request").is_ok());
        for bad in [
            "AK/20240101/us-east-1/s3/aws4_request/extra",
            "AK/20240101/us-east-1/s3",
            "/20240101/us-east-1/s3/aws4_request",
            "AK/2024010/us-east-1/s3/aws4_request",
            "AK/20240101/us-east-1/s3/aws4_requesT",
            "",
        ] {
            assert!(Credential::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn authorization_parsing_never_panics(s in "\\PC{0,200}") {
            let _ = parse_authorization(&s);
            let _ = parse_authorization(&format!("AWS4-HMAC-SHA256 {s}"));
        }

        #[test]
        fn credential_scopes_round_trip(ak in "[A-Z0-9]{4,20}", region in "[a-z0-9-]{1,20}", service in "[a-z0-9-]{1,12}") {
            let text = format!("{ak}/20240101/{region}/{service}/aws4_request");
            let c = Credential::parse(&text);
            prop_assert!(c.is_ok());
            prop_assert_eq!(c.map(|c| format!("{}/{}", c.access_key, c.scope())).unwrap_or_default(), text);
        }

        #[test]
        fn encoding_borrows_exactly_when_nothing_changes(s in "[a-zA-Z0-9._~/%+ -]{0,40}") {
            // The byte-by-byte definition, without the table or the borrowed fast path.
            let reference = |keep_slash: bool| -> String {
                s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }).collect()
            };
            for keep_slash in [true, false] {
                let encoded = uri_encode_cow(&s, keep_slash);
                prop_assert_eq!(encoded.as_ref(), reference(keep_slash));
                prop_assert_eq!(matches!(encoded, Cow::Borrowed(_)), encoded.as_ref() == s);
            }
        }

        #[test]
        fn uri_encoding_round_trips(s in "\\PC{0,40}") {
            prop_assert_eq!(percent_decode(&uri_encode(&s, true)), Some(s.clone()));
            prop_assert_eq!(percent_decode(&uri_encode(&s, false)), Some(s));
        }

        #[test]
        fn percent_decoding_never_panics(s in "[%0-9a-fA-Fz\\x{e9}]{0,20}") {
            let _ = percent_decode(&s);
        }
    }
}
