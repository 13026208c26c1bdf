//! Browser-based uploads: `POST` to a bucket with a signed policy in a `multipart/form-data` form
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>).
//!
//! Checked as S3 does: the policy's signature (SigV4 or SigV2), its expiration, every condition
//! (`eq`, `starts-with`, `content-length-range`, exact matches), and that every form field except
//! `file`, `policy`, the signature fields and `x-ignore-*` is covered by a condition.
//!
//! A policy S3 cannot read (not JSON, no or a malformed `expiration`, no `conditions`, a
//! condition of the wrong shape such as `{}`) is 400 `InvalidPolicyDocument`, the code
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html> lists for a form that
//! does not meet its policy document; `expiration` is an ISO 8601 date-time with its zone
//! (`2013-08-01T12:00:00.000Z`, sigv4-HTTPPOSTConstructPolicy). A SigV4 form's `x-amz-date` is
//! "the date … used in creating the signing key" (sigv4-HTTPPOSTConstructPolicy, form fields):
//! one that is no ISO 8601 basic date-time or not the credential's day is 400 `InvalidArgument`
//! (AWS documents no code for it; a malformed form field is `InvalidArgument`). Ceph RGW 16.2
//! (observed with `scripts/rgw-diff.py`, case `post.dates-and-buckets`) reads `expiration` as
//! `YYYY-MM-DD[T| ]HH:MM:SS` with an optional `Z` or `.fraction` + `Z`, answers what it cannot
//! read with 400 `InvalidArgument` (the caller maps the code), and does not read `x-amz-date`.

use base64::Engine;
use memchr::memmem;
use serde_json::Value;

use crate::error::AwsError;
use crate::sigv4;

/// One form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Lowercase name.
    pub name: String,
    pub value: Vec<u8>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

/// Reads a `multipart/form-data` body; malformed input is `MalformedPOSTRequest`, never a panic.
pub fn parse_form(content_type: &str, body: &[u8]) -> Result<Vec<Field>, AwsError> {
    let bad = |d: &str| {
        AwsError::invalid_argument(format!(
            "The body of your POST request is not well-formed multipart/form-data ({d})"
        ))
    };
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or_else(|| bad("no boundary"))?;
    let delim = format!("--{boundary}");
    let mut fields = Vec::new();
    let mut pos = memmem::find(body, delim.as_bytes()).ok_or_else(|| bad("no opening boundary"))?
        + delim.len();
    loop {
        let rest = body.get(pos..).ok_or_else(|| bad("truncated"))?;
        if rest.starts_with(b"--") {
            break;
        }
        let rest = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("boundary not followed by CRLF"))?;
        let header_end =
            memmem::find(rest, b"\r\n\r\n").ok_or_else(|| bad("part headers not terminated"))?;
        let headers = std::str::from_utf8(&rest[..header_end])
            .map_err(|_| bad("part headers are not text"))?;
        let content = &rest[header_end + 4..];
        let end_marker = format!("\r\n{delim}");
        let end = memmem::find(content, end_marker.as_bytes())
            .ok_or_else(|| bad("part not terminated by a boundary"))?;
        let mut field = Field {
            name: String::new(),
            value: content[..end].to_vec(),
            filename: None,
            content_type: None,
        };
        for line in headers.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for param in v.split(';').skip(1) {
                        let Some((pk, pv)) = param.trim().split_once('=') else {
                            continue;
                        };
                        let pv = pv.trim().trim_matches('"').to_owned();
                        match pk.trim() {
                            "name" => field.name = pv.to_ascii_lowercase(),
                            "filename" => field.filename = Some(pv),
                            _ => {}
                        }
                    }
                }
                "content-type" => field.content_type = Some(v.trim().to_owned()),
                _ => {}
            }
        }
        if field.name.is_empty() {
            return Err(bad("a part has no name"));
        }
        fields.push(field);
        pos = pos + 2 + header_end + 4 + end + end_marker.len();
    }
    Ok(fields)
}

/// A verified upload, ready to store.
#[derive(Debug, Clone)]
pub struct Upload {
    pub access_key: String,
    pub key: String,
    pub data: Vec<u8>,
    pub content_type: Option<String>,
    pub success_status: u16,
    /// `success_action_redirect` (or the older `redirect`): where to send the browser (303).
    pub redirect: Option<String>,
    pub fields: Vec<(String, String)>,
    pub sigv2: bool,
    /// A form without a policy or signature: an anonymous upload, which S3 accepts only into a
    /// publicly writable bucket (<https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>,
    /// `policy`).
    pub anonymous: bool,
}

fn text(f: &Field) -> String {
    String::from_utf8_lossy(&f.value).into_owned()
}

/// A policy S3 cannot read: 400 `InvalidPolicyDocument` (see the module's documentation).
fn bad_policy(message: impl Into<String>) -> AwsError {
    AwsError::invalid_argument(message).with_code("InvalidPolicyDocument")
}

/// The policy's `expiration`. AWS: an ISO 8601 date-time, `YYYY-MM-DDTHH:MM:SS`, then `Z`, a
/// `.fraction`, both, nothing ("GMT date format": no zone means GMT) or an RFC 3339 offset. Ceph:
/// what RGW 16.2's `parse_iso8601` reads, `YYYY-MM-DD`, `T` or a space, `HH:MM:SS`, then nothing,
/// `Z`, or `.DIGITS` and `Z`, all UTC.
fn parse_expiration(s: &str, ceph: bool) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if !ceph {
        if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
            return Some(t);
        }
    }
    let s = s.trim();
    let (date, sep, clock, rest) = (s.get(..10)?, s.get(10..11)?, s.get(11..19)?, s.get(19..)?);
    if sep != "T" && !(ceph && sep == " ") {
        return None;
    }
    let rest = rest.trim();
    let fraction_ok = rest
        .strip_prefix('.')
        .and_then(|r| r.strip_suffix('Z').or((!ceph).then_some(r)))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    if !(rest.is_empty() || rest == "Z" || fraction_ok) {
        return None;
    }
    let date = time::Date::parse(
        date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    let clock = time::Time::parse(
        clock,
        time::macros::format_description!("[hour]:[minute]:[second]"),
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

/// A SigV4 form's `x-amz-date` must be an ISO 8601 basic date-time on the credential's day (AWS
/// dialect; RGW 16.2 does not read it).
fn check_form_date(amz_date: Option<&str>, credential_day: &str) -> Result<(), AwsError> {
    let bad = |m: String| AwsError::invalid_argument(m);
    let Some(amz_date) = amz_date else {
        return Err(bad(
            "Bucket POST must contain a field named 'x-amz-date'.".into()
        ));
    };
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    if time::PrimitiveDateTime::parse(amz_date, fmt).is_err() {
        return Err(bad(format!(
            "x-amz-date `{amz_date}` must be in the ISO 8601 basic format `yyyyMMdd'T'HHmmss'Z'`"
        )));
    }
    if !amz_date.starts_with(credential_day) {
        return Err(bad(format!(
            "x-amz-date `{amz_date}` is not the date of the credential, `{credential_day}`"
        )));
    }
    Ok(())
}

/// Checks signature, expiration and conditions. `secret_for` resolves an access key's secret;
/// `ceph` reads the policy as RGW 16.2 does.
pub fn verify(
    fields: &[Field],
    bucket: &str,
    now: time::OffsetDateTime,
    region: &str,
    ceph: bool,
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<Upload, AwsError> {
    let denied = |m: String| AwsError::access_denied(m);
    let get = |n: &str| fields.iter().find(|f| f.name == n);
    let file = get("file").ok_or_else(|| {
        AwsError::invalid_argument("POST requires exactly one file upload per request.")
    })?;
    if fields.last().map(|f| f.name.as_str()) != Some("file") {
        return Err(AwsError::invalid_argument(
            "the file field must be the last field of the form",
        ));
    }
    let signed = [
        "policy",
        "x-amz-credential",
        "awsaccesskeyid",
        "x-amz-signature",
        "signature",
    ]
    .iter()
    .any(|n| get(n).is_some());
    if !signed {
        return anonymous_upload(fields, file);
    }
    let policy_b64 = get("policy")
        .map(text)
        .ok_or_else(|| denied("Bucket POST must contain a field named 'policy'".into()))?;
    // A form that names its signer but carries no signature is malformed (400), as S3 and RGW
    // answer ceph's s3-tests `test_post_object_missing_signature`.
    let missing = |field: &str| {
        AwsError::invalid_argument(format!("Bucket POST must contain a field named '{field}'."))
    };
    if get("x-amz-credential").is_some() && get("x-amz-signature").is_none() {
        return Err(missing("x-amz-signature"));
    }
    if get("awsaccesskeyid").is_some() && get("signature").is_none() {
        return Err(missing("signature"));
    }
    let (access_key, sigv2) = if let Some(cred) = get("x-amz-credential").map(text) {
        let credential = sigv4::Credential::parse(&cred)
            .map_err(|e| AwsError::invalid_argument(e.to_string()))?;
        let secret = secret_for(&credential.access_key).ok_or_else(|| {
            AwsError::invalid_access_key_id(
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        })?;
        if !ceph {
            check_form_date(get("x-amz-date").map(text).as_deref(), &credential.date)?;
        }
        if credential.region != region {
            return Err(AwsError::authorization_query_parameters_error(format!(
                "the region '{}' is wrong; expecting '{region}'",
                credential.region
            )));
        }
        let key = sigv4::signing_key(
            &secret,
            &credential.date,
            &credential.region,
            &credential.service,
        );
        let want = sigv4::signature(&key, &policy_b64);
        let got = get("x-amz-signature").map(text).unwrap_or_default();
        if !sigv4::constant_time_eq(&want, &got) {
            return Err(AwsError::signature_does_not_match(
                "The request signature we calculated does not match the signature you provided.",
            ));
        }
        (credential.access_key, false)
    } else if let Some(ak) = get("awsaccesskeyid").map(text) {
        let secret = secret_for(&ak).ok_or_else(|| {
            AwsError::invalid_access_key_id(
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        })?;
        let want = crate::auth::v2_signature(&secret, &policy_b64);
        if !sigv4::constant_time_eq(&want, &get("signature").map(text).unwrap_or_default()) {
            return Err(AwsError::signature_does_not_match(
                "The request signature we calculated does not match the signature you provided.",
            ));
        }
        (ak, true)
    } else {
        return Err(denied(
            "Bucket POST must contain x-amz-credential or AWSAccessKeyId".into(),
        ));
    };
    let policy_json = base64::engine::general_purpose::STANDARD
        .decode(policy_b64.trim())
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .ok_or_else(|| bad_policy("Invalid Policy: Invalid JSON."))?;
    let expiration = match policy_json.get("expiration") {
        None => return Err(bad_policy("Invalid Policy: Policy missing expiration.")),
        Some(v) => v
            .as_str()
            .and_then(|s| parse_expiration(s, ceph))
            .ok_or_else(|| {
                bad_policy(format!("Invalid Policy: Invalid 'expiration' value: {v}"))
            })?,
    };
    if now > expiration {
        return Err(denied(
            "Invalid according to Policy: Policy expired.".into(),
        ));
    }
    let conditions = policy_json
        .get("conditions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_policy("Invalid Policy: Policy missing conditions."))?;

    let filename = file.filename.clone().unwrap_or_default();
    let mut values: Vec<(String, String)> = fields
        .iter()
        .filter(|f| f.name != "file")
        .map(|f| {
            let mut v = text(f);
            if f.name == "key" {
                v = v.replace("${filename}", &filename);
            }
            (f.name.clone(), v)
        })
        .collect();
    values.push(("bucket".into(), bucket.to_owned()));
    let value_of = |n: &str| values.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let mut covered: Vec<String> = vec!["bucket".into()];
    let failed = |c: &Value| {
        denied(format!(
            "Invalid according to Policy: Policy Condition failed: {c}"
        ))
    };
    let size = file.value.len() as u64;
    for c in conditions {
        match c {
            // ceph's s3-tests `test_post_object_empty_conditions`: a malformed policy, 400.
            Value::Object(map) if map.is_empty() => {
                return Err(bad_policy(
                    "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
                ))
            }
            Value::Object(map) => {
                for (k, want) in map {
                    let name = k.trim_start_matches('$').to_ascii_lowercase();
                    let want = want
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| want.to_string());
                    if value_of(&name) != Some(want.as_str()) {
                        return Err(failed(c));
                    }
                    covered.push(name);
                }
            }
            Value::Array(items) => match items.as_slice() {
                [Value::String(op), Value::String(field), Value::String(arg)]
                    if op.eq_ignore_ascii_case("eq") || op.eq_ignore_ascii_case("starts-with") =>
                {
                    let name = field.trim_start_matches('$').to_ascii_lowercase();
                    let got = value_of(&name).unwrap_or_default();
                    let ok = if op.eq_ignore_ascii_case("eq") {
                        got == arg
                    } else {
                        got.starts_with(arg.as_str())
                    };
                    if !ok {
                        return Err(failed(c));
                    }
                    covered.push(name);
                }
                [Value::String(op), min, max]
                    if op.eq_ignore_ascii_case("content-length-range") =>
                {
                    let num = |v: &Value| {
                        v.as_u64()
                            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    };
                    let (Some(min), Some(max)) = (num(min), num(max)) else {
                        return Err(bad_policy(
                            "Invalid Policy: content-length-range needs two numbers",
                        ));
                    };
                    if size < min {
                        return Err(AwsError::entity_too_small(
                            "Your proposed upload is smaller than the minimum allowed size",
                        ));
                    }
                    if size > max {
                        return Err(AwsError::entity_too_large(
                            "Your proposed upload exceeds the maximum allowed size",
                        ));
                    }
                }
                _ => return Err(bad_policy(format!("Invalid Policy: Invalid Condition: {c}"))),
            },
            _ => return Err(bad_policy(format!("Invalid Policy: Invalid Condition: {c}"))),
        }
    }
    const EXEMPT: [&str; 5] = [
        "policy",
        "x-amz-signature",
        "signature",
        "awsaccesskeyid",
        "file",
    ];
    for (name, _) in &values {
        if EXEMPT.contains(&name.as_str())
            || name.starts_with("x-ignore-")
            || covered.contains(name)
        {
            continue;
        }
        return Err(denied(format!(
            "Invalid according to Policy: Extra input fields: {name}"
        )));
    }
    let key = value_of("key")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| AwsError::invalid_argument("Bucket POST must contain a field named 'key'."))?
        .to_owned();
    let success_status = match value_of("success_action_status") {
        Some("200") => 200,
        Some("201") => 201,
        _ => 204,
    };
    let redirect = redirect_of(&values);
    Ok(Upload {
        access_key,
        key,
        data: file.value.clone(),
        content_type: value_of("content-type")
            .map(str::to_owned)
            .or_else(|| file.content_type.clone()),
        success_status,
        redirect,
        fields: values,
        sigv2,
        anonymous: false,
    })
}

/// `success_action_redirect` (or `redirect`) when it is a URL S3 can use: otherwise S3 acts as if
/// the field were absent.
fn redirect_of(values: &[(String, String)]) -> Option<String> {
    ["success_action_redirect", "redirect"]
        .iter()
        .find_map(|n| values.iter().find(|(k, _)| k == n))
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| v.starts_with("http://") || v.starts_with("https://"))
}

/// A form with no policy and no signature: its fields as given, nothing to check.
fn anonymous_upload(fields: &[Field], file: &Field) -> Result<Upload, AwsError> {
    let values: Vec<(String, String)> = fields
        .iter()
        .filter(|f| f.name != "file")
        .map(|f| {
            let mut v = text(f);
            if f.name == "key" {
                v = v.replace("${filename}", file.filename.as_deref().unwrap_or_default());
            }
            (f.name.clone(), v)
        })
        .collect();
    let value_of = |n: &str| values.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let key = value_of("key")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| AwsError::invalid_argument("Bucket POST must contain a field named 'key'."))?
        .to_owned();
    let success_status = match value_of("success_action_status") {
        Some("200") => 200,
        Some("201") => 201,
        _ => 204,
    };
    Ok(Upload {
        access_key: String::new(),
        key,
        data: file.value.clone(),
        content_type: value_of("content-type")
            .map(str::to_owned)
            .or_else(|| file.content_type.clone()),
        success_status,
        redirect: redirect_of(&values),
        fields: values,
        sigv2: false,
        anonymous: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn form(fields: &[(&str, &str)], file: &[u8]) -> (String, Vec<u8>) {
        let b = "XyZ";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes());
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={b}"), body)
    }

    fn signed(conditions: serde_json::Value, key: &str, extra: &[(&str, &str)]) -> Vec<Field> {
        let policy =
            serde_json::json!({"expiration": "2030-01-01T00:00:00Z", "conditions": conditions});
        let policy_b64 = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let sk = sigv4::signing_key("secret", "20260101", "us-east-1", "s3");
        let sig = sigv4::signature(&sk, &policy_b64);
        let mut fields = vec![
            ("key", key),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            (
                "x-amz-credential",
                "AKID/20260101/us-east-1/s3/aws4_request",
            ),
            ("x-amz-date", "20260101T000000Z"),
            ("policy", policy_b64.as_str()),
            ("x-amz-signature", sig.as_str()),
        ];
        fields.extend_from_slice(extra);
        let (ct, body) = form(&fields, b"hello");
        parse_form(&ct, &body).unwrap_or_default()
    }

    fn check(fields: &[Field]) -> Result<Upload, AwsError> {
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        verify(fields, "b", now, "us-east-1", false, |ak| {
            (ak == "AKID").then(|| "secret".to_owned())
        })
    }

    fn base_conditions(extra: serde_json::Value) -> serde_json::Value {
        let mut c = vec![
            serde_json::json!({"bucket": "b"}),
            serde_json::json!(["starts-with", "$key", "uploads/"]),
            serde_json::json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
            serde_json::json!({"x-amz-credential": "AKID/20260101/us-east-1/s3/aws4_request"}),
            serde_json::json!({"x-amz-date": "20260101T000000Z"}),
        ];
        if let serde_json::Value::Array(more) = extra {
            c.extend(more);
        }
        serde_json::Value::Array(c)
    }

    #[test]
    fn accepts_a_valid_upload_and_substitutes_the_filename() {
        let f = signed(
            base_conditions(serde_json::json!([["content-length-range", 1, 10]])),
            "uploads/${filename}",
            &[],
        );
        let u = check(&f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.key, "uploads/a.txt");
        assert_eq!(u.data, b"hello");
    }

    #[test]
    fn refuses_what_s3_refuses() {
        let outside = signed(base_conditions(serde_json::json!([])), "other/x", &[]);
        assert_eq!(check(&outside).err().map(|e| e.code), Some("AccessDenied"));
        let too_big = signed(
            base_conditions(serde_json::json!([["content-length-range", 0, 3]])),
            "uploads/x",
            &[],
        );
        assert_eq!(
            check(&too_big).err().map(|e| e.code),
            Some("EntityTooLarge")
        );
        let extra = signed(
            base_conditions(serde_json::json!([])),
            "uploads/x",
            &[("x-amz-meta-who", "me")],
        );
        assert_eq!(check(&extra).err().map(|e| e.code), Some("AccessDenied"));
        let ignored = signed(
            base_conditions(serde_json::json!([])),
            "uploads/x",
            &[("x-ignore-note", "me")],
        );
        assert!(check(&ignored).is_ok());
        let mut tampered = signed(base_conditions(serde_json::json!([])), "uploads/x", &[]);
        if let Some(sig) = tampered.iter_mut().find(|f| f.name == "x-amz-signature") {
            sig.value = b"0".repeat(64);
        }
        assert_eq!(
            check(&tampered).err().map(|e| e.code),
            Some("SignatureDoesNotMatch")
        );
    }

    #[test]
    fn expiration_is_read_as_each_dialect_reads_it() {
        for (text, aws, ceph) in [
            ("2100-01-01T00:00:00.000Z", true, true),
            ("2100-01-01T00:00:00Z", true, true),
            ("2100-01-01T00:00:00", true, true),
            ("2100-01-01T00:00:00.5", true, false),
            ("2100-01-01T01:00:00+01:00", true, false),
            ("2100-01-01 00:00:00", false, true),
            ("2100-01-01 00:00:00.123456", false, false),
            ("2100-01-01", false, false),
            ("4102444800", false, false),
            ("2100-01-01T00:00:00é", false, false),
        ] {
            assert_eq!(parse_expiration(text, false).is_some(), aws, "AWS {text}");
            assert_eq!(parse_expiration(text, true).is_some(), ceph, "Ceph {text}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_form("multipart/form-data; boundary=XyZ", &body);
        }
    }
}
