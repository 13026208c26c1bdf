//! Access points and their quota: numeric fill order, nobody half granted at the quota,
//! concurrent grants through several instances, access points of the same name elsewhere.

use std::collections::HashMap;

use rstest::rstest;
use s3keeper::keeper::AuditFilter;
use s3keeper::KeeperError;

use super::{
    admin_control, admin_s3, assert_aws_matches_database, eligible, ok, ok_fake, ok_opt,
    policies_in_aws, sign, KEY, SLUG, VERSION,
};
use crate::service_support::{
    can_read, controlled, env, env_with, keeper_for, person, settings_for, verify, Backend, Env,
    Person, PLATFORM,
};

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
