//! The operations the fake serves and how each is authorized: the [`Operation`] of each API, the
//! [`Authorization`] it declares (the action, and its versioned form, decided on what the request
//! addresses) and the [`Handler`] steps the pipeline runs it through. The catalogue of actions,
//! resources and condition keys they are decided with is [`catalogue`].

pub(crate) mod catalogue;
mod iam;

pub use catalogue::{carried_keys, spec};
pub use iam::iam_action;

use crate::error::AwsError;
use crate::response::Resp;
use crate::router::ControlOp;
use crate::router::S3Op;

/// One API's request as the pipeline runs it: [`Handler::prepare`] reads and checks what the
/// request says and sets its condition keys; the pipeline then decides the operation's declared
/// [`Authorization`] once, through [`Handler::decide`]; only then does [`Handler::handle`] run.
pub trait Handler {
    /// The request, read and checked.
    type Prepared;

    fn prepare(&mut self) -> Result<Self::Prepared, AwsError>;

    /// Whether the request names a version, so the versioned action is decided.
    fn names_version(prepared: &Self::Prepared) -> bool;

    /// Decides `action` on what the prepared request addresses; refuses with AccessDenied.
    fn decide(&mut self, action: &'static str, prepared: &Self::Prepared) -> Result<(), AwsError>;

    fn handle(&mut self, prepared: Self::Prepared) -> Result<Resp, AwsError>;
}

/// One operation of any of the three APIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    S3(S3Op),
    Control(ControlOp),
    /// STS names its operation in the request's `Action` parameter.
    Sts(String),
    /// So does IAM.
    Iam(String),
}

impl Operation {
    /// The operation's name, for logs, the journal and fault injection.
    pub fn name(&self) -> &str {
        match self {
            Operation::S3(op) => op.name(),
            Operation::Control(op) => op.name(),
            Operation::Sts(action) if action.is_empty() => "STS",
            Operation::Sts(action) => action,
            Operation::Iam(action) if action.is_empty() => "IAM",
            Operation::Iam(action) => action,
        }
    }
}

/// How the pipeline authorizes an operation before its handler runs ([`crate::pipeline`]): the
/// one authorization step, with the action declared here and the resource the request addresses
/// (the bucket, the object, the access point, the role). Handlers add only the checks that are
/// theirs alone (a copy's source, tags written with an object, ownership set at creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization {
    /// `action` on what the request addresses; `versioned` instead when it names a version
    /// (`versionId`), as S3 asks for `s3:GetObjectVersion` rather than `s3:GetObject`.
    Action {
        action: &'static str,
        versioned: Option<&'static str>,
    },
    /// Each object the body names, by the handler: DeleteObjects answers per key, with
    /// `s3:DeleteObject` or `s3:DeleteObjectVersion`.
    EachObject,
    /// `s3:PutObject` for whoever signed the browser form, by the handler once the form's
    /// signature is verified (the request itself carries none).
    FormSigner,
    /// Nothing to decide: any valid signature may ask (GetCallerIdentity, and STS actions the
    /// fake does not serve, which are refused before this step).
    Nothing,
}

impl Authorization {
    const fn action(action: &'static str) -> Self {
        Authorization::Action {
            action,
            versioned: None,
        }
    }

    const fn versioned(action: &'static str, versioned: &'static str) -> Self {
        Authorization::Action {
            action,
            versioned: Some(versioned),
        }
    }

    /// The action to decide, given whether the request names a version.
    pub fn action_for(self, names_version: bool) -> Option<&'static str> {
        match self {
            Authorization::Action {
                versioned: Some(v), ..
            } if names_version => Some(v),
            Authorization::Action { action, .. } => Some(action),
            _ => None,
        }
    }
}

impl Operation {
    /// How the pipeline authorizes this operation.
    pub fn authorization(&self) -> Authorization {
        match self {
            Operation::S3(op) => op.authorization(),
            Operation::Control(op) => Authorization::action(op.action()),
            Operation::Sts(action) => match action.as_str() {
                "AssumeRole" => Authorization::action("sts:AssumeRole"),
                "GetFederationToken" => Authorization::action("sts:GetFederationToken"),
                _ => Authorization::Nothing,
            },
            // An operation the fake does not serve is refused before this step.
            Operation::Iam(action) => {
                iam_action(action).map_or(Authorization::Nothing, Authorization::action)
            }
        }
    }
}

impl S3Op {
    /// How the operation is authorized (for copies: on the destination; the handler also checks
    /// `s3:GetObject` on the source).
    pub fn authorization(self) -> Authorization {
        use Authorization as A;
        match self {
            S3Op::ListBuckets => A::action("s3:ListAllMyBuckets"),
            S3Op::CreateBucket => A::action("s3:CreateBucket"),
            S3Op::HeadBucket | S3Op::ListObjects | S3Op::ListObjectsV2 => {
                A::action("s3:ListBucket")
            }
            S3Op::DeleteBucket => A::action("s3:DeleteBucket"),
            S3Op::GetBucketLocation => A::action("s3:GetBucketLocation"),
            S3Op::GetBucketVersioning => A::action("s3:GetBucketVersioning"),
            S3Op::PutBucketVersioning => A::action("s3:PutBucketVersioning"),
            S3Op::ListObjectVersions => A::action("s3:ListBucketVersions"),
            S3Op::ListMultipartUploads => A::action("s3:ListBucketMultipartUploads"),
            S3Op::GetBucketPolicy => A::action("s3:GetBucketPolicy"),
            S3Op::PutBucketPolicy => A::action("s3:PutBucketPolicy"),
            S3Op::DeleteBucketPolicy => A::action("s3:DeleteBucketPolicy"),
            S3Op::GetBucketPolicyStatus => A::action("s3:GetBucketPolicyStatus"),
            S3Op::GetBucketCors => A::action("s3:GetBucketCORS"),
            S3Op::PutBucketCors | S3Op::DeleteBucketCors => A::action("s3:PutBucketCORS"),
            S3Op::GetBucketAcl => A::action("s3:GetBucketAcl"),
            S3Op::PutBucketAcl => A::action("s3:PutBucketAcl"),
            S3Op::GetObjectAcl => A::versioned("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
            S3Op::PutObjectAcl => A::versioned("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
            S3Op::GetBucketOwnershipControls => A::action("s3:GetBucketOwnershipControls"),
            S3Op::PutBucketOwnershipControls | S3Op::DeleteBucketOwnershipControls => {
                A::action("s3:PutBucketOwnershipControls")
            }
            S3Op::GetBucketTagging => A::action("s3:GetBucketTagging"),
            S3Op::GetBucketLifecycleConfiguration => A::action("s3:GetLifecycleConfiguration"),
            S3Op::PutBucketTagging | S3Op::DeleteBucketTagging => A::action("s3:PutBucketTagging"),
            S3Op::GetObjectTagging => {
                A::versioned("s3:GetObjectTagging", "s3:GetObjectVersionTagging")
            }
            S3Op::PutObjectTagging => {
                A::versioned("s3:PutObjectTagging", "s3:PutObjectVersionTagging")
            }
            S3Op::DeleteObjectTagging => {
                A::versioned("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging")
            }
            S3Op::GetPublicAccessBlock => A::action("s3:GetBucketPublicAccessBlock"),
            S3Op::PutPublicAccessBlock | S3Op::DeletePublicAccessBlock => {
                A::action("s3:PutBucketPublicAccessBlock")
            }
            S3Op::DeleteObjects => A::EachObject,
            S3Op::DeleteObject => A::versioned("s3:DeleteObject", "s3:DeleteObjectVersion"),
            S3Op::GetObject | S3Op::HeadObject => {
                A::versioned("s3:GetObject", "s3:GetObjectVersion")
            }
            S3Op::PostObject => A::FormSigner,
            S3Op::PutObject
            | S3Op::CopyObject
            | S3Op::CreateMultipartUpload
            | S3Op::UploadPart
            | S3Op::UploadPartCopy
            | S3Op::CompleteMultipartUpload => A::action("s3:PutObject"),
            S3Op::AbortMultipartUpload => A::action("s3:AbortMultipartUpload"),
            S3Op::ListParts => A::action("s3:ListMultipartUploadParts"),
            // The handler also decides `s3:GetObject` (or `s3:GetObjectVersion`): S3 asks for both
            // (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html>).
            S3Op::GetObjectAttributes => {
                A::versioned("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes")
            }
        }
    }

    /// Operations S3 refuses through an access point: bucket configuration and account-wide
    /// requests (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-service-api-support.html>).
    pub fn refused_through_access_point(self) -> bool {
        matches!(
            self,
            S3Op::CreateBucket
                | S3Op::DeleteBucket
                | S3Op::GetBucketPolicy
                | S3Op::PutBucketPolicy
                | S3Op::DeleteBucketPolicy
                | S3Op::GetPublicAccessBlock
                | S3Op::PutPublicAccessBlock
                | S3Op::DeletePublicAccessBlock
                | S3Op::GetBucketCors
                | S3Op::PutBucketCors
                | S3Op::DeleteBucketCors
                | S3Op::PutBucketVersioning
                | S3Op::GetBucketVersioning
                | S3Op::GetBucketAcl
                | S3Op::PutBucketAcl
                | S3Op::GetBucketOwnershipControls
                | S3Op::PutBucketOwnershipControls
                | S3Op::DeleteBucketOwnershipControls
                | S3Op::GetBucketTagging
                | S3Op::PutBucketTagging
                | S3Op::DeleteBucketTagging
                | S3Op::GetBucketLifecycleConfiguration
                | S3Op::ListBuckets
        )
    }
}

impl ControlOp {
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

/// `s3:ObjectCreationOperation`: whether the operation writes an object, as S3 sets it so a
/// policy that requires conditional writes can exempt the multipart steps that take no
/// conditional headers
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html>).
pub fn object_creation(op: S3Op) -> Option<bool> {
    match op {
        S3Op::PutObject | S3Op::CopyObject | S3Op::CompleteMultipartUpload | S3Op::PostObject => {
            Some(true)
        }
        S3Op::CreateMultipartUpload | S3Op::UploadPart | S3Op::UploadPartCopy => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::catalogue::source;

    #[test]
    fn every_action_an_operation_needs_is_in_the_table() {
        for op in crate::router::S3Op::ALL {
            let a = op.authorization();
            for action in [a.action_for(false), a.action_for(true)]
                .into_iter()
                .flatten()
            {
                assert!(spec(action).is_some(), "{action} has no entry");
            }
        }
        for op in ControlOp::ALL {
            assert!(spec(op.action()).is_some(), "{} has no entry", op.action());
        }
    }

    /// Handlers name only the actions of their own extra checks (and those are in the table);
    /// every other action is declared in [`S3Op::authorization`] and decided once, in the
    /// pipeline.
    #[test]
    fn handlers_name_only_their_own_extra_checks() {
        const EXTRA: &[&str] = &[
            // A copy's source (CopyObject, UploadPartCopy).
            "s3:GetObject",
            "s3:GetObjectVersion",
            // Whether a missing key may be told apart from a forbidden one.
            "s3:ListBucket",
            // Tags written with an object; ownership set at bucket creation.
            "s3:PutObjectTagging",
            "s3:PutBucketOwnershipControls",
            // Each key of DeleteObjects.
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            // The signer of a browser form.
            "s3:PutObject",
        ];
        let sources = [
            ("s3/acl.rs", include_str!("../s3/acl.rs")),
            ("s3/bucket.rs", include_str!("../s3/bucket.rs")),
            ("s3/cors.rs", include_str!("../s3/cors.rs")),
            ("s3/list.rs", include_str!("../s3/list.rs")),
            ("s3/mod.rs", include_str!("../s3/mod.rs")),
            ("s3/multipart.rs", include_str!("../s3/multipart.rs")),
            ("s3/object.rs", include_str!("../s3/object.rs")),
            ("s3/policy.rs", include_str!("../s3/policy.rs")),
            ("s3/post_object.rs", include_str!("../s3/post_object.rs")),
            ("s3/prepare.rs", include_str!("../s3/prepare.rs")),
            ("s3/tagging.rs", include_str!("../s3/tagging.rs")),
            ("s3/versioning.rs", include_str!("../s3/versioning.rs")),
            ("control.rs", include_str!("../control.rs")),
            ("sts.rs", include_str!("../sts.rs")),
        ];
        let mut found = 0;
        for (file, src) in sources {
            for (i, _) in src
                .match_indices("\"s3:")
                .chain(src.match_indices("\"sts:"))
            {
                let rest = &src[i + 1..];
                let Some(end) = rest.find('"') else { continue };
                let name = &rest[..end];
                let action = name.split_once(':').map_or("", |(_, a)| a);
                if action.starts_with(|c: char| c.is_ascii_uppercase())
                    && action.chars().all(|c| c.is_ascii_alphanumeric())
                    && source(name).is_none()
                {
                    found += 1;
                    assert!(
                        EXTRA.contains(&name),
                        "{file} authorizes {name} itself: declare it in S3Op::authorization"
                    );
                    assert!(spec(name).is_some(), "{name} is not in ACTIONS");
                }
            }
        }
        // The scan works: the extra checks are there to be found.
        assert!(found >= EXTRA.len(), "the scan found only {found} actions");
    }
}
