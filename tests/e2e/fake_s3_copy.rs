//! UploadPartCopy on fake-s3 through the official SDK: whole objects and byte ranges, a source
//! version, and the 403-vs-404 rule on the source.

use crate::support::fake_with_bucket;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, VersioningConfiguration,
};

const OWNER: &str = "111122223333";
const BUCKET: &str = "copy-bucket";
const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn parts_copied_from_ranges_and_versions_assemble_the_object() {
    let (_fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let source: Vec<u8> = (0..6 * MIB).map(|i| (i % 251) as u8).collect();
    let v1 = s3
        .put_object()
        .bucket(BUCKET)
        .key("src")
        .body(ByteStream::from(source.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .version_id
        .unwrap_or_default();
    // A newer version the copy must not see.
    s3.put_object()
        .bucket(BUCKET)
        .key("src")
        .body(ByteStream::from_static(b"newer"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("dst")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let id = up.upload_id().unwrap_or_default().to_owned();
    let mut parts = Vec::new();
    for (n, range) in [
        (1, format!("bytes=0-{}", 5 * MIB - 1)),
        (2, format!("bytes={}-{}", 5 * MIB, 6 * MIB - 1)),
    ] {
        let copied = s3
            .upload_part_copy()
            .bucket(BUCKET)
            .key("dst")
            .upload_id(&id)
            .part_number(n)
            .copy_source(format!("{BUCKET}/src?versionId={v1}"))
            .copy_source_range(range)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(copied.copy_source_version_id(), Some(v1.as_str()));
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .set_e_tag(
                    copied
                        .copy_part_result()
                        .and_then(|r| r.e_tag())
                        .map(str::to_owned),
                )
                .build(),
        );
    }
    let bad_range = s3
        .upload_part_copy()
        .bucket(BUCKET)
        .key("dst")
        .upload_id(&id)
        .part_number(3)
        .copy_source(format!("{BUCKET}/src?versionId={v1}"))
        .copy_source_range(format!("bytes=0-{}", 6 * MIB))
        .send()
        .await;
    assert_eq!(
        bad_range
            .err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("InvalidArgument")
    );
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key("dst")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("dst")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .body
        .collect()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    assert!(
        got == source,
        "the copied object differs from the source version"
    );
}

#[tokio::test]
async fn a_missing_source_is_404_only_for_those_who_may_list_it() {
    let (fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("dst")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let id = up.upload_id().unwrap_or_default().to_owned();
    let copy = |client: aws_sdk_s3::Client| {
        let id = id.clone();
        async move {
            client
                .upload_part_copy()
                .bucket(BUCKET)
                .key("dst")
                .upload_id(id)
                .part_number(1)
                .copy_source(format!("{BUCKET}/missing"))
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned))
        }
    };
    let writer = |name: &str, list: bool| {
        let actions = if list {
            r#"["s3:GetObject","s3:PutObject","s3:ListBucket"]"#
        } else {
            r#"["s3:GetObject","s3:PutObject"]"#
        };
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"]}}]}}"#
        );
        let (_, keys) = fake
            .create_user(OWNER, name, &[&policy])
            .unwrap_or_else(|e| panic!("{e}"));
        aws_sdk_s3::Client::new(&fake.sdk_config(&keys))
    };
    assert_eq!(
        copy(writer("lister", true)).await.as_deref(),
        Some("NoSuchKey")
    );
    assert_eq!(
        copy(writer("writer", false)).await.as_deref(),
        Some("AccessDenied")
    );
}
