//! Multipart objects and uploads beyond the basics: GetObject/HeadObject of one part
//! (`partNumber`, `x-amz-mp-parts-count`,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>), conditional writes on
//! CompleteMultipartUpload
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>), a part sent
//! twice at once, UploadPartCopy with a range the source does not have, and the `Initiator` and
//! `Owner` of ListMultipartUploads
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_MultipartUpload.html>).

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use fake_s3::FakeAws;
use rstest::rstest;

const OWNER: &str = "111122223333";
const BUCKET: &str = "parts";
const FIRST: usize = 5 * 1024 * 1024;
const LAST: usize = 1024;

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

async fn start(s3: &aws_sdk_s3::Client, key: &str) -> String {
    s3.create_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .upload_id()
        .unwrap_or_default()
        .to_owned()
}

async fn part(
    s3: &aws_sdk_s3::Client,
    key: &str,
    id: &str,
    n: i32,
    body: Vec<u8>,
) -> CompletedPart {
    let out = s3
        .upload_part()
        .bucket(BUCKET)
        .key(key)
        .upload_id(id)
        .part_number(n)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    CompletedPart::builder()
        .part_number(n)
        .set_e_tag(out.e_tag().map(str::to_owned))
        .build()
}

/// A two-part object (5 MiB of `a`, then 1 KiB of `b`) as `key`.
async fn two_parts(s3: &aws_sdk_s3::Client, key: &str) {
    let id = start(s3, key).await;
    let parts = vec![
        part(s3, key, &id, 1, vec![b'a'; FIRST]).await,
        part(s3, key, &id, 2, vec![b'b'; LAST]).await,
    ];
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

/// What GetObject with `partNumber` answers: (length, first byte, parts count) or the error code.
async fn get_part(
    s3: &aws_sdk_s3::Client,
    key: &str,
    n: i32,
) -> Result<(i64, Option<u8>, Option<i32>), String> {
    let out = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .part_number(n)
        .send()
        .await
        .map_err(|e| e.code().unwrap_or("?").to_owned())?;
    let (len, count) = (out.content_length().unwrap_or(-1), out.parts_count());
    let body = out
        .body
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_bytes();
    assert_eq!(body.len() as i64, len);
    Ok((len, body.first().copied(), count))
}

#[rstest]
#[case::first(false, "mp", 1, Ok((FIRST as i64, Some(b'a'), Some(2))))]
#[case::last(false, "mp", 2, Ok((LAST as i64, Some(b'b'), Some(2))))]
#[case::past_the_last(false, "mp", 3, Err("InvalidPartNumber".to_owned()))]
#[case::zero(false, "mp", 0, Err("InvalidArgument".to_owned()))]
#[case::single_first(false, "one", 1, Ok((3, Some(b'o'), None)))]
#[case::single_second(false, "one", 2, Err("InvalidPartNumber".to_owned()))]
// RGW 16.2 ignores partNumber: the whole object.
#[case::ceph_ignores_it(true, "mp", 2, Ok(((FIRST + LAST) as i64, Some(b'a'), None)))]
#[tokio::test]
async fn get_object_reads_one_part(
    #[case] ceph: bool,
    #[case] key: &str,
    #[case] n: i32,
    #[case] expected: Result<(i64, Option<u8>, Option<i32>), String>,
) {
    let (_fake, s3) = client(ceph).await;
    two_parts(&s3, "mp").await;
    s3.put_object()
        .bucket(BUCKET)
        .key("one")
        .body(ByteStream::from_static(b"one"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get_part(&s3, key, n).await, expected);
    if let Ok((len, _, count)) = expected {
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key(key)
            .part_number(n)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (head.content_length(), head.parts_count()),
            (Some(len), count)
        );
    }
}

#[tokio::test]
async fn a_part_and_a_range_together_are_refused() {
    let (_fake, s3) = client(false).await;
    two_parts(&s3, "mp").await;
    let err = s3
        .get_object()
        .bucket(BUCKET)
        .key("mp")
        .part_number(1)
        .range("bytes=0-9")
        .send()
        .await
        .err();
    assert_eq!(err.as_ref().and_then(|e| e.code()), Some("InvalidRequest"));
}

/// Which condition CompleteMultipartUpload carries.
#[derive(Debug, Clone, Copy)]
enum Condition {
    NoneMatchStar,
    MatchCurrent,
    MatchOther,
}

#[rstest]
#[case::create_only_new(Condition::NoneMatchStar, false, None)]
#[case::create_only_exists(Condition::NoneMatchStar, true, Some("PreconditionFailed"))]
#[case::if_match_current(Condition::MatchCurrent, true, None)]
#[case::if_match_other(Condition::MatchOther, true, Some("PreconditionFailed"))]
#[case::if_match_absent(Condition::MatchOther, false, Some("NoSuchKey"))]
#[tokio::test]
async fn complete_multipart_upload_is_a_conditional_write(
    #[case] condition: Condition,
    #[case] exists: bool,
    #[case] expected: Option<&str>,
) {
    let (_fake, s3) = client(false).await;
    let mut current = String::new();
    if exists {
        current = s3
            .put_object()
            .bucket(BUCKET)
            .key("k")
            .body(ByteStream::from_static(b"before"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"))
            .e_tag()
            .unwrap_or_default()
            .to_owned();
    }
    let id = start(&s3, "k").await;
    let parts = CompletedMultipartUpload::builder()
        .parts(part(&s3, "k", &id, 1, b"after".to_vec()).await)
        .build();
    let request = s3
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .multipart_upload(parts.clone());
    let request = match condition {
        Condition::NoneMatchStar => request.if_none_match("*"),
        Condition::MatchCurrent => request.if_match(current),
        Condition::MatchOther => request.if_match("\"0123456789abcdef0123456789abcdef\""),
    };
    let result = request.send().await;
    assert_eq!(result.as_ref().err().and_then(|e| e.code()), expected);
    if expected.is_some() {
        // A failed condition leaves the upload open: it completes without one.
        s3.complete_multipart_upload()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .multipart_upload(parts)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
}

/// Part 1 sent twice at once (ceph's "resend first, finish last"): the upload keeps the one that
/// finished last, which ListParts shows and the object then holds; the other ETag is stale.
#[tokio::test]
async fn a_part_sent_twice_keeps_the_last() {
    let (_fake, s3) = client(false).await;
    let id = start(&s3, "k").await;
    let (a, b) = tokio::join!(
        part(&s3, "k", &id, 1, vec![b'1'; 64 * 1024]),
        part(&s3, "k", &id, 1, vec![b'2'; 64 * 1024])
    );
    let listed = s3
        .list_parts()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(listed.parts().len(), 1);
    let kept = listed.parts()[0].e_tag().map(str::to_owned);
    let (kept_part, stale) = if kept.as_deref() == a.e_tag() {
        (a, b)
    } else {
        (b, a)
    };
    let complete = |p: CompletedPart| {
        s3.complete_multipart_upload()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .multipart_upload(CompletedMultipartUpload::builder().parts(p).build())
            .send()
    };
    let err = complete(stale).await.err();
    assert_eq!(err.as_ref().and_then(|e| e.code()), Some("InvalidPart"));
    complete(kept_part)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(head.content_length(), Some(64 * 1024));
}

/// UploadPartCopy of bytes the source does not have: AWS answers 400 InvalidArgument ("Range
/// specified is not valid for source object of size"), RGW 16.2 416 InvalidRange.
#[rstest]
#[case::aws_past_the_end(false, "bytes=0-100", "InvalidArgument", 400)]
#[case::aws_backwards(false, "bytes=5-2", "InvalidArgument", 400)]
#[case::ceph_past_the_end(true, "bytes=0-100", "InvalidRange", 416)]
#[case::ceph_backwards(true, "bytes=5-2", "InvalidRange", 416)]
#[tokio::test]
async fn upload_part_copy_refuses_a_range_the_source_lacks(
    #[case] ceph: bool,
    #[case] range: &str,
    #[case] code: &str,
    #[case] status: u16,
) {
    let (_fake, s3) = client(ceph).await;
    s3.put_object()
        .bucket(BUCKET)
        .key("src")
        .body(ByteStream::from_static(b"ten bytes!"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let id = start(&s3, "dst").await;
    let err = s3
        .upload_part_copy()
        .bucket(BUCKET)
        .key("dst")
        .upload_id(&id)
        .part_number(1)
        .copy_source(format!("{BUCKET}/src"))
        .copy_source_range(range)
        .send()
        .await
        .err();
    let got = err.as_ref().map(|e| {
        (
            e.code().unwrap_or("?").to_owned(),
            e.raw_response().map(|r| r.status().as_u16()),
        )
    });
    assert_eq!(got, Some((code.to_owned(), Some(status))));
}

/// ListMultipartUploads names who started each upload (an account's canonical id, an IAM
/// user's ARN) and who will own the object; the Ceph dialect adds RGW's display names.
#[rstest]
#[case::aws(false)]
#[case::ceph(true)]
#[tokio::test]
async fn uploads_name_their_initiator_and_owner(#[case] ceph: bool) {
    let (fake, s3) = client(ceph).await;
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;
    let (_, keys) = fake
        .create_user(OWNER, "uploader", &[policy])
        .unwrap_or_else(|e| panic!("{e}"));
    let user = aws_sdk_s3::Client::new(&fake.sdk_config(&keys));
    start(&s3, "by-root").await;
    start(&user, "by-user").await;
    let owner_id = s3
        .list_buckets()
        .send()
        .await
        .ok()
        .and_then(|b| b.owner.and_then(|o| o.id))
        .unwrap_or_default();
    let listed = s3
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let people: Vec<_> = listed
        .uploads()
        .iter()
        .map(|u| {
            (
                u.key().unwrap_or_default().to_owned(),
                u.initiator().and_then(|i| i.id()).map(str::to_owned),
                u.initiator().and_then(|i| i.display_name()).is_some(),
                u.owner().and_then(|o| o.id()).is_some(),
            )
        })
        .collect();
    assert_eq!(people.len(), 2);
    assert_eq!(people[0].1.as_deref(), Some(owner_id.as_str()));
    let user_initiator = people[1].1.clone().unwrap_or_default();
    if ceph {
        assert!(!user_initiator.starts_with("arn:"), "{user_initiator}");
    } else {
        assert_eq!(
            user_initiator,
            format!("arn:aws:iam::{OWNER}:user/uploader")
        );
    }
    assert!(people.iter().all(|p| p.2 == ceph && p.3), "{people:?}");
}
