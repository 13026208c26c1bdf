//! What IAM stores beside users and roles: inline policies as written, groups and managed
//! policies with their versions (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html>).
//!
//! Decisions never read these directly: [`super::Iam::refresh_changed`] folds them into each user's and
//! role's effective identity policies after every change, so a request pays for one `Arc` clone.

use std::collections::{BTreeMap, BTreeSet};

use policy_eval::Policy;
use time::OffsetDateTime;

/// A policy document as it was written, and compiled.
#[derive(Debug, Clone)]
pub struct StoredPolicy {
    /// The JSON text as the caller sent it (IAM answers it back URL-encoded).
    pub document: String,
    pub policy: Policy,
    /// Characters other than white space: what IAM's size quotas count.
    pub size: usize,
}

/// Inline policies by name.
pub type Inline = BTreeMap<String, StoredPolicy>;

/// An IAM group.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub path: String,
    pub group_id: String,
    pub arn: String,
    pub created: OffsetDateTime,
    pub inline: Inline,
    /// ARNs of attached managed policies, in attachment order.
    pub attached: Vec<String>,
    /// Names of member users.
    pub members: BTreeSet<String>,
}

/// One version of a managed policy.
#[derive(Debug, Clone)]
pub struct PolicyVersion {
    /// `v1`, `v2`, … never reused within the policy.
    pub id: String,
    pub stored: StoredPolicy,
    pub created: OffsetDateTime,
}

/// A customer managed policy.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    pub policy_id: String,
    pub arn: String,
    pub description: String,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
    pub versions: Vec<PolicyVersion>,
    pub default_version: String,
    /// The number the next version takes.
    pub next_version: u32,
}

impl ManagedPolicy {
    /// The default version's compiled policy.
    pub fn default_policy(&self) -> Option<&Policy> {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| &v.stored.policy)
    }
}

/// Tags as IAM keeps them: keys unique without regard to case, in the order they were added.
pub type Tags = Vec<(String, String)>;

/// Characters other than white space, as IAM counts a policy's size.
pub fn non_whitespace_len(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Which kind of identity an inline policy, an attachment or a boundary is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    Role,
}

impl Kind {
    /// The aggregate size of one identity's inline policies (IAM's quotas).
    pub fn inline_quota(self) -> usize {
        match self {
            Kind::User => 2_048,
            Kind::Group => 5_120,
            Kind::Role => 10_240,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
        }
    }
}
