//! policy-eval speed: the figures quoted in README come from `cargo bench --bench policy`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use policy_eval::pattern::Glob;
use policy_eval::{
    evaluate, AccessPointRef, BucketRef, ContextValue, Policy, PolicyKind, PolicySet, Principal,
    Request,
};
use serde_json::json;

const ACCOUNT: &str = "111122223333";
const AP: &str = "mimic-v1-0-01";

fn ap_arn() -> String {
    format!("arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/{AP}")
}

fn user_id(i: usize) -> String {
    format!("AIDA{i:016}")
}

/// The per-dataset access-point policy of SPEC §5 with `n` granted people, as JSON.
fn access_point_policy_doc(n: usize) -> serde_json::Value {
    let ids: Vec<String> = (0..n).map(user_id).collect();
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "ListOnlyInsideTheDataset", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket",
         "Resource": ap_arn(), "Condition": {"StringNotLike": {"s3:prefix": ["mimic/1.0/*"]}}},
        {"Sid": "GrantedPeople", "Effect": "Allow", "Principal": {"AWS": ids}, "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [ap_arn(), format!("{}/object/mimic/1.0/*", ap_arn())]}
    ]});
    doc
}

fn access_point_policy(n: usize) -> Policy {
    Policy::from_value(&access_point_policy_doc(n), PolicyKind::AccessPoint)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn delegation_policy() -> Policy {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
        "Resource": ["arn:aws:s3:::ctl", "arn:aws:s3:::ctl/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}}}]});
    Policy::from_value(&doc, PolicyKind::Bucket).unwrap_or_else(|e| panic!("{e}"))
}

/// A bucket policy of just under 20 KB: about 100 statements with wildcard resources and conditions.
fn big_bucket_policy_text() -> String {
    let statement = |i: usize| {
        json!({"Effect": if i % 10 == 9 { "Deny" } else { "Allow" },
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/m{i}")},
            "Action": ["s3:Get*", "s3:List*"],
            "Resource": [format!("arn:aws:s3:::sh/p{i}/*"), "arn:aws:s3:::sh"],
            "Condition": {"IpAddress": {"aws:SourceIp": format!("10.{i}.0.0/16")}}})
    };
    let mut statements = Vec::new();
    loop {
        statements.push(statement(statements.len()));
        let text =
            serde_json::to_string(&json!({"Version": "2012-10-17", "Statement": statements}))
                .unwrap_or_default();
        if text.len() > 20 * 1024 {
            statements.pop();
            return serde_json::to_string(
                &json!({"Version": "2012-10-17", "Statement": statements}),
            )
            .unwrap_or_default();
        }
    }
}

fn user(i: usize) -> Principal {
    Principal::from_arn(
        &format!("arn:aws:iam::444455556666:user/u{i}"),
        Some(&user_id(i)),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn bench_decisions(c: &mut Criterion) {
    let identity = vec![Policy::from_value(
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        PolicyKind::Identity,
    )
    .unwrap_or_else(|e| panic!("{e}"))];
    let ap_policy = access_point_policy(500);
    let bucket = delegation_policy();
    let policies = PolicySet {
        boundary: None,
        identity: &identity,
        session: &[],
        bucket: Some(&bucket),
        access_point: Some(&ap_policy),
    };
    let req = Request::new(
        user(437),
        "s3:GetObject",
        BucketRef {
            name: "ctl".into(),
            account: ACCOUNT.into(),
        },
        Some("mimic/1.0/files/p100/p10012345/s1234.dat".into()),
        Some(AccessPointRef {
            name: AP.into(),
            account: ACCOUNT.into(),
            region: "us-east-1".into(),
        }),
    );
    assert_eq!(
        evaluate(&req, &policies).decision,
        policy_eval::Decision::Allow
    );
    c.bench_function(
        "decide: 500-principal access point + delegating bucket, GetObject",
        |b| b.iter(|| evaluate(black_box(&req), black_box(&policies))),
    );
    let list = Request::new(
        user(437),
        "s3:ListBucket",
        BucketRef {
            name: "ctl".into(),
            account: ACCOUNT.into(),
        },
        None,
        Some(AccessPointRef {
            name: AP.into(),
            account: ACCOUNT.into(),
            region: "us-east-1".into(),
        }),
    )
    .with("s3:prefix", ContextValue::Single("other/".into()));
    assert_eq!(
        evaluate(&list, &policies).decision,
        policy_eval::Decision::ExplicitDeny
    );
    c.bench_function(
        "decide: 500-principal access point, ListBucket outside prefix",
        |b| b.iter(|| evaluate(black_box(&list), black_box(&policies))),
    );

    let text = big_bucket_policy_text();
    let big = Policy::parse(&text, PolicyKind::Bucket).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        big.size > 19 * 1024 && big.size <= 20 * 1024,
        "policy is {} bytes",
        big.size
    );
    let n = big.statements.len();
    assert!(n >= 90, "only {n} statements");
    let last_allow = (0..n).rev().find(|i| i % 10 != 9).unwrap_or(0);
    let member = Principal::from_arn(
        &format!("arn:aws:iam::{ACCOUNT}:user/m{last_allow}"),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let req = Request::new(
        member,
        "s3:GetObject",
        BucketRef {
            name: "sh".into(),
            account: ACCOUNT.into(),
        },
        Some(format!("p{last_allow}/data/file.csv")),
        None,
    )
    .with(
        "aws:SourceIp",
        ContextValue::Single(format!("10.{last_allow}.1.2")),
    );
    let set = PolicySet {
        boundary: None,
        identity: &[],
        session: &[],
        bucket: Some(&big),
        access_point: None,
    };
    assert_eq!(evaluate(&req, &set).decision, policy_eval::Decision::Allow);
    c.bench_function(
        "decide: 20 KB bucket policy, ~100 wildcard statements",
        |b| b.iter(|| evaluate(black_box(&req), black_box(&set))),
    );
    c.bench_function("parse + compile: 20 KB bucket policy", |b| {
        b.iter(|| Policy::parse(black_box(&text), PolicyKind::Bucket))
    });
    c.bench_function(
        "serde_json::Value only (for scale): 20 KB bucket policy",
        |b| b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&text))),
    );
    let ap_text = serde_json::to_string(&access_point_policy_doc(500)).unwrap_or_default();
    c.bench_function("parse + compile: 500-principal access point policy", |b| {
        b.iter(|| Policy::parse(black_box(&ap_text), PolicyKind::AccessPoint))
    });
}

fn bench_pathological_wildcard(c: &mut Criterion) {
    // `*a*a*…*b` is the classic blow-up for backtracking matchers; `…*b*` forces a scan of the whole
    // text for the missing `b`. Both must grow linearly with the text.
    let mut g = c.benchmark_group("glob (50 stars) against a^n");
    for (label, pattern) in [
        ("*a*a*…*b", format!("{}b", "*a".repeat(50))),
        ("*a*a*…*b*", format!("{}*b*", "*a".repeat(50))),
        // `?` takes the character-by-character (bit-parallel) search path.
        ("*a*a*…*a?b*", format!("{}?b*", "*a".repeat(50))),
    ] {
        let glob = Glob::new(&pattern);
        for n in [1_000usize, 10_000, 100_000] {
            let text = "a".repeat(n);
            assert!(!glob.matches(&text));
            g.throughput(Throughput::Bytes(n as u64));
            g.bench_with_input(BenchmarkId::new(label, n), &text, |b, t| {
                b.iter(|| glob.matches(black_box(t)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_decisions, bench_pathological_wildcard);
criterion_main!(benches);
