//! What shared buckets ask of S3: only S3 calls, so that the Ceph dialect works with an RGW user's
//! key pair alone (RGW may serve neither STS nor S3 Control). The policy calls themselves are
//! beside the others in `aws/mod.rs`.

use super::Aws;
use crate::error::KeeperError;

impl Aws {
    /// The bucket owner's id as `GetBucketAcl` gives it: on RGW the owning user's id (`pi`,
    /// `uab$pi`), on AWS the owner's canonical user id
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html>).
    pub async fn bucket_owner(&self, bucket: &str, region: &str) -> Result<String, KeeperError> {
        let out = self
            .s3_in(region)
            .get_bucket_acl()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| self.failed("GetBucketAcl", e))?;
        Ok(out
            .owner()
            .and_then(|o| o.id())
            .unwrap_or_default()
            .to_owned())
    }
}
