//! A role table as the bucket policy a careful steward would write by hand: listing statements
//! first (`list-bucket` for the whole bucket, `list-PREFIX` limited by `s3:prefix`), then one
//! statement per role and prefix naming all its principals (`read`, `read-write`,
//! `read-write-delete`, suffixed with the prefix), then `change-policy` for stewards, then the
//! statements kept verbatim from an import. Principals, prefixes and statements come out in a
//! fixed order, so the same table always gives the same text.
//!
//! The whole-bucket `list-bucket` statement names only members who read the whole bucket, so the
//! rendering never shows key names to someone whose reads are limited to a folder (the guide's
//! warning; lint S3K001).
//!
//! After the roles come the table's `Deny` statements. Members who upload (writers, managers,
//! stewards) may not set object ACLs: an uploader owns what they upload (RGW always,
//! <https://docs.ceph.com/en/latest/radosgw/bucketpolicy/>; AWS while ACLs are enabled,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>), so an
//! ACL they set (`public-read`) would outlive their role. `PutObjectAcl`/`PutObjectVersionAcl`
//! are denied, and so is an upload whose `x-amz-acl` is a canned ACL other than `private` and
//! `bucket-owner-full-control` or that carries any `x-amz-grant-*` header (the `s3:x-amz-acl`
//! and `s3:x-amz-grant-*` condition keys of `PutObject`; one statement per grant key, because a
//! statement's conditions must all hold). The conditions are written so AWS and Ceph RGW read
//! them alike: `StringEquals` on the ACLs that are refused (a missing key matches nothing on
//! both), and `StringLike "*"` for "the header is there". `Null` is not used: RGW 16.2 reads
//! `{"Null": {KEY: "false"}}` as "KEY is absent" whatever the value, which would refuse every
//! plain upload and let through the ones carrying a grant (measured on real RGW; docs/shares.md).
//! Former members (Ceph) are denied everything on the bucket and its objects.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{json, Map, Value};

use super::roles::{
    bucket_arn, list_scope, object_pattern, FormerMember, Member, Role, ACL_ACTIONS, GRANT_KEYS,
    LIST_BUCKET, POLICY_ACTIONS, PUT_OBJECT, SHARING_ACLS, UPLOAD_ACLS,
};

/// The policy for `members` plus `kept`, or `None` when there is nothing to grant (S3 refuses a
/// policy without statements; the bucket's policy is deleted instead).
pub fn render(bucket: &str, members: &[Member], kept: &[Value]) -> Option<Value> {
    render_with(bucket, members, &[], kept)
}

/// The `Deny` statements every uploading member is named in, each as its Sid and its body
/// without Sid and Principal (import recognises them by that body).
pub(crate) fn upload_guards(bucket: &str) -> Vec<(String, Value)> {
    let objects = format!("{}/*", bucket_arn(bucket));
    let mut out = vec![
        (
            "no-acl".to_owned(),
            json!({"Effect": "Deny", "Action": ACL_ACTIONS, "Resource": [objects]}),
        ),
        (
            "no-acl-upload".to_owned(),
            json!({"Effect": "Deny", "Action": [PUT_OBJECT], "Resource": [objects],
                   "Condition": {"StringEquals": {"s3:x-amz-acl": SHARING_ACLS}}}),
        ),
    ];
    for key in GRANT_KEYS {
        let name = key.trim_start_matches("s3:x-amz-");
        out.push((
            format!("no-{name}"),
            json!({"Effect": "Deny", "Action": [PUT_OBJECT], "Resource": [objects],
                   "Condition": {"StringLike": {*key: "*"}}}),
        ));
    }
    out
}

/// The guards as s3keeper wrote them before 2026-12 (with `Null`, which RGW misreads), so that a
/// policy written then is still read as a table and rewritten with [`upload_guards`].
pub(crate) fn legacy_upload_guards(bucket: &str) -> Vec<Value> {
    let objects = format!("{}/*", bucket_arn(bucket));
    let mut out = vec![
        json!({"Effect": "Deny", "Action": [PUT_OBJECT], "Resource": [objects],
                              "Condition": {"StringNotEquals": {"s3:x-amz-acl": UPLOAD_ACLS},
                                            "Null": {"s3:x-amz-acl": "false"}}}),
    ];
    for key in GRANT_KEYS {
        out.push(
            json!({"Effect": "Deny", "Action": [PUT_OBJECT], "Resource": [objects],
                        "Condition": {"Null": {*key: "false"}}}),
        );
    }
    out
}

/// The `Deny` former members are named in (body without Sid and Principal).
pub(crate) fn former_guard(bucket: &str) -> Value {
    let arn = bucket_arn(bucket);
    json!({"Effect": "Deny", "Action": ["s3:*"], "Resource": [arn.clone(), format!("{arn}/*")]})
}

/// [`render`], with the `Deny` that keeps former members out.
pub fn render_with(
    bucket: &str,
    members: &[Member],
    former: &[FormerMember],
    kept: &[Value],
) -> Option<Value> {
    let arn = bucket_arn(bucket);
    let mut lists: BTreeMap<Option<String>, BTreeSet<&str>> = BTreeMap::new();
    let mut objects: BTreeMap<(Role, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut stewards: BTreeSet<&str> = BTreeSet::new();
    for m in members {
        // A steward's object access is a manager's on the whole bucket.
        let (role, prefix) = match m.role {
            Role::Steward => {
                stewards.insert(&m.principal);
                (Role::Manager, "")
            }
            r => (r, m.prefix.as_str()),
        };
        lists
            .entry(list_scope(prefix))
            .or_default()
            .insert(&m.principal);
        objects
            .entry((role, prefix))
            .or_default()
            .insert(&m.principal);
    }
    // Sids the kept statements use are not reused.
    let mut taken: HashSet<String> = kept
        .iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut sid = |base: String| -> String {
        let mut candidate = base.clone();
        let mut n = 2;
        while !taken.insert(candidate.clone()) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        candidate
    };
    let mut statements = Vec::new();
    for (scope, principals) in &lists {
        let (name, condition) = match scope {
            None => ("list-bucket".to_owned(), None),
            Some(p) => (
                format!("list-{}", slug(p)),
                Some(json!({"StringLike": {"s3:prefix": [p]}})),
            ),
        };
        statements.push(statement(
            sid(name),
            principals,
            &[LIST_BUCKET],
            vec![arn.clone()],
            condition,
        ));
    }
    for ((role, prefix), principals) in &objects {
        let base = match role {
            Role::Reader => "read",
            Role::Writer => "read-write",
            Role::Manager | Role::Steward => "read-write-delete",
        };
        let name = if prefix.is_empty() {
            base.to_owned()
        } else {
            format!("{base}-{}", slug(prefix))
        };
        statements.push(statement(
            sid(name),
            principals,
            role.object_actions(),
            vec![format!("{arn}/{}", object_pattern(prefix))],
            None,
        ));
    }
    if !stewards.is_empty() {
        statements.push(statement(
            sid("change-policy".to_owned()),
            &stewards,
            POLICY_ACTIONS,
            vec![arn.clone()],
            None,
        ));
    }
    let uploaders: BTreeSet<&str> = members
        .iter()
        .filter(|m| m.role.uploads())
        .map(|m| m.principal.as_str())
        .collect();
    if !uploaders.is_empty() {
        for (name, body) in upload_guards(bucket) {
            statements.push(named(sid(name), &uploaders, &body));
        }
    }
    let gone: BTreeSet<&str> = former.iter().map(|f| f.principal.as_str()).collect();
    if !gone.is_empty() {
        statements.push(named(
            sid("former-members".to_owned()),
            &gone,
            &former_guard(bucket),
        ));
    }
    statements.extend(kept.iter().cloned());
    if statements.is_empty() {
        return None;
    }
    Some(json!({"Version": "2012-10-17", "Statement": statements}))
}

/// [`render`] as the compact text that is sent to S3 (and measured against its 20 KB limit).
pub fn render_text(bucket: &str, members: &[Member], kept: &[Value]) -> Option<String> {
    render(bucket, members, kept).map(|v| v.to_string())
}

/// [`render_with`] as the compact text that is sent to S3.
pub fn render_text_with(
    bucket: &str,
    members: &[Member],
    former: &[FormerMember],
    kept: &[Value],
) -> Option<String> {
    render_with(bucket, members, former, kept).map(|v| v.to_string())
}

/// `body` (a statement without Sid and Principal) with `sid` and `principals`, keys in the order
/// the other statements have.
fn named(sid: String, principals: &BTreeSet<&str>, body: &Value) -> Value {
    let mut s = Map::new();
    s.insert("Sid".into(), Value::String(sid));
    if let Some(effect) = body.get("Effect") {
        s.insert("Effect".into(), effect.clone());
    }
    s.insert("Principal".into(), json!({ "AWS": principals }));
    if let Some(fields) = body.as_object() {
        for (k, v) in fields.iter().filter(|(k, _)| *k != "Effect") {
            s.insert(k.clone(), v.clone());
        }
    }
    Value::Object(s)
}

fn statement(
    sid: String,
    principals: &BTreeSet<&str>,
    actions: &[&str],
    resources: Vec<String>,
    condition: Option<Value>,
) -> Value {
    let mut s = Map::new();
    s.insert("Sid".into(), Value::String(sid));
    s.insert("Effect".into(), json!("Allow"));
    s.insert("Principal".into(), json!({ "AWS": principals }));
    s.insert("Action".into(), json!(actions));
    s.insert("Resource".into(), json!(resources));
    if let Some(c) = condition {
        s.insert("Condition".into(), c);
    }
    Value::Object(s)
}

/// A prefix as readable Sid text: letters and digits, other runs as one `-`.
fn slug(prefix: &str) -> String {
    let mut out = String::new();
    for c in prefix.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "prefix".to_owned()
    } else {
        out.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{principal_for, Dialect};
    use super::*;
    use policy_eval::{lint::lint, Policy, PolicyKind};

    fn m(user: &str, role: Role, prefix: &str) -> Member {
        let Ok(mut m) = principal_for(user, Dialect::Ceph) else {
            panic!("{user}")
        };
        m.role = role;
        m.prefix = prefix.to_owned();
        m
    }

    #[test]
    fn the_guides_tiered_example_comes_out_as_the_guide_writes_it() {
        let table = [
            m("bob", Role::Manager, ""),
            m("jane@uab.edu", Role::Steward, ""),
        ];
        let Some(policy) = render("bucket1", &table, &[]) else {
            panic!("empty")
        };
        let sids: Vec<&str> = policy["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(
            sids[..3],
            ["list-bucket", "read-write-delete", "change-policy"]
        );
        // Then the Denies that keep uploaders from setting ACLs (issue 18), naming both.
        let guards: Vec<String> = upload_guards("bucket1").into_iter().map(|g| g.0).collect();
        assert_eq!(sids[3..], guards);
        assert!(policy["Statement"][3]["Principal"]["AWS"]
            .as_array()
            .is_some_and(|p| p.len() == 2));
        assert_eq!(
            policy["Statement"][0]["Principal"]["AWS"],
            json!(["arn:aws:iam:::user/bob", "arn:aws:iam:::user/jane@uab.edu"])
        );
        assert_eq!(
            policy["Statement"][2]["Principal"]["AWS"],
            json!(["arn:aws:iam:::user/jane@uab.edu"])
        );
    }

    #[test]
    fn renderings_are_valid_lint_clean_and_stable() {
        let table = vec![
            m("bob", Role::Reader, "test_folder/"),
            m("carol", Role::Reader, "test_folder/*jpg"),
            m("dave", Role::Writer, "incoming/"),
            m("erin", Role::Manager, ""),
            m("uab$frank", Role::Steward, ""),
            m("gus", Role::Reader, ""),
        ];
        let Some(text) = render_text("lab", &table, &[]) else {
            panic!("empty")
        };
        let policy = match Policy::parse(&text, PolicyKind::Bucket) {
            Ok(p) => p,
            Err(e) => panic!("{e}: {text}"),
        };
        assert_eq!(lint(&policy), vec![], "{text}");
        let mut reversed = table.clone();
        reversed.reverse();
        assert_eq!(render_text("lab", &reversed, &[]), Some(text));
    }

    #[test]
    fn kept_statements_keep_their_sids_and_ours_step_aside() {
        let kept = vec![
            json!({"Sid": "list-bucket", "Effect": "Deny", "Principal": "*",
            "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::lab/*"}),
        ];
        let Some(policy) = render("lab", &[m("bob", Role::Reader, "")], &kept) else {
            panic!("empty")
        };
        assert_eq!(policy["Statement"][0]["Sid"], "list-bucket-2");
        assert_eq!(policy["Statement"][2], kept[0]);
        assert_eq!(render("lab", &[], &[]), None);
    }
}
