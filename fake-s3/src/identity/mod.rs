//! IAM as the fake needs it: accounts, users, roles, access keys, identity policies, STS sessions
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html>).
//!
//! Unique ids (`AIDA…`, `AROA…`) and canonical ids are derived from names with SHA-256, so the same
//! configuration always yields the same ids.
//!
//! Owners: S3 names whoever owns a bucket or object by a canonical user id. On AWS that is the
//! account's (every identity of an account owns as the account). In the Ceph dialect a user owns
//! as itself, under its RGW user id (`NAME` in the default tenant, `TENANT$NAME` in a named one),
//! shown with the display name `NAME`, as RGW 16.2 shows its users; roots and role sessions,
//! which RGW does not have, own as their account (its 64-hex canonical id).

pub mod directory;
pub mod entities;
mod fold;

use fold::Changed;
pub mod policies;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use entities::{Group, ManagedPolicy, StoredPolicy, Tags};

use policy_eval::{Policy, PolicyKind, Principal};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::AwsError;

/// An IAM user.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub path: String,
    pub user_id: String,
    pub arn: String,
    pub created: OffsetDateTime,
    /// Inline policies by name (a configuration's `policies` are named `config-1`, `config-2`, …).
    pub inline: entities::Inline,
    /// ARNs of attached managed policies, in attachment order.
    pub attached: Vec<String>,
    /// The managed policy that caps this user's identity policies, if any.
    pub boundary: Option<String>,
    pub tags: Tags,
    /// What decides: inline, attached, and every group's, folded by [`Iam::refresh_changed`].
    pub policies: Arc<Vec<Policy>>,
    /// The permissions boundary's default version, folded by [`Iam::refresh_changed`].
    pub boundary_policy: Option<Arc<Policy>>,
}

/// An IAM role.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub role_id: String,
    pub arn: String,
    pub trust_policy: Option<Policy>,
    /// The trust policy as written.
    pub trust_document: String,
    pub description: String,
    pub created: OffsetDateTime,
    pub inline: entities::Inline,
    pub attached: Vec<String>,
    pub boundary: Option<String>,
    pub tags: Tags,
    /// What decides for the role's sessions, folded by [`Iam::refresh_changed`].
    pub policies: Arc<Vec<Policy>>,
    pub boundary_policy: Option<Arc<Policy>>,
    /// The longest session AssumeRole may grant, in seconds (AWS default: 3600).
    pub max_session_duration: i64,
}

/// An AWS account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub canonical_id: String,
    pub users: BTreeMap<String, User>,
    pub roles: BTreeMap<String, Role>,
    pub groups: BTreeMap<String, Group>,
    /// Customer managed policies by ARN.
    pub managed: BTreeMap<String, ManagedPolicy>,
    /// The root user (`arn:aws:iam::ID:root`), read once: every request signed with a root key
    /// names it (`None` if the id does not read as one, which [`Iam::caller`] then reports).
    pub root: Option<Arc<Principal>>,
}

/// Who an access key belongs to.
#[derive(Debug, Clone)]
pub enum KeyOwner {
    Root { account: String },
    User { account: String, name: String },
    Session(Arc<Session>),
}

/// Temporary credentials from STS.
#[derive(Debug, Clone)]
pub struct Session {
    /// `arn:aws:sts::ACCT:assumed-role/ROLE/NAME` or `…:federated-user/NAME`.
    pub arn: String,
    pub account: String,
    pub userid: String,
    /// For role sessions, the role's ARN (with path).
    pub role_arn: Option<String>,
    /// Whose identity policies the session has, looked up at each request so that a change to
    /// them applies at once (`None`: [`Session::policies`] as issued).
    pub source: Option<SessionSource>,
    /// Identity policies that apply when there is no source (the account root's federated users).
    pub policies: Arc<Vec<Policy>>,
    pub session_policies: Arc<Vec<Policy>>,
    /// When STS issued the credentials (`aws:TokenIssueTime`).
    pub issued: OffsetDateTime,
    pub expires: OffsetDateTime,
}

/// The identity a session's permissions come from: a role (AssumeRole) or an IAM user
/// (GetFederationToken), by unique id, so that a deleted and re-created namesake grants nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionSource {
    Role { account: String, role_id: String },
    User { account: String, user_id: String },
}

/// One access key.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    pub secret: String,
    pub session_token: Option<String>,
    pub owner: KeyOwner,
    /// `Inactive` keys (UpdateAccessKey) are refused as if they did not exist.
    pub active: bool,
    pub created: OffsetDateTime,
    /// The last derived SigV4 signing key and the scope it is for: deriving one costs four
    /// HMACs, and a key signs every request of a day.
    /// Read under a shared lock: every request signed with the key reads it.
    signing_cache: Arc<std::sync::RwLock<Option<CachedKey>>>,
}

/// A derived signing key and the date, region and service it signs for.
type CachedKey = ([String; 3], [u8; 32]);

impl KeyEntry {
    fn new(secret: String, session_token: Option<String>, owner: KeyOwner) -> Self {
        KeyEntry {
            secret,
            session_token,
            owner,
            active: true,
            created: OffsetDateTime::now_utc(),
            signing_cache: Arc::default(),
        }
    }

    /// The SigV4 signing key for `date/region/service`.
    pub fn signing_key(&self, date: &str, region: &str, service: &str) -> [u8; 32] {
        let scope = [date, region, service];
        let cached = self
            .signing_cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|(s, _)| *s == scope)
            .map(|(_, key)| *key);
        if let Some(key) = cached {
            return key;
        }
        let key = crate::sigv4::signing_key(&self.secret, date, region, service);
        *self
            .signing_cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((scope.map(str::to_owned), key));
        key
    }
}

/// A resolved caller: the principal and the policies that apply to it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Shared with the account (its root) and with each authorization's request.
    pub principal: Arc<Principal>,
    /// The canonical id the caller owns what it creates under (see the module's doc); empty for
    /// anonymous callers.
    pub owner_id: String,
    pub identity: Arc<Vec<Policy>>,
    pub session: Arc<Vec<Policy>>,
    /// For temporary credentials, when they were issued.
    pub token_issued: Option<OffsetDateTime>,
    /// The permissions boundary of the user or of the session's role, if any.
    pub boundary: Option<Arc<Policy>>,
    /// The user's or the session's role's tags (`aws:PrincipalTag/KEY`).
    pub tags: Tags,
}

impl Caller {
    /// The anonymous caller.
    pub fn anonymous() -> Self {
        Caller {
            principal: Arc::new(Principal::anonymous()),
            owner_id: String::new(),
            identity: Arc::new(Vec::new()),
            session: Arc::new(Vec::new()),
            token_issued: None,
            boundary: None,
            tags: Vec::new(),
        }
    }

    /// The caller's account (empty for anonymous).
    pub fn account(&self) -> &str {
        &self.principal.account
    }
}

/// A credential pair handed to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// The identity store.
#[derive(Debug, Clone, Default)]
pub struct Iam {
    pub accounts: BTreeMap<String, Account>,
    /// Ceph RGW dialect: a user is also named `arn:aws:iam:::user/NAME` (the default tenant), as
    /// university storage groups write their bucket policies (SPEC §3).
    pub ceph_dialect: bool,
    keys: HashMap<String, Arc<KeyEntry>>,
    counter: u64,
    /// Unique ids of deleted users: AWS never hands an id out twice, even to a user re-created
    /// with the same name.
    retired: std::collections::HashSet<String>,
    /// Unique id → ARN of every user and role: a policy names up to hundreds of ids, and a scan of
    /// every user per id made storing one cost time proportional to the size of IAM.
    by_unique_id: HashMap<String, String>,
}

/// The RGW user id of user `name` of `tenant` (`""`: the default tenant): `NAME` or `TENANT$NAME`.
pub fn rgw_user_id(tenant: &str, name: &str) -> String {
    if tenant.is_empty() {
        name.to_owned()
    } else {
        format!("{tenant}${name}")
    }
}

fn derived_id(prefix: &str, seed: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(seed.as_bytes());
    let mut out = String::from(prefix);
    for b in digest.iter().take(17) {
        out.push(ALPHABET[(*b as usize) % ALPHABET.len()] as char);
    }
    out
}

/// A path as IAM writes it: starts and ends with `/`.
fn normalize_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        format!("/{trimmed}/")
    }
}

impl Iam {
    /// Adds an account (no-op when it exists).
    /// In the Ceph dialect an account may also be an RGW tenant (`uab`), whose users are
    /// `arn:aws:iam::uab:user/NAME`.
    pub fn add_account(&mut self, id: &str) -> Result<(), AwsError> {
        let tenant = self.ceph_dialect && policy_eval::arn::is_tenant_name(id);
        if !policy_eval::arn::is_account_id(id) && !tenant {
            return Err(AwsError::validation_error(format!(
                "`{id}` is not a 12-digit account id (RGW tenant names such as `uab` need the Ceph dialect, set before the account is added)"
            )));
        }
        if self.accounts.contains_key(id) {
            return Ok(());
        }
        let root = Principal::from_arn(&format!("arn:aws:iam::{id}:root"), None, None)
            .ok()
            .map(Arc::new);
        self.accounts.insert(
            id.to_owned(),
            Account {
                id: id.to_owned(),
                canonical_id: hex::encode(Sha256::digest(format!("canonical/{id}").as_bytes())),
                users: BTreeMap::new(),
                roles: BTreeMap::new(),
                groups: BTreeMap::new(),
                managed: BTreeMap::new(),
                root,
            },
        );
        Ok(())
    }

    /// The canonical id of `account` itself (empty when it does not exist).
    pub fn account_canonical_id(&self, account: &str) -> String {
        self.accounts
            .get(account)
            .map(|a| a.canonical_id.clone())
            .unwrap_or_default()
    }

    /// The canonical id user `name` of `account` owns under: its RGW user id in the Ceph dialect,
    /// its account's on AWS.
    pub fn user_owner_id(&self, account: &str, name: &str) -> String {
        if self.ceph_dialect {
            rgw_user_id(self.tenant_of(account), name)
        } else {
            self.account_canonical_id(account)
        }
    }

    /// The canonical id a bucket the configuration gives `account` is owned under: in the Ceph
    /// dialect its only user's (the configurations' one RGW user per account), else the account's.
    pub fn configured_owner_id(&self, account: &str) -> String {
        let only_user = self
            .accounts
            .get(account)
            .filter(|a| a.users.len() == 1)
            .and_then(|a| a.users.keys().next());
        match only_user {
            Some(name) if self.ceph_dialect => self.user_owner_id(account, name),
            _ => self.account_canonical_id(account),
        }
    }

    /// Whether `id` is the canonical id of an account or, in the Ceph dialect, an RGW user id.
    pub fn is_owner_id(&self, id: &str) -> bool {
        self.accounts.values().any(|a| {
            a.canonical_id == id
                || (self.ceph_dialect && a.users.keys().any(|n| self.user_owner_id(&a.id, n) == id))
        })
    }

    /// The Ceph RGW tenant `account` stands for (`""`: the default tenant; see the crate's `tenant` module).
    pub fn tenant_of<'a>(&self, account: &'a str) -> &'a str {
        crate::tenant::of_account(self.ceph_dialect, account)
    }

    fn account_mut(&mut self, id: &str) -> Result<&mut Account, AwsError> {
        self.accounts
            .get_mut(id)
            .ok_or_else(|| AwsError::validation_error(format!("account `{id}` does not exist")))
    }

    /// Adds an access key for `owner`.
    pub fn add_key(&mut self, creds: &Credentials, owner: KeyOwner) -> Result<(), AwsError> {
        if creds.access_key_id.is_empty() || creds.secret_access_key.is_empty() {
            return Err(AwsError::validation_error(
                "access keys need an id and a secret",
            ));
        }
        if self.keys.contains_key(&creds.access_key_id) {
            return Err(AwsError::validation_error(format!(
                "access key `{}` is already in use",
                creds.access_key_id
            )));
        }
        self.keys.insert(
            creds.access_key_id.clone(),
            Arc::new(KeyEntry::new(
                creds.secret_access_key.clone(),
                creds.session_token.clone(),
                owner,
            )),
        );
        Ok(())
    }

    /// Makes a fresh key pair with the given id prefix (`AKIA` for long-term, `ASIA` for STS).
    pub fn mint_credentials(&mut self, prefix: &str, token: bool) -> Credentials {
        self.counter += 1;
        let seed = format!("key/{}/{}", self.counter, self.keys.len());
        let id = derived_id(prefix, &seed);
        let secret = hex::encode(Sha256::digest(format!("secret/{seed}").as_bytes()));
        Credentials {
            access_key_id: id[..20.min(id.len())].to_owned(),
            secret_access_key: secret[..40].to_owned(),
            session_token: token.then(|| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .encode(Sha256::digest(format!("token/{seed}").as_bytes()))
            }),
        }
    }

    /// A unique id with `prefix` derived from `seed`, never one handed out before: not a deleted
    /// identity's, nor one still in use under another name (a renamed user keeps its id).
    fn unused_id(&self, prefix: &str, seed: &str) -> String {
        let mut id = derived_id(prefix, seed);
        let mut generation = 1;
        while self.retired.contains(&id) || self.by_unique_id.contains_key(&id) {
            id = derived_id(prefix, &format!("{seed}#{generation}"));
            generation += 1;
        }
        id
    }

    /// Creates an IAM user with identity policies (JSON texts).
    pub fn add_user(
        &mut self,
        account: &str,
        name: &str,
        path: &str,
        user_id: Option<&str>,
        policies: &[String],
    ) -> Result<User, AwsError> {
        validate_name(name)?;
        let compiled = compile_all(policies, PolicyKind::Identity, self.tenant_of(account))?;
        let path = normalize_path(path);
        if self.account_mut(account)?.users.contains_key(name) {
            return Err(AwsError::validation_error(format!(
                "user `{name}` already exists in `{account}`"
            )));
        }
        let user_id = match user_id {
            Some(id) if policy_eval::principal::is_unique_id(id) && id.starts_with("AIDA") => {
                id.to_owned()
            }
            Some(id) => {
                return Err(AwsError::validation_error(format!(
                    "`{id}` is not a user id (`AIDA` followed by upper-case letters and digits)"
                )))
            }
            None => self.unused_id("AIDA", &format!("user/{account}/{name}")),
        };
        let user = User {
            arn: format!("arn:aws:iam::{account}:user{path}{name}"),
            name: name.to_owned(),
            path,
            user_id,
            created: OffsetDateTime::now_utc(),
            inline: configured_inline(policies, compiled),
            attached: Vec::new(),
            boundary: None,
            tags: Vec::new(),
            policies: Arc::new(Vec::new()),
            boundary_policy: None,
        };
        self.account_mut(account)?
            .users
            .insert(name.to_owned(), user.clone());
        self.by_unique_id
            .insert(user.user_id.clone(), user.arn.clone());
        self.refresh_changed(account, Changed::User(name));
        Ok(self.accounts[account].users[name].clone())
    }

    /// Deletes an IAM user and its access keys. As in AWS, policies that named the user keep its
    /// unique id, which no longer resolves, so a policy naming it is refused from then on.
    pub fn remove_user(&mut self, account: &str, name: &str) -> Result<User, AwsError> {
        let acct = self.account_mut(account)?;
        let user = acct.users.remove(name).ok_or_else(|| {
            AwsError::validation_error(format!("user `{name}` does not exist in `{account}`"))
        })?;
        for group in acct.groups.values_mut() {
            group.members.remove(name);
        }
        self.retired.insert(user.user_id.clone());
        self.by_unique_id.remove(&user.user_id);
        self.keys.retain(|_, k| {
            !matches!(&k.owner, KeyOwner::User { account: a, name: n } if a == account && n == name)
        });
        Ok(user)
    }

    /// Creates an IAM role with a trust policy and identity policies.
    pub fn add_role(
        &mut self,
        account: &str,
        name: &str,
        path: &str,
        trust_policy: Option<&str>,
        policies: &[String],
    ) -> Result<Role, AwsError> {
        validate_name(name)?;
        let compiled = compile_all(policies, PolicyKind::Identity, self.tenant_of(account))?;
        let trust_document = trust_policy.map(|t| self.bind_principals(t));
        let trust = match &trust_document {
            Some(t) => Some(
                Policy::parse(t, PolicyKind::Trust)
                    .map_err(|e| AwsError::malformed_policy(e.to_string()))?,
            ),
            None => None,
        };
        let path = normalize_path(path);
        if self.account_mut(account)?.roles.contains_key(name) {
            return Err(AwsError::validation_error(format!(
                "role `{name}` already exists in `{account}`"
            )));
        }
        let role_id = self.unused_id("AROA", &format!("role/{account}/{name}"));
        let role = Role {
            arn: format!("arn:aws:iam::{account}:role{path}{name}"),
            role_id,
            name: name.to_owned(),
            path,
            trust_policy: trust,
            trust_document: trust_document.unwrap_or_default(),
            description: String::new(),
            created: OffsetDateTime::now_utc(),
            inline: configured_inline(policies, compiled),
            attached: Vec::new(),
            boundary: None,
            tags: Vec::new(),
            policies: Arc::new(Vec::new()),
            boundary_policy: None,
            max_session_duration: 3600,
        };
        let acct = self.account_mut(account)?;
        acct.roles.insert(name.to_owned(), role.clone());
        self.by_unique_id
            .insert(role.role_id.clone(), role.arn.clone());
        self.refresh_changed(account, Changed::Role(name));
        Ok(self.accounts[account].roles[name].clone())
    }

    /// Sets a role's longest session (3600–43200 seconds).
    pub fn set_max_session_duration(
        &mut self,
        account: &str,
        role: &str,
        secs: i64,
    ) -> Result<(), AwsError> {
        if !(3600..=43_200).contains(&secs) {
            return Err(AwsError::validation_error(
                "max_session_duration must be between 3600 and 43200 seconds",
            ));
        }
        let role = self
            .account_mut(account)?
            .roles
            .get_mut(role)
            .ok_or_else(|| AwsError::validation_error(format!("role `{role}` does not exist")))?;
        role.max_session_duration = secs;
        Ok(())
    }

    /// The key entry for an active access key id (an inactive key is refused as unknown).
    pub fn key(&self, access_key_id: &str) -> Option<&Arc<KeyEntry>> {
        self.keys.get(access_key_id).filter(|k| k.active)
    }

    /// Resolves a key's owner to a caller. `now` is used for session expiry.
    pub fn caller(&self, entry: &KeyEntry, now: OffsetDateTime) -> Result<Caller, AwsError> {
        match &entry.owner {
            KeyOwner::Root { account } => Ok(Caller {
                principal: match self.accounts.get(account).and_then(|a| a.root.clone()) {
                    Some(root) => root,
                    None => {
                        Principal::from_arn(&format!("arn:aws:iam::{account}:root"), None, None)
                            .map(Arc::new)
                            .map_err(|e| AwsError::internal_error(e.to_string()))?
                    }
                },
                owner_id: self.account_canonical_id(account),
                identity: Arc::new(Vec::new()),
                session: Arc::new(Vec::new()),
                token_issued: None,
                boundary: None,
                tags: Vec::new(),
            }),
            KeyOwner::User { account, name } => {
                let user = self
                    .accounts
                    .get(account)
                    .and_then(|a| a.users.get(name))
                    .ok_or_else(|| {
                        AwsError::invalid_access_key_id(
                            "The AWS Access Key Id you provided does not exist in our records.",
                        )
                    })?;
                let mut principal = Principal::from_arn(&user.arn, Some(&user.user_id), None)
                    .map_err(|e| AwsError::internal_error(e.to_string()))?;
                let owner_id = self.user_owner_id(account, &user.name);
                principal.canonical_id = Some(owner_id.clone());
                // Users of 12-digit accounts stand for RGW's default tenant (`arn:aws:iam:::user/NAME`);
                // a named tenant's users are only `arn:aws:iam::TENANT:user/NAME`.
                if self.ceph_dialect && policy_eval::arn::is_account_id(account) {
                    principal
                        .aliases
                        .push(format!("arn:aws:iam:::user/{}", user.name));
                }
                Ok(Caller {
                    principal: Arc::new(principal),
                    owner_id,
                    identity: Arc::clone(&user.policies),
                    session: Arc::new(Vec::new()),
                    token_issued: None,
                    boundary: user.boundary_policy.clone(),
                    tags: user.tags.clone(),
                })
            }
            KeyOwner::Session(s) => {
                if now >= s.expires {
                    return Err(AwsError::expired_token("The provided token has expired."));
                }
                let principal = Principal::from_arn(&s.arn, Some(&s.userid), s.role_arn.as_deref())
                    .map_err(|e| AwsError::internal_error(e.to_string()))?;
                let (identity, boundary, tags) = self.session_permissions(s);
                Ok(Caller {
                    principal: Arc::new(principal),
                    owner_id: self.account_canonical_id(&s.account),
                    identity,
                    session: Arc::clone(&s.session_policies),
                    token_issued: Some(s.issued),
                    boundary,
                    tags,
                })
            }
        }
    }

    /// Whether a principal written in a resource policy names an identity that exists, as AWS
    /// checks when a policy is stored.
    pub fn principal_exists(&self, kind: &str, value: &str) -> bool {
        match kind {
            "AWS" => {
                if value == "*" {
                    return true;
                }
                if policy_eval::arn::is_account_id(value) {
                    return self.accounts.contains_key(value);
                }
                if value.starts_with("AIDA") || value.starts_with("AROA") {
                    return self.by_unique_id.contains_key(value);
                }
                let Some(arn) = policy_eval::arn::Arn::parse(value) else {
                    return false;
                };
                if self.ceph_dialect && arn.account.is_empty() {
                    return arn.resource.strip_prefix("user/").is_some_and(|name| {
                        self.accounts.values().any(|a| {
                            policy_eval::arn::is_account_id(&a.id) && a.users.contains_key(name)
                        })
                    });
                }
                let Some(acct) = self.accounts.get(arn.account) else {
                    return false;
                };
                match (arn.service, arn.resource.split_once('/')) {
                    ("iam", None) => arn.resource == "root",
                    ("iam", Some(("user", rest))) => rest
                        .rsplit('/')
                        .next()
                        .and_then(|name| acct.users.get(name))
                        .is_some_and(|u| u.arn == value),
                    ("iam", Some(("role", _))) => acct.roles.values().any(|r| r.arn == value),
                    ("sts", Some(("assumed-role", rest))) => rest
                        .split_once('/')
                        .is_some_and(|(role, _)| acct.roles.contains_key(role)),
                    ("sts", Some(("federated-user", _))) => true,
                    _ => false,
                }
            }
            "CanonicalUser" => self.is_owner_id(value),
            _ => true,
        }
    }

    /// A resource or trust policy's text as AWS stores it: every principal naming an existing IAM
    /// user or role by ARN is replaced by that identity's unique id, so a user or role deleted and
    /// made again under the same name gets nothing the old one was granted, and a renamed one keeps
    /// it (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles>:
    /// "If you delete the role, then you break the relationship"). Shown again by
    /// [`Iam::arn_for_unique_id`]. Text that is not a JSON object is returned as it is.
    pub fn bind_principals(&self, text: &str) -> String {
        if self.ceph_dialect {
            return text.to_owned();
        }
        self.rewrite_principals(text, false, |s| {
            self.unique_id_for_arn(s).map(str::to_owned)
        })
    }

    /// A stored policy as AWS shows it: the unique id of every known user and role replaced by
    /// its ARN (a deleted identity's id stays an id).
    pub fn show_principals(&self, text: &str) -> String {
        self.rewrite_principals(text, true, |s| self.arn_for_unique_id(s).map(str::to_owned))
    }

    /// `text` with each `Principal`/`NotPrincipal` `AWS` string that `map` maps replaced,
    /// written compactly when anything changed or `always`.
    fn rewrite_principals(
        &self,
        text: &str,
        always: bool,
        map: impl Fn(&str) -> Option<String>,
    ) -> String {
        let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(text) else {
            return text.to_owned();
        };
        let mut changed = false;
        let mut bind = |v: &mut serde_json::Value| {
            if let serde_json::Value::String(s) = v {
                if let Some(to) = map(s) {
                    *s = to;
                    changed = true;
                }
            }
        };
        let statements: Vec<&mut serde_json::Value> = match doc.get_mut("Statement") {
            Some(serde_json::Value::Array(items)) => items.iter_mut().collect(),
            Some(obj) => vec![obj],
            None => Vec::new(),
        };
        for stmt in statements {
            for field in ["Principal", "NotPrincipal"] {
                if let Some(aws) = stmt.get_mut(field).and_then(|p| p.get_mut("AWS")) {
                    match aws {
                        serde_json::Value::Array(items) => items.iter_mut().for_each(&mut bind),
                        other => bind(other),
                    }
                }
            }
        }
        if changed || always {
            serde_json::to_string(&doc).unwrap_or_else(|_| text.to_owned())
        } else {
            text.to_owned()
        }
    }

    /// The unique id of the user or role whose ARN is `arn`.
    fn unique_id_for_arn(&self, arn: &str) -> Option<&str> {
        let parsed = policy_eval::arn::Arn::parse(arn)?;
        let acct = self.accounts.get(parsed.account)?;
        match parsed.resource.split_once('/') {
            Some(("user", _)) => acct
                .users
                .values()
                .find(|u| u.arn == arn)
                .map(|u| u.user_id.as_str()),
            Some(("role", _)) => acct
                .roles
                .values()
                .find(|r| r.arn == arn)
                .map(|r| r.role_id.as_str()),
            _ => None,
        }
    }

    /// The ARN for a known unique id: how AWS shows stored policies.
    pub fn arn_for_unique_id(&self, id: &str) -> Option<&str> {
        self.by_unique_id.get(id).map(String::as_str)
    }

    /// Adds an STS session and returns its credentials.
    pub fn add_session(&mut self, session: Session) -> Credentials {
        let creds = self.mint_credentials("ASIA", true);
        self.keys.insert(
            creds.access_key_id.clone(),
            Arc::new(KeyEntry::new(
                creds.secret_access_key.clone(),
                creds.session_token.clone(),
                KeyOwner::Session(Arc::new(session)),
            )),
        );
        creds
    }
}

fn validate_name(name: &str) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AwsError::validation_error(format!(
            "`{name}` is not a valid IAM name (1-64 of letters, digits and +=,.@_-)"
        )))
    }
}

/// A configuration's policies as inline policies named `config-1`, `config-2`, …
fn configured_inline(texts: &[String], compiled: Vec<Policy>) -> entities::Inline {
    texts
        .iter()
        .zip(compiled)
        .enumerate()
        .map(|(i, (text, policy))| {
            (
                format!("config-{}", i + 1),
                StoredPolicy {
                    document: text.clone(),
                    size: entities::non_whitespace_len(text),
                    policy,
                },
            )
        })
        .collect()
}

/// Compiles an identity's policies, read in its Ceph tenant ([`crate::tenant::read_in_tenant`]).
fn compile_all(texts: &[String], kind: PolicyKind, tenant: &str) -> Result<Vec<Policy>, AwsError> {
    texts
        .iter()
        .map(|t| {
            let mut p =
                Policy::parse(t, kind).map_err(|e| AwsError::malformed_policy(e.to_string()))?;
            crate::tenant::read_in_tenant(&mut p, tenant);
            Ok(p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_signing_keys_follow_the_scope() {
        let entry = KeyEntry::new(
            "secret".into(),
            None,
            KeyOwner::Root {
                account: "1".into(),
            },
        );
        for (date, region, service) in [
            ("20260101", "us-east-1", "s3"),
            ("20260101", "us-east-1", "s3"),
            ("20260102", "us-east-1", "s3"),
            ("20260102", "eu-west-1", "s3"),
            ("20260102", "eu-west-1", "sts"),
            ("20260101", "us-east-1", "s3"),
        ] {
            assert_eq!(
                entry.signing_key(date, region, service),
                crate::sigv4::signing_key("secret", date, region, service),
                "{date}/{region}/{service}"
            );
        }
    }

    #[test]
    fn ids_are_deterministic_and_well_formed() {
        let a = derived_id("AIDA", "user/1/alice");
        assert_eq!(a, derived_id("AIDA", "user/1/alice"));
        assert!(policy_eval::principal::is_unique_id(&a), "{a}");
    }

    #[test]
    fn users_roles_and_principal_existence() {
        let mut iam = Iam::default();
        assert!(iam.add_account("111122223333").is_ok());
        let u = iam.add_user("111122223333", "alice", "/team/", None, &[]);
        let u = u.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.arn, "arn:aws:iam::111122223333:user/team/alice");
        assert!(iam.principal_exists("AWS", &u.arn));
        assert!(iam.principal_exists("AWS", &u.user_id));
        assert!(!iam.principal_exists("AWS", "arn:aws:iam::111122223333:user/alice"));
        assert!(iam.principal_exists("AWS", "111122223333"));
        assert!(!iam.principal_exists("AWS", "444455556666"));
        assert_eq!(iam.arn_for_unique_id(&u.user_id), Some(u.arn.as_str()));
        assert!(iam
            .add_user("111122223333", "alice", "/", None, &[])
            .is_err());
        assert!(iam
            .add_user("111122223333", "bad name", "/", None, &[])
            .is_err());
    }
}
