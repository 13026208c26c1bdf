//! Reconcile: after faults and a crash, after hand edits, and periodically on its own.

use std::collections::HashMap;

use rstest::rstest;
use s3keeper::keeper::AuditFilter;
use s3keeper::KeeperError;

use super::{
    admin_control, admin_s3, assert_aws_matches_database, eligible, ok, ok_fake, ok_opt,
    policies_in_aws, sign, KEY, SLUG, VERSION,
};
use crate::service_support::{
    can_read, controlled, env, env_with, person, verify, Backend, Env, Person, PLATFORM,
};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn after_faults_and_a_crash_reconcile_loses_no_grant_and_leaves_no_access(
    #[case] backend: Backend,
) {
    let env = env_with(backend, |s| s.capacity = 4).await;
    controlled(&env, SLUG, VERSION, true).await;
    let people = eligible(&env, "f", 12).await;
    // Everyone signs while S3 Control fails often; some policies are not written.
    // Random errors and throttling, which the SDK's retries mostly absorb, and two policy writes
    // that fail on every attempt the SDK makes (three each), which it cannot.
    let mut fail_nth = HashMap::new();
    fail_nth.insert("PutAccessPointPolicy".to_owned(), vec![4, 5, 6, 10, 11, 12]);
    env.fake.faults(fake_s3::FaultConfig {
        error_rate: 0.3,
        throttle_rate: 0.2,
        fail_nth,
        seed: 7,
        ..fake_s3::FaultConfig::default()
    });
    let mut granted = Vec::new();
    let mut pending = 0;
    for p in &people[..8] {
        // A failed AWS call after the commit leaves the grant pending (until a later write to
        // the same access point or reconcile), or the access point's creation fails before it
        // and nothing is granted.
        match env.keeper.sign_agreement(&p.email, SLUG, VERSION).await {
            Ok(Some(a)) => {
                pending += usize::from(a.state == "pending");
                granted.push(p);
            }
            Ok(None) => panic!("verified people are granted on signing"),
            Err(_) => {}
        }
    }
    // Revoke two of them, also under faults.
    let mut revoked = Vec::new();
    for p in granted.iter().take(2) {
        if env.keeper.revoke(&p.email, SLUG, VERSION).await.is_ok() {
            revoked.push(*p);
        }
    }
    env.fake.faults(fake_s3::FaultConfig::default());
    let failed_to_sign = 8 - granted.len();
    let failed_to_revoke = granted.len().min(2) - revoked.len();
    eprintln!("faults: {failed_to_sign} grants refused, {pending} pending, {failed_to_revoke} revokes failed");
    assert!(
        failed_to_sign + pending + failed_to_revoke > 0,
        "the injected faults had no effect, so this test would prove nothing"
    );
    // A crash between the database commit and the AWS call: the grant is committed, nothing is
    // written to AWS.
    for p in &people[8..10] {
        let _ = sign(&env, p).await;
    }
    for p in &people[10..12] {
        ok(record_agreement_then_crash(&env, p).await, "crash");
    }
    let report = ok(env.keeper.reconcile().await, "reconcile");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(
        report
            .drift
            .iter()
            .any(|d| d.found.contains("not yet accepted")),
        "the crashed grants are found: {:?}",
        report.drift
    );
    let refs: Vec<&Person> = people.iter().collect();
    assert_aws_matches_database(&env, &refs).await;
    // Probe as every person: granted ones read, everyone else is refused everywhere.
    let aps: Vec<String> = policies_in_aws(&env, &refs).await.into_keys().collect();
    for p in &people {
        let holds = env.keeper.access(&p.email, SLUG, VERSION).await;
        for name in &aps {
            let arn = format!("arn:aws:s3:us-east-1:{PLATFORM}:accesspoint/{name}");
            let reads = can_read(p, &arn, KEY).await;
            let should = matches!(&holds, Ok(a) if &a.access_point == name);
            assert_eq!(reads, should, "{} on {name}", p.email);
        }
    }
    for p in &revoked {
        assert!(matches!(
            env.keeper.access(&p.email, SLUG, VERSION).await,
            Err(KeeperError::NotFound(_))
        ));
    }
    for p in &people[10..12] {
        let a = ok(env.keeper.access(&p.email, SLUG, VERSION).await, "access");
        assert_eq!(a.state, "active", "the crashed grant was finished");
    }
    let again = ok(env.keeper.reconcile().await, "reconcile");
    assert!(
        again.drift.is_empty(),
        "second reconcile is quiet: {:?}",
        again.drift
    );
}

/// Signs the agreement with the grant stopped right after its database commit.
async fn record_agreement_then_crash(env: &Env, p: &Person) -> Result<(), KeeperError> {
    env.keeper.record_agreement(&p.email, SLUG, VERSION).await?;
    env.keeper
        .record_grant(&p.email, SLUG, VERSION)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn reconcile_repairs_hand_edits() {
    let env = env_with(Backend::Sqlite, |s| s.capacity = 2).await;
    controlled(&env, SLUG, VERSION, true).await;
    let people = eligible(&env, "h", 4).await;
    for p in &people {
        let _ = sign(&env, p).await;
    }
    let mallory = person(&env, "mallory").await;
    let control = admin_control(&env);
    let s3 = admin_s3(&env);
    let bucket = env.keeper.settings.controlled_bucket.clone();
    let ap1 = "cohort-v1-0-01";
    let ap1_arn = format!("arn:aws:s3:us-east-1:{PLATFORM}:accesspoint/{ap1}");
    // 1. Mallory is added to access point 01's policy by hand.
    let edited = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": mallory.arn}, "Action": "s3:GetObject",
                       "Resource": format!("{ap1_arn}/object/*")}]
    })
    .to_string();
    ok_fake(
        control
            .put_access_point_policy()
            .account_id(PLATFORM)
            .name(ap1)
            .policy(edited)
            .send()
            .await,
    );
    assert!(
        can_read(&mallory, &ap1_arn, KEY).await,
        "the hand edit works"
    );
    // 2. Access point 02 is deleted by hand.
    ok_fake(
        control
            .delete_access_point()
            .account_id(PLATFORM)
            .name("cohort-v1-0-02")
            .send()
            .await,
    );
    // 3. An access point the database does not know, open to mallory.
    ok_fake(
        control
            .create_access_point()
            .account_id(PLATFORM)
            .name("side-door")
            .bucket(&bucket)
            .send()
            .await,
    );
    // 4. The bucket's public access block is switched off.
    ok_fake(s3.delete_public_access_block().bucket(&bucket).send().await);

    let report = ok(env.keeper.reconcile().await, "reconcile");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let found: Vec<(String, String)> = report
        .drift
        .iter()
        .map(|d| (d.resource.clone(), d.found.clone()))
        .collect();
    let has = |res: &str, what: &str| {
        found
            .iter()
            .any(|(r, f)| r.contains(res) && f.contains(what))
    };
    assert!(has(ap1, "edited"), "{found:?}");
    assert!(has("cohort-v1-0-02", "deleted"), "{found:?}");
    assert!(has("side-door", "does not know"), "{found:?}");
    assert!(has(&bucket, "public access block"), "{found:?}");

    assert!(
        !can_read(&mallory, &ap1_arn, KEY).await,
        "the edit is undone"
    );
    let refs: Vec<&Person> = people.iter().collect();
    assert_aws_matches_database(&env, &refs).await;
    for p in &people {
        let a = ok(env.keeper.access(&p.email, SLUG, VERSION).await, "access");
        assert!(can_read(p, &a.access_point_arn, KEY).await, "{}", p.email);
    }
    let blocked = ok_fake(s3.get_public_access_block().bucket(&bucket).send().await);
    assert_eq!(
        blocked
            .public_access_block_configuration()
            .and_then(|c| c.restrict_public_buckets()),
        Some(true)
    );
    let again = ok(env.keeper.reconcile().await, "reconcile");
    assert!(again.drift.is_empty(), "{:?}", again.drift);
}

#[tokio::test]
async fn the_periodic_reconcile_repairs_without_being_asked() {
    let env = env(Backend::Sqlite).await;
    controlled(&env, SLUG, VERSION, true).await;
    let alice = person(&env, "alice").await;
    verify(&env, &alice).await;
    let access = ok_opt(sign(&env, &alice).await);
    ok_fake(
        admin_control(&env)
            .delete_access_point_policy()
            .account_id(PLATFORM)
            .name(&access.access_point)
            .send()
            .await,
    );
    assert!(!can_read(&alice, &access.access_point_arn, KEY).await);
    let task = env
        .keeper
        .spawn_periodic_reconcile(std::time::Duration::from_millis(200));
    let mut repaired = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if can_read(&alice, &access.access_point_arn, KEY).await {
            repaired = true;
            break;
        }
    }
    task.abort();
    assert!(repaired, "the policy was not restored within 5 s");
    let logged = ok(
        env.keeper
            .audit(&AuditFilter {
                action: Some("drift-found".to_owned()),
                ..AuditFilter::default()
            })
            .await,
        "audit",
    );
    assert!(
        logged
            .iter()
            .any(|e| e.actor == "reconcile" && e.detail.contains("no policy")),
        "{logged:?}"
    );
}
