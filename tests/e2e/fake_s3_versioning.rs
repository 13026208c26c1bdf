//! Versioning on fake-s3 through the official SDK: versions, delete markers, reads and deletes
//! by version id, suspended buckets, copies and multipart uploads of versions, and
//! ListObjectVersions with pagination.

use crate::support::fake_with_bucket;
use crate::support::upload_in_one_part;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, Delete, ObjectIdentifier, VersioningConfiguration,
};

const OWNER: &str = "111122223333";
const BUCKET: &str = "versioned";

async fn setup() -> (fake_s3::FakeAwsHandle, aws_sdk_s3::Client) {
    let (fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    (fake, s3)
}

async fn set_versioning(s3: &aws_sdk_s3::Client, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

async fn put(s3: &aws_sdk_s3::Client, key: &str, body: &'static [u8]) -> Option<String> {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .version_id
}

async fn read(
    s3: &aws_sdk_s3::Client,
    key: &str,
    version: Option<&str>,
) -> Result<Vec<u8>, String> {
    match s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
    {
        Ok(o) => Ok(o
            .body
            .collect()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default()),
        Err(e) => Err(e.code().unwrap_or("?").to_owned()),
    }
}

/// (key, version id, is latest, is delete marker) in the order ListObjectVersions gives them.
async fn versions(s3: &aws_sdk_s3::Client, page: i32) -> Vec<(String, String, bool, bool)> {
    let mut out = Vec::new();
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let r = s3
            .list_object_versions()
            .bucket(BUCKET)
            .max_keys(page)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let mut items: Vec<(String, String, bool, bool)> = r
            .versions()
            .iter()
            .map(|v| {
                (
                    v.key().unwrap_or_default().to_owned(),
                    v.version_id().unwrap_or_default().to_owned(),
                    v.is_latest().unwrap_or(false),
                    false,
                )
            })
            .chain(r.delete_markers().iter().map(|m| {
                (
                    m.key().unwrap_or_default().to_owned(),
                    m.version_id().unwrap_or_default().to_owned(),
                    m.is_latest().unwrap_or(false),
                    true,
                )
            }))
            .collect();
        // The SDK splits versions and markers; S3 orders them together, latest first per key.
        items.sort_by_key(|(k, _, latest, _)| (k.clone(), !latest));
        out.extend(items);
        if r.is_truncated() != Some(true) {
            return out;
        }
        key_marker = r.next_key_marker().map(str::to_owned);
        version_marker = r.next_version_id_marker().map(str::to_owned);
    }
}

#[tokio::test]
async fn versions_and_delete_markers_behave_as_s3s() {
    let (_fake, s3) = setup().await;
    let status = s3.get_bucket_versioning().bucket(BUCKET).send().await;
    assert_eq!(
        status.map(|s| s.status).ok(),
        Some(None),
        "never versioned: no Status"
    );
    assert_eq!(
        put(&s3, "plain", b"0").await,
        None,
        "no version id before versioning"
    );

    set_versioning(&s3, BucketVersioningStatus::Enabled).await;
    let status = s3.get_bucket_versioning().bucket(BUCKET).send().await;
    assert_eq!(
        status.ok().and_then(|s| s.status),
        Some(BucketVersioningStatus::Enabled)
    );
    let v1 = put(&s3, "doc", b"one").await.unwrap_or_default();
    let v2 = put(&s3, "doc", b"two").await.unwrap_or_default();
    assert!(!v1.is_empty() && v1 != v2 && v1 != "null");
    assert_eq!(read(&s3, "doc", None).await, Ok(b"two".to_vec()));
    assert_eq!(read(&s3, "doc", Some(&v1)).await, Ok(b"one".to_vec()));
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("doc")
        .version_id(&v1)
        .send()
        .await;
    assert_eq!(head.ok().and_then(|h| h.content_length), Some(3));

    // A delete without a version id hides the key behind a delete marker.
    let del = s3
        .delete_object()
        .bucket(BUCKET)
        .key("doc")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap_or_default().to_owned();
    assert_eq!(read(&s3, "doc", None).await, Err("NoSuchKey".to_owned()));
    assert_eq!(
        read(&s3, "doc", Some(&marker)).await,
        Err("MethodNotAllowed".to_owned())
    );
    assert_eq!(read(&s3, "doc", Some(&v2)).await, Ok(b"two".to_vec()));
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await;
    let keys: Vec<String> = listed
        .map(|l| {
            l.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(keys, ["plain"], "a deleted key is not listed");
    assert_eq!(
        versions(&s3, 1000).await,
        vec![
            ("doc".to_owned(), marker.clone(), true, true),
            ("doc".to_owned(), v2.clone(), false, false),
            ("doc".to_owned(), v1.clone(), false, false),
            ("plain".to_owned(), "null".to_owned(), true, false),
        ]
    );
    assert_eq!(
        versions(&s3, 1).await.len(),
        4,
        "pages of one reach every version"
    );

    // Deleting the marker by its id brings the key back; deleting a version removes it for good.
    let undelete = s3
        .delete_object()
        .bucket(BUCKET)
        .key("doc")
        .version_id(&marker)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(undelete.delete_marker(), Some(true));
    assert_eq!(read(&s3, "doc", None).await, Ok(b"two".to_vec()));
    s3.delete_object()
        .bucket(BUCKET)
        .key("doc")
        .version_id(&v2)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(read(&s3, "doc", None).await, Ok(b"one".to_vec()));
    assert_eq!(
        read(&s3, "doc", Some(&v2)).await,
        Err("NoSuchVersion".to_owned())
    );
    assert_eq!(
        read(&s3, "doc", Some("not a version")).await,
        Err("InvalidArgument".to_owned())
    );

    // Suspended: writes make the `null` version, replacing the previous `null` one.
    set_versioning(&s3, BucketVersioningStatus::Suspended).await;
    assert_eq!(put(&s3, "doc", b"three").await.as_deref(), Some("null"));
    assert_eq!(put(&s3, "doc", b"four").await.as_deref(), Some("null"));
    let doc_versions: Vec<(String, bool)> = versions(&s3, 1000)
        .await
        .into_iter()
        .filter(|(k, ..)| k == "doc")
        .map(|(_, v, latest, _)| (v, latest))
        .collect();
    assert_eq!(
        doc_versions,
        vec![("null".to_owned(), true), (v1.clone(), false)]
    );
    assert_eq!(read(&s3, "doc", Some("null")).await, Ok(b"four".to_vec()));

    // The bucket cannot go away while versions remain.
    let not_empty = s3.delete_bucket().bucket(BUCKET).send().await;
    assert_eq!(
        not_empty
            .err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("BucketNotEmpty")
    );
}

#[tokio::test]
async fn copies_multipart_and_batch_deletes_know_versions() {
    let (_fake, s3) = setup().await;
    set_versioning(&s3, BucketVersioningStatus::Enabled).await;
    let old = put(&s3, "src", b"old").await.unwrap_or_default();
    put(&s3, "src", b"new").await;
    let copy = s3
        .copy_object()
        .bucket(BUCKET)
        .key("dst")
        .copy_source(format!("{BUCKET}/src?versionId={old}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(copy.copy_source_version_id(), Some(old.as_str()));
    assert!(copy.version_id().is_some_and(|v| v != old));
    assert_eq!(read(&s3, "dst", None).await, Ok(b"old".to_vec()));

    let done = upload_in_one_part(&s3, BUCKET, "big", None, b"part").await;
    assert!(done.version_id().is_some_and(|v| v.len() == 32));

    // One batch: a version removed for good, and a key hidden by a new marker.
    let batch = s3
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("src")
                        .version_id(&old)
                        .build()
                        .unwrap_or_else(|e| panic!("{e}")),
                )
                .objects(
                    ObjectIdentifier::builder()
                        .key("big")
                        .build()
                        .unwrap_or_else(|e| panic!("{e}")),
                )
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(batch.deleted().len(), 2, "{batch:?}");
    let big = batch.deleted().iter().find(|d| d.key() == Some("big"));
    assert!(
        big.is_some_and(
            |d| d.delete_marker() == Some(true) && d.delete_marker_version_id().is_some()
        )
    );
    assert_eq!(
        read(&s3, "src", Some(&old)).await,
        Err("NoSuchVersion".to_owned())
    );
    assert_eq!(read(&s3, "big", None).await, Err("NoSuchKey".to_owned()));
}
