//! Errors as AWS shapes them (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>):
//! S3 answers `<Error><Code/><Message/><Resource/><RequestId/><HostId/></Error>`, S3 Control and
//! STS and IAM wrap the same fields in `<ErrorResponse>`.

use http::StatusCode;

/// Which API's error envelope to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    S3,
    Control,
    Sts,
    Iam,
}

/// An error response: AWS code, HTTP status and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    pub code: &'static str,
    pub status: StatusCode,
    pub message: String,
    /// The bucket or key the error is about, when there is one.
    pub resource: Option<String>,
    /// Headers the error response carries (`x-amz-delete-marker`, `x-amz-version-id`).
    pub headers: Vec<(String, String)>,
    /// Elements S3 adds after `<Message>` for some errors (an expired URL's `<Expires>` and
    /// `<ServerTime>`), in order.
    pub details: Vec<(&'static str, String)>,
}

macro_rules! errors {
    ($($fn_name:ident => $code:literal, $status:ident;)*) => {
        impl AwsError {
            $(
                #[doc = concat!("`", $code, "`")]
                pub fn $fn_name(message: impl Into<String>) -> Self {
                    AwsError { code: $code, status: StatusCode::$status, message: message.into(), resource: None, headers: Vec::new(), details: Vec::new() }
                }
            )*
        }
    };
}

errors! {
    access_denied => "AccessDenied", FORBIDDEN;
    invalid_access_key_id => "InvalidAccessKeyId", FORBIDDEN;
    signature_does_not_match => "SignatureDoesNotMatch", FORBIDDEN;
    request_time_too_skewed => "RequestTimeTooSkewed", FORBIDDEN;
    expired_token => "ExpiredToken", BAD_REQUEST;
    invalid_token => "InvalidToken", BAD_REQUEST;
    authorization_header_malformed => "AuthorizationHeaderMalformed", BAD_REQUEST;
    authorization_query_parameters_error => "AuthorizationQueryParametersError", BAD_REQUEST;
    content_sha256_mismatch => "XAmzContentSHA256Mismatch", BAD_REQUEST;
    bad_digest => "BadDigest", BAD_REQUEST;
    invalid_argument => "InvalidArgument", BAD_REQUEST;
    invalid_request => "InvalidRequest", BAD_REQUEST;
    invalid_bucket_name => "InvalidBucketName", BAD_REQUEST;
    incomplete_body => "IncompleteBody", BAD_REQUEST;
    malformed_xml => "MalformedXML", BAD_REQUEST;
    malformed_policy => "MalformedPolicy", BAD_REQUEST;
    max_message_length_exceeded => "MaxMessageLengthExceeded", BAD_REQUEST;
    malformed_policy_document => "MalformedPolicyDocument", BAD_REQUEST;
    invalid_client_token_id => "InvalidClientTokenId", FORBIDDEN;
    invalid_range => "InvalidRange", RANGE_NOT_SATISFIABLE;
    no_such_bucket => "NoSuchBucket", NOT_FOUND;
    no_such_key => "NoSuchKey", NOT_FOUND;
    no_such_version => "NoSuchVersion", NOT_FOUND;
    illegal_versioning_configuration => "IllegalVersioningConfigurationException", BAD_REQUEST;
    no_such_cors_configuration => "NoSuchCORSConfiguration", NOT_FOUND;
    no_such_lifecycle_configuration => "NoSuchLifecycleConfiguration", NOT_FOUND;
    no_such_tag_set => "NoSuchTagSet", NOT_FOUND;
    ownership_controls_not_found => "OwnershipControlsNotFoundError", NOT_FOUND;
    acl_not_supported => "AccessControlListNotSupported", BAD_REQUEST;
    invalid_bucket_acl_with_object_ownership => "InvalidBucketAclWithObjectOwnership", BAD_REQUEST;
    malformed_acl_error => "MalformedACLError", BAD_REQUEST;
    invalid_tag => "InvalidTag", BAD_REQUEST;
    cors_forbidden => "AccessForbidden", FORBIDDEN;
    bad_request => "BadRequest", BAD_REQUEST;
    no_such_bucket_policy => "NoSuchBucketPolicy", NOT_FOUND;
    no_such_public_access_block => "NoSuchPublicAccessBlockConfiguration", NOT_FOUND;
    no_such_upload => "NoSuchUpload", NOT_FOUND;
    no_such_access_point => "NoSuchAccessPoint", NOT_FOUND;
    no_such_access_point_policy => "NoSuchAccessPointPolicy", NOT_FOUND;
    bucket_already_owned_by_you => "BucketAlreadyOwnedByYou", CONFLICT;
    bucket_already_exists => "BucketAlreadyExists", CONFLICT;
    bucket_not_empty => "BucketNotEmpty", CONFLICT;
    access_point_already_owned_by_you => "AccessPointAlreadyOwnedByYou", CONFLICT;
    too_many_access_points => "TooManyAccessPoints", BAD_REQUEST;
    method_not_allowed => "MethodNotAllowed", METHOD_NOT_ALLOWED;
    not_implemented => "NotImplemented", NOT_IMPLEMENTED;
    slow_down => "SlowDown", SERVICE_UNAVAILABLE;
    internal_error => "InternalError", INTERNAL_SERVER_ERROR;
    entity_too_large => "EntityTooLarge", BAD_REQUEST;
    entity_too_small => "EntityTooSmall", BAD_REQUEST;
    invalid_part => "InvalidPart", BAD_REQUEST;
    invalid_part_order => "InvalidPartOrder", BAD_REQUEST;
    precondition_failed => "PreconditionFailed", PRECONDITION_FAILED;
    missing_content_length => "MissingContentLength", LENGTH_REQUIRED;
    validation_error => "ValidationError", BAD_REQUEST;
    no_such_entity => "NoSuchEntity", NOT_FOUND;
    entity_already_exists => "EntityAlreadyExists", CONFLICT;
    delete_conflict => "DeleteConflict", CONFLICT;
    limit_exceeded => "LimitExceeded", CONFLICT;
    invalid_input => "InvalidInput", BAD_REQUEST;
    missing_authentication_token => "MissingAuthenticationToken", FORBIDDEN;
}

impl AwsError {
    /// Replaces the AWS error code (for codes that share a status and message shape).
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// Adds a header to the error response.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Names the bucket or key the error is about.
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Adds an element after `<Message>` (S3's error shape only; RGW's has none).
    pub fn with_detail(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.details.push((name, value.into()));
        self
    }

    /// 403 `AccessDenied` for a signed URL past its time, with the elements S3 sends with it:
    /// `X-Amz-Expires` (SigV4 URLs only), `Expires` and `ServerTime`, in seconds, UTC.
    pub fn request_expired(
        x_amz_expires: Option<i64>,
        expired_at: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Self {
        let iso = |t: time::OffsetDateTime| {
            let fmt =
                time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
            t.to_offset(time::UtcOffset::UTC)
                .format(fmt)
                .unwrap_or_default()
        };
        let mut e = AwsError::access_denied("Request has expired");
        if let Some(seconds) = x_amz_expires {
            e = e.with_detail("X-Amz-Expires", seconds.to_string());
        }
        e.with_detail("Expires", iso(expired_at))
            .with_detail("ServerTime", iso(now))
    }
}

/// A stable, opaque host id derived from the request id (AWS sends a base64 blob).
pub fn host_id(request_id: &str) -> String {
    use base64::Engine;
    let mut raw = String::with_capacity(8 + request_id.len());
    raw.push_str("fake-s3/");
    raw.push_str(request_id);
    base64::engine::general_purpose::STANDARD.encode(raw)
}
