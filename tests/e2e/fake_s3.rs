//! fake-s3 with the official AWS SDK for Rust: authentication, authorization and the S3 surface.

use crate::support::{code, raw_get, raw_http};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use fake_s3::{Credentials, FakeAws, FakeAwsHandle};

const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";
const BUCKET: &str = "ctl-bucket";

async fn fake() -> FakeAwsHandle {
    FakeAws::builder()
        .account(OWNER)
        .account(OTHER)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn client(fake: &FakeAwsHandle, creds: &Credentials) -> Client {
    Client::new(&fake.sdk_config(creds))
}

async fn owner_with_bucket(fake: &FakeAwsHandle) -> Client {
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = client(fake, &root);
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for key in ["public/a.txt", "private/b.txt"] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"hello world"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    s3
}

async fn body(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body
        .collect()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

#[tokio::test]
async fn owner_round_trip_with_default_sdk_checksums() {
    let fake = fake().await;
    let s3 = owner_with_bucket(&fake).await;
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(body(got).await, b"hello world");
    let ranged = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .range("bytes=0-4")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(ranged.content_range(), Some("bytes 0-4/11"));
    assert_eq!(body(ranged).await, b"hello");
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .delimiter("/")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let prefixes: Vec<&str> = listed
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, vec!["private/", "public/"]);
    let buckets = s3
        .list_buckets()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(buckets.buckets().len(), 1);
    let journal = fake.journal();
    assert!(journal
        .iter()
        .any(|j| j.operation == "PutObject" && j.decision.as_deref() == Some("Allow")));
}

#[tokio::test]
async fn identity_policies_are_enforced() {
    let fake = fake().await;
    let _owner = owner_with_bucket(&fake).await;
    let policy = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ctl-bucket/public/*"}]}"#;
    let (_, alice) = fake
        .create_user(OWNER, "alice", &[policy])
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = client(&fake, &alice);
    let ok = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    let denied = s3
        .get_object()
        .bucket(BUCKET)
        .key("private/b.txt")
        .send()
        .await;
    assert_eq!(denied.err().map(|e| code(&e)), Some("AccessDenied".into()));
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("public/new.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(put.err().map(|e| code(&e)), Some("AccessDenied".into()));
    // Without s3:ListBucket a missing key is 403, not 404.
    let missing = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/none.txt")
        .send()
        .await;
    assert_eq!(missing.err().map(|e| code(&e)), Some("AccessDenied".into()));
    let entry = fake
        .journal()
        .into_iter()
        .rev()
        .find(|j| j.operation == "PutObject");
    assert_eq!(entry.and_then(|e| e.decision), Some("ImplicitDeny".into()));
}

#[tokio::test]
async fn cross_account_needs_both_identity_and_bucket_policy() {
    let fake = fake().await;
    let owner = owner_with_bucket(&fake).await;
    let all = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;
    let (bob_user, bob) = fake
        .create_user(OTHER, "bob", &[all])
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = client(&fake, &bob);
    let before = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await;
    assert_eq!(before.err().map(|e| code(&e)), Some("AccessDenied".into()));

    let grant = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "Bob", "Effect": "Allow", "Principal": {{"AWS": "{}"}},
            "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::ctl-bucket", "arn:aws:s3:::ctl-bucket/public/*"]}}]}}"#,
        bob_user.user_id
    );
    owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(&grant)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let after = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await;
    assert!(after.is_ok(), "{after:?}");
    let missing = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/none.txt")
        .send()
        .await;
    assert_eq!(missing.err().map(|e| code(&e)), Some("NoSuchKey".into()));
    // Stored policies come back with unique ids shown as ARNs.
    let stored = owner
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(stored
        .policy()
        .unwrap_or_default()
        .contains("arn:aws:iam::444455556666:user/bob"));
}

#[tokio::test]
async fn malformed_policies_are_refused_as_aws_does() {
    let fake = fake().await;
    let owner = owner_with_bucket(&fake).await;
    let ghost = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/ghost"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ctl-bucket/*"}]}"#;
    let e = owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(ghost)
        .send()
        .await
        .err();
    assert_eq!(e.as_ref().map(code), Some("MalformedPolicy".into()));
    assert!(e
        .and_then(|e| e.message().map(str::to_owned))
        .unwrap_or_default()
        .contains("Invalid principal in policy"));
    let wrong_type = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ctl-bucket"}]}"#;
    let e = owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(wrong_type)
        .send()
        .await
        .err();
    assert!(e
        .and_then(|e| e.message().map(str::to_owned))
        .unwrap_or_default()
        .contains("Action does not apply"));
}

#[tokio::test]
async fn presigned_urls_expire_and_resist_tampering() {
    use aws_sdk_s3::presigning::PresigningConfig;
    let fake = fake().await;
    let owner = owner_with_bucket(&fake).await;
    let presigned = owner
        .get_object()
        .bucket(BUCKET)
        .key("private/b.txt")
        .presigned(
            PresigningConfig::expires_in(std::time::Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let uri: http::Uri = presigned.uri().parse().unwrap_or_else(|e| panic!("{e}"));
    let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let pq = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    assert_eq!(raw_get(fake.addr(), &pq, &host).await, 200);
    assert_eq!(
        raw_get(fake.addr(), uri.path(), &host).await,
        403,
        "unsigned must be denied"
    );
    let tampered = pq.replace("private/b.txt", "public/a.txt");
    assert_eq!(raw_get(fake.addr(), &tampered, &host).await, 403);
    fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
    ));
    assert_eq!(raw_get(fake.addr(), &pq, &host).await, 403, "expired");
}

#[tokio::test]
async fn bad_credentials_are_refused_with_aws_codes() {
    let fake = fake().await;
    let _owner = owner_with_bucket(&fake).await;
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let wrong_secret = Credentials {
        secret_access_key: "not-the-secret".into(),
        ..root.clone()
    };
    let e = client(&fake, &wrong_secret)
        .list_buckets()
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("SignatureDoesNotMatch".into()));
    let unknown = Credentials {
        access_key_id: "AKIAUNKNOWNKEY000000".into(),
        ..root
    };
    let e = client(&fake, &unknown).list_buckets().send().await.err();
    assert_eq!(e.map(|e| code(&e)), Some("InvalidAccessKeyId".into()));
}

#[tokio::test]
async fn virtual_host_addressing_reaches_the_same_bucket() {
    let fake = fake().await;
    let _owner = owner_with_bucket(&fake).await;
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let endpoint = format!("http://localhost:{}", fake.addr().port());
    let s3 = Client::new(&fake.sdk_config_with_endpoint(&root, &endpoint));
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(body(got).await, b"hello world");
    let last = fake.journal().pop().map(|j| (j.operation, j.host));
    assert_eq!(
        last,
        Some((
            "GetObject".to_owned(),
            format!("ctl-bucket.localhost:{}", fake.addr().port())
        ))
    );
}

#[tokio::test]
async fn multipart_upload_assembles_parts() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let fake = fake().await;
    let s3 = owner_with_bucket(&fake).await;
    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let id = up.upload_id().unwrap_or_default().to_owned();
    let first = vec![b'a'; 5 * 1024 * 1024];
    let mut parts = Vec::new();
    for (n, data) in [(1, first.clone()), (2, b"tail".to_vec())] {
        let p = s3
            .upload_part()
            .bucket(BUCKET)
            .key("big.bin")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(data))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .set_e_tag(p.e_tag().map(str::to_owned))
                .build(),
        );
    }
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key("big.bin")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("big.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(head.content_length(), Some(5 * 1024 * 1024 + 4));
    assert!(head.e_tag().unwrap_or_default().ends_with("-2\""));
}

fn no_retry(fake: &FakeAwsHandle, creds: &Credentials) -> Client {
    let conf = aws_sdk_s3::config::Builder::from(&fake.sdk_config(creds))
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

#[tokio::test]
async fn faults_are_injected_as_configured() {
    let fake = fake().await;
    let _owner = owner_with_bucket(&fake).await;
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = no_retry(&fake, &root);
    fake.faults(fake_s3::FaultConfig {
        fail_nth: std::collections::HashMap::from([("GetObject".to_owned(), vec![2])]),
        ..Default::default()
    });
    assert!(s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await
        .is_ok());
    let second = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await;
    assert_eq!(second.err().map(|e| code(&e)), Some("InternalError".into()));
    assert!(s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await
        .is_ok());
    fake.faults(fake_s3::FaultConfig {
        throttle_rate: 1.0,
        ..Default::default()
    });
    let throttled = s3
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await;
    assert_eq!(throttled.err().map(|e| code(&e)), Some("SlowDown".into()));
    fake.faults(fake_s3::FaultConfig::default());
    // STS goes through the same injector.
    fake.faults(fake_s3::FaultConfig {
        fail_nth: std::collections::HashMap::from([("GetCallerIdentity".to_owned(), vec![1])]),
        ..Default::default()
    });
    let sts_conf = aws_sdk_sts::config::Builder::from(&fake.sdk_config(&root))
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    let sts = aws_sdk_sts::Client::from_conf(sts_conf);
    let failed = sts.get_caller_identity().send().await;
    assert_eq!(failed.err().map(|e| code(&e)), Some("InternalError".into()));
    assert!(sts.get_caller_identity().send().await.is_ok());
    // With the SDK's default retries, a transient failure is retried and succeeds.
    fake.faults(fake_s3::FaultConfig {
        fail_nth: std::collections::HashMap::from([("GetObject".to_owned(), vec![1])]),
        ..Default::default()
    });
    assert!(client(&fake, &root)
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .send()
        .await
        .is_ok());
}

#[tokio::test]
async fn clock_skew_beyond_fifteen_minutes_is_refused() {
    let fake = fake().await;
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = no_retry(&fake, &root);
    fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::minutes(20),
    ));
    let e = s3.list_buckets().send().await.err();
    assert_eq!(e.map(|e| code(&e)), Some("RequestTimeTooSkewed".into()));
    fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    ));
    assert!(s3.list_buckets().send().await.is_ok());
}

#[tokio::test]
async fn presigned_url_for_the_wrong_region_is_refused() {
    use aws_sdk_s3::presigning::PresigningConfig;
    let fake = fake().await;
    let _owner = owner_with_bucket(&fake).await;
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let conf = aws_sdk_s3::config::Builder::from(&fake.sdk_config(&root))
        .region(aws_sdk_s3::config::Region::new("eu-west-1"))
        .build();
    let presigned = Client::from_conf(conf)
        .get_object()
        .bucket(BUCKET)
        .key("public/a.txt")
        .presigned(
            PresigningConfig::expires_in(std::time::Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let uri: http::Uri = presigned.uri().parse().unwrap_or_else(|e| panic!("{e}"));
    let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let pq = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    assert_eq!(raw_get(fake.addr(), &pq, &host).await, 400);
}

#[tokio::test]
async fn streaming_upload_with_checksum_trailer_is_decoded_and_verified() {
    let fake = fake().await;
    let _owner = owner_with_bucket(&fake).await;
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let put = |trailer_crc: &'static str| {
        let root = root.clone();
        let addr = fake.addr();
        async move {
            use fake_s3::sigv4;
            let now = time::OffsetDateTime::now_utc();
            let fmt =
                time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
            let amz_date = now.format(fmt).unwrap_or_default();
            let host = addr.to_string();
            let body = format!(
                "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:{trailer_crc}\r\n\r\n"
            );
            let headers = [
                ("content-encoding", "aws-chunked".to_owned()),
                ("host", host.clone()),
                (
                    "x-amz-content-sha256",
                    "STREAMING-UNSIGNED-PAYLOAD-TRAILER".to_owned(),
                ),
                ("x-amz-date", amz_date.clone()),
                ("x-amz-decoded-content-length", "11".to_owned()),
                ("x-amz-trailer", "x-amz-checksum-crc32".to_owned()),
            ];
            let signed: Vec<String> = headers.iter().map(|(k, _)| (*k).to_owned()).collect();
            let creq = sigv4::canonical_request(
                "PUT",
                "/ctl-bucket/streamed.txt",
                "",
                &signed,
                |n| {
                    headers
                        .iter()
                        .find(|(k, _)| *k == n)
                        .map(|(_, v)| v.clone())
                },
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            )
            .unwrap_or_default();
            let scope = format!("{}/us-east-1/s3/aws4_request", &amz_date[..8]);
            let key =
                sigv4::signing_key(&root.secret_access_key, &amz_date[..8], "us-east-1", "s3");
            let sig = sigv4::signature(&key, &sigv4::string_to_sign(&amz_date, &scope, &creq));
            let mut req = format!("PUT /ctl-bucket/streamed.txt HTTP/1.1\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
            for (k, v) in &headers {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
            req.push_str(&format!(
                "Authorization: AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={sig}\r\n\r\n{body}",
                root.access_key_id,
                signed.join(";")
            ));
            raw_http(addr, &req).await
        }
    };
    let ok = put("DUoRhQ==").await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let s3 = client(&fake, &root);
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("streamed.txt")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(body(got).await, b"hello world");
    let bad = put("AAAAAA==").await;
    assert!(
        bad.starts_with("HTTP/1.1 400") && bad.contains("BadDigest"),
        "{bad}"
    );
}

#[tokio::test]
async fn ceph_dialect_principals_name_users_of_the_default_tenant() {
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Steward", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam:::user/steward"]}, "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::ctl-bucket", "arn:aws:s3:::ctl-bucket/*"]}]}"#;
    for (ceph, accepted) in [(false, false), (true, true)] {
        let fake = FakeAws::builder()
            .account(OWNER)
            .ceph_dialect(ceph)
            .start()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let owner = owner_with_bucket(&fake).await;
        let (_, steward) = fake
            .create_user(OWNER, "steward", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let put = owner
            .put_bucket_policy()
            .bucket(BUCKET)
            .policy(policy)
            .send()
            .await;
        assert_eq!(put.is_ok(), accepted, "ceph={ceph}: {put:?}");
        let read = client(&fake, &steward)
            .get_object()
            .bucket(BUCKET)
            .key("public/a.txt")
            .send()
            .await;
        assert_eq!(read.is_ok(), accepted, "ceph={ceph}");
    }
}

#[tokio::test]
async fn every_sdk_checksum_algorithm_is_verified() {
    use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};
    let fake = fake().await;
    let s3 = owner_with_bucket(&fake).await;
    for algo in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        let key = format!("sum/{}", algo.as_str());
        let put = s3
            .put_object()
            .bucket(BUCKET)
            .key(&key)
            .checksum_algorithm(algo.clone())
            .body(ByteStream::from_static(b"checked bytes"))
            .send()
            .await;
        assert!(put.is_ok(), "{algo:?}: {put:?}");
        let got = s3
            .get_object()
            .bucket(BUCKET)
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{algo:?}: {e:?}"));
        // The checksum came back, so the SDK sent it and the fake verified and kept it (the SDK
        // checks the returned value against the body too).
        let returned = [
            got.checksum_crc32(),
            got.checksum_crc32_c(),
            got.checksum_crc64_nvme(),
            got.checksum_sha1(),
            got.checksum_sha256(),
        ];
        assert_eq!(returned.iter().flatten().count(), 1, "{algo:?}");
        assert_eq!(body(got).await, b"checked bytes", "{algo:?}");
    }
}
