//! Host and path, as pure functions: host → [`HostForm`], path → [`Target`]
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/creating-access-points.html#access-points-naming>).
//!
//! SDKs pointed at a custom endpoint put the bucket (`BUCKET.localhost:9000`), the access point
//! (`NAME-ACCOUNT.127.0.0.1:9000`) or the S3 Control account (`ACCOUNT.127.0.0.1:9000`) in front
//! of the endpoint's host; AWS's own host names spell the kind out (`s3-accesspoint`,
//! `s3-control`). A prefix that could be either an access point or a bucket is settled by the
//! server, which knows which exists ([`super::address`]).

use crate::error::AwsError;
use crate::sigv4::percent_decode;

/// What the `Host` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostForm {
    /// The service endpoint itself: path-style S3, STS, or S3 Control with `x-amz-account-id`.
    Plain,
    /// A label in front of a known endpoint host: a bucket, `NAME-ACCOUNT` or an account id.
    Prefixed(String),
    /// `NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com`.
    AccessPoint { name: String, account: String },
    /// `ACCOUNT.s3-control.REGION.amazonaws.com`.
    Control { account: String },
}

/// Splits `NAME-ACCOUNT` into the access point's name and account.
pub fn split_access_point_label(label: &str) -> Option<(&str, &str)> {
    let (name, account) = label.rsplit_once('-')?;
    (policy_eval::arn::is_account_id(account) && !name.is_empty()).then_some((name, account))
}

/// Reads the `Host` header (port dropped, case folded).
pub fn classify_host(host: &str) -> HostForm {
    let host = host.trim();
    // Folded only when it needs to be: clients send lower case.
    let folded;
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        folded = host.to_ascii_lowercase();
        folded.as_str()
    } else {
        host
    };
    let host = strip_port(host);
    if is_endpoint_host(host) {
        return HostForm::Plain;
    }
    if let Some((label, rest)) = host.split_once('.') {
        if let Some(region_rest) = rest.strip_prefix("s3-accesspoint.") {
            if region_rest.ends_with(".amazonaws.com") {
                if let Some((name, account)) = split_access_point_label(label) {
                    return HostForm::AccessPoint {
                        name: name.to_owned(),
                        account: account.to_owned(),
                    };
                }
            }
        }
        if rest.starts_with("s3-control.") && policy_eval::arn::is_account_id(label) {
            return HostForm::Control {
                account: label.to_owned(),
            };
        }
    }
    // `BUCKET.s3.amazonaws.com`, `BUCKET.s3.REGION.amazonaws.com`, `X.localhost`, `X.127.0.0.1`:
    // the prefix is everything before the endpoint host.
    for (i, _) in host.match_indices('.') {
        let (prefix, endpoint) = (&host[..i], &host[i + 1..]);
        if is_endpoint_host(endpoint) && !prefix.is_empty() {
            return HostForm::Prefixed(prefix.to_owned());
        }
    }
    HostForm::Plain
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Host names that are the service endpoint itself.
fn is_endpoint_host(host: &str) -> bool {
    if host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() || host == "[::1]" {
        return true;
    }
    let Some(service) = host.strip_suffix(".amazonaws.com") else {
        return false;
    };
    let mut labels = service.split('.');
    match (labels.next(), labels.next(), labels.next()) {
        (Some("s3" | "sts" | "s3-control" | "s3-accesspoint"), None, None) => true,
        (Some("s3" | "sts" | "s3-control" | "s3-accesspoint"), Some(_region), None) => true,
        (Some(s), None, None) if s.starts_with("s3-") => true,
        _ => false,
    }
}

/// What the path names, for S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Root,
    Bucket(String),
    Object(String, String),
}

/// Reads an S3 path: path-style when `host_bucket` is `None`, virtual-host style otherwise. Keys
/// are percent-decoded and must be UTF-8.
pub fn parse_path(raw_path: &str, host_bucket: Option<&str>) -> Result<Target, AwsError> {
    let decoded = percent_decode(raw_path).ok_or_else(|| {
        AwsError::invalid_argument("the request path is not valid percent-encoded UTF-8")
    })?;
    let path = decoded.strip_prefix('/').unwrap_or(&decoded);
    match host_bucket {
        Some(bucket) => Ok(if path.is_empty() {
            Target::Bucket(bucket.to_owned())
        } else {
            Target::Object(bucket.to_owned(), path.to_owned())
        }),
        None => {
            if path.is_empty() {
                return Ok(Target::Root);
            }
            match path.split_once('/') {
                None => Ok(Target::Bucket(path.to_owned())),
                Some((bucket, "")) => Ok(Target::Bucket(bucket.to_owned())),
                Some((bucket, key)) => Ok(Target::Object(bucket.to_owned(), key.to_owned())),
            }
        }
    }
}
