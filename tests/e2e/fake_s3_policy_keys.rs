//! Bucket policies meeting what requests carry: `…IfExists` operators on keys a request may or
//! may not send (`aws:Referer`, a global key present when the request has a `Referer` header,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-referer>;
//! `s3:max-keys`), the `s3:x-amz-grant-*` keys of uploads
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>), and a copy
//! by another account of an object it does not own, allowed by `s3:x-amz-copy-source`
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html>).

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectOwnership;
use rstest::rstest;
use serde_json::json;

const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";
const BUCKET: &str = "keys";

struct Lab {
    _fake: fake_s3::FakeAwsHandle,
    owner: aws_sdk_s3::Client,
    other: aws_sdk_s3::Client,
    owner_id: String,
}

async fn lab() -> Lab {
    let crate::support::TwoAccounts {
        fake,
        owner,
        other,
        owner_id,
    } = crate::support::two_accounts(OWNER, OTHER).await;
    Lab {
        _fake: fake,
        owner,
        other,
        owner_id,
    }
}

impl Lab {
    async fn bucket(&self, name: &str, ownership: ObjectOwnership, statements: serde_json::Value) {
        self.owner
            .create_bucket()
            .bucket(name)
            .object_ownership(ownership)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let policy = json!({"Version": "2012-10-17", "Statement": statements});
        self.owner
            .put_bucket_policy()
            .bucket(name)
            .policy(policy.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }

    async fn put(&self, bucket: &str, key: &str, body: &'static [u8]) {
        self.owner
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from_static(body))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
}

fn other_principal() -> serde_json::Value {
    json!({"AWS": format!("arn:aws:iam::{OTHER}:root")})
}

fn outcome<T, E: ProvideErrorMetadata>(r: Result<T, E>) -> Option<String> {
    r.err().map(|e| e.code().unwrap_or("?").to_owned())
}

/// ceph/s3-tests' `test_bucket_policy_set_condition_operator_end_with_IfExists`: a read allowed
/// with `StringLikeIfExists` on `aws:Referer` is allowed without the header, with a matching one,
/// and refused with another.
#[rstest]
#[case::no_referer(None, None)]
#[case::matching(Some("http://www.example.com/index.html"), None)]
#[case::other(Some("http://www.example.org/"), Some("AccessDenied"))]
#[tokio::test]
async fn referer_if_exists(#[case] referer: Option<&'static str>, #[case] expected: Option<&str>) {
    let lab = lab().await;
    lab.bucket(
        BUCKET,
        ObjectOwnership::BucketOwnerEnforced,
        json!([{"Effect": "Allow", "Principal": other_principal(), "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
                "Condition": {"StringLikeIfExists": {"aws:Referer": "http://www.example.com/*"}}}]),
    )
    .await;
    lab.put(BUCKET, "k", b"x").await;
    let result = lab
        .other
        .get_object()
        .bucket(BUCKET)
        .key("k")
        .customize()
        .mutate_request(move |r| {
            if let Some(v) = referer {
                r.headers_mut().insert("referer", v);
            }
        })
        .send()
        .await;
    assert_eq!(outcome(result).as_deref(), expected);
}

/// `NumericLessThanEqualsIfExists` on `s3:max-keys`: a listing without `max-keys` passes, one
/// within the bound too, one above it is refused.
#[rstest]
#[case::no_max_keys(None, None)]
#[case::within(Some(10), None)]
#[case::above(Some(11), Some("AccessDenied"))]
#[tokio::test]
async fn max_keys_if_exists(#[case] max_keys: Option<i32>, #[case] expected: Option<&str>) {
    let lab = lab().await;
    lab.bucket(
        BUCKET,
        ObjectOwnership::BucketOwnerEnforced,
        json!([{"Effect": "Allow", "Principal": other_principal(), "Action": "s3:ListBucket",
                "Resource": format!("arn:aws:s3:::{BUCKET}"),
                "Condition": {"NumericLessThanEqualsIfExists": {"s3:max-keys": "10"}}}]),
    )
    .await;
    let result = lab
        .other
        .list_objects_v2()
        .bucket(BUCKET)
        .set_max_keys(max_keys)
        .send()
        .await;
    assert_eq!(outcome(result).as_deref(), expected);
}

/// Which grant header an upload sends.
#[derive(Debug, Clone, Copy)]
enum Grant {
    None,
    OwnerFullControl,
    OtherFullControl,
}

/// ceph/s3-tests' `test_bucket_policy_put_obj_grant`: uploads allowed only with
/// `s3:x-amz-grant-full-control` naming the bucket owner. With ACLs disabled that grant is the
/// owner's full control, which S3 accepts; the upload without it is refused by the policy.
#[rstest]
#[case::enforced_with_grant(ObjectOwnership::BucketOwnerEnforced, Grant::OwnerFullControl, None)]
#[case::enforced_without(
    ObjectOwnership::BucketOwnerEnforced,
    Grant::None,
    Some("AccessDenied")
)]
// A grant to anyone else is an ACL the bucket refuses, checked before the policy.
#[case::enforced_other_grant(
    ObjectOwnership::BucketOwnerEnforced,
    Grant::OtherFullControl,
    Some("AccessControlListNotSupported")
)]
#[case::writer_other_grant(
    ObjectOwnership::ObjectWriter,
    Grant::OtherFullControl,
    Some("AccessDenied")
)]
#[case::writer_with_grant(ObjectOwnership::ObjectWriter, Grant::OwnerFullControl, None)]
#[case::writer_without(ObjectOwnership::ObjectWriter, Grant::None, Some("AccessDenied"))]
#[tokio::test]
async fn grant_keys_reach_the_policy(
    #[case] ownership: ObjectOwnership,
    #[case] grant: Grant,
    #[case] expected: Option<&str>,
) {
    let lab = lab().await;
    let owner_grant = format!("id={}", lab.owner_id);
    lab.bucket(
        BUCKET,
        ownership,
        json!([{"Effect": "Allow", "Principal": other_principal(), "Action": "s3:PutObject",
                "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
                "Condition": {"StringEquals": {"s3:x-amz-grant-full-control": owner_grant}}}]),
    )
    .await;
    let header = match grant {
        Grant::None => None,
        Grant::OwnerFullControl => Some(owner_grant.clone()),
        Grant::OtherFullControl => Some("id=0123456789abcdef".to_owned()),
    };
    let result = lab
        .other
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .set_grant_full_control(header)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(outcome(result).as_deref(), expected);
    if expected.is_none() {
        // The bucket owner has full control of the upload, whoever owns it.
        let acl = lab
            .owner
            .get_object_acl()
            .bucket(BUCKET)
            .key("k")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(acl.grants().iter().any(|g| {
            g.grantee().and_then(|g| g.id()) == Some(lab.owner_id.as_str())
                && g.permission().map(|p| p.as_str()) == Some("FULL_CONTROL")
        }));
    }
}

/// ceph/s3-tests' `test_bucket_policy_put_obj_copy_source`: another account copies an object it
/// does not own from a bucket whose policy lets it read `public/*`, into a bucket whose policy lets
/// it write copies of `public/*` only (`s3:x-amz-copy-source`). Reading the copy back depends on
/// who owns it: the bucket owner with ACLs disabled (so the copier may not, without a policy
/// saying so), the copier with `ObjectWriter`.
#[rstest]
#[case::enforced(ObjectOwnership::BucketOwnerEnforced, Some("AccessDenied"))]
#[case::object_writer(ObjectOwnership::ObjectWriter, None)]
#[tokio::test]
async fn copy_of_an_object_the_caller_does_not_own(
    #[case] ownership: ObjectOwnership,
    #[case] read_back: Option<&str>,
) {
    let lab = lab().await;
    lab.bucket(
        "src",
        ObjectOwnership::BucketOwnerEnforced,
        json!([{"Effect": "Allow", "Principal": other_principal(), "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::src/public/*"}]),
    )
    .await;
    for key in ["public/foo", "private/foo"] {
        lab.put("src", key, b"source bytes").await;
    }
    lab.bucket(
        "dst",
        ownership.clone(),
        json!([{"Effect": "Allow", "Principal": other_principal(), "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::dst/*",
                "Condition": {"StringLike": {"s3:x-amz-copy-source": "src/public/*"}}}]),
    )
    .await;
    let copy = |source: &str, key: &str| {
        lab.other
            .copy_object()
            .bucket("dst")
            .key(key)
            .copy_source(source)
            .send()
    };
    assert_eq!(outcome(copy("src/public/foo", "new_foo").await), None);
    assert_eq!(
        outcome(copy("src/private/foo", "new_bar").await).as_deref(),
        Some("AccessDenied")
    );
    // A source the copier may read, into a key the policy does not let it write from there.
    assert_eq!(
        outcome(
            lab.other
                .put_object()
                .bucket("dst")
                .key("direct")
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
        )
        .as_deref(),
        Some("AccessDenied")
    );
    let read = lab
        .other
        .get_object()
        .bucket("dst")
        .key("new_foo")
        .send()
        .await;
    assert_eq!(outcome(read).as_deref(), read_back);
    let body = lab
        .owner
        .get_object()
        .bucket("dst")
        .key("new_foo")
        .send()
        .await;
    // The bucket owner reads it with ACLs disabled; under ObjectWriter the copy is the copier's.
    match ownership {
        ObjectOwnership::BucketOwnerEnforced => {
            let bytes = crate::support::object_bytes(body).await;
            assert_eq!(&bytes[..], b"source bytes");
        }
        _ => assert!(body.is_ok() || outcome(body).as_deref() == Some("AccessDenied")),
    }
}
