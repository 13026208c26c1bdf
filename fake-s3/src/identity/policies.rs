//! Identity policies as IAM's API changes them: inline policies of users, groups and roles,
//! customer managed policies and their versions, attachments and permissions boundaries
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>), with IAM's
//! quotas (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>).

use policy_eval::{Policy, PolicyKind};
use time::OffsetDateTime;

use super::directory::{check_name, check_path, find};
pub use super::entities::Kind;
use super::entities::{non_whitespace_len, Inline, ManagedPolicy, PolicyVersion, StoredPolicy};
use super::fold::Changed;
use super::Iam;
use crate::error::AwsError;

/// Managed policies attached to one user, group or role.
pub const ATTACHED_PER_IDENTITY: usize = 10;
/// Versions one managed policy keeps.
pub const VERSIONS_PER_POLICY: usize = 5;
/// A managed policy's largest document, in characters other than white space.
pub const MANAGED_POLICY_SIZE: usize = 6_144;
/// A role trust policy's largest document.
pub const TRUST_POLICY_SIZE: usize = 2_048;

/// Reads a policy document as IAM does: JSON of the grammar, `kind`, MalformedPolicyDocument
/// otherwise.
pub fn read_document(text: &str, kind: PolicyKind, tenant: &str) -> Result<StoredPolicy, AwsError> {
    let mut policy = Policy::parse(text, kind)
        .map_err(|e| AwsError::malformed_policy_document(e.to_string()))?;
    crate::tenant::read_in_tenant(&mut policy, tenant);
    Ok(StoredPolicy {
        document: text.to_owned(),
        size: non_whitespace_len(text),
        policy,
    })
}

impl Iam {
    fn inline_of(&self, account: &str, kind: Kind, name: &str) -> Result<&Inline, AwsError> {
        Ok(match kind {
            Kind::User => &self.user(account, name)?.inline,
            Kind::Group => &self.group(account, name)?.inline,
            Kind::Role => &self.role(account, name)?.inline,
        })
    }

    fn inline_of_mut(
        &mut self,
        account: &str,
        kind: Kind,
        name: &str,
    ) -> Result<&mut Inline, AwsError> {
        Ok(match kind {
            Kind::User => &mut self.user_mut(account, name)?.inline,
            Kind::Group => &mut self.group_mut(account, name)?.inline,
            Kind::Role => &mut self.role_mut(account, name)?.inline,
        })
    }

    fn attached_of(&self, account: &str, kind: Kind, name: &str) -> Result<&Vec<String>, AwsError> {
        Ok(match kind {
            Kind::User => &self.user(account, name)?.attached,
            Kind::Group => &self.group(account, name)?.attached,
            Kind::Role => &self.role(account, name)?.attached,
        })
    }

    fn attached_of_mut(
        &mut self,
        account: &str,
        kind: Kind,
        name: &str,
    ) -> Result<&mut Vec<String>, AwsError> {
        Ok(match kind {
            Kind::User => &mut self.user_mut(account, name)?.attached,
            Kind::Group => &mut self.group_mut(account, name)?.attached,
            Kind::Role => &mut self.role_mut(account, name)?.attached,
        })
    }

    /// Put{User,Group,Role}Policy: adds or replaces an inline policy within the identity's
    /// aggregate quota.
    pub fn put_inline(
        &mut self,
        account: &str,
        kind: Kind,
        name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        check_name("policyName", policy_name, 128)?;
        let inline = self.inline_of(account, kind, name)?;
        let stored = read_document(document, PolicyKind::Identity, self.tenant_of(account))?;
        let others: usize = inline
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(policy_name))
            .map(|(_, p)| p.size)
            .sum();
        if others + stored.size > kind.inline_quota() {
            return Err(AwsError::limit_exceeded(format!(
                "Maximum policy size of {} bytes exceeded for {} {name}",
                kind.inline_quota(),
                kind.noun()
            )));
        }
        let existing = find(inline, policy_name).map(str::to_owned);
        let inline = self.inline_of_mut(account, kind, name)?;
        inline.insert(existing.unwrap_or_else(|| policy_name.to_owned()), stored);
        self.refresh_changed(account, Changed::of(kind, name));
        Ok(())
    }

    /// Get{User,Group,Role}Policy: the policy's name as stored and its document.
    pub fn inline_policy(
        &self,
        account: &str,
        kind: Kind,
        name: &str,
        policy_name: &str,
    ) -> Result<(&str, &StoredPolicy), AwsError> {
        let inline = self.inline_of(account, kind, name)?;
        find(inline, policy_name)
            .and_then(|k| inline.get_key_value(k))
            .map(|(k, v)| (k.as_str(), v))
            .ok_or_else(|| {
                AwsError::no_such_entity(format!(
                    "The {} policy with name {policy_name} cannot be found.",
                    kind.noun()
                ))
            })
    }

    /// List{User,Group,Role}Policies.
    pub fn inline_names(
        &self,
        account: &str,
        kind: Kind,
        name: &str,
    ) -> Result<Vec<String>, AwsError> {
        Ok(self
            .inline_of(account, kind, name)?
            .keys()
            .cloned()
            .collect())
    }

    /// Delete{User,Group,Role}Policy.
    pub fn delete_inline(
        &mut self,
        account: &str,
        kind: Kind,
        name: &str,
        policy_name: &str,
    ) -> Result<(), AwsError> {
        let real = self
            .inline_policy(account, kind, name, policy_name)?
            .0
            .to_owned();
        self.inline_of_mut(account, kind, name)?.remove(&real);
        self.refresh_changed(account, Changed::of(kind, name));
        Ok(())
    }

    /// CreatePolicy: version `v1`, the default.
    pub fn create_policy(
        &mut self,
        account: &str,
        name: &str,
        path: &str,
        document: &str,
        description: &str,
        now: OffsetDateTime,
    ) -> Result<ManagedPolicy, AwsError> {
        check_name("policyName", name, 128)?;
        let path = check_path("path", path)?;
        let stored = self.read_managed(account, document)?;
        let acct = self.account_of(account)?;
        if acct
            .managed
            .values()
            .any(|m| m.name.eq_ignore_ascii_case(name))
        {
            return Err(AwsError::entity_already_exists(format!(
                "A policy called {name} already exists. Duplicate names are not allowed."
            )));
        }
        let arn = format!("arn:aws:iam::{account}:policy{path}{name}");
        let policy = ManagedPolicy {
            policy_id: self.fresh_id("ANPA", &format!("policy/{account}/{name}")),
            arn: arn.clone(),
            name: name.to_owned(),
            path,
            description: description.to_owned(),
            created: now,
            updated: now,
            versions: vec![PolicyVersion {
                id: "v1".into(),
                stored,
                created: now,
            }],
            default_version: "v1".into(),
            next_version: 2,
        };
        self.account_entry(account)?
            .managed
            .insert(arn, policy.clone());
        Ok(policy)
    }

    fn read_managed(&self, account: &str, document: &str) -> Result<StoredPolicy, AwsError> {
        let stored = read_document(document, PolicyKind::Identity, self.tenant_of(account))?;
        if stored.size > MANAGED_POLICY_SIZE {
            return Err(AwsError::limit_exceeded(format!(
                "Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}"
            )));
        }
        Ok(stored)
    }

    /// The managed policy `arn` (customer managed, in `account`).
    pub fn managed_policy(&self, account: &str, arn: &str) -> Result<&ManagedPolicy, AwsError> {
        check_policy_arn(arn)?;
        self.account_of(account)?.managed.get(arn).ok_or_else(|| {
            AwsError::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
        })
    }

    fn managed_mut(&mut self, account: &str, arn: &str) -> Result<&mut ManagedPolicy, AwsError> {
        self.managed_policy(account, arn)?;
        self.account_entry(account)?
            .managed
            .get_mut(arn)
            .ok_or_else(|| {
                AwsError::no_such_entity(format!(
                    "Policy {arn} does not exist or is not attachable."
                ))
            })
    }

    /// How many users, groups and roles have `arn` attached.
    pub fn attachment_count(&self, account: &str, arn: &str) -> usize {
        let Some(acct) = self.accounts.get(account) else {
            return 0;
        };
        let has = |v: &Vec<String>| v.iter().any(|a| a == arn);
        acct.users.values().filter(|u| has(&u.attached)).count()
            + acct.groups.values().filter(|g| has(&g.attached)).count()
            + acct.roles.values().filter(|r| has(&r.attached)).count()
    }

    /// How many users and roles have `arn` as their permissions boundary.
    pub fn boundary_usage_count(&self, account: &str, arn: &str) -> usize {
        let Some(acct) = self.accounts.get(account) else {
            return 0;
        };
        let is = |b: &Option<String>| b.as_deref() == Some(arn);
        acct.users.values().filter(|u| is(&u.boundary)).count()
            + acct.roles.values().filter(|r| is(&r.boundary)).count()
    }

    /// DeletePolicy: refused while attached, in use as a boundary, or with versions other than
    /// the default.
    pub fn delete_policy(&mut self, account: &str, arn: &str) -> Result<(), AwsError> {
        let policy = self.managed_policy(account, arn)?;
        if self.attachment_count(account, arn) > 0 {
            return Err(AwsError::delete_conflict(
                "Cannot delete a policy attached to entities.",
            ));
        }
        if self.boundary_usage_count(account, arn) > 0 {
            return Err(AwsError::delete_conflict(
                "Cannot delete a policy in use as a permissions boundary.",
            ));
        }
        if policy.versions.len() > 1 {
            return Err(AwsError::delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            ));
        }
        self.account_entry(account)?.managed.remove(arn);
        Ok(())
    }

    /// CreatePolicyVersion: at most [`VERSIONS_PER_POLICY`]; optionally the new default.
    pub fn create_policy_version(
        &mut self,
        account: &str,
        arn: &str,
        document: &str,
        set_default: bool,
        now: OffsetDateTime,
    ) -> Result<PolicyVersion, AwsError> {
        let stored = self.read_managed(account, document)?;
        let policy = self.managed_mut(account, arn)?;
        if policy.versions.len() >= VERSIONS_PER_POLICY {
            return Err(AwsError::limit_exceeded(format!(
                "A managed policy can have up to {VERSIONS_PER_POLICY} versions. Before you create a new version, you must delete an existing version."
            )));
        }
        let version = PolicyVersion {
            id: format!("v{}", policy.next_version),
            stored,
            created: now,
        };
        policy.next_version += 1;
        policy.versions.push(version.clone());
        if set_default {
            policy.default_version.clone_from(&version.id);
        }
        policy.updated = now;
        self.refresh_changed(account, Changed::Policy(arn));
        Ok(version)
    }

    /// The version `id` of `arn`.
    pub fn policy_version(
        &self,
        account: &str,
        arn: &str,
        id: &str,
    ) -> Result<&PolicyVersion, AwsError> {
        self.managed_policy(account, arn)?
            .versions
            .iter()
            .find(|v| v.id == id)
            .ok_or_else(|| {
                AwsError::no_such_entity(format!(
                    "Policy {arn} version {id} does not exist or is not attachable."
                ))
            })
    }

    /// SetDefaultPolicyVersion.
    pub fn set_default_version(
        &mut self,
        account: &str,
        arn: &str,
        id: &str,
    ) -> Result<(), AwsError> {
        self.policy_version(account, arn, id)?;
        let policy = self.managed_mut(account, arn)?;
        policy.default_version = id.to_owned();
        self.refresh_changed(account, Changed::Policy(arn));
        Ok(())
    }

    /// DeletePolicyVersion: never the default.
    pub fn delete_policy_version(
        &mut self,
        account: &str,
        arn: &str,
        id: &str,
    ) -> Result<(), AwsError> {
        self.policy_version(account, arn, id)?;
        let policy = self.managed_mut(account, arn)?;
        if policy.default_version == id {
            return Err(AwsError::delete_conflict(
                "Cannot delete the default version of a policy.",
            ));
        }
        policy.versions.retain(|v| v.id != id);
        Ok(())
    }

    /// Attach{User,Group,Role}Policy: at most [`ATTACHED_PER_IDENTITY`]; attaching again is a
    /// no-op, as in IAM.
    pub fn attach(
        &mut self,
        account: &str,
        kind: Kind,
        name: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        self.attached_of(account, kind, name)?;
        self.managed_policy(account, arn)?;
        let attached = self.attached_of_mut(account, kind, name)?;
        if attached.iter().any(|a| a == arn) {
            return Ok(());
        }
        if attached.len() >= ATTACHED_PER_IDENTITY {
            return Err(AwsError::limit_exceeded(format!(
                "Cannot exceed quota for PoliciesPerUser: {ATTACHED_PER_IDENTITY}"
            )));
        }
        attached.push(arn.to_owned());
        self.refresh_changed(account, Changed::of(kind, name));
        Ok(())
    }

    /// Detach{User,Group,Role}Policy.
    pub fn detach(
        &mut self,
        account: &str,
        kind: Kind,
        name: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        check_policy_arn(arn)?;
        let attached = self.attached_of_mut(account, kind, name)?;
        let before = attached.len();
        attached.retain(|a| a != arn);
        if attached.len() == before {
            return Err(AwsError::no_such_entity(format!(
                "Policy {arn} was not found."
            )));
        }
        self.refresh_changed(account, Changed::of(kind, name));
        Ok(())
    }

    /// ListAttached{User,Group,Role}Policies: (name, ARN) pairs.
    pub fn attached(
        &self,
        account: &str,
        kind: Kind,
        name: &str,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let acct = self.account_of(account)?;
        Ok(self
            .attached_of(account, kind, name)?
            .iter()
            .map(|arn| {
                let name = acct
                    .managed
                    .get(arn)
                    .map(|m| m.name.clone())
                    .unwrap_or_default();
                (name, arn.clone())
            })
            .collect())
    }

    /// Put{User,Role}PermissionsBoundary (`Some`) and Delete…PermissionsBoundary (`None`).
    pub fn set_boundary(
        &mut self,
        account: &str,
        kind: Kind,
        name: &str,
        arn: Option<&str>,
    ) -> Result<(), AwsError> {
        if let Some(arn) = arn {
            self.managed_policy(account, arn)?;
        }
        let slot = match kind {
            Kind::User => &mut self.user_mut(account, name)?.boundary,
            Kind::Role => &mut self.role_mut(account, name)?.boundary,
            Kind::Group => {
                return Err(AwsError::invalid_input(
                    "groups have no permissions boundary",
                ))
            }
        };
        *slot = arn.map(str::to_owned);
        self.refresh_changed(account, Changed::of(kind, name));
        Ok(())
    }
}

/// A policy ARN IAM can read: `arn:aws:iam::ACCOUNT:policy/…`.
fn check_policy_arn(arn: &str) -> Result<(), AwsError> {
    let ok = policy_eval::arn::Arn::parse(arn)
        .is_some_and(|a| a.service == "iam" && a.resource.starts_with("policy/"));
    if ok {
        Ok(())
    } else {
        Err(AwsError::invalid_input(format!("ARN {arn} is not valid.")))
    }
}
