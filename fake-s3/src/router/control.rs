//! S3 Control's operations and their paths
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_AWS_S3_Control.html>).

use crate::error::AwsError;

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
    #[cfg(test)]
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
