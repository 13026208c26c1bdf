//! Caller identities: forged ones, identities that are not IAM users, and IAM users claimed
//! twice or replaced.

use rstest::rstest;
use s3keeper::KeeperError;

use super::{
    assert_contains, conflict, identity_user_id, not_verified, refused, seen, start, start_for,
    verifies,
};
use crate::service_support::{self as support, Backend, Person, PEOPLE, PLATFORM, READER};

/// A caller identity that names a user other than the signer: bob signs, but the key he was
/// given (from what he pasted) names another user id, account or name. S3's policy variables
/// follow the signer, so S3 refuses.
#[rstest]
#[case::someone_elses_user_id("user_id")]
#[case::another_account("account")]
#[case::another_username("username")]
#[tokio::test]
async fn a_forged_caller_identity_cannot_be_signed(#[case] forged: &str) {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let bob = support::person(&env, "bob").await;
    let (user_id, account, name) = match forged {
        "user_id" => (alice.user_id.as_str(), PEOPLE, "bob"),
        "account" => (bob.user_id.as_str(), "999988887777", "bob"),
        _ => (bob.user_id.as_str(), PEOPLE, "alice"),
    };
    let identity = serde_json::json!({
        "UserId": user_id,
        "Account": account,
        "Arn": format!("arn:aws:iam::{account}:user/{name}"),
    })
    .to_string();
    let st = start(&env.keeper, &bob.email, &identity).await;
    let url = support::presign(&bob.s3, &st.bucket, &st.key, 600).await;
    env.fake.clear_journal();
    let msg = not_verified(env.keeper.complete_verification(&bob.email, &url).await);
    assert_contains(&msg, "(403)");
    // Authenticated as bob, refused by the bucket policy; the unsigned URL was not fetched.
    assert_eq!(seen(&env), vec![(bob.arn.clone(), 403)]);
    assert_eq!(identity_user_id(&env.keeper, &bob.email).await, None);
}

/// SPEC §4.4: only the IAM user itself can sign a working URL. A principal of the platform's
/// own account (which owns the verification bucket) needs no bucket-policy grant: an identity
/// policy allowing `s3:GetObject`/`s3:ListBucket` suffices in AWS's same-account evaluation.
#[tokio::test]
async fn a_platform_account_user_cannot_sign_for_someone_else() {
    let env = support::env(Backend::Sqlite).await;
    let bob = support::person(&env, "bob").await;
    let eve = support::person(&env, "eve").await;
    let (_, creds) = match env.fake.create_user(PLATFORM, "insider", &[READER]) {
        Ok(u) => u,
        Err(e) => panic!("create_user: {e}"),
    };
    let insider = aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds));
    // Eve claims bob's IAM user; the insider signs the key she is given.
    let st = start(&env.keeper, &eve.email, &support::caller_identity(&bob)).await;
    let url = support::presign(&insider, &st.bucket, &st.key, 600).await;
    let msg = not_verified(env.keeper.complete_verification(&eve.email, &url).await);
    assert_contains(&msg, "(403)");
    assert_eq!(identity_user_id(&env.keeper, &eve.email).await, None);
}

#[rstest]
#[case::root(
    serde_json::json!({"UserId": PEOPLE, "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:root")}),
    "root user"
)]
#[case::assumed_role(
    serde_json::json!({"UserId": "AROAEXAMPLEROLEID0001:session", "Account": PEOPLE, "Arn": format!("arn:aws:sts::{PEOPLE}:assumed-role/admin/session")}),
    "role session (`arn:aws:sts::444455556666:assumed-role/admin/session`)"
)]
#[case::role(
    serde_json::json!({"UserId": "AROAEXAMPLEROLEID0001", "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:role/admin")}),
    "is not an IAM user"
)]
#[case::federated_user(
    serde_json::json!({"UserId": format!("{PEOPLE}:bob"), "Account": PEOPLE, "Arn": format!("arn:aws:sts::{PEOPLE}:federated-user/bob")}),
    "is not an IAM user"
)]
#[case::group(
    serde_json::json!({"UserId": "AGPAEXAMPLEGROUP0001", "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:group/devs")}),
    "is not an IAM user"
)]
#[case::role_id_on_a_user_arn(
    serde_json::json!({"UserId": "AROAEXAMPLEROLEID0001", "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:user/bob")}),
    "is not an IAM user id"
)]
#[case::account_mismatch(
    serde_json::json!({"UserId": "AIDABOBEXAMPLE000001", "Account": "999988887777", "Arn": format!("arn:aws:iam::{PEOPLE}:user/bob")}),
    "does not match the account in the ARN"
)]
#[case::china_partition(
    serde_json::json!({"UserId": "AIDABOBEXAMPLE000001", "Account": PEOPLE, "Arn": format!("arn:aws-cn:iam::{PEOPLE}:user/bob")}),
    "is not an IAM user"
)]
#[case::missing_arn(
    serde_json::json!({"UserId": "AIDABOBEXAMPLE000001", "Account": PEOPLE}),
    "the `Arn` field is missing"
)]
#[case::not_json(serde_json::json!("aws sts get-caller-identity"), "not the JSON")]
#[tokio::test]
async fn caller_identities_that_are_not_iam_users_are_refused(
    #[case] pasted: serde_json::Value,
    #[case] why: &str,
) {
    let env = support::env(Backend::Sqlite).await;
    let bob = support::person(&env, "bob").await;
    let text = match pasted.as_str() {
        Some(s) => s.to_owned(),
        None => pasted.to_string(),
    };
    let msg = match env.keeper.start_verification(&bob.email, &text).await {
        Err(KeeperError::Verify(e)) => e.to_string(),
        other => panic!("expected a Verify refusal, got {other:?}"),
    };
    assert_contains(&msg, why);
    // Nothing is pending, so no URL can complete it.
    let m = conflict(
        env.keeper
            .complete_verification(&bob.email, "http://127.0.0.1:1/x?y")
            .await,
    );
    assert_contains(&m, "no verification is in progress");
}

#[tokio::test]
async fn an_over_long_caller_identity_is_refused() {
    let env = support::env(Backend::Sqlite).await;
    let bob = support::person(&env, "bob").await;
    let padded = format!("{}{}", support::caller_identity(&bob), " ".repeat(4096));
    match env.keeper.start_verification(&bob.email, &padded).await {
        Err(KeeperError::Invalid(m)) => assert_contains(&m, "longer than 4096 characters"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn an_iam_user_verified_by_someone_cannot_be_claimed_by_another_person() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let bob = support::person(&env, "bob").await;
    support::verify(&env, &alice).await;
    let msg = conflict(
        env.keeper
            .start_verification(&bob.email, &support::caller_identity(&alice))
            .await,
    );
    assert_contains(&msg, &alice.arn);
    assert_contains(&msg, "already verified by another person");
    // Nothing became pending for bob.
    let m = conflict(
        env.keeper
            .complete_verification(&bob.email, "http://127.0.0.1:1/x?y")
            .await,
    );
    assert_contains(&m, "no verification is in progress");
    // Alice may verify her own user again.
    support::verify(&env, &alice).await;
    assert_eq!(
        identity_user_id(&env.keeper, &alice.email).await,
        Some(alice.user_id.clone())
    );
    assert_eq!(identity_user_id(&env.keeper, &bob.email).await, None);
}

/// Two platform accounts both start with the same IAM user (neither verified yet); once one
/// completes, the other's completion is refused even with a URL the IAM user really signed.
#[tokio::test]
async fn the_second_person_to_complete_with_one_iam_user_gets_a_conflict() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let twin = "alice.twin@example.org";
    if let Err(e) = env.keeper.add_person(twin, "Alice again").await {
        panic!("{e}");
    }
    let first = start_for(&env, &alice).await;
    let second = start(&env.keeper, twin, &support::caller_identity(&alice)).await;
    let url1 = support::presign(&alice.s3, &first.bucket, &first.key, 600).await;
    let url2 = support::presign(&alice.s3, &second.bucket, &second.key, 600).await;
    verifies(&env, &alice.email, &url1, "first").await;
    let msg = conflict(env.keeper.complete_verification(twin, &url2).await);
    assert_contains(&msg, &alice.arn);
    assert_contains(&msg, "already verified by another person");
    assert_eq!(identity_user_id(&env.keeper, twin).await, None);
    assert_eq!(
        identity_user_id(&env.keeper, &alice.email).await,
        Some(alice.user_id.clone())
    );
}

/// Starting again replaces the pending verification: a URL for the earlier key is refused.
#[tokio::test]
async fn a_url_for_a_replaced_verification_is_refused() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let old = start_for(&env, &alice).await;
    let old_url = support::presign(&alice.s3, &old.bucket, &old.key, 600).await;
    let (user2, creds2) = match env.fake.create_user(PEOPLE, "alice-laptop", &[READER]) {
        Ok(u) => u,
        Err(e) => panic!("create_user: {e}"),
    };
    let laptop = Person {
        email: alice.email.clone(),
        name: "alice-laptop".to_owned(),
        user_id: user2.user_id.clone(),
        arn: user2.arn.clone(),
        s3: aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds2)),
    };
    let new = start_for(&env, &laptop).await;
    assert_ne!(old.key, new.key);
    env.fake.clear_journal();
    let msg = refused(
        env.keeper
            .complete_verification(&alice.email, &old_url)
            .await,
    );
    assert_contains(&msg, &format!("(`{}`)", new.key));
    assert!(env.fake.journal().is_empty());
    assert_eq!(identity_user_id(&env.keeper, &alice.email).await, None);
}

/// Verifying another IAM user replaces the identity; a failed attempt keeps the old one; the old
/// IAM user is then free for someone else.
#[tokio::test]
async fn verifying_another_iam_user_replaces_the_identity() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let bob = support::person(&env, "bob").await;
    support::verify(&env, &alice).await;
    let (user2, creds2) = match env.fake.create_user(PEOPLE, "alice-work", &[READER]) {
        Ok(u) => u,
        Err(e) => panic!("create_user: {e}"),
    };
    let work = Person {
        email: alice.email.clone(),
        name: "alice-work".to_owned(),
        user_id: user2.user_id.clone(),
        arn: user2.arn.clone(),
        s3: aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds2)),
    };
    // A failed attempt (the right key signed by the old user) leaves the old identity in place.
    let st = start_for(&env, &work).await;
    let wrong_signer = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    let msg = not_verified(
        env.keeper
            .complete_verification(&alice.email, &wrong_signer)
            .await,
    );
    assert_contains(&msg, &work.arn);
    assert_eq!(
        identity_user_id(&env.keeper, &alice.email).await,
        Some(alice.user_id.clone())
    );
    // The new user's own signature replaces the identity.
    let url = support::presign(&work.s3, &st.bucket, &st.key, 600).await;
    verifies(&env, &alice.email, &url, "new user").await;
    let identity = match env.keeper.person(&alice.email).await {
        Ok(p) => p.identity,
        Err(e) => panic!("{e}"),
    };
    let Some(identity) = identity else {
        panic!("no identity after verifying the new user");
    };
    assert_eq!(identity.user_id, user2.user_id);
    assert_eq!(identity.arn, user2.arn);
    assert_eq!(identity.username, "alice-work");
    assert_eq!(identity.account, PEOPLE);
    assert_eq!(identity.status, "verified");
    // The old IAM user no longer belongs to anyone: bob may start with it (no Conflict).
    if let Err(e) = env
        .keeper
        .start_verification(&bob.email, &support::caller_identity(&alice))
        .await
    {
        panic!("the released IAM user is still taken: {e:?}");
    }
}
