//! Who can do what under a bucket's live policy, decided by policy-eval as S3 decides it
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html>).
//!
//! For the owner and every principal the policy names, five abilities are decided: list
//! (`s3:ListBucket`), read (`s3:GetObject`), write (`s3:PutObject`), delete (`s3:DeleteObject`)
//! and change-policy (`s3:PutBucketPolicy`). Each is tried on the whole bucket (a key no pattern
//! in the policy singles out) and under every key pattern and listing prefix the policy names, so
//! a hand edit shows as it acts. The owner holds everything by ownership (the guide: "the bucket
//! owner will always retain the ability to perform all actions"), so it is decided with an
//! identity policy allowing all, which only an explicit Deny in the bucket policy can narrow.
//! A principal of another account (or RGW tenant) also needs its own account's permission; it is
//! decided as if that were given and marked `needs_own_allow`.
//!
//! A policy that denies the owner, or the principal s3keeper runs as (decided like the owner:
//! its own account's policies are assumed to allow), any of list, read, write or change-policy
//! is a lock-out, listed in `lockouts` (issue 18: a steward's `Deny` can shut both out; on AWS
//! the account's root user can always delete the policy).

use std::collections::BTreeSet;

use policy_eval::{
    lint::{lint, Finding},
    BucketRef, ContextValue, Decision, Policy, PolicyKind, PolicySet, Principal, Request,
};
use serde::Serialize;
use serde_json::Value;

use super::roles::{label_for, Dialect, LIST_BUCKET, PUT_BUCKET_POLICY};
use crate::error::KeeperError;

/// The account the Ceph dialect's default tenant is decided in (RGW users named
/// `arn:aws:iam:::user/NAME` share it with the bucket owner).
pub const CEPH_HOME_TENANT: &str = "000000000000";

/// Where one ability reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Access {
    /// Everywhere in the bucket (except under `except`).
    pub everywhere: bool,
    /// Key patterns (`data/*`) where it is allowed, when not everywhere.
    pub under: Vec<String>,
    /// Key patterns where it is refused although allowed everywhere else.
    pub except: Vec<String>,
}

impl Access {
    pub fn none(&self) -> bool {
        !self.everywhere && self.under.is_empty()
    }

    /// `all`, `all but x/*`, `a/*, b/*` or `-`.
    pub fn summary(&self) -> String {
        if self.everywhere {
            if self.except.is_empty() {
                "all".to_owned()
            } else {
                format!("all but {}", self.except.join(", "))
            }
        } else if self.under.is_empty() {
            "-".to_owned()
        } else {
            self.under.join(", ")
        }
    }
}

/// One principal's abilities.
#[derive(Debug, Clone, Serialize)]
pub struct PrincipalReport {
    pub principal: String,
    pub user: String,
    pub owner: bool,
    /// Of another account or tenant: its own account must allow it too.
    pub needs_own_allow: bool,
    /// A statement naming it has conditions on the request (source address, TLS, …) that the
    /// report does not decide: what it shows holds for a request meeting none of them.
    pub conditional: bool,
    pub list: Access,
    pub read: Access,
    pub write: Access,
    pub delete: Access,
    pub change_policy: bool,
}

/// The owner or s3keeper denied, by the policy, something it needs to keep the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lockout {
    /// `owner` or `s3keeper`.
    pub who: &'static str,
    pub principal: String,
    /// What is denied: `list`, `read`, `write` (each whole, or `under`/`except under` patterns)
    /// and `change-policy`.
    pub denied: Vec<String>,
}

/// The report for one bucket.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub bucket: String,
    pub has_policy: bool,
    pub principals: Vec<PrincipalReport>,
    pub findings: Vec<Finding>,
    /// The owner or s3keeper locked out of the bucket by the policy.
    pub lockouts: Vec<Lockout>,
    /// Ceph dialect: objects other users uploaded that the bucket owner cannot read (RGW gives
    /// the owner no access to another user's object unless its ACL does, as after an upload
    /// with `x-amz-acl: bucket-owner-full-control`), found by HeadObject with the owner's key.
    pub unreadable_by_owner: Vec<String>,
    /// More objects belong to other users than were checked.
    pub unreadable_truncated: bool,
    /// Whether the objects were checked at all (Ceph dialect, with a key that may list the bucket).
    pub owner_reads_checked: bool,
}

/// What `p` is denied of list, read, write and change-policy (see [`Lockout::denied`]).
fn denied_abilities(p: &PrincipalReport) -> Vec<String> {
    let mut out = Vec::new();
    for (name, a) in [("list", &p.list), ("read", &p.read), ("write", &p.write)] {
        if a.everywhere && a.except.is_empty() {
            continue;
        }
        out.push(if a.everywhere {
            format!("{name} under {}", a.except.join(", "))
        } else if a.under.is_empty() {
            name.to_owned()
        } else {
            format!("{name} except under {}", a.under.join(", "))
        });
    }
    if !p.change_policy {
        out.push("change-policy".to_owned());
    }
    out
}

/// Whether `policy` explicitly denies `action` on the bucket to its owner or to `service` (the
/// principal s3keeper runs as), each decided with its own account allowing everything.
pub fn denies(
    bucket: &str,
    owner: &str,
    policy: &str,
    dialect: Dialect,
    service: Option<&str>,
    action: &str,
) -> Result<bool, KeeperError> {
    let parsed = Policy::parse(policy, PolicyKind::Bucket).map_err(|e| {
        KeeperError::Invalid(format!("the live policy of {bucket} cannot be read: {e}"))
    })?;
    let home = home_of(owner, dialect);
    let mut who = vec![owner_principal(owner, &home, dialect)?.0];
    if let Some(s) = service {
        who.push(principal(s, &home)?.0);
    }
    let allow_all = allow_all()?;
    Ok(who
        .iter()
        .any(|p| explicitly_denied(p, action, bucket, &home, &parsed, &allow_all)))
}

/// Whether `parsed` (a bucket policy) explicitly denies `who` `action` on the bucket when `who`'s
/// own account allows everything.
fn explicitly_denied(
    who: &Principal,
    action: &str,
    bucket: &str,
    home: &str,
    parsed: &Policy,
    allow_all: &Policy,
) -> bool {
    let req = Request::new(
        who.clone(),
        action,
        BucketRef {
            name: bucket.to_owned(),
            account: home.to_owned(),
        },
        None,
        None,
    );
    let set = PolicySet {
        boundary: None,
        identity: std::slice::from_ref(allow_all),
        session: &[],
        bucket: Some(parsed),
        access_point: None,
    };
    policy_eval::evaluate(&req, &set).decision == Decision::ExplicitDeny
}

/// Whether `policy` explicitly denies `action` on the bucket to any principal a `Deny` statement
/// names (`*` included), each decided with its own account allowing everything: in the Ceph
/// dialect s3keeper holds the owner's key pair but cannot ask who that is without STS, and RGW
/// refuses a bucket's owner only by such a `Deny`.
pub fn denies_someone(
    bucket: &str,
    policy: &str,
    dialect: Dialect,
    action: &str,
) -> Result<bool, KeeperError> {
    let doc: Value = serde_json::from_str(policy).unwrap_or(Value::Null);
    let mut named = Vec::new();
    for st in statements(&doc) {
        if st.get("Effect").and_then(Value::as_str) != Some("Deny") {
            continue;
        }
        match st.get("Principal") {
            Some(Value::String(s)) if s == "*" => named.push("*".to_owned()),
            Some(Value::Object(m)) => named.extend(values(m.get("AWS"))),
            _ => {}
        }
    }
    let home = home_of("", dialect);
    let parsed = Policy::parse(policy, PolicyKind::Bucket).map_err(|e| {
        KeeperError::Invalid(format!("the live policy of {bucket} cannot be read: {e}"))
    })?;
    let allow_all = allow_all()?;
    for written in named {
        // `*` in a Deny reaches every signed-in caller too: decided as one of the home account.
        let who = if written == "*" {
            principal(&format!("arn:aws:iam::{home}:user/s3keeper"), &home)?.0
        } else {
            principal(&written, &home)?.0
        };
        if explicitly_denied(&who, action, bucket, &home, &parsed, &allow_all) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn allow_all() -> Result<Policy, KeeperError> {
    Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        PolicyKind::Identity,
    )
    .map_err(|e| KeeperError::Invalid(e.to_string()))
}

/// The account requests are decided in: the owner's (RGW: the owner's tenant, or the default
/// tenant, where `arn:aws:iam:::user/NAME` users live).
fn home_of(owner: &str, dialect: Dialect) -> String {
    match (dialect, owner.split_once('$')) {
        (Dialect::Aws, _) => owner.to_owned(),
        (Dialect::Ceph, Some((tenant, _))) => tenant.to_owned(),
        (Dialect::Ceph, None) => CEPH_HOME_TENANT.to_owned(),
    }
}

fn owner_principal(
    owner: &str,
    home: &str,
    dialect: Dialect,
) -> Result<(Principal, String), KeeperError> {
    match dialect {
        Dialect::Aws => principal(&format!("arn:aws:iam::{owner}:root"), home),
        Dialect::Ceph => match owner.split_once('$') {
            // RGW names a tenant's user `TENANT$NAME`.
            Some((tenant, name)) => principal(&format!("arn:aws:iam::{tenant}:user/{name}"), home),
            None => principal(&format!("arn:aws:iam:::user/{owner}"), home),
        },
    }
}

/// Decides the report for `bucket` owned by `owner` (an account id on AWS, an RGW user id on
/// Ceph) under `policy` (`None`: the bucket has none).
pub fn report(
    bucket: &str,
    owner: &str,
    policy: Option<&str>,
    dialect: Dialect,
) -> Result<Report, KeeperError> {
    report_with(bucket, owner, policy, dialect, None)
}

/// [`report`], also deciding whether the policy locks out `service`, the principal s3keeper runs
/// as (when it is not the owner).
pub fn report_with(
    bucket: &str,
    owner: &str,
    policy: Option<&str>,
    dialect: Dialect,
    service: Option<&str>,
) -> Result<Report, KeeperError> {
    let parsed = match policy {
        Some(text) => Some(Policy::parse(text, PolicyKind::Bucket).map_err(|e| {
            KeeperError::Invalid(format!("the live policy of {bucket} cannot be read: {e}"))
        })?),
        None => None,
    };
    let doc: Value = policy
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null);
    let home = home_of(owner, dialect);
    let scopes = scopes(&doc, bucket);
    let outside = outside_key(&scopes);
    let conditional = conditioned_principals(&doc);
    // Listing is decided on the literal prefix, so `a/*` and `a/*jpg` are one listing scope.
    let mut list_scopes: Vec<(String, String)> = Vec::new();
    for (pattern, _) in &scopes {
        if let Some(scope) = super::roles::list_scope(pattern) {
            if !list_scopes.iter().any(|(p, _)| *p == scope) {
                let key = scope.replace(['*', '?'], PROBE);
                list_scopes.push((scope, key));
            }
        }
    }
    let allow_all = allow_all()?;
    let decide =
        |who: &Principal, identity: bool, action: &str, key: Option<&str>, prefix: Option<&str>| {
            let mut req = Request::new(
                who.clone(),
                action,
                BucketRef {
                    name: bucket.to_owned(),
                    account: home.clone(),
                },
                key.map(str::to_owned),
                None,
            );
            if let Some(p) = prefix {
                req.insert("s3:prefix", ContextValue::Single(p.to_owned()));
            }
            let ids = std::slice::from_ref(&allow_all);
            let set = PolicySet {
                boundary: None,
                identity: if identity { ids } else { &[] },
                session: &[],
                bucket: parsed.as_ref(),
                access_point: None,
            };
            policy_eval::evaluate(&req, &set).decision == Decision::Allow
        };
    let mut principals = Vec::new();
    let mut service_report = None;
    let owner_principal = owner_principal(owner, &home, dialect)?;
    let mut named: Vec<String> = named_principals(&doc).into_iter().collect();
    named.retain(|p| p != &owner_principal.1);
    let service = service.filter(|s| *s != owner_principal.1);
    let mut everyone = vec![(owner_principal, true)];
    for p in named {
        everyone.push((principal(&p, &home)?, false));
    }
    // s3keeper itself is decided like the owner (its own account allows it everything), for the
    // lock-out check only: it is not a row unless the policy names it.
    let mut service_row = None;
    if let Some(s) = service {
        everyone.push((principal(s, &home)?, true));
        service_row = Some(everyone.len() - 1);
    }
    for (i, ((who, written), is_owner)) in everyone.into_iter().enumerate() {
        let is_service = service_row == Some(i);
        let foreign = !is_owner && !who.account.is_empty() && who.account != home;
        let identity = is_owner || foreign;
        let object = |action: &str| {
            access(&scopes, |key| {
                decide(&who, identity, action, Some(key.unwrap_or(&outside)), None)
            })
        };
        // Everywhere: a listing without `s3:prefix`; a scope: its folder as the prefix.
        let list = access(&list_scopes, |key| {
            let prefix = key.map(|k| &k[..k.find(PROBE).unwrap_or(k.len())]);
            decide(&who, identity, LIST_BUCKET, None, prefix)
        });
        let row = PrincipalReport {
            user: if is_owner && !is_service {
                owner.to_owned()
            } else {
                label_for(&written, dialect)
            },
            conditional: conditional.iter().any(|c| c == "*" || *c == written),
            principal: written,
            owner: is_owner,
            needs_own_allow: foreign,
            list,
            read: object("s3:GetObject"),
            write: object("s3:PutObject"),
            delete: object("s3:DeleteObject"),
            change_policy: decide(&who, identity, PUT_BUCKET_POLICY, None, None),
        };
        if is_service {
            service_report = Some(row);
        } else {
            principals.push(row);
        }
    }
    let mut lockouts = Vec::new();
    let checked = principals
        .first()
        .map(|p| ("owner", p))
        .into_iter()
        .chain(service_report.as_ref().map(|p| ("s3keeper", p)));
    for (who, p) in checked {
        let denied = denied_abilities(p);
        if !denied.is_empty() {
            lockouts.push(Lockout {
                who,
                principal: p.principal.clone(),
                denied,
            });
        }
    }
    Ok(Report {
        bucket: bucket.to_owned(),
        has_policy: parsed.is_some(),
        principals,
        findings: parsed.as_ref().map(lint).unwrap_or_default(),
        lockouts,
        unreadable_by_owner: Vec::new(),
        unreadable_truncated: false,
        owner_reads_checked: false,
    })
}

/// Stands in for the part of a key a pattern's wildcard matches.
const PROBE: &str = "s3keeper-probe";

/// Where abilities are tried: the key patterns of the policy's object resources and its listing
/// prefixes, each with a probe key inside it.
fn scopes(doc: &Value, bucket: &str) -> Vec<(String, String)> {
    let mut out = BTreeSet::new();
    let objects = format!("arn:aws:s3:::{bucket}/");
    for st in statements(doc) {
        for r in values(st.get("Resource")) {
            if let Some(pattern) = r.strip_prefix(&objects) {
                if pattern != "*" {
                    out.insert(pattern.to_owned());
                }
            }
        }
        if let Some(Value::Object(ops)) = st.get("Condition") {
            for keys in ops.values() {
                let Some(keys) = keys.as_object() else {
                    continue;
                };
                for (k, v) in keys {
                    if k.eq_ignore_ascii_case("s3:prefix") {
                        for p in values(Some(v)) {
                            let p = if p.ends_with('*') { p } else { format!("{p}*") };
                            out.insert(p);
                        }
                    }
                }
            }
        }
    }
    // Each scope's key is the filling of its wildcards that the fewest other patterns match, so
    // that a Deny on `s*` does not read as a Deny on `*/*`.
    let globs: Vec<(String, policy_eval::pattern::Glob)> = out
        .iter()
        .map(|p| (p.clone(), policy_eval::pattern::Glob::new(p)))
        .collect();
    let fillers = [PROBE, "x", "~0~", "~1~", "9", "_"];
    out.into_iter()
        .map(|p| {
            let own = policy_eval::pattern::Glob::new(&p);
            let key = fillers
                .iter()
                .map(|f| p.replace('*', f).replace('?', "x"))
                .filter(|k| own.matches(k))
                .min_by_key(|k| {
                    globs
                        .iter()
                        .filter(|(q, g)| *q != p && g.matches(k))
                        .count()
                })
                .unwrap_or_else(|| p.replace(['*', '?'], PROBE));
            (p, key)
        })
        .collect()
}

/// A key none of the policy's patterns singles out, standing for "anywhere else in the bucket"
/// (a pattern such as `*/*` or `s*` must not decide the whole bucket).
fn outside_key(scopes: &[(String, String)]) -> String {
    let globs: Vec<policy_eval::pattern::Glob> = scopes
        .iter()
        .map(|(p, _)| policy_eval::pattern::Glob::new(p))
        .collect();
    (0..64)
        .map(|n| format!("~{n}~"))
        .find(|k| !globs.iter().any(|g| g.matches(k)))
        .unwrap_or_else(|| "~".to_owned())
}

/// Principals (`*` for statements naming everyone) of statements whose conditions use keys the
/// report does not supply (anything but `s3:prefix`): their abilities may depend on the request.
fn conditioned_principals(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for st in statements(doc) {
        let Some(Value::Object(ops)) = st.get("Condition") else {
            continue;
        };
        let other_keys = ops.values().any(|keys| {
            keys.as_object()
                .is_some_and(|k| k.keys().any(|k| !k.eq_ignore_ascii_case("s3:prefix")))
        });
        if !other_keys {
            continue;
        }
        match st.get("Principal") {
            Some(Value::String(s)) if s == "*" => out.push("*".to_owned()),
            Some(Value::Object(m)) => out.extend(values(m.get("AWS"))),
            _ => {}
        }
    }
    out
}

/// Decides an ability everywhere (`None`) and under each scope (its probe key).
fn access(scopes: &[(String, String)], allowed: impl Fn(Option<&str>) -> bool) -> Access {
    let everywhere = allowed(None);
    let mut a = Access {
        everywhere,
        ..Access::default()
    };
    for (pattern, key) in scopes {
        match (everywhere, allowed(Some(key))) {
            (true, false) => a.except.push(pattern.clone()),
            (false, true) => a.under.push(pattern.clone()),
            _ => {}
        }
    }
    a
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

fn values(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Every `AWS` principal the policy names, `*` included, in first-seen order.
fn named_principals(doc: &Value) -> Vec<String> {
    let mut seen = Vec::new();
    for st in statements(doc) {
        let found = match st.get("Principal") {
            Some(Value::String(s)) if s == "*" => vec!["*".to_owned()],
            Some(Value::Object(m)) => values(m.get("AWS")),
            _ => Vec::new(),
        };
        for p in found {
            if !seen.contains(&p) {
                seen.push(p);
            }
        }
    }
    seen
}

/// A principal to decide for, and the text it was written as. RGW default-tenant users live in
/// `home`; account ids are their account's root; unique ids (what S3 shows for a deleted user)
/// and roles are decided as a user or a session of that account.
fn principal(written: &str, home: &str) -> Result<(Principal, String), KeeperError> {
    let bad = |e: policy_eval::principal::BadPrincipal| KeeperError::Invalid(e.to_string());
    if written == "*" {
        return Ok((Principal::anonymous(), written.to_owned()));
    }
    if policy_eval::arn::is_account_id(written) {
        let p = Principal::from_arn(&format!("arn:aws:iam::{written}:root"), None, None)
            .map_err(bad)?;
        return Ok((p, written.to_owned()));
    }
    let Some(arn) = policy_eval::arn::Arn::parse(written) else {
        // A unique id: a user of the home account known only by it.
        let p = Principal::from_arn(
            &format!("arn:aws:iam::{home}:user/{written}"),
            Some(written),
            None,
        )
        .map_err(bad)?;
        return Ok((p, written.to_owned()));
    };
    let p = if arn.account.is_empty() {
        let name = arn.resource.strip_prefix("user/").unwrap_or(arn.resource);
        let mut p = Principal::from_arn(&format!("arn:aws:iam::{home}:user/{name}"), None, None)
            .map_err(bad)?;
        p.aliases.push(written.to_owned());
        p
    } else if let Some(role) = arn.resource.strip_prefix("role/") {
        let name = role.rsplit('/').next().unwrap_or(role);
        Principal::from_arn(
            &format!(
                "arn:aws:sts::{}:assumed-role/{name}/s3keeper-report",
                arn.account
            ),
            None,
            Some(written),
        )
        .map_err(bad)?
    } else {
        Principal::from_arn(written, None, None).map_err(bad)?
    };
    Ok((p, written.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE_FOLDER: &str = r#"{"Version":"2012-10-17","Statement":[
      {"Sid":"list-bucket","Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/bob","arn:aws:iam:::user/jane@uab.edu"]},
       "Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::bucket1"]},
      {"Sid":"read-only","Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/bob","arn:aws:iam:::user/jane@uab.edu"]},
       "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::bucket1/test_folder/*jpg"]},
      {"Sid":"no-deletes","Effect":"Deny","Principal":"*",
       "Action":["s3:DeleteObject"],"Resource":["arn:aws:s3:::bucket1/keep/*"]}]}"#;

    #[test]
    fn abilities_come_from_the_live_policy() {
        let Ok(r) = report("bucket1", "pi", Some(GUIDE_FOLDER), Dialect::Ceph) else {
            panic!("report")
        };
        let by = |u: &str| match r.principals.iter().find(|p| p.user == u) {
            Some(p) => p.clone(),
            None => panic!("{u} missing"),
        };
        let owner = by("pi");
        assert!(owner.owner && owner.change_policy && owner.read.everywhere);
        assert_eq!(owner.delete.except, vec!["keep/*".to_owned()]);
        let bob = by("bob");
        assert!(bob.list.everywhere, "{bob:?}");
        assert_eq!(bob.read.under, vec!["test_folder/*jpg".to_owned()]);
        assert!(bob.write.none() && bob.delete.none() && !bob.change_policy);
        let jane = by("jane@uab.edu");
        assert!(jane.list.everywhere && !jane.needs_own_allow);
        assert!(
            r.findings.iter().any(|f| f.code == "S3K001"),
            "{:?}",
            r.findings
        );
        let anyone = by("*");
        assert!(anyone.read.none());
    }

    #[test]
    fn the_whole_bucket_is_decided_on_a_key_no_pattern_names() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/bob"]},
           "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*/*"]},
          {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/carol"]},
           "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"],
           "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
          {"Effect":"Deny","Principal":"*","Action":["s3:DeleteObject"],"Resource":["arn:aws:s3:::b/s*"]}]}"#;
        let Ok(r) = report("b", "uab$pi", Some(policy), Dialect::Ceph) else {
            panic!("report")
        };
        let by = |u: &str| match r.principals.iter().find(|p| p.user == u) {
            Some(p) => p.clone(),
            None => panic!("{u} missing: {r:?}"),
        };
        let bob = by("bob");
        assert!(!bob.read.everywhere, "only keys in folders: {bob:?}");
        assert_eq!(bob.read.under, vec!["*/*".to_owned()]);
        let owner = by("uab$pi");
        assert_eq!(owner.principal, "arn:aws:iam::uab:user/pi");
        assert!(
            owner.delete.everywhere && owner.delete.except == ["s*"],
            "{owner:?}"
        );
        assert!(by("carol").conditional && !bob.conditional);
        assert!(
            !owner.conditional,
            "the Deny to everyone has no condition: {owner:?}"
        );
    }

    #[test]
    fn other_tenants_and_accounts_need_their_own_allow() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::uab:user/carol","444455556666"]},
           "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#;
        let Ok(r) = report("b", "pi", Some(policy), Dialect::Ceph) else {
            panic!("report")
        };
        assert!(r
            .principals
            .iter()
            .skip(1)
            .all(|p| p.needs_own_allow && p.read.everywhere));
        let Ok(r) = report("b", "111122223333", None, Dialect::Aws) else {
            panic!("report")
        };
        assert_eq!(r.principals.len(), 1);
        assert!(!r.has_policy && r.principals[0].write.everywhere);
    }
}
