//! The service end to end (issue 4): the real AWS SDK against the in-process fake, on SQLite and
//! on PostgreSQL. Every access claim is checked by asking the fake as the person, never by
//! reading the service's own tables alone.

use std::collections::{BTreeSet, HashMap};

use s3keeper::KeeperError;

use crate::service_support::{person, verify, Env, Person, PLATFORM};

mod access_points;
mod grants;
mod reconcile;
mod uploads;

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

fn ok_opt<T>(v: Option<T>) -> T {
    match v {
        Some(v) => v,
        None => panic!("expected a grant"),
    }
}
