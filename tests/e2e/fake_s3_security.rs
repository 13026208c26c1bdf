//! Regressions from the security review of fake-s3: each was a way to get more than a policy
//! grants, or an answer AWS would not give.

use crate::support::{code, raw_http};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use fake_s3::{Credentials, FakeAws, FakeAwsHandle};

const OWNER: &str = "111122223333";
const BUCKET: &str = "sec-bucket";

async fn setup() -> (FakeAwsHandle, Credentials, Client) {
    let fake = FakeAws::builder()
        .account(OWNER)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = Client::new(&fake.sdk_config(&root));
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for key in ["secret/a.csv", "a/1", "a/2", "b"] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"s"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    (fake, root, s3)
}

async fn raw(fake: &FakeAwsHandle, request: String) -> String {
    raw_http(fake.addr(), &request).await
}

#[tokio::test]
async fn a_presigned_put_cannot_gain_unsigned_headers() {
    use aws_sdk_s3::presigning::PresigningConfig;
    let (fake, _root, s3) = setup().await;
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("uploads/out.bin")
        .presigned(
            PresigningConfig::expires_in(std::time::Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let uri: http::Uri = put.uri().parse().unwrap_or_else(|e| panic!("{e}"));
    let pq = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let copy = raw(&fake, format!(
        "PUT {pq} HTTP/1.1\r\nHost: {host}\r\nx-amz-copy-source: /{BUCKET}/secret/a.csv\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ))
    .await;
    assert!(
        copy.starts_with("HTTP/1.1 403") && copy.contains("not signed"),
        "{copy}"
    );
    let plain = raw(
        &fake,
        format!(
            "PUT {pq} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
        ),
    )
    .await;
    assert!(plain.starts_with("HTTP/1.1 200"), "{plain}");
}

#[tokio::test]
async fn a_missing_key_is_404_when_the_caller_may_list_exactly_that_key() {
    // The verification bucket's policy of SPEC §4: ListBucket only for a prefix built from the
    // caller's identity; the signed URL for the absent key must give 404, not 403.
    let (fake, _root, s3) = setup().await;
    let (_, alice) = fake
        .create_user(OWNER, "alice", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
        {{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{OWNER}:user/alice"}}, "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::{BUCKET}/verify/userid=${{aws:userid}}/*"}},
        {{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{OWNER}:user/alice"}}, "Action": "s3:ListBucket",
          "Resource": "arn:aws:s3:::{BUCKET}", "Condition": {{"StringLike": {{"s3:prefix": "verify/userid=${{aws:userid}}/*"}}}}}}]}}"#
    );
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let who = aws_sdk_s3::Client::new(&fake.sdk_config(&alice));
    let user_id = {
        let sts = aws_sdk_sts::Client::new(&fake.sdk_config(&alice));
        sts.get_caller_identity()
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"))
            .user_id()
            .unwrap_or_default()
            .to_owned()
    };
    let mine = who
        .get_object()
        .bucket(BUCKET)
        .key(format!("verify/userid={user_id}/x"))
        .send()
        .await;
    assert_eq!(mine.err().map(|e| code(&e)), Some("NoSuchKey".into()));
    let other = who
        .get_object()
        .bucket(BUCKET)
        .key("verify/userid=AIDAOTHER000000000000/x")
        .send()
        .await;
    assert_eq!(other.err().map(|e| code(&e)), Some("AccessDenied".into()));
}

#[tokio::test]
async fn assume_role_needs_the_trust_policy_itself() {
    let (fake, root, _s3) = setup().await;
    let all = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let (_, admin) = fake
        .create_user(OWNER, "admin", &[all])
        .unwrap_or_else(|e| panic!("{e}"));
    let empty_trust = r#"{"Version": "2012-10-17", "Statement": []}"#;
    let role = fake
        .create_role(OWNER, "reader", empty_trust, &[all])
        .unwrap_or_else(|e| panic!("{e}"));
    for creds in [&admin, &root] {
        let e = aws_sdk_sts::Client::new(&fake.sdk_config(creds))
            .assume_role()
            .role_arn(&role.arn)
            .role_session_name("s1")
            .send()
            .await
            .err();
        assert_eq!(e.map(|e| code(&e)), Some("AccessDenied".into()));
    }
    // A trust policy naming the account delegates to identity policies: admin may, a user
    // without sts:AssumeRole may not.
    let account_trust = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{OWNER}:root"}}, "Action": "sts:AssumeRole"}}]}}"#
    );
    let role2 = fake
        .create_role(OWNER, "writer", &account_trust, &[all])
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, nobody) = fake
        .create_user(OWNER, "nobody", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let ok = aws_sdk_sts::Client::new(&fake.sdk_config(&admin))
        .assume_role()
        .role_arn(&role2.arn)
        .role_session_name("s1")
        .send()
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    let e = aws_sdk_sts::Client::new(&fake.sdk_config(&nobody))
        .assume_role()
        .role_arn(&role2.arn)
        .role_session_name("s1")
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("AccessDenied".into()));
}

#[tokio::test]
async fn aborting_needs_the_uploads_own_key() {
    let (fake, _root, s3) = setup().await;
    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("other/big.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let id = up.upload_id().unwrap_or_default().to_owned();
    assert!(id.len() >= 32, "{id}");
    let wrong = s3
        .abort_multipart_upload()
        .bucket(BUCKET)
        .key("u/x")
        .upload_id(&id)
        .send()
        .await;
    assert_eq!(wrong.err().map(|e| code(&e)), Some("NoSuchUpload".into()));
    let parts = s3
        .list_parts()
        .bucket(BUCKET)
        .key("other/big.bin")
        .upload_id(&id)
        .send()
        .await;
    assert!(parts.is_ok(), "the upload must survive: {parts:?}");
    drop(fake);
}

#[tokio::test]
async fn v1_listing_with_a_delimiter_paginates_to_the_end() {
    let (_fake, _root, s3) = setup().await;
    let mut marker: Option<String> = None;
    let mut seen = Vec::new();
    for _ in 0..10 {
        let page = s3
            .list_objects()
            .bucket(BUCKET)
            .delimiter("/")
            .max_keys(1)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        seen.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        marker = page.next_marker().map(str::to_owned);
    }
    assert_eq!(seen, vec!["a/", "b", "secret/"]);
}

#[tokio::test]
async fn request_condition_keys_apply_to_s3_control_and_sts_too() {
    let (fake, _root, _s3) = setup().await;
    let deny_loopback = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}]}"#;
    let (user, creds) = fake
        .create_user(OWNER, "fenced", &[deny_loopback])
        .unwrap_or_else(|e| panic!("{e}"));
    let control = aws_sdk_s3control::Client::new(&fake.sdk_config(&creds));
    let e = control
        .list_access_points()
        .account_id(OWNER)
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("AccessDenied".into()));
    let trust = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "{}"}}, "Action": "sts:AssumeRole"}}]}}"#,
        user.arn
    );
    let role = fake
        .create_role(OWNER, "r", &trust, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let e = aws_sdk_sts::Client::new(&fake.sdk_config(&creds))
        .assume_role()
        .role_arn(&role.arn)
        .role_session_name("s1")
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("AccessDenied".into()));
}

#[tokio::test]
async fn copy_object_keeps_the_source_listing_rule_and_refuses_self_copies() {
    let (fake, _root, s3) = setup().await;
    let read_write = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::{BUCKET}/*"}}]}}"#
    );
    let (_, rw) = fake
        .create_user(OWNER, "rw", &[&read_write])
        .unwrap_or_else(|e| panic!("{e}"));
    let c = Client::new(&fake.sdk_config(&rw));
    let missing = c
        .copy_object()
        .bucket(BUCKET)
        .key("dst")
        .copy_source(format!("{BUCKET}/nope"))
        .send()
        .await;
    assert_eq!(missing.err().map(|e| code(&e)), Some("AccessDenied".into()));
    let root_missing = s3
        .copy_object()
        .bucket(BUCKET)
        .key("dst")
        .copy_source(format!("{BUCKET}/nope"))
        .send()
        .await;
    assert_eq!(
        root_missing.err().map(|e| code(&e)),
        Some("NoSuchKey".into())
    );
    let itself = s3
        .copy_object()
        .bucket(BUCKET)
        .key("b")
        .copy_source(format!("{BUCKET}/b"))
        .send()
        .await;
    assert_eq!(
        itself.err().map(|e| code(&e)),
        Some("InvalidRequest".into())
    );
    let ok = c
        .copy_object()
        .bucket(BUCKET)
        .key("copy-of-b")
        .copy_source(format!("{BUCKET}/b"))
        .send()
        .await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn version_ids_and_location_constraints_are_checked_as_s3_does() {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let (fake, _root, s3) = setup().await;
    assert!(s3
        .get_object()
        .bucket(BUCKET)
        .key("b")
        .version_id("null")
        .send()
        .await
        .is_ok());
    let bad = s3
        .get_object()
        .bucket(BUCKET)
        .key("b")
        .version_id("3HL4kqtJlcpXroDTDmJ")
        .send()
        .await;
    assert_eq!(bad.err().map(|e| code(&e)), Some("InvalidArgument".into()));
    let only_current = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{BUCKET}/*"}}]}}"#
    );
    let (_, reader) = fake
        .create_user(OWNER, "reader", &[&only_current])
        .unwrap_or_else(|e| panic!("{e}"));
    let r = Client::new(&fake.sdk_config(&reader));
    assert!(r.get_object().bucket(BUCKET).key("b").send().await.is_ok());
    let versioned = r
        .get_object()
        .bucket(BUCKET)
        .key("b")
        .version_id("null")
        .send()
        .await;
    assert_eq!(
        versioned.err().map(|e| code(&e)),
        Some("AccessDenied".into())
    );

    let config = |region: &str| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(region))
            .build()
    };
    let explicit = s3
        .create_bucket()
        .bucket("explicit-east")
        .create_bucket_configuration(config("us-east-1"))
        .send()
        .await;
    assert_eq!(
        explicit.err().map(|e| code(&e)),
        Some("InvalidLocationConstraint".into())
    );
    let elsewhere = s3
        .create_bucket()
        .bucket("west-bucket")
        .create_bucket_configuration(config("us-west-2"))
        .send()
        .await;
    assert_eq!(
        elsewhere.err().map(|e| code(&e)),
        Some("IllegalLocationConstraintException".into())
    );
}
