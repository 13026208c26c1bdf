//! STS: GetCallerIdentity, AssumeRole (trust policy checked, session policy narrows) and
//! GetFederationToken (<https://docs.aws.amazon.com/STS/latest/APIReference/welcome.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>).

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use policy_eval::{Policy, PolicyKind, PolicySet, Request};
use time::format_description::well_known::Rfc3339;

use crate::auth::Authenticated;
use crate::error::AwsError;
use crate::identity::{KeyOwner, Role, Session, SessionSource};
use crate::response::Resp;
use crate::state::State;
use crate::xml::escape;

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The request's parameters, query and form together.
#[derive(Debug, Clone, Copy)]
struct Params<'a>(&'a [(String, String)]);

impl<'a> Params<'a> {
    fn get(self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn wrap(action: &str, result: &str, request_id: &str) -> Resp {
    Resp {
        status: StatusCode::OK,
        headers: vec![("content-type".into(), "text/xml".into())],
        body: Bytes::from(format!(
            "<{action}Response xmlns=\"{NS}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
        )),
    }
}

/// One STS request: its parameters (query and form) and, once authorized, the decision for the
/// journal.
#[derive(Debug)]
pub struct StsCtx<'a> {
    pub state: &'a State,
    pub auth: &'a Authenticated,
    pub params: &'a [(String, String)],
    pub request_id: &'a str,
    pub facts: crate::authz::RequestFacts,
    /// The authorization outcome, for the journal.
    pub decision: Option<(policy_eval::Decision, String)>,
    /// What the request was authorized for; a refusal soft enforcement waived.
    pub ledger: crate::enforcement::Ledger,
}

/// An STS request read and checked, ready to be decided.
#[derive(Debug)]
pub enum Prepared {
    CallerIdentity,
    AssumeRole(Box<RoleRequest>),
    FederationToken(FederationRequest),
}

/// AssumeRole's parameters, checked, and the role (which exists).
#[derive(Debug)]
pub struct RoleRequest {
    role: Role,
    account: String,
    session_name: String,
    secs: i64,
    session_policies: Vec<Policy>,
    policy_size: usize,
}

/// GetFederationToken's parameters, checked.
#[derive(Debug)]
pub struct FederationRequest {
    name: String,
    secs: i64,
    session_policies: Vec<Policy>,
}

impl crate::operation::Handler for StsCtx<'_> {
    type Prepared = Prepared;

    fn prepare(&mut self) -> Result<Prepared, AwsError> {
        let p = Params(self.params);
        if self.auth.caller.principal.is_anonymous() {
            return Err(AwsError::access_denied("STS requests must be signed"));
        }
        let action = p.get("Action").unwrap_or_default();
        // GetFederationToken's credentials may call no STS operation but GetCallerIdentity.
        let federated = matches!(
            self.auth.caller.principal.kind,
            policy_eval::PrincipalKind::FederatedUser { .. }
        );
        if federated && action != "GetCallerIdentity" {
            return Err(AwsError::access_denied(format!(
                "Federated users (GetFederationToken credentials) cannot call STS {action}"
            )));
        }
        match action {
            "GetCallerIdentity" => Ok(Prepared::CallerIdentity),
            "AssumeRole" => {
                prepare_assume_role(self.state, p).map(|r| Prepared::AssumeRole(Box::new(r)))
            }
            "GetFederationToken" => {
                prepare_federation_token(self.state, self.auth, p).map(Prepared::FederationToken)
            }
            "" => Err(AwsError::invalid_argument("the request has no Action")),
            other => Err(AwsError::not_implemented(format!(
                "the fake does not implement STS {other}"
            ))),
        }
    }

    fn names_version(_: &Prepared) -> bool {
        false
    }

    fn decide(&mut self, action: &'static str, p: &Prepared) -> Result<(), AwsError> {
        match p {
            Prepared::CallerIdentity => Ok(()),
            Prepared::AssumeRole(r) => {
                let (result, decision) = decide_assume_role(self, action, r);
                self.ledger.note(action, &r.role.arn, None);
                let waived = self.ledger.enforce(
                    self.state.enforcement,
                    (decision.0, &decision.1),
                    result.err(),
                );
                self.decision = Some(decision);
                waived
            }
            Prepared::FederationToken(f) => {
                let account = self.auth.caller.account().to_owned();
                let resource = format!("arn:aws:sts::{account}:federated-user/{}", f.name);
                self.ledger.note(action, &resource, None);
                let result = decide_federation_token(self, action, f);
                let decision = match &result {
                    Ok(()) => policy_eval::Decision::Allow,
                    Err(_) => policy_eval::Decision::ImplicitDeny,
                };
                self.ledger.enforce(
                    self.state.enforcement,
                    (
                        decision,
                        "no identity-based policy allows sts:GetFederationToken",
                    ),
                    result.err(),
                )
            }
        }
    }

    fn handle(&mut self, p: Prepared) -> Result<Resp, AwsError> {
        match p {
            Prepared::CallerIdentity => {
                let pr = &self.auth.caller.principal;
                Ok(wrap(
                    "GetCallerIdentity",
                    &format!(
                        "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
                        escape(&pr.arn),
                        escape(pr.userid.as_deref().unwrap_or_default()),
                        pr.account
                    ),
                    self.request_id,
                ))
            }
            Prepared::AssumeRole(r) => issue_role_session(self.state, *r, self.request_id),
            Prepared::FederationToken(f) => {
                issue_federation_token(self.state, self.auth, f, self.request_id)
            }
        }
    }
}

fn duration(p: Params<'_>, max: i64) -> Result<i64, AwsError> {
    match p.get("DurationSeconds") {
        None => Ok(3600.min(max)),
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (900..=max).contains(d))
            .ok_or_else(|| {
                AwsError::validation_error(format!("DurationSeconds must be between 900 and {max}"))
            }),
    }
}

/// The request's session policy, read in the session's Ceph tenant (`tenant`) as RGW reads a
/// tenant's policies ([`crate::tenant::read_in_tenant`]).
fn session_policy(p: Params<'_>, tenant: &str) -> Result<Vec<Policy>, AwsError> {
    match p.get("Policy") {
        None => Ok(Vec::new()),
        Some(text) => {
            if text.len() > 2048 {
                return Err(AwsError::validation_error(
                    "the session policy is larger than 2048 characters (PackedPolicyTooLarge)",
                ));
            }
            let mut policy = Policy::parse(text, PolicyKind::Session)
                .map_err(|e| AwsError::malformed_policy_document(e.to_string()))?;
            crate::tenant::read_in_tenant(&mut policy, tenant);
            Ok(vec![policy])
        }
    }
}

fn credentials_xml(c: &crate::identity::Credentials, expires: time::OffsetDateTime) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        c.access_key_id,
        c.secret_access_key,
        escape(c.session_token.as_deref().unwrap_or_default()),
        expires.format(&Rfc3339).unwrap_or_default()
    )
}

/// AssumeRole's checks before it is decided: the session name, the duration, the session policy,
/// and a role that exists (a missing role is refused as AWS refuses it, without saying so).
fn prepare_assume_role(state: &State, p: Params<'_>) -> Result<RoleRequest, AwsError> {
    let role_arn = p
        .get("RoleArn")
        .ok_or_else(|| AwsError::validation_error("RoleArn is required"))?;
    let session_name = p
        .get("RoleSessionName")
        .ok_or_else(|| AwsError::validation_error("RoleSessionName is required"))?;
    let name_ok = (2..=64).contains(&session_name.len())
        && session_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=,.@_-".contains(&b));
    if !name_ok {
        return Err(AwsError::validation_error(
            "RoleSessionName must be 2-64 characters of letters, digits and =,.@_-",
        ));
    }
    let secs = duration(p, 43_200)?;
    let role_account = policy_eval::arn::Arn::parse(role_arn).map_or("", |a| a.account);
    let session_policies = session_policy(p, state.iam().tenant_of(role_account))?;
    let role = {
        let iam = state.iam();
        iam.accounts
            .values()
            .flat_map(|a| a.roles.values())
            .find(|r| r.arn == role_arn)
            .cloned()
            .ok_or_else(|| {
                AwsError::access_denied(format!(
                    "Not authorized to perform sts:AssumeRole on {role_arn}"
                ))
            })?
    };
    if secs > role.max_session_duration {
        return Err(AwsError::validation_error(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let account = policy_eval::arn::Arn::parse(&role.arn)
        .map(|a| a.account.to_owned())
        .unwrap_or_default();
    Ok(RoleRequest {
        role,
        account,
        session_name: session_name.to_owned(),
        secs,
        session_policies,
        policy_size: p.get("Policy").map_or(0, str::len),
    })
}

/// The request's facts with the `sts:` keys its parameters carry.
fn sts_facts(ctx: &StsCtx<'_>) -> crate::authz::RequestFacts {
    let p = Params(ctx.params);
    let mut facts = ctx.facts.clone();
    if let Some(session) = p.get("RoleSessionName") {
        facts.keys.push(("sts:RoleSessionName", session.to_owned()));
    }
    if let Some(id) = p.get("ExternalId") {
        facts.keys.push(("sts:ExternalId", id.to_owned()));
    }
    facts
}

/// The trust policy is the role's resource policy; the caller's identity policies must also allow
/// `sts:AssumeRole` when the caller is in another account. Returns the outcome and the decision
/// for the journal.
fn decide_assume_role(
    ctx: &StsCtx<'_>,
    action: &str,
    r: &RoleRequest,
) -> (Result<(), AwsError>, (policy_eval::Decision, String)) {
    let auth = ctx.auth;
    let mut req = Request::for_resource(
        auth.caller.principal.clone(),
        action,
        &r.role.arn,
        &r.account,
    );
    crate::authz::add_request_keys(&mut req, auth, &sts_facts(ctx), ctx.state.now());
    let trust = r.role.trust_policy.as_ref();
    let policies = PolicySet {
        boundary: auth.caller.boundary.as_deref(),
        identity: &auth.caller.identity,
        session: &auth.caller.session,
        bucket: trust,
        access_point: None,
    };
    let explanation = policy_eval::explain(&req, &policies);
    // The trust policy must itself allow: an identity policy alone never lets anyone assume a
    // role, and a trust grant to the whole account still needs the identity policy (the
    // evaluator's same-account rule already requires that). The account root cannot assume roles.
    let trusted = explanation.checks.iter().any(|c| c.resource_policy_allows);
    let is_root = auth.caller.principal.kind == policy_eval::PrincipalKind::Root;
    let allowed = trust.is_some()
        && trusted
        && !is_root
        && explanation.decision == policy_eval::Decision::Allow;
    let decision = (explanation.decision, explanation.summary.clone());
    let result = if allowed {
        Ok(())
    } else {
        Err(AwsError::access_denied(format!(
            "User: {} is not authorized to perform: {action} on resource: {}",
            auth.caller.principal.arn, r.role.arn
        )))
    };
    (result, decision)
}

fn issue_role_session(state: &State, r: RoleRequest, request_id: &str) -> Result<Resp, AwsError> {
    let now = state.now();
    let expires = now + time::Duration::seconds(r.secs);
    let session_arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/{}",
        r.account, r.role.name, r.session_name
    );
    let userid = format!("{}:{}", r.role.role_id, r.session_name);
    let source = SessionSource::Role {
        account: r.account.clone(),
        role_id: r.role.role_id.clone(),
    };
    let creds = state.iam_mut().add_session(Session {
        arn: session_arn.clone(),
        account: r.account,
        userid: userid.clone(),
        role_arn: Some(r.role.arn.clone()),
        source: Some(source),
        policies: Arc::clone(&r.role.policies),
        session_policies: Arc::new(r.session_policies),
        issued: now,
        expires,
    });
    Ok(wrap(
        "AssumeRole",
        &format!(
            "{}<AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser><PackedPolicySize>{}</PackedPolicySize>",
            credentials_xml(&creds, expires),
            escape(&userid),
            escape(&session_arn),
            (r.policy_size * 100 / 2048).min(100)
        ),
        request_id,
    ))
}

/// GetFederationToken's checks before it is decided: the name, the duration, the session policy,
/// and long-term credentials (an IAM user's or the account root's).
fn prepare_federation_token(
    state: &State,
    auth: &Authenticated,
    p: Params<'_>,
) -> Result<FederationRequest, AwsError> {
    let name = p
        .get("Name")
        .ok_or_else(|| AwsError::validation_error("Name is required"))?;
    if !(2..=32).contains(&name.len())
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=,.@_-".contains(&b))
    {
        return Err(AwsError::validation_error(
            "Name must be 2-32 characters of letters, digits and =,.@_-",
        ));
    }
    let secs = duration(p, 129_600)?;
    let session_policies = session_policy(p, state.iam().tenant_of(auth.caller.account()))?;
    let is_root = auth.caller.principal.kind == policy_eval::PrincipalKind::Root;
    if (auth.caller.principal.username().is_none() && !is_root) || !auth.caller.session.is_empty() {
        return Err(AwsError::access_denied(
            "GetFederationToken needs long-term credentials (an IAM user's or the account root's)",
        ));
    }
    Ok(FederationRequest {
        name: name.to_owned(),
        secs,
        session_policies,
    })
}

/// The caller's identity policies must allow the federated user's ARN; the account root may
/// always ask.
fn decide_federation_token(
    ctx: &StsCtx<'_>,
    action: &str,
    f: &FederationRequest,
) -> Result<(), AwsError> {
    let auth = ctx.auth;
    let is_root = auth.caller.principal.kind == policy_eval::PrincipalKind::Root;
    let account = auth.caller.account().to_owned();
    let mut req = Request::for_resource(
        auth.caller.principal.clone(),
        action,
        &format!("arn:aws:sts::{account}:federated-user/{}", f.name),
        &account,
    );
    crate::authz::add_request_keys(&mut req, auth, &sts_facts(ctx), ctx.state.now());
    let verdict = policy_eval::evaluate(
        &req,
        &PolicySet {
            identity: &auth.caller.identity,
            boundary: auth.caller.boundary.as_deref(),
            ..PolicySet::default()
        },
    );
    if verdict.decision != policy_eval::Decision::Allow && !is_root {
        return Err(AwsError::access_denied(format!(
            "User: {} is not authorized to perform: {action}",
            auth.caller.principal.arn
        )));
    }
    Ok(())
}

fn issue_federation_token(
    state: &State,
    auth: &Authenticated,
    f: FederationRequest,
    request_id: &str,
) -> Result<Resp, AwsError> {
    let FederationRequest {
        name,
        secs,
        session_policies,
    } = f;
    let (account, policies, source) = {
        let iam = state.iam();
        let key = iam.key(auth_key(auth).as_str()).cloned();
        match key.map(|k| k.owner.clone()) {
            Some(KeyOwner::User {
                account,
                name: user,
            }) => {
                let found = iam.accounts.get(&account).and_then(|a| a.users.get(&user));
                let pol = found.map(|u| Arc::clone(&u.policies)).unwrap_or_default();
                let source = found.map(|u| SessionSource::User {
                    account: account.clone(),
                    user_id: u.user_id.clone(),
                });
                (account, pol, source)
            }
            // The root's federated users get whatever the session policy allows.
            Some(KeyOwner::Root { account }) => {
                let all = Policy::parse(
                    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
                    PolicyKind::Identity,
                )
                .map_err(|e| AwsError::internal_error(e.to_string()))?;
                (account, Arc::new(vec![all]), None)
            }
            _ => {
                return Err(AwsError::access_denied(
                    "GetFederationToken needs long-term credentials (an IAM user's or the account root's)",
                ))
            }
        }
    };
    let now = state.now();
    let expires = now + time::Duration::seconds(secs);
    let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
    let userid = format!("{account}:{name}");
    let creds = state.iam_mut().add_session(Session {
        arn: arn.clone(),
        account,
        userid: userid.clone(),
        role_arn: None,
        source,
        policies,
        // A federated user with no session policy has no permissions.
        session_policies: Arc::new(if session_policies.is_empty() {
            vec![Policy::parse(
                r#"{"Version": "2012-10-17", "Statement": []}"#,
                PolicyKind::Session,
            )
            .map_err(|e| AwsError::internal_error(e.to_string()))?]
        } else {
            session_policies
        }),
        issued: now,
        expires,
    });
    Ok(wrap(
        "GetFederationToken",
        &format!(
            "{}<FederatedUser><FederatedUserId>{}</FederatedUserId><Arn>{}</Arn></FederatedUser><PackedPolicySize>0</PackedPolicySize>",
            credentials_xml(&creds, expires),
            escape(&userid),
            escape(&arn)
        ),
        request_id,
    ))
}

fn auth_key(auth: &Authenticated) -> String {
    auth.access_key.clone().unwrap_or_default()
}
