//! `String*` and `Arn*` operators: exact, case-insensitive and wildcard comparison, with policy
//! variables in the policy's values. `ArnEquals` and `ArnLike` behave alike: each of the six ARN
//! fields is compared on its own, with `*` and `?` not crossing a `:`.

use super::Op;
use crate::context::Request;
use crate::pattern::{Glob, Pattern, Syntax, Unresolved};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Exact,
    IgnoreCase,
    Like,
}

/// Values of a `String*` operator.
#[derive(Debug, Clone)]
pub(super) struct StringValues {
    mode: Mode,
    patterns: Vec<Pattern>,
}

impl StringValues {
    pub(super) fn compile(op: Op, values: &[String], variables: bool) -> Self {
        let mode = match op {
            Op::StringLike | Op::StringNotLike => Mode::Like,
            Op::StringEqualsIgnoreCase | Op::StringNotEqualsIgnoreCase => Mode::IgnoreCase,
            _ => Mode::Exact,
        };
        let syntax = Syntax {
            wildcards: mode == Mode::Like,
            variables,
            ignore_case: false,
        };
        StringValues {
            mode,
            patterns: values.iter().map(|v| Pattern::new(v, syntax)).collect(),
        }
    }

    pub(super) fn any_match(&self, value: &str, req: &Request) -> Result<bool, Unresolved> {
        // No early return on a hit: an unresolvable variable in any value must give the same answer
        // whatever the order of the values.
        let lookup = |k: &str| req.variable(k);
        let mut any = false;
        for p in &self.patterns {
            any |= match self.mode {
                Mode::Like => p.matches(value, lookup)?,
                Mode::Exact => p.resolve_text(lookup)? == value,
                Mode::IgnoreCase => p.resolve_text(lookup)?.to_lowercase() == value.to_lowercase(),
            };
        }
        Ok(any)
    }
}

/// Values of an `Arn*` operator.
#[derive(Debug, Clone)]
pub(super) struct ArnValues {
    patterns: Vec<Pattern>,
}

impl ArnValues {
    pub(super) fn compile(values: &[String], variables: bool) -> Self {
        // Wildcards are applied per ARN field after variables are resolved, so the pattern itself
        // keeps `*` and `?` as text here.
        let syntax = Syntax {
            wildcards: false,
            variables,
            ignore_case: false,
        };
        ArnValues {
            patterns: values.iter().map(|v| Pattern::new(v, syntax)).collect(),
        }
    }

    pub(super) fn any_match(&self, value: &str, req: &Request) -> Result<bool, Unresolved> {
        let mut any = false;
        for p in &self.patterns {
            any |= arn_like(&p.resolve_text(|k| req.variable(k))?, value);
        }
        Ok(any)
    }
}

/// Field-by-field ARN comparison. A pattern with fewer than six fields matches nothing, except a
/// lone `*`, which matches any value.
pub(crate) fn arn_like(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let pf: Vec<&str> = pattern.splitn(6, ':').collect();
    if pf.len() < 6 {
        return false;
    }
    let vf: Vec<&str> = value.splitn(6, ':').collect();
    vf.len() == 6 && pf.iter().zip(&vf).all(|(p, v)| Glob::new(p).matches(v))
}

#[cfg(test)]
mod tests {
    use super::arn_like;

    #[test]
    fn arn_fields_do_not_let_wildcards_cross_colons() {
        assert!(arn_like(
            "arn:aws:iam::*:role/admin",
            "arn:aws:iam::111122223333:role/admin"
        ));
        assert!(arn_like(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a:b/c"
        ));
        assert!(!arn_like(
            "arn:aws:iam::1*",
            "arn:aws:iam::111122223333:role/admin"
        ));
        assert!(!arn_like("arn:aws:iam::*:role/admin", "not-an-arn"));
        assert!(arn_like("*", "anything"));
    }
}
