//! The condition-key catalogue through real SDK requests: keys AWS added for conditional writes
//! (`s3:if-none-match`, `s3:ObjectCreationOperation`) and Object Ownership on create
//! (`s3:x-amz-object-ownership`) decide as the S3 User Guide's own policies expect
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html>).
//! The unit walk in `fake-s3/src/authz.rs` covers every action × key of the table.

use crate::support::{err_code, fake_with_bucket};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ObjectOwnership};

const OWNER: &str = "111122223333";
const BUCKET: &str = "catalogue-bucket";

#[tokio::test]
async fn the_user_guides_conditional_write_policy_exempts_multipart_steps() {
    let (fake, owner) = fake_with_bucket(&[OWNER], BUCKET).await;
    // The User Guide's policy: object creation without If-None-Match is refused; the multipart
    // steps that take no conditional header are not object creation.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
          {{"Sid":"BlockNonConditionalObjectCreation","Effect":"Deny","Principal":"*",
            "Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/*",
            "Condition":{{"Null":{{"s3:if-none-match":"true"}},"Bool":{{"s3:ObjectCreationOperation":"true"}}}}}}]}}"#
    );
    owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let (_, keys) = fake
        .create_user(
            OWNER,
            "writer",
            &[r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&keys));
    let put = |key: &'static str, conditional: bool| {
        let req = s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"x"));
        let req = if conditional {
            req.if_none_match("*")
        } else {
            req
        };
        req.send()
    };
    assert_eq!(
        err_code(put("plain", false).await).as_deref(),
        Some("AccessDenied")
    );
    assert_eq!(err_code(put("conditional", true).await), None);
    // A second conditional create of the same key: allowed by the policy, refused by S3.
    assert_eq!(
        err_code(put("conditional", true).await).as_deref(),
        Some("PreconditionFailed")
    );

    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateMultipartUpload is not object creation: {e:?}"));
    let id = up.upload_id().unwrap_or_default().to_owned();
    let part = s3
        .upload_part()
        .bucket(BUCKET)
        .key("big")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("UploadPart is not object creation: {e:?}"));
    let complete = |conditional: bool| {
        let req = s3
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key("big")
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .parts(
                        CompletedPart::builder()
                            .part_number(1)
                            .set_e_tag(part.e_tag().map(str::to_owned))
                            .build(),
                    )
                    .build(),
            );
        let req = if conditional {
            req.if_none_match("*")
        } else {
            req
        };
        req.send()
    };
    assert_eq!(
        err_code(complete(false).await).as_deref(),
        Some("AccessDenied")
    );
    assert_eq!(err_code(complete(true).await), None);
}

#[tokio::test]
async fn create_bucket_can_require_an_object_ownership_setting() {
    let (fake, _owner) = fake_with_bucket(&[OWNER], BUCKET).await;
    let (_, keys) = fake
        .create_user(
            OWNER,
            "creator",
            // Setting ownership on create also needs s3:PutBucketOwnershipControls.
            &[r#"{"Version":"2012-10-17","Statement":[
                 {"Effect":"Allow","Action":"s3:CreateBucket","Resource":"*",
                  "Condition":{"StringEquals":{"s3:x-amz-object-ownership":"BucketOwnerEnforced"}}},
                 {"Effect":"Allow","Action":"s3:PutBucketOwnershipControls","Resource":"*"}]}"#],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&keys));
    let create = |name: &'static str, ownership: Option<ObjectOwnership>| {
        s3.create_bucket()
            .bucket(name)
            .set_object_ownership(ownership)
            .send()
    };
    assert_eq!(
        err_code(create("no-setting", None).await).as_deref(),
        Some("AccessDenied"),
        "without the header the key is absent and StringEquals fails"
    );
    assert_eq!(
        err_code(create("writer-owns", Some(ObjectOwnership::ObjectWriter)).await).as_deref(),
        Some("AccessDenied")
    );
    assert_eq!(
        err_code(create("enforced", Some(ObjectOwnership::BucketOwnerEnforced)).await),
        None
    );
}
