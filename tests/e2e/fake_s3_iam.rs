//! IAM in fake-s3 (issue 22) through the AWS SDK's IAM client: identities made at run time decide
//! the very next request; IAM calls are authorized like any other; permissions boundaries cap;
//! soft enforcement serves and journals; the least-privilege policy lets the same requests pass and
//! nothing else (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html>).
//! The boto3 corpus of the same issue is `tests/iam`.

use aws_sdk_iam::Client as Iam;
use aws_sdk_s3::primitives::ByteStream;
use fake_s3::{Credentials, Enforcement, FakeAws, FakeAwsHandle};

use crate::support::err_code;

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "iam-data";

fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

fn allow(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#)
}

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

/// A fake with a bucket holding `data/a.csv` and `secret/s.csv`, and the root's IAM client.
async fn setup(enforcement: Enforcement) -> (FakeAwsHandle, Iam, Credentials) {
    let fake = FakeAws::builder()
        .account(ACCOUNT)
        .enforcement(enforcement)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials(ACCOUNT)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for key in ["data/a.csv", "secret/s.csv"] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let iam = Iam::new(&fake.sdk_config(&root));
    (fake, iam, root)
}

/// Creates `name` through IAM with an optional inline policy and returns its new key.
async fn make_user(iam: &Iam, name: &str, inline: Option<&str>) -> Credentials {
    make_user_at(iam, name, "/", inline).await
}

/// [`make_user`] under `path`.
pub(crate) async fn make_user_at(
    iam: &Iam,
    name: &str,
    path: &str,
    inline: Option<&str>,
) -> Credentials {
    iam.create_user()
        .user_name(name)
        .path(path)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    if let Some(policy) = inline {
        iam.put_user_policy()
            .user_name(name)
            .policy_name("inline")
            .policy_document(policy)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let key = key.access_key().unwrap_or_else(|| panic!("no key"));
    Credentials {
        access_key_id: key.access_key_id().to_owned(),
        secret_access_key: key.secret_access_key().to_owned(),
        session_token: None,
    }
}

async fn get(fake: &FakeAwsHandle, creds: &Credentials, key: &str) -> Result<(), String> {
    aws_sdk_s3::Client::new(&fake.sdk_config(creds))
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| err_code::<(), _>(Err(e)).unwrap_or_default())
}

#[tokio::test]
async fn a_user_made_through_iam_is_refused_until_a_policy_allows_and_a_deleted_key_is_unknown() {
    let (fake, iam, _) = setup(Enforcement::Hard).await;
    let key = make_user(&iam, "newbie", None).await;
    assert_eq!(
        get(&fake, &key, "data/a.csv").await,
        Err("AccessDenied".into())
    );
    iam.put_user_policy()
        .user_name("newbie")
        .policy_name("read")
        .policy_document(doc(&allow("s3:GetObject", "arn:aws:s3:::iam-data/data/*")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&fake, &key, "data/a.csv").await, Ok(()));
    assert_eq!(
        get(&fake, &key, "secret/s.csv").await,
        Err("AccessDenied".into())
    );
    iam.update_access_key()
        .user_name("newbie")
        .access_key_id(&key.access_key_id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        get(&fake, &key, "data/a.csv").await,
        Err("InvalidAccessKeyId".into())
    );
    iam.delete_access_key()
        .user_name("newbie")
        .access_key_id(&key.access_key_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        get(&fake, &key, "data/a.csv").await,
        Err("InvalidAccessKeyId".into())
    );
    // DeleteUser refuses while an inline policy is left, then succeeds.
    let conflict = iam.delete_user().user_name("newbie").send().await;
    assert_eq!(err_code(conflict).as_deref(), Some("DeleteConflict"));
    iam.delete_user_policy()
        .user_name("newbie")
        .policy_name("read")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    iam.delete_user()
        .user_name("newbie")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let gone = iam.get_user().user_name("newbie").send().await;
    assert_eq!(err_code(gone).as_deref(), Some("NoSuchEntity"));
}

#[tokio::test]
async fn groups_and_managed_policies_grant_and_revoke_at_once() {
    let (fake, iam, _) = setup(Enforcement::Hard).await;
    let key = make_user(&iam, "member", None).await;
    iam.create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let arn = iam
        .create_policy()
        .policy_name("read-data")
        .policy_document(doc(&allow("s3:GetObject", "arn:aws:s3:::iam-data/data/*")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .policy()
        .and_then(|p| p.arn())
        .unwrap_or_default()
        .to_owned();
    iam.attach_group_policy()
        .group_name("readers")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        get(&fake, &key, "data/a.csv").await,
        Err("AccessDenied".into())
    );
    iam.add_user_to_group()
        .group_name("readers")
        .user_name("member")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&fake, &key, "data/a.csv").await, Ok(()));
    // A new default version narrows it.
    iam.create_policy_version()
        .policy_arn(&arn)
        .policy_document(doc(&allow("s3:GetObject", "arn:aws:s3:::iam-data/other/*")))
        .set_as_default(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        get(&fake, &key, "data/a.csv").await,
        Err("AccessDenied".into())
    );
    iam.set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&fake, &key, "data/a.csv").await, Ok(()));
    let attached = iam.delete_policy().policy_arn(&arn).send().await;
    assert_eq!(err_code(attached).as_deref(), Some("DeleteConflict"));
    iam.remove_user_from_group()
        .group_name("readers")
        .user_name("member")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        get(&fake, &key, "data/a.csv").await,
        Err("AccessDenied".into())
    );
}

#[tokio::test]
async fn iam_calls_are_authorized_and_nobody_escalates() {
    let (fake, iam, _) = setup(Enforcement::Hard).await;
    let key = make_user(
        &iam,
        "intern",
        Some(&doc(&allow("iam:GetUser", &user_arn("intern")))),
    )
    .await;
    let mine = Iam::new(&fake.sdk_config(&key));
    let me = mine
        .get_user()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        me.user().map(|u| u.arn()),
        Some(user_arn("intern").as_str())
    );
    let refused = mine.create_user().user_name("hired").send().await;
    assert_eq!(err_code(refused).as_deref(), Some("AccessDenied"));
    let escalate = mine
        .put_user_policy()
        .user_name("intern")
        .policy_name("admin")
        .policy_document(doc(&allow("*", "*")))
        .send()
        .await;
    assert_eq!(err_code(escalate).as_deref(), Some("AccessDenied"));
    let missing = iam.get_user().user_name("hired").send().await;
    assert_eq!(err_code(missing).as_deref(), Some("NoSuchEntity"));
    let entry = fake
        .journal()
        .into_iter()
        .rfind(|e| e.operation == "PutUserPolicy")
        .unwrap_or_else(|| panic!("no journal entry"));
    assert_eq!(entry.decision.as_deref(), Some("ImplicitDeny"));
    assert_eq!(entry.principal, user_arn("intern"));
}

#[tokio::test]
async fn a_boundary_caps_an_admin_policy_but_not_a_bucket_policy_naming_the_user() {
    let (fake, iam, root) = setup(Enforcement::Hard).await;
    let key = make_user(&iam, "capped", Some(&doc(&allow("*", "*")))).await;
    let boundary = iam
        .create_policy()
        .policy_name("only-data")
        .policy_document(doc(&allow("s3:GetObject", "arn:aws:s3:::iam-data/data/*")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .policy()
        .and_then(|p| p.arn())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(get(&fake, &key, "secret/s.csv").await, Ok(()));
    iam.put_user_permissions_boundary()
        .user_name("capped")
        .permissions_boundary(&boundary)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&fake, &key, "data/a.csv").await, Ok(()));
    assert_eq!(
        get(&fake, &key, "secret/s.csv").await,
        Err("AccessDenied".into())
    );
    let iam_call = Iam::new(&fake.sdk_config(&key))
        .create_user()
        .user_name("x")
        .send()
        .await;
    assert_eq!(err_code(iam_call).as_deref(), Some("AccessDenied"));
    // A bucket policy naming the user exactly is not capped by the boundary.
    aws_sdk_s3::Client::new(&fake.sdk_config(&root))
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-data/secret/*"}}"#,
            user_arn("capped")
        )))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&fake, &key, "secret/s.csv").await, Ok(()));
}

#[tokio::test]
async fn a_role_session_follows_its_roles_policies_at_once() {
    let (fake, iam, _) = setup(Enforcement::Hard).await;
    let key = make_user(
        &iam,
        "assumer",
        Some(&doc(&allow(
            "sts:AssumeRole",
            &format!("arn:aws:iam::{ACCOUNT}:role/reader"),
        ))),
    )
    .await;
    let trust = doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}"#,
        user_arn("assumer")
    ));
    iam.create_role()
        .role_name("reader")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let sts = aws_sdk_sts::Client::new(&fake.sdk_config(&key));
    let session = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/reader"))
        .role_session_name("job")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let c = session
        .credentials()
        .unwrap_or_else(|| panic!("no credentials"));
    let creds = Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: Some(c.session_token().to_owned()),
    };
    assert_eq!(
        get(&fake, &creds, "data/a.csv").await,
        Err("AccessDenied".into())
    );
    iam.put_role_policy()
        .role_name("reader")
        .policy_name("read")
        .policy_document(doc(&allow("s3:GetObject", "arn:aws:s3:::iam-data/data/*")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&fake, &creds, "data/a.csv").await, Ok(()));
    iam.delete_role_policy()
        .role_name("reader")
        .policy_name("read")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        get(&fake, &creds, "data/a.csv").await,
        Err("AccessDenied".into())
    );
}

#[tokio::test]
async fn soft_enforcement_serves_and_journals_the_refusal() {
    let (fake, iam, _) = setup(Enforcement::Soft).await;
    let key = make_user(&iam, "app", None).await;
    assert_eq!(get(&fake, &key, "secret/s.csv").await, Ok(()));
    let entry = fake
        .journal()
        .into_iter()
        .rfind(|e| e.operation == "GetObject")
        .unwrap_or_else(|| panic!("no journal entry"));
    assert_eq!(entry.decision.as_deref(), Some("ImplicitDeny"));
    assert_eq!(entry.status, 200);
    assert_eq!(entry.enforcement, Some("soft"));
    // Signatures are still verified.
    let forged = Credentials {
        secret_access_key: "wrong".into(),
        ..key.clone()
    };
    assert_eq!(
        get(&fake, &forged, "secret/s.csv").await,
        Err("SignatureDoesNotMatch".into())
    );
}

#[tokio::test]
async fn the_least_privilege_policy_lets_the_same_requests_pass_and_nothing_else() {
    let (fake, iam, _) = setup(Enforcement::Soft).await;
    let key = make_user(&iam, "worker", None).await;
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&key));
    let workload = || async {
        get(&fake, &key, "data/a.csv").await?;
        s3.list_objects_v2()
            .bucket(BUCKET)
            .prefix("data/")
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        Ok::<(), String>(())
    };
    workload().await.unwrap_or_else(|e| panic!("{e}"));
    let policy = fake.least_privilege(&user_arn("worker"));
    let text = policy.to_string();
    let parsed = policy_eval::Policy::parse(&text, policy_eval::PolicyKind::Identity)
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(policy_eval::lint::lint(&parsed).is_empty(), "{text}");
    assert!(!text.contains('*'), "{text}");
    // Under hard enforcement, with the generated policy attached.
    let (hard, hard_iam, _) = setup(Enforcement::Hard).await;
    let key = make_user(&hard_iam, "worker", Some(&text)).await;
    let s3 = aws_sdk_s3::Client::new(&hard.sdk_config(&key));
    assert_eq!(get(&hard, &key, "data/a.csv").await, Ok(()));
    s3.list_objects_v2()
        .bucket(BUCKET)
        .prefix("data/")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        get(&hard, &key, "secret/s.csv").await,
        Err("AccessDenied".into())
    );
    let other = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("secret/")
        .send()
        .await;
    assert_eq!(err_code(other).as_deref(), Some("AccessDenied"));
}

/// Resource policies hold users by unique id, as AWS stores them: a user renamed keeps what a
/// bucket policy granted under the old name, and a user made again under a renamed or deleted
/// user's name gets none of it.
#[tokio::test]
async fn a_new_user_under_an_old_name_inherits_nothing_and_a_renamed_one_keeps_its_grant() {
    let (fake, iam, root) = setup(Enforcement::Hard).await;
    let bob = make_user(&iam, "bob", None).await;
    let carol = make_user(&iam, "carol", None).await;
    let grant = |name: &str| {
        format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-data/*"}}"#,
            user_arn(name)
        )
    };
    let owner = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(doc(&format!("{},{}", grant("bob"), grant("carol"))))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&fake, &bob, "data/a.csv").await, Ok(()));
    iam.update_user()
        .user_name("bob")
        .new_user_name("robert")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&fake, &bob, "data/a.csv").await, Ok(()));
    let shown = owner
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        shown
            .policy()
            .unwrap_or_default()
            .contains(&user_arn("robert")),
        "{shown:?}"
    );
    let new_bob = make_user(&iam, "bob", None).await;
    assert_eq!(
        get(&fake, &new_bob, "data/a.csv").await,
        Err("AccessDenied".into())
    );
    // Deleted, then made again.
    iam.delete_access_key()
        .user_name("carol")
        .access_key_id(&carol.access_key_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    iam.delete_user()
        .user_name("carol")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let new_carol = make_user(&iam, "carol", None).await;
    assert_eq!(
        get(&fake, &new_carol, "data/a.csv").await,
        Err("AccessDenied".into())
    );
}
