//! `Numeric*`, `Date*`, `Bool` and `BinaryEquals`: values read once at compile time.

use base64::Engine;

use super::Op;
use crate::context::parse_time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum ScalarValues {
    Numbers(Cmp, Vec<f64>),
    /// Unix time in nanoseconds.
    Dates(Cmp, Vec<i128>),
    Bools(Vec<bool>),
    Binary(Vec<Vec<u8>>),
}

fn cmp_of(op: Op) -> Cmp {
    match op {
        Op::NumericLessThan | Op::DateLessThan => Cmp::Lt,
        Op::NumericLessThanEquals | Op::DateLessThanEquals => Cmp::Le,
        Op::NumericGreaterThan | Op::DateGreaterThan => Cmp::Gt,
        Op::NumericGreaterThanEquals | Op::DateGreaterThanEquals => Cmp::Ge,
        _ => Cmp::Eq,
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn date(s: &str) -> Option<i128> {
    parse_time(s).map(|t| t.unix_timestamp_nanos())
}

fn boolean(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

impl ScalarValues {
    pub(super) fn compile(op: Op, values: &[String]) -> Result<Self, String> {
        fn all<T>(
            values: &[String],
            f: impl Fn(&str) -> Option<T>,
            what: &str,
        ) -> Result<Vec<T>, String> {
            values
                .iter()
                .map(|v| f(v).ok_or_else(|| format!("`{v}` is not {what}")))
                .collect()
        }
        Ok(match op {
            Op::Bool => ScalarValues::Bools(all(values, boolean, "`true` or `false`")?),
            Op::BinaryEquals => ScalarValues::Binary(all(
                values,
                |v| base64::engine::general_purpose::STANDARD.decode(v).ok(),
                "base64-encoded",
            )?),
            Op::DateEquals
            | Op::DateNotEquals
            | Op::DateLessThan
            | Op::DateLessThanEquals
            | Op::DateGreaterThan
            | Op::DateGreaterThanEquals => ScalarValues::Dates(
                cmp_of(op),
                all(values, date, "an ISO 8601 date or epoch time")?,
            ),
            _ => ScalarValues::Numbers(cmp_of(op), all(values, number, "a number")?),
        })
    }

    pub(super) fn any_match(&self, value: &str) -> bool {
        match self {
            ScalarValues::Numbers(cmp, ns) => {
                number(value).is_some_and(|v| ns.iter().any(|n| cmp.holds(v, *n)))
            }
            ScalarValues::Dates(cmp, ds) => {
                date(value).is_some_and(|v| ds.iter().any(|d| cmp.holds(v, *d)))
            }
            ScalarValues::Bools(bs) => boolean(value).is_some_and(|v| bs.contains(&v)),
            ScalarValues::Binary(bins) => {
                let decoded = base64::engine::general_purpose::STANDARD.decode(value);
                let bytes = decoded.as_deref().unwrap_or(value.as_bytes());
                bins.iter().any(|b| b.as_slice() == bytes)
            }
        }
    }
}
