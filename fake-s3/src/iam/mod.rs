//! IAM's Query API (`Version=2010-05-08`, SigV4 service `iam`, on the same port as S3 and STS):
//! users, access keys, groups, roles, inline and managed policies, attachments, permissions
//! boundaries and tags (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html>).
//!
//! Every call is authorized like any other request, by the pipeline: the action `iam:NAME` on the
//! resource the Service Authorization Reference gives it
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html>):
//! the user, group, role or policy ARN with its path, or `*` for the account-wide listings. The
//! account root may do everything in its account; nobody acts on another account's IAM.
//! [`crate::identity`] keeps what the calls change.

mod authorize;
mod managed;
mod ops;
mod params;
mod roles;
mod xml;

use policy_eval::{PolicySet, Request};

use crate::auth::Authenticated;
use crate::error::AwsError;
use crate::response::Resp;
use crate::state::State;

pub use params::Params;

use crate::operation::iam_action as action_of;

/// One IAM request: its parameters (query and form) and, once authorized, the decision for the
/// journal.
#[derive(Debug)]
pub struct IamCtx<'a> {
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

/// An IAM request read and checked: the operation, the caller's account, the resource the action
/// is decided on, the checks some operations add, and the condition keys.
#[derive(Debug)]
pub struct Prepared {
    pub operation: String,
    pub account: String,
    pub resource: String,
    extra: Vec<authorize::Check>,
    keys: authorize::Keys,
}

impl crate::operation::Handler for IamCtx<'_> {
    type Prepared = Prepared;

    fn prepare(&mut self) -> Result<Prepared, AwsError> {
        if self.auth.caller.principal.is_anonymous() {
            return Err(AwsError::access_denied("IAM requests must be signed"));
        }
        let p = Params(self.params);
        let operation = p.get("Action").unwrap_or_default().to_owned();
        if operation.is_empty() {
            return Err(AwsError::invalid_input("the request has no Action"));
        }
        if action_of(&operation).is_none() {
            return Err(AwsError::invalid_input(format!(
                "Could not find operation {operation} for version 2010-05-08 (the fake does not serve it)"
            ))
            .with_code("InvalidAction"));
        }
        // GetFederationToken's credentials cannot call IAM (API_GetFederationToken).
        if matches!(
            self.auth.caller.principal.kind,
            policy_eval::PrincipalKind::FederatedUser { .. }
        ) {
            return Err(AwsError::access_denied(
                "Federated users (GetFederationToken credentials) cannot call IAM API operations",
            ));
        }
        let account = self.auth.caller.account().to_owned();
        let resource = ops::resource(self, &operation, &account)?;
        let extra = authorize::extra_checks(self, &operation, &account, &resource)?;
        let keys = authorize::condition_keys(self, &operation, &account, &resource)?;
        Ok(Prepared {
            operation,
            account,
            resource,
            extra,
            keys,
        })
    }

    fn names_version(_: &Prepared) -> bool {
        false
    }

    fn decide(&mut self, action: &'static str, p: &Prepared) -> Result<(), AwsError> {
        let main = authorize::main_check(action, &p.account, &p.resource);
        self.check(&main, &p.keys)?;
        for extra in &p.extra {
            self.check(extra, &p.keys)?;
        }
        Ok(())
    }

    fn handle(&mut self, p: Prepared) -> Result<Resp, AwsError> {
        ops::handle(self, &p)
    }
}

impl IamCtx<'_> {
    /// Decides one check with the caller's identity policies, session policies and boundary;
    /// the first refusal is the call's (waived under soft enforcement).
    fn check(&mut self, check: &authorize::Check, keys: &authorize::Keys) -> Result<(), AwsError> {
        let auth = self.auth;
        let mut req = Request::for_resource(
            auth.caller.principal.clone(),
            check.action,
            &check.resource,
            &check.owner,
        );
        crate::authz::add_request_keys(&mut req, auth, &self.facts, self.state.now());
        for (k, v) in keys {
            req.insert(k, v.clone());
        }
        let policies = PolicySet {
            identity: &auth.caller.identity,
            session: &auth.caller.session,
            boundary: auth.caller.boundary.as_deref(),
            ..PolicySet::default()
        };
        let explanation = policy_eval::explain(&req, &policies);
        let allowed = explanation.decision == policy_eval::Decision::Allow;
        let denial = match explanation.decision {
            policy_eval::Decision::ExplicitDeny => "with an explicit deny".to_owned(),
            _ => format!(
                "because no identity-based policy allows the {} action",
                check.action
            ),
        };
        self.ledger.note(check.action, &check.resource, None);
        let refusal = (!allowed).then(|| {
            AwsError::access_denied(format!(
                "User: {} is not authorized to perform: {} on resource: {} {denial}",
                auth.caller.principal.arn, check.action, check.resource
            ))
        });
        let waived = self.ledger.enforce(
            self.state.enforcement,
            (explanation.decision, &explanation.summary),
            refusal,
        );
        if self.decision.is_none() || !allowed {
            self.decision = Some((explanation.decision, explanation.summary));
        }
        waived
    }
}
