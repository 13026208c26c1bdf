//! fake-s3's answers shaped as S3 shapes them: AccessDenied messages worded as S3 words them,
//! bucket policies returned in their own key order, listings with `max-keys=0`, owners and
//! URL-encoded keys, and DeleteBucket with uploads in progress.

use crate::support::fake_with_bucket;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::EncodingType;
use fake_s3::FakeAwsHandle;

const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";
const BUCKET: &str = "shapes-bucket";

async fn fake() -> (FakeAwsHandle, aws_sdk_s3::Client) {
    let (fake, s3) = fake_with_bucket(&[OWNER, OTHER], BUCKET).await;
    (fake, s3)
}

async fn put(s3: &aws_sdk_s3::Client, key: &str) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

fn user(fake: &FakeAwsHandle, account: &str, name: &str, policy: &str) -> aws_sdk_s3::Client {
    let policies: Vec<&str> = if policy.is_empty() {
        vec![]
    } else {
        vec![policy]
    };
    let (_, keys) = fake
        .create_user(account, name, &policies)
        .unwrap_or_else(|e| panic!("{e}"));
    aws_sdk_s3::Client::new(&fake.sdk_config(&keys))
}

async fn denial(s3: &aws_sdk_s3::Client, key: &str) -> String {
    match s3.get_object().bucket(BUCKET).key(key).send().await {
        Ok(_) => panic!("the read of {key} was allowed"),
        Err(e) => {
            assert_eq!(e.code(), Some("AccessDenied"), "{e:?}");
            e.message().unwrap_or_default().to_owned()
        }
    }
}

#[tokio::test]
async fn access_denied_says_who_what_where_and_why_within_the_account() {
    let (fake, owner) = fake().await;
    put(&owner, "data/a.csv").await;
    owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/secret/*"}}]}}"#
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    put(&owner, "secret/b.csv").await;

    let nobody = user(&fake, OWNER, "nobody", "");
    assert_eq!(
        denial(&nobody, "data/a.csv").await,
        format!("User: arn:aws:iam::{OWNER}:user/nobody is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::{BUCKET}/data/a.csv\" because no identity-based policy allows the s3:GetObject action")
    );
    let reader = user(
        &fake,
        OWNER,
        "reader",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    );
    assert_eq!(
        denial(&reader, "secret/b.csv").await,
        format!("User: arn:aws:iam::{OWNER}:user/reader is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::{BUCKET}/secret/b.csv\" with an explicit deny in a resource-based policy")
    );
    let fenced = user(
        &fake,
        OWNER,
        "fenced",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#,
    );
    assert!(denial(&fenced, "data/a.csv")
        .await
        .ends_with("with an explicit deny in an identity-based policy"));
    // Another account learns nothing more than S3 tells it.
    let outsider = user(
        &fake,
        OTHER,
        "outsider",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    assert_eq!(denial(&outsider, "data/a.csv").await, "Access Denied");
}

#[tokio::test]
async fn a_bucket_policy_comes_back_in_its_own_key_order() {
    let (_fake, owner) = fake().await;
    // Keys deliberately out of alphabetical order.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Read","Resource":"arn:aws:s3:::{BUCKET}/*","Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}},"Effect":"Allow","Action":"s3:GetObject"}}],"Id":"KeyOrder"}}"#
    );
    owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(&policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let got = owner
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .policy
        .unwrap_or_default();
    let order: Vec<usize> = [
        "\"Version\"",
        "\"Statement\"",
        "\"Sid\"",
        "\"Resource\"",
        "\"Principal\"",
        "\"Effect\"",
        "\"Action\"",
        "\"Id\"",
    ]
    .iter()
    .map(|k| {
        got.find(k)
            .unwrap_or_else(|| panic!("{k} missing in {got}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "key order changed: {got}"
    );
}

#[tokio::test]
async fn max_keys_zero_lists_nothing_and_is_not_truncated() {
    let (_fake, owner) = fake().await;
    put(&owner, "a").await;
    put(&owner, "b").await;
    let out = owner
        .list_objects_v2()
        .bucket(BUCKET)
        .max_keys(0)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(out.key_count(), Some(0));
    assert_eq!(out.is_truncated(), Some(false));
    assert!(out.contents().is_empty());
    assert_eq!(out.next_continuation_token(), None);
    let v1 = owner
        .list_objects()
        .bucket(BUCKET)
        .max_keys(0)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(v1.is_truncated(), Some(false));
    assert!(v1.contents().is_empty());
}

#[tokio::test]
async fn owners_are_listed_when_asked_for() {
    let (_fake, owner) = fake().await;
    put(&owner, "a").await;
    let me = owner
        .list_buckets()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .owner
        .and_then(|o| o.id)
        .unwrap_or_default();
    assert_eq!(me.len(), 64, "{me}");
    let owner_of = |c: &[aws_sdk_s3::types::Object]| {
        c.first()
            .and_then(|o| o.owner())
            .and_then(|o| o.id())
            .map(str::to_owned)
    };
    let plain = owner.list_objects_v2().bucket(BUCKET).send().await;
    assert_eq!(plain.map(|o| owner_of(o.contents())).ok(), Some(None));
    let fetched = owner
        .list_objects_v2()
        .bucket(BUCKET)
        .fetch_owner(true)
        .send()
        .await;
    assert_eq!(
        fetched.map(|o| owner_of(o.contents())).ok(),
        Some(Some(me.clone()))
    );
    let v1 = owner.list_objects().bucket(BUCKET).send().await;
    assert_eq!(v1.map(|o| owner_of(o.contents())).ok(), Some(Some(me)));
}

/// Reverses S3's `encoding-type=url` (as botocore does: `unquote_plus`).
fn unquote_plus(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                out.push(
                    u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad escape in {s}")),
                );
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn url_encoding_carries_keys_xml_cannot() {
    let (_fake, owner) = fake().await;
    let key = "dir/a\u{1}b c+d\u{7f}é.txt";
    put(&owner, key).await;
    let out = owner
        .list_objects_v2()
        .bucket(BUCKET)
        .encoding_type(EncodingType::Url)
        .prefix("dir/")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let listed = out
        .contents()
        .first()
        .and_then(|o| o.key())
        .unwrap_or_default()
        .to_owned();
    assert!(
        !listed.contains('\u{1}') && !listed.contains(' '),
        "{listed:?}"
    );
    assert_eq!(unquote_plus(&listed), key);
    assert_eq!(out.encoding_type(), Some(&EncodingType::Url));
}

#[tokio::test]
async fn delete_bucket_takes_uploads_in_progress_with_it() {
    let (_fake, owner) = fake().await;
    let upload = owner
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    owner
        .upload_part()
        .bucket(BUCKET)
        .key("big")
        .upload_id(upload.upload_id().unwrap_or_default())
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // AWS: DeleteBucket needs no objects; uploads in progress are not objects.
    let deleted = owner.delete_bucket().bucket(BUCKET).send().await;
    assert!(deleted.is_ok(), "{deleted:?}");
    let gone = owner.list_multipart_uploads().bucket(BUCKET).send().await;
    assert_eq!(
        gone.err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("NoSuchBucket")
    );
}

/// Sends a request line and headers declaring `length` bytes but only `send` of them, and reads
/// the status line the server answers with (before the rest is ever sent).
async fn declared_but_short(
    addr: std::net::SocketAddr,
    head: &str,
    length: usize,
    send: usize,
) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = BufReader::new(stream);
    let request = format!("{head}\r\nHost: {addr}\r\nContent-Length: {length}\r\n\r\n");
    conn.get_mut()
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    conn.get_mut()
        .write_all(&vec![b' '; send])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(5), conn.read_line(&mut line)).await;
    assert!(read.is_ok(), "no answer while the body was still owed");
    let mut rest = String::new();
    let _ = tokio::time::timeout(std::time::Duration::from_millis(500), async {
        while conn.read_line(&mut rest).await.is_ok_and(|n| n > 0) {
            if rest.contains("</Error>") {
                break;
            }
        }
    })
    .await;
    format!("{line}{rest}")
}

#[tokio::test]
async fn oversized_documents_are_refused_before_their_bodies_arrive() {
    let (fake, _owner) = fake().await;
    let addr = fake.addr();
    let answer =
        declared_but_short(addr, &format!("PUT /{BUCKET}?policy HTTP/1.1"), 2 << 20, 10).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("<Code>MalformedPolicy</Code>"), "{answer}");
    let answer = declared_but_short(
        addr,
        &format!("PUT /{BUCKET}/k?tagging HTTP/1.1"),
        2 << 20,
        10,
    )
    .await;
    assert!(
        answer.contains("<Code>MaxMessageLengthExceeded</Code>"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_policy_is_measured_without_its_whitespace() {
    let (_fake, owner) = fake().await;
    // About 18 KB of statements, padded past 20 KB with whitespace: S3 counts 18 KB.
    let statements: Vec<String> = (0..115)
        .map(|i| {
            format!(
                r#"{{"Sid":"S{i:03}","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/p{i:03}/*"}}"#
            )
        })
        .collect();
    let compact = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    assert!(
        compact.len() > 15 * 1024 && compact.len() < 20 * 1024,
        "{}",
        compact.len()
    );
    let padded = compact.replace(",", ",\n        ");
    assert!(padded.len() > 20 * 1024, "{}", padded.len());
    let put = owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(&padded)
        .send()
        .await;
    assert!(put.is_ok(), "{put:?}");
    let over = format!(
        r#"{{"Version":"2012-10-17","Statement":[{},{}]}}"#,
        statements.join(","),
        statements[..20].join(",").replace("\"S0", "\"T0")
    );
    assert!(over.len() > 20 * 1024);
    let put = owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(&over)
        .send()
        .await;
    assert_eq!(
        put.err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("MalformedPolicy")
    );
}

/// ListMultipartUploads lists only the uploads under `prefix`, in key order (a caller aborting
/// "its" uploads by prefix must never see, and so abort, another prefix's).
#[tokio::test]
async fn list_multipart_uploads_honours_the_prefix() {
    let (_fake, owner) = fake().await;
    for key in ["mp/b", "other/a", "mp/a", "mpx/c"] {
        owner
            .create_multipart_upload()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let listed = owner
        .list_multipart_uploads()
        .bucket(BUCKET)
        .prefix("mp/")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let keys: Vec<&str> = listed.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["mp/a", "mp/b"]);
    assert_eq!(listed.prefix(), Some("mp/"));
    let all = owner
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let keys: Vec<&str> = all.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["mp/a", "mp/b", "mpx/c", "other/a"]);
}
