//! The UAB LTS guide's example policies (docs.rc.uab.edu, "LTS Identity and Access Management":
//! Example Policies) against role tables (issue 12): each comes out of a table with the guide's
//! decisions on a grid of principals × actions × keys, decided by policy-eval, except the
//! whole-bucket listing the guide itself warns about; importing each gives back its table.

use policy_eval::{
    BucketRef, ContextValue, Decision, Policy, PolicyKind, PolicySet, Principal, Request,
};
use s3keeper::shares::{self, Dialect, Member, Role};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The guide's examples (docs.rc.uab.edu, "LTS Identity and Access Management": Example Policies),
// as the guide writes them.

fn guide_statement(sid: &str, who: &[&str], actions: &[&str], resources: &[&str]) -> Value {
    let who: Vec<String> = who
        .iter()
        .map(|w| format!("arn:aws:iam:::user/{w}"))
        .collect();
    json!({"Sid": sid, "Effect": "Allow", "Principal": {"AWS": who}, "Action": actions, "Resource": resources})
}

fn guide_policy(statements: Vec<Value>) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

const BOTH: &[&str] = &["bob", "jane@uab.edu"];

fn list_bucket() -> Value {
    guide_statement(
        "list-bucket",
        BOTH,
        &["s3:ListBucket"],
        &["arn:aws:s3:::bucket1"],
    )
}

struct Example {
    name: &'static str,
    guide: String,
    table: Vec<(&'static str, Role, &'static str)>,
    /// Whether the guide lists the whole bucket to members who read only a folder (its own
    /// warning): the table lists only the folder, and import keeps the guide's listing verbatim.
    wider_listing: bool,
}

fn examples() -> Vec<Example> {
    let objects = |sid: &str, actions: &[&str], resource: &str| {
        guide_statement(sid, BOTH, actions, &[resource])
    };
    vec![
        Example {
            name: "read-only for all files",
            guide: guide_policy(vec![
                list_bucket(),
                objects("read-only", &["s3:GetObject"], "arn:aws:s3:::bucket1/*"),
            ]),
            table: vec![
                ("bob", Role::Reader, ""),
                ("jane@uab.edu", Role::Reader, ""),
            ],
            wider_listing: false,
        },
        Example {
            name: "read-write",
            guide: guide_policy(vec![
                list_bucket(),
                objects(
                    "read-write",
                    &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "arn:aws:s3:::bucket1/*",
                ),
            ]),
            table: vec![
                ("bob", Role::Manager, ""),
                ("jane@uab.edu", Role::Manager, ""),
            ],
            wider_listing: false,
        },
        Example {
            name: "a folder",
            guide: guide_policy(vec![
                list_bucket(),
                objects(
                    "read-only",
                    &["s3:GetObject"],
                    "arn:aws:s3:::bucket1/test_folder/*",
                ),
            ]),
            table: vec![
                ("bob", Role::Reader, "test_folder/"),
                ("jane@uab.edu", Role::Reader, "test_folder/"),
            ],
            wider_listing: true,
        },
        Example {
            name: "JPGs in a folder",
            guide: guide_policy(vec![
                list_bucket(),
                objects(
                    "read-only",
                    &["s3:GetObject"],
                    "arn:aws:s3:::bucket1/test_folder/*jpg",
                ),
            ]),
            table: vec![
                ("bob", Role::Reader, "test_folder/*jpg"),
                ("jane@uab.edu", Role::Reader, "test_folder/*jpg"),
            ],
            wider_listing: true,
        },
        Example {
            name: "tiered permissions",
            guide: guide_policy(vec![
                list_bucket(),
                guide_statement(
                    "change-policy",
                    &["jane@uab.edu"],
                    &["s3:GetBucketPolicy", "s3:PutBucketPolicy"],
                    &["arn:aws:s3:::bucket1"],
                ),
                objects(
                    "read-write",
                    &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "arn:aws:s3:::bucket1/*",
                ),
            ]),
            table: vec![
                ("bob", Role::Manager, ""),
                ("jane@uab.edu", Role::Steward, ""),
            ],
            wider_listing: false,
        },
    ]
}

fn members(table: &[(&str, Role, &str)]) -> Vec<Member> {
    table
        .iter()
        .map(|(user, role, prefix)| {
            let mut m = shares::principal_for(user, Dialect::Ceph)
                .unwrap_or_else(|e| panic!("{user}: {e}"));
            m.role = *role;
            m.prefix = (*prefix).to_owned();
            m
        })
        .collect()
}

/// An RGW user of the default tenant, as fake-s3's Ceph dialect presents it to policy-eval.
fn rgw_user(name: &str) -> Principal {
    let mut p = Principal::from_arn(
        &format!("arn:aws:iam::{}:user/{name}", shares::CEPH_HOME_TENANT),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    p.aliases.push(format!("arn:aws:iam:::user/{name}"));
    p
}

/// Who, which action, and the key (objects) or listing prefix (`s3:ListBucket`).
type GridRequest = (String, &'static str, Option<&'static str>);

/// The decision on every request of the grid.
fn decisions(policy: &str) -> Vec<(GridRequest, Decision)> {
    let policy =
        Policy::parse(policy, PolicyKind::Bucket).unwrap_or_else(|e| panic!("{e}: {policy}"));
    let keys = [
        "a.txt",
        "test_folder/x.jpg",
        "test_folder/x.txt",
        "other/y.jpg",
    ];
    let prefixes = [None, Some(""), Some("test_folder/"), Some("other/")];
    let mut out = Vec::new();
    for who in ["bob", "jane@uab.edu", "mallory", "Bob", "jane"] {
        let principal = rgw_user(who);
        let request = |action: &str, key: Option<&str>| {
            Request::new(
                principal.clone(),
                action,
                BucketRef {
                    name: "bucket1".into(),
                    account: shares::CEPH_HOME_TENANT.into(),
                },
                key.map(str::to_owned),
                None,
            )
        };
        let decide = |r: &Request| {
            let set = PolicySet {
                bucket: Some(&policy),
                ..PolicySet::default()
            };
            policy_eval::evaluate(r, &set).decision
        };
        for prefix in prefixes {
            let mut r = request("s3:ListBucket", None);
            if let Some(p) = prefix {
                r.insert("s3:prefix", ContextValue::Single(p.to_owned()));
            }
            out.push(((who.to_owned(), "s3:ListBucket", prefix), decide(&r)));
        }
        for action in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
            for key in keys {
                out.push((
                    (who.to_owned(), action, Some(key)),
                    decide(&request(action, Some(key))),
                ));
            }
        }
        for action in ["s3:GetBucketPolicy", "s3:PutBucketPolicy"] {
            out.push((
                (who.to_owned(), action, None),
                decide(&request(action, None)),
            ));
        }
    }
    out
}

#[test]
fn the_guides_examples_come_out_of_role_tables_with_the_guides_decisions() {
    for ex in examples() {
        let table = members(&ex.table);
        let rendered = shares::render_text("bucket1", &table, &[])
            .unwrap_or_else(|| panic!("{}: empty", ex.name));
        let ours = decisions(&rendered);
        let guide = decisions(&ex.guide);
        let differences: Vec<_> = ours
            .iter()
            .zip(&guide)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, b)| (a.0.clone(), a.1, b.1))
            .collect();
        if ex.wider_listing {
            // The one deliberate difference: listing outside the folder, which the guide's
            // whole-bucket `list-bucket` allows and the table does not.
            assert!(
                !differences.is_empty(),
                "{}: the listing should be narrower",
                ex.name
            );
            for ((who, action, prefix), mine, theirs) in &differences {
                assert_eq!(
                    *action, "s3:ListBucket",
                    "{}: {who} {action} {prefix:?}",
                    ex.name
                );
                assert!(
                    *mine != Decision::Allow && *theirs == Decision::Allow,
                    "{}: {who} lists {prefix:?}: ours {mine:?}, guide {theirs:?}",
                    ex.name
                );
                assert_ne!(
                    *prefix,
                    Some("test_folder/"),
                    "{}: the folder itself must list",
                    ex.name
                );
            }
        } else {
            assert!(
                differences.is_empty(),
                "{}: {differences:?}\n{rendered}",
                ex.name
            );
        }
        // Somebody is allowed something, and mallory nothing: the grid decides.
        assert!(
            ours.iter().any(|(_, d)| *d == Decision::Allow),
            "{}",
            ex.name
        );
        assert!(
            ours.iter()
                .filter(|(k, _)| k.0 == "mallory" || k.0 == "Bob" || k.0 == "jane")
                .all(|(_, d)| *d != Decision::Allow),
            "{}: user names are exact and case-sensitive",
            ex.name
        );
        let lint = policy_eval::lint::lint(
            &Policy::parse(&rendered, PolicyKind::Bucket).unwrap_or_else(|e| panic!("{e}")),
        );
        assert!(lint.is_empty(), "{}: {lint:?}", ex.name);
    }
}

#[test]
fn importing_the_guides_examples_gives_back_their_tables() {
    for ex in examples() {
        let imported = shares::import("bucket1", &ex.guide, Dialect::Ceph)
            .unwrap_or_else(|e| panic!("{}: {e}", ex.name));
        let mut got: Vec<(String, Role, String)> = imported
            .members
            .iter()
            .map(|m| (m.user.clone(), m.role, m.prefix.clone()))
            .collect();
        got.sort();
        let mut want: Vec<(String, Role, String)> = ex
            .table
            .iter()
            .map(|(u, r, p)| ((*u).to_owned(), *r, (*p).to_owned()))
            .collect();
        want.sort();
        assert_eq!(got, want, "{}", ex.name);
        if ex.wider_listing {
            assert_eq!(imported.kept, vec![list_bucket()], "{}", ex.name);
        } else {
            assert!(imported.kept.is_empty(), "{}: {:?}", ex.name, imported.kept);
        }
        // With what it kept, the import decides exactly as the guide's policy on the grid.
        let back =
            shares::render_text("bucket1", &imported.members, &imported.kept).unwrap_or_default();
        assert_eq!(decisions(&back), decisions(&ex.guide), "{}", ex.name);
    }
}
