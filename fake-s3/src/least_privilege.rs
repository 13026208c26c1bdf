//! A least-privilege identity policy from what ran: exactly the actions on exactly the resources
//! one principal's requests needed since the last reset, allowed or refused (the journal's ledger,
//! [`crate::enforcement`]), one statement per resource, and each listing's `s3:ListBucket` under an
//! `s3:prefix` condition naming the prefixes it listed. Attached to that principal, the policy lets
//! the same requests pass and, as far as identity policy decides, nothing else.
//!
//! Keys with `*`, `?` or `$` are written with IAM's policy variables `${*}`, `${?}`, `${$}`
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars>),
//! so they match only themselves. Actions that have no resource type (`iam:ListUsers`, `s3:ListAllMyBuckets`)
//! are authorized on `*`, which their statement must name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::enforcement::Need;

/// `*`, `?` and `$` as policy variables, so a resource matches only itself.
fn literal(resource: &str) -> String {
    // ListAllMyBuckets and the listings of IAM have no resource: their statement names `*`.
    if resource == "*" || resource == "arn:aws:s3:::" {
        return "*".to_owned();
    }
    let mut out = String::with_capacity(resource.len());
    for c in resource.chars() {
        match c {
            '*' => out.push_str("${*}"),
            '?' => out.push_str("${?}"),
            '$' => out.push_str("${$}"),
            c => out.push(c),
        }
    }
    out
}

fn one_or_many(items: BTreeSet<String>) -> Value {
    if items.len() == 1 {
        json!(items.into_iter().next().unwrap_or_default())
    } else {
        json!(items.into_iter().collect::<Vec<_>>())
    }
}

/// The policy allowing exactly `needs`.
pub fn policy(needs: &[Need]) -> Value {
    let mut plain: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut listings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for need in needs {
        match &need.prefix {
            Some(prefix) => {
                listings
                    .entry(literal(&need.resource))
                    .or_default()
                    .insert(prefix.clone());
            }
            None => {
                plain
                    .entry(literal(&need.resource))
                    .or_default()
                    .insert(need.action.clone());
            }
        }
    }
    let mut statements: Vec<Value> = plain
        .into_iter()
        .map(|(resource, actions)| {
            json!({"Effect": "Allow", "Action": one_or_many(actions), "Resource": resource})
        })
        .collect();
    statements.extend(listings.into_iter().map(|(resource, prefixes)| {
        json!({
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": resource,
            "Condition": {"StringEquals": {"s3:prefix": one_or_many(prefixes)}},
        })
    }));
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_by_resource_with_prefix_conditions() {
        let doc = policy(&[
            Need::new("s3:GetObject", "arn:aws:s3:::b/a.csv", None),
            Need::new("s3:PutObject", "arn:aws:s3:::b/a.csv", None),
            Need::new("s3:ListBucket", "arn:aws:s3:::b", Some("data/")),
            Need::new("s3:ListBucket", "arn:aws:s3:::b", Some("out/")),
        ]);
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/a.csv"},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                 "Condition": {"StringEquals": {"s3:prefix": ["data/", "out/"]}}},
            ]})
        );
        let text = doc.to_string();
        let parsed = policy_eval::Policy::parse(&text, policy_eval::PolicyKind::Identity);
        assert!(parsed.is_ok(), "{parsed:?}");
        let lint = policy_eval::lint::lint(&parsed.unwrap_or_else(|e| panic!("{e}")));
        assert!(lint.is_empty(), "{lint:?}");
    }

    #[test]
    fn wildcards_in_keys_match_only_themselves() {
        assert_eq!(
            literal("arn:aws:s3:::b/a*b?$"),
            "arn:aws:s3:::b/a${*}b${?}${$}"
        );
        assert_eq!(literal("*"), "*");
    }
}
