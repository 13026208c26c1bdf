//! Condition keys fake-s3 sets from the credentials: `aws:TokenIssueTime` and
//! `aws:MultiFactorAuthPresent` exist for temporary credentials only, as IAM documents them, so a
//! policy can refuse sessions issued before a revocation time (the "revoke older sessions"
//! pattern uploads without credentials rely on).

use crate::support::fake_with_bucket;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use fake_s3::Credentials;

const OWNER: &str = "111122223333";
const BUCKET: &str = "cond-bucket";

#[tokio::test]
async fn session_keys_exist_for_temporary_credentials_only() {
    let (fake, owner) = fake_with_bucket(&[OWNER], BUCKET).await;
    owner
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // Reads are allowed; a Deny refuses sessions issued before the revocation time, and
    // another refuses any caller without temporary credentials.
    let t0 = time::OffsetDateTime::now_utc();
    let revoke_before = (t0 + time::Duration::minutes(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
          {{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}},
          {{"Sid":"RevokeOlderSessions","Effect":"Deny","Action":"s3:*","Resource":"*",
            "Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{revoke_before}"}}}}}},
          {{"Sid":"SessionsOnly","Effect":"Deny","Action":"s3:*","Resource":"*",
            "Condition":{{"Null":{{"aws:MultiFactorAuthPresent":"true"}}}}}}]}}"#
    );
    let (_, keys) = fake
        .create_user(OWNER, "worker", &[&policy, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"*"}]}"#])
        .unwrap_or_else(|e| panic!("{e}"));
    let long_term = aws_sdk_s3::Client::new(&fake.sdk_config(&keys));
    let r = long_term.get_object().bucket(BUCKET).key("k").send().await;
    assert_eq!(
        r.err().and_then(|e| e.code().map(str::to_owned)).as_deref(),
        Some("AccessDenied"),
        "a long-term key has no aws:MultiFactorAuthPresent, so SessionsOnly denies it"
    );

    let session = |at: time::OffsetDateTime| {
        let fake = &fake;
        let keys = keys.clone();
        async move {
            fake.set_time(Some(at));
            let out = aws_sdk_sts::Client::new(&fake.sdk_config(&keys))
                .get_federation_token()
                .name("batch")
                .policy(format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
                ))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
            let c = out
                .credentials()
                .unwrap_or_else(|| panic!("no credentials"));
            Credentials {
                access_key_id: c.access_key_id().to_owned(),
                secret_access_key: c.secret_access_key().to_owned(),
                session_token: Some(c.session_token().to_owned()),
            }
        }
    };
    // The SDK signs with the real clock: keep the fake's within the 15-minute skew.
    let old = session(t0).await;
    let new = session(t0 + time::Duration::minutes(2)).await;
    let read = |creds: &Credentials| {
        let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(creds));
        async move {
            s3.get_object()
                .bucket(BUCKET)
                .key("k")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned))
        }
    };
    assert_eq!(
        read(&old).await.as_deref(),
        Some("AccessDenied"),
        "issued before the revocation time"
    );
    assert_eq!(read(&new).await, None, "issued after it");
    fake.set_time(None);
}

#[tokio::test]
async fn write_header_keys_condition_object_writes() {
    let (fake, _owner) = fake_with_bucket(&[OWNER], BUCKET).await;
    // The user guide's example: writes must ask for encryption and the infrequent-access class.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/*",
            "Condition":{{"StringEquals":{{"s3:x-amz-server-side-encryption":"AES256","s3:x-amz-storage-class":"STANDARD_IA"}}}}}}]}}"#
    );
    let (_, keys) = fake
        .create_user(OWNER, "archiver", &[&policy])
        .unwrap_or_else(|e| panic!("{e}"));
    let user = aws_sdk_s3::Client::new(&fake.sdk_config(&keys));
    let put = |sse: bool, class: bool| {
        let user = user.clone();
        async move {
            let mut req = user
                .put_object()
                .bucket(BUCKET)
                .key("a")
                .body(ByteStream::from_static(b"x"));
            if sse {
                req = req.server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256);
            }
            if class {
                req = req.storage_class(aws_sdk_s3::types::StorageClass::StandardIa);
            }
            req.send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned))
        }
    };
    assert_eq!(put(true, true).await, None);
    assert_eq!(put(true, false).await.as_deref(), Some("AccessDenied"));
    assert_eq!(put(false, true).await.as_deref(), Some("AccessDenied"));
}
