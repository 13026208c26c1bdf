//! Signature Version 2, which S3 still accepts in some regions and Ceph RGW everywhere: the
//! `AWS KEY:SIGNATURE` header and the `Signature`/`Expires` query form
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html>).

use super::*;

/// Sub-resources and response overrides that SigV2 signs: the list S3 and botocore use (note that
/// `publicAccessBlock` is not on it).
pub(super) const V2_SUBRESOURCES: &[&str] = &[
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
#[cfg(test)]
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
pub(super) fn v2_candidates(parts: &RequestParts<'_>, date_or_expires: &str) -> Vec<String> {
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

pub(super) fn v2_matches(
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

pub(super) fn v2_string_to_sign_for(
    parts: &RequestParts<'_>,
    date_or_expires: &str,
    path: &str,
) -> String {
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
        .filter(|(k, _)| V2_SUBRESOURCES.contains(k))
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

pub(super) fn v2_header(
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

pub(super) fn v2_query(
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
        let at = OffsetDateTime::from_unix_timestamp(expires).unwrap_or(now);
        return Err(AwsError::request_expired(None, at, now));
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
