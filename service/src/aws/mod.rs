//! Everything the service asks of AWS, through the official SDK only (S3, S3 Control, STS). The
//! same code talks to real AWS or to the embedded fake; only the `SdkConfig` differs.
//!
//! Idempotence follows the AWS documentation of each call: `CreateBucket` answers
//! `BucketAlreadyOwnedByYou` outside us-east-1 (and succeeds again inside it), `CreateAccessPoint`
//! answers `AccessPointAlreadyOwnedByYou`; both count as success so that a retried or reconciled
//! step is harmless.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html>
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateAccessPoint.html>

use std::path::Path;
use std::sync::Arc;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration,
    PublicAccessBlockConfiguration,
};
use tokio::io::AsyncReadExt;

use error::AwsFailure;

pub mod error;
mod shares;
mod uploads;
use crate::error::KeeperError;
use crate::metrics::{AwsCallInterceptor, Metrics};

/// An object as listed: key, size, ETag (with its quotes removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    pub etag: String,
}

/// A bucket's four public access block flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockFlags {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl BlockFlags {
    pub fn all(self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }

    /// Whether a public bucket policy is refused or ignored.
    pub fn blocks_public_policy(self) -> bool {
        self.block_public_policy || self.restrict_public_buckets
    }
}

/// The S3, S3 Control and STS clients for the platform account.
#[derive(Debug, Clone)]
pub struct Aws {
    pub s3: aws_sdk_s3::Client,
    /// A client pinned to us-east-1, where the verification bucket lives.
    pub s3_us_east_1: aws_sdk_s3::Client,
    pub control: aws_sdk_s3control::Client,
    pub sts: aws_sdk_sts::Client,
    pub account: String,
    pub region: String,
    /// Counts and times every call these clients make.
    pub metrics: Arc<Metrics>,
    /// The configuration the clients came from, for clients with a ticket's own credentials.
    sdk: aws_config::SdkConfig,
}

/// Temporary credentials from STS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Unix seconds.
    pub expiration: i64,
    /// The session's `aws:userid` (`ACCOUNT:NAME` for a federated user, `ROLEID:SESSION` for a
    /// role session), as STS reports it.
    pub userid: String,
}

/// The error code, if `e` is an AWS error with one.
pub fn aws_code(e: &KeeperError) -> Option<&str> {
    match e {
        KeeperError::Aws(f) => Some(&f.code),
        _ => None,
    }
}

/// Files at or above this size go up in parts of this size, as the AWS CLI does by default, so
/// that the ETags the service computes match the ones S3 reports for files the CLI uploaded too.
pub const MULTIPART_CHUNK: u64 = 8 * 1024 * 1024;

/// S3 takes at most 10,000 parts; past 10,000 × 8 MiB (about 78 GiB) the part size grows in whole
/// MiB, as the AWS CLI does, so that any file up to S3's 5 TiB object limit fits.
pub fn part_size(size: u64) -> u64 {
    const MIB: u64 = 1024 * 1024;
    MULTIPART_CHUNK.max(size.div_ceil(10_000).div_ceil(MIB) * MIB)
}

impl Aws {
    /// Clients for `config`, acting for `account`, counting their calls in new `Metrics`.
    pub fn new(config: &aws_config::SdkConfig, account: &str) -> Aws {
        let region = config
            .region()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        let metrics = Arc::new(Metrics::new());
        let timed = AwsCallInterceptor(metrics.clone());
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .interceptor(timed.clone())
            .build();
        let east = aws_sdk_s3::config::Builder::from(config)
            .region(aws_config::Region::new("us-east-1"))
            .interceptor(timed.clone())
            .build();
        let control = aws_sdk_s3control::config::Builder::from(config)
            .interceptor(timed.clone())
            .build();
        let sts = aws_sdk_sts::config::Builder::from(config)
            .interceptor(timed)
            .build();
        Aws {
            s3: aws_sdk_s3::Client::from_conf(s3),
            s3_us_east_1: aws_sdk_s3::Client::from_conf(east),
            control: aws_sdk_s3control::Client::from_conf(control),
            sts: aws_sdk_sts::Client::from_conf(sts),
            account: account.to_owned(),
            region,
            metrics,
            sdk: config.clone(),
        }
    }

    /// A failed call as the service reports it: one line (see `aws/error.rs`), counted by code.
    fn failed<E>(&self, operation: &'static str, e: SdkError<E, HttpResponse>) -> KeeperError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let failure = AwsFailure::from_sdk(operation, &e);
        self.metrics.aws_error(operation, &failure.code);
        tracing::debug!(error = %DisplayErrorContext(&e), "AWS {operation} failed");
        KeeperError::Aws(failure)
    }

    fn s3_in(&self, region: &str) -> &aws_sdk_s3::Client {
        if region == "us-east-1" {
            &self.s3_us_east_1
        } else {
            &self.s3
        }
    }

    /// The account the credentials belong to (`sts:GetCallerIdentity`).
    pub async fn caller_account(&self) -> Result<String, KeeperError> {
        Ok(self.caller_identity().await?.0)
    }

    /// The credentials' account and ARN (`sts:GetCallerIdentity`, which needs no permission).
    pub async fn caller_identity(&self) -> Result<(String, String), KeeperError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.failed("GetCallerIdentity", e))?;
        Ok((
            out.account().unwrap_or_default().to_owned(),
            out.arn().unwrap_or_default().to_owned(),
        ))
    }

    /// Creates `bucket` in `region` unless the account already owns it.
    pub async fn ensure_bucket(&self, bucket: &str, region: &str) -> Result<(), KeeperError> {
        let client = self.s3_in(region);
        let mut req = client.create_bucket().bucket(bucket);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => Ok(()),
            Err(e) => Err(self.failed("CreateBucket", e)),
        }
    }

    pub async fn put_bucket_policy(
        &self,
        bucket: &str,
        region: &str,
        policy: &str,
    ) -> Result<(), KeeperError> {
        self.s3_in(region)
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy)
            .send()
            .await
            .map_err(|e| self.failed("PutBucketPolicy", e))?;
        Ok(())
    }

    /// The bucket's policy, or `None` when it has none.
    pub async fn get_bucket_policy(
        &self,
        bucket: &str,
        region: &str,
    ) -> Result<Option<String>, KeeperError> {
        match self
            .s3_in(region)
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Ok(out.policy().map(str::to_owned)),
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => Ok(None),
            Err(e) => Err(self.failed("GetBucketPolicy", e)),
        }
    }

    /// Sets all four public access block flags to `on`.
    pub async fn put_public_access_block(
        &self,
        bucket: &str,
        region: &str,
        on: bool,
    ) -> Result<(), KeeperError> {
        let config = PublicAccessBlockConfiguration::builder()
            .block_public_acls(on)
            .ignore_public_acls(on)
            .block_public_policy(on)
            .restrict_public_buckets(on)
            .build();
        self.s3_in(region)
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(config)
            .send()
            .await
            .map_err(|e| self.failed("PutPublicAccessBlock", e))?;
        Ok(())
    }

    /// Whether all four public access block flags are on.
    pub async fn public_access_blocked(
        &self,
        bucket: &str,
        region: &str,
    ) -> Result<bool, KeeperError> {
        Ok(self.public_access_block(bucket, region).await?.all())
    }

    /// The bucket's public access block flags (all off when it has none).
    pub async fn public_access_block(
        &self,
        bucket: &str,
        region: &str,
    ) -> Result<BlockFlags, KeeperError> {
        match self
            .s3_in(region)
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => {
                Ok(out
                    .public_access_block_configuration()
                    .map_or(BlockFlags::default(), |c| BlockFlags {
                        block_public_acls: c.block_public_acls() == Some(true),
                        ignore_public_acls: c.ignore_public_acls() == Some(true),
                        block_public_policy: c.block_public_policy() == Some(true),
                        restrict_public_buckets: c.restrict_public_buckets() == Some(true),
                    }))
            }
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => {
                Ok(BlockFlags::default())
            }
            Err(e) => Err(self.failed("GetPublicAccessBlock", e)),
        }
    }

    /// Every object under `prefix`.
    pub async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<Listed>, KeeperError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.failed("ListObjectsV2", e))?;
            for o in page.contents() {
                out.push(Listed {
                    key: o.key().unwrap_or_default().to_owned(),
                    size: o.size().unwrap_or_default().try_into().unwrap_or_default(),
                    etag: o.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
                });
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Uploads one file, in parts when it is large; `progress` is told the bytes sent.
    pub async fn upload_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        size: u64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<(), KeeperError> {
        let io = |e: std::io::Error| KeeperError::Io(format!("{}: {e}", path.display()));
        if size < MULTIPART_CHUNK {
            let body = tokio::fs::read(path).await.map_err(io)?;
            self.s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| self.failed("PutObject", e))?;
            progress(size);
            return Ok(());
        }
        let created = self
            .s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.failed("CreateMultipartUpload", e))?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        let result = self
            .upload_parts(bucket, key, path, size, &upload_id, progress)
            .await;
        match result {
            Ok(parts) => {
                self.s3
                    .complete_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(parts))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| self.failed("CompleteMultipartUpload", e))?;
                Ok(())
            }
            Err(e) => {
                // Abandoned parts cost storage until aborted.
                let _ = self
                    .s3
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        size: u64,
        upload_id: &str,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Vec<CompletedPart>, KeeperError> {
        let io = |e: std::io::Error| KeeperError::Io(format!("{}: {e}", path.display()));
        let mut file = tokio::fs::File::open(path).await.map_err(io)?;
        let part = part_size(size);
        let mut parts = Vec::new();
        let mut number = 1;
        loop {
            let mut chunk = Vec::with_capacity(usize::try_from(part).unwrap_or(0));
            (&mut file)
                .take(part)
                .read_to_end(&mut chunk)
                .await
                .map_err(io)?;
            if chunk.is_empty() {
                break;
            }
            let len = chunk.len() as u64;
            let out = self
                .s3
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(chunk))
                .send()
                .await
                .map_err(|e| self.failed("UploadPart", e))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_owned))
                    .build(),
            );
            progress(len);
            number += 1;
        }
        Ok(parts)
    }

    /// Creates the access point unless it exists.
    pub async fn ensure_access_point(&self, name: &str, bucket: &str) -> Result<(), KeeperError> {
        match self
            .control
            .create_access_point()
            .account_id(&self.account)
            .name(name)
            .bucket(bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("AccessPointAlreadyOwnedByYou") => {
                // Ours, but it must also be on this bucket, or its policy would guard another.
                let existing = self
                    .control
                    .get_access_point()
                    .account_id(&self.account)
                    .name(name)
                    .send()
                    .await
                    .map_err(|e| self.failed("GetAccessPoint", e))?;
                match existing.bucket() {
                    Some(b) if b == bucket => Ok(()),
                    other => Err(KeeperError::Conflict(format!(
                        "access point {name} already exists on bucket {}, not {bucket}; delete or rename it",
                        other.unwrap_or("?")
                    ))),
                }
            }
            Err(e) => Err(self.failed("CreateAccessPoint", e)),
        }
    }

    pub async fn put_access_point_policy(
        &self,
        name: &str,
        policy: &str,
    ) -> Result<(), KeeperError> {
        self.control
            .put_access_point_policy()
            .account_id(&self.account)
            .name(name)
            .policy(policy)
            .send()
            .await
            .map_err(|e| self.failed("PutAccessPointPolicy", e))?;
        Ok(())
    }

    /// The access point's policy: `Ok(None)` when it has none, `Err` with code `NoSuchAccessPoint`
    /// when the access point itself is gone.
    pub async fn get_access_point_policy(&self, name: &str) -> Result<Option<String>, KeeperError> {
        match self
            .control
            .get_access_point_policy()
            .account_id(&self.account)
            .name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.policy().map(str::to_owned)),
            Err(e) if e.code() == Some("NoSuchAccessPointPolicy") => Ok(None),
            Err(e) => Err(self.failed("GetAccessPointPolicy", e)),
        }
    }

    /// Names of the account's access points on `bucket`.
    pub async fn list_access_points(&self, bucket: &str) -> Result<Vec<String>, KeeperError> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .control
                .list_access_points()
                .account_id(&self.account)
                .bucket(bucket)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.failed("ListAccessPoints", e))?;
            for ap in page.access_point_list() {
                names.push(ap.name().to_owned());
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(names)
    }

    pub async fn delete_access_point(&self, name: &str) -> Result<(), KeeperError> {
        match self
            .control
            .delete_access_point()
            .account_id(&self.account)
            .name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("NoSuchAccessPoint") => Ok(()),
            Err(e) => Err(self.failed("DeleteAccessPoint", e)),
        }
    }
}
