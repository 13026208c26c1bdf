//! Each IAM operation: the resource it is authorized on and what it does
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html>).

use super::params::Params;
use super::xml::{self, wrap};
use super::{IamCtx, Prepared};
use crate::error::AwsError;
use crate::identity::policies::Kind;
use crate::identity::{Iam, KeyOwner};
use crate::response::Resp;

/// Operations that name a user (`UserName`), an optional one for those that default to the
/// caller.
const USER_OPS: &[&str] = &[
    "CreateUser",
    "GetUser",
    "UpdateUser",
    "DeleteUser",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "PutUserPolicy",
    "GetUserPolicy",
    "ListUserPolicies",
    "DeleteUserPolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "ListAttachedUserPolicies",
    "PutUserPermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "TagUser",
    "UntagUser",
    "ListUserTags",
    "ListGroupsForUser",
];

/// Operations whose `UserName` may be left out to mean the caller (an IAM user).
const CALLER_DEFAULT: &[&str] = &[
    "GetUser",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
];

/// The user an operation is about: `UserName`, or for [`CALLER_DEFAULT`] the caller's own.
fn user_name(ctx: &IamCtx<'_>, op: &str) -> Result<Option<String>, AwsError> {
    let p = Params(ctx.params);
    if let Some(name) = p.get("UserName") {
        return Ok(Some(name.to_owned()));
    }
    if !CALLER_DEFAULT.contains(&op) {
        return p.required("UserName").map(|n| Some(n.to_owned()));
    }
    let key = ctx.auth.access_key.as_deref().unwrap_or_default();
    match ctx.state.iam().key(key).map(|k| k.owner.clone()) {
        Some(KeyOwner::User { name, .. }) => Ok(Some(name)),
        // The account root itself (GetUser answers the root).
        Some(KeyOwner::Root { .. }) if op == "GetUser" => Ok(None),
        _ => Err(AwsError::validation_error(
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

fn arn_of(iam: &Iam, account: &str, kind: Kind, name: &str) -> String {
    let existing = match kind {
        Kind::User => iam.user(account, name).map(|u| u.arn.clone()).ok(),
        Kind::Group => iam.group(account, name).map(|g| g.arn.clone()).ok(),
        Kind::Role => iam.role(account, name).map(|r| r.arn.clone()).ok(),
    };
    existing.unwrap_or_else(|| format!("arn:aws:iam::{account}:{}/{name}", kind.noun()))
}

/// The resource `op` is authorized on: the user, group, role or policy with its path, or `*` for
/// the account-wide listings, which have no resource type.
pub fn resource(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let path = || {
        p.get("Path")
            .map(|path| crate::identity::directory::check_path("path", path))
            .transpose()
            .map(|o| o.unwrap_or_else(|| "/".into()))
    };
    if op == "CreateUser" || op == "CreateGroup" || op == "CreateRole" {
        let (kind, param) = match op {
            "CreateUser" => ("user", "UserName"),
            "CreateGroup" => ("group", "GroupName"),
            _ => ("role", "RoleName"),
        };
        return Ok(format!(
            "arn:aws:iam::{account}:{kind}{}{}",
            path()?,
            p.required(param)?
        ));
    }
    if op == "CreatePolicy" {
        return Ok(format!(
            "arn:aws:iam::{account}:policy{}{}",
            path()?,
            p.required("PolicyName")?
        ));
    }
    let iam = ctx.state.iam();
    if USER_OPS.contains(&op) {
        return Ok(match user_name(ctx, op)? {
            Some(name) => arn_of(&iam, account, Kind::User, &name),
            None => format!("arn:aws:iam::{account}:root"),
        });
    }
    if op.contains("Group") && !op.starts_with("List")
        || op == "ListGroupPolicies"
        || op == "ListAttachedGroupPolicies"
    {
        return Ok(arn_of(&iam, account, Kind::Group, p.required("GroupName")?));
    }
    if op.contains("Role") && op != "ListRoles" {
        return Ok(arn_of(&iam, account, Kind::Role, p.required("RoleName")?));
    }
    if op.contains("Polic") && op != "ListPolicies" {
        return Ok(p.required("PolicyArn")?.to_owned());
    }
    Ok("*".into())
}

fn inline_kind(op: &str) -> Option<(Kind, &'static str)> {
    if op.contains("User") {
        Some((Kind::User, "UserName"))
    } else if op.contains("Group") {
        Some((Kind::Group, "GroupName"))
    } else if op.contains("Role") {
        Some((Kind::Role, "RoleName"))
    } else {
        None
    }
}

/// Runs `p.operation`, once authorized.
pub fn handle(ctx: &mut IamCtx<'_>, p: &Prepared) -> Result<Resp, AwsError> {
    let op = p.operation.as_str();
    let account = p.account.as_str();
    let rid = ctx.request_id;
    let params = Params(ctx.params);
    let result = match op {
        "CreateUser" | "GetUser" | "ListUsers" | "UpdateUser" | "DeleteUser" => {
            users(ctx, op, account)?
        }
        "CreateAccessKey" | "ListAccessKeys" | "UpdateAccessKey" | "DeleteAccessKey" => {
            keys(ctx, op, account)?
        }
        "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy" | "GetUserPolicy"
        | "GetGroupPolicy" | "GetRolePolicy" | "ListUserPolicies" | "ListGroupPolicies"
        | "ListRolePolicies" | "DeleteUserPolicy" | "DeleteGroupPolicy" | "DeleteRolePolicy" => {
            inline(ctx, op, account)?
        }
        "AttachUserPolicy"
        | "AttachGroupPolicy"
        | "AttachRolePolicy"
        | "DetachUserPolicy"
        | "DetachGroupPolicy"
        | "DetachRolePolicy"
        | "ListAttachedUserPolicies"
        | "ListAttachedGroupPolicies"
        | "ListAttachedRolePolicies" => attachments(ctx, op, account)?,
        "CreatePolicy"
        | "GetPolicy"
        | "ListPolicies"
        | "DeletePolicy"
        | "CreatePolicyVersion"
        | "GetPolicyVersion"
        | "ListPolicyVersions"
        | "DeletePolicyVersion"
        | "SetDefaultPolicyVersion" => super::managed::handle(ctx, op, account)?,
        "CreateGroup"
        | "GetGroup"
        | "ListGroups"
        | "DeleteGroup"
        | "AddUserToGroup"
        | "RemoveUserFromGroup"
        | "ListGroupsForUser" => groups(ctx, op, account)?,
        "CreateRole"
        | "GetRole"
        | "ListRoles"
        | "DeleteRole"
        | "UpdateRole"
        | "UpdateAssumeRolePolicy" => super::roles::handle(ctx, op, account)?,
        "PutUserPermissionsBoundary"
        | "DeleteUserPermissionsBoundary"
        | "PutRolePermissionsBoundary"
        | "DeleteRolePermissionsBoundary" => {
            let (kind, param) = inline_kind(op).unwrap_or((Kind::User, "UserName"));
            let name = params.required(param)?;
            let arn = if op.starts_with("Put") {
                Some(params.required("PermissionsBoundary")?)
            } else {
                None
            };
            let mut iam = ctx.state.iam_mut();
            if arn.is_none() && kind == Kind::User {
                iam.user(account, name)?;
            }
            iam.set_boundary(account, kind, name, arn)?;
            String::new()
        }
        "TagUser" | "UntagUser" | "ListUserTags" | "TagRole" | "UntagRole" | "ListRoleTags" => {
            tagging(ctx, op, account)?
        }
        _ => {
            return Err(AwsError::not_implemented(format!(
                "the fake does not implement IAM {op}"
            )))
        }
    };
    Ok(wrap(op, &result, rid))
}

fn users(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let now = ctx.state.now();
    match op {
        "CreateUser" => {
            let name = p.required("UserName")?;
            let tags = p.tags()?;
            let boundary = p.get("PermissionsBoundary");
            let mut iam = ctx.state.iam_mut();
            if let Some(b) = boundary {
                iam.managed_policy(account, b)?;
            }
            iam.create_user(account, name, p.get("Path").unwrap_or("/"), &tags, now)?;
            if boundary.is_some() {
                iam.set_boundary(account, Kind::User, name, boundary)?;
            }
            let user = iam.user(account, name)?;
            Ok(format!("<User>{}</User>", xml::user(user, true)))
        }
        "GetUser" => {
            let iam = ctx.state.iam();
            match user_name(ctx, op)? {
                Some(name) => Ok(format!("<User>{}</User>", xml::user(iam.user(account, &name)?, true))),
                None => Ok(format!(
                    "<User><UserId>{account}</UserId><Arn>arn:aws:iam::{account}:root</Arn><CreateDate>{}</CreateDate></User>",
                    xml::date(now)
                )),
            }
        }
        "ListUsers" => {
            let iam = ctx.state.iam();
            let prefix = p.path_prefix();
            let all: Vec<_> = iam
                .accounts
                .get(account)
                .map(|a| {
                    a.users
                        .values()
                        .filter(|u| u.path.starts_with(prefix))
                        .collect()
                })
                .unwrap_or_default();
            p.listing("Users", all, |u| u.name.clone(), |u| xml::user(u, false))
        }
        "UpdateUser" => {
            let name = p.required("UserName")?;
            ctx.state.iam_mut().update_user(
                account,
                name,
                p.get("NewUserName"),
                p.get("NewPath"),
            )?;
            Ok(String::new())
        }
        _ => {
            ctx.state
                .iam_mut()
                .delete_user(account, p.required("UserName")?)?;
            Ok(String::new())
        }
    }
}

fn keys(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let name = user_name(ctx, op)?.unwrap_or_default();
    let metadata = |user: &str, id: &str, active: bool, created| {
        format!(
            "<UserName>{}</UserName><AccessKeyId>{id}</AccessKeyId><Status>{}</Status><CreateDate>{}</CreateDate>",
            crate::xml::escape(user),
            if active { "Active" } else { "Inactive" },
            xml::date(created)
        )
    };
    match op {
        "CreateAccessKey" => {
            let (user, creds, created) =
                ctx.state
                    .iam_mut()
                    .create_access_key(account, &name, ctx.state.now())?;
            Ok(format!(
                "<AccessKey>{}<SecretAccessKey>{}</SecretAccessKey></AccessKey>",
                metadata(&user, &creds.access_key_id, true, created),
                creds.secret_access_key
            ))
        }
        "ListAccessKeys" => {
            let iam = ctx.state.iam();
            let user = iam.user(account, &name)?.name.clone();
            let keys = iam.access_keys(account, &name)?;
            Ok(format!(
                "{}<UserName>{}</UserName>{}",
                xml::members(
                    "AccessKeyMetadata",
                    keys.iter()
                        .map(|(id, k)| metadata(&user, id, k.active, k.created))
                ),
                crate::xml::escape(&user),
                xml::truncation(None)
            ))
        }
        "UpdateAccessKey" => {
            let id = p.required("AccessKeyId")?;
            let active = match p.required("Status")? {
                "Active" => true,
                "Inactive" => false,
                other => {
                    return Err(AwsError::validation_error(format!(
                        "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
                    )))
                }
            };
            ctx.state
                .iam_mut()
                .update_access_key(account, &name, id, active)?;
            Ok(String::new())
        }
        _ => {
            let id = p.required("AccessKeyId")?;
            ctx.state.iam_mut().delete_access_key(account, &name, id)?;
            Ok(String::new())
        }
    }
}

fn inline(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let (kind, param) = inline_kind(op).unwrap_or((Kind::User, "UserName"));
    let name = p.required(param)?;
    if op.starts_with("Put") {
        let policy_name = p.required("PolicyName")?;
        let document = p.required("PolicyDocument")?;
        ctx.state
            .iam_mut()
            .put_inline(account, kind, name, policy_name, document)?;
        return Ok(String::new());
    }
    if op.starts_with("Delete") {
        ctx.state
            .iam_mut()
            .delete_inline(account, kind, name, p.required("PolicyName")?)?;
        return Ok(String::new());
    }
    let iam = ctx.state.iam();
    let real = match kind {
        Kind::User => iam.user(account, name)?.name.clone(),
        Kind::Group => iam.group(account, name)?.name.clone(),
        Kind::Role => iam.role(account, name)?.name.clone(),
    };
    if op.starts_with("Get") {
        let (policy_name, stored) =
            iam.inline_policy(account, kind, name, p.required("PolicyName")?)?;
        return Ok(format!(
            "<{param}>{}</{param}><PolicyName>{}</PolicyName><PolicyDocument>{}</PolicyDocument>",
            crate::xml::escape(&real),
            crate::xml::escape(policy_name),
            xml::document(&stored.document)
        ));
    }
    let names = iam.inline_names(account, kind, name)?;
    p.listing("PolicyNames", names, Clone::clone, |n| {
        crate::xml::escape(n)
    })
}

fn attachments(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let (kind, param) = inline_kind(op).unwrap_or((Kind::User, "UserName"));
    let name = p.required(param)?;
    if op.starts_with("Attach") {
        ctx.state
            .iam_mut()
            .attach(account, kind, name, p.required("PolicyArn")?)?;
        return Ok(String::new());
    }
    if op.starts_with("Detach") {
        ctx.state
            .iam_mut()
            .detach(account, kind, name, p.required("PolicyArn")?)?;
        return Ok(String::new());
    }
    let iam = ctx.state.iam();
    let prefix = p.path_prefix();
    let acct = iam.accounts.get(account);
    let attached: Vec<(String, String)> = iam
        .attached(account, kind, name)?
        .into_iter()
        .filter(|(_, arn)| {
            acct.and_then(|a| a.managed.get(arn))
                .is_some_and(|m| m.path.starts_with(prefix))
        })
        .collect();
    p.listing(
        "AttachedPolicies",
        attached,
        |(n, _)| n.clone(),
        |(n, arn)| {
            format!(
                "<PolicyName>{}</PolicyName><PolicyArn>{}</PolicyArn>",
                crate::xml::escape(n),
                crate::xml::escape(arn)
            )
        },
    )
}

fn groups(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let now = ctx.state.now();
    match op {
        "CreateGroup" => {
            let g = ctx.state.iam_mut().create_group(
                account,
                p.required("GroupName")?,
                p.get("Path").unwrap_or("/"),
                now,
            )?;
            Ok(format!("<Group>{}</Group>", xml::group(&g)))
        }
        "GetGroup" => {
            let iam = ctx.state.iam();
            let g = iam.group(account, p.required("GroupName")?)?;
            let members: Vec<_> = g
                .members
                .iter()
                .filter_map(|n| iam.user(account, n).ok())
                .collect();
            let users = p.listing(
                "Users",
                members,
                |u| u.name.clone(),
                |u| xml::user(u, false),
            )?;
            Ok(format!("<Group>{}</Group>{users}", xml::group(g)))
        }
        "ListGroups" | "ListGroupsForUser" => {
            let iam = ctx.state.iam();
            let prefix = p.path_prefix();
            let member = if op == "ListGroupsForUser" {
                Some(iam.user(account, p.required("UserName")?)?.name.clone())
            } else {
                None
            };
            let all: Vec<_> = iam
                .accounts
                .get(account)
                .map(|a| {
                    a.groups
                        .values()
                        .filter(|g| g.path.starts_with(prefix))
                        .filter(|g| member.as_ref().is_none_or(|m| g.members.contains(m)))
                        .collect()
                })
                .unwrap_or_default();
            p.listing("Groups", all, |g| g.name.clone(), |g| xml::group(g))
        }
        "DeleteGroup" => {
            ctx.state
                .iam_mut()
                .delete_group(account, p.required("GroupName")?)?;
            Ok(String::new())
        }
        "AddUserToGroup" => {
            ctx.state.iam_mut().add_user_to_group(
                account,
                p.required("GroupName")?,
                p.required("UserName")?,
            )?;
            Ok(String::new())
        }
        _ => {
            ctx.state.iam_mut().remove_user_from_group(
                account,
                p.required("GroupName")?,
                p.required("UserName")?,
            )?;
            Ok(String::new())
        }
    }
}

fn tagging(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let (kind, param) = inline_kind(op).unwrap_or((Kind::User, "UserName"));
    let name = p.required(param)?;
    if op.starts_with("Tag") {
        let tags = p.tags()?;
        ctx.state.iam_mut().tag(account, kind, name, &tags)?;
        return Ok(String::new());
    }
    if op.starts_with("Untag") {
        let keys: Vec<String> = p
            .members("TagKeys")
            .into_iter()
            .map(str::to_owned)
            .collect();
        ctx.state.iam_mut().untag(account, kind, name, &keys)?;
        return Ok(String::new());
    }
    let iam = ctx.state.iam();
    let tags = match kind {
        Kind::Role => iam.role(account, name)?.tags.clone(),
        _ => iam.user(account, name)?.tags.clone(),
    };
    Ok(format!("{}{}", xml::tags(&tags), xml::truncation(None)))
}
