//! What an IAM call is authorized for: its action on its resource, the checks some operations
//! add (UpdateUser on the new name and path too, tagging at creation as `iam:Tag…`), and the
//! condition keys IAM sets (`aws:RequestTag/…`, `aws:TagKeys`, `aws:ResourceTag/…` and
//! `iam:ResourceTag/…`, `iam:PolicyARN`, `iam:PermissionsBoundary`)
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateUser.html>: "the requester must
//! have appropriate permissions on both the source object and the target object").

use policy_eval::ContextValue;

use super::params::Params;
use super::IamCtx;
use crate::error::AwsError;
use crate::identity::Tags;

/// One authorization an IAM call needs.
#[derive(Debug, Clone)]
pub struct Check {
    pub action: &'static str,
    pub resource: String,
    /// The account that owns the resource (another account's policy ARN is decided across
    /// accounts, where only that account's grants would let anyone in).
    pub owner: String,
}

/// The request's IAM condition keys.
pub type Keys = Vec<(String, ContextValue)>;

/// Operations whose new tags are decided as `iam:TagUser`/`iam:TagRole` too.
fn tag_action(op: &str) -> Option<&'static str> {
    match op {
        "CreateUser" => Some("iam:TagUser"),
        "CreateRole" => Some("iam:TagRole"),
        _ => None,
    }
}

/// The account a policy ARN belongs to, for operations that name one; `account` otherwise.
fn owner_of(resource: &str, account: &str) -> String {
    policy_eval::arn::Arn::parse(resource)
        .filter(|a| a.service == "iam" && a.resource.starts_with("policy/"))
        .map_or_else(|| account.to_owned(), |a| a.account.to_owned())
}

/// The checks `op` needs beyond its own action on `resource`.
pub fn extra_checks(
    ctx: &IamCtx<'_>,
    op: &str,
    account: &str,
    resource: &str,
) -> Result<Vec<Check>, AwsError> {
    let p = Params(ctx.params);
    let mut checks = Vec::new();
    if op == "UpdateUser" && (p.get("NewUserName").is_some() || p.get("NewPath").is_some()) {
        let iam = ctx.state.iam();
        let current = iam.user(account, p.required("UserName")?).ok();
        let name = p
            .get("NewUserName")
            .or(current.map(|u| u.name.as_str()))
            .unwrap_or_default();
        let path = match p.get("NewPath") {
            Some(path) => crate::identity::directory::check_path("newPath", path)?,
            None => current.map_or_else(|| "/".to_owned(), |u| u.path.clone()),
        };
        checks.push(Check {
            action: "iam:UpdateUser",
            resource: format!("arn:aws:iam::{account}:user{path}{name}"),
            owner: account.to_owned(),
        });
    }
    if let Some(action) = tag_action(op) {
        if !p.tags()?.is_empty() {
            checks.push(Check {
                action,
                resource: resource.to_owned(),
                owner: account.to_owned(),
            });
        }
    }
    Ok(checks)
}

/// The main check of `op`.
pub fn main_check(action: &'static str, account: &str, resource: &str) -> Check {
    Check {
        action,
        resource: resource.to_owned(),
        owner: owner_of(resource, account),
    }
}

fn tag_keys(prefixes: &[&str], tags: &Tags, keys: &mut Keys) {
    for (k, v) in tags {
        for prefix in prefixes {
            keys.push((format!("{prefix}{k}"), ContextValue::Single(v.clone())));
        }
    }
}

/// The condition keys of the call: the tags it writes or removes, the target's tags and
/// permissions boundary, the managed policy it attaches or detaches.
pub fn condition_keys(
    ctx: &IamCtx<'_>,
    op: &str,
    account: &str,
    resource: &str,
) -> Result<Keys, AwsError> {
    let p = Params(ctx.params);
    let mut keys = Keys::new();
    let request_tags = p.tags()?;
    if !request_tags.is_empty() {
        tag_keys(&["aws:RequestTag/"], &request_tags, &mut keys);
        keys.push((
            "aws:TagKeys".into(),
            ContextValue::Multi(request_tags.iter().map(|(k, _)| k.clone()).collect()),
        ));
    }
    if op == "UntagUser" || op == "UntagRole" {
        keys.push((
            "aws:TagKeys".into(),
            ContextValue::Multi(
                p.members("TagKeys")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            ),
        ));
    }
    // The user or role the call is on (its resource), as it is now.
    let iam = ctx.state.iam();
    let target = iam.accounts.get(account).and_then(|a| {
        a.users
            .values()
            .find(|u| u.arn == resource)
            .map(|u| (u.tags.clone(), u.boundary.clone()))
            .or_else(|| {
                a.roles
                    .values()
                    .find(|r| r.arn == resource)
                    .map(|r| (r.tags.clone(), r.boundary.clone()))
            })
    });
    let mut boundary = None;
    if let Some((tags, current)) = target {
        tag_keys(&["aws:ResourceTag/", "iam:ResourceTag/"], &tags, &mut keys);
        boundary = current;
    }
    if let Some(requested) = p.get("PermissionsBoundary") {
        boundary = Some(requested.to_owned());
    }
    if let Some(b) = boundary {
        keys.push(("iam:PermissionsBoundary".into(), ContextValue::Single(b)));
    }
    if op.starts_with("Attach") || op.starts_with("Detach") {
        if let Some(arn) = p.get("PolicyArn") {
            keys.push(("iam:PolicyARN".into(), ContextValue::Single(arn.to_owned())));
        }
    }
    Ok(keys)
}
