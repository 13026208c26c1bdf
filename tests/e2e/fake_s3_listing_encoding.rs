//! Listings with `encoding-type=url` and keys holding control characters, which XML 1.0 cannot
//! carry: S3 then URL-encodes `Key`, `Prefix`, `Delimiter`, `StartAfter`, `Marker`, `NextMarker`,
//! `CommonPrefixes` and `KeyMarker` (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>,
//! `EncodingType`; <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html>, characters
//! that might require special handling). AWS keeps `/` as it is; RGW 16.2 encodes it as `%2F`.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, EncodingType, VersioningConfiguration};
use fake_s3::FakeAws;
use rstest::rstest;

const OWNER: &str = "111122223333";
const BUCKET: &str = "listing";

/// Percent-decoding as a client does with an `encoding-type=url` answer.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

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
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    (fake, s3)
}

async fn put(s3: &aws_sdk_s3::Client, key: &str) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{key:?}: {e:?}"));
}

/// Each key round-trips through ListObjectsV2, ListObjects and ListObjectVersions: listed
/// encoded (no raw control character in the answer), decoded back to itself.
#[rstest]
#[case::soh("a\u{1}b")]
#[case::line_feed("line\nfeed")]
#[case::carriage_return("carriage\rreturn")]
#[case::tab("tab\there")]
#[case::unit_separator("dir/\u{1f}name")]
#[case::delete("del\u{7f}")]
#[case::plus_and_space("plus+ and space")]
#[case::xml_specials("amp&lt<gt>")]
#[tokio::test]
async fn control_characters_round_trip(#[case] key: &str) {
    let (_fake, s3) = client(false).await;
    put(&s3, key).await;
    let v2 = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let listed: Vec<_> = v2.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].chars().all(|c| !c.is_control()), "{listed:?}");
    assert_eq!(decode(listed[0]), key);
    assert_eq!(v2.encoding_type(), Some(&EncodingType::Url));
    let v1 = s3
        .list_objects()
        .bucket(BUCKET)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let listed: Vec<_> = v1
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .map(decode)
        .collect();
    assert_eq!(listed, vec![key.to_owned()]);
    let versions = s3
        .list_object_versions()
        .bucket(BUCKET)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let listed: Vec<_> = versions
        .versions()
        .iter()
        .filter_map(|o| o.key())
        .map(decode)
        .collect();
    assert_eq!(listed, vec![key.to_owned()]);
}

/// The request's prefix, delimiter, start and markers come back encoded too, and common
/// prefixes: AWS keeps `/`, RGW 16.2 encodes it.
#[rstest]
#[case::aws(false, "dir\u{1}/", "dir%01/")]
#[case::ceph(true, "dir\u{1}/", "dir%01%2F")]
#[tokio::test]
async fn echoed_parameters_are_encoded(
    #[case] ceph: bool,
    #[case] prefix: &str,
    #[case] encoded: &str,
) {
    let (_fake, s3) = client(ceph).await;
    for key in ["dir\u{1}/a\u{2}/x", "dir\u{1}/b", "dir\u{1}/c\u{3}/y"] {
        put(&s3, key).await;
    }
    let v2 = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(prefix)
        .delimiter("/")
        .start_after("dir\u{1}/a")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(v2.prefix(), Some(encoded));
    assert!(v2.start_after().is_some_and(|s| decode(s) == "dir\u{1}/a"));
    let common: Vec<_> = v2
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .map(decode)
        .collect();
    assert_eq!(common, ["dir\u{1}/a\u{2}/", "dir\u{1}/c\u{3}/"]);
    let keys: Vec<_> = v2
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .map(decode)
        .collect();
    assert_eq!(keys, ["dir\u{1}/b"]);
    // ListObjects (v1) echoes the marker it was given, even one naming a common prefix.
    let v1 = s3
        .list_objects()
        .bucket(BUCKET)
        .prefix(prefix)
        .delimiter("/")
        .marker("dir\u{1}/a\u{2}/")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        v1.marker().is_some_and(|m| decode(m) == "dir\u{1}/a\u{2}/"),
        "{:?}",
        v1.marker()
    );
    let rest: Vec<_> = v1
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .map(decode)
        .chain(v1.contents().iter().filter_map(|o| o.key()).map(decode))
        .collect();
    assert_eq!(rest, ["dir\u{1}/c\u{3}/", "dir\u{1}/b"]);
}

/// ListObjectVersions with a key marker holding a control character, paged one at a time.
#[tokio::test]
async fn versions_page_through_encoded_key_markers() {
    let (_fake, s3) = client(false).await;
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
    let keys = ["k\u{1}", "k\u{2}", "k\u{3}"];
    for k in keys {
        put(&s3, k).await;
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..5 {
        let page = s3
            .list_object_versions()
            .bucket(BUCKET)
            .max_keys(1)
            .set_key_marker(marker.clone())
            .encoding_type(EncodingType::Url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        seen.extend(page.versions().iter().filter_map(|v| v.key()).map(decode));
        match page
            .next_key_marker()
            .filter(|_| page.is_truncated() == Some(true))
        {
            Some(m) => marker = Some(decode(m)),
            None => break,
        }
    }
    assert_eq!(seen, keys);
}
