//! The `Condition` element: operators, their values, and how they meet a request's context
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
//!
//! Semantics chosen where AWS leaves room, as SPEC §2 fixes them:
//! - Keys in a block are ANDed, and so are operators; the values of one key are ORed. A negated
//!   operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, …) is the negation of its positive
//!   form, so its values are effectively ANDed.
//! - A key missing from the request makes a positive operator false and a negated one true;
//!   `…IfExists` makes either true. `Null` tests presence: `"true"` holds when the key is absent,
//!   `"false"` when it is present. A request decided in Ceph RGW's dialect
//!   ([`crate::Dialect::CephRgw`]) reads every `Null` as "the key is absent", whatever its value,
//!   and a negated operator on an absent key as false, as RGW 16.2 does.
//! - `ForAllValues:` is true when every request value matches (vacuously true for a missing or
//!   empty key); `ForAnyValue:` when at least one does (false for a missing key).
//! - Without a set prefix, a multivalued key matches a positive operator when any of its values does.
//! - A context value the operator cannot read (not a number, not a date, not an IP) matches nothing.
//! - A policy variable with no value makes the whole statement inapplicable
//!   ([`CondOutcome::Unresolved`]).

mod ip;
mod scalar;
mod string;

use std::fmt;

use crate::context::{Request, Values};
use crate::error::{ErrorKind, PolicyError};
use crate::json::Json;
use crate::pattern::Unresolved;

pub use ip::Cidr;

/// The operator families, without `IfExists` or set prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const OPS: &[(&str, Op)] = &[
    ("StringEquals", Op::StringEquals),
    ("StringNotEquals", Op::StringNotEquals),
    ("StringEqualsIgnoreCase", Op::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Op::StringNotEqualsIgnoreCase),
    ("StringLike", Op::StringLike),
    ("StringNotLike", Op::StringNotLike),
    ("NumericEquals", Op::NumericEquals),
    ("NumericNotEquals", Op::NumericNotEquals),
    ("NumericLessThan", Op::NumericLessThan),
    ("NumericLessThanEquals", Op::NumericLessThanEquals),
    ("NumericGreaterThan", Op::NumericGreaterThan),
    ("NumericGreaterThanEquals", Op::NumericGreaterThanEquals),
    ("DateEquals", Op::DateEquals),
    ("DateNotEquals", Op::DateNotEquals),
    ("DateLessThan", Op::DateLessThan),
    ("DateLessThanEquals", Op::DateLessThanEquals),
    ("DateGreaterThan", Op::DateGreaterThan),
    ("DateGreaterThanEquals", Op::DateGreaterThanEquals),
    ("Bool", Op::Bool),
    ("BinaryEquals", Op::BinaryEquals),
    ("IpAddress", Op::IpAddress),
    ("NotIpAddress", Op::NotIpAddress),
    ("ArnEquals", Op::ArnEquals),
    ("ArnLike", Op::ArnLike),
    ("ArnNotEquals", Op::ArnNotEquals),
    ("ArnNotLike", Op::ArnNotLike),
    ("Null", Op::Null),
];

impl Op {
    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        OPS.iter().find(|(_, o)| *o == self).map_or("?", |(n, _)| n)
    }

    /// Whether this is the negation of a positive operator.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Op::StringNotEquals
                | Op::StringNotEqualsIgnoreCase
                | Op::StringNotLike
                | Op::NumericNotEquals
                | Op::DateNotEquals
                | Op::NotIpAddress
                | Op::ArnNotEquals
                | Op::ArnNotLike
        )
    }
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// An operator as written: set prefix, family and `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub set: Option<SetQualifier>,
    pub op: Op,
    pub if_exists: bool,
}

impl Operator {
    /// Reads `ForAnyValue:StringLikeIfExists` and the like. Operator names are case-sensitive.
    pub fn parse(text: &str) -> Option<Self> {
        let (set, rest) = if let Some(r) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, text)
        };
        let (name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(n) => (n, true),
            None => (rest, false),
        };
        let op = OPS.iter().find(|(n, _)| *n == name)?.1;
        if op == Op::Null && if_exists {
            return None;
        }
        Some(Operator { set, op, if_exists })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.set {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.op.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Compiled values of one condition, by operator family.
#[derive(Debug, Clone)]
enum Compiled {
    Strings(string::StringValues),
    Arns(string::ArnValues),
    Scalars(scalar::ScalarValues),
    Ips(Vec<Cidr>),
    Null(bool),
}

/// One `operator: {key: values}` entry.
#[derive(Debug, Clone)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written.
    pub key: String,
    /// The key lowercased, for lookup.
    key_lc: String,
    /// The values as written, for explanations.
    pub raw_values: Vec<String>,
    compiled: Compiled,
}

/// What a condition said about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondOutcome {
    True,
    False,
    /// A policy variable in the values has no value for this request.
    Unresolved(String),
}

impl Condition {
    /// Compiles one condition; `variables` is true under Version 2012-10-17.
    pub fn compile(
        operator_text: &str,
        key: &str,
        values: &serde_json::Value,
        variables: bool,
    ) -> Result<Self, PolicyError> {
        Condition::compile_json(operator_text, key, &Json::from_value(values), variables)
    }

    pub(crate) fn compile_json(
        operator_text: &str,
        key: &str,
        values: &Json<'_>,
        variables: bool,
    ) -> Result<Self, PolicyError> {
        let operator = Operator::parse(operator_text).ok_or_else(|| {
            PolicyError::new(
                ErrorKind::InvalidCondition,
                format!("unknown condition operator `{operator_text}`"),
            )
        })?;
        let raw_values = value_list(values).map_err(|detail| {
            PolicyError::new(
                ErrorKind::InvalidCondition,
                format!("`{operator_text}` on `{key}`: {detail}"),
            )
        })?;
        if raw_values.is_empty() {
            return Err(PolicyError::new(
                ErrorKind::InvalidCondition,
                format!("`{operator_text}` on `{key}` has no values"),
            ));
        }
        let bad = |detail: String| {
            PolicyError::new(
                ErrorKind::InvalidCondition,
                format!("`{operator_text}` on `{key}`: {detail}"),
            )
        };
        let compiled = match operator.op {
            Op::StringEquals
            | Op::StringNotEquals
            | Op::StringEqualsIgnoreCase
            | Op::StringNotEqualsIgnoreCase
            | Op::StringLike
            | Op::StringNotLike => Compiled::Strings(string::StringValues::compile(
                operator.op,
                &raw_values,
                variables,
            )),
            Op::ArnEquals | Op::ArnLike | Op::ArnNotEquals | Op::ArnNotLike => {
                Compiled::Arns(string::ArnValues::compile(&raw_values, variables))
            }
            Op::IpAddress | Op::NotIpAddress => Compiled::Ips(
                raw_values
                    .iter()
                    .map(|v| {
                        Cidr::parse(v)
                            .ok_or_else(|| bad(format!("`{v}` is not an IP address or CIDR block")))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Op::Null => match raw_values.as_slice() {
                [v] if v.eq_ignore_ascii_case("true") => Compiled::Null(true),
                [v] if v.eq_ignore_ascii_case("false") => Compiled::Null(false),
                _ => return Err(bad("`Null` takes `true` or `false`".to_owned())),
            },
            op => Compiled::Scalars(scalar::ScalarValues::compile(op, &raw_values).map_err(bad)?),
        };
        Ok(Condition {
            operator,
            key: key.to_owned(),
            key_lc: key.to_ascii_lowercase(),
            raw_values,
            compiled,
        })
    }

    /// The key, lowercased.
    pub fn key_lc(&self) -> &str {
        &self.key_lc
    }

    /// Evaluates the condition against `req`.
    pub fn evaluate(&self, req: &Request) -> CondOutcome {
        let values = req.get(&self.key_lc);
        if let Compiled::Null(want_missing) = self.compiled {
            let missing = values.is_none_or(Values::is_empty);
            // RGW 16.2 (`Condition::eval`) ignores the value: `Null` is "the key is absent".
            if req.dialect() == crate::Dialect::CephRgw {
                return bool_outcome(missing);
            }
            return bool_outcome(missing == want_missing);
        }
        match self.decide(values.filter(|v| !v.is_empty()), req) {
            Ok(b) => bool_outcome(b),
            Err(Unresolved { key }) => CondOutcome::Unresolved(key),
        }
    }

    fn decide(&self, present: Option<Values<'_>>, req: &Request) -> Result<bool, Unresolved> {
        match (self.operator.set, present) {
            (_, None) if self.operator.if_exists => Ok(true),
            (Some(SetQualifier::ForAllValues), None) => Ok(true),
            (Some(SetQualifier::ForAnyValue), None) => Ok(false),
            // RGW 16.2 (`Condition::eval`): a condition on an absent key is false, negated
            // operators included, unless `…IfExists` or `ForAllValues:` says otherwise.
            (None, None) if req.dialect() == crate::Dialect::CephRgw => Ok(false),
            (None, None) => Ok(self.operator.op.is_negated()),
            (None, Some(vals)) => {
                // Several values without a set operator: a positive operator needs one to match.
                let mut any = false;
                for v in vals.iter() {
                    if self.positive(v, req)? {
                        any = true;
                        break;
                    }
                }
                Ok(any != self.operator.op.is_negated())
            }
            (Some(SetQualifier::ForAllValues), Some(vals)) => {
                let mut all = true;
                for v in vals.iter() {
                    if self.positive(v, req)? == self.operator.op.is_negated() {
                        all = false;
                        break;
                    }
                }
                Ok(all)
            }
            (Some(SetQualifier::ForAnyValue), Some(vals)) => {
                let mut any = false;
                for v in vals.iter() {
                    if self.positive(v, req)? != self.operator.op.is_negated() {
                        any = true;
                        break;
                    }
                }
                Ok(any)
            }
        }
    }

    /// Whether one request value matches any policy value under the positive form of the operator.
    fn positive(&self, value: &str, req: &Request) -> Result<bool, Unresolved> {
        match &self.compiled {
            Compiled::Strings(s) => s.any_match(value, req),
            Compiled::Arns(a) => a.any_match(value, req),
            Compiled::Scalars(s) => Ok(s.any_match(value)),
            Compiled::Ips(cidrs) => Ok(ip::any_match(cidrs, value)),
            Compiled::Null(_) => Ok(false),
        }
    }
}

fn bool_outcome(b: bool) -> CondOutcome {
    if b {
        CondOutcome::True
    } else {
        CondOutcome::False
    }
}

/// Condition values may be strings, numbers or booleans, alone or in a list.
fn value_list(v: &Json<'_>) -> Result<Vec<String>, String> {
    fn one(v: &Json<'_>) -> Result<String, String> {
        match v {
            Json::String(s) => Ok(s.to_string()),
            Json::Number(n) => Ok(n.to_string()),
            Json::Bool(b) => Ok(b.to_string()),
            other => Err(format!("`{other}` is not a string, number or boolean")),
        }
    }
    match v {
        Json::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|s| vec![s]),
    }
}

#[cfg(test)]
mod tests;
