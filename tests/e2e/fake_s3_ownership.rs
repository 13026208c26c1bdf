//! Object Ownership and the dialects' bucket defaults: AWS's since April 2023 (all four public
//! access block flags, ACLs disabled) and Ceph RGW's (no public access block, ACLs enabled).

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
};
use fake_s3::FakeAws;

const OWNER: &str = "111122223333";

async fn client(ceph: bool) -> (fake_s3::FakeAwsHandle, aws_sdk_s3::Client) {
    let fake = FakeAws::builder()
        .account(OWNER)
        .ceph_dialect(ceph)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    (fake, s3)
}

fn code<T, E: ProvideErrorMetadata>(r: Result<T, E>) -> Option<String> {
    r.err().and_then(|e| e.code().map(str::to_owned))
}

async fn ownership(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<String, String> {
    s3.get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
        .map(|o| {
            o.ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_owned())
                .unwrap_or_default()
        })
        .map_err(|e| e.code().unwrap_or("?").to_owned())
}

async fn put_with_acl(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    acl: ObjectCannedAcl,
) -> Result<(), String> {
    s3.put_object()
        .bucket(bucket)
        .key("k")
        .acl(acl)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.code().unwrap_or("?").to_owned())
}

#[tokio::test]
async fn aws_buckets_disable_acls_and_block_public_access_by_default() {
    let (_fake, s3) = client(false).await;
    s3.create_bucket()
        .bucket("aws-defaults")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        ownership(&s3, "aws-defaults").await.as_deref(),
        Ok("BucketOwnerEnforced")
    );
    let pab = s3
        .get_public_access_block()
        .bucket("aws-defaults")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let c = pab.public_access_block_configuration();
    assert!(c.is_some_and(|c| c.block_public_acls() == Some(true)
        && c.ignore_public_acls() == Some(true)
        && c.block_public_policy() == Some(true)
        && c.restrict_public_buckets() == Some(true)));

    // ACLs disabled: only bucket-owner-full-control is accepted.
    assert_eq!(
        put_with_acl(&s3, "aws-defaults", ObjectCannedAcl::PublicRead).await,
        Err("AccessControlListNotSupported".to_owned())
    );
    assert_eq!(
        put_with_acl(&s3, "aws-defaults", ObjectCannedAcl::Private).await,
        Err("AccessControlListNotSupported".to_owned())
    );
    assert_eq!(
        put_with_acl(&s3, "aws-defaults", ObjectCannedAcl::BucketOwnerFullControl).await,
        Ok(())
    );

    // ACLs enabled, public access still blocked: a public ACL is refused.
    s3.put_bucket_ownership_controls()
        .bucket("aws-defaults")
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::ObjectWriter)
                        .build()
                        .unwrap_or_else(|e| panic!("{e}")),
                )
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        ownership(&s3, "aws-defaults").await.as_deref(),
        Ok("ObjectWriter")
    );
    assert_eq!(
        put_with_acl(&s3, "aws-defaults", ObjectCannedAcl::PublicRead).await,
        Err("AccessDenied".to_owned())
    );
    assert_eq!(
        put_with_acl(&s3, "aws-defaults", ObjectCannedAcl::Private).await,
        Ok(())
    );

    s3.delete_bucket_ownership_controls()
        .bucket("aws-defaults")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        ownership(&s3, "aws-defaults").await,
        Err("OwnershipControlsNotFoundError".to_owned())
    );

    // Ownership chosen at creation.
    s3.create_bucket()
        .bucket("aws-writer")
        .object_ownership(ObjectOwnership::ObjectWriter)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        ownership(&s3, "aws-writer").await.as_deref(),
        Ok("ObjectWriter")
    );
}

#[tokio::test]
async fn ceph_buckets_take_rgws_defaults() {
    let (_fake, s3) = client(true).await;
    s3.create_bucket()
        .bucket("lts-lab")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let pab = s3.get_public_access_block().bucket("lts-lab").send().await;
    assert_eq!(
        code(pab).as_deref(),
        Some("NoSuchPublicAccessBlockConfiguration")
    );
    assert_eq!(
        ownership(&s3, "lts-lab").await.as_deref(),
        Ok("ObjectWriter")
    );
    assert_eq!(
        put_with_acl(&s3, "lts-lab", ObjectCannedAcl::Private).await,
        Ok(())
    );
}
