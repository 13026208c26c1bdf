//! Differential tests for policy-eval.
//!
//! - `differential_reference_agrees_with_policy_eval`: random scenarios are decided by policy-eval
//!   and by the small reference evaluator in `reference.rs` (written from SPEC §2 and AWS's pages,
//!   not from policy-eval); the two must agree.
//! - `differential_decision_ignores_list_order`: with lists that also mix `${…}` entries and plain
//!   ones (an area AWS leaves open, see `unmix`), reversing every list in the policies must not
//!   change policy-eval's decision.
//! - `differential_generator_reaches_every_decision`: the generator keeps producing all three
//!   decisions, so the comparison means something.
//!
//! The generator stays inside the subset the reference supports and biases its choices toward
//! values that collide (the same user name in two accounts, the caller's own ids in Principal
//! lists, resource patterns that cover the requested key, context values on both sides of each
//! condition), so statements match often. `PROPTEST_CASES` overrides the number of cases. On a
//! mismatch proptest shrinks the scenario and the failure message holds it as pretty JSON, ready
//! to become a corpus case.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};

use crate::reference;

const OWNER: &str = "111122223333";
const BUCKET: &str = "b";
const AP_ARN: &str = "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1";

/// Callers: (arn, userid, the principal entries that name them); `None` arn means anonymous.
type CallerSpec = (Option<&'static str>, &'static str, &'static [&'static str]);
const CALLERS: &[CallerSpec] = &[
    (
        Some("arn:aws:iam::111122223333:user/a"),
        "AIDA1111AAAAAAAAAAAA",
        &[
            "arn:aws:iam::111122223333:user/a",
            "111122223333",
            "AIDA1111AAAAAAAAAAAA",
            "arn:aws:iam::111122223333:root",
        ],
    ),
    (
        Some("arn:aws:iam::444455556666:user/a"),
        "AIDA4444AAAAAAAAAAAA",
        &[
            "arn:aws:iam::444455556666:user/a",
            "444455556666",
            "AIDA4444AAAAAAAAAAAA",
            "arn:aws:iam::444455556666:root",
        ],
    ),
    (
        Some("arn:aws:sts::111122223333:assumed-role/r/s1"),
        "AROA1111RRRRRRRRRRRR:s1",
        &[
            "arn:aws:iam::111122223333:role/r",
            "arn:aws:sts::111122223333:assumed-role/r/s1",
            "111122223333",
            "AROA1111RRRRRRRRRRRR",
            "arn:aws:iam::111122223333:root",
        ],
    ),
    (
        Some("arn:aws:iam::111122223333:root"),
        "111122223333",
        &["111122223333", "arn:aws:iam::111122223333:root"],
    ),
    (None, "", &[]),
    (
        Some("arn:aws:sts::444455556666:assumed-role/r/s1"),
        "AROA4444RRRRRRRRRRRR:s1",
        &[
            "arn:aws:iam::444455556666:role/r",
            "arn:aws:sts::444455556666:assumed-role/r/s1",
            "444455556666",
            "AROA4444RRRRRRRRRRRR",
            "arn:aws:iam::444455556666:root",
        ],
    ),
    (
        Some("arn:aws:iam::444455556666:root"),
        "444455556666",
        &["444455556666", "arn:aws:iam::444455556666:root"],
    ),
    (
        Some("arn:aws:iam::111122223333:user/bob"),
        "AIDA1111BBBBBBBBBBBB",
        &[
            "arn:aws:iam::111122223333:user/bob",
            "111122223333",
            "arn:aws:iam::111122223333:root",
        ],
    ),
    (
        Some("arn:aws:iam::444455556666:user/carol"),
        "AIDA4444CCCCCCCCCCCC",
        &[
            "arn:aws:iam::444455556666:user/carol",
            "444455556666",
            "arn:aws:iam::444455556666:root",
        ],
    ),
    (
        Some("arn:aws:sts::111122223333:assumed-role/r/s2"),
        "AROA1111RRRRRRRRRRRR:s2",
        &[
            "arn:aws:iam::111122223333:role/r",
            "111122223333",
            "arn:aws:iam::111122223333:root",
        ],
    ),
    (Some("arn:aws:iam::777788889999:root"), "777788889999", &[]),
];

/// Entries of a `Principal` / `NotPrincipal` `AWS` list.
const PRINCIPALS: &[&str] = &[
    "111122223333",
    "arn:aws:iam::111122223333:user/a",
    "arn:aws:iam::444455556666:root",
    "arn:aws:iam::111122223333:role/r",
    "arn:aws:sts::111122223333:assumed-role/r/s1",
    "AIDA1111AAAAAAAAAAAA",
    "444455556666",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:user/a",
    "arn:aws:iam::444455556666:user/carol",
    "arn:aws:iam::111122223333:user/bob",
    "AIDA4444AAAAAAAAAAAA",
    "arn:aws:iam::444455556666:role/r",
    "arn:aws:sts::444455556666:assumed-role/r/s1",
    "arn:aws:sts::111122223333:assumed-role/r/s2",
    "AROA1111RRRRRRRRRRRR",
    "arn:aws:iam::777788889999:root",
];

const BUCKET_LEVEL: u8 = 1;
const OBJECT_LEVEL: u8 = 2;
const BOTH: u8 = BUCKET_LEVEL | OBJECT_LEVEL;

/// Action patterns and the kinds of S3 action each can name (bucket-level, object-level).
const ACTIONS: &[(&str, u8)] = &[
    ("s3:GetObject", OBJECT_LEVEL),
    ("s3:ListBucket", BUCKET_LEVEL),
    ("s3:*", BOTH),
    ("*", BOTH),
    ("s3:Get*", BOTH),
    ("s3:getobject", OBJECT_LEVEL),
    ("s3:?etObject", OBJECT_LEVEL),
    ("s3:PutObject", OBJECT_LEVEL),
    ("S3:LISTBUCKET", BUCKET_LEVEL),
    ("s3:Put*", BOTH),
    ("s3:*Object", OBJECT_LEVEL),
    ("s3:ListBucket*", BUCKET_LEVEL),
];

/// Resource patterns for bucket policies, with the kind of resource each names.
const BUCKET_RESOURCES: &[(&str, u8)] = &[
    ("arn:aws:s3:::b/*", OBJECT_LEVEL),
    ("arn:aws:s3:::b", BUCKET_LEVEL),
    ("arn:aws:s3:::b/a/*", OBJECT_LEVEL),
    ("arn:aws:s3:::b/${aws:username}/*", OBJECT_LEVEL),
    ("*", BOTH),
    ("arn:aws:s3:::b/a/x/*", OBJECT_LEVEL),
    ("arn:aws:s3:::b/?/f*", OBJECT_LEVEL),
    ("arn:aws:s3:::other", BUCKET_LEVEL),
];

/// Resource patterns for access-point policies.
const AP_RESOURCES: &[(&str, u8)] = &[
    (
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/*",
        OBJECT_LEVEL,
    ),
    (
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1",
        BUCKET_LEVEL,
    ),
    (
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/a/*",
        OBJECT_LEVEL,
    ),
    (
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/${aws:username}/*",
        OBJECT_LEVEL,
    ),
    ("*", BOTH),
    (
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/c/*",
        OBJECT_LEVEL,
    ),
];

/// Resource patterns for identity policies (they may name the bucket or the access point).
const IDENTITY_RESOURCES: &[(&str, u8)] = &[
    ("arn:aws:s3:::b/*", OBJECT_LEVEL),
    (
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/*",
        OBJECT_LEVEL,
    ),
    ("arn:aws:s3:::b", BUCKET_LEVEL),
    (
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1",
        BUCKET_LEVEL,
    ),
    ("*", BOTH),
    ("arn:aws:s3:::b/a/*", OBJECT_LEVEL),
    ("arn:aws:s3:::b/${aws:username}/*", OBJECT_LEVEL),
    (
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/${aws:username}/*",
        OBJECT_LEVEL,
    ),
    ("arn:aws:s3:*:111122223333:accesspoint/*", BOTH),
    ("arn:aws:s3:::b/a/x/*", OBJECT_LEVEL),
    ("arn:aws:s3:::b/?/f*", OBJECT_LEVEL),
];

/// Object keys: under `a/`, `a/x/`, `c/`, a user's name, and a literal `${aws:username}`.
const KEYS: &[&str] = &["a/f1", "a/x/f2", "c/f3", "bob/f4", "${aws:username}/f5"];

/// Condition templates: (operator, key, values).
const CONDITIONS: &[(&str, &str, &[&str])] = &[
    ("StringEquals", "s3:prefix", &["a/"]),
    ("StringLike", "s3:prefix", &["a/*"]),
    ("Bool", "aws:SecureTransport", &["true"]),
    ("IpAddress", "aws:SourceIp", &["10.1.2.0/24"]),
    (
        "StringEquals",
        "s3:DataAccessPointAccount",
        &["111122223333"],
    ),
    ("StringNotLike", "s3:prefix", &["a/*"]),
    (
        "NotIpAddress",
        "aws:SourceIp",
        &["10.1.0.0/16", "192.168.0.0/16"],
    ),
    ("NumericLessThan", "s3:max-keys", &["10"]),
    ("StringEquals", "s3:prefix", &["", "a/"]),
    ("StringEquals", "s3:prefix", &["${aws:username}/"]),
    ("StringLike", "s3:prefix", &["*"]),
    ("StringLike", "s3:prefix", &["${aws:username}/*"]),
    ("StringLike", "s3:prefix", &["?/"]),
    ("StringNotLike", "s3:prefix", &["c/*", "a/x/*"]),
    ("StringNotLike", "s3:prefix", &["${aws:username}/*"]),
    ("StringEquals", "s3:prefix", &["a/", "${aws:username}/"]),
    ("StringLike", "s3:prefix", &["${aws:username}/*", "c/*"]),
    ("StringNotLike", "s3:prefix", &["c/*", "${aws:username}/*"]),
    ("Bool", "aws:SecureTransport", &["false"]),
    (
        "IpAddress",
        "aws:SourceIp",
        &["10.1.0.0/16", "192.168.0.0/16"],
    ),
    ("IpAddress", "aws:SourceIp", &["10.1.2.3/32"]),
    ("IpAddress", "aws:SourceIp", &["0.0.0.0/0"]),
    ("IpAddress", "aws:SourceIp", &["10.1.2.3"]),
    ("NotIpAddress", "aws:SourceIp", &["10.1.2.0/24"]),
    ("NumericLessThan", "s3:max-keys", &["50"]),
    (
        "StringEquals",
        "s3:DataAccessPointAccount",
        &["444455556666"],
    ),
];

/// Which policy a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Identity,
    Bucket,
    AccessPoint,
}

/// Picks one element; shrinking moves toward the front of the list (the simplest values).
fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    select(items.to_vec())
}

/// A string, or a list of strings (a single one sometimes still written as a list).
fn string_or_list(items: Vec<&'static str>, as_list: bool) -> Value {
    match items.as_slice() {
        [one] if !as_list => json!(one),
        _ => json!(items),
    }
}

/// What the policies are biased toward: the request's own caller, action and resources.
#[derive(Debug, Clone)]
struct Bias {
    principals: Vec<&'static str>,
    /// Weight of the `"*"` principal forms (high for anonymous callers, whom nothing else names).
    star: u32,
    actions: Vec<(&'static str, u8)>,
    identity_resources: Vec<(&'static str, u8)>,
    bucket_resources: Vec<(&'static str, u8)>,
    ap_resources: Vec<(&'static str, u8)>,
    /// Whether one list may hold both `${…}` entries and plain ones (see `unmix`).
    mixed_variables: bool,
}

impl Bias {
    fn new(caller: usize, action: &'static str, key: &str, via_ap: bool, mixed: bool) -> Bias {
        let (arn, _, own) = CALLERS[caller];
        // Every principal entry, with the caller's own ones listed again so they come up often.
        let mut principals = [own, own, own].concat();
        principals.extend_from_slice(PRINCIPALS);
        let kind = if action == "s3:ListBucket" {
            BUCKET_LEVEL
        } else {
            OBJECT_LEVEL
        };
        let mut actions = vec![(action, kind); 3];
        actions.extend_from_slice(ACTIONS);

        let username = arn.and_then(|a| a.split_once(":user/")).map(|(_, n)| n);
        let (bucket_res, ap_res) = if kind == BUCKET_LEVEL {
            (format!("arn:aws:s3:::{BUCKET}"), AP_ARN.to_owned())
        } else {
            (
                format!("arn:aws:s3:::{BUCKET}/{key}"),
                format!("{AP_ARN}/object/{key}"),
            )
        };
        // Each pool, with the patterns that match the request's resource listed again.
        let boost = |pool: &[(&'static str, u8)], resource: &str| {
            let mut out = pool.to_vec();
            for &(p, k) in pool {
                let p_sub = match username {
                    Some(n) => p.replace("${aws:username}", n),
                    None => p.to_owned(),
                };
                if reference::glob_match(&p_sub, resource) {
                    out.extend([(p, k); 4]);
                }
            }
            out
        };
        let identity_resource = if via_ap { &ap_res } else { &bucket_res };
        Bias {
            principals,
            star: if arn.is_none() { 6 } else { 1 },
            actions,
            identity_resources: boost(IDENTITY_RESOURCES, identity_resource),
            bucket_resources: boost(BUCKET_RESOURCES, &bucket_res),
            ap_resources: boost(AP_RESOURCES, &ap_res),
            mixed_variables: mixed,
        }
    }
}

fn principal_strategy(bias: &Bias) -> impl Strategy<Value = (u8, Vec<&'static str>, bool)> {
    // 0: "*", 1: {"AWS": "*"}, 2: {"AWS": list}, 3: NotPrincipal {"AWS": list} (Deny only).
    (
        prop_oneof![4 => Just(2u8), bias.star => Just(0u8), bias.star => Just(1u8), 2 => Just(3u8)],
        prop::collection::vec(select(bias.principals.clone()), 1..=3),
        any::<bool>(),
    )
}

fn condition_strategy() -> impl Strategy<Value = Vec<(usize, bool, bool)>> {
    // (template, IfExists, alternative key case); mostly none or one.
    let one = (
        0..CONDITIONS.len(),
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.2),
    );
    prop_oneof![
        4 => prop::collection::vec(one.clone(), 0..=1),
        1 => prop::collection::vec(one, 2..=2),
    ]
}

fn build_condition(specs: &[(usize, bool, bool)], mixed: bool) -> Option<Value> {
    if specs.is_empty() {
        return None;
    }
    let mut ops: Map<String, Value> = Map::new();
    for &(i, if_exists, alt_case) in specs {
        let (op, key, values) = CONDITIONS[i];
        let op = if if_exists {
            format!("{op}IfExists")
        } else {
            op.to_owned()
        };
        let key = if alt_case {
            key.to_uppercase()
        } else {
            key.to_owned()
        };
        let block = ops.entry(op).or_insert_with(|| json!({}));
        if let Value::Object(block) = block {
            // Skip a second condition on the same key (key names are case-insensitive).
            if block.keys().any(|k| k.eq_ignore_ascii_case(&key)) {
                continue;
            }
            let mut values = values.to_vec();
            if !mixed {
                unmix(&mut values, |v| v.contains("${"));
            }
            block.insert(key, string_or_list(values, false));
        }
    }
    Some(Value::Object(ops))
}

/// Drops the `${…}` entries of a list that also has plain entries.
///
/// Whether a statement applies when one entry of a list (a Resource, or a condition's values)
/// names a variable without a value while another entry matches is left open by AWS ("If AWS
/// cannot resolve a variable, this might cause the entire statement to be invalid"). SPEC §2 says
/// the statement does not match; policy-eval currently decides such lists by their order (see the
/// order-independence property below). The reference comparison stays out of that corner.
fn unmix<T>(list: &mut Vec<T>, has_variable: impl Fn(&T) -> bool) {
    if list.iter().any(|x| !has_variable(x)) {
        list.retain(|x| !has_variable(x));
    }
}

fn unmix_variables(res: &mut Vec<(&'static str, u8)>) {
    unmix(res, |(r, _)| r.contains("${"));
}

fn statement_strategy(kind: Kind, bias: &Bias) -> impl Strategy<Value = Value> {
    let mixed = bias.mixed_variables;
    let resources = match kind {
        Kind::Identity => bias.identity_resources.clone(),
        Kind::Bucket => bias.bucket_resources.clone(),
        Kind::AccessPoint => bias.ap_resources.clone(),
    };
    (
        prop::bool::weighted(0.7),  // Allow?
        prop::bool::weighted(0.15), // NotAction?
        prop::collection::vec(select(bias.actions.clone()), 1..=2),
        prop::bool::weighted(0.15), // NotResource?
        prop::collection::vec(select(resources.clone()), 1..=2),
        condition_strategy(),
        principal_strategy(bias),
        any::<bool>(), // write single values as lists
    )
        .prop_map(
            move |(allow, not_action, actions, not_resource, mut res, cond, principal, lists)| {
                let mut st = Map::new();
                st.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                if kind != Kind::Identity {
                    let (form, entries, p_lists) = principal;
                    let aws = string_or_list(entries, p_lists);
                    match form {
                        0 => st.insert("Principal".into(), json!("*")),
                        1 => st.insert("Principal".into(), json!({"AWS": "*"})),
                        3 if !allow => st.insert("NotPrincipal".into(), json!({"AWS": aws})),
                        _ => st.insert("Principal".into(), json!({"AWS": aws})),
                    };
                }
                if !mixed {
                    unmix_variables(&mut res);
                }
                // S3 rejects a resource-policy statement whose actions apply to none of its
                // resources: add a resource of the kind the first action needs.
                let action_kinds = actions.iter().fold(0, |k, (_, a)| k | a);
                let resource_kinds = res.iter().fold(0, |k, (_, r)| k | r);
                if kind != Kind::Identity
                    && !not_action
                    && !not_resource
                    && action_kinds & resource_kinds == 0
                {
                    let needed = actions[0].1;
                    if let Some(r) = resources
                        .iter()
                        .find(|(r, k)| k & needed != 0 && !r.contains("${"))
                    {
                        res.push(*r);
                    }
                    if !mixed {
                        unmix_variables(&mut res);
                    }
                }
                let action_names: Vec<&str> = actions.iter().map(|(a, _)| *a).collect();
                let resource_names: Vec<&str> = res.iter().map(|(r, _)| *r).collect();
                let action_field = if not_action { "NotAction" } else { "Action" };
                let resource_field = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                st.insert(action_field.into(), string_or_list(action_names, lists));
                st.insert(resource_field.into(), string_or_list(resource_names, lists));
                if let Some(c) = build_condition(&cond, mixed) {
                    st.insert("Condition".into(), c);
                }
                Value::Object(st)
            },
        )
}

fn policy_strategy(kind: Kind, bias: &Bias) -> impl Strategy<Value = Value> {
    (
        prop_oneof![4 => Just(Some("2012-10-17")), 2 => Just(Some("2008-10-17")), 1 => Just(None)],
        prop_oneof![
            1 => prop::collection::vec(statement_strategy(kind, bias), 0..=0),
            6 => prop::collection::vec(statement_strategy(kind, bias), 1..=3),
        ],
        any::<bool>(),
    )
        .prop_map(|(version, statements, single)| {
            let mut p = Map::new();
            if let Some(v) = version {
                p.insert("Version".into(), json!(v));
            }
            let st = match statements.as_slice() {
                [one] if single => one.clone(),
                _ => Value::Array(statements),
            };
            p.insert("Statement".into(), st);
            Value::Object(p)
        })
}

fn context_strategy() -> impl Strategy<Value = Value> {
    (
        prop::option::weighted(
            0.7,
            pick(&["a/", "", "a/x/", "c/", "bob/", "${aws:username}/"]),
        ),
        prop::option::weighted(0.7, pick(&["true", "false"])),
        prop::option::weighted(
            0.7,
            pick(&["10.1.2.3", "10.1.9.9", "192.168.0.1", "172.16.0.1"]),
        ),
        prop::option::weighted(0.7, pick(&["5", "10", "100"])),
        // A caller-supplied s3:DataAccessPointAccount, which the evaluator must replace.
        prop::option::weighted(0.1, pick(&["111122223333", "444455556666"])),
        prop::bool::weighted(0.2), // upper-case key names (key names are case-insensitive)
    )
        .prop_map(|(prefix, tls, ip, max_keys, dapa, upper)| {
            let mut c = Map::new();
            let pairs = [
                ("s3:prefix", prefix),
                ("aws:SecureTransport", tls),
                ("aws:SourceIp", ip),
                ("s3:max-keys", max_keys),
                ("s3:DataAccessPointAccount", dapa),
            ];
            for (k, v) in pairs {
                if let Some(v) = v {
                    let k = if upper {
                        k.to_uppercase()
                    } else {
                        k.to_owned()
                    };
                    c.insert(k, json!(v));
                }
            }
            Value::Object(c)
        })
}

/// Scenarios in the reference's subset; `mixed` lets one list mix `${…}` and plain entries.
fn scenario_strategy(mixed: bool) -> impl Strategy<Value = Value> {
    (
        0..CALLERS.len(),
        pick(&["s3:GetObject", "s3:ListBucket", "s3:PutObject"]),
        pick(KEYS),
        prop::bool::weighted(0.35), // through the access point?
    )
        .prop_flat_map(move |(caller, action, key, via_ap)| {
            let bias = Bias::new(caller, action, key, via_ap, mixed);
            (
                Just(caller),
                Just(action),
                Just(key),
                Just(via_ap),
                context_strategy(),
                prop_oneof![
                    1 => prop::collection::vec(policy_strategy(Kind::Identity, &bias), 0..=0),
                    3 => prop::collection::vec(policy_strategy(Kind::Identity, &bias), 1..=1),
                    1 => prop::collection::vec(policy_strategy(Kind::Identity, &bias), 2..=2),
                ],
                prop::option::weighted(0.8, policy_strategy(Kind::Bucket, &bias)),
                prop::option::weighted(0.8, policy_strategy(Kind::AccessPoint, &bias)),
                prop::bool::weighted(0.5), // bucket policy delegates to the owner's access points
            )
        })
        .prop_map(
            |(caller, action, key, via_ap, context, identity, bucket, ap_policy, delegate)| {
                let (arn, userid, _) = CALLERS[caller];
                let principal = match arn {
                    Some(arn) => json!({"arn": arn, "userid": userid}),
                    None => json!({"anonymous": true}),
                };
                let mut request = Map::new();
                request.insert("principal".into(), principal);
                request.insert("action".into(), json!(action));
                request.insert("bucket".into(), json!({"name": BUCKET, "account": OWNER}));
                if action != "s3:ListBucket" {
                    request.insert("key".into(), json!(key));
                }
                if via_ap {
                    request.insert(
                        "access_point".into(),
                        json!({"name": "ap1", "account": OWNER, "region": "us-east-1"}),
                    );
                }
                request.insert("context".into(), context);

                // Roots and anonymous callers have no identity policies of their own.
                let has_identity = arn.is_some_and(|a| !a.ends_with(":root"));
                let identity = if has_identity { identity } else { Vec::new() };
                let mut bucket = bucket;
                if via_ap && delegate {
                    let delegation = json!({
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "*",
                        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": OWNER}},
                    });
                    let mut p = bucket.unwrap_or_else(|| json!({"Version": "2012-10-17"}));
                    let statements = match p.get("Statement") {
                        Some(Value::Array(list)) => list.clone(),
                        Some(one) => vec![one.clone()],
                        None => Vec::new(),
                    };
                    let mut statements = statements;
                    statements.push(delegation);
                    p["Statement"] = Value::Array(statements);
                    bucket = Some(p);
                }
                let ap_policy = if via_ap { ap_policy } else { None };
                json!({
                    "request": Value::Object(request),
                    "policies": {
                        "identity": identity,
                        "bucket": bucket,
                        "access_point": ap_policy,
                    },
                })
            },
        )
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn differential_reference_agrees_with_policy_eval(scenario in scenario_strategy(false)) {
        let pretty = serde_json::to_string_pretty(&scenario).unwrap_or_default();
        let parsed = policy_eval::scenario::Scenario::from_value(scenario.clone());
        let parsed = match parsed {
            Ok(s) => s,
            Err(e) => {
                return Err(TestCaseError::fail(format!(
                    "policy-eval rejected a generated scenario: {e}\n{pretty}"
                )));
            }
        };
        let explanation = parsed.explain();
        let expected = reference::decide(&scenario);
        let actual = explanation.decision.to_string();
        prop_assert_eq!(
            expected,
            actual.as_str(),
            "reference (left) and policy-eval (right) disagree on\n{}\npolicy-eval says:\n{}",
            pretty,
            explanation.to_text()
        );
    }
}

/// Reverses every list inside the policies: statements, policies, actions, resources, principals
/// and condition values are all sets, so the decision must not change.
fn reverse_lists(v: &mut Value) {
    match v {
        Value::Array(items) => {
            items.reverse();
            items.iter_mut().for_each(reverse_lists);
        }
        Value::Object(map) => map.values_mut().for_each(reverse_lists),
        _ => {}
    }
}

fn policy_eval_decision(scenario: &Value) -> Result<String, TestCaseError> {
    match policy_eval::scenario::Scenario::from_value(scenario.clone()) {
        Ok(s) => Ok(s.explain().decision.to_string()),
        Err(e) => Err(TestCaseError::fail(format!(
            "policy-eval rejected a generated scenario: {e}\n{}",
            serde_json::to_string_pretty(scenario).unwrap_or_default()
        ))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases() / 4,
        failure_persistence: None,
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    })]

    /// Order independence, with lists that mix `${…}` entries and plain ones: whichever way AWS's
    /// open question is settled, a list is a set and its order cannot matter.
    #[test]
    fn differential_decision_ignores_list_order(scenario in scenario_strategy(true)) {
        let mut reversed = scenario.clone();
        reverse_lists(&mut reversed["policies"]);
        let forward = policy_eval_decision(&scenario)?;
        let backward = policy_eval_decision(&reversed)?;
        prop_assert_eq!(
            &forward,
            &backward,
            "policy-eval decides these two orderings differently:\n{}\n--- reversed ---\n{}",
            serde_json::to_string_pretty(&scenario).unwrap_or_default(),
            serde_json::to_string_pretty(&reversed).unwrap_or_default()
        );
    }
}

/// The generator must keep producing every decision, including the rarer allows (cross-account,
/// through the access point, anonymous): an oracle that only ever compares ImplicitDeny proves
/// nothing.
#[test]
fn differential_generator_reaches_every_decision() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = scenario_strategy(false);
    let (mut total, mut allow, mut explicit, mut implicit) = (0u32, 0u32, 0u32, 0u32);
    let (mut via_ap, mut cross_account, mut anonymous) = (0u32, 0u32, 0u32);
    for _ in 0..2000 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let scenario = tree.current();
        total += 1;
        match reference::decide(&scenario) {
            "Allow" => {
                allow += 1;
                let request = &scenario["request"];
                via_ap += u32::from(request.get("access_point").is_some());
                match request["principal"]["arn"].as_str() {
                    None => anonymous += 1,
                    Some(arn) => cross_account += u32::from(!arn.contains(OWNER)),
                }
            }
            "ExplicitDeny" => explicit += 1,
            _ => implicit += 1,
        }
    }
    let share = |n: u32| f64::from(n) / f64::from(total.max(1));
    let report = format!(
        "{total} scenarios: {allow} Allow ({via_ap} through the access point, {cross_account} \
         cross-account, {anonymous} anonymous), {explicit} ExplicitDeny, {implicit} ImplicitDeny"
    );
    assert!(share(allow) > 0.1, "{report}");
    assert!(share(explicit) > 0.1, "{report}");
    assert!(share(implicit) > 0.1, "{report}");
    assert!(share(via_ap) > 0.02, "{report}");
    assert!(share(cross_account) > 0.01, "{report}");
    assert!(anonymous > 0, "{report}");
}
