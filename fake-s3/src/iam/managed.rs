//! Customer managed policies and their versions through IAM's API
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html>).

use super::params::Params;
use super::xml;
use super::IamCtx;
use crate::error::AwsError;

fn version_xml(
    v: &crate::identity::entities::PolicyVersion,
    default: &str,
    with_document: bool,
) -> String {
    let document = if with_document {
        format!("<Document>{}</Document>", xml::document(&v.stored.document))
    } else {
        String::new()
    };
    format!(
        "{document}<VersionId>{}</VersionId><IsDefaultVersion>{}</IsDefaultVersion><CreateDate>{}</CreateDate>",
        v.id,
        v.id == default,
        xml::date(v.created)
    )
}

/// API_PolicyVersion's pattern for a version id: `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
fn valid_version_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix('v') else {
        return false;
    };
    let (number, suffix) = rest.split_once('.').unwrap_or((rest, ""));
    number.starts_with(|c: char| ('1'..='9').contains(&c))
        && number.bytes().all(|b| b.is_ascii_digit())
        && suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// CreatePolicy, GetPolicy, ListPolicies, DeletePolicy and the version operations.
pub fn handle(ctx: &IamCtx<'_>, op: &str, account: &str) -> Result<String, AwsError> {
    let p = Params(ctx.params);
    let now = ctx.state.now();
    match op {
        "CreatePolicy" => {
            let mut iam = ctx.state.iam_mut();
            let created = iam.create_policy(
                account,
                p.required("PolicyName")?,
                p.get("Path").unwrap_or("/"),
                p.required("PolicyDocument")?,
                p.get("Description").unwrap_or_default(),
                now,
            )?;
            Ok(format!(
                "<Policy>{}</Policy>",
                xml::policy(&created, 0, 0, false)
            ))
        }
        "GetPolicy" => {
            let iam = ctx.state.iam();
            let arn = p.required("PolicyArn")?;
            let policy = iam.managed_policy(account, arn)?;
            Ok(format!(
                "<Policy>{}</Policy>",
                xml::policy(
                    policy,
                    iam.attachment_count(account, arn),
                    iam.boundary_usage_count(account, arn),
                    true
                )
            ))
        }
        "ListPolicies" => {
            let iam = ctx.state.iam();
            let scope = p.get("Scope").unwrap_or("All");
            if !matches!(scope, "All" | "AWS" | "Local") {
                return Err(AwsError::validation_error(format!(
                    "1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
                )));
            }
            let only_attached = p.flag("OnlyAttached")?;
            let prefix = p.path_prefix();
            let all: Vec<_> = match iam.accounts.get(account) {
                // AWS managed policies are not served (docs/iam.md, "Operations served").
                Some(a) if scope != "AWS" => a
                    .managed
                    .values()
                    .filter(|m| m.path.starts_with(prefix))
                    .filter(|m| !only_attached || iam.attachment_count(account, &m.arn) > 0)
                    .collect(),
                _ => Vec::new(),
            };
            p.listing("Policies", all, |m| m.name.clone(), |m| {
                xml::policy(
                    m,
                    iam.attachment_count(account, &m.arn),
                    iam.boundary_usage_count(account, &m.arn),
                    false,
                )
            })
        }
        "DeletePolicy" => {
            ctx.state
                .iam_mut()
                .delete_policy(account, p.required("PolicyArn")?)?;
            Ok(String::new())
        }
        "CreatePolicyVersion" => {
            let arn = p.required("PolicyArn")?;
            let mut iam = ctx.state.iam_mut();
            let v = iam.create_policy_version(
                account,
                arn,
                p.required("PolicyDocument")?,
                p.flag("SetAsDefault")?,
                now,
            )?;
            let default = iam.managed_policy(account, arn)?.default_version.clone();
            Ok(format!(
                "<PolicyVersion>{}</PolicyVersion>",
                version_xml(&v, &default, false)
            ))
        }
        "GetPolicyVersion" | "DeletePolicyVersion" | "SetDefaultPolicyVersion"
            if !valid_version_id(p.required("VersionId")?) =>
        {
            Err(AwsError::validation_error(format!(
                "1 validation error detected: Value '{}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
                p.required("VersionId")?
            )))
        }
        "GetPolicyVersion" => {
            let iam = ctx.state.iam();
            let arn = p.required("PolicyArn")?;
            let v = iam.policy_version(account, arn, p.required("VersionId")?)?;
            let default = &iam.managed_policy(account, arn)?.default_version;
            Ok(format!(
                "<PolicyVersion>{}</PolicyVersion>",
                version_xml(v, default, true)
            ))
        }
        "ListPolicyVersions" => {
            let iam = ctx.state.iam();
            let policy = iam.managed_policy(account, p.required("PolicyArn")?)?;
            let mut versions: Vec<_> = policy.versions.iter().collect();
            versions.reverse();
            Ok(format!(
                "{}{}",
                xml::members(
                    "Versions",
                    versions
                        .iter()
                        .map(|v| version_xml(v, &policy.default_version, false))
                ),
                xml::truncation(None)
            ))
        }
        "DeletePolicyVersion" => {
            ctx.state.iam_mut().delete_policy_version(
                account,
                p.required("PolicyArn")?,
                p.required("VersionId")?,
            )?;
            Ok(String::new())
        }
        _ => {
            let arn = p.required("PolicyArn")?;
            let id = p.required("VersionId")?;
            ctx.state.iam_mut().set_default_version(account, arn, id)?;
            Ok(String::new())
        }
    }
}
