//! What the AWS SDK reports, turned into one line an operator can act on: the operation, AWS's
//! error code and message, the request id, and a hint for the common causes (no network, DNS or
//! proxy; missing, wrong or expired credentials; AccessDenied naming the IAM action; throttling;
//! clock skew; wrong region). Never a `Debug` dump: the same line goes to the CLI, the API's `502`
//! bodies and the logs.
//!
//! Error codes follow S3's, S3 Control's and STS's error references
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>,
//! <https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html>). Failures that never
//! reached AWS get a code of ours, named for what happened: `DnsFailure`, `ConnectionRefused`,
//! `ConnectionFailed`, `Timeout`, `NoCredentials`, `RequestNotSent`, `BadResponse`.

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::RequestId;

/// One failed AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    /// The API operation, as AWS names it (`CreateAccessPoint`).
    pub operation: &'static str,
    /// AWS's error code, or one of this module's codes for failures before AWS answered.
    pub code: String,
    /// AWS's message (or what went wrong locally), on one line.
    pub message: String,
    pub request_id: Option<String>,
    /// What the service did about it, when the caller adds that (`the change is recorded …`).
    pub note: Option<String>,
}

impl AwsFailure {
    /// Reads a failed SDK call of `operation`.
    pub fn from_sdk<E>(operation: &'static str, e: &SdkError<E, HttpResponse>) -> AwsFailure
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let request_id = e.request_id().map(str::to_owned);
        let (code, message) = match e {
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => match e.code() {
                Some(code) => (
                    code.to_owned(),
                    e.message().unwrap_or("(no message)").to_owned(),
                ),
                None => match e.raw_response() {
                    Some(raw) => (
                        format!("Http{}", raw.status().as_u16()),
                        "the answer had no AWS error code; is the endpoint an S3 service?"
                            .to_owned(),
                    ),
                    None => (
                        "BadResponse".to_owned(),
                        format!("the answer could not be read: {}", chain(e)),
                    ),
                },
            },
            SdkError::TimeoutError(_) => (
                "Timeout".to_owned(),
                "no answer within the SDK's timeout".to_owned(),
            ),
            SdkError::DispatchFailure(d) => dispatch_class(&chain(e), d.is_timeout()),
            SdkError::ConstructionFailure(_) => {
                let text = chain(e);
                if text.to_ascii_lowercase().contains("credentials") {
                    ("NoCredentials".to_owned(), text)
                } else {
                    ("RequestNotSent".to_owned(), text)
                }
            }
            _ => ("Unavailable".to_owned(), chain(e)),
        };
        AwsFailure {
            operation,
            code,
            message: one_line(&message),
            request_id,
            note: None,
        }
    }

    /// The line without its hint (for checklists that print the hint as the fix).
    pub fn summary(&self) -> String {
        let mut line = format!(
            "AWS {} failed: {}: {}",
            self.operation,
            self.code,
            self.message.trim_end_matches('.')
        );
        if let Some(id) = &self.request_id {
            line.push_str(&format!(" (request id {id})"));
        }
        if let Some(note) = &self.note {
            line.push_str(&format!("; {note}"));
        }
        line
    }

    /// A hint for the common causes, if this failure has one.
    pub fn hint(&self) -> Option<String> {
        hint(self.operation, &self.code)
    }
}

impl fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())?;
        if let Some(hint) = self.hint() {
            write!(f, ". hint: {hint}")?;
        }
        Ok(())
    }
}

impl StdError for AwsFailure {}

/// Every error in the chain, outermost first, joined: the SDK's own `Display` of a dispatch
/// failure is only "dispatch failure"; the cause is further down.
fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Classifies a request that never got an answer, from the text of its error chain (hyper and
/// the OS say what happened only in words).
fn dispatch_class(text: &str, timeout: bool) -> (String, String) {
    let lower = text.to_ascii_lowercase();
    // The SDK resolves credentials just before sending, so their absence surfaces here too.
    let code = if lower.contains("credentials") && !lower.contains("dns error") {
        "NoCredentials"
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no address associated")
    {
        "DnsFailure"
    } else if lower.contains("connection refused") {
        "ConnectionRefused"
    } else if timeout || lower.contains("timed out") || lower.contains("timeout") {
        "Timeout"
    } else if lower.contains("certificate") || lower.contains("tls") {
        "TlsFailure"
    } else if lower.contains("proxy") {
        "ProxyFailure"
    } else {
        "ConnectionFailed"
    };
    (code.to_owned(), text.to_owned())
}

/// The IAM action an operation needs, for AccessDenied hints
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html>).
pub fn iam_action(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "CreateBucket" => "s3:CreateBucket",
        "GetBucketPolicy" => "s3:GetBucketPolicy",
        "GetBucketAcl" => "s3:GetBucketAcl",
        "PutBucketPolicy" => "s3:PutBucketPolicy",
        "GetPublicAccessBlock" => "s3:GetBucketPublicAccessBlock",
        "PutPublicAccessBlock" => "s3:PutBucketPublicAccessBlock",
        "ListObjectsV2" => "s3:ListBucket",
        "HeadObject" => "s3:GetObject",
        "ListBuckets" => "s3:ListAllMyBuckets",
        "PutObject" | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => {
            "s3:PutObject"
        }
        "AbortMultipartUpload" => "s3:AbortMultipartUpload",
        "CreateAccessPoint" => "s3:CreateAccessPoint",
        "GetAccessPoint" => "s3:GetAccessPoint",
        "DeleteAccessPoint" => "s3:DeleteAccessPoint",
        "ListAccessPoints" => "s3:ListAccessPoints",
        "PutAccessPointPolicy" => "s3:PutAccessPointPolicy",
        "GetAccessPointPolicy" => "s3:GetAccessPointPolicy",
        "GetCallerIdentity" => "sts:GetCallerIdentity",
        "GetFederationToken" => "sts:GetFederationToken",
        "AssumeRole" => "sts:AssumeRole",
        "PutBucketCors" => "s3:PutBucketCORS",
        "DeleteBucketPolicy" => "s3:DeleteBucketPolicy",
        "DeleteObjects" => "s3:DeleteObject",
        "ListMultipartUploads" => "s3:ListBucketMultipartUploads",
        _ => return None,
    })
}

/// S3 Control puts the account id in the host name (`ACCOUNT.s3-control.REGION.amazonaws.com`,
/// or `ACCOUNT.` + a custom endpoint's host), which only AWS's DNS knows.
fn is_control(operation: &str) -> bool {
    operation.contains("AccessPoint")
}

fn hint(operation: &str, code: &str) -> Option<String> {
    let text = match code {
        "DnsFailure" if is_control(operation) => "the S3 Control host name (ACCOUNT.s3-control.REGION.amazonaws.com, or ACCOUNT. before a custom AWS_ENDPOINT_URL's host) did not resolve: with a custom endpoint such as fake-s3, route the SDK through a proxy that knows it (HTTP_PROXY=http://HOST:PORT NO_PROXY=; fake-s3 is its own proxy); otherwise check DNS, the network, and HTTPS_PROXY/NO_PROXY".to_owned(),
        "DnsFailure" => "the host name did not resolve: check the network and DNS, AWS_ENDPOINT_URL, and HTTPS_PROXY/HTTP_PROXY/NO_PROXY if egress goes through a proxy".to_owned(),
        "ConnectionRefused" => "nothing listens at the endpoint: check AWS_ENDPOINT_URL (is the server running?) and the proxy settings".to_owned(),
        "ConnectionFailed" | "ProxyFailure" => "the connection failed: check the network, AWS_ENDPOINT_URL and HTTPS_PROXY/HTTP_PROXY/NO_PROXY".to_owned(),
        "Timeout" => "AWS did not answer in time: check the network, a firewall or the proxy; then try again".to_owned(),
        "TlsFailure" => "the TLS handshake failed: a proxy that intercepts TLS needs its CA trusted; check AWS_ENDPOINT_URL's scheme".to_owned(),
        "NoCredentials" => "no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an instance or task role is available".to_owned(),
        "InvalidAccessKeyId" | "InvalidClientTokenId" | "UnrecognizedClientException" => "AWS does not know this access key: check AWS_ACCESS_KEY_ID or AWS_PROFILE, and that the key is active".to_owned(),
        "SignatureDoesNotMatch" | "IncompleteSignature" => "the secret key does not match the access key: check AWS_SECRET_ACCESS_KEY (or a proxy that rewrites requests)".to_owned(),
        "ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired" | "RequestExpired" => "the credentials have expired: get new ones (aws sso login, a new STS session) and check AWS_SESSION_TOKEN".to_owned(),
        "InvalidToken" => "the session token is not valid with this key: check AWS_SESSION_TOKEN".to_owned(),
        "AccessDenied" if operation == "PutBucketPolicy" => "the service's credentials lack `s3:PutBucketPolicy` on this bucket (see `s3keeper iam-policy`), or Block Public Access (the bucket's or the account's BlockPublicPolicy) refuses a public policy: the verification and open buckets need public policies".to_owned(),
        "AccessDenied" | "AccessDeniedException" | "AllAccessDisabled" => match iam_action(operation) {
            Some(action) => format!("the service's credentials lack `{action}` on this resource: give them the policy `s3keeper iam-policy` prints (deploy/iam-policy.json), and check bucket and SCP denies"),
            None => "the service's credentials lack a permission: compare them with `s3keeper iam-policy` (deploy/iam-policy.json)".to_owned(),
        },
        "SlowDown" | "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" | "RequestThrottled" | "ServiceUnavailable" | "Http503" => "AWS is throttling or busy (the SDK already retried): try again later; `s3keeper reconcile` finishes anything left undone".to_owned(),
        "RequestTimeTooSkewed" => "this machine's clock differs from AWS's by more than 15 minutes: synchronise it (NTP)".to_owned(),
        "NoSuchBucket" => "the bucket does not exist: run `s3keeper setup`, or check the bucket names and --region".to_owned(),
        "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" => "the bucket is in another region: set --region (S3KEEPER_REGION) or AWS_REGION to the bucket's region".to_owned(),
        "BucketAlreadyExists" => "another AWS account owns a bucket of that name: choose other bucket names (--verify-bucket, --open-bucket, --controlled-bucket)".to_owned(),
        "InternalError" | "Http500" => "AWS failed on its side: try again".to_owned(),
        c if c.starts_with("Http") => "the endpoint answered without an AWS error code: check AWS_ENDPOINT_URL and the proxy settings".to_owned(),
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyError;
    use aws_sdk_s3::primitives::SdkBody;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use rstest::rstest;

    fn service_error(
        status: u16,
        code: &str,
        message: &str,
    ) -> SdkError<GetBucketPolicyError, HttpResponse> {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let mut raw = HttpResponse::new(http_status(status), SdkBody::from("<Error/>"));
        raw.headers_mut()
            .insert("x-amz-request-id", "4442587FB7D0A2F9");
        SdkError::service_error(GetBucketPolicyError::generic(meta), raw)
    }

    fn http_status(n: u16) -> StatusCode {
        StatusCode::try_from(n).unwrap_or_else(|_| panic!("bad status {n}"))
    }

    fn dispatch(err: std::io::Error) -> SdkError<GetBucketPolicyError, HttpResponse> {
        SdkError::dispatch_failure(ConnectorError::io(Box::new(err)))
    }

    #[rstest]
    #[case::access_denied(403, "AccessDenied", "Access Denied", "lack `s3:GetBucketPolicy`")]
    #[case::unknown_key(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        "AWS_ACCESS_KEY_ID"
    )]
    #[case::wrong_secret(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match",
        "AWS_SECRET_ACCESS_KEY"
    )]
    #[case::expired(400, "ExpiredToken", "The provided token has expired.", "have expired")]
    #[case::throttled(503, "SlowDown", "Please reduce your request rate.", "throttling")]
    #[case::skew(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        "clock"
    )]
    #[case::missing_bucket(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
        "s3keeper setup"
    )]
    #[case::region(
        400,
        "AuthorizationHeaderMalformed",
        "the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        "--region"
    )]
    fn aws_errors_read_as_one_line_with_code_request_id_and_hint(
        #[case] status: u16,
        #[case] code: &str,
        #[case] message: &str,
        #[case] hint: &str,
    ) {
        let f = AwsFailure::from_sdk("GetBucketPolicy", &service_error(status, code, message));
        assert_eq!(f.code, code);
        assert_eq!(f.request_id.as_deref(), Some("4442587FB7D0A2F9"));
        let line = f.to_string();
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with(&format!("AWS GetBucketPolicy failed: {code}: ")),
            "{line}"
        );
        assert!(line.contains("(request id 4442587FB7D0A2F9)"), "{line}");
        assert!(line.contains(hint), "{line}");
        assert!(!line.contains("ServiceError {"), "a Debug dump: {line}");
    }

    #[test]
    fn dns_failure_of_s3_control_names_the_proxy_fix() {
        let e = dispatch(std::io::Error::other(
            "dns error: failed to lookup address information: Name or service not known",
        ));
        let f = AwsFailure::from_sdk("CreateAccessPoint", &e);
        assert_eq!(f.code, "DnsFailure");
        let line = f.to_string();
        assert!(line.contains("S3 Control host name"), "{line}");
        assert!(line.contains("HTTP_PROXY"), "{line}");
        assert!(!line.contains("DispatchFailure"), "{line}");
        assert!(!line.contains('\n'));
        let f = AwsFailure::from_sdk("PutObject", &e);
        assert!(f.to_string().contains("check the network and DNS"), "{f}");
    }

    #[rstest]
    #[case::refused(
        std::io::ErrorKind::ConnectionRefused,
        "Connection refused (os error 111)",
        "ConnectionRefused",
        "nothing listens"
    )]
    #[case::reset(
        std::io::ErrorKind::ConnectionReset,
        "Connection reset by peer",
        "ConnectionFailed",
        "the connection failed"
    )]
    #[case::tls(
        std::io::ErrorKind::InvalidData,
        "invalid peer certificate: UnknownIssuer",
        "TlsFailure",
        "TLS"
    )]
    fn connection_failures_are_classified(
        #[case] kind: std::io::ErrorKind,
        #[case] text: &str,
        #[case] code: &str,
        #[case] hint: &str,
    ) {
        let f = AwsFailure::from_sdk("ListObjectsV2", &dispatch(std::io::Error::new(kind, text)));
        assert_eq!(f.code, code, "{f}");
        assert!(f.to_string().contains(hint), "{f}");
    }

    #[test]
    fn timeouts_and_missing_credentials_have_their_own_codes() {
        let e: SdkError<GetBucketPolicyError, HttpResponse> = SdkError::timeout_error(
            "operation timeout (all attempts including retries) occurred after 3s",
        );
        let f = AwsFailure::from_sdk("GetBucketPolicy", &e);
        assert_eq!(f.code, "Timeout");
        assert!(f.to_string().contains("did not answer in time"), "{f}");

        let e: SdkError<GetBucketPolicyError, HttpResponse> = SdkError::construction_failure(
            "failed to load credentials: no credentials in the provider chain",
        );
        let f = AwsFailure::from_sdk("GetBucketPolicy", &e);
        assert_eq!(f.code, "NoCredentials");
        assert!(f.to_string().contains("AWS_ACCESS_KEY_ID"), "{f}");
        // How the SDK really reports it: a dispatch failure from the identity resolver.
        let e = dispatch(std::io::Error::other(
            "failed to resolve identity: an error occurred while loading credentials: the credential provider was not enabled",
        ));
        assert_eq!(
            AwsFailure::from_sdk("GetBucketPolicy", &e).code,
            "NoCredentials"
        );
    }

    #[test]
    fn an_answer_without_an_aws_code_says_so() {
        let raw = HttpResponse::new(http_status(502), SdkBody::from("bad gateway"));
        let meta = ErrorMetadata::builder().build();
        let e = SdkError::service_error(GetBucketPolicyError::generic(meta), raw);
        let f = AwsFailure::from_sdk("GetBucketPolicy", &e);
        assert_eq!(f.code, "Http502");
        assert!(f.to_string().contains("without an AWS error code"), "{f}");
    }

    #[test]
    fn notes_come_before_the_hint_and_messages_are_one_line() {
        let mut f = AwsFailure::from_sdk(
            "PutAccessPointPolicy",
            &service_error(503, "SlowDown", "Please\nreduce\n  your rate."),
        );
        f.note = Some("the change is recorded".to_owned());
        assert_eq!(
            f.to_string(),
            "AWS PutAccessPointPolicy failed: SlowDown: Please reduce your rate (request id 4442587FB7D0A2F9); the change is recorded. hint: AWS is throttling or busy (the SDK already retried): try again later; `s3keeper reconcile` finishes anything left undone"
        );
    }

    /// A new SDK call in `aws/` without an entry here would give AccessDenied no action to name.
    #[test]
    fn every_operation_aws_rs_calls_has_its_action() {
        let source = concat!(
            include_str!("mod.rs"),
            include_str!("uploads.rs"),
            include_str!("shares.rs")
        );
        let ops: Vec<&str> = source
            .split("failed(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(ops.len() >= 15, "found only {ops:?}");
        for op in ops {
            assert!(iam_action(op).is_some(), "{op} has no IAM action");
        }
    }
}
