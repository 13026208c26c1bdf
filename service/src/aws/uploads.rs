//! What upload tickets ask of AWS: temporary credentials scoped by a session policy
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html>,
//! <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>), presigned PUT URLs
//! signed with them, the uploads bucket's CORS rules, and clean-up.

use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{CorsConfiguration, CorsRule, Delete, ObjectIdentifier};

use super::{Aws, TempCredentials};
use crate::error::KeeperError;

impl Aws {
    /// Credentials for the federated user `name`, limited by `policy` (and by the service's own
    /// permissions, which they can never exceed).
    pub async fn federation_token(
        &self,
        name: &str,
        policy: &str,
        seconds: i32,
    ) -> Result<TempCredentials, KeeperError> {
        let out = self
            .sts
            .get_federation_token()
            .name(name)
            .policy(policy)
            .duration_seconds(seconds)
            .send()
            .await
            .map_err(|e| self.failed("GetFederationToken", e))?;
        let userid = out
            .federated_user()
            .map(|u| u.federated_user_id().to_owned())
            .unwrap_or_default();
        temp_credentials(out.credentials(), userid)
    }

    /// Credentials for a session of `role_arn` named `session`, limited by `policy`.
    pub async fn assume_role(
        &self,
        role_arn: &str,
        session: &str,
        policy: &str,
        seconds: i32,
    ) -> Result<TempCredentials, KeeperError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session)
            .policy(policy)
            .duration_seconds(seconds)
            .send()
            .await
            .map_err(|e| self.failed("AssumeRole", e))?;
        let userid = out
            .assumed_role_user()
            .map(|u| u.assumed_role_id().to_owned())
            .unwrap_or_default();
        temp_credentials(out.credentials(), userid)
    }

    /// An S3 client that signs with `creds`, on the same endpoint and HTTP client as the rest
    /// (build it once per ticket: it presigns every URL of the ticket).
    pub fn s3_as(&self, creds: &TempCredentials) -> aws_sdk_s3::Client {
        let provider = aws_sdk_s3::config::Credentials::new(
            &creds.access_key_id,
            &creds.secret_access_key,
            Some(creds.session_token.clone()),
            None,
            "s3keeper-upload-ticket",
        );
        let config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .credentials_provider(provider)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A presigned PUT URL for `bucket/key`, signed by `signer` (see [`Aws::s3_as`]), valid for
    /// `expires`.
    pub async fn presign_put(
        &self,
        signer: &aws_sdk_s3::Client,
        bucket: &str,
        key: &str,
        expires: Duration,
    ) -> Result<String, KeeperError> {
        let config = PresigningConfig::expires_in(expires)
            .map_err(|e| KeeperError::Invalid(format!("expiry: {e}")))?;
        let req = signer
            .put_object()
            .bucket(bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| self.failed("PutObject", e))?;
        Ok(req.uri().to_owned())
    }

    /// The URL a browser-style POST for `bucket` goes to, as the SDK addresses the bucket on this
    /// endpoint (virtual-hosted on AWS, path-style on an IP-address endpoint).
    pub async fn bucket_url(
        &self,
        signer: &aws_sdk_s3::Client,
        bucket: &str,
    ) -> Result<String, KeeperError> {
        const PROBE: &str = "s3keeper-probe";
        let url = self
            .presign_put(signer, bucket, PROBE, Duration::from_secs(60))
            .await?;
        let without_query = url.split('?').next().unwrap_or_default();
        let base = without_query
            .strip_suffix(PROBE)
            .ok_or_else(|| KeeperError::Invalid(format!("unexpected presigned URL {url}")))?;
        Ok(base.to_owned())
    }

    /// Sets the bucket's CORS rules: browser POSTs (and PUTs) from `origins`.
    pub async fn put_upload_cors(
        &self,
        bucket: &str,
        origins: &[String],
    ) -> Result<(), KeeperError> {
        let rule = CorsRule::builder()
            .set_allowed_origins(Some(origins.to_vec()))
            .allowed_methods("POST")
            .allowed_methods("PUT")
            .allowed_headers("*")
            .expose_headers("ETag")
            .max_age_seconds(3000)
            .build()
            .map_err(|e| KeeperError::Invalid(format!("CORS rule: {e}")))?;
        let config = CorsConfiguration::builder()
            .cors_rules(rule)
            .build()
            .map_err(|e| KeeperError::Invalid(format!("CORS configuration: {e}")))?;
        self.s3
            .put_bucket_cors()
            .bucket(bucket)
            .cors_configuration(config)
            .send()
            .await
            .map_err(|e| self.failed("PutBucketCors", e))?;
        Ok(())
    }

    /// Removes the bucket's policy (no-op when it has none).
    pub async fn delete_bucket_policy(&self, bucket: &str) -> Result<(), KeeperError> {
        self.s3
            .delete_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| self.failed("DeleteBucketPolicy", e))?;
        Ok(())
    }

    /// Aborts every incomplete multipart upload under `prefix`; returns how many.
    pub async fn abort_multipart_uploads(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<usize, KeeperError> {
        let mut aborted = 0;
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let page = self
                .s3
                .list_multipart_uploads()
                .bucket(bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_upload_id_marker(id_marker.take())
                .send()
                .await
                .map_err(|e| self.failed("ListMultipartUploads", e))?;
            for u in page.uploads() {
                let (Some(key), Some(id)) = (u.key(), u.upload_id()) else {
                    continue;
                };
                // Never another prefix's upload, whatever the listing returned.
                if !key.starts_with(prefix) {
                    continue;
                }
                match self
                    .s3
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(id)
                    .send()
                    .await
                {
                    Ok(_) => aborted += 1,
                    // Completed or aborted meanwhile: nothing is left to abort.
                    Err(e) if e.code() == Some("NoSuchUpload") => {}
                    Err(e) => return Err(self.failed("AbortMultipartUpload", e)),
                }
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            id_marker = page.next_upload_id_marker().map(str::to_owned);
            if key_marker.is_none() && id_marker.is_none() {
                break;
            }
        }
        Ok(aborted)
    }

    /// Deletes `keys` from `bucket`, 1,000 per request as S3 allows.
    pub async fn delete_keys(&self, bucket: &str, keys: &[String]) -> Result<(), KeeperError> {
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| KeeperError::Invalid(format!("delete: {e}")))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| KeeperError::Invalid(format!("delete: {e}")))?;
            let out = self
                .s3
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| self.failed("DeleteObjects", e))?;
            if let Some(err) = out.errors().first() {
                return Err(KeeperError::Invalid(format!(
                    "S3 did not delete {}: {} {}",
                    err.key().unwrap_or_default(),
                    err.code().unwrap_or_default(),
                    err.message().unwrap_or_default()
                )));
            }
        }
        Ok(())
    }
}

fn temp_credentials(
    c: Option<&aws_sdk_sts::types::Credentials>,
    userid: String,
) -> Result<TempCredentials, KeeperError> {
    let c = c.ok_or_else(|| KeeperError::Invalid("STS returned no credentials".into()))?;
    if userid.is_empty() {
        return Err(KeeperError::Invalid(
            "STS returned credentials without the session's user id".into(),
        ));
    }
    Ok(TempCredentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: c.session_token().to_owned(),
        expiration: c.expiration().secs(),
        userid,
    })
}
