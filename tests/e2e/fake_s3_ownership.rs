//! Object Ownership and the dialects' bucket defaults: AWS's since April 2023 (all four public
//! access block flags, ACLs disabled) and Ceph RGW's (no public access block, ACLs enabled).

use crate::support::err_code as code;
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

    // ACLs disabled: only the owner's full control is accepted (`private` from the owner's own
    // account is that ACL; see fake_s3_canned_acl.rs).
    assert_eq!(
        put_with_acl(&s3, "aws-defaults", ObjectCannedAcl::PublicRead).await,
        Err("AccessControlListNotSupported".to_owned())
    );
    assert_eq!(
        put_with_acl(&s3, "aws-defaults", ObjectCannedAcl::Private).await,
        Ok(())
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
    // RGW 16.2 answers a new bucket's public access block with all four flags off, and its
    // ownership controls with no rule (it has no Object Ownership; its writers own their objects).
    let pab = s3
        .get_public_access_block()
        .bucket("lts-lab")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let flags = pab.public_access_block_configuration();
    assert_eq!(flags.and_then(|f| f.block_public_acls()), Some(false));
    assert_eq!(flags.and_then(|f| f.restrict_public_buckets()), Some(false));
    assert_eq!(ownership(&s3, "lts-lab").await.as_deref(), Ok(""));
    assert_eq!(
        put_with_acl(&s3, "lts-lab", ObjectCannedAcl::Private).await,
        Ok(())
    );
}

#[tokio::test]
async fn acl_grants_allow_as_s3_documents_when_acls_are_enabled() {
    const OTHER: &str = "444455556666";
    let fake = FakeAws::builder()
        .account(OWNER)
        .account(OTHER)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let owner = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    let other_root = fake
        .root_credentials(OTHER)
        .unwrap_or_else(|e| panic!("{e}"));
    let other = aws_sdk_s3::Client::new(&fake.sdk_config(&other_root));
    let bucket = "acl-bucket";
    owner
        .create_bucket()
        .bucket(bucket)
        .object_ownership(ObjectOwnership::ObjectWriter)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    owner
        .delete_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let other_id = other
        .list_buckets()
        .send()
        .await
        .ok()
        .and_then(|b| b.owner.and_then(|o| o.id))
        .unwrap_or_default();

    // No policy names the other account: an object ACL grant alone lets its root read.
    owner
        .put_object()
        .bucket(bucket)
        .key("shared")
        .grant_read(format!("id=\"{other_id}\""))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    put_with_acl(&owner, bucket, ObjectCannedAcl::Private)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let read = |c: &aws_sdk_s3::Client, key: &'static str| {
        let c = c.clone();
        async move { code(c.get_object().bucket(bucket).key(key).send().await) }
    };
    assert_eq!(read(&other, "shared").await, None);
    assert_eq!(read(&other, "k").await.as_deref(), Some("AccessDenied"));
    let acl = owner
        .get_object_acl()
        .bucket(bucket)
        .key("shared")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let perms: Vec<String> = acl
        .grants()
        .iter()
        .filter_map(|g| g.permission().map(|p| p.as_str().to_owned()))
        .collect();
    assert_eq!(perms, ["FULL_CONTROL", "READ"]);

    // A public-read object is readable anonymously, until IgnorePublicAcls.
    put_with_acl(&owner, bucket, ObjectCannedAcl::PublicRead)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let anonymous = || async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
            .get(format!("{}/{bucket}/k", fake.endpoint()))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(anonymous().await, 200);
    owner
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .ignore_public_acls(true)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(anonymous().await, 403);

    // Under ObjectWriter the writer owns its object: the bucket owner cannot read it unless
    // the object's ACL says so.
    owner
        .put_bucket_policy()
        .bucket(bucket)
        .policy(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{OTHER}"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    other
        .put_object()
        .bucket(bucket)
        .key("theirs")
        .body(ByteStream::from_static(b"y"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        read(&owner, "theirs").await.as_deref(),
        Some("AccessDenied")
    );
    // Nor copy it, nor read its tags: the object's owner governs every read of it.
    let copy = owner
        .copy_object()
        .bucket(bucket)
        .key("stolen")
        .copy_source(format!("{bucket}/theirs"))
        .send()
        .await;
    assert_eq!(code(copy).as_deref(), Some("AccessDenied"));
    let tags = owner
        .get_object_tagging()
        .bucket(bucket)
        .key("theirs")
        .send()
        .await;
    assert_eq!(code(tags).as_deref(), Some("AccessDenied"));
    // The bucket owner may still delete it.
    let deleted = owner
        .delete_object()
        .bucket(bucket)
        .key("theirs")
        .send()
        .await;
    assert!(deleted.is_ok(), "{deleted:?}");
}
