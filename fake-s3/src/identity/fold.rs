//! Folding what IAM stores into what decides: each user's and role's effective identity policies
//! (inline, attached managed policies' default versions and, for users, every group's) and its
//! permissions boundary, recomputed after every change so that the next request sees it
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).

use std::sync::Arc;

use policy_eval::Policy;

use super::entities::{Inline, Tags};
use super::{Account, Iam, Session, SessionSource};

fn inline_policies(inline: &Inline) -> impl Iterator<Item = Policy> + '_ {
    inline.values().map(|p| p.policy.clone())
}

fn managed_policies<'a>(
    account: &'a Account,
    attached: &'a [String],
) -> impl Iterator<Item = Policy> + 'a {
    attached
        .iter()
        .filter_map(|arn| account.managed.get(arn))
        .filter_map(|m| m.default_policy().cloned())
}

fn boundary_policy(account: &Account, boundary: Option<&String>) -> Option<Arc<Policy>> {
    // IAM refuses to delete a policy in use as a boundary, so the policy is always there.
    let policy = account.managed.get(boundary?)?.default_policy()?;
    Some(Arc::new(policy.clone()))
}

/// Whose effective policies a change may have changed.
#[derive(Debug, Clone)]
pub enum Changed<'a> {
    User(&'a str),
    /// Every member of the group.
    Group(&'a str),
    Role(&'a str),
    /// Every identity the managed policy is attached to or bounds, directly or through a group.
    Policy(&'a str),
}

impl<'a> Changed<'a> {
    /// The identity `name` of `kind`.
    pub fn of(kind: super::entities::Kind, name: &'a str) -> Self {
        match kind {
            super::entities::Kind::User => Changed::User(name),
            super::entities::Kind::Group => Changed::Group(name),
            super::entities::Kind::Role => Changed::Role(name),
        }
    }
}

type Folded = (Vec<Policy>, Option<Arc<Policy>>);

fn fold_user(acct: &Account, u: &super::User) -> Folded {
    let mut all: Vec<Policy> = inline_policies(&u.inline).collect();
    all.extend(managed_policies(acct, &u.attached));
    for g in acct.groups.values().filter(|g| g.members.contains(&u.name)) {
        all.extend(inline_policies(&g.inline));
        all.extend(managed_policies(acct, &g.attached));
    }
    (all, boundary_policy(acct, u.boundary.as_ref()))
}

fn fold_role(acct: &Account, r: &super::Role) -> Folded {
    let mut all: Vec<Policy> = inline_policies(&r.inline).collect();
    all.extend(managed_policies(acct, &r.attached));
    (all, boundary_policy(acct, r.boundary.as_ref()))
}

impl Iam {
    /// Recomputes the effective policies and boundaries of the users and roles of `account` that
    /// `changed` may concern, and only those: a suite making thousands of users pays for each
    /// change once, not once per user.
    pub fn refresh_changed(&mut self, account: &str, changed: Changed<'_>) {
        let Some(acct) = self.accounts.get(account) else {
            return;
        };
        let uses = |attached: &[String], boundary: Option<&String>, arn: &str| {
            attached.iter().any(|a| a == arn) || boundary.is_some_and(|b| b == arn)
        };
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let users: Vec<(String, Folded)> = acct
            .users
            .values()
            .filter(|u| match &changed {
                Changed::User(n) => same(&u.name, n),
                Changed::Group(g) => acct
                    .groups
                    .values()
                    .any(|grp| same(&grp.name, g) && grp.members.contains(&u.name)),
                Changed::Role(_) => false,
                Changed::Policy(arn) => {
                    uses(&u.attached, u.boundary.as_ref(), arn)
                        || acct.groups.values().any(|grp| {
                            grp.members.contains(&u.name) && uses(&grp.attached, None, arn)
                        })
                }
            })
            .map(|u| (u.name.clone(), fold_user(acct, u)))
            .collect();
        let roles: Vec<(String, Folded)> = acct
            .roles
            .values()
            .filter(|r| match &changed {
                Changed::Role(n) => same(&r.name, n),
                Changed::Policy(arn) => uses(&r.attached, r.boundary.as_ref(), arn),
                Changed::User(_) | Changed::Group(_) => false,
            })
            .map(|r| (r.name.clone(), fold_role(acct, r)))
            .collect();
        let Some(acct) = self.accounts.get_mut(account) else {
            return;
        };
        for (name, (policies, boundary)) in users {
            if let Some(u) = acct.users.get_mut(&name) {
                u.policies = Arc::new(policies);
                u.boundary_policy = boundary;
            }
        }
        for (name, (policies, boundary)) in roles {
            if let Some(r) = acct.roles.get_mut(&name) {
                r.policies = Arc::new(policies);
                r.boundary_policy = boundary;
            }
        }
    }

    /// A session's identity policies, boundary and principal tags as they are now: its role's or
    /// its user's (nothing when that identity is gone), else what it was issued with.
    pub(super) fn session_permissions(
        &self,
        s: &Session,
    ) -> (Arc<Vec<Policy>>, Option<Arc<Policy>>, Tags) {
        match &s.source {
            None => (Arc::clone(&s.policies), None, Vec::new()),
            Some(SessionSource::Role { account, role_id }) => self
                .accounts
                .get(account)
                .and_then(|a| a.roles.values().find(|r| &r.role_id == role_id))
                .map_or_else(
                    || (Arc::new(Vec::new()), None, Vec::new()),
                    |r| {
                        (
                            Arc::clone(&r.policies),
                            r.boundary_policy.clone(),
                            r.tags.clone(),
                        )
                    },
                ),
            Some(SessionSource::User { account, user_id }) => self
                .accounts
                .get(account)
                .and_then(|a| a.users.values().find(|u| &u.user_id == user_id))
                .map_or_else(
                    || (Arc::new(Vec::new()), None, Vec::new()),
                    |u| {
                        (
                            Arc::clone(&u.policies),
                            u.boundary_policy.clone(),
                            u.tags.clone(),
                        )
                    },
                ),
        }
    }
}
