//! Who makes a request, and the `Principal`/`NotPrincipal` sets a resource policy names
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>).
//!
//! A compiled principal set is a handful of hash sets, so a 500-member access-point policy is
//! decided with a few lookups instead of 500 string comparisons.

use std::collections::HashSet;

use crate::arn::{is_account_id, is_tenant_name, Arn};
use crate::dialect::Dialect;
use crate::error::{ErrorKind, PolicyError};
use crate::json::Json;

/// The identity behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// No credentials at all.
    Anonymous,
    /// The account's root user, `arn:aws:iam::ACCOUNT:root`.
    Root,
    /// An IAM user, `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    User { name: String },
    /// A role session, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    AssumedRole { role_arn: String, session: String },
    /// `arn:aws:sts::ACCOUNT:federated-user/NAME` (GetFederationToken).
    FederatedUser { name: String },
    /// An AWS service principal such as `logging.s3.amazonaws.com`.
    Service { name: String },
}

/// A request's principal, with the derived values condition keys need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The ARN as `aws:PrincipalArn` sees it (for a role session, the session ARN; see
    /// [`Principal::principal_arn`]). Empty for anonymous and service principals.
    pub arn: String,
    /// The owning account; empty for anonymous and service principals.
    pub account: String,
    /// `aws:userid`: `AIDA…` for users, `AROA…:SESSION` for role sessions, the account for root.
    pub userid: Option<String>,
    /// The canonical user id, when known (matches `CanonicalUser` principals).
    pub canonical_id: Option<String>,
    /// Other ARNs that name the same identity, such as the Ceph RGW form
    /// `arn:aws:iam:::user/NAME` of a user in the default tenant. A policy naming any of them
    /// names this principal.
    pub aliases: Vec<String>,
}

/// Why a principal description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised principal ARN `{0}`: expected an IAM user, role session, federated user or account root ARN")]
pub struct BadPrincipal(pub String);

impl Principal {
    /// No credentials.
    pub fn anonymous() -> Self {
        Principal {
            kind: PrincipalKind::Anonymous,
            arn: String::new(),
            account: String::new(),
            userid: Some("anonymous".to_owned()),
            canonical_id: None,
            aliases: Vec::new(),
        }
    }

    /// An AWS service principal.
    pub fn service(name: &str) -> Self {
        Principal {
            kind: PrincipalKind::Service {
                name: name.to_owned(),
            },
            arn: String::new(),
            account: String::new(),
            userid: None,
            canonical_id: None,
            aliases: Vec::new(),
        }
    }

    /// Reads an ARN as returned by `sts get-caller-identity`. A role session's role ARN is derived
    /// without a path unless `role_arn` gives it.
    pub fn from_arn(
        arn: &str,
        userid: Option<&str>,
        role_arn: Option<&str>,
    ) -> Result<Self, BadPrincipal> {
        let bad = || BadPrincipal(arn.to_owned());
        let parsed = Arn::parse(arn).ok_or_else(bad)?;
        let account = parsed.account.to_owned();
        let kind = match (parsed.service, parsed.resource.split_once('/')) {
            ("iam", None) if parsed.resource == "root" => PrincipalKind::Root,
            ("iam", Some(("user", rest))) if !rest.is_empty() => PrincipalKind::User {
                name: rest.rsplit('/').next().unwrap_or(rest).to_owned(),
            },
            ("sts", Some(("assumed-role", rest))) => {
                let (role, session) = rest.split_once('/').ok_or_else(bad)?;
                if role.is_empty() || session.is_empty() {
                    return Err(bad());
                }
                let role_arn = match role_arn {
                    Some(r) => r.to_owned(),
                    None => format!("arn:{}:iam::{account}:role/{role}", parsed.partition),
                };
                PrincipalKind::AssumedRole {
                    role_arn,
                    session: session.to_owned(),
                }
            }
            ("sts", Some(("federated-user", name))) if !name.is_empty() => {
                PrincipalKind::FederatedUser {
                    name: name.to_owned(),
                }
            }
            _ => return Err(bad()),
        };
        let userid = match (&kind, userid) {
            (_, Some(id)) => Some(id.to_owned()),
            (PrincipalKind::Root, None) => Some(account.clone()),
            (PrincipalKind::FederatedUser { name }, None) => Some(format!("{account}:{name}")),
            _ => None,
        };
        Ok(Principal {
            kind,
            arn: arn.to_owned(),
            account,
            userid,
            canonical_id: None,
            aliases: Vec::new(),
        })
    }

    /// `aws:PrincipalArn`: a role session reports its role's ARN.
    pub fn principal_arn(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::Anonymous | PrincipalKind::Service { .. } => None,
            PrincipalKind::AssumedRole { role_arn, .. } => Some(role_arn),
            _ => Some(&self.arn),
        }
    }

    /// `aws:username`: IAM users only.
    pub fn username(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::User { name } => Some(name),
            _ => None,
        }
    }

    /// Whether requests are authenticated at all.
    pub fn is_anonymous(&self) -> bool {
        self.kind == PrincipalKind::Anonymous
    }
}

/// How a principal matched a `Principal` element: it decides what a resource-policy Allow is
/// worth (an account match only delegates to the account's identity policies; a session policy
/// limits a role match but not a session match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Through the account (`"123456789012"` or `arn:aws:iam::123456789012:root`).
    Account,
    /// Through `"*"`.
    Everyone,
    /// Through the role's ARN or the role's unique id (every session of the role).
    Role,
    /// Through the exact identity: user ARN or id, session ARN, canonical or service name.
    Exact,
}

/// A compiled `Principal` element.
#[derive(Debug, Clone, Default)]
pub struct PrincipalSet {
    everyone: bool,
    accounts: HashSet<String>,
    arns: HashSet<String>,
    unique_ids: HashSet<String>,
    canonical: HashSet<String>,
    services: HashSet<String>,
    federated: HashSet<String>,
    /// Every principal as written, in order (for validation against existing identities).
    written: Vec<WrittenPrincipal>,
}

/// One principal entry as written in the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenPrincipal {
    /// `AWS`, `CanonicalUser`, `Service` or `Federated`.
    pub kind: String,
    pub value: String,
}

impl PrincipalSet {
    /// Reads the JSON of a `Principal` element.
    pub fn parse(value: &serde_json::Value) -> Result<Self, PolicyError> {
        PrincipalSet::parse_json_in(&Json::from_value(value), Dialect::Aws)
    }

    /// Reads the JSON of a `Principal` element as `dialect` reads it ([`crate::dialect`]).
    pub fn parse_in(value: &serde_json::Value, dialect: Dialect) -> Result<Self, PolicyError> {
        PrincipalSet::parse_json_in(&Json::from_value(value), dialect)
    }

    pub(crate) fn parse_json_in(value: &Json<'_>, dialect: Dialect) -> Result<Self, PolicyError> {
        let mut set = PrincipalSet::default();
        match value {
            Json::String(s) if s == "*" => {
                set.everyone = true;
                set.written.push(WrittenPrincipal {
                    kind: "AWS".into(),
                    value: "*".into(),
                });
            }
            Json::Object(map) => {
                if map.is_empty() {
                    return Err(invalid("the principal block is empty"));
                }
                for (kind, entries) in map.iter() {
                    for entry in string_list(entries)? {
                        set.add(kind, entry, dialect)?;
                    }
                }
            }
            _ => {
                return Err(invalid(
                    "expected `\"*\"` or an object such as `{\"AWS\": \"…\"}`",
                ))
            }
        }
        Ok(set)
    }

    fn add(&mut self, kind: &str, entry: &str, dialect: Dialect) -> Result<(), PolicyError> {
        let written = WrittenPrincipal {
            kind: kind.to_owned(),
            value: entry.to_owned(),
        };
        match kind {
            "AWS" if dialect == Dialect::CephRgw => self.add_rgw(entry)?,
            "AWS" => self.add_aws(entry)?,
            "CanonicalUser" => {
                if entry.is_empty() || entry.contains('*') {
                    return Err(invalid(format!("`{entry}` is not a canonical user id")));
                }
                self.canonical.insert(entry.to_owned());
            }
            "Service" => {
                if entry.is_empty() || entry.contains('*') {
                    return Err(invalid(format!("`{entry}` is not a service principal")));
                }
                self.services.insert(entry.to_ascii_lowercase());
            }
            "Federated" => {
                if entry.is_empty() || entry.contains('*') {
                    return Err(invalid(format!("`{entry}` is not a federated principal")));
                }
                self.federated.insert(entry.to_owned());
            }
            other => {
                return Err(invalid(format!(
                    "unknown principal type `{other}` (expected `AWS`, `CanonicalUser`, `Service` or `Federated`)"
                )))
            }
        }
        self.written.push(written);
        Ok(())
    }

    fn add_aws(&mut self, entry: &str) -> Result<(), PolicyError> {
        if entry == "*" {
            self.everyone = true;
            return Ok(());
        }
        if entry.contains('*') || entry.contains('?') {
            return Err(invalid(format!(
                "`{entry}` uses a wildcard; a principal is `*` or one exact identity"
            )));
        }
        if is_account_id(entry) {
            self.accounts.insert(entry.to_owned());
            return Ok(());
        }
        if is_unique_id(entry) {
            self.unique_ids.insert(entry.to_owned());
            return Ok(());
        }
        let arn = Arn::parse(entry).ok_or_else(|| {
            invalid(format!(
                "`{entry}` is not an account id, unique id or IAM/STS ARN"
            ))
        })?;
        // Ceph RGW writes `arn:aws:iam:::user/NAME` for its default tenant (an empty account) and
        // `arn:aws:iam::TENANT:user/NAME` for named tenants; on AWS such principals never exist,
        // which is where a server in AWS's dialect refuses them.
        let account_ok =
            is_account_id(arn.account) || arn.account.is_empty() || is_tenant_name(arn.account);
        let valid = account_ok
            && match (arn.service, arn.resource.split_once('/')) {
                ("iam", None) => arn.resource == "root" && !arn.account.is_empty(),
                ("iam", Some(("user" | "role", rest))) => !rest.is_empty(),
                ("sts", Some(("assumed-role", rest))) => rest
                    .split_once('/')
                    .is_some_and(|(r, s)| !r.is_empty() && !s.is_empty()),
                ("sts", Some(("federated-user", rest))) => !rest.is_empty(),
                _ => false,
            };
        if !valid || !arn.region.is_empty() {
            return Err(invalid(format!(
                "`{entry}` is not an IAM user, role or account root, nor an STS session ARN"
            )));
        }
        if arn.service == "iam" && arn.resource == "root" {
            self.accounts.insert(arn.account.to_owned());
        } else {
            self.arns.insert(entry.to_owned());
        }
        Ok(())
    }

    /// An `AWS` entry as Ceph RGW 16.2 reads it (`rgw::IAM::parse_principal`): `*`, a bare name
    /// without `:` or `/` is a tenant, and ARNs name users, roles and tenants (`…:root`) whose
    /// account field is the tenant. A 12-digit account is a tenant no identity belongs to (users
    /// of 12-digit accounts stand for the default tenant), so such an entry matches nobody.
    fn add_rgw(&mut self, entry: &str) -> Result<(), PolicyError> {
        if entry == "*" {
            self.everyone = true;
            return Ok(());
        }
        if !entry.contains([':', '/']) {
            if !is_account_id(entry) {
                self.accounts.insert(entry.to_owned());
            }
            return Ok(());
        }
        let arn = Arn::parse(entry).ok_or_else(|| {
            invalid(format!(
                "`{entry}` is not a tenant name or an IAM user, role or tenant ARN"
            ))
        })?;
        if is_account_id(arn.account) {
            // Checked for its form only: it names nobody.
            return PrincipalSet::default().add_aws(entry);
        }
        self.add_aws(entry)
    }

    /// How `p` matches, if it does.
    pub fn matches(&self, p: &Principal) -> Option<PrincipalMatch> {
        let mut best = None;
        let mut note = |m: PrincipalMatch| {
            if best.is_none_or(|b| m > b) {
                best = Some(m);
            }
        };
        if self.everyone {
            note(PrincipalMatch::Everyone);
        }
        match &p.kind {
            PrincipalKind::Anonymous => {}
            PrincipalKind::Service { name } => {
                if self.services.contains(&name.to_ascii_lowercase()) {
                    note(PrincipalMatch::Exact);
                }
            }
            kind => {
                if self.accounts.contains(&p.account) {
                    note(PrincipalMatch::Account);
                }
                if self.arns.contains(&p.arn) || p.aliases.iter().any(|a| self.arns.contains(a)) {
                    note(PrincipalMatch::Exact);
                }
                if let Some(id) = &p.userid {
                    match kind {
                        PrincipalKind::AssumedRole { .. } => {
                            let role_id = id.split(':').next().unwrap_or(id);
                            if self.unique_ids.contains(role_id) {
                                note(PrincipalMatch::Role);
                            }
                        }
                        PrincipalKind::Root => {}
                        _ => {
                            if self.unique_ids.contains(id) {
                                note(PrincipalMatch::Exact);
                            }
                        }
                    }
                }
                if let PrincipalKind::AssumedRole { role_arn, .. } = kind {
                    if self.arns.contains(role_arn) {
                        note(PrincipalMatch::Role);
                    }
                }
                if let PrincipalKind::FederatedUser { .. } = kind {
                    if self.federated.contains(&p.arn) {
                        note(PrincipalMatch::Exact);
                    }
                }
            }
        }
        if let Some(c) = &p.canonical_id {
            if self.canonical.contains(c) {
                note(PrincipalMatch::Exact);
            }
        }
        best
    }

    /// For `NotPrincipal`: whether the element lists *every* identity the request carries, which
    /// is what exempts it. AWS checks the account, the role and the session (or user) separately,
    /// so exempting `user/Bob` also needs his account listed, and a role session needs its
    /// account, role and session
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html>).
    pub fn lists_all_identities_of(&self, p: &Principal) -> bool {
        if self.everyone {
            return true;
        }
        let id_listed = |id: Option<&str>| id.is_some_and(|i| self.unique_ids.contains(i));
        let account = self.accounts.contains(&p.account);
        match &p.kind {
            PrincipalKind::Anonymous => false,
            PrincipalKind::Service { name } => self.services.contains(&name.to_ascii_lowercase()),
            PrincipalKind::Root => account,
            PrincipalKind::User { .. } => {
                account
                    && (self.arns.contains(&p.arn)
                        || p.aliases.iter().any(|a| self.arns.contains(a))
                        || id_listed(p.userid.as_deref()))
            }
            PrincipalKind::AssumedRole { role_arn, .. } => {
                let role_id = p.userid.as_deref().and_then(|u| u.split(':').next());
                account
                    && (self.arns.contains(role_arn) || id_listed(role_id))
                    && self.arns.contains(&p.arn)
            }
            PrincipalKind::FederatedUser { .. } => {
                account && (self.arns.contains(&p.arn) || self.federated.contains(&p.arn))
            }
        }
    }

    /// Whether the element is `*` (alone or among others).
    pub fn is_everyone(&self) -> bool {
        self.everyone
    }

    /// The entries as written, for checking that each names an existing identity.
    pub fn written(&self) -> &[WrittenPrincipal] {
        &self.written
    }

    /// How many entries the element lists.
    pub fn len(&self) -> usize {
        self.written.len()
    }

    /// Whether the element lists nothing.
    pub fn is_empty(&self) -> bool {
        self.written.is_empty()
    }
}

/// IAM unique ids: `AIDA…` (users), `AROA…` (roles), and the other four-letter prefixes, followed
/// by upper-case letters and digits (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids>).
pub fn is_unique_id(s: &str) -> bool {
    const PREFIXES: [&str; 6] = ["AIDA", "AROA", "AGPA", "ANPA", "ANVA", "AIPA"];
    s.len() >= 16
        && s.len() <= 128
        && PREFIXES.iter().any(|p| s.starts_with(p))
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn invalid(detail: impl Into<String>) -> PolicyError {
    PolicyError::new(ErrorKind::InvalidPrincipal, detail)
}

fn string_list<'v>(v: &'v Json<'_>) -> Result<Vec<&'v str>, PolicyError> {
    match v {
        Json::String(s) => Ok(vec![s.as_ref()]),
        Json::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .ok_or_else(|| invalid(format!("`{i}` is not a string")))
            })
            .collect(),
        other => Err(invalid(format!(
            "`{other}` is not a string or list of strings"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Principal {
        Principal::from_arn(
            "arn:aws:iam::111122223333:user/team/alice",
            Some("AIDAALICEEXAMPLE00001"),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn session() -> Principal {
        Principal::from_arn(
            "arn:aws:sts::111122223333:assumed-role/reader/s1",
            Some("AROAREADEREXAMPLE0001:s1"),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn set(v: serde_json::Value) -> PrincipalSet {
        PrincipalSet::parse(&v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn user_matches_by_arn_id_and_account() {
        let u = user();
        assert_eq!(u.username(), Some("alice"));
        assert_eq!(
            set(json!({"AWS": "arn:aws:iam::111122223333:user/team/alice"})).matches(&u),
            Some(PrincipalMatch::Exact)
        );
        assert_eq!(
            set(json!({"AWS": "AIDAALICEEXAMPLE00001"})).matches(&u),
            Some(PrincipalMatch::Exact)
        );
        assert_eq!(
            set(json!({"AWS": "111122223333"})).matches(&u),
            Some(PrincipalMatch::Account)
        );
        assert_eq!(
            set(json!({"AWS": "arn:aws:iam::111122223333:root"})).matches(&u),
            Some(PrincipalMatch::Account)
        );
        assert_eq!(set(json!({"AWS": "444455556666"})).matches(&u), None);
        assert_eq!(set(json!("*")).matches(&u), Some(PrincipalMatch::Everyone));
    }

    #[test]
    fn role_arn_matches_every_session_but_session_arn_only_its_own() {
        let s = session();
        assert_eq!(
            set(json!({"AWS": "arn:aws:iam::111122223333:role/reader"})).matches(&s),
            Some(PrincipalMatch::Role)
        );
        assert_eq!(
            set(json!({"AWS": "arn:aws:sts::111122223333:assumed-role/reader/s1"})).matches(&s),
            Some(PrincipalMatch::Exact)
        );
        assert_eq!(
            set(json!({"AWS": "arn:aws:sts::111122223333:assumed-role/reader/s2"})).matches(&s),
            None
        );
        assert_eq!(
            set(json!({"AWS": "AROAREADEREXAMPLE0001"})).matches(&s),
            Some(PrincipalMatch::Role)
        );
    }

    #[test]
    fn anonymous_matches_only_everyone() {
        let a = Principal::anonymous();
        assert_eq!(
            set(json!({"AWS": "*"})).matches(&a),
            Some(PrincipalMatch::Everyone)
        );
        assert_eq!(set(json!({"AWS": "111122223333"})).matches(&a), None);
    }

    #[test]
    fn rejects_partial_wildcards_and_junk() {
        for bad in [
            json!({"AWS": "arn:aws:iam::111122223333:user/*"}),
            json!({"AWS": "arn:aws:iam::*:root"}),
            json!({"AWS": "alice"}),
            json!({"AWS": "arn:aws:s3:::bucket"}),
            json!({"Bogus": "x"}),
            json!(["*"]),
            json!({}),
        ] {
            let err = PrincipalSet::parse(&bad).err();
            assert_eq!(
                err.map(|e| e.kind),
                Some(ErrorKind::InvalidPrincipal),
                "{bad}"
            );
        }
    }

    #[test]
    fn ceph_empty_account_form_is_accepted() {
        let p = Principal::from_arn("arn:aws:iam:::user/steward", None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            set(json!({"AWS": ["arn:aws:iam:::user/steward"]})).matches(&p),
            Some(PrincipalMatch::Exact)
        );
    }
}
