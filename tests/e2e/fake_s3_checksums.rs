//! Additional checksums as "Checking object integrity in Amazon S3" describes them
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>):
//! multipart uploads with CRC32, CRC32C, CRC64NVME, SHA-1 and SHA-256, composite (`VALUE-N`, a
//! checksum of the parts' checksums) and full-object; ListParts and ListMultipartUploads naming
//! the algorithm; a part uploaded again; GetObject/HeadObject with `ChecksumMode::Enabled`;
//! GetObjectAttributes; and `x-amz-checksum-*` fields of browser POST uploads.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
    ObjectAttributes,
};
use base64::Engine;
use rstest::rstest;

use crate::support::fake_with_bucket;

const OWNER: &str = "111122223333";
const BUCKET: &str = "sums";
const FIRST: usize = 5 * 1024 * 1024;

fn b64(raw: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The raw checksum of `data` (CRC64NVME is left to the SDK, which checks it on GetObject).
fn digest(algo: &ChecksumAlgorithm, data: &[u8]) -> Option<Vec<u8>> {
    use sha1::Digest as _;
    Some(match algo {
        ChecksumAlgorithm::Crc32 => crc32fast::hash(data).to_be_bytes().to_vec(),
        ChecksumAlgorithm::Crc32C => crc32c::crc32c(data).to_be_bytes().to_vec(),
        ChecksumAlgorithm::Sha1 => sha1::Sha1::digest(data).to_vec(),
        ChecksumAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
        _ => return None,
    })
}

/// The checksum of `algo` an SDK answer carries (`ChecksumCRC32`, ...).
macro_rules! checksum_of {
    ($out:expr, $algo:expr) => {
        match $algo {
            ChecksumAlgorithm::Crc32 => $out.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => $out.checksum_crc32_c(),
            ChecksumAlgorithm::Crc64Nvme => $out.checksum_crc64_nvme(),
            ChecksumAlgorithm::Sha1 => $out.checksum_sha1(),
            ChecksumAlgorithm::Sha256 => $out.checksum_sha256(),
            _ => None,
        }
        .map(str::to_owned)
    };
}

fn completed_part(
    n: i32,
    etag: Option<&str>,
    algo: &ChecksumAlgorithm,
    sum: &str,
) -> CompletedPart {
    let b = CompletedPart::builder()
        .part_number(n)
        .set_e_tag(etag.map(str::to_owned));
    let sum = Some(sum.to_owned());
    match algo {
        ChecksumAlgorithm::Crc32 => b.set_checksum_crc32(sum),
        ChecksumAlgorithm::Crc32C => b.set_checksum_crc32_c(sum),
        ChecksumAlgorithm::Crc64Nvme => b.set_checksum_crc64_nvme(sum),
        ChecksumAlgorithm::Sha1 => b.set_checksum_sha1(sum),
        ChecksumAlgorithm::Sha256 => b.set_checksum_sha256(sum),
        _ => b,
    }
    .build()
}

/// Two parts (5 MiB, then 1 KiB) of distinct bytes.
fn parts() -> [Vec<u8>; 2] {
    let first: Vec<u8> = (0..FIRST).map(|i| (i % 251) as u8).collect();
    let last: Vec<u8> = (0..1024).map(|i| (i % 13) as u8 + 1).collect();
    [first, last]
}

#[rstest]
#[case::crc32_composite(ChecksumAlgorithm::Crc32, ChecksumType::Composite)]
#[case::crc32_full(ChecksumAlgorithm::Crc32, ChecksumType::FullObject)]
#[case::crc32c_composite(ChecksumAlgorithm::Crc32C, ChecksumType::Composite)]
#[case::crc32c_full(ChecksumAlgorithm::Crc32C, ChecksumType::FullObject)]
#[case::crc64nvme_full(ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject)]
#[case::sha1_composite(ChecksumAlgorithm::Sha1, ChecksumType::Composite)]
#[case::sha256_composite(ChecksumAlgorithm::Sha256, ChecksumType::Composite)]
#[tokio::test]
async fn multipart_uploads_carry_their_checksum(
    #[case] algo: ChecksumAlgorithm,
    #[case] kind: ChecksumType,
) {
    let (_fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("k")
        .checksum_algorithm(algo.clone())
        .checksum_type(kind.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(up.checksum_algorithm(), Some(&algo));
    assert_eq!(up.checksum_type(), Some(&kind));
    let id = up.upload_id().unwrap_or_default().to_owned();
    let data = parts();
    let mut completed = Vec::new();
    let mut sums = Vec::new();
    for (i, bytes) in data.iter().enumerate() {
        let n = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(algo.clone())
            .body(ByteStream::from(bytes.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let sum = checksum_of!(out, &algo).unwrap_or_default();
        if let Some(raw) = digest(&algo, bytes) {
            assert_eq!(sum, b64(&raw), "part {n}");
        }
        completed.push(completed_part(n, out.e_tag(), &algo, &sum));
        sums.push(sum);
    }

    // ListParts and ListMultipartUploads name the algorithm; each part shows its checksum.
    let listed = s3
        .list_parts()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(listed.checksum_algorithm(), Some(&algo));
    assert_eq!(listed.checksum_type(), Some(&kind));
    let listed_sums: Vec<_> = listed
        .parts()
        .iter()
        .filter_map(|p| checksum_of!(p, &algo))
        .collect();
    assert_eq!(listed_sums, sums);
    let uploads = s3
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let u = uploads.uploads().first();
    assert_eq!(u.and_then(|u| u.checksum_algorithm()), Some(&algo));
    assert_eq!(u.and_then(|u| u.checksum_type()), Some(&kind));

    let done = s3
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let object_sum = checksum_of!(done, &algo).unwrap_or_default();
    assert_eq!(done.checksum_type(), Some(&kind));
    let whole: Vec<u8> = data.concat();
    match kind {
        ChecksumType::Composite => {
            let raw: Vec<u8> = sums
                .iter()
                .flat_map(|s| {
                    base64::engine::general_purpose::STANDARD
                        .decode(s)
                        .unwrap_or_default()
                })
                .collect();
            let expected = digest(&algo, &raw).map(|d| format!("{}-2", b64(&d)));
            assert_eq!(Some(object_sum.clone()), expected);
        }
        _ => {
            if let Some(raw) = digest(&algo, &whole) {
                assert_eq!(object_sum, b64(&raw));
            }
            assert!(!object_sum.contains('-'));
        }
    }

    // HeadObject and GetObject show it with checksum mode on (the SDK checks a full-object one
    // against the body); without it, not.
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("k")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(checksum_of!(head, &algo), Some(object_sum.clone()));
    assert_eq!(head.checksum_type(), Some(&kind));
    let plain = s3
        .head_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(checksum_of!(plain, &algo), None);
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("k")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(checksum_of!(got, &algo), Some(object_sum.clone()));
    let body = got
        .body
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_bytes();
    assert_eq!(body.len(), whole.len());

    // GetObjectAttributes: the unquoted ETag, the checksum, both parts, the class and the size.
    let attrs = s3
        .get_object_attributes()
        .bucket(BUCKET)
        .key("k")
        .object_attributes(ObjectAttributes::Etag)
        .object_attributes(ObjectAttributes::Checksum)
        .object_attributes(ObjectAttributes::ObjectParts)
        .object_attributes(ObjectAttributes::StorageClass)
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(attrs.e_tag(), done.e_tag().map(|e| e.trim_matches('"')));
    let checksum = attrs.checksum();
    assert_eq!(
        checksum.and_then(|c| checksum_of!(c, &algo)),
        Some(object_sum)
    );
    assert_eq!(checksum.and_then(|c| c.checksum_type()), Some(&kind));
    let object_parts = attrs.object_parts();
    assert_eq!(object_parts.and_then(|p| p.total_parts_count()), Some(2));
    let part_sums: Vec<_> = object_parts
        .map(|p| p.parts())
        .unwrap_or_default()
        .iter()
        .filter_map(|p| checksum_of!(p, &algo))
        .collect();
    assert_eq!(part_sums, sums);
    assert_eq!(attrs.storage_class().map(|c| c.as_str()), Some("STANDARD"));
    assert_eq!(attrs.object_size(), Some(whole.len() as i64));
}

/// The pairs S3 refuses: CRC64NVME is full-object only, SHA-1 and SHA-256 composite only.
#[rstest]
#[case::crc64nvme_composite(ChecksumAlgorithm::Crc64Nvme, ChecksumType::Composite)]
#[case::sha1_full(ChecksumAlgorithm::Sha1, ChecksumType::FullObject)]
#[case::sha256_full(ChecksumAlgorithm::Sha256, ChecksumType::FullObject)]
#[tokio::test]
async fn unsupported_checksum_types_are_refused(
    #[case] algo: ChecksumAlgorithm,
    #[case] kind: ChecksumType,
) {
    let (_fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let err = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("k")
        .checksum_algorithm(algo)
        .checksum_type(kind)
        .send()
        .await
        .err();
    assert_eq!(err.as_ref().and_then(|e| e.code()), Some("InvalidRequest"));
}

/// What CompleteMultipartUpload says of a composite upload's parts: each part's checksum must be
/// named and match; a part uploaded again counts with its new checksum.
#[rstest]
#[case::matching(Some(true), None)]
#[case::wrong_checksum(Some(false), Some("InvalidPart"))]
#[case::missing_checksum(None, Some("InvalidRequest"))]
#[tokio::test]
async fn complete_checks_the_parts_checksums(
    #[case] name_checksum: Option<bool>,
    #[case] expected: Option<&str>,
) {
    let (_fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let algo = ChecksumAlgorithm::Crc32;
    let id = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("k")
        .checksum_algorithm(algo.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .upload_id()
        .unwrap_or_default()
        .to_owned();
    let upload = |body: &'static [u8]| {
        s3.upload_part()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .part_number(1)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from_static(body))
            .send()
    };
    let first = upload(b"first try")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // The part sent again with other bytes: its new checksum replaces the old.
    let again = upload(b"second try")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_ne!(first.checksum_crc32(), again.checksum_crc32());
    let listed = s3
        .list_parts()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        listed.parts().first().and_then(|p| p.checksum_crc32()),
        again.checksum_crc32()
    );
    let part = match name_checksum {
        Some(true) => completed_part(
            1,
            again.e_tag(),
            &algo,
            again.checksum_crc32().unwrap_or(""),
        ),
        Some(false) => completed_part(
            1,
            again.e_tag(),
            &algo,
            first.checksum_crc32().unwrap_or(""),
        ),
        None => CompletedPart::builder()
            .part_number(1)
            .set_e_tag(again.e_tag().map(str::to_owned))
            .build(),
    };
    let result = s3
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().parts(part).build())
        .send()
        .await;
    assert_eq!(result.as_ref().err().and_then(|e| e.code()), expected);
    if expected.is_none() {
        let got = s3.get_object().bucket(BUCKET).key("k").send().await;
        let body = crate::support::object_bytes(got).await;
        assert_eq!(&body[..], b"second try");
    }
}

/// A part with another algorithm's checksum than its upload's is refused.
#[tokio::test]
async fn a_part_of_another_algorithm_is_refused() {
    let (_fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let id = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("k")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .upload_id()
        .unwrap_or_default()
        .to_owned();
    let err = s3
        .upload_part()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .err();
    assert_eq!(err.as_ref().and_then(|e| e.code()), Some("InvalidRequest"));
}

/// A single PutObject's checksum is full-object; GetObjectAttributes shows no parts for it.
#[tokio::test]
async fn single_uploads_have_full_object_checksums() {
    let (_fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("one")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from_static(b"one piece"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(put.checksum_type(), Some(&ChecksumType::FullObject));
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("one")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let expected = digest(&ChecksumAlgorithm::Sha256, b"one piece").map(|d| b64(&d));
    assert_eq!(head.checksum_sha256().map(str::to_owned), expected);
    assert_eq!(head.checksum_type(), Some(&ChecksumType::FullObject));
    let attrs = s3
        .get_object_attributes()
        .bucket(BUCKET)
        .key("one")
        .object_attributes(ObjectAttributes::Checksum)
        .object_attributes(ObjectAttributes::ObjectParts)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        attrs
            .checksum()
            .and_then(|c| c.checksum_sha256())
            .map(str::to_owned),
        expected
    );
    assert!(attrs.object_parts().is_none());
    let missing = s3
        .get_object_attributes()
        .bucket(BUCKET)
        .key("absent")
        .object_attributes(ObjectAttributes::Etag)
        .send()
        .await
        .err();
    assert_eq!(missing.as_ref().and_then(|e| e.code()), Some("NoSuchKey"));
}

/// A browser POST upload's `x-amz-checksum-*` field is checked against the file.
#[rstest]
#[case::matching(true, 204)]
#[case::wrong(false, 400)]
#[tokio::test]
async fn post_uploads_check_their_checksum_fields(#[case] right: bool, #[case] status: u16) {
    let (fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let creds = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let file = b"posted bytes";
    let sum = b64(&crc32fast::hash(if right { file } else { b"other" }).to_be_bytes());
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let amz = time::OffsetDateTime::now_utc()
        .format(fmt)
        .unwrap_or_default();
    let date = &amz[..8];
    let credential = format!("{}/{date}/us-east-1/s3/aws4_request", creds.access_key_id);
    let mut fields = vec![
        ("key".to_owned(), "posted".to_owned()),
        ("x-amz-checksum-crc32".to_owned(), sum),
        ("x-amz-algorithm".to_owned(), "AWS4-HMAC-SHA256".to_owned()),
        ("x-amz-credential".to_owned(), credential),
        ("x-amz-date".to_owned(), amz.clone()),
    ];
    let mut conditions = vec![serde_json::json!({"bucket": BUCKET})];
    conditions.extend(
        fields
            .iter()
            .map(|(k, v)| serde_json::json!({ k.as_str(): v })),
    );
    let policy =
        serde_json::json!({"expiration": "2100-01-01T00:00:00Z", "conditions": conditions});
    let policy = b64(policy.to_string().as_bytes());
    let key = fake_s3::sigv4::signing_key(&creds.secret_access_key, date, "us-east-1", "s3");
    fields.push((
        "x-amz-signature".to_owned(),
        fake_s3::sigv4::signature(&key, &policy),
    ));
    fields.push(("policy".to_owned(), policy));
    let boundary = "checksum-boundary";
    let mut body = Vec::new();
    for (name, value) in &fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\nContent-Type: text/plain\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let reply = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .post(format!("{}/{BUCKET}", fake.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let got = reply.status().as_u16();
    let text = reply.text().await.unwrap_or_default();
    assert_eq!(got, status, "{text}");
    if right {
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key("posted")
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let expected = b64(&crc32fast::hash(file).to_be_bytes());
        assert_eq!(head.checksum_crc32(), Some(expected.as_str()));
    } else {
        assert!(text.contains("BadDigest"), "{text}");
    }
}
