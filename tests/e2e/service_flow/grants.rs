//! Granting and revoking: the whole flow, grants waiting for an upload, identities removed or
//! replaced, IAM users deleted behind the service's back.

use rstest::rstest;
use s3keeper::keeper::{AuditFilter, Quiet};
use s3keeper::KeeperError;

use super::{assert_aws_matches_database, eligible, ok, ok_fake, ok_opt, sign, KEY, SLUG, VERSION};
use crate::service_support::{
    can_read, controlled, env, person, verify, Backend, Person, PEOPLE, READER,
};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_whole_flow(#[case] backend: Backend) {
    let env = env(backend).await;
    let alice = person(&env, "alice").await;
    let bob = person(&env, "bob").await;
    verify(&env, &alice).await;
    verify(&env, &bob).await;
    controlled(&env, SLUG, VERSION, true).await;

    let Some(access) = sign(&env, &alice).await else {
        panic!("a verified person who signs is granted")
    };
    assert_eq!(access.state, "active", "{}", access.note);
    assert_eq!(access.access_point, "cohort-v1-0-01");
    assert_eq!(
        access.s3_uri,
        "s3://arn:aws:s3:us-east-1:111122223333:accesspoint/cohort-v1-0-01/cohort/1.0/"
    );
    assert_eq!(
        access.sync_command,
        format!("aws s3 sync {} cohort-1.0", access.s3_uri)
    );
    let ap = &access.access_point_arn;
    assert!(can_read(&alice, ap, KEY).await);
    let listed = ok_fake(
        alice
            .s3
            .list_objects_v2()
            .bucket(ap)
            .prefix("cohort/1.0/")
            .send()
            .await,
    );
    assert_eq!(listed.contents().len(), 3);
    assert!(alice.s3.list_objects_v2().bucket(ap).send().await.is_err());
    assert!(!can_read(&bob, ap, KEY).await, "bob has no grant");
    // Bob has not signed: refused, and nothing written.
    let refused = env.keeper.grant(&bob.email, SLUG, VERSION).await;
    assert!(
        matches!(refused, Err(KeeperError::Forbidden(ref m)) if m.contains("agreement")),
        "{refused:?}"
    );

    ok(
        env.keeper.revoke(&alice.email, SLUG, VERSION).await,
        "revoke",
    );
    assert!(!can_read(&alice, ap, KEY).await, "revoked");
    let actions: Vec<String> = ok(env.keeper.audit(&AuditFilter::default()).await, "audit")
        .into_iter()
        .filter(|e| e.person == alice.email)
        .map(|e| e.action)
        .collect();
    for want in [
        "verification-started",
        "identity-verified",
        "agreement-signed",
        "granted",
        "revoked",
    ] {
        assert!(
            actions.iter().any(|a| a == want),
            "{want} missing from {actions:?}"
        );
    }
    let only_bob = ok(
        env.keeper
            .audit(&AuditFilter {
                person: Some(bob.email.clone()),
                ..AuditFilter::default()
            })
            .await,
        "audit",
    );
    assert!(!only_bob.is_empty() && only_bob.iter().all(|e| e.person == bob.email));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn grants_before_upload_start_when_the_upload_finishes(#[case] backend: Backend) {
    let env = env(backend).await;
    let alice = person(&env, "alice").await;
    verify(&env, &alice).await;
    controlled(&env, SLUG, VERSION, false).await;
    let Some(access) = sign(&env, &alice).await else {
        panic!("granted on signing")
    };
    assert_eq!(access.state, "pending");
    assert!(access.note.contains("not uploaded"), "{}", access.note);
    assert!(!can_read(&alice, &access.access_point_arn, KEY).await);
    let report = ok(env.keeper.upload(SLUG, VERSION, &Quiet).await, "upload");
    assert_eq!(report.access_points_applied, 1);
    assert!(can_read(&alice, &access.access_point_arn, KEY).await);
    let now = ok(
        env.keeper.access(&alice.email, SLUG, VERSION).await,
        "access",
    );
    assert_eq!(now.state, "active");
}

#[tokio::test]
async fn removing_an_identity_revokes_and_a_new_one_keeps_the_access_point() {
    let env = env(Backend::Sqlite).await;
    let alice = person(&env, "alice").await;
    let carol = person(&env, "carol").await;
    verify(&env, &alice).await;
    verify(&env, &carol).await;
    controlled(&env, SLUG, VERSION, true).await;
    sign(&env, &alice).await;
    let access = ok_opt(sign(&env, &carol).await);
    let ap = access.access_point_arn.clone();
    assert!(can_read(&alice, &ap, KEY).await);

    ok(
        env.keeper.remove_identity(&alice.email).await,
        "remove_identity",
    );
    assert!(!can_read(&alice, &ap, KEY).await, "identity removed");
    assert!(can_read(&carol, &ap, KEY).await, "carol unaffected");
    let pending = ok(
        env.keeper.access(&alice.email, SLUG, VERSION).await,
        "access",
    );
    assert_eq!(pending.state, "pending");

    // Alice verifies a different IAM user: same person, same access point.
    let (user, creds) = ok_fake(env.fake.create_user(PEOPLE, "alice-laptop", &[READER]));
    let alice2 = Person {
        email: alice.email.clone(),
        name: "alice-laptop".to_owned(),
        user_id: user.user_id,
        arn: user.arn,
        s3: aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds)),
    };
    verify(&env, &alice2).await;
    let again = ok(
        env.keeper.access(&alice.email, SLUG, VERSION).await,
        "access",
    );
    assert_eq!(
        again.access_point, access.access_point,
        "the access point is kept"
    );
    assert_eq!(again.state, "active");
    assert!(can_read(&alice2, &ap, KEY).await, "new identity reads");
    assert!(!can_read(&alice, &ap, KEY).await, "old identity does not");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_deleted_iam_user_is_dropped_and_the_rest_are_granted(#[case] backend: Backend) {
    let env = env(backend).await;
    controlled(&env, SLUG, VERSION, true).await;
    let people = eligible(&env, "m", 5).await;
    for p in &people[..4] {
        let _ = sign(&env, p).await;
    }
    ok_fake(env.fake.delete_user(PEOPLE, &people[1].name));
    ok_fake(env.fake.delete_user(PEOPLE, &people[2].name));
    let a = ok_opt(sign(&env, &people[4]).await);
    assert_eq!(a.state, "active", "{}", a.note);
    for i in [0, 3, 4] {
        assert!(can_read(&people[i], &a.access_point_arn, KEY).await, "{i}");
    }
    for i in [1, 2] {
        let p = ok(env.keeper.person(&people[i].email).await, "person");
        let Some(id) = p.identity else {
            panic!("identity kept")
        };
        assert_eq!(id.status, "unverified");
        assert!(id.note.contains("verify"), "{}", id.note);
    }
    let dropped = ok(
        env.keeper
            .audit(&AuditFilter {
                action: Some("identity-unverified".to_owned()),
                ..AuditFilter::default()
            })
            .await,
        "audit",
    );
    assert_eq!(dropped.len(), 2);
    let refs: Vec<&Person> = people.iter().collect();
    assert_aws_matches_database(&env, &refs).await;
}
