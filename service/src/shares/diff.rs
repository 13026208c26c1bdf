//! Whether the live bucket policy is still the one the service wrote, and if not, what changed, as
//! a line diff of the two policies pretty-printed.
//!
//! S3 may hand a policy back in another form than it was written (whitespace, a single value
//! for a one-element list, an account id as its root ARN), so the comparison is on a normal form:
//! lists of actions, resources, principals and condition values sorted, statements sorted.

use serde_json::Value;

use crate::policies;

/// Whether two policy texts say the same thing (see the module documentation).
pub fn same_policy(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => normal(&a) == normal(&b),
        _ => a == b,
    }
}

fn normal(v: &Value) -> Value {
    let root_arn = |p: &str| {
        if policy_eval::arn::is_account_id(p) {
            format!("arn:aws:iam::{p}:root")
        } else {
            p.to_owned()
        }
    };
    let mut out = policies::canonical(v, &root_arn);
    if let Some(Value::Array(statements)) = out.get_mut("Statement") {
        for st in statements.iter_mut() {
            if let Some(Value::Object(ops)) = st.get_mut("Condition") {
                for keys in ops.values_mut() {
                    if let Value::Object(keys) = keys {
                        for value in keys.values_mut() {
                            let mut items: Vec<Value> = match &*value {
                                Value::Array(a) => a.clone(),
                                other => vec![other.clone()],
                            };
                            items.sort_by_key(Value::to_string);
                            *value = Value::Array(items);
                        }
                    }
                }
            }
        }
        statements.sort_by_key(Value::to_string);
    }
    out
}

/// Pretty-printed, so that a diff has one element per line.
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// A unified-style diff of `before` and `after` (policy texts, or `None` for no policy): changed
/// lines marked `-`/`+`, with up to `CONTEXT` unchanged lines around each change.
pub fn diff(before: Option<&str>, after: Option<&str>) -> String {
    const CONTEXT: usize = 2;
    let a = before
        .map(pretty)
        .unwrap_or_else(|| "(no policy)".to_owned());
    let b = after
        .map(pretty)
        .unwrap_or_else(|| "(no policy)".to_owned());
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    // Longest common subsequence table, from the ends.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT + 1).min(ops.len());
        ops[lo..hi].iter().any(|(m, _)| *m != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (mark, line)) in ops.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push_str("  …\n");
                skipped = false;
            }
            out.push(*mark);
            out.push(' ');
            out.push_str(line);
            out.push('\n');
        } else {
            skipped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_s3_may_return_compare_equal() {
        let written = r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":{"AWS":["444455556666"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"],"Condition":{"StringLike":{"s3:prefix":["x/*"]}}}]}"#;
        let returned = r#"{"Version": "2012-10-17", "Statement": {"Sid": "a", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*", "Condition": {"StringLike": {"s3:prefix": "x/*"}}}}"#;
        assert!(same_policy(written, returned));
        let edited = returned.replace("s3:GetObject", "s3:PutObject");
        assert!(!same_policy(written, &edited));
    }

    #[test]
    fn a_diff_shows_what_changed_with_context() {
        let a = r#"{"Statement":[{"Sid":"a","Action":["s3:GetObject"]}]}"#;
        let b = r#"{"Statement":[{"Sid":"a","Action":["s3:GetObject","s3:DeleteObject"]}]}"#;
        let d = diff(Some(a), Some(b));
        let changed: Vec<&str> = d.lines().filter(|l| !l.starts_with(' ')).collect();
        assert_eq!(
            changed,
            [
                "-         \"s3:GetObject\"",
                "+         \"s3:GetObject\",",
                "+         \"s3:DeleteObject\""
            ],
            "{d}"
        );
        assert!(d.contains("\"Sid\": \"a\""), "context kept: {d}");
        assert!(diff(Some(a), None).contains("+ (no policy)"));
    }
}
