//! The standalone binary's configuration file (SPEC §3.1; an external contract). Unknown fields
//! are errors naming the field; a bad file stops start-up before anything listens.

mod build;

use serde::Deserialize;
use serde_json::Value;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_region")]
    pub region: String,
    /// `aws` (default) or `ceph`: with `ceph`, bucket policies may name users as
    /// `arn:aws:iam:::user/NAME`, as Ceph RGW's default tenant does.
    #[serde(default)]
    pub dialect: Dialect,
    /// `hard` (default) or `soft`: with `soft`, requests that policy would refuse are served and
    /// journaled as refused (crate::enforcement).
    #[serde(default)]
    pub enforcement: crate::enforcement::Enforcement,
    pub accounts: Vec<AccountConfig>,
}

/// Whose server the fake answers as: AWS's, or Ceph RGW 16.2's where RGW differs (principal
/// forms and tenants, owners as RGW users, policy checks and condition semantics, error shapes;
/// docs/fake-s3.md, "Dialects").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Aws,
    Ceph,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

/// One account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub id: String,
    #[serde(default)]
    pub root_keys: Vec<KeyConfig>,
    #[serde(default)]
    pub users: Vec<UserConfig>,
    #[serde(default)]
    pub roles: Vec<RoleConfig>,
    #[serde(default)]
    pub buckets: Vec<BucketConfig>,
}

/// An access key pair.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl KeyConfig {
    /// The pair as long-term credentials.
    pub fn credentials(&self) -> crate::identity::Credentials {
        crate::identity::Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: None,
        }
    }
}

/// An IAM user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    #[serde(default)]
    pub policies: Vec<Value>,
}

/// An IAM role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub trust_policy: Option<Value>,
    /// The longest AssumeRole session, in seconds: 3600 (the default) to 43200.
    #[serde(default)]
    pub max_session_duration: Option<i64>,
    #[serde(default)]
    pub policies: Vec<Value>,
}

/// A bucket to create at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    pub name: String,
    #[serde(default)]
    pub policy: Option<Value>,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file `{path}`: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the configuration is not valid: {0}")]
    Parse(String),
    #[error("the configuration is not valid: {field}: {message}")]
    Invalid { field: String, message: String },
}

impl Config {
    /// Parses configuration text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        serde_json::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))
    }

    /// Reads a configuration file.
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text)
    }
}

/// A policy given as JSON in the file, as text (a string holding JSON is taken as is).
pub fn policy_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_parses_and_unknown_fields_are_named() {
        let text = r#"{"region": "us-east-1", "accounts": [{"id": "111122223333",
            "root_keys": [{"access_key_id": "AKIAOWNERROOT0000001", "secret_access_key": "ownersecret"}],
            "users": [{"name": "alice", "path": "/", "user_id": "AIDAALICEEXAMPLE00001",
                "keys": [{"access_key_id": "AKIAALICE00000000001", "secret_access_key": "alicesecret"}],
                "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]}],
            "roles": [{"name": "reader", "trust_policy": {"Version": "2012-10-17", "Statement": []}, "policies": []}],
            "buckets": [{"name": "ctl-bucket", "policy": null}]}]}"#;
        let c = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.accounts[0].users[0].name, "alice");
        let bad = Config::parse(r#"{"accounts": [{"id": "111122223333", "usres": []}]}"#);
        let msg = bad.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("usres"), "{msg}");
    }
}
