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

    /// Keys of `bucket` whose owner is not `owner` (ListObjectsV2 with `fetch-owner`), the first
    /// `limit` found, and whether the listing went on beyond them.
    pub async fn keys_owned_by_others(
        &self,
        bucket: &str,
        region: &str,
        owner: &str,
        limit: usize,
    ) -> Result<(Vec<String>, bool), KeeperError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .s3_in(region)
                .list_objects_v2()
                .bucket(bucket)
                .fetch_owner(true)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.failed("ListObjectsV2", e))?;
            for o in page.contents() {
                let theirs = o.owner().and_then(|w| w.id()).is_some_and(|id| id != owner);
                if theirs {
                    if out.len() == limit {
                        return Ok((out, true));
                    }
                    out.push(o.key().unwrap_or_default().to_owned());
                }
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => return Ok((out, false)),
            }
        }
    }

    /// Whether the caller may read `key` (HeadObject: 403 means no; a missing key is readable
    /// as far as this question goes).
    pub async fn may_read(
        &self,
        bucket: &str,
        region: &str,
        key: &str,
    ) -> Result<bool, KeeperError> {
        match self
            .s3_in(region)
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                match status {
                    Some(403) => Ok(false),
                    Some(404) => Ok(true),
                    _ => Err(self.failed("HeadObject", e)),
                }
            }
        }
    }

    /// The caller's own owner id as ListBuckets shows it (on RGW the user id).
    pub async fn caller_owner_id(&self, region: &str) -> Result<String, KeeperError> {
        let out = self
            .s3_in(region)
            .list_buckets()
            .send()
            .await
            .map_err(|e| self.failed("ListBuckets", e))?;
        Ok(out
            .owner()
            .and_then(|o| o.id())
            .unwrap_or_default()
            .to_owned())
    }
}
