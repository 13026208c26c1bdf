//! IAM guardrails an attacker tries to get past (issue 22, found by an outside attack on the
//! binary): tag conditions on IAM calls, renames decided on the new name and path too, federated
//! credentials kept out of IAM, and soft enforcement and least privilege covering a copy's source
//! and each key of DeleteObjects.

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client as Iam;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use fake_s3::{Credentials, Enforcement, FakeAws, FakeAwsHandle};

use crate::support::err_code;

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "guard-data";

fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

async fn setup(enforcement: Enforcement) -> (FakeAwsHandle, Iam, aws_sdk_s3::Client) {
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
    for key in ["src", "a", "b"] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let iam = Iam::new(&fake.sdk_config(&root));
    (fake, iam, s3)
}

async fn user(iam: &Iam, name: &str, path: &str, policy: &str) -> Credentials {
    crate::fake_s3_iam::make_user_at(iam, name, path, Some(policy)).await
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder()
        .key(k)
        .value(v)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn tag_conditions_decide_iam_calls() {
    let (fake, iam, _) = setup(Enforcement::Hard).await;
    // May tag itself, but never with the `team` key (a guardrail on aws:TagKeys).
    let me = user(
        &iam,
        "tagger",
        "/",
        &doc(
            r#"{"Effect":"Allow","Action":"iam:TagUser","Resource":"*"},
               {"Effect":"Deny","Action":"iam:TagUser","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}}"#,
        ),
    )
    .await;
    let mine = Iam::new(&fake.sdk_config(&me));
    let refused = mine
        .tag_user()
        .user_name("tagger")
        .tags(tag("team", "admin"))
        .send()
        .await;
    assert_eq!(err_code(refused).as_deref(), Some("AccessDenied"));
    mine.tag_user()
        .user_name("tagger")
        .tags(tag("cost", "a-123"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // Tags given at creation are decided as iam:TagUser, with aws:RequestTag.
    let creator = user(
        &iam,
        "creator",
        "/",
        &doc(
            r#"{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"},
               {"Effect":"Allow","Action":"iam:TagUser","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"dev"}}}"#,
        ),
    )
    .await;
    let creating = Iam::new(&fake.sdk_config(&creator));
    let admin = creating
        .create_user()
        .user_name("sneaky")
        .tags(tag("team", "admin"))
        .send()
        .await;
    assert_eq!(err_code(admin).as_deref(), Some("AccessDenied"));
    let missing = iam.get_user().user_name("sneaky").send().await;
    assert_eq!(err_code(missing).as_deref(), Some("NoSuchEntity"));
    creating
        .create_user()
        .user_name("dev1")
        .tags(tag("team", "dev"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // A delegated administrator may create users only with the boundary it must attach.
    let boundary = iam
        .create_policy()
        .policy_name("boundary")
        .policy_document(doc(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .policy()
        .and_then(|p| p.arn())
        .unwrap_or_default()
        .to_owned();
    let delegate = user(
        &iam,
        "delegate",
        "/",
        &doc(&format!(
            r#"{{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{boundary}"}}}}}}"#
        )),
    )
    .await;
    let delegated = Iam::new(&fake.sdk_config(&delegate));
    let unbounded = delegated.create_user().user_name("free").send().await;
    assert_eq!(err_code(unbounded).as_deref(), Some("AccessDenied"));
    delegated
        .create_user()
        .user_name("bounded")
        .permissions_boundary(&boundary)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

#[tokio::test]
async fn a_rename_is_decided_on_the_new_name_and_path_too() {
    let (fake, iam, _) = setup(Enforcement::Hard).await;
    let me = user(
        &iam,
        "eve",
        "/quarantined/",
        &doc(
            r#"{"Effect":"Allow","Action":"iam:UpdateUser","Resource":"arn:aws:iam::111122223333:user/quarantined/*"}"#,
        ),
    )
    .await;
    let mine = Iam::new(&fake.sdk_config(&me));
    let moved = mine
        .update_user()
        .user_name("eve")
        .new_path("/free/")
        .send()
        .await;
    assert_eq!(err_code(moved).as_deref(), Some("AccessDenied"));
    let still = iam
        .get_user()
        .user_name("eve")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        still.user().map(|u| u.arn()),
        Some("arn:aws:iam::111122223333:user/quarantined/eve")
    );
    // Within what it may write, the rename is allowed.
    mine.update_user()
        .user_name("eve")
        .new_user_name("eve2")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

#[tokio::test]
async fn federated_credentials_cannot_call_iam() {
    let (fake, iam, _) = setup(Enforcement::Hard).await;
    let me = user(
        &iam,
        "fed-maker",
        "/",
        &doc(r#"{"Effect":"Allow","Action":["sts:GetFederationToken","iam:*"],"Resource":"*"}"#),
    )
    .await;
    let token = aws_sdk_sts::Client::new(&fake.sdk_config(&me))
        .get_federation_token()
        .name("fed")
        .policy(doc(r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let c = token
        .credentials()
        .unwrap_or_else(|| panic!("no credentials"));
    let fed = Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: Some(c.session_token().to_owned()),
    };
    let made = Iam::new(&fake.sdk_config(&fed))
        .create_access_key()
        .user_name("fed-maker")
        .send()
        .await;
    assert_eq!(err_code(made).as_deref(), Some("AccessDenied"));
}

#[tokio::test]
async fn soft_enforcement_and_least_privilege_cover_a_copy_source_and_each_deleted_key() {
    let (fake, iam, _) = setup(Enforcement::Soft).await;
    let me = user(
        &iam,
        "app",
        "/",
        &doc(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::nothing"}"#),
    )
    .await;
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&me));
    s3.copy_object()
        .bucket(BUCKET)
        .key("copy")
        .copy_source(format!("{BUCKET}/src"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let ids: Vec<ObjectIdentifier> = ["a", "b"]
        .iter()
        .map(|k| {
            ObjectIdentifier::builder()
                .key(*k)
                .build()
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let deleted = s3
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .set_objects(Some(ids))
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(deleted.deleted().len(), 2, "{deleted:?}");
    assert!(deleted.errors().is_empty(), "{deleted:?}");
    let journal = fake.journal();
    for op in ["CopyObject", "DeleteObjects"] {
        let entry = journal
            .iter()
            .rfind(|e| e.operation == op)
            .unwrap_or_else(|| panic!("no {op}"));
        assert_eq!(entry.enforcement, Some("soft"), "{op}");
        assert_eq!(entry.decision.as_deref(), Some("ImplicitDeny"), "{op}");
    }
    let policy = fake
        .least_privilege("arn:aws:iam::111122223333:user/app")
        .to_string();
    for (action, resource) in [
        ("s3:PutObject", "arn:aws:s3:::guard-data/copy"),
        ("s3:GetObject", "arn:aws:s3:::guard-data/src"),
        ("s3:DeleteObject", "arn:aws:s3:::guard-data/a"),
        ("s3:DeleteObject", "arn:aws:s3:::guard-data/b"),
    ] {
        assert!(
            policy.contains(&format!(r#""Action":"{action}","Resource":"{resource}""#)),
            "{action} on {resource} missing: {policy}"
        );
    }
}

#[tokio::test]
async fn unsigned_calls_and_duplicate_tag_keys_get_iams_errors() {
    let (fake, iam, _) = setup(Enforcement::Soft).await;
    // Even under soft enforcement, an unsigned IAM or STS call is refused.
    for action in [
        "Action=ListUsers&Version=2010-05-08",
        "Action=GetCallerIdentity&Version=2011-06-15",
    ] {
        let resp = reqwest::Client::new()
            .post(fake.endpoint())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(action)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        assert_eq!(status, 403, "{action}: {body}");
        assert!(
            body.contains("<Code>MissingAuthenticationToken</Code>"),
            "{action}: {body}"
        );
    }
    iam.create_user()
        .user_name("tagged")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let twice = iam
        .tag_user()
        .user_name("tagged")
        .tags(tag("team", "a"))
        .tags(tag("TEAM", "b"))
        .send()
        .await;
    assert_eq!(err_code(twice).as_deref(), Some("InvalidInput"));
}
