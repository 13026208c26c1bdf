//! Users, groups, roles and access keys as IAM's API changes them, with IAM's errors and quotas
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>). Names are unique
//! without regard to case, as IAM's are. Every change ends with [`Iam::refresh_changed`], so it decides the
//! next request.

use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;

use super::entities::{Group, Tags};
use super::fold::Changed;
use super::{normalize_path, Account, Credentials, Iam, KeyEntry, KeyOwner, Role, User};
use crate::error::AwsError;

/// Access keys one user may hold, whatever their status.
pub const KEYS_PER_USER: usize = 2;
/// Groups one user may be in.
pub const GROUPS_PER_USER: usize = 10;
/// Tags on one user or role.
pub const TAGS_PER_IDENTITY: usize = 50;

/// The name in `map` equal to `name` without regard to case.
pub(super) fn find<'a, V>(map: &'a BTreeMap<String, V>, name: &str) -> Option<&'a str> {
    if map.contains_key(name) {
        return map.get_key_value(name).map(|(k, _)| k.as_str());
    }
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map(String::as_str)
}

pub(super) fn no_such(kind: &str, name: &str) -> AwsError {
    AwsError::no_such_entity(format!("The {kind} with name {name} cannot be found."))
}

/// Checks an IAM name: `[\w+=,.@-]`, 1 to `max` characters.
pub fn check_name(field: &str, name: &str, max: usize) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AwsError::validation_error(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and {max}"
        )))
    }
}

/// Checks an IAM path: `/`, or `/…/` of printable ASCII, at most 512 characters.
pub fn check_path(field: &str, path: &str) -> Result<String, AwsError> {
    let ok = path == "/"
        || (path.len() >= 3
            && path.len() <= 512
            && path.starts_with('/')
            && path.ends_with('/')
            && path.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if ok {
        Ok(normalize_path(path))
    } else {
        Err(AwsError::validation_error(format!(
            "1 validation error detected: Value '{path}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
        )))
    }
}

/// Checks tags to add beside `existing`: keys 1–128, values up to 256 characters, no `aws:`
/// prefix, at most [`TAGS_PER_IDENTITY`] in all; returns the merged set (a key given again
/// overwrites, without regard to case).
pub fn merge_tags(existing: &Tags, new: &[(String, String)]) -> Result<Tags, AwsError> {
    for (i, (k, _)) in new.iter().enumerate() {
        if new[..i].iter().any(|(o, _)| o.eq_ignore_ascii_case(k)) {
            return Err(AwsError::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    let mut out = existing.clone();
    for (k, v) in new {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(AwsError::validation_error(
                "tag keys have 1 to 128 characters and values at most 256",
            ));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(AwsError::invalid_input(
                "Tag keys starting with 'aws:' are reserved for AWS use.",
            ));
        }
        match out.iter_mut().find(|(ok, _)| ok.eq_ignore_ascii_case(k)) {
            Some(slot) => slot.1.clone_from(v),
            None => out.push((k.clone(), v.clone())),
        }
    }
    if out.len() > TAGS_PER_IDENTITY {
        return Err(AwsError::limit_exceeded(format!(
            "The number of tags has reached the maximum limit of {TAGS_PER_IDENTITY}."
        )));
    }
    Ok(out)
}

impl Iam {
    pub(super) fn account_of(&self, account: &str) -> Result<&Account, AwsError> {
        self.accounts.get(account).ok_or_else(|| {
            AwsError::no_such_entity(format!("The account {account} cannot be found."))
        })
    }

    pub(super) fn account_entry(&mut self, account: &str) -> Result<&mut Account, AwsError> {
        self.accounts.get_mut(account).ok_or_else(|| {
            AwsError::no_such_entity(format!("The account {account} cannot be found."))
        })
    }

    /// The user `name` of `account` (without regard to case).
    pub fn user(&self, account: &str, name: &str) -> Result<&User, AwsError> {
        let acct = self.account_of(account)?;
        find(&acct.users, name)
            .and_then(|k| acct.users.get(k))
            .ok_or_else(|| no_such("user", name))
    }

    pub(super) fn user_mut(&mut self, account: &str, name: &str) -> Result<&mut User, AwsError> {
        let acct = self.account_entry(account)?;
        let key = find(&acct.users, name)
            .map(str::to_owned)
            .ok_or_else(|| no_such("user", name))?;
        acct.users
            .get_mut(&key)
            .ok_or_else(|| no_such("user", name))
    }

    /// The group `name` of `account`.
    pub fn group(&self, account: &str, name: &str) -> Result<&Group, AwsError> {
        let acct = self.account_of(account)?;
        find(&acct.groups, name)
            .and_then(|k| acct.groups.get(k))
            .ok_or_else(|| no_such("group", name))
    }

    pub(super) fn group_mut(&mut self, account: &str, name: &str) -> Result<&mut Group, AwsError> {
        let acct = self.account_entry(account)?;
        let key = find(&acct.groups, name)
            .map(str::to_owned)
            .ok_or_else(|| no_such("group", name))?;
        acct.groups
            .get_mut(&key)
            .ok_or_else(|| no_such("group", name))
    }

    /// The role `name` of `account`.
    pub fn role(&self, account: &str, name: &str) -> Result<&Role, AwsError> {
        let acct = self.account_of(account)?;
        find(&acct.roles, name)
            .and_then(|k| acct.roles.get(k))
            .ok_or_else(|| no_such("role", name))
    }

    pub(super) fn role_mut(&mut self, account: &str, name: &str) -> Result<&mut Role, AwsError> {
        let acct = self.account_entry(account)?;
        let key = find(&acct.roles, name)
            .map(str::to_owned)
            .ok_or_else(|| no_such("role", name))?;
        acct.roles
            .get_mut(&key)
            .ok_or_else(|| no_such("role", name))
    }

    /// CreateUser.
    pub fn create_user(
        &mut self,
        account: &str,
        name: &str,
        path: &str,
        tags: &[(String, String)],
        now: OffsetDateTime,
    ) -> Result<User, AwsError> {
        check_name("userName", name, 64)?;
        let path = check_path("path", path)?;
        let tags = merge_tags(&Vec::new(), tags)?;
        if find(&self.account_of(account)?.users, name).is_some() {
            return Err(AwsError::entity_already_exists(format!(
                "User with name {name} already exists."
            )));
        }
        self.add_user(account, name, &path, None, &[])?;
        let user = self.user_mut(account, name)?;
        user.created = now;
        user.tags = tags;
        Ok(user.clone())
    }

    /// UpdateUser: a new name, a new path, or both; the id, keys and policies stay.
    pub fn update_user(
        &mut self,
        account: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), AwsError> {
        let current = self.user(account, name)?.name.clone();
        let new_path = new_path.map(|p| check_path("newPath", p)).transpose()?;
        if let Some(n) = new_name {
            check_name("newUserName", n, 64)?;
            let taken = find(&self.account_of(account)?.users, n);
            if taken.is_some_and(|t| t != current) {
                return Err(AwsError::entity_already_exists(format!(
                    "User with name {n} already exists."
                )));
            }
        }
        let acct = self.account_entry(account)?;
        let Some(mut user) = acct.users.remove(&current) else {
            return Err(no_such("user", name));
        };
        if let Some(n) = new_name {
            user.name = n.to_owned();
            for g in acct.groups.values_mut() {
                if g.members.remove(&current) {
                    g.members.insert(n.to_owned());
                }
            }
        }
        if let Some(p) = new_path {
            user.path = p;
        }
        user.arn = format!("arn:aws:iam::{account}:user{}{}", user.path, user.name);
        let (user_id, arn, renamed) = (user.user_id.clone(), user.arn.clone(), user.name.clone());
        acct.users.insert(renamed.clone(), user);
        self.by_unique_id.insert(user_id, arn);
        if renamed != current {
            let moved: Vec<String> = self
                .keys
                .iter()
                .filter(|(_, k)| matches!(&k.owner, KeyOwner::User { account: a, name: n } if a == account && *n == current))
                .map(|(id, _)| id.clone())
                .collect();
            for id in moved {
                if let Some(entry) = self.keys.get(&id) {
                    let mut e = KeyEntry::clone(entry);
                    e.owner = KeyOwner::User {
                        account: account.to_owned(),
                        name: renamed.clone(),
                    };
                    self.keys.insert(id, Arc::new(e));
                }
            }
        }
        self.refresh_changed(account, Changed::User(&renamed));
        Ok(())
    }

    /// DeleteUser: refused while the user has keys, policies or groups (IAM's DeleteConflict).
    pub fn delete_user(&mut self, account: &str, name: &str) -> Result<(), AwsError> {
        let user = self.user(account, name)?;
        let real = user.name.clone();
        let conflict = |what: &str| {
            Err(AwsError::delete_conflict(format!(
                "Cannot delete entity, must {what} first."
            )))
        };
        if !self.access_keys(account, &real)?.is_empty() {
            return conflict("delete access keys");
        }
        if !user.inline.is_empty() {
            return conflict("delete policies");
        }
        if !user.attached.is_empty() {
            return conflict("detach all policies");
        }
        let in_group = self
            .account_of(account)?
            .groups
            .values()
            .any(|g| g.members.contains(&real));
        if in_group {
            return conflict("remove users from group");
        }
        self.remove_user(account, &real)?;
        Ok(())
    }

    /// The access keys of user `name`, oldest first, whatever their status.
    pub fn access_keys(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Vec<(String, &KeyEntry)>, AwsError> {
        let real = &self.user(account, name)?.name;
        let mut keys: Vec<(String, &KeyEntry)> = self
            .keys
            .iter()
            .filter(|(_, k)| matches!(&k.owner, KeyOwner::User { account: a, name: n } if a == account && n == real))
            .map(|(id, k)| (id.clone(), k.as_ref()))
            .collect();
        keys.sort_by(|a, b| a.1.created.cmp(&b.1.created).then(a.0.cmp(&b.0)));
        Ok(keys)
    }

    /// CreateAccessKey: at most [`KEYS_PER_USER`], active at once.
    pub fn create_access_key(
        &mut self,
        account: &str,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<(String, Credentials, OffsetDateTime), AwsError> {
        let real = self.user(account, name)?.name.clone();
        if self.access_keys(account, &real)?.len() >= KEYS_PER_USER {
            return Err(AwsError::limit_exceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
            )));
        }
        let creds = self.mint_credentials("AKIA", false);
        let mut entry = KeyEntry::new(
            creds.secret_access_key.clone(),
            None,
            KeyOwner::User {
                account: account.to_owned(),
                name: real.clone(),
            },
        );
        entry.created = now;
        self.keys
            .insert(creds.access_key_id.clone(), Arc::new(entry));
        Ok((real, creds, now))
    }

    fn owned_key(&self, account: &str, name: &str, key_id: &str) -> Result<String, AwsError> {
        let real = self.user(account, name)?.name.clone();
        let owned = self.keys.get(key_id).is_some_and(
            |k| matches!(&k.owner, KeyOwner::User { account: a, name: n } if a == account && *n == real),
        );
        if owned {
            Ok(real)
        } else {
            Err(AwsError::no_such_entity(format!(
                "The Access Key with id {key_id} cannot be found."
            )))
        }
    }

    /// UpdateAccessKey: `Active` or `Inactive`; an inactive key is refused as unknown.
    pub fn update_access_key(
        &mut self,
        account: &str,
        name: &str,
        key_id: &str,
        active: bool,
    ) -> Result<(), AwsError> {
        self.owned_key(account, name, key_id)?;
        if let Some(entry) = self.keys.get(key_id) {
            let mut e = KeyEntry::clone(entry);
            e.active = active;
            self.keys.insert(key_id.to_owned(), Arc::new(e));
        }
        Ok(())
    }

    /// DeleteAccessKey.
    pub fn delete_access_key(
        &mut self,
        account: &str,
        name: &str,
        key_id: &str,
    ) -> Result<(), AwsError> {
        self.owned_key(account, name, key_id)?;
        self.keys.remove(key_id);
        Ok(())
    }

    /// CreateGroup.
    pub fn create_group(
        &mut self,
        account: &str,
        name: &str,
        path: &str,
        now: OffsetDateTime,
    ) -> Result<Group, AwsError> {
        check_name("groupName", name, 128)?;
        let path = check_path("path", path)?;
        if find(&self.account_of(account)?.groups, name).is_some() {
            return Err(AwsError::entity_already_exists(format!(
                "Group with name {name} already exists."
            )));
        }
        let group = Group {
            arn: format!("arn:aws:iam::{account}:group{path}{name}"),
            group_id: self.fresh_id("AGPA", &format!("group/{account}/{name}")),
            name: name.to_owned(),
            path,
            created: now,
            inline: BTreeMap::new(),
            attached: Vec::new(),
            members: Default::default(),
        };
        self.account_entry(account)?
            .groups
            .insert(name.to_owned(), group.clone());
        Ok(group)
    }

    /// DeleteGroup: refused while it has members or policies.
    pub fn delete_group(&mut self, account: &str, name: &str) -> Result<(), AwsError> {
        let group = self.group(account, name)?;
        let what = if !group.members.is_empty() {
            Some("remove users from group")
        } else if !group.inline.is_empty() {
            Some("delete policies")
        } else if !group.attached.is_empty() {
            Some("detach all policies")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(AwsError::delete_conflict(format!(
                "Cannot delete entity, must {what} first."
            )));
        }
        let real = group.name.clone();
        self.account_entry(account)?.groups.remove(&real);
        Ok(())
    }

    /// AddUserToGroup: at most [`GROUPS_PER_USER`] groups per user.
    pub fn add_user_to_group(
        &mut self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), AwsError> {
        let group_name = self.group(account, group)?.name.clone();
        let user_name = self.user(account, user)?.name.clone();
        let count = self
            .account_of(account)?
            .groups
            .values()
            .filter(|g| g.members.contains(&user_name) && g.name != group_name)
            .count();
        if count >= GROUPS_PER_USER {
            return Err(AwsError::limit_exceeded(format!(
                "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
            )));
        }
        self.group_mut(account, &group_name)?
            .members
            .insert(user_name);
        self.refresh_changed(account, Changed::User(user));
        Ok(())
    }

    /// RemoveUserFromGroup.
    pub fn remove_user_from_group(
        &mut self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), AwsError> {
        let user_name = self.user(account, user)?.name.clone();
        let removed = self.group_mut(account, group)?.members.remove(&user_name);
        if !removed {
            return Err(AwsError::no_such_entity(format!(
                "The user with name {user} cannot be found in group {group}."
            )));
        }
        self.refresh_changed(account, Changed::User(user));
        Ok(())
    }

    /// CreateRole (the trust policy already checked by the caller).
    #[allow(clippy::too_many_arguments)]
    pub fn create_role(
        &mut self,
        account: &str,
        name: &str,
        path: &str,
        trust: &str,
        description: &str,
        max_session: Option<i64>,
        tags: &[(String, String)],
        now: OffsetDateTime,
    ) -> Result<Role, AwsError> {
        check_name("roleName", name, 64)?;
        let path = check_path("path", path)?;
        let tags = merge_tags(&Vec::new(), tags)?;
        if find(&self.account_of(account)?.roles, name).is_some() {
            return Err(AwsError::entity_already_exists(format!(
                "Role with name {name} already exists."
            )));
        }
        self.add_role(account, name, &path, Some(trust), &[])?;
        if let Some(secs) = max_session {
            self.set_max_session_duration(account, name, secs)?;
        }
        let role = self.role_mut(account, name)?;
        role.created = now;
        role.description = description.to_owned();
        role.tags = tags;
        Ok(role.clone())
    }

    /// DeleteRole: refused while it has policies. Its sessions lose every permission at once.
    pub fn delete_role(&mut self, account: &str, name: &str) -> Result<(), AwsError> {
        let role = self.role(account, name)?;
        if !role.inline.is_empty() {
            return Err(AwsError::delete_conflict(
                "Cannot delete entity, must delete policies first.",
            ));
        }
        if !role.attached.is_empty() {
            return Err(AwsError::delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        let (real, id) = (role.name.clone(), role.role_id.clone());
        self.account_entry(account)?.roles.remove(&real);
        self.retired.insert(id.clone());
        self.by_unique_id.remove(&id);
        Ok(())
    }

    /// A fresh unique id with `prefix`, never one handed out before.
    pub(super) fn fresh_id(&mut self, prefix: &str, seed: &str) -> String {
        let id = self.unused_id(prefix, seed);
        self.retired.insert(id.clone());
        id
    }

    /// Tag{User,Role}: adds or overwrites tags.
    pub fn tag(
        &mut self,
        account: &str,
        kind: super::entities::Kind,
        name: &str,
        tags: &[(String, String)],
    ) -> Result<(), AwsError> {
        let slot = self.tags_mut(account, kind, name)?;
        *slot = merge_tags(slot, tags)?;
        self.refresh_changed(account, Changed::of(kind, name));
        Ok(())
    }

    /// Untag{User,Role}: removes the keys given (without regard to case).
    pub fn untag(
        &mut self,
        account: &str,
        kind: super::entities::Kind,
        name: &str,
        keys: &[String],
    ) -> Result<(), AwsError> {
        let slot = self.tags_mut(account, kind, name)?;
        slot.retain(|(k, _)| !keys.iter().any(|r| r.eq_ignore_ascii_case(k)));
        self.refresh_changed(account, Changed::of(kind, name));
        Ok(())
    }

    fn tags_mut(
        &mut self,
        account: &str,
        kind: super::entities::Kind,
        name: &str,
    ) -> Result<&mut Tags, AwsError> {
        use super::entities::Kind;
        match kind {
            Kind::User => Ok(&mut self.user_mut(account, name)?.tags),
            Kind::Role => Ok(&mut self.role_mut(account, name)?.tags),
            Kind::Group => Err(AwsError::invalid_input("groups have no tags")),
        }
    }

    /// UpdateRole's description.
    pub fn set_role_description(
        &mut self,
        account: &str,
        name: &str,
        description: &str,
    ) -> Result<(), AwsError> {
        self.role_mut(account, name)?.description = description.to_owned();
        Ok(())
    }

    /// UpdateAssumeRolePolicy (the document already checked by the caller).
    pub fn set_trust_policy(
        &mut self,
        account: &str,
        name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        let bound = self.bind_principals(document);
        let trust = policy_eval::Policy::parse(&bound, policy_eval::PolicyKind::Trust)
            .map_err(|e| AwsError::malformed_policy_document(e.to_string()))?;
        let role = self.role_mut(account, name)?;
        role.trust_policy = Some(trust);
        role.trust_document = bound;
        Ok(())
    }
}
