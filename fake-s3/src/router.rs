//! Routing as AWS does it, as pure functions: host → [`HostForm`], path → [`Target`], method and
//! query → [`S3Op`] with the IAM action it needs, and S3 Control's path → [`ControlOp`]
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/creating-access-points.html#access-points-naming>,
//! <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>).
//!
//! SDKs pointed at a custom endpoint put the bucket (`BUCKET.localhost:9000`), the access point
//! (`NAME-ACCOUNT.127.0.0.1:9000`) or the S3 Control account (`ACCOUNT.127.0.0.1:9000`) in front
//! of the endpoint's host; AWS's own host names spell the kind out (`s3-accesspoint`,
//! `s3-control`). A prefix that could be either an access point or a bucket is settled by the
//! server, which knows which exists.

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
    let host = host.trim().to_ascii_lowercase();
    let host = strip_port(&host);
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

/// The S3 operations the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum S3Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketVersioning,
    PutBucketVersioning,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    ListMultipartUploads,
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
    GetBucketPolicyStatus,
    GetBucketCors,
    PutBucketCors,
    DeleteBucketCors,
    GetBucketAcl,
    PutBucketAcl,
    GetObjectAcl,
    PutObjectAcl,
    GetBucketOwnershipControls,
    PutBucketOwnershipControls,
    DeleteBucketOwnershipControls,
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
    GetPublicAccessBlock,
    PutPublicAccessBlock,
    DeletePublicAccessBlock,
    DeleteObjects,
    PostObject,
    GetObject,
    HeadObject,
    PutObject,
    CopyObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
}

impl S3Op {
    /// Every operation, for tables and tests.
    pub const ALL: &'static [S3Op] = &[
        S3Op::ListBuckets,
        S3Op::CreateBucket,
        S3Op::HeadBucket,
        S3Op::DeleteBucket,
        S3Op::GetBucketLocation,
        S3Op::GetBucketVersioning,
        S3Op::PutBucketVersioning,
        S3Op::ListObjects,
        S3Op::ListObjectsV2,
        S3Op::ListObjectVersions,
        S3Op::ListMultipartUploads,
        S3Op::GetBucketPolicy,
        S3Op::PutBucketPolicy,
        S3Op::DeleteBucketPolicy,
        S3Op::GetBucketPolicyStatus,
        S3Op::GetBucketCors,
        S3Op::PutBucketCors,
        S3Op::DeleteBucketCors,
        S3Op::GetBucketAcl,
        S3Op::PutBucketAcl,
        S3Op::GetObjectAcl,
        S3Op::PutObjectAcl,
        S3Op::GetBucketOwnershipControls,
        S3Op::PutBucketOwnershipControls,
        S3Op::DeleteBucketOwnershipControls,
        S3Op::GetBucketTagging,
        S3Op::PutBucketTagging,
        S3Op::DeleteBucketTagging,
        S3Op::GetObjectTagging,
        S3Op::PutObjectTagging,
        S3Op::DeleteObjectTagging,
        S3Op::GetPublicAccessBlock,
        S3Op::PutPublicAccessBlock,
        S3Op::DeletePublicAccessBlock,
        S3Op::DeleteObjects,
        S3Op::PostObject,
        S3Op::GetObject,
        S3Op::HeadObject,
        S3Op::PutObject,
        S3Op::CopyObject,
        S3Op::DeleteObject,
        S3Op::CreateMultipartUpload,
        S3Op::UploadPart,
        S3Op::UploadPartCopy,
        S3Op::CompleteMultipartUpload,
        S3Op::AbortMultipartUpload,
        S3Op::ListParts,
    ];

    /// The operation's name, for logs and the journal.
    pub fn name(self) -> &'static str {
        match self {
            S3Op::ListBuckets => "ListBuckets",
            S3Op::CreateBucket => "CreateBucket",
            S3Op::HeadBucket => "HeadBucket",
            S3Op::DeleteBucket => "DeleteBucket",
            S3Op::GetBucketLocation => "GetBucketLocation",
            S3Op::GetBucketVersioning => "GetBucketVersioning",
            S3Op::PutBucketVersioning => "PutBucketVersioning",
            S3Op::ListObjects => "ListObjects",
            S3Op::ListObjectsV2 => "ListObjectsV2",
            S3Op::ListObjectVersions => "ListObjectVersions",
            S3Op::ListMultipartUploads => "ListMultipartUploads",
            S3Op::GetBucketPolicy => "GetBucketPolicy",
            S3Op::PutBucketPolicy => "PutBucketPolicy",
            S3Op::DeleteBucketPolicy => "DeleteBucketPolicy",
            S3Op::GetBucketPolicyStatus => "GetBucketPolicyStatus",
            S3Op::GetBucketCors => "GetBucketCors",
            S3Op::PutBucketCors => "PutBucketCors",
            S3Op::DeleteBucketCors => "DeleteBucketCors",
            S3Op::GetBucketAcl => "GetBucketAcl",
            S3Op::PutBucketAcl => "PutBucketAcl",
            S3Op::GetObjectAcl => "GetObjectAcl",
            S3Op::PutObjectAcl => "PutObjectAcl",
            S3Op::GetBucketOwnershipControls => "GetBucketOwnershipControls",
            S3Op::PutBucketOwnershipControls => "PutBucketOwnershipControls",
            S3Op::DeleteBucketOwnershipControls => "DeleteBucketOwnershipControls",
            S3Op::GetBucketTagging => "GetBucketTagging",
            S3Op::PutBucketTagging => "PutBucketTagging",
            S3Op::DeleteBucketTagging => "DeleteBucketTagging",
            S3Op::GetObjectTagging => "GetObjectTagging",
            S3Op::PutObjectTagging => "PutObjectTagging",
            S3Op::DeleteObjectTagging => "DeleteObjectTagging",
            S3Op::GetPublicAccessBlock => "GetPublicAccessBlock",
            S3Op::PutPublicAccessBlock => "PutPublicAccessBlock",
            S3Op::DeletePublicAccessBlock => "DeletePublicAccessBlock",
            S3Op::DeleteObjects => "DeleteObjects",
            S3Op::PostObject => "PostObject",
            S3Op::GetObject => "GetObject",
            S3Op::HeadObject => "HeadObject",
            S3Op::PutObject => "PutObject",
            S3Op::CopyObject => "CopyObject",
            S3Op::DeleteObject => "DeleteObject",
            S3Op::CreateMultipartUpload => "CreateMultipartUpload",
            S3Op::UploadPart => "UploadPart",
            S3Op::UploadPartCopy => "UploadPartCopy",
            S3Op::CompleteMultipartUpload => "CompleteMultipartUpload",
            S3Op::AbortMultipartUpload => "AbortMultipartUpload",
            S3Op::ListParts => "ListParts",
        }
    }

    /// The IAM action the request needs (for `DeleteObjects`, per key; for copies, on the
    /// destination, with `s3:GetObject` also checked on the source).
    pub fn action(self) -> &'static str {
        match self {
            S3Op::ListBuckets => "s3:ListAllMyBuckets",
            S3Op::CreateBucket => "s3:CreateBucket",
            S3Op::HeadBucket | S3Op::ListObjects | S3Op::ListObjectsV2 => "s3:ListBucket",
            S3Op::DeleteBucket => "s3:DeleteBucket",
            S3Op::GetBucketLocation => "s3:GetBucketLocation",
            S3Op::GetBucketVersioning => "s3:GetBucketVersioning",
            S3Op::PutBucketVersioning => "s3:PutBucketVersioning",
            S3Op::ListObjectVersions => "s3:ListBucketVersions",
            S3Op::ListMultipartUploads => "s3:ListBucketMultipartUploads",
            S3Op::GetBucketPolicy => "s3:GetBucketPolicy",
            S3Op::PutBucketPolicy => "s3:PutBucketPolicy",
            S3Op::DeleteBucketPolicy => "s3:DeleteBucketPolicy",
            S3Op::GetBucketPolicyStatus => "s3:GetBucketPolicyStatus",
            S3Op::GetBucketCors => "s3:GetBucketCORS",
            S3Op::PutBucketCors | S3Op::DeleteBucketCors => "s3:PutBucketCORS",
            S3Op::GetBucketAcl => "s3:GetBucketAcl",
            S3Op::PutBucketAcl => "s3:PutBucketAcl",
            S3Op::GetObjectAcl => "s3:GetObjectAcl",
            S3Op::PutObjectAcl => "s3:PutObjectAcl",
            S3Op::GetBucketOwnershipControls => "s3:GetBucketOwnershipControls",
            S3Op::PutBucketOwnershipControls | S3Op::DeleteBucketOwnershipControls => {
                "s3:PutBucketOwnershipControls"
            }
            S3Op::GetBucketTagging => "s3:GetBucketTagging",
            S3Op::PutBucketTagging | S3Op::DeleteBucketTagging => "s3:PutBucketTagging",
            S3Op::GetObjectTagging => "s3:GetObjectTagging",
            S3Op::PutObjectTagging => "s3:PutObjectTagging",
            S3Op::DeleteObjectTagging => "s3:DeleteObjectTagging",
            S3Op::GetPublicAccessBlock => "s3:GetBucketPublicAccessBlock",
            S3Op::PutPublicAccessBlock | S3Op::DeletePublicAccessBlock => {
                "s3:PutBucketPublicAccessBlock"
            }
            S3Op::DeleteObjects | S3Op::DeleteObject => "s3:DeleteObject",
            S3Op::GetObject | S3Op::HeadObject => "s3:GetObject",
            S3Op::PostObject
            | S3Op::PutObject
            | S3Op::CopyObject
            | S3Op::CreateMultipartUpload
            | S3Op::UploadPart
            | S3Op::UploadPartCopy
            | S3Op::CompleteMultipartUpload => "s3:PutObject",
            S3Op::AbortMultipartUpload => "s3:AbortMultipartUpload",
            S3Op::ListParts => "s3:ListMultipartUploadParts",
        }
    }

    /// Works out the operation from the method, the target and the query's parameter names.
    pub fn resolve(
        method: &http::Method,
        target: &Target,
        query_keys: &[&str],
        copy_source: bool,
        form_upload: bool,
    ) -> Result<S3Op, AwsError> {
        use http::Method;
        let has = |k: &str| query_keys.contains(&k);
        let unsupported =
            |what: &str| AwsError::not_implemented(format!("the fake does not implement {what}"));
        let op = match target {
            Target::Root => match *method {
                Method::GET => S3Op::ListBuckets,
                _ => {
                    return Err(AwsError::method_not_allowed(
                        "The specified method is not allowed against this resource.",
                    ))
                }
            },
            Target::Bucket(_) => {
                const SUBRESOURCES: [&str; 6] = [
                    "lifecycle",
                    "logging",
                    "notification",
                    "replication",
                    "website",
                    "encryption",
                ];
                if let Some(sub) = SUBRESOURCES.iter().find(|s| has(s)) {
                    return Err(unsupported(&format!("the bucket `?{sub}` subresource")));
                }
                match *method {
                    Method::GET if has("acl") => S3Op::GetBucketAcl,
                    Method::PUT if has("acl") => S3Op::PutBucketAcl,
                    Method::GET if has("ownershipControls") => S3Op::GetBucketOwnershipControls,
                    Method::PUT if has("ownershipControls") => S3Op::PutBucketOwnershipControls,
                    Method::DELETE if has("ownershipControls") => {
                        S3Op::DeleteBucketOwnershipControls
                    }
                    Method::GET if has("tagging") => S3Op::GetBucketTagging,
                    Method::PUT if has("tagging") => S3Op::PutBucketTagging,
                    Method::DELETE if has("tagging") => S3Op::DeleteBucketTagging,
                    Method::GET if has("cors") => S3Op::GetBucketCors,
                    Method::PUT if has("cors") => S3Op::PutBucketCors,
                    Method::DELETE if has("cors") => S3Op::DeleteBucketCors,
                    Method::GET if has("policy") => S3Op::GetBucketPolicy,
                    Method::GET if has("policyStatus") => S3Op::GetBucketPolicyStatus,
                    Method::GET if has("publicAccessBlock") => S3Op::GetPublicAccessBlock,
                    Method::GET if has("location") => S3Op::GetBucketLocation,
                    Method::GET if has("versioning") => S3Op::GetBucketVersioning,
                    Method::GET if has("versions") => S3Op::ListObjectVersions,
                    Method::GET if has("uploads") => S3Op::ListMultipartUploads,
                    Method::GET if has("list-type") => S3Op::ListObjectsV2,
                    Method::GET => S3Op::ListObjects,
                    Method::HEAD => S3Op::HeadBucket,
                    Method::PUT if has("policy") => S3Op::PutBucketPolicy,
                    Method::PUT if has("publicAccessBlock") => S3Op::PutPublicAccessBlock,
                    Method::PUT if has("versioning") => S3Op::PutBucketVersioning,
                    Method::PUT => S3Op::CreateBucket,
                    Method::DELETE if has("policy") => S3Op::DeleteBucketPolicy,
                    Method::DELETE if has("publicAccessBlock") => S3Op::DeletePublicAccessBlock,
                    Method::DELETE => S3Op::DeleteBucket,
                    Method::POST if has("delete") => S3Op::DeleteObjects,
                    Method::POST if form_upload => S3Op::PostObject,
                    _ => {
                        return Err(AwsError::method_not_allowed(
                            "The specified method is not allowed against this resource.",
                        ))
                    }
                }
            }
            Target::Object(..) => {
                for sub in [
                    "retention",
                    "legal-hold",
                    "torrent",
                    "restore",
                    "attributes",
                ] {
                    if has(sub) {
                        return Err(unsupported(&format!("the object `?{sub}` subresource")));
                    }
                }
                match *method {
                    Method::GET if has("acl") => S3Op::GetObjectAcl,
                    Method::PUT if has("acl") => S3Op::PutObjectAcl,
                    Method::GET if has("tagging") => S3Op::GetObjectTagging,
                    Method::PUT if has("tagging") => S3Op::PutObjectTagging,
                    Method::DELETE if has("tagging") => S3Op::DeleteObjectTagging,
                    Method::GET if has("uploadId") => S3Op::ListParts,
                    Method::GET => S3Op::GetObject,
                    Method::HEAD => S3Op::HeadObject,
                    Method::PUT if has("partNumber") && has("uploadId") && copy_source => {
                        S3Op::UploadPartCopy
                    }
                    Method::PUT if has("partNumber") && has("uploadId") => S3Op::UploadPart,
                    Method::PUT if copy_source => S3Op::CopyObject,
                    Method::PUT => S3Op::PutObject,
                    Method::DELETE if has("uploadId") => S3Op::AbortMultipartUpload,
                    Method::DELETE => S3Op::DeleteObject,
                    Method::POST if has("uploads") => S3Op::CreateMultipartUpload,
                    Method::POST if has("uploadId") => S3Op::CompleteMultipartUpload,
                    _ => {
                        return Err(AwsError::method_not_allowed(
                            "The specified method is not allowed against this resource.",
                        ))
                    }
                }
            }
        };
        // A sub-resource the fake does not serve must never fall through to a plain bucket
        // operation (`DELETE ?ownershipControls` is not DeleteBucket).
        let allowed: &[&str] = match op {
            S3Op::ListObjects => &["prefix", "delimiter", "marker", "max-keys", "encoding-type"],
            S3Op::ListObjectsV2 => &[
                "list-type",
                "prefix",
                "delimiter",
                "max-keys",
                "encoding-type",
                "continuation-token",
                "start-after",
                "fetch-owner",
            ],
            S3Op::ListObjectVersions => &[
                "versions",
                "prefix",
                "delimiter",
                "max-keys",
                "encoding-type",
                "key-marker",
                "version-id-marker",
            ],
            S3Op::ListMultipartUploads => &[
                "uploads",
                "prefix",
                "delimiter",
                "max-uploads",
                "encoding-type",
                "key-marker",
                "upload-id-marker",
            ],
            S3Op::CreateBucket | S3Op::DeleteBucket | S3Op::HeadBucket => &[],
            _ => return Ok(op),
        };
        if let Some(extra) = query_keys
            .iter()
            .find(|k| **k != "x-id" && !allowed.contains(k))
        {
            return Err(unsupported(&format!(
                "the bucket `?{extra}` sub-resource or parameter"
            )));
        }
        Ok(op)
    }
}

/// An S3 Control operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlOp {
    CreateAccessPoint,
    GetAccessPoint,
    DeleteAccessPoint,
    ListAccessPoints,
    PutAccessPointPolicy,
    GetAccessPointPolicy,
    DeleteAccessPointPolicy,
    GetAccessPointPolicyStatus,
}

impl ControlOp {
    /// Every operation, for tables and tests.
    pub const ALL: &'static [ControlOp] = &[
        ControlOp::CreateAccessPoint,
        ControlOp::GetAccessPoint,
        ControlOp::DeleteAccessPoint,
        ControlOp::ListAccessPoints,
        ControlOp::PutAccessPointPolicy,
        ControlOp::GetAccessPointPolicy,
        ControlOp::DeleteAccessPointPolicy,
        ControlOp::GetAccessPointPolicyStatus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ControlOp::CreateAccessPoint => "CreateAccessPoint",
            ControlOp::GetAccessPoint => "GetAccessPoint",
            ControlOp::DeleteAccessPoint => "DeleteAccessPoint",
            ControlOp::ListAccessPoints => "ListAccessPoints",
            ControlOp::PutAccessPointPolicy => "PutAccessPointPolicy",
            ControlOp::GetAccessPointPolicy => "GetAccessPointPolicy",
            ControlOp::DeleteAccessPointPolicy => "DeleteAccessPointPolicy",
            ControlOp::GetAccessPointPolicyStatus => "GetAccessPointPolicyStatus",
        }
    }

    /// The IAM action.
    pub fn action(self) -> &'static str {
        match self {
            ControlOp::CreateAccessPoint => "s3:CreateAccessPoint",
            ControlOp::GetAccessPoint => "s3:GetAccessPoint",
            ControlOp::DeleteAccessPoint => "s3:DeleteAccessPoint",
            ControlOp::ListAccessPoints => "s3:ListAccessPoints",
            ControlOp::PutAccessPointPolicy => "s3:PutAccessPointPolicy",
            ControlOp::GetAccessPointPolicy => "s3:GetAccessPointPolicy",
            ControlOp::DeleteAccessPointPolicy => "s3:DeleteAccessPointPolicy",
            ControlOp::GetAccessPointPolicyStatus => "s3:GetAccessPointPolicyStatus",
        }
    }
}

/// S3 Control: reads the operation and access point name from the path
/// (`/v20180820/accesspoint[/NAME[/policy|/policyStatus]]`). Names in ARN form
/// (`arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`, URL-encoded) are reduced to the name.
pub fn control_route(
    method: &http::Method,
    decoded_path: &str,
) -> Result<(ControlOp, Option<String>), AwsError> {
    let rest = decoded_path
        .strip_prefix("/v20180820/accesspoint")
        .ok_or_else(|| {
            AwsError::not_implemented(
                "the fake implements only the access point operations of S3 Control",
            )
        })?;
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        return match *method {
            http::Method::GET => Ok((ControlOp::ListAccessPoints, None)),
            _ => Err(AwsError::method_not_allowed(
                "The specified method is not allowed against this resource.",
            )),
        };
    }
    let (name, sub) = match rest.rsplit_once('/') {
        Some((n, s @ ("policy" | "policyStatus"))) => (n, Some(s)),
        _ => (rest, None),
    };
    let name = name
        .rsplit_once(":accesspoint/")
        .map_or(name, |(_, n)| n)
        .to_owned();
    let op = match (method, sub) {
        (&http::Method::PUT, None) => ControlOp::CreateAccessPoint,
        (&http::Method::GET, None) => ControlOp::GetAccessPoint,
        (&http::Method::DELETE, None) => ControlOp::DeleteAccessPoint,
        (&http::Method::PUT, Some("policy")) => ControlOp::PutAccessPointPolicy,
        (&http::Method::GET, Some("policy")) => ControlOp::GetAccessPointPolicy,
        (&http::Method::DELETE, Some("policy")) => ControlOp::DeleteAccessPointPolicy,
        (&http::Method::GET, Some("policyStatus")) => ControlOp::GetAccessPointPolicyStatus,
        _ => {
            return Err(AwsError::method_not_allowed(
                "The specified method is not allowed against this resource.",
            ))
        }
    };
    Ok((op, Some(name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn control_routes() {
        assert_eq!(
            control_route(&Method::GET, "/v20180820/accesspoint").ok(),
            Some((ControlOp::ListAccessPoints, None))
        );
        assert_eq!(
            control_route(&Method::PUT, "/v20180820/accesspoint/ap1/policy").ok(),
            Some((ControlOp::PutAccessPointPolicy, Some("ap1".into())))
        );
        assert_eq!(
            control_route(
                &Method::GET,
                "/v20180820/accesspoint/arn:aws:s3:us-east-1:111122223333:accesspoint/ap1"
            )
            .ok(),
            Some((ControlOp::GetAccessPoint, Some("ap1".into())))
        );
        assert!(control_route(&Method::GET, "/v20180820/jobs").is_err());
    }

    use rstest::rstest;

    #[rstest]
    #[case("127.0.0.1:9000", HostForm::Plain)]
    #[case("localhost:9000", HostForm::Plain)]
    #[case("s3.amazonaws.com", HostForm::Plain)]
    #[case("s3.us-west-2.amazonaws.com", HostForm::Plain)]
    #[case("b.localhost:9000", HostForm::Prefixed("b".into()))]
    #[case("my.dotted.bucket.localhost", HostForm::Prefixed("my.dotted.bucket".into()))]
    #[case("myap-111122223333.127.0.0.1:9000", HostForm::Prefixed("myap-111122223333".into()))]
    #[case("111122223333.127.0.0.1:9000", HostForm::Prefixed("111122223333".into()))]
    #[case("B.S3.AMAZONAWS.COM", HostForm::Prefixed("b".into()))]
    #[case("b.s3.eu-west-1.amazonaws.com", HostForm::Prefixed("b".into()))]
    #[case("myap-111122223333.s3-accesspoint.us-east-1.amazonaws.com", HostForm::AccessPoint { name: "myap".into(), account: "111122223333".into() })]
    #[case("111122223333.s3-control.us-east-1.amazonaws.com", HostForm::Control { account: "111122223333".into() })]
    #[case("example.com", HostForm::Plain)]
    fn hosts(#[case] host: &str, #[case] want: HostForm) {
        assert_eq!(classify_host(host), want);
    }

    #[rstest]
    #[case("/", None, Target::Root)]
    #[case("/b", None, Target::Bucket("b".into()))]
    #[case("/b/", None, Target::Bucket("b".into()))]
    #[case("/b/a/b%20c/", None, Target::Object("b".into(), "a/b c/".into()))]
    #[case("/", Some("b"), Target::Bucket("b".into()))]
    #[case("/k%2Fx", Some("b"), Target::Object("b".into(), "k/x".into()))]
    fn paths(#[case] path: &str, #[case] bucket: Option<&str>, #[case] want: Target) {
        assert_eq!(parse_path(path, bucket).ok(), Some(want));
    }

    #[test]
    fn bad_paths_are_errors() {
        assert!(parse_path("/b/%ff", None).is_err());
        assert!(parse_path("/b/%zz", None).is_err());
    }

    #[rstest]
    #[case(Method::GET, Target::Root, "", S3Op::ListBuckets)]
    #[case(Method::GET, Target::Bucket("b".into()), "list-type", S3Op::ListObjectsV2)]
    #[case(Method::GET, Target::Bucket("b".into()), "", S3Op::ListObjects)]
    #[case(Method::PUT, Target::Bucket("b".into()), "policy", S3Op::PutBucketPolicy)]
    #[case(Method::PUT, Target::Bucket("b".into()), "", S3Op::CreateBucket)]
    #[case(Method::POST, Target::Bucket("b".into()), "delete", S3Op::DeleteObjects)]
    #[case(Method::HEAD, Target::Object("b".into(), "k".into()), "", S3Op::HeadObject)]
    #[case(Method::PUT, Target::Object("b".into(), "k".into()), "partNumber,uploadId", S3Op::UploadPart)]
    #[case(Method::POST, Target::Object("b".into(), "k".into()), "uploads", S3Op::CreateMultipartUpload)]
    #[case(Method::DELETE, Target::Object("b".into(), "k".into()), "uploadId", S3Op::AbortMultipartUpload)]
    #[case(Method::DELETE, Target::Bucket("b".into()), "ownershipControls", S3Op::DeleteBucketOwnershipControls)]
    #[case(Method::DELETE, Target::Bucket("b".into()), "cors", S3Op::DeleteBucketCors)]
    #[case(Method::DELETE, Target::Bucket("b".into()), "tagging", S3Op::DeleteBucketTagging)]
    #[case(Method::PUT, Target::Bucket("b".into()), "versioning", S3Op::PutBucketVersioning)]
    #[case(Method::DELETE, Target::Object("b".into(), "k".into()), "tagging", S3Op::DeleteObjectTagging)]
    #[case(Method::DELETE, Target::Object("b".into(), "k".into()), "versionId", S3Op::DeleteObject)]
    fn operations(#[case] m: Method, #[case] t: Target, #[case] q: &str, #[case] want: S3Op) {
        let names: Vec<&str> = q.split(',').filter(|s| !s.is_empty()).collect();
        let op = S3Op::resolve(&m, &t, &names, false, false);
        assert_eq!(op.ok(), Some(want));
    }

    #[rstest]
    #[case(Method::DELETE, "metrics")]
    #[case(Method::DELETE, "analytics")]
    #[case(Method::PUT, "requestPayment")]
    #[case(Method::PUT, "accelerate")]
    #[case(Method::GET, "object-lock")]
    #[case(Method::GET, "intelligent-tiering")]
    fn unserved_subresources_never_become_bucket_operations(#[case] m: Method, #[case] sub: &str) {
        let op = S3Op::resolve(&m, &Target::Bucket("b".into()), &[sub], false, false);
        assert_eq!(
            op.err().map(|e| e.code),
            Some("NotImplemented"),
            "{m} ?{sub}"
        );
    }

    #[test]
    fn access_point_labels() {
        assert_eq!(
            split_access_point_label("my-ap-111122223333"),
            Some(("my-ap", "111122223333"))
        );
        assert_eq!(split_access_point_label("bucket"), None);
        assert_eq!(split_access_point_label("-111122223333"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn hosts_and_paths_never_panic(host in "\\PC{0,60}", path in "\\PC{0,60}") {
            let _ = classify_host(&host);
            let _ = parse_path(&path, None);
            let _ = parse_path(&path, Some("b"));
        }
    }
}
