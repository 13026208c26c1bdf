//! Building a fake from a configuration file: its accounts, root keys, users, roles and buckets,
//! each checked as the API would check it, with the failing field named (SPEC §3.1).

use super::{policy_text, Config, ConfigError};
use crate::error::AwsError;
use crate::identity::{Iam, KeyOwner};
use crate::state::{Limits, State};
use crate::storage::{self, Storage};
use crate::{s3, tenant};

impl Config {
    /// Adds the file's identities to `iam`, then its buckets to `store` (after every identity
    /// exists, so their policies may name any of them).
    pub(crate) fn apply(
        &self,
        iam: &mut Iam,
        store: &mut Storage,
        region: &str,
    ) -> Result<(), ConfigError> {
        let invalid = |field: String, e: AwsError| ConfigError::Invalid {
            field,
            message: e.message,
        };
        for (ai, acct) in self.accounts.iter().enumerate() {
            let at = format!("accounts[{ai}]");
            iam.add_account(&acct.id)
                .map_err(|e| invalid(format!("{at}.id"), e))?;
            for (ki, k) in acct.root_keys.iter().enumerate() {
                iam.add_key(
                    &k.credentials(),
                    KeyOwner::Root {
                        account: acct.id.clone(),
                    },
                )
                .map_err(|e| invalid(format!("{at}.root_keys[{ki}]"), e))?;
            }
            for (ui, u) in acct.users.iter().enumerate() {
                let policies: Vec<String> = u.policies.iter().map(policy_text).collect();
                iam.add_user(
                    &acct.id,
                    &u.name,
                    u.path.as_deref().unwrap_or("/"),
                    u.user_id.as_deref(),
                    &policies,
                )
                .map_err(|e| invalid(format!("{at}.users[{ui}]"), e))?;
                for (ki, k) in u.keys.iter().enumerate() {
                    iam.add_key(
                        &k.credentials(),
                        KeyOwner::User {
                            account: acct.id.clone(),
                            name: u.name.clone(),
                        },
                    )
                    .map_err(|e| invalid(format!("{at}.users[{ui}].keys[{ki}]"), e))?;
                }
            }
            for (ri, r) in acct.roles.iter().enumerate() {
                let policies: Vec<String> = r.policies.iter().map(policy_text).collect();
                let trust = r.trust_policy.as_ref().map(policy_text);
                iam.add_role(
                    &acct.id,
                    &r.name,
                    r.path.as_deref().unwrap_or("/"),
                    trust.as_deref(),
                    &policies,
                )
                .map_err(|e| invalid(format!("{at}.roles[{ri}]"), e))?;
                if let Some(secs) = r.max_session_duration {
                    iam.set_max_session_duration(&acct.id, &r.name, secs)
                        .map_err(|e| {
                            invalid(format!("{at}.roles[{ri}].max_session_duration"), e)
                        })?;
                }
            }
        }
        // Buckets after every identity exists, so their policies may name any of them.
        let state = State::new(region, iam.clone(), Storage::default(), Limits::default());
        for (ai, acct) in self.accounts.iter().enumerate() {
            for (bi, b) in acct.buckets.iter().enumerate() {
                let at = format!("accounts[{ai}].buckets[{bi}]");
                // A tenant account's buckets are in its own namespace (Ceph dialect).
                let key = tenant::key(iam.tenant_of(&acct.id), &b.name);
                if !storage::valid_bucket_name(&b.name) || store.buckets.contains_key(&key) {
                    return Err(invalid(
                        format!("{at}.name"),
                        AwsError::invalid_bucket_name(format!(
                            "`{}` is not a valid, unused bucket name",
                            b.name
                        )),
                    ));
                }
                let policy = match &b.policy {
                    None | Some(serde_json::Value::Null) => None,
                    Some(p) => {
                        let text = policy_text(p);
                        Some(
                            s3::validate_bucket_policy(&state, &text, &key)
                                .map_err(|e| invalid(format!("{at}.policy"), e))?,
                        )
                    }
                };
                store.buckets.insert(
                    key.clone(),
                    storage::Bucket {
                        name: key,
                        owner: acct.id.clone(),
                        owner_id: iam.configured_owner_id(&acct.id),
                        region: region.to_owned(),
                        created: time::OffsetDateTime::now_utc(),
                        policy,
                        public_access_block: None,
                        ownership: if iam.ceph_dialect {
                            Some(storage::Ownership::ObjectWriter)
                        } else {
                            Some(storage::Ownership::BucketOwnerEnforced)
                        },
                        acl: Vec::new(),
                        versioning: storage::Versioning::Unversioned,
                        objects: Default::default(),
                        uploads: Default::default(),
                        cors: None,
                        tags: None,
                    },
                );
            }
        }
        Ok(())
    }
}
