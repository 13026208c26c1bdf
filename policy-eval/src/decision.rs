//! The answer to a request, and its explanation: which policy and statement decided it, what each
//! check (access point, bucket) concluded, and for statements that did not apply, which element or
//! condition stopped them.

use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::compile::PolicySet;
use crate::compile::{Effect, Policy, Statement};
use crate::context::Request;

/// The three answers IAM gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        })
    }
}

/// Which policy of a [`PolicySet`] a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRef {
    Identity(usize),
    Session(usize),
    Boundary,
    AccessPoint,
    Bucket,
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyRef::Identity(i) => write!(f, "identity[{i}]"),
            PolicyRef::Session(i) => write!(f, "session[{i}]"),
            PolicyRef::Boundary => f.write_str("boundary"),
            PolicyRef::AccessPoint => f.write_str("access_point"),
            PolicyRef::Bucket => f.write_str("bucket"),
        }
    }
}

/// A statement within a policy set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef {
    pub policy: PolicyRef,
    pub index: usize,
}

/// Why a statement did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    Action,
    Resource,
    Principal,
    /// The condition at this index (in statement order) was false.
    Condition {
        index: usize,
    },
    /// A policy variable had no value, so the statement cannot apply.
    Unresolved {
        key: String,
    },
}

/// One statement's verdict, recorded by [`crate::evaluate_traced`].
#[derive(Debug, Clone)]
pub struct StatementTrace {
    pub statement: StatementRef,
    pub effect: Effect,
    /// The resource string the statement was matched against.
    pub resource: String,
    /// `Ok` when it applied (with how the principal matched, for resource policies).
    pub outcome: Result<Option<crate::principal::PrincipalMatch>, Miss>,
}

/// Why the decision is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    ExplicitDeny,
    Allowed,
    NoAllow,
    AccessPointRefusesAnonymous,
    AccessPointRefusesSigV2,
}

/// What one check (the access point, the bucket) concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// `access point` or `bucket`.
    pub check: &'static str,
    /// The account that owns the resource.
    pub owner: String,
    /// Whether the principal belongs to the owner's account.
    pub same_account: bool,
    pub has_resource_policy: bool,
    /// `None` for anonymous and service principals, which have no identity policies.
    pub identity_allows: Option<bool>,
    pub resource_policy_allows: bool,
    pub allowed: bool,
}

/// The result of [`crate::evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    pub reason: Reason,
    /// The statements that decided: the Deny, or the Allows that made every check pass.
    pub deciding: Vec<StatementRef>,
    pub checks: Vec<CheckReport>,
}

/// A statement named for people and JSON.
#[derive(Debug, Clone, Serialize)]
pub struct NamedStatement {
    pub policy: String,
    /// `Sid` when present, else the index.
    pub statement: String,
    pub index: usize,
    pub effect: Effect,
}

/// A statement that did not apply, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NearMiss {
    #[serde(flatten)]
    pub statement: NamedStatement,
    /// The element that did not match: `Action`, `Resource`, `Principal`, `Condition`.
    pub element: &'static str,
    pub detail: String,
}

/// Everything a person needs to see why a request was decided as it was.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub decision: Decision,
    pub summary: String,
    pub deciding_statements: Vec<NamedStatement>,
    pub checks: Vec<CheckReport>,
    /// Statements that did not apply, with the first element that stopped each.
    pub not_applied: Vec<NearMiss>,
    /// The resources the request was matched against, by policy.
    pub resources: Resources,
}

/// The resource strings each policy saw.
#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub bucket_policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_point_policy: Option<String>,
    pub identity_policies: String,
}

fn find<'p>(policies: &PolicySet<'p>, r: StatementRef) -> Option<&'p Statement> {
    let policy: Option<&Policy> = match r.policy {
        PolicyRef::Identity(i) => policies.identity.get(i),
        PolicyRef::Session(i) => policies.session.get(i),
        PolicyRef::Boundary => policies.boundary,
        PolicyRef::AccessPoint => policies.access_point,
        PolicyRef::Bucket => policies.bucket,
    };
    policy.and_then(|p| p.statements.get(r.index))
}

fn name(policies: &PolicySet<'_>, r: StatementRef, effect: Effect) -> NamedStatement {
    NamedStatement {
        policy: r.policy.to_string(),
        statement: find(policies, r).map_or_else(|| r.index.to_string(), Statement::label),
        index: r.index,
        effect,
    }
}

impl Explanation {
    /// Builds the explanation from an evaluation and its trace.
    pub fn new(
        req: &Request,
        policies: &PolicySet<'_>,
        eval: &Evaluation,
        trace: &[crate::decision::StatementTrace],
    ) -> Self {
        let deciding_statements: Vec<NamedStatement> = eval
            .deciding
            .iter()
            .map(|r| {
                let effect = find(policies, *r).map_or(Effect::Allow, |s| s.effect);
                name(policies, *r, effect)
            })
            .collect();
        let not_applied = trace
            .iter()
            .filter_map(|t| {
                let miss = t.outcome.as_ref().err()?;
                let stmt = find(policies, t.statement)?;
                let (element, detail) = describe_miss(req, stmt, miss, &t.resource);
                Some(NearMiss {
                    statement: name(policies, t.statement, t.effect),
                    element,
                    detail,
                })
            })
            .collect();
        let summary = summarize(req, eval, &deciding_statements);
        Explanation {
            decision: eval.decision,
            summary,
            deciding_statements,
            checks: eval.checks.clone(),
            not_applied,
            resources: Resources {
                bucket_policy: req.bucket_resource().to_owned(),
                access_point_policy: req.access_point_resource().map(str::to_owned),
                identity_policies: req
                    .access_point_resource()
                    .unwrap_or(req.bucket_resource())
                    .to_owned(),
            },
        }
    }

    /// The explanation as text for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "decision: {}", self.decision);
        let _ = writeln!(out, "why: {}", self.summary);
        for s in &self.deciding_statements {
            let _ = writeln!(
                out,
                "  decided by {:?} statement `{}` of the {} policy",
                s.effect, s.statement, s.policy
            );
        }
        for c in &self.checks {
            let identity = match c.identity_allows {
                Some(true) => "identity policies allow",
                Some(false) => "identity policies do not allow",
                None => "no identity policies (anonymous or service)",
            };
            let resource = match (c.has_resource_policy, c.resource_policy_allows) {
                (false, _) => format!("no {} policy", c.check),
                (true, true) => format!("the {} policy allows", c.check),
                (true, false) => format!("the {} policy does not allow", c.check),
            };
            let account = if c.same_account {
                "same account"
            } else {
                "another account"
            };
            let _ = writeln!(
                out,
                "  {} check (owner {}, {account}): {identity}; {resource} => {}",
                c.check,
                c.owner,
                if c.allowed { "passes" } else { "fails" }
            );
        }
        if !self.not_applied.is_empty() {
            let _ = writeln!(out, "statements that did not apply:");
            for m in &self.not_applied {
                let _ = writeln!(
                    out,
                    "  {} `{}` ({:?}): {} did not match: {}",
                    m.statement.policy,
                    m.statement.statement,
                    m.statement.effect,
                    m.element,
                    m.detail
                );
            }
        }
        out
    }
}

fn summarize(req: &Request, eval: &Evaluation, deciding: &[NamedStatement]) -> String {
    match eval.reason {
        Reason::ExplicitDeny => match deciding.first() {
            Some(s) => format!(
                "an explicit Deny in the {} policy (statement `{}`) overrides any Allow",
                s.policy, s.statement
            ),
            None => "an explicit Deny overrides any Allow".to_owned(),
        },
        Reason::AccessPointRefusesAnonymous => "access points refuse anonymous requests".to_owned(),
        Reason::AccessPointRefusesSigV2 => {
            "access points refuse Signature Version 2 requests".to_owned()
        }
        Reason::Allowed => {
            let names: Vec<String> = deciding
                .iter()
                .map(|s| format!("{} `{}`", s.policy, s.statement))
                .collect();
            if names.is_empty() {
                "the account root has every permission of its own account".to_owned()
            } else {
                format!("allowed by {}", names.join(" and "))
            }
        }
        Reason::NoAllow => {
            let failed: Vec<String> = eval
                .checks
                .iter()
                .filter(|c| !c.allowed)
                .map(|c| {
                    // "an access point policy", "a bucket policy".
                    let a = if c.check.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                    if req.principal.is_anonymous() || c.identity_allows.is_none() {
                        format!("the {} check needs {a} {} policy Allow for this principal", c.check, c.check)
                    } else if c.same_account {
                        format!(
                            "the {} check needs an identity policy Allow or {a} {} policy Allow naming the principal",
                            c.check, c.check
                        )
                    } else {
                        format!(
                            "the {} check is cross-account and needs both an identity policy Allow ({}) and {a} {} policy Allow ({})",
                            c.check,
                            if c.identity_allows == Some(true) { "present" } else { "missing" },
                            c.check,
                            if c.resource_policy_allows { "present" } else { "missing" }
                        )
                    }
                })
                .collect();
            format!("no statement allows the request: {}", failed.join("; "))
        }
    }
}

fn describe_miss(
    req: &Request,
    stmt: &Statement,
    miss: &Miss,
    resource: &str,
) -> (&'static str, String) {
    match miss {
        Miss::Action => (
            if stmt.actions.negated { "NotAction" } else { "Action" },
            format!("`{}` is {}listed", req.action, if stmt.actions.negated { "" } else { "not " }),
        ),
        Miss::Resource => {
            let negated = stmt.resources.as_ref().is_some_and(|r| r.negated);
            (
                if negated { "NotResource" } else { "Resource" },
                format!("`{resource}` is {}covered", if negated { "" } else { "not " }),
            )
        }
        Miss::Principal => {
            let who = if req.principal.is_anonymous() {
                "the anonymous caller".to_owned()
            } else {
                format!("`{}`", req.principal.arn)
            };
            let negated = stmt.principal.as_ref().is_some_and(|p| p.negated);
            (
                if negated { "NotPrincipal" } else { "Principal" },
                format!("{who} is {}named", if negated { "" } else { "not " }),
            )
        }
        Miss::Condition { index } => {
            let detail = stmt.conditions.get(*index).map_or_else(String::new, |c| {
                let got = match req.get(c.key_lc()) {
                    Some(v) => format!(
                        "request has {}",
                        v.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                    ),
                    None => "the request has no such key".to_owned(),
                };
                format!(
                    "`{}` on `{}` with {} is false ({got})",
                    c.operator,
                    c.key,
                    c.raw_values
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            ("Condition", detail)
        }
        Miss::Unresolved { key } => (
            "Condition",
            format!("policy variable `${{{key}}}` has no value for this request, so the statement cannot apply"),
        ),
    }
}
