//! SPEC §5's access-point design end to end with the official SDK (S3, S3 Control, STS).

use aws_sdk_s3::primitives::ByteStream;
use fake_s3::{Credentials, FakeAws, FakeAwsHandle};

use crate::support::{code, raw_http};

const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";
const BUCKET: &str = "ctl-bucket";
const AP: &str = "mimic-v1-0-01";

fn ap_arn() -> String {
    format!("arn:aws:s3:us-east-1:{OWNER}:accesspoint/{AP}")
}

const ALL: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;

struct World {
    fake: FakeAwsHandle,
    owner: Credentials,
    alice: Credentials,
    bob: Credentials,
}

async fn world() -> World {
    let fake = FakeAws::builder()
        .account(OWNER)
        .account(OTHER)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let owner = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let (alice_user, alice) = fake
        .create_user(OTHER, "alice", &[ALL])
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, bob) = fake
        .create_user(OTHER, "bob", &[ALL])
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&owner));
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for key in [
        "mimic/1.0/data.csv",
        "mimic/1.0/sub/more.csv",
        "other/secret.csv",
    ] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"rows"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let delegation = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "DelegateToAccessPoints", "Effect": "Allow", "Principal": {{"AWS": "*"}},
        "Action": "*", "Resource": ["arn:aws:s3:::{BUCKET}", "arn:aws:s3:::{BUCKET}/*"],
        "Condition": {{"StringEquals": {{"s3:DataAccessPointAccount": "{OWNER}"}}}}}}]}}"#
    );
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(delegation)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let control = aws_sdk_s3control::Client::new(&fake.sdk_config(&owner));
    control
        .create_access_point()
        .account_id(OWNER)
        .name(AP)
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let ap_policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
          {{"Sid": "ListOnlyInsideTheDataset", "Effect": "Deny", "Principal": {{"AWS": "*"}}, "Action": "s3:ListBucket",
            "Resource": "{arn}", "Condition": {{"StringNotLike": {{"s3:prefix": ["mimic/1.0/*"]}}}}}},
          {{"Sid": "GrantedPeople", "Effect": "Allow", "Principal": {{"AWS": ["{id}"]}}, "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["{arn}", "{arn}/object/mimic/1.0/*"]}}]}}"#,
        arn = ap_arn(),
        id = alice_user.user_id
    );
    control
        .put_access_point_policy()
        .account_id(OWNER)
        .name(AP)
        .policy(ap_policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    World {
        fake,
        owner,
        alice,
        bob,
    }
}

#[tokio::test]
async fn granted_person_reads_and_lists_inside_the_dataset_only() {
    let w = world().await;
    let s3 = aws_sdk_s3::Client::new(&w.fake.sdk_config(&w.alice));
    let got = s3
        .get_object()
        .bucket(ap_arn())
        .key("mimic/1.0/data.csv")
        .send()
        .await;
    assert!(got.is_ok(), "{got:?}");
    let listed = s3
        .list_objects_v2()
        .bucket(ap_arn())
        .prefix("mimic/1.0/")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(listed.key_count(), Some(2));
    let outside = s3
        .list_objects_v2()
        .bucket(ap_arn())
        .prefix("other/")
        .send()
        .await;
    assert_eq!(outside.err().map(|e| code(&e)), Some("AccessDenied".into()));
    let last = w.fake.journal().pop();
    assert_eq!(
        last.as_ref().and_then(|j| j.decision.clone()),
        Some("ExplicitDeny".into()),
        "{last:?}"
    );
    assert!(last
        .map(|j| j.explanation)
        .unwrap_or_default()
        .contains("ListOnlyInsideTheDataset"));
    let no_prefix = s3.list_objects_v2().bucket(ap_arn()).send().await;
    assert_eq!(
        no_prefix.err().map(|e| code(&e)),
        Some("AccessDenied".into())
    );
    let secret = s3
        .get_object()
        .bucket(ap_arn())
        .key("other/secret.csv")
        .send()
        .await;
    assert_eq!(secret.err().map(|e| code(&e)), Some("AccessDenied".into()));
    // The bucket itself, without the access point, does not delegate to anyone directly.
    let direct = s3
        .get_object()
        .bucket(BUCKET)
        .key("mimic/1.0/data.csv")
        .send()
        .await;
    assert_eq!(direct.err().map(|e| code(&e)), Some("AccessDenied".into()));
}

#[tokio::test]
async fn ungranted_and_anonymous_callers_are_denied_and_aliases_work() {
    let w = world().await;
    let bob = aws_sdk_s3::Client::new(&w.fake.sdk_config(&w.bob));
    let denied = bob
        .get_object()
        .bucket(ap_arn())
        .key("mimic/1.0/data.csv")
        .send()
        .await;
    assert_eq!(denied.err().map(|e| code(&e)), Some("AccessDenied".into()));

    let control = aws_sdk_s3control::Client::new(&w.fake.sdk_config(&w.owner));
    let ap = control
        .get_access_point()
        .account_id(OWNER)
        .name(AP)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(ap.bucket(), Some(BUCKET));
    let alias = ap.alias().unwrap_or_default().to_owned();
    assert!(alias.ends_with("-s3alias"), "{alias}");
    let alice = aws_sdk_s3::Client::new(&w.fake.sdk_config(&w.alice));
    let via_alias = alice
        .get_object()
        .bucket(&alias)
        .key("mimic/1.0/data.csv")
        .send()
        .await;
    assert!(via_alias.is_ok(), "{via_alias:?}");
    let listed = control
        .list_access_points()
        .account_id(OWNER)
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(listed.access_point_list().len(), 1);

    // Anonymous through the access point host: refused.
    let req = format!(
        "GET /mimic/1.0/data.csv HTTP/1.1\r\nHost: {AP}-{OWNER}.127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        w.fake.addr().port()
    );
    assert!(raw_http(w.fake.addr(), &req)
        .await
        .starts_with("HTTP/1.1 403"));
}

#[tokio::test]
async fn access_point_names_and_policies_are_validated() {
    let w = world().await;
    let control = aws_sdk_s3control::Client::new(&w.fake.sdk_config(&w.owner));
    for bad in ["ab", "-bad", "bad-", "Bad", "x-s3alias"] {
        let e = control
            .create_access_point()
            .account_id(OWNER)
            .name(bad)
            .bucket(BUCKET)
            .send()
            .await;
        assert!(e.is_err(), "{bad} accepted");
    }
    let ghost = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{OTHER}:user/ghost"}},
        "Action": "s3:GetObject", "Resource": "{}/object/*"}}]}}"#,
        ap_arn()
    );
    let e = control
        .put_access_point_policy()
        .account_id(OWNER)
        .name(AP)
        .policy(ghost)
        .send()
        .await
        .err();
    assert_eq!(e.as_ref().map(code), Some("MalformedPolicy".into()));
    // Another account cannot manage the owner's access points.
    let alice = aws_sdk_s3control::Client::new(&w.fake.sdk_config(&w.alice));
    let e = alice
        .get_access_point()
        .account_id(OWNER)
        .name(AP)
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("AccessDenied".into()));
}

#[tokio::test]
async fn role_sessions_are_narrowed_by_session_policies() {
    let fake = FakeAws::builder()
        .account(OWNER)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let owner = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&owner));
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for key in ["public/a", "private/b"] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let (alice_user, alice) = fake
        .create_user(OWNER, "alice", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, mallory) = fake
        .create_user(OWNER, "mallory", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let trust = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "{}"}}, "Action": "sts:AssumeRole"}}]}}"#,
        alice_user.arn
    );
    let read = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ctl-bucket/*"}]}"#;
    let role = fake
        .create_role(OWNER, "reader", &trust, &[read])
        .unwrap_or_else(|e| panic!("{e}"));

    let sts = aws_sdk_sts::Client::new(&fake.sdk_config(&alice));
    let narrow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ctl-bucket/public/*"}]}"#;
    let out = sts
        .assume_role()
        .role_arn(&role.arn)
        .role_session_name("s1")
        .policy(narrow)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let c = out
        .credentials()
        .unwrap_or_else(|| panic!("no credentials"));
    let session = Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: Some(c.session_token().to_owned()),
    };
    let who = aws_sdk_sts::Client::new(&fake.sdk_config(&session))
        .get_caller_identity()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        who.arn(),
        Some("arn:aws:sts::111122223333:assumed-role/reader/s1")
    );
    assert!(who.user_id().unwrap_or_default().ends_with(":s1"));
    let as_role = aws_sdk_s3::Client::new(&fake.sdk_config(&session));
    assert!(as_role
        .get_object()
        .bucket(BUCKET)
        .key("public/a")
        .send()
        .await
        .is_ok());
    let e = as_role
        .get_object()
        .bucket(BUCKET)
        .key("private/b")
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("AccessDenied".into()));

    // A session token is required with session keys.
    let tokenless = Credentials {
        session_token: None,
        ..session.clone()
    };
    let e = aws_sdk_s3::Client::new(&fake.sdk_config(&tokenless))
        .get_object()
        .bucket(BUCKET)
        .key("public/a")
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("InvalidToken".into()));
    // Expired sessions stop working.
    fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::hours(2),
    ));
    let e = as_role
        .get_object()
        .bucket(BUCKET)
        .key("public/a")
        .send()
        .await
        .err();
    assert!(e
        .map(|e| code(&e))
        .is_some_and(|c| c == "ExpiredToken" || c == "RequestTimeTooSkewed"));
    fake.set_time(None);

    let e = aws_sdk_sts::Client::new(&fake.sdk_config(&mallory))
        .assume_role()
        .role_arn(&role.arn)
        .role_session_name("s2")
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("AccessDenied".into()));
}

#[tokio::test]
async fn federation_tokens_carry_only_the_session_policy_grants() {
    let fake = FakeAws::builder()
        .account(OWNER)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let owner = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&owner));
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for key in ["builds/1/index.html", "other/x"] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let federate = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"}]}"#;
    let (_, keeper) = fake
        .create_user(OWNER, "keeper", &[ALL, federate])
        .unwrap_or_else(|e| panic!("{e}"));
    // Without sts:GetFederationToken in an identity policy, no token.
    let (_, plain) = fake
        .create_user(OWNER, "plain", &[ALL])
        .unwrap_or_else(|e| panic!("{e}"));
    let denied = aws_sdk_sts::Client::new(&fake.sdk_config(&plain))
        .get_federation_token()
        .name("x1")
        .send()
        .await;
    assert_eq!(denied.err().map(|e| code(&e)), Some("AccessDenied".into()));
    let scoped = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::ctl-bucket/builds/1/*"}]}"#;
    let out = aws_sdk_sts::Client::new(&fake.sdk_config(&keeper))
        .get_federation_token()
        .name("build-1")
        .policy(scoped)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let c = out
        .credentials()
        .unwrap_or_else(|| panic!("no credentials"));
    let temp = Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: Some(c.session_token().to_owned()),
    };
    assert_eq!(
        out.federated_user().map(|u| u.arn().to_owned()),
        Some(format!("arn:aws:sts::{OWNER}:federated-user/build-1"))
    );
    let client = aws_sdk_s3::Client::new(&fake.sdk_config(&temp));
    assert!(client
        .get_object()
        .bucket(BUCKET)
        .key("builds/1/index.html")
        .send()
        .await
        .is_ok());
    let put = client
        .put_object()
        .bucket(BUCKET)
        .key("builds/1/new.html")
        .body(ByteStream::from_static(b"y"))
        .send()
        .await;
    assert!(put.is_ok(), "{put:?}");
    let e = client
        .get_object()
        .bucket(BUCKET)
        .key("other/x")
        .send()
        .await
        .err();
    assert_eq!(e.map(|e| code(&e)), Some("AccessDenied".into()));
}
