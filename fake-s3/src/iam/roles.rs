//! Roles through IAM's API: CreateRole with its trust policy, GetRole, ListRoles, DeleteRole,
//! UpdateRole and UpdateAssumeRolePolicy
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html>). Sessions of a role follow
//! its policies at once ([`crate::identity::SessionSource`]).

use super::params::Params;
use super::xml;
use super::IamCtx;
use crate::error::AwsError;
use crate::identity::policies::{read_document, TRUST_POLICY_SIZE};
use policy_eval::PolicyKind;

fn max_session(p: Params<'_>) -> Result<Option<i64>, AwsError> {
    p.get("MaxSessionDuration")
        .map(|v| {
            v.parse::<i64>().ok().filter(|s| (3600..=43_200).contains(s)).ok_or_else(|| {
                AwsError::validation_error(format!(
                    "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
                ))
            })
        })
        .transpose()
}

/// The role operations.
pub fn handle(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let now = ctx.state.now();
    match op {
        "CreateRole" => {
            let name = p.required("RoleName")?;
            let trust = p.required("AssumeRolePolicyDocument")?;
            trust_document(trust)?;
            let tags = p.tags()?;
            let secs = max_session(p)?;
            let boundary = p.get("PermissionsBoundary");
            let mut iam = ctx.state.iam_mut();
            if let Some(b) = boundary {
                iam.managed_policy(account, b)?;
            }
            iam.create_role(
                account,
                name,
                p.get("Path").unwrap_or("/"),
                trust,
                p.get("Description").unwrap_or_default(),
                secs,
                &tags,
                now,
            )?;
            if boundary.is_some() {
                iam.set_boundary(
                    account,
                    crate::identity::policies::Kind::Role,
                    name,
                    boundary,
                )?;
            }
            let role = iam.role(account, name)?;
            let trust = iam.show_principals(&role.trust_document);
            Ok(format!("<Role>{}</Role>", xml::role(role, &trust, true)))
        }
        "GetRole" => {
            let iam = ctx.state.iam();
            let role = iam.role(account, p.required("RoleName")?)?;
            let trust = iam.show_principals(&role.trust_document);
            Ok(format!("<Role>{}</Role>", xml::role(role, &trust, true)))
        }
        "ListRoles" => {
            let iam = ctx.state.iam();
            let prefix = p.path_prefix();
            let all: Vec<_> = iam
                .accounts
                .get(account)
                .map(|a| {
                    a.roles
                        .values()
                        .filter(|r| r.path.starts_with(prefix))
                        .collect()
                })
                .unwrap_or_default();
            p.listing(
                "Roles",
                all,
                |r| r.name.clone(),
                |r| xml::role(r, &iam.show_principals(&r.trust_document), false),
            )
        }
        "DeleteRole" => {
            ctx.state
                .iam_mut()
                .delete_role(account, p.required("RoleName")?)?;
            Ok(String::new())
        }
        "UpdateRole" => {
            let name = p.required("RoleName")?;
            let secs = max_session(p)?;
            let mut iam = ctx.state.iam_mut();
            iam.role(account, name)?;
            if let Some(secs) = secs {
                let real = iam.role(account, name)?.name.clone();
                iam.set_max_session_duration(account, &real, secs)?;
            }
            if let Some(d) = p.get("Description") {
                iam.set_role_description(account, name, d)?;
            }
            Ok(String::new())
        }
        _ => {
            let name = p.required("RoleName")?;
            let trust = p.required("PolicyDocument")?;
            trust_document(trust)?;
            ctx.state.iam_mut().set_trust_policy(account, name, trust)?;
            Ok(String::new())
        }
    }
}

/// A trust policy as CreateRole and UpdateAssumeRolePolicy read it.
fn trust_document(document: &str) -> Result<(), AwsError> {
    let stored = read_document(document, PolicyKind::Trust, "")?;
    if stored.size > TRUST_POLICY_SIZE {
        return Err(AwsError::limit_exceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}"
        )));
    }
    Ok(())
}
