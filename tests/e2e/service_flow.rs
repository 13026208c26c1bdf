//! The service end to end (issue 4): the real AWS SDK against the in-process fake, on SQLite and
//! on PostgreSQL. Every access claim is checked by asking the fake as the person, never by
//! reading the service's own tables alone.

use std::collections::{BTreeSet, HashMap};

use rstest::rstest;
use s3keeper::keeper::{AuditFilter, Kind, Quiet};
use s3keeper::KeeperError;

use crate::service_support::{
    can_read, controlled, env, env_with, keeper_for, person, settings_for, verify, Backend, Env,
    Person, PEOPLE, PLATFORM, READER,
};

const SLUG: &str = "cohort";
const VERSION: &str = "1.0";
const KEY: &str = "cohort/1.0/data/a.csv";

fn ok<T>(r: Result<T, KeeperError>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// `n` verified people who signed the dataset's agreement (not granted).
async fn eligible(env: &Env, prefix: &str, n: usize) -> Vec<Person> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let p = person(env, &format!("{prefix}{i:03}")).await;
        verify(env, &p).await;
        out.push(p);
    }
    out
}

async fn sign(env: &Env, p: &Person) -> Option<s3keeper::keeper::Access> {
    ok(
        env.keeper.sign_agreement(&p.email, SLUG, VERSION).await,
        "sign_agreement",
    )
}

fn admin_control(env: &Env) -> aws_sdk_s3control::Client {
    let creds = ok_fake(env.fake.root_credentials(PLATFORM));
    aws_sdk_s3control::Client::new(&env.fake.sdk_config(&creds))
}

fn admin_s3(env: &Env) -> aws_sdk_s3::Client {
    let creds = ok_fake(env.fake.root_credentials(PLATFORM));
    aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds))
}

fn ok_fake<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// The user ids each access point's stored policy names, as AWS holds them.
async fn policies_in_aws(env: &Env, people: &[&Person]) -> HashMap<String, BTreeSet<String>> {
    let control = admin_control(env);
    let by_arn: HashMap<&str, &str> = people
        .iter()
        .map(|p| (p.arn.as_str(), p.user_id.as_str()))
        .collect();
    let list = ok_fake(
        control
            .list_access_points()
            .account_id(PLATFORM)
            .bucket(&env.keeper.settings.controlled_bucket)
            .send()
            .await,
    );
    let mut out = HashMap::new();
    for ap in list.access_point_list() {
        let name = ap.name().to_owned();
        let policy = match control
            .get_access_point_policy()
            .account_id(PLATFORM)
            .name(&name)
            .send()
            .await
        {
            Ok(p) => p.policy().unwrap_or_default().to_owned(),
            Err(_) => String::new(),
        };
        let mut ids = BTreeSet::new();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&policy) {
            for st in v["Statement"].as_array().into_iter().flatten() {
                if st["Effect"] != "Allow" {
                    continue;
                }
                let aws = &st["Principal"]["AWS"];
                let names: Vec<&str> = match aws {
                    serde_json::Value::String(s) => vec![s.as_str()],
                    serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
                    _ => Vec::new(),
                };
                for n in names {
                    ids.insert(by_arn.get(n).map_or(n, |u| *u).to_owned());
                }
            }
        }
        out.insert(name, ids);
    }
    out
}

/// Every access point in AWS names exactly the people the database holds for it.
async fn assert_aws_matches_database(env: &Env, people: &[&Person]) {
    let want: HashMap<String, BTreeSet<String>> =
        ok(env.keeper.access_point_members().await, "members")
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect();
    let got = policies_in_aws(env, people).await;
    for (name, ids) in &got {
        let expected = want.get(name).cloned().unwrap_or_default();
        assert_eq!(ids, &expected, "access point {name}: AWS vs database");
    }
    for name in want.keys() {
        assert!(got.contains_key(name), "access point {name} missing in AWS");
    }
}

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

fn ok_opt<T>(v: Option<T>) -> T {
    match v {
        Some(v) => v,
        None => panic!("expected a grant"),
    }
}

#[tokio::test]
async fn access_points_fill_in_numeric_order_and_members_never_move() {
    let env = env_with(Backend::Sqlite, |s| s.capacity = 1).await;
    controlled(&env, SLUG, VERSION, true).await;
    let people = eligible(&env, "p", 101).await;
    let mut first = HashMap::new();
    for p in &people {
        let _ = sign(&env, p).await;
        let a = ok(env.keeper.access(&p.email, SLUG, VERSION).await, "access");
        first.insert(p.email.clone(), a.access_point);
    }
    assert_eq!(first[&people[0].email], "cohort-v1-0-01");
    assert_eq!(first[&people[99].email], "cohort-v1-0-100");
    assert_eq!(first[&people[100].email], "cohort-v1-0-101");
    // Free number 100 and number 99: the next person goes to 99, the numerically first with room
    // (a string sort would pick "100").
    ok(
        env.keeper.revoke(&people[99].email, SLUG, VERSION).await,
        "revoke",
    );
    ok(
        env.keeper.revoke(&people[98].email, SLUG, VERSION).await,
        "revoke",
    );
    let newcomer = person(&env, "newcomer").await;
    verify(&env, &newcomer).await;
    let a = ok_opt(sign(&env, &newcomer).await);
    assert_eq!(a.access_point, "cohort-v1-0-99");
    assert!(can_read(&newcomer, &a.access_point_arn, KEY).await);
    for p in &people[..98] {
        let now = ok(env.keeper.access(&p.email, SLUG, VERSION).await, "access");
        assert_eq!(now.access_point, first[&p.email], "{} moved", p.email);
    }
}

#[tokio::test]
async fn at_the_access_point_quota_nobody_is_half_granted() {
    let env = env_with(Backend::Sqlite, |s| {
        s.capacity = 1;
        s.max_access_points = 2;
    })
    .await;
    controlled(&env, SLUG, VERSION, true).await;
    let people = eligible(&env, "q", 3).await;
    let _ = sign(&env, &people[0]).await;
    let _ = sign(&env, &people[1]).await;
    let third = env
        .keeper
        .sign_agreement(&people[2].email, SLUG, VERSION)
        .await;
    assert!(
        matches!(third, Err(KeeperError::Limit(ref m)) if m.contains("access points")),
        "{third:?}"
    );
    assert!(matches!(
        env.keeper.access(&people[2].email, SLUG, VERSION).await,
        Err(KeeperError::NotFound(_))
    ));
    let in_aws = policies_in_aws(&env, &people.iter().collect::<Vec<_>>()).await;
    assert_eq!(
        in_aws.len(),
        2,
        "no third access point: {:?}",
        in_aws.keys()
    );
    let granted = ok(
        env.keeper
            .audit(&AuditFilter {
                action: Some("granted".to_owned()),
                ..AuditFilter::default()
            })
            .await,
        "audit",
    );
    assert_eq!(granted.len(), 2);
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

#[rstest]
#[case::postgres(Backend::Postgres)]
#[case::sqlite(Backend::Sqlite)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_grants_through_two_instances(#[case] backend: Backend) {
    let env = env_with(backend, |s| s.capacity = 20).await;
    controlled(&env, SLUG, VERSION, true).await;
    let people = eligible(&env, "c", 50).await;
    // Each person signs (which grants) through one of two service instances, all at once.
    let other = keeper_for(&env.fake, &env.database_url, settings_for_env(&env)).await;
    let results = sign_all_at_once(&[&env.keeper, &other], &people, |_| SLUG).await;
    for r in results {
        assert!(matches!(r, Ok(Some(_))), "grant: {r:?}");
    }
    let mut per_ap: HashMap<String, usize> = HashMap::new();
    for p in &people {
        let a = ok(env.keeper.access(&p.email, SLUG, VERSION).await, "access");
        assert_eq!(a.state, "active", "{}: {}", p.email, a.note);
        *per_ap.entry(a.access_point).or_default() += 1;
    }
    assert_eq!(per_ap.len(), 3, "{per_ap:?}");
    assert!(per_ap.values().all(|n| *n <= 20), "{per_ap:?}");
    let refs: Vec<&Person> = people.iter().collect();
    assert_aws_matches_database(&env, &refs).await;
    for p in &people {
        let a = ok(env.keeper.access(&p.email, SLUG, VERSION).await, "access");
        assert!(
            can_read(p, &a.access_point_arn, KEY).await,
            "{} cannot read",
            p.email
        );
    }
}

/// Person `i` signs dataset `slug(i)` version 1.0 (SLUG) or 1 (others) through instance
/// `i % instances`, all at once; results in people order.
async fn sign_all_at_once(
    instances: &[&s3keeper::Keeper],
    people: &[Person],
    slug: impl Fn(usize) -> &'static str,
) -> Vec<Result<Option<s3keeper::keeper::Access>, KeeperError>> {
    let mut tasks = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let k = instances[i % instances.len()].clone();
        let email = p.email.clone();
        let slug = slug(i);
        let version = if slug == SLUG { VERSION } else { "1" };
        tasks.push(tokio::spawn(async move {
            k.sign_agreement(&email, slug, version).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        match t.await {
            Ok(r) => out.push(r),
            Err(e) => panic!("task: {e}"),
        }
    }
    out
}

fn settings_for_env(env: &Env) -> s3keeper::Settings {
    let mut s = settings_for(&env.fake);
    s.capacity = env.keeper.settings.capacity;
    s
}

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
async fn uploads_skip_unchanged_files_and_use_parts_for_large_ones() {
    let env = env(Backend::Sqlite).await;
    let dir = crate::service_support::dataset_dir("upload");
    let big = vec![42u8; 17 * 1024 * 1024];
    ok_fake(std::fs::write(dir.join("big.bin"), &big));
    ok(
        env.keeper
            .register_dataset("files", "2", Kind::Open, &dir)
            .await,
        "register",
    );
    let first = ok(env.keeper.upload("files", "2", &Quiet).await, "upload");
    assert_eq!(first.uploaded.len(), 4);
    let second = ok(env.keeper.upload("files", "2", &Quiet).await, "upload");
    assert!(second.uploaded.is_empty(), "{:?}", second.uploaded);
    assert_eq!(second.unchanged.len(), 4);
    ok_fake(std::fs::write(dir.join("data/a.csv"), "x,y\n9,9\n"));
    let third = ok(env.keeper.upload("files", "2", &Quiet).await, "upload");
    assert_eq!(third.uploaded, vec!["files/2/data/a.csv".to_owned()]);
    // The open bucket is public: anyone reads, here with no credentials at all.
    let anonymous = format!(
        "{}/{}/files/2/data/a.csv",
        env.fake.endpoint(),
        env.keeper.settings.open_bucket
    );
    let body = ok_fake(ok_fake(reqwest::get(&anonymous).await).text().await);
    assert_eq!(body, "x,y\n9,9\n");
    let head = ok_fake(
        admin_s3(&env)
            .head_object()
            .bucket(&env.keeper.settings.open_bucket)
            .key("files/2/big.bin")
            .send()
            .await,
    );
    assert!(
        head.e_tag().unwrap_or_default().ends_with("-3\""),
        "{:?}",
        head.e_tag()
    );
    let _ = std::fs::remove_dir_all(&dir);
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

#[tokio::test]
async fn with_a_source_root_only_datasets_inside_it_can_be_registered() {
    let inside = crate::service_support::dataset_dir("inside");
    let root = match inside.parent() {
        Some(p) => p.join(format!("s3k-root-{}", std::process::id())),
        None => panic!("no parent"),
    };
    ok_fake(std::fs::create_dir_all(&root));
    let moved = root.join("ds");
    ok_fake(std::fs::rename(&inside, &moved));
    let canonical = ok_fake(std::fs::canonicalize(&root));
    let env = env_with(Backend::Sqlite, |s| s.source_root = Some(canonical)).await;
    ok(
        env.keeper
            .register_dataset("inside", "1", Kind::Open, &moved)
            .await,
        "inside the root",
    );
    let outside = crate::service_support::dataset_dir("outside");
    let refused = env
        .keeper
        .register_dataset("outside", "1", Kind::Open, &outside)
        .await;
    assert!(
        matches!(refused, Err(KeeperError::Forbidden(ref m)) if m.contains("outside")),
        "{refused:?}"
    );
    // `..` cannot walk out of the root: the path is made canonical first.
    let sneaky = moved
        .join("..")
        .join("..")
        .join(outside.file_name().unwrap_or_default());
    let refused = env
        .keeper
        .register_dataset("sneaky", "1", Kind::Open, &sneaky)
        .await;
    assert!(
        matches!(refused, Err(KeeperError::Forbidden(_))),
        "{refused:?}"
    );
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&outside);
}

#[tokio::test]
async fn uploads_refuse_symbolic_links() {
    let env = env(Backend::Sqlite).await;
    let dir = crate::service_support::dataset_dir("links");
    let secret = dir.with_extension("secret");
    ok_fake(std::fs::write(&secret, "not for publication"));
    ok_fake(std::os::unix::fs::symlink(
        &secret,
        dir.join("data/leak.txt"),
    ));
    ok(
        env.keeper
            .register_dataset("links", "1", Kind::Open, &dir)
            .await,
        "register",
    );
    let refused = env.keeper.upload("links", "1", &Quiet).await;
    assert!(
        matches!(refused, Err(KeeperError::Invalid(ref m)) if m.contains("symbolic link")),
        "{refused:?}"
    );
    let listed = ok_fake(
        admin_s3(&env)
            .list_objects_v2()
            .bucket(&env.keeper.settings.open_bucket)
            .send()
            .await,
    );
    assert!(listed.contents().is_empty(), "nothing was uploaded");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&secret);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_quota_holds_across_datasets_and_instances() {
    let env = env_with(Backend::Postgres, |s| {
        s.capacity = 1;
        s.max_access_points = 3;
    })
    .await;
    controlled(&env, "one", "1", true).await;
    controlled(&env, "two", "1", true).await;
    let people = eligible(&env, "k", 6).await;
    let other = keeper_for(&env.fake, &env.database_url, {
        let mut s = settings_for(&env.fake);
        s.capacity = 1;
        s.max_access_points = 3;
        s
    })
    .await;
    let results = sign_all_at_once(&[&env.keeper, &other], &people, |i| {
        if i < 3 {
            "one"
        } else {
            "two"
        }
    })
    .await;
    let (mut granted, mut refused) = (0, 0);
    for r in results {
        match r {
            Ok(Some(_)) => granted += 1,
            Err(KeeperError::Limit(_)) => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((granted, refused), (3, 3));
    let refs: Vec<&Person> = people.iter().collect();
    assert_eq!(policies_in_aws(&env, &refs).await.len(), 3);
}

#[tokio::test]
async fn an_access_point_of_the_same_name_on_another_bucket_is_not_taken_over() {
    let env = env(Backend::Sqlite).await;
    controlled(&env, SLUG, VERSION, true).await;
    let s3 = admin_s3(&env);
    ok_fake(s3.create_bucket().bucket("someone-elses-data").send().await);
    ok_fake(
        admin_control(&env)
            .create_access_point()
            .account_id(PLATFORM)
            .name("cohort-v1-0-01")
            .bucket("someone-elses-data")
            .send()
            .await,
    );
    let alice = person(&env, "alice").await;
    verify(&env, &alice).await;
    let refused = env.keeper.sign_agreement(&alice.email, SLUG, VERSION).await;
    assert!(
        matches!(refused, Err(KeeperError::Conflict(ref m)) if m.contains("someone-elses-data")),
        "{refused:?}"
    );
    assert!(matches!(
        env.keeper.access(&alice.email, SLUG, VERSION).await,
        Err(KeeperError::NotFound(_))
    ));
}
