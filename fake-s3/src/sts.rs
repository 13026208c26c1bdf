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
use crate::identity::{KeyOwner, Session};
use crate::s3::Resp;
use crate::state::State;
use crate::xml::escape;

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Reads `application/x-www-form-urlencoded` pairs (`+` is a space).
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, AwsError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AwsError::invalid_argument("the form body is not UTF-8"))?;
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                crate::sigv4::percent_decode(&s.replace('+', " ")).ok_or_else(|| {
                    AwsError::invalid_argument("the form body is not valid percent-encoding")
                })
            };
            Ok((dec(k)?, dec(v)?))
        })
        .collect()
}

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

/// Handles one STS request; returns the action name and, for authorization decisions, a summary.
pub fn handle(
    state: &State,
    auth: &Authenticated,
    params: &[(String, String)],
    request_id: &str,
    facts: &crate::authz::RequestFacts,
) -> (
    String,
    Result<Resp, AwsError>,
    Option<(policy_eval::Decision, String)>,
) {
    let p = Params(params);
    let action = p.get("Action").unwrap_or_default().to_owned();
    if auth.caller.principal.is_anonymous() {
        return (
            action,
            Err(AwsError::access_denied("STS requests must be signed")),
            None,
        );
    }
    let mut decision = None;
    let result = match action.as_str() {
        "GetCallerIdentity" => {
            let pr = &auth.caller.principal;
            Ok(wrap(
                "GetCallerIdentity",
                &format!(
                    "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
                    escape(&pr.arn),
                    escape(pr.userid.as_deref().unwrap_or_default()),
                    pr.account
                ),
                request_id,
            ))
        }
        "AssumeRole" => assume_role(state, auth, p, request_id, facts, &mut decision),
        "GetFederationToken" => federation_token(state, auth, p, request_id, facts),
        "" => Err(AwsError::invalid_argument("the request has no Action")),
        other => Err(AwsError::not_implemented(format!(
            "the fake does not implement STS {other}"
        ))),
    };
    (action, result, decision)
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

fn assume_role(
    state: &State,
    auth: &Authenticated,
    p: Params<'_>,
    request_id: &str,
    facts: &crate::authz::RequestFacts,
    decision: &mut Option<(policy_eval::Decision, String)>,
) -> Result<Resp, AwsError> {
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
    // The trust policy is the role's resource policy; the caller's identity policies must also
    // allow sts:AssumeRole when the caller is in another account.
    let mut req = Request::for_resource(
        auth.caller.principal.clone(),
        "sts:AssumeRole",
        &role.arn,
        &account,
    );
    let mut facts = facts.clone();
    if let Some(session) = p.get("RoleSessionName") {
        facts.keys.push(("sts:RoleSessionName", session.to_owned()));
    }
    if let Some(id) = p.get("ExternalId") {
        facts.keys.push(("sts:ExternalId", id.to_owned()));
    }
    crate::authz::add_request_keys(&mut req, auth, &facts, state.now());
    let trust = role.trust_policy.as_ref();
    let policies = PolicySet {
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
    *decision = Some((explanation.decision, explanation.summary.clone()));
    if !allowed {
        return Err(AwsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            auth.caller.principal.arn
        )));
    }
    let now = state.now();
    let expires = now + time::Duration::seconds(secs);
    let session_arn = format!(
        "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
        role.name
    );
    let userid = format!("{}:{session_name}", role.role_id);
    let creds = state.iam_mut().add_session(Session {
        arn: session_arn.clone(),
        account,
        userid: userid.clone(),
        role_arn: Some(role.arn.clone()),
        policies: Arc::clone(&role.policies),
        session_policies: Arc::new(session_policies),
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
            p.get("Policy").map_or(0, |t| (t.len() * 100 / 2048).min(100))
        ),
        request_id,
    ))
}

fn federation_token(
    state: &State,
    auth: &Authenticated,
    p: Params<'_>,
    request_id: &str,
    facts: &crate::authz::RequestFacts,
) -> Result<Resp, AwsError> {
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
    let account = auth.caller.account().to_owned();
    let mut req = Request::for_resource(
        auth.caller.principal.clone(),
        "sts:GetFederationToken",
        &format!("arn:aws:sts::{account}:federated-user/{name}"),
        &account,
    );
    let mut facts = facts.clone();
    if let Some(session) = p.get("RoleSessionName") {
        facts.keys.push(("sts:RoleSessionName", session.to_owned()));
    }
    if let Some(id) = p.get("ExternalId") {
        facts.keys.push(("sts:ExternalId", id.to_owned()));
    }
    crate::authz::add_request_keys(&mut req, auth, &facts, state.now());
    let verdict = policy_eval::evaluate(
        &req,
        &PolicySet {
            identity: &auth.caller.identity,
            ..PolicySet::default()
        },
    );
    if verdict.decision != policy_eval::Decision::Allow && !is_root {
        return Err(AwsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:GetFederationToken",
            auth.caller.principal.arn
        )));
    }
    let (account, policies) = {
        let iam = state.iam();
        let key = iam.key(auth_key(auth).as_str()).cloned();
        match key.map(|k| k.owner.clone()) {
            Some(KeyOwner::User {
                account,
                name: user,
            }) => {
                let pol = iam
                    .accounts
                    .get(&account)
                    .and_then(|a| a.users.get(&user))
                    .map(|u| Arc::clone(&u.policies))
                    .unwrap_or_default();
                (account, pol)
            }
            // The root's federated users get whatever the session policy allows.
            Some(KeyOwner::Root { account }) => {
                let all = Policy::parse(
                    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
                    PolicyKind::Identity,
                )
                .map_err(|e| AwsError::internal_error(e.to_string()))?;
                (account, Arc::new(vec![all]))
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
