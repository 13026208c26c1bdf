//! Lock-outs (issue 18): a steward's `Deny` in the bucket policy that refuses the service's own
//! Get/Put/DeleteBucketPolicy (naming the owner, s3keeper, or everyone). S3 answers AccessDenied
//! as it would for missing IAM permissions, so left alone the error would send the operator to
//! the service's IAM policy; instead it is a 403 [`KeeperError::Forbidden`] naming the bucket
//! policy and saying how to get back in:
//!
//! - AWS: the account's root user can always delete a bucket policy, whatever it denies
//!   (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html>):
//!   `aws s3api delete-bucket-policy --bucket B` as root.
//! - Ceph RGW: bucket policies are managed only through S3 and there is no root to bypass a
//!   `Deny`, so whoever the `Deny` leaves allowed (a steward it does not name, or the owner) runs
//!   `s3cmd delpolicy s3://B`.
//!
//! Either way the next change with `--adopt` then starts from an empty table. The share
//! operations read the bucket (its policy, its owner) through here, so every refusal of those
//! reads is told apart the same way.

use super::super::Keeper;
use super::no_bucket;
use super::report;
use super::roles::Dialect;
use crate::aws::aws_code;
use crate::error::KeeperError;

/// What S3 (since 2024, for a caller of the bucket owner's own account) adds to AccessDenied when
/// a bucket policy's `Deny` refused the request
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html>).
const RESOURCE_DENY: &str = "explicit deny in a resource-based policy";

impl Keeper {
    /// The bucket's live policy; a missing bucket and a lock-out said as what they are.
    pub(super) async fn live_policy(&self, bucket: &str) -> Result<Option<String>, KeeperError> {
        match self
            .aws
            .get_bucket_policy(bucket, &self.settings.region)
            .await
        {
            Ok(live) => Ok(live),
            Err(e) => Err(self
                .locked_out(bucket, None, "s3:GetBucketPolicy", no_bucket(bucket, e))
                .await),
        }
    }

    /// The bucket owner's id as GetBucketAcl gives it (a `Deny` of everything refuses that call
    /// too: a lock-out like the policy calls).
    pub(super) async fn owner_of(
        &self,
        bucket: &str,
        live: Option<&str>,
    ) -> Result<String, KeeperError> {
        match self.aws.bucket_owner(bucket, &self.settings.region).await {
            Ok(owner) => Ok(owner),
            Err(e) => Err(self
                .locked_out(bucket, live, "s3:GetBucketAcl", no_bucket(bucket, e))
                .await),
        }
    }

    /// The identity s3keeper runs as, as a policy principal: on AWS the ARN STS's
    /// GetCallerIdentity gives (an assumed role's session as its role, which is what a bucket
    /// policy names); in the Ceph dialect the bucket's `owner` (the RGW user id GetBucketAcl
    /// gives), because the service holds the owner's key pair and RGW may serve no STS to ask.
    pub(super) async fn service_principal(&self, owner: &str) -> Result<String, KeeperError> {
        match self.settings.dialect {
            Dialect::Aws => {
                let (_, arn) = self.aws.caller_identity().await?;
                Ok(role_of_session(&arn))
            }
            Dialect::Ceph => Ok(owner_principal(owner)),
        }
    }

    /// `e`, the failure of the service's own `action` (`s3:GetBucketPolicy`, …) on `bucket`, as a
    /// lock-out when the bucket policy is what refused it; any other error as it is. `live` is the
    /// policy when it could be read (then the verdict is decided on it); without it, S3's message
    /// (AWS) or the dialect (RGW refuses a bucket's owner only by a `Deny` in its policy) decides.
    pub(super) async fn locked_out(
        &self,
        bucket: &str,
        live: Option<&str>,
        action: &str,
        e: KeeperError,
    ) -> KeeperError {
        let KeeperError::Aws(failure) = &e else {
            return e;
        };
        if aws_code(&e) != Some("AccessDenied") {
            return e;
        }
        let dialect = self.settings.dialect;
        let said = failure.message.contains(RESOURCE_DENY);
        let by_policy = match (dialect, live) {
            (Dialect::Aws, Some(text)) => {
                // Without STS the owner's root alone is checked; the message may still say so.
                let service = self.service_principal("").await.ok();
                said || report::denies(
                    bucket,
                    &self.settings.account,
                    text,
                    dialect,
                    service.as_deref(),
                    action,
                )
                .unwrap_or(false)
            }
            (Dialect::Ceph, Some(text)) => {
                report::denies_someone(bucket, text, dialect, action).unwrap_or(false)
            }
            (Dialect::Aws, None) => said,
            (Dialect::Ceph, None) => true,
        };
        if !by_policy {
            return e;
        }
        let how = match dialect {
            Dialect::Aws => format!(
                "the account's root user can always delete a bucket policy, whatever it denies (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html>): signed in as root, run `aws s3api delete-bucket-policy --bucket {bucket}`"
            ),
            Dialect::Ceph => format!(
                "RGW manages bucket policies only through S3 and has no root to bypass a Deny, so whoever the Deny leaves allowed (a steward it does not name, or the owner) runs `s3cmd delpolicy s3://{bucket}`"
            ),
        };
        // The summary, not the whole error: its hint would blame the service's IAM permissions.
        KeeperError::Forbidden(format!(
            "the bucket policy of {bucket} locks s3keeper out: a Deny in it (a steward's edit naming the owner, s3keeper or everyone) refuses {action}; the bucket policy, not the service's own permissions, is the cause ({}). To get back in, {how}; then repeat the change with --adopt, which starts from an empty table",
            failure.summary()
        ))
    }
}

/// The principal a bucket policy names the RGW user `owner` by (`pi` →
/// `arn:aws:iam:::user/pi`, `uab$pi` → `arn:aws:iam::uab:user/pi`), as the share report writes it.
fn owner_principal(owner: &str) -> String {
    match owner.split_once('$') {
        Some((tenant, name)) => format!("arn:aws:iam::{tenant}:user/{name}"),
        None => format!("arn:aws:iam:::user/{owner}"),
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` → `arn:aws:iam::ACCOUNT:role/ROLE`; any other
/// ARN as it is.
fn role_of_session(arn: &str) -> String {
    let Some(rest) = arn.strip_prefix("arn:aws:sts::") else {
        return arn.to_owned();
    };
    match rest.split_once(":assumed-role/") {
        Some((account, role_session)) => {
            let role = role_session.split('/').next().unwrap_or(role_session);
            format!("arn:aws:iam::{account}:role/{role}")
        }
        None => arn.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_is_named_as_a_bucket_policy_names_it() {
        assert_eq!(
            role_of_session("arn:aws:sts::111122223333:assumed-role/keeper/i-0abc"),
            "arn:aws:iam::111122223333:role/keeper"
        );
        assert_eq!(
            role_of_session("arn:aws:iam::111122223333:user/lab-admin"),
            "arn:aws:iam::111122223333:user/lab-admin"
        );
        assert_eq!(owner_principal("pi"), "arn:aws:iam:::user/pi");
        assert_eq!(owner_principal("uab$pi"), "arn:aws:iam::uab:user/pi");
    }
}
