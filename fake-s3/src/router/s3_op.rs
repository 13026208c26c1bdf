//! Which S3 operation a request is, from its method, target and query's parameter names, as
//! S3's API reference routes them
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html>).

use super::Target;
use crate::error::AwsError;

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
    GetBucketLifecycleConfiguration,
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
    GetObjectAttributes,
}

impl S3Op {
    /// Every operation, for tables and tests.
    #[cfg(test)]
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
        S3Op::GetBucketLifecycleConfiguration,
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
        S3Op::GetObjectAttributes,
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
            S3Op::GetBucketLifecycleConfiguration => "GetBucketLifecycleConfiguration",
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
            S3Op::GetObjectAttributes => "GetObjectAttributes",
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
            // A bucket never has lifecycle rules here; asking for them is answered (404).
            Target::Bucket(_) if *method == Method::GET && has("lifecycle") => {
                S3Op::GetBucketLifecycleConfiguration
            }
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
                for sub in ["retention", "legal-hold", "torrent", "restore"] {
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
                    Method::GET if has("attributes") => S3Op::GetObjectAttributes,
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
