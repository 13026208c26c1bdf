//! The service's buckets: the open-data bucket, the controlled bucket that grants reach through
//! access points, and the verification bucket, each with its policy and public access block
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html>).

use super::*;

impl Keeper {
    /// Creates the four buckets with their policies and public access blocks. Safe to repeat.
    pub async fn setup(&self) -> Result<Vec<String>, KeeperError> {
        let s = &self.settings;
        let mut done = Vec::new();
        self.aws
            .ensure_bucket(&s.verify_bucket, "us-east-1")
            .await?;
        // The verification policy allows `*` (narrowed by policy variables), which a public
        // access block would refuse as public.
        self.aws
            .put_public_access_block(&s.verify_bucket, "us-east-1", false)
            .await?;
        self.aws
            .put_bucket_policy(
                &s.verify_bucket,
                "us-east-1",
                &policies::verification_bucket(&s.verify_bucket, &s.site),
            )
            .await?;
        done.push(format!(
            "verification bucket s3://{} (us-east-1): each IAM user may read only its own verification path",
            s.verify_bucket
        ));
        self.ensure_open_bucket().await?;
        done.push(format!("open bucket s3://{}: public read", s.open_bucket));
        self.ensure_controlled_bucket().await?;
        done.push(format!(
            "controlled bucket s3://{}: delegated to account {}'s access points, all public access blocked",
            s.controlled_bucket, s.account
        ));
        self.ensure_uploads_bucket().await?;
        done.push(format!(
            "uploads bucket s3://{}: private, all public access blocked{}",
            s.uploads_bucket,
            if s.upload_origins.is_empty() {
                String::new()
            } else {
                format!(", browser uploads from {}", s.upload_origins.join(", "))
            }
        ));
        Ok(done)
    }

    /// The uploads bucket: private, public access blocked, CORS for the upload origins, and the
    /// policy that refuses ended tickets.
    pub(super) async fn ensure_uploads_bucket(&self) -> Result<(), KeeperError> {
        let s = &self.settings;
        self.aws.ensure_bucket(&s.uploads_bucket, &s.region).await?;
        self.aws
            .put_public_access_block(&s.uploads_bucket, &s.region, true)
            .await?;
        if !s.upload_origins.is_empty() {
            self.aws
                .put_upload_cors(&s.uploads_bucket, &s.upload_origins)
                .await?;
        }
        self.write_revocations().await
    }

    pub(super) async fn ensure_open_bucket(&self) -> Result<(), KeeperError> {
        let s = &self.settings;
        self.aws.ensure_bucket(&s.open_bucket, &s.region).await?;
        self.aws
            .put_public_access_block(&s.open_bucket, &s.region, false)
            .await?;
        self.aws
            .put_bucket_policy(
                &s.open_bucket,
                &s.region,
                &policies::open_bucket(&s.open_bucket),
            )
            .await
    }

    pub(super) async fn ensure_controlled_bucket(&self) -> Result<(), KeeperError> {
        let s = &self.settings;
        self.aws
            .ensure_bucket(&s.controlled_bucket, &s.region)
            .await?;
        self.aws
            .put_public_access_block(&s.controlled_bucket, &s.region, true)
            .await?;
        self.aws
            .put_bucket_policy(
                &s.controlled_bucket,
                &s.region,
                &policies::controlled_bucket(&s.controlled_bucket, &s.account),
            )
            .await
    }
}
