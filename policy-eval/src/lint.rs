//! Findings for policies that are valid but dangerous or wrong, with stable codes.
//!
//! | code | name | what |
//! |---|---|---|
//! | S3K001 | list-wider-than-read | `s3:ListBucket` on a whole bucket or access point to principals whose object access is limited to a prefix: they can read every key name |
//! | S3K002 | unformatted-template | a value that is an unfilled template (`{account_id}`, `%s`, `{}`): it matches nothing, so a delegation or grant silently does nothing |
//! | S3K003 | unknown-action | an `s3:` action S3 does not have |
//! | S3K004 | unknown-condition-key | an `aws:` or `s3:` condition key AWS does not define |
//! | S3K005 | public-allow | `Allow` to `*` with no condition |
//! | S3K006 | variables-without-2012 | `${…}` in a policy whose `Version` is not `2012-10-17`: it is literal text there |
//! | S3K007 | allow-with-notprincipal | `Allow` with `NotPrincipal` grants to every principal not listed, anonymous included |
//! | S3K008 | list-wildcard-folder | `s3:ListBucket` limited by an `s3:prefix` pattern with a wildcard in its folder part (`*/*`) to principals whose object reads are narrower: they can list the key names of every folder the wildcard matches |
//! | S3K009 | null-false-on-rgw | `{"Null": {KEY: "false"}}` ("KEY is present"): Ceph RGW 16.2 reads every `Null` as "KEY is absent", so there it holds exactly when it does not on AWS (a `Deny` meant for requests carrying a header then refuses the others); `StringLike {KEY: "*"}` means "present" on both |
//!
//! The keys and actions known here come from the service authorization reference for S3
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>) and the
//! global condition keys (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>).

use serde::Serialize;

use crate::compile::{Effect, Policy, Statement, Version};
use crate::pattern::Pattern;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// `Sid` or index of the statement, when the finding is about one.
    pub statement: Option<String>,
    pub message: String,
}

const GLOBAL_KEYS: &[&str] = &[
    "aws:calledvia",
    "aws:calledviafirst",
    "aws:calledvialast",
    "aws:currenttime",
    "aws:epochtime",
    "aws:federatedprovider",
    "aws:multifactorauthage",
    "aws:multifactorauthpresent",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalisawsservice",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:principaltag",
    "aws:principaltype",
    "aws:referer",
    "aws:requestedregion",
    "aws:requesttag",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "aws:resourcetag",
    "aws:securetransport",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceidentity",
    "aws:sourceip",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:tagkeys",
    "aws:tokenissuetime",
    "aws:useragent",
    "aws:userid",
    "aws:username",
    "aws:viaawsservice",
    "aws:vpcsourceip",
    "aws:ec2instancesourceip",
    "aws:ec2instancesourcevpc",
    "aws:sourceowner",
    "aws:isMFAPresent",
];

const S3_KEYS: &[&str] = &[
    "s3:accessgrantsinstancearn",
    "s3:accesspointnetworkorigin",
    "s3:authtype",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    "s3:delimiter",
    "s3:existingobjecttag",
    "s3:locationconstraint",
    "s3:max-keys",
    "s3:object-lock-legal-hold",
    "s3:object-lock-mode",
    "s3:object-lock-remaining-retention-days",
    "s3:object-lock-retain-until-date",
    "s3:objectcreationoperation",
    "s3:prefix",
    "s3:requestobjecttag",
    "s3:requestobjecttagkeys",
    "s3:resourceaccount",
    "s3:signatureage",
    "s3:signatureversion",
    "s3:tlsversion",
    "s3:versionid",
    "s3:x-amz-acl",
    "s3:x-amz-content-sha256",
    "s3:x-amz-copy-source",
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-server-side-encryption-customer-algorithm",
    "s3:x-amz-storage-class",
    "s3:x-amz-website-redirect-location",
    "s3:if-match",
    "s3:if-none-match",
];

fn known_key(key_lc: &str) -> bool {
    let base = key_lc.split('/').next().unwrap_or(key_lc);
    GLOBAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(base)) || S3_KEYS.contains(&base)
}

/// Whether `s` looks like an unfilled template: `{name}`, `{}`, `%s`, `%(name)s`, `%d`.
pub fn looks_like_template(s: &str) -> bool {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'{' && (i == 0 || bytes[i - 1] != b'$') {
            if let Some(end) = s[i + 1..].find('}') {
                let inner = &s[i + 1..i + 1 + end];
                if inner.bytes().all(|c| {
                    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b':' || c == b'-'
                }) {
                    return true;
                }
            }
        }
        if b == b'%' && matches!(bytes.get(i + 1), Some(b's' | b'd' | b'(')) {
            return true;
        }
    }
    false
}

fn label(s: &Statement) -> Option<String> {
    Some(s.label())
}

fn grants(stmt: &Statement, action: &str) -> bool {
    let hit = stmt
        .actions
        .patterns
        .iter()
        .any(|p| p.matches(action, |_| None).unwrap_or(false));
    hit != stmt.actions.negated
}

fn principal_key(stmt: &Statement) -> Vec<String> {
    let mut v: Vec<String> = stmt
        .principal
        .iter()
        .filter(|p| !p.negated)
        .flat_map(|p| {
            p.set
                .written()
                .iter()
                .map(|w| format!("{}={}", w.kind, w.value))
        })
        .collect();
    v.sort();
    v
}

/// Object resources limited below the whole bucket/access point (`bucket/proj/*`, not `bucket/*`).
fn object_scope_is_narrow(p: &Pattern) -> bool {
    let src = p.source();
    if src == "*" {
        return false;
    }
    let Some(arn) = crate::arn::Arn::parse(src) else {
        return false;
    };
    let after_bucket = match arn.resource.strip_prefix("accesspoint/") {
        Some(rest) => rest.split_once("/object/").map(|(_, k)| k),
        None => arn.resource.split_once('/').map(|(_, k)| k),
    };
    matches!(after_bucket, Some(k) if !k.starts_with('*'))
}

fn lists_whole_container(stmt: &Statement) -> bool {
    let prefix_limited = stmt.conditions.iter().any(|c| c.key_lc() == "s3:prefix");
    !prefix_limited
}

/// Lints one policy.
pub fn lint(policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    let v2012 = policy.version == Version::V2012_10_17;
    for stmt in &policy.statements {
        // S3K002 and S3K006: values that are templates, or variables that will stay literal.
        let mut texts: Vec<&str> = Vec::new();
        if let Some(r) = &stmt.resources {
            texts.extend(r.patterns.iter().map(Pattern::source));
        }
        for c in &stmt.conditions {
            texts.extend(c.raw_values.iter().map(String::as_str));
        }
        if let Some(p) = &stmt.principal {
            texts.extend(p.set.written().iter().map(|w| w.value.as_str()));
        }
        for t in &texts {
            if looks_like_template(t) {
                out.push(Finding {
                    code: "S3K002",
                    name: "unformatted-template",
                    severity: Severity::Error,
                    statement: label(stmt),
                    message: format!("`{t}` looks like an unfilled template; it matches nothing, so this statement does not do what it says"),
                });
            }
            if !v2012 && t.contains("${") {
                out.push(Finding {
                    code: "S3K006",
                    name: "variables-without-2012",
                    severity: Severity::Error,
                    statement: label(stmt),
                    message: format!("`{t}` holds a policy variable, but variables are only substituted under `\"Version\": \"2012-10-17\"`; here it is literal text"),
                });
            }
        }
        // S3K003: unknown S3 actions.
        for p in &stmt.actions.patterns {
            let src = p.source();
            if !src.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("s3:")) {
                continue;
            }
            let known = crate::actions::pattern_resource_types(src).is_some();
            if !known {
                out.push(Finding {
                    code: "S3K003",
                    name: "unknown-action",
                    severity: Severity::Error,
                    statement: label(stmt),
                    message: format!("`{src}` is not an S3 action"),
                });
            }
        }
        // S3K004: unknown condition keys in the aws: and s3: namespaces.
        for c in &stmt.conditions {
            let k = c.key_lc();
            if (k.starts_with("aws:") || k.starts_with("s3:") || !k.contains(':')) && !known_key(k)
            {
                out.push(Finding {
                    code: "S3K004",
                    name: "unknown-condition-key",
                    severity: Severity::Warning,
                    statement: label(stmt),
                    message: format!("`{}` is not a condition key AWS defines for S3 requests; a missing key makes `{}` {}", c.key, c.operator, if c.operator.op.is_negated() || c.operator.if_exists { "always true" } else { "always false" }),
                });
            }
        }
        // S3K009: `Null` with "false", which Ceph RGW 16.2 reads the other way round.
        for c in &stmt.conditions {
            if c.operator.op == crate::condition::Op::Null
                && c.raw_values.iter().any(|v| v.eq_ignore_ascii_case("false"))
            {
                out.push(Finding {
                    code: "S3K009",
                    name: "null-false-on-rgw",
                    severity: Severity::Warning,
                    statement: label(stmt),
                    message: format!("`Null` with \"false\" on `{}` means \"the key is present\" on AWS, but Ceph RGW 16.2 reads every `Null` as \"the key is absent\", so there it holds exactly when it does not on AWS; `StringLike {{\"{}\": \"*\"}}` means \"present\" on both", c.key, c.key),
                });
            }
        }
        if stmt.effect == Effect::Allow {
            if let Some(p) = &stmt.principal {
                if !p.negated && p.set.is_everyone() && stmt.conditions.is_empty() {
                    out.push(Finding {
                        code: "S3K005",
                        name: "public-allow",
                        severity: Severity::Warning,
                        statement: label(stmt),
                        message: "allows everyone, anonymous callers included, with no condition"
                            .to_owned(),
                    });
                }
                if p.negated {
                    out.push(Finding {
                        code: "S3K007",
                        name: "allow-with-notprincipal",
                        severity: Severity::Error,
                        statement: label(stmt),
                        message: "`Allow` with `NotPrincipal` grants every principal that is not listed, anonymous callers included".to_owned(),
                    });
                }
            }
        }
    }
    out.extend(list_wider_than_read(policy));
    out.extend(list_wildcard_folder(policy));
    out
}

/// Condition keys that, compared with fixed values, keep a `*` grant from being public
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status>).
const NON_PUBLIC_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:userid",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    "aws:sourceip",
];

/// Whether S3 considers the policy public: some `Allow` reaches everyone (`*` or `NotPrincipal`)
/// without a condition pinning a non-public key to fixed values.
pub fn is_public(policy: &Policy) -> bool {
    use crate::condition::Op;
    policy.statements.iter().any(|s| {
        let Some(p) = &s.principal else { return false };
        if s.effect != Effect::Allow || !(p.negated || p.set.is_everyone()) {
            return false;
        }
        let pinned = s.conditions.iter().any(|c| {
            let fixed_operator = matches!(
                c.operator.op,
                Op::StringEquals
                    | Op::StringEqualsIgnoreCase
                    | Op::ArnEquals
                    | Op::ArnLike
                    | Op::IpAddress
            ) && c.operator.set.is_none()
                && !c.operator.if_exists;
            let fixed_values = c.raw_values.iter().all(|v| {
                !v.contains('*')
                    && !v.contains('?')
                    && v != "0.0.0.0/0"
                    && v != "::/0"
                    && !v.contains("${")
            });
            fixed_operator && fixed_values && NON_PUBLIC_KEYS.contains(&c.key_lc())
        });
        !pinned
    })
}

/// S3K001: ListBucket on the whole container to principals whose reads are limited to a prefix.
fn list_wider_than_read(policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    let prefix_deny = policy.statements.iter().any(|s| {
        s.effect == Effect::Deny
            && grants(s, "s3:listbucket")
            && s.conditions.iter().any(|c| c.key_lc() == "s3:prefix")
    });
    if prefix_deny {
        return out;
    }
    for list in &policy.statements {
        if list.effect != Effect::Allow
            || !grants(list, "s3:listbucket")
            || !lists_whole_container(list)
        {
            continue;
        }
        let who = principal_key(list);
        let readers: Vec<&Statement> = policy
            .statements
            .iter()
            .filter(|s| {
                s.effect == Effect::Allow && grants(s, "s3:getobject") && principal_key(s) == who
            })
            .collect();
        let narrow = !readers.is_empty()
            && readers.iter().all(|s| {
                s.resources
                    .as_ref()
                    .is_some_and(|r| !r.negated && r.patterns.iter().all(object_scope_is_narrow))
            });
        if narrow {
            out.push(Finding {
                code: "S3K001",
                name: "list-wider-than-read",
                severity: Severity::Error,
                statement: label(list),
                message: "`s3:ListBucket` is granted without an `s3:prefix` condition to principals whose object reads are limited to a prefix: they can list every key name in the bucket. Limit the listing with `s3:prefix` or deny it outside the prefix".to_owned(),
            });
        }
    }
    out
}

/// Whether an `s3:prefix` pattern has a wildcard before its last `/`: `*/*` or `a?c/*` list every
/// folder the wildcard matches (`*` matches `/` too), so listing reaches keys no folder-limited
/// read names.
fn folder_wildcard(pattern: &str) -> bool {
    pattern
        .rfind('/')
        .is_some_and(|i| pattern[..i].contains(['*', '?']))
}

/// The key part of an object resource (`arn:aws:s3:::b/k*` → `k*`; an access point's object
/// path after `/object/`), or `None` for something else.
fn object_key_pattern(src: &str) -> Option<&str> {
    if src == "*" {
        return Some("*");
    }
    let arn = crate::arn::Arn::parse(src)?;
    let key = match arn.resource.strip_prefix("accesspoint/") {
        Some(rest) => rest.split_once("/object/").map(|(_, k)| k)?,
        None => arn.resource.split_once('/').map(|(_, k)| k)?,
    };
    // The offset of the key inside `src`, so the result borrows from it.
    src.len().checked_sub(key.len()).map(|at| &src[at..])
}

/// S3K008: `s3:ListBucket` allowed with a `StringLike` `s3:prefix` pattern whose folder part has a
/// wildcard, to principals whose `s3:GetObject` patterns are all narrower than that listing (none
/// is the whole bucket or the listing pattern itself): the S3K001 leak, one folder level down.
fn list_wildcard_folder(policy: &Policy) -> Vec<Finding> {
    use crate::condition::Op;
    let mut out = Vec::new();
    for list in &policy.statements {
        if list.effect != Effect::Allow || !grants(list, "s3:listbucket") {
            continue;
        }
        let patterns: Vec<&str> = list
            .conditions
            .iter()
            .filter(|c| c.key_lc() == "s3:prefix" && matches!(c.operator.op, Op::StringLike))
            .flat_map(|c| c.raw_values.iter().map(String::as_str))
            .filter(|p| folder_wildcard(p))
            .collect();
        if patterns.is_empty() {
            continue;
        }
        let who = principal_key(list);
        let reads: Vec<&Statement> = policy
            .statements
            .iter()
            .filter(|s| {
                s.effect == Effect::Allow
                    && grants(s, "s3:getobject")
                    && principal_key(s).iter().any(|p| who.contains(p))
            })
            .collect();
        let Some(leaked) = patterns.iter().find(|listed| {
            !reads.is_empty()
                && reads.iter().all(|s| {
                    s.resources.as_ref().is_some_and(|r| {
                        !r.negated
                            && r.patterns.iter().all(|p| {
                                object_key_pattern(p.source())
                                    .is_some_and(|k| k != "*" && k != **listed)
                            })
                    })
                })
        }) else {
            continue;
        };
        out.push(Finding {
            code: "S3K008",
            name: "list-wildcard-folder",
            severity: Severity::Error,
            statement: label(list),
            message: format!("`s3:ListBucket` is limited by the `s3:prefix` pattern `{leaked}`, whose folder part has a wildcard, to principals whose object reads are narrower: they can list the key names of every folder the wildcard matches. Name the folder (`photos/*`), or list one folder per statement"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::PolicyKind;
    use serde_json::json;

    fn codes(v: serde_json::Value, kind: PolicyKind) -> Vec<&'static str> {
        let p = Policy::from_value(&v, kind).unwrap_or_else(|e| panic!("{e}"));
        let mut c: Vec<_> = lint(&p).into_iter().map(|f| f.code).collect();
        c.sort_unstable();
        c
    }

    #[test]
    fn flags_listing_wider_than_reading() {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "AIDAALICEEXAMPLE00001"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/proj/*"},
            {"Effect": "Allow", "Principal": {"AWS": "AIDAALICEEXAMPLE00001"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}
        ]});
        assert_eq!(codes(policy, PolicyKind::Bucket), vec!["S3K001"]);
    }

    #[test]
    fn flags_a_listing_pattern_with_a_wildcard_folder() {
        let policy = |list: &str, read: &str| {
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/carol"]},
                 "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                 "Condition": {"StringLike": {"s3:prefix": [list]}}},
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
                 "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::b/{read}")}
            ]})
        };
        for (list, read, flagged) in [
            ("*/*", "*/*.jpg", true),
            ("a?c/*", "a?c/x*", true),
            ("data/2024-*/raw/*", "data/2024-*/raw/x", true),
            ("*/*", "*/*", false),
            ("*/*", "*", false),
            ("test_folder/*", "test_folder/*jpg", false),
            ("photos/*", "photos/*.jpg", false),
        ] {
            let want: Vec<&str> = if flagged { vec!["S3K008"] } else { vec![] };
            assert_eq!(
                codes(policy(list, read), PolicyKind::Bucket),
                want,
                "{list} {read}"
            );
        }
    }

    #[test]
    fn prefix_deny_or_condition_silences_the_listing_finding() {
        let with_deny = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
             "Condition": {"StringNotLike": {"s3:prefix": ["proj/*"]}}},
            {"Effect": "Allow", "Principal": {"AWS": "AIDAALICEEXAMPLE00001"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/proj/*"},
            {"Effect": "Allow", "Principal": {"AWS": "AIDAALICEEXAMPLE00001"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}
        ]});
        assert!(codes(with_deny, PolicyKind::Bucket).is_empty());
    }

    #[test]
    fn flags_templates_public_allows_and_literal_variables() {
        let policy = json!({"Version": "2008-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*",
             "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "{account_id}"}}}
        ]});
        assert_eq!(
            codes(policy, PolicyKind::Bucket),
            vec!["S3K002", "S3K005", "S3K006"]
        );
    }

    #[test]
    fn flags_unknown_actions_and_keys_in_identity_policies() {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObjekt", "s3:Get*", "ec2:RunInstances"], "Resource": "*",
             "Condition": {"StringEquals": {"s3:prefx": "a"}}}
        ]});
        assert_eq!(
            codes(policy, PolicyKind::Identity),
            vec!["S3K003", "S3K004"]
        );
    }

    #[test]
    fn public_policies() {
        let public = |v: serde_json::Value| {
            is_public(&Policy::from_value(&v, PolicyKind::Bucket).unwrap_or_else(|e| panic!("{e}")))
        };
        let stmt = |cond: serde_json::Value| {
            json!({"Statement": [{"Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": cond}]})
        };
        assert!(public(stmt(json!({}))));
        assert!(!public(stmt(
            json!({"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}})
        )));
        assert!(public(stmt(
            json!({"StringLike": {"aws:PrincipalArn": "*"}})
        )));
        assert!(public(stmt(
            json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})
        )));
        assert!(!public(
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
        ));
    }

    #[test]
    fn templates_are_recognised() {
        for t in [
            "{account_id}",
            "%s",
            "arn:aws:s3:::{bucket}/*",
            "%(name)s",
            "{}",
        ] {
            assert!(looks_like_template(t), "{t}");
        }
        for t in ["${aws:username}", "111122223333", "a{b c}", "100%"] {
            assert!(!looks_like_template(t), "{t}");
        }
    }

    #[test]
    fn flags_null_false_which_rgw_reads_the_other_way() {
        let deny = |cond: serde_json::Value| {
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "guard", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
                 "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": cond}
            ]})
        };
        assert_eq!(
            codes(
                deny(json!({"Null": {"s3:x-amz-grant-read": "false"}})),
                PolicyKind::Bucket
            ),
            vec!["S3K009"]
        );
        // "true" means "absent" on both, and the portable form is clean.
        assert!(codes(
            deny(json!({"Null": {"s3:x-amz-grant-read": "true"}})),
            PolicyKind::Bucket
        )
        .is_empty());
        assert!(codes(
            deny(json!({"StringLike": {"s3:x-amz-grant-read": "*"}})),
            PolicyKind::Bucket
        )
        .is_empty());
    }
}
