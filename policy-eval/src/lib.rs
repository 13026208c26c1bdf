//! policy-eval: the AWS IAM policy language as Amazon S3 uses it.
//!
//! A pipeline of small typed stages: JSON text → [`Policy`] (validated and compiled, with
//! [`PolicyError`] naming the statement and element at fault) → [`evaluate`] against a [`Request`]
//! → [`Evaluation`], which [`Explanation`] turns into words. [`lint`] finds the mistakes that leak
//! data; [`scenario`] reads the JSON scenarios `s3keeper policy eval` takes.
//!
//! The semantics follow AWS's documentation, cited in each module; where AWS leaves room, the
//! choice is written where it is made. Ceph RGW 16.2's readings, where they differ, are an
//! explicit option ([`Dialect`]): of the parser ([`Policy::parse_in`]) and of the request
//! being decided ([`Request::set_dialect`]).

pub mod actions;
pub mod arn;
mod compile;
pub mod condition;
pub mod context;
mod decision;
pub mod dialect;
mod error;
mod eval;
mod json;
pub mod lint;
pub mod pattern;
pub mod principal;
pub mod scenario;

pub use compile::{
    is_known_s3_action, Effect, PatternSet, Policy, PolicyKind, PolicySet, PrincipalElement,
    Statement, Version, MAX_RESOURCE_POLICY_BYTES,
};
pub use context::{AccessPointRef, BucketRef, ContextValue, Request};
pub use decision::{
    CheckReport, Decision, Evaluation, Explanation, Miss, NamedStatement, NearMiss, PolicyRef,
    Reason, StatementRef, StatementTrace,
};
pub use dialect::Dialect;
pub use error::{ErrorKind, Location, PolicyError};
pub use eval::{evaluate, evaluate_traced};
pub use principal::{Principal, PrincipalKind, PrincipalMatch};

/// Decides `req` and explains the decision.
pub fn explain(req: &Request, policies: &PolicySet<'_>) -> Explanation {
    let (eval, trace) = evaluate_traced(req, policies);
    Explanation::new(req, policies, &eval, &trace)
}
