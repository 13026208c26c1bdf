//! What a ticket's holder signs with: the session policy that confines its temporary
//! credentials, and the browser POST form (policy and SigV4 signature) built from them, as S3
//! documents it (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html>).

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{TicketRequest, MAX_POST_BYTES};
use crate::aws::TempCredentials;

/// The session policy: writes (and multipart clean-up) under the prefix, and listing of the
/// prefix only, until `until` (RFC 3339). STS issues credentials for at least 15 minutes; the
/// `aws:CurrentTime` condition ends them at the ticket's own expiry, whatever STS's minimum
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-currenttime>).
pub(super) fn session_policy(bucket: &str, prefix: &str, until: &str) -> String {
    let before = json!({"DateLessThan": {"aws:CurrentTime": until}});
    let mut listing = before.clone();
    if let Some(m) = listing.as_object_mut() {
        m.insert(
            "StringLike".into(),
            json!({"s3:prefix": format!("{prefix}*")}),
        );
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                "Resource": format!("arn:aws:s3:::{bucket}/{prefix}*"),
                "Condition": before,
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": format!("arn:aws:s3:::{bucket}"),
                "Condition": listing,
            }
        ]
    })
    .to_string()
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this never fails.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The POST form: policy and SigV4 signature, as S3 documents them
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html>). Public so tests
/// can sign forms of their own with a ticket's credentials.
pub fn post_form(
    creds: &TempCredentials,
    bucket: &str,
    region: &str,
    request: &TicketRequest,
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> serde_json::Map<String, Value> {
    let date = format!(
        "{:04}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let amz_date = format!(
        "{date}T{:02}{:02}{:02}Z",
        now.hour(),
        now.minute(),
        now.second()
    );
    let credential = format!("{}/{date}/{region}/s3/aws4_request", creds.access_key_id);
    let max = request.max_bytes.unwrap_or(MAX_POST_BYTES);
    let mut conditions = vec![
        json!({"bucket": bucket}),
        json!(["starts-with", "$key", request.prefix]),
        json!(["content-length-range", 0, max]),
        json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
        json!({"x-amz-credential": credential}),
        json!({"x-amz-date": amz_date}),
        json!({"x-amz-security-token": creds.session_token}),
    ];
    if let Some(ct) = &request.content_type {
        conditions.push(json!(["starts-with", "$Content-Type", ct]));
    }
    let expiration = expires
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let policy = json!({"expiration": expiration, "conditions": conditions}).to_string();
    let policy_b64 = base64::engine::general_purpose::STANDARD.encode(policy.as_bytes());
    let key = [
        date.as_bytes(),
        region.as_bytes(),
        b"s3".as_slice(),
        b"aws4_request".as_slice(),
    ]
    .iter()
    .fold(
        format!("AWS4{}", creds.secret_access_key).into_bytes(),
        |k, part| hmac(&k, part),
    );
    let signature = hex::encode(hmac(&key, policy_b64.as_bytes()));
    let mut fields = serde_json::Map::new();
    fields.insert(
        "key".into(),
        Value::String(format!("{}${{filename}}", request.prefix)),
    );
    if let Some(ct) = &request.content_type {
        fields.insert("Content-Type".into(), Value::String(ct.clone()));
    }
    for (k, v) in [
        ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_owned()),
        ("x-amz-credential", credential),
        ("x-amz-date", amz_date),
        ("x-amz-security-token", creds.session_token.clone()),
        ("policy", policy_b64),
        ("x-amz-signature", signature),
    ] {
        fields.insert(k.into(), Value::String(v));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signing-key derivation of AWS's own SigV4 example: the policy is signed with the key
    /// derived from the secret, date, region and service.
    #[test]
    fn signing_key_matches_sigv4() {
        // The SigV4 documentation's derived-key example: secret
        // wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
        let key = [
            b"20120215".as_slice(),
            b"us-east-1",
            b"iam",
            b"aws4_request",
        ]
        .iter()
        .fold(
            b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_vec(),
            |k, part| hmac(&k, part),
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    /// Every statement of the session policy ends at the ticket's expiry, so credentials STS
    /// issued for longer are useless after it.
    #[test]
    fn every_session_statement_ends_at_the_ticket_expiry() {
        let p: Value = serde_json::from_str(&session_policy("b", "p/", "2030-01-01T00:00:00Z"))
            .unwrap_or_default();
        let statements = p["Statement"].as_array().cloned().unwrap_or_default();
        assert_eq!(statements.len(), 2);
        for s in statements {
            assert_eq!(
                s["Condition"]["DateLessThan"]["aws:CurrentTime"], "2030-01-01T00:00:00Z",
                "{s}"
            );
        }
    }
}
