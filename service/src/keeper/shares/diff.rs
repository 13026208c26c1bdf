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

/// Whether two statements say the same thing apart from their Sid and Principal (in the normal
/// form [`same_policy`] compares), so import knows the table's own `Deny` statements however S3
/// returns them.
pub(crate) fn same_body(a: &Value, b: &Value) -> bool {
    let body = |v: &Value| {
        let mut map = v.as_object().cloned().unwrap_or_default();
        map.remove("Sid");
        map.remove("Principal");
        serde_json::json!({ "Statement": [Value::Object(map)] })
    };
    normal(&body(a)) == normal(&body(b))
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
    let a_all: Vec<&str> = a.lines().collect();
    let b_all: Vec<&str> = b.lines().collect();
    // The common head and tail need no table; a hand edit is usually small.
    let head = a_all.iter().zip(&b_all).take_while(|(x, y)| x == y).count();
    let tail = a_all[head..]
        .iter()
        .rev()
        .zip(b_all[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut ops: Vec<(char, &str)> = a_all[..head].iter().map(|l| (' ', *l)).collect();
    let a = &a_all[head..a_all.len() - tail];
    let b = &b_all[head..b_all.len() - tail];
    changed_lines(a, b, &mut ops);
    ops.extend(a_all[a_all.len() - tail..].iter().map(|l| (' ', *l)));
    with_context(&ops, CONTEXT)
}

/// The most cells the longest-common-subsequence table may have (RGW has no 20 KB limit, so a
/// hand-written policy may be large); beyond it the changed block is shown as removed then added.
const MAX_TABLE_CELLS: usize = 4_000_000;

fn changed_lines<'t>(a: &[&'t str], b: &[&'t str], ops: &mut Vec<(char, &'t str)>) {
    if a.len().saturating_mul(b.len()) > MAX_TABLE_CELLS {
        ops.extend(a.iter().map(|l| ('-', *l)));
        ops.extend(b.iter().map(|l| ('+', *l)));
        return;
    }
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
}

/// The marked lines within `context` lines of a change, `…` for the rest.
fn with_context(ops: &[(char, &str)], context: usize) -> String {
    let near_change = |k: usize| {
        let lo = k.saturating_sub(context);
        let hi = (k + context + 1).min(ops.len());
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
    fn a_large_policy_is_diffed_without_a_quadratic_table() {
        let big = |n: usize, extra: &str| {
            let statements: Vec<Value> = (0..n)
                .map(|i| serde_json::json!({"Sid": format!("s{i}-{extra}"), "Effect": "Allow"}))
                .collect();
            serde_json::json!({"Statement": statements}).to_string()
        };
        // 20,000 changed lines each side: a full table would be 4·10^8 cells.
        let d = diff(Some(&big(5_000, "a")), Some(&big(5_000, "b")));
        assert!(
            d.contains("-       \"Sid\": \"s0-a\"") && d.contains("+       \"Sid\": \"s4999-b\"")
        );
        let same_edges = diff(
            Some(&big(3, "a")),
            Some(&big(3, "a").replace("s1-a", "s1-z")),
        );
        let changed: Vec<&str> = same_edges.lines().filter(|l| !l.starts_with(' ')).collect();
        assert_eq!(changed.len(), 2, "{same_edges}");
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
