//! Helpers shared by the fake-s3 test modules.

use std::net::SocketAddr;

use aws_sdk_s3::error::ProvideErrorMetadata;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A fake with `accounts`, and a client acting as the first account's root with `bucket`
/// created.
pub async fn fake_with_bucket(
    accounts: &[&str],
    bucket: &str,
) -> (fake_s3::FakeAwsHandle, aws_sdk_s3::Client) {
    fake_from_with_bucket(fake_s3::FakeAws::builder(), accounts, bucket).await
}

/// [`fake_with_bucket`] from a builder already given other settings.
pub async fn fake_from_with_bucket(
    mut builder: fake_s3::FakeAws,
    accounts: &[&str],
    bucket: &str,
) -> (fake_s3::FakeAwsHandle, aws_sdk_s3::Client) {
    for a in accounts {
        builder = builder.account(a);
    }
    let fake = builder.start().await.unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials(accounts[0])
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    (fake, s3)
}

/// The bytes of a GetObject that must have succeeded.
pub async fn object_bytes<E: std::fmt::Debug>(
    got: Result<aws_sdk_s3::operation::get_object::GetObjectOutput, E>,
) -> bytes::Bytes {
    got.unwrap_or_else(|e| panic!("{e:?}"))
        .body
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_bytes()
}

/// Uploads `body` as `key` in one multipart part (with `tagging` on the upload if given) and
/// returns CompleteMultipartUpload's answer.
pub async fn upload_in_one_part(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    tagging: Option<&str>,
    body: &'static [u8],
) -> aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let up = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .set_tagging(tagging.map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let id = up.upload_id().unwrap_or_default().to_owned();
    let part = s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(body))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
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
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// The AWS error code of a call that failed, `None` when it succeeded.
pub fn err_code<T, E: ProvideErrorMetadata>(r: Result<T, E>) -> Option<String> {
    r.err().and_then(|e| e.code().map(str::to_owned))
}

/// The AWS error code of an SDK error (`""` when there is none).
pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("").to_owned()
}

/// Sends one raw HTTP/1.1 request (which should say `Connection: close`) and returns the whole
/// response as text: for requests no SDK would send (unsigned, tampered, hand-signed).
pub async fn raw_http(addr: SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The status of a plain GET of `path_and_query` with `Host: host`.
pub async fn raw_get(addr: SocketAddr, path_and_query: &str, host: &str) -> u16 {
    let response = raw_http(
        addr,
        &format!("GET {path_and_query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// An AWS-dialect fake with two accounts, each account root's client, and the first account's
/// canonical id as ListBuckets shows it.
pub struct TwoAccounts {
    pub fake: fake_s3::FakeAwsHandle,
    pub owner: aws_sdk_s3::Client,
    pub other: aws_sdk_s3::Client,
    pub owner_id: String,
}

pub async fn two_accounts(owner: &str, other: &str) -> TwoAccounts {
    let fake = fake_s3::FakeAws::builder()
        .account(owner)
        .account(other)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = |account: &str| {
        let keys = fake
            .root_credentials(account)
            .unwrap_or_else(|e| panic!("{e}"));
        aws_sdk_s3::Client::new(&fake.sdk_config(&keys))
    };
    let (owner, other) = (client(owner), client(other));
    let owner_id = owner
        .list_buckets()
        .send()
        .await
        .ok()
        .and_then(|b| b.owner.and_then(|o| o.id))
        .unwrap_or_default();
    TwoAccounts {
        fake,
        owner,
        other,
        owner_id,
    }
}
