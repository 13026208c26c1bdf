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

impl Iam {
    /// Recomputes the effective policies and boundaries of every user and role of `account`.
    pub fn refresh(&mut self, account: &str) {
        let Some(acct) = self.accounts.get(account) else {
            return;
        };
        let users: Vec<(String, Vec<Policy>, Option<Arc<Policy>>)> = acct
            .users
            .values()
            .map(|u| {
                let mut all: Vec<Policy> = inline_policies(&u.inline).collect();
                all.extend(managed_policies(acct, &u.attached));
                for g in acct.groups.values().filter(|g| g.members.contains(&u.name)) {
                    all.extend(inline_policies(&g.inline));
                    all.extend(managed_policies(acct, &g.attached));
                }
                (
                    u.name.clone(),
                    all,
                    boundary_policy(acct, u.boundary.as_ref()),
                )
            })
            .collect();
        let roles: Vec<(String, Vec<Policy>, Option<Arc<Policy>>)> = acct
            .roles
            .values()
            .map(|r| {
                let mut all: Vec<Policy> = inline_policies(&r.inline).collect();
                all.extend(managed_policies(acct, &r.attached));
                (
                    r.name.clone(),
                    all,
                    boundary_policy(acct, r.boundary.as_ref()),
                )
            })
            .collect();
        let Some(acct) = self.accounts.get_mut(account) else {
            return;
        };
        for (name, policies, boundary) in users {
            if let Some(u) = acct.users.get_mut(&name) {
                u.policies = Arc::new(policies);
                u.boundary_policy = boundary;
            }
        }
        for (name, policies, boundary) in roles {
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
