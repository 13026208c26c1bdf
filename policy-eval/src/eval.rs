//! Deciding a request against identity, session, access-point and bucket policies
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html>).
//!
//! The order is fixed: an explicit Deny in any applicable policy wins; then each resource the
//! request touches is a *check* that must pass on its own: the bucket, and for a request through an
//! access point, the access point first. A check passes
//! - in the owner's own account, when an identity policy allows OR the resource policy allows the
//!   principal itself (an Allow for the whole account only delegates to identity policies);
//! - across accounts (and for anonymous callers), when identity policies AND the resource policy
//!   both allow.
//!
//! Choices made where AWS's pages leave room, each covered by the corpus:
//! - Through an access point, identity policies are matched against the access-point resource
//!   (`…:accesspoint/NAME[/object/KEY]`), which is how AWS tells IAM policies to name it; the
//!   bucket check reuses that identity result.
//! - The account root acts with every permission of its own account (identity side always allows);
//!   a resource-policy Deny still applies to it.
//! - Session policies narrow identity policies and resource-policy grants to the role or account,
//!   but not a grant naming the session's own ARN
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session>).
//! - Access points refuse anonymous requests and SigV2 (`s3:signatureversion` = `AWS`).
//! - A permissions boundary caps identity policies (and session policies' grants through them):
//!   an action must be allowed by both, and a Deny in the boundary is explicit. In the owner's
//!   account, a resource policy that names the user or the session exactly is not capped; one that
//!   names the role, the account or everyone is
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>).

use crate::compile::{Effect, Policy, PolicySet, Statement};
use crate::condition::CondOutcome;
use crate::context::Request;
use crate::decision::{
    CheckReport, Decision, Evaluation, Miss, PolicyRef, Reason, StatementRef, StatementTrace,
};
use crate::principal::{PrincipalKind, PrincipalMatch};

/// One resource a request must be allowed on: the access point, the bucket.
struct Gate<'a> {
    name: &'static str,
    owner: &'a str,
    /// The resource policy's strongest Allow, with how the principal matched.
    resource_allow: Option<(StatementRef, Option<PrincipalMatch>)>,
    has_policy: bool,
}

/// What one policy said about the request.
#[derive(Debug, Clone, Copy, Default)]
struct PolicyVerdict {
    deny: Option<usize>,
    /// The Allow whose principal match is strongest, and that match (`None` for identity policies).
    allow: Option<(usize, Option<PrincipalMatch>)>,
}

/// Why a statement did or did not apply.
fn check_statement(
    stmt: &Statement,
    req: &Request,
    resource: &str,
) -> Result<Option<PrincipalMatch>, Miss> {
    let action_hit = stmt
        .actions
        .patterns
        .iter()
        .any(|p| p.matches(req.action_lc(), |_| None).unwrap_or(false));
    if action_hit == stmt.actions.negated {
        return Err(Miss::Action);
    }
    if let Some(resources) = &stmt.resources {
        // Every entry is tried, even after a hit: an unresolvable variable anywhere in the list
        // makes the statement inapplicable, whatever the order of the list.
        let mut hit = false;
        for p in &resources.patterns {
            match p.matches(resource, |k| req.variable(k)) {
                Ok(h) => hit |= h,
                Err(u) => return Err(Miss::Unresolved { key: u.key }),
            }
        }
        if hit == resources.negated {
            return Err(Miss::Resource);
        }
    }
    let principal_match = match &stmt.principal {
        None => None,
        Some(el) if el.negated => {
            if el.set.lists_all_identities_of(&req.principal) {
                return Err(Miss::Principal);
            }
            Some(PrincipalMatch::Everyone)
        }
        Some(el) => match el.set.matches(&req.principal) {
            Some(m) => Some(m),
            None => return Err(Miss::Principal),
        },
    };
    for (i, cond) in stmt.conditions.iter().enumerate() {
        match cond.evaluate(req) {
            CondOutcome::True => {}
            CondOutcome::False => return Err(Miss::Condition { index: i }),
            CondOutcome::Unresolved(key) => return Err(Miss::Unresolved { key }),
        }
    }
    Ok(principal_match)
}

fn scan(
    policy: &Policy,
    which: PolicyRef,
    req: &Request,
    resource: &str,
    trace: &mut Option<&mut Vec<StatementTrace>>,
) -> PolicyVerdict {
    let mut v = PolicyVerdict::default();
    for stmt in &policy.statements {
        let result = check_statement(stmt, req, resource);
        if let Some(t) = trace.as_deref_mut() {
            t.push(StatementTrace {
                statement: StatementRef {
                    policy: which,
                    index: stmt.index,
                },
                effect: stmt.effect,
                resource: resource.to_owned(),
                outcome: result.clone(),
            });
        }
        let Ok(m) = result else { continue };
        match stmt.effect {
            Effect::Deny => {
                if v.deny.is_none() {
                    v.deny = Some(stmt.index);
                }
            }
            Effect::Allow => {
                if v.allow.is_none_or(|(_, best)| m > best) {
                    v.allow = Some((stmt.index, m));
                }
            }
        }
    }
    v
}

/// Decides `req`. Cheap: no explanation beyond the deciding statements.
pub fn evaluate(req: &Request, policies: &PolicySet<'_>) -> Evaluation {
    run(req, policies, None)
}

/// Decides `req` and records, for every statement, whether it applied and why not.
pub fn evaluate_traced(
    req: &Request,
    policies: &PolicySet<'_>,
) -> (Evaluation, Vec<StatementTrace>) {
    let mut trace = Vec::new();
    let eval = run(req, policies, Some(&mut trace));
    (eval, trace)
}

fn run(
    req: &Request,
    policies: &PolicySet<'_>,
    trace: Option<&mut Vec<StatementTrace>>,
) -> Evaluation {
    let mut trace = trace;
    let primary = req.access_point_resource().unwrap_or(req.bucket_resource());

    let mut identity_allow = None;
    let mut deny = None;
    for (i, p) in policies.identity.iter().enumerate() {
        let v = scan(p, PolicyRef::Identity(i), req, primary, &mut trace);
        if deny.is_none() {
            deny = v.deny.map(|s| StatementRef {
                policy: PolicyRef::Identity(i),
                index: s,
            });
        }
        if identity_allow.is_none() {
            identity_allow = v.allow.map(|(s, _)| StatementRef {
                policy: PolicyRef::Identity(i),
                index: s,
            });
        }
    }
    let mut session_allow = None;
    for (i, p) in policies.session.iter().enumerate() {
        let v = scan(p, PolicyRef::Session(i), req, primary, &mut trace);
        if deny.is_none() {
            deny = v.deny.map(|s| StatementRef {
                policy: PolicyRef::Session(i),
                index: s,
            });
        }
        if session_allow.is_none() {
            session_allow = v.allow.map(|(s, _)| StatementRef {
                policy: PolicyRef::Session(i),
                index: s,
            });
        }
    }
    let boundary = policies
        .boundary
        .map(|p| scan(p, PolicyRef::Boundary, req, primary, &mut trace));
    if deny.is_none() {
        deny = boundary.and_then(|v| v.deny).map(|s| StatementRef {
            policy: PolicyRef::Boundary,
            index: s,
        });
    }
    let boundary_allow = boundary.and_then(|v| v.allow).map(|(s, _)| StatementRef {
        policy: PolicyRef::Boundary,
        index: s,
    });
    let ap = match (policies.access_point, req.access_point_resource()) {
        (Some(p), Some(res)) => Some(scan(p, PolicyRef::AccessPoint, req, res, &mut trace)),
        _ => None,
    };
    let bucket = policies
        .bucket
        .map(|p| scan(p, PolicyRef::Bucket, req, req.bucket_resource(), &mut trace));
    if deny.is_none() {
        deny = ap
            .and_then(|v| v.deny)
            .map(|s| StatementRef {
                policy: PolicyRef::AccessPoint,
                index: s,
            })
            .or_else(|| {
                bucket.and_then(|v| v.deny).map(|s| StatementRef {
                    policy: PolicyRef::Bucket,
                    index: s,
                })
            });
    }
    if let Some(d) = deny {
        return Evaluation {
            decision: Decision::ExplicitDeny,
            reason: Reason::ExplicitDeny,
            deciding: vec![d],
            checks: Vec::new(),
        };
    }

    if req.access_point.is_some() {
        if req.principal.is_anonymous() {
            return implicit(Reason::AccessPointRefusesAnonymous);
        }
        let sigv2 = req
            .variable("s3:signatureversion")
            .is_some_and(|v| v.eq_ignore_ascii_case("AWS"));
        if sigv2 {
            return implicit(Reason::AccessPointRefusesSigV2);
        }
    }

    let p = &req.principal;
    let is_root = p.kind == PrincipalKind::Root;
    let has_identity = !matches!(
        p.kind,
        PrincipalKind::Anonymous | PrincipalKind::Service { .. }
    );
    let has_session = !policies.session.is_empty();
    let session_ok = !has_session || session_allow.is_some();
    let boundary_ok = policies.boundary.is_none() || boundary_allow.is_some();
    let identity_ok = (is_root || identity_allow.is_some()) && session_ok && boundary_ok;

    let mut checks = Vec::with_capacity(2);
    let mut gates = Vec::with_capacity(2);
    if let Some(ap_ref) = &req.access_point {
        gates.push(Gate {
            name: "access point",
            owner: &ap_ref.account,
            resource_allow: ap.and_then(|v| v.allow).map(|(s, m)| {
                (
                    StatementRef {
                        policy: PolicyRef::AccessPoint,
                        index: s,
                    },
                    m,
                )
            }),
            has_policy: policies.access_point.is_some(),
        });
    }
    gates.push(Gate {
        // A request on another service's resource (IAM, STS) is checked on that resource.
        name: if req.bucket_resource().starts_with("arn:aws:s3:") {
            "bucket"
        } else {
            "resource"
        },
        owner: &req.bucket.account,
        resource_allow: bucket.and_then(|v| v.allow).map(|(s, m)| {
            (
                StatementRef {
                    policy: PolicyRef::Bucket,
                    index: s,
                },
                m,
            )
        }),
        has_policy: policies.bucket.is_some(),
    });

    let mut deciding = Vec::new();
    let mut all_ok = true;
    for Gate {
        name,
        owner,
        resource_allow,
        has_policy,
    } in gates
    {
        let same_account = has_identity && !p.account.is_empty() && p.account == owner;
        let resource_grant = resource_allow.and_then(|(s, m)| {
            let m = m.unwrap_or(PrincipalMatch::Exact);
            // A grant to the whole account only delegates to the account's own identity policies.
            let counts_alone = !same_account || m != PrincipalMatch::Account || is_root;
            // Session policies limit every grant except one naming the session itself.
            let unlimited = !has_session || session_ok || m == PrincipalMatch::Exact;
            // A boundary caps every grant but one naming the user or the session itself.
            let within_boundary = boundary_ok || m == PrincipalMatch::Exact;
            (counts_alone && unlimited && within_boundary).then_some(s)
        });
        let ok = if same_account {
            identity_ok || resource_grant.is_some()
        } else {
            (identity_ok || !has_identity) && resource_grant.is_some()
        };
        if ok {
            if same_account && identity_ok {
                if let Some(s) = identity_allow {
                    push_unique(&mut deciding, s);
                }
                if let Some(s) = session_allow {
                    push_unique(&mut deciding, s);
                }
                if let Some(s) = boundary_allow {
                    push_unique(&mut deciding, s);
                }
            } else if let Some(s) = resource_grant {
                if has_identity && !same_account {
                    if let Some(s) = identity_allow {
                        push_unique(&mut deciding, s);
                    }
                }
                push_unique(&mut deciding, s);
            }
        }
        all_ok &= ok;
        checks.push(CheckReport {
            check: name,
            owner: owner.to_owned(),
            same_account,
            has_resource_policy: has_policy,
            identity_allows: has_identity.then_some(identity_ok),
            resource_policy_allows: resource_allow.is_some(),
            allowed: ok,
        });
    }
    Evaluation {
        decision: if all_ok {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        },
        reason: if all_ok {
            Reason::Allowed
        } else {
            Reason::NoAllow
        },
        deciding: if all_ok { deciding } else { Vec::new() },
        checks,
    }
}

fn push_unique(v: &mut Vec<StatementRef>, s: StatementRef) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn implicit(reason: Reason) -> Evaluation {
    Evaluation {
        decision: Decision::ImplicitDeny,
        reason,
        deciding: Vec::new(),
        checks: Vec::new(),
    }
}
