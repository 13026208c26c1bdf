//! Canned ACLs on a bucket with ACLs disabled (Object Ownership `BucketOwnerEnforced`, AWS's
//! default): S3 accepts uploads without an ACL or with one that only gives the bucket owner full
//! control, `bucket-owner-full-control` from any account and `private` from the bucket owner's own
//! account (the same ACL there); every other ACL is `AccessControlListNotSupported`
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html>).

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketCannedAcl, ObjectCannedAcl};
use rstest::rstest;

const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";
const BUCKET: &str = "enforced";

/// Who uploads.
#[derive(Debug, Clone, Copy)]
enum Writer {
    Owner,
    Other,
}

/// Which upload carries the ACL.
#[derive(Debug, Clone, Copy)]
enum Upload {
    Put,
    Multipart,
    Copy,
}

struct Lab {
    _fake: fake_s3::FakeAwsHandle,
    owner: aws_sdk_s3::Client,
    other: aws_sdk_s3::Client,
    owner_id: String,
}

/// An AWS-dialect fake with a default (`BucketOwnerEnforced`) bucket whose policy lets the other
/// account write and read, and a source object to copy.
async fn lab() -> Lab {
    let crate::support::TwoAccounts {
        fake,
        owner,
        other,
        owner_id,
    } = crate::support::two_accounts(OWNER, OTHER).await;
    owner
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:root")},
                       "Action": ["s3:PutObject", "s3:GetObject"],
                       "Resource": format!("arn:aws:s3:::{BUCKET}/*")}]
    });
    owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    owner
        .put_object()
        .bucket(BUCKET)
        .key("source")
        .body(ByteStream::from_static(b"source"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    Lab {
        _fake: fake,
        owner,
        other,
        owner_id,
    }
}

async fn upload(s3: &aws_sdk_s3::Client, how: Upload, acl: ObjectCannedAcl) -> Result<(), String> {
    let code = |e: &dyn ProvideErrorMetadata| e.code().unwrap_or("?").to_owned();
    match how {
        Upload::Put => s3
            .put_object()
            .bucket(BUCKET)
            .key("k")
            .acl(acl)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| code(&e)),
        Upload::Multipart => s3
            .create_multipart_upload()
            .bucket(BUCKET)
            .key("k")
            .acl(acl)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| code(&e)),
        Upload::Copy => s3
            .copy_object()
            .bucket(BUCKET)
            .key("k")
            .copy_source(format!("{BUCKET}/source"))
            .acl(acl)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| code(&e)),
    }
}

const NOT_SUPPORTED: Option<&str> = Some("AccessControlListNotSupported");

#[rstest]
#[case::owner_put_private(Writer::Owner, Upload::Put, ObjectCannedAcl::Private, None)]
#[case::owner_mpu_private(Writer::Owner, Upload::Multipart, ObjectCannedAcl::Private, None)]
#[case::owner_copy_private(Writer::Owner, Upload::Copy, ObjectCannedAcl::Private, None)]
#[case::owner_put_full(
    Writer::Owner,
    Upload::Put,
    ObjectCannedAcl::BucketOwnerFullControl,
    None
)]
#[case::owner_mpu_full(
    Writer::Owner,
    Upload::Multipart,
    ObjectCannedAcl::BucketOwnerFullControl,
    None
)]
#[case::owner_copy_full(
    Writer::Owner,
    Upload::Copy,
    ObjectCannedAcl::BucketOwnerFullControl,
    None
)]
#[case::owner_put_public(Writer::Owner, Upload::Put, ObjectCannedAcl::PublicRead, NOT_SUPPORTED)]
#[case::owner_mpu_public(
    Writer::Owner,
    Upload::Multipart,
    ObjectCannedAcl::PublicRead,
    NOT_SUPPORTED
)]
#[case::owner_copy_public(
    Writer::Owner,
    Upload::Copy,
    ObjectCannedAcl::PublicRead,
    NOT_SUPPORTED
)]
#[case::owner_put_owner_read(
    Writer::Owner,
    Upload::Put,
    ObjectCannedAcl::BucketOwnerRead,
    NOT_SUPPORTED
)]
#[case::owner_put_authenticated(
    Writer::Owner,
    Upload::Put,
    ObjectCannedAcl::AuthenticatedRead,
    NOT_SUPPORTED
)]
#[case::other_put_full(
    Writer::Other,
    Upload::Put,
    ObjectCannedAcl::BucketOwnerFullControl,
    None
)]
#[case::other_mpu_full(
    Writer::Other,
    Upload::Multipart,
    ObjectCannedAcl::BucketOwnerFullControl,
    None
)]
#[case::other_copy_full(
    Writer::Other,
    Upload::Copy,
    ObjectCannedAcl::BucketOwnerFullControl,
    None
)]
// From another account `private` would give that account full control: not the owner's ACL.
#[case::other_put_private(Writer::Other, Upload::Put, ObjectCannedAcl::Private, NOT_SUPPORTED)]
#[case::other_mpu_private(
    Writer::Other,
    Upload::Multipart,
    ObjectCannedAcl::Private,
    NOT_SUPPORTED
)]
#[case::other_copy_private(Writer::Other, Upload::Copy, ObjectCannedAcl::Private, NOT_SUPPORTED)]
#[case::other_put_public(Writer::Other, Upload::Put, ObjectCannedAcl::PublicRead, NOT_SUPPORTED)]
#[tokio::test]
async fn enforced_buckets_take_only_the_owners_full_control(
    #[case] writer: Writer,
    #[case] how: Upload,
    #[case] acl: ObjectCannedAcl,
    #[case] expected: Option<&str>,
) {
    let lab = lab().await;
    let s3 = match writer {
        Writer::Owner => &lab.owner,
        Writer::Other => &lab.other,
    };
    assert_eq!(
        upload(s3, how, acl).await.err().as_deref(),
        expected,
        "{writer:?} {how:?}"
    );
}

/// The accepted upload is owned by the bucket owner, whose full control is all the ACL shows.
#[rstest]
#[case::owner_private(Writer::Owner, ObjectCannedAcl::Private)]
#[case::other_full_control(Writer::Other, ObjectCannedAcl::BucketOwnerFullControl)]
#[tokio::test]
async fn accepted_uploads_are_the_bucket_owners(
    #[case] writer: Writer,
    #[case] acl: ObjectCannedAcl,
) {
    let lab = lab().await;
    let s3 = match writer {
        Writer::Owner => &lab.owner,
        Writer::Other => &lab.other,
    };
    upload(s3, Upload::Put, acl)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let acl = lab
        .owner
        .get_object_acl()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        acl.owner().and_then(|o| o.id()),
        Some(lab.owner_id.as_str())
    );
    let grantees: Vec<_> = acl
        .grants()
        .iter()
        .filter_map(|g| g.grantee().and_then(|g| g.id()))
        .collect();
    assert_eq!(grantees, vec![lab.owner_id.as_str()]);
}

/// Grant headers naming the bucket owner's full control are that ACL too; any other grant is not.
#[rstest]
#[case::owner_full_control(true, None)]
#[case::someone_else(false, NOT_SUPPORTED)]
#[tokio::test]
async fn grant_headers_of_the_owners_full_control_are_accepted(
    #[case] to_owner: bool,
    #[case] expected: Option<&str>,
) {
    let lab = lab().await;
    let grantee = if to_owner {
        format!("id=\"{}\"", lab.owner_id)
    } else {
        "uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\"".to_owned()
    };
    let result = lab
        .other
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .grant_full_control(grantee)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(
        result.err().as_ref().and_then(|e| e.code()),
        expected,
        "to the owner: {to_owner}"
    );
}

/// CreateBucket with `x-amz-acl: private` makes a bucket with ACLs disabled; a public or shared
/// ACL is refused as S3 documents for CreateBucket.
#[rstest]
#[case::private(BucketCannedAcl::Private, None)]
#[case::public_read(
    BucketCannedAcl::PublicRead,
    Some("InvalidBucketAclWithObjectOwnership")
)]
#[case::authenticated_read(
    BucketCannedAcl::AuthenticatedRead,
    Some("InvalidBucketAclWithObjectOwnership")
)]
#[tokio::test]
async fn create_bucket_takes_private(#[case] acl: BucketCannedAcl, #[case] expected: Option<&str>) {
    let lab = lab().await;
    let result = lab
        .owner
        .create_bucket()
        .bucket("with-acl")
        .acl(acl)
        .send()
        .await;
    assert_eq!(result.err().as_ref().and_then(|e| e.code()), expected);
    if expected.is_none() {
        let controls = lab
            .owner
            .get_bucket_ownership_controls()
            .bucket("with-acl")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let rule = controls
            .ownership_controls()
            .and_then(|c| c.rules().first())
            .map(|r| r.object_ownership().as_str().to_owned());
        assert_eq!(rule.as_deref(), Some("BucketOwnerEnforced"));
    }
}
