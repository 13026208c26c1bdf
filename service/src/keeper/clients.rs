//! API clients (SPEC §6): a build system or an instrument gets its own API token, which may open
//! upload tickets only under the client's prefixes. The token is shown once and kept only as its
//! SHA-256, so the database never holds a usable secret.

use sha2::{Digest, Sha256};

use super::*;

/// A client as listed (never with its token).
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub name: String,
    /// Ticket prefixes must start with one of these.
    pub prefixes: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// A new client and its token, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct NewClient {
    pub name: String,
    pub prefixes: Vec<String>,
    pub token: String,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 32 bytes from the OS's random source, as 64 hex characters.
fn new_token() -> Result<String, KeeperError> {
    let mut bytes = [0u8; 32];
    let mut f = std::fs::File::open("/dev/urandom")
        .map_err(|e| KeeperError::Config(format!("no random source: {e}")))?;
    std::io::Read::read_exact(&mut f, &mut bytes)
        .map_err(|e| KeeperError::Config(format!("no random source: {e}")))?;
    Ok(format!("s3k_{}", hex::encode(bytes)))
}

fn check_client_name(name: &str) -> Result<(), KeeperError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(invalid(format!(
            "client name `{name}` must be 1–64 letters, digits, `-`, `_` or `.`"
        )));
    }
    Ok(())
}

/// Whether a ticket for `prefix` is within one of `prefixes`.
pub fn prefix_allowed(prefixes: &[String], prefix: &str) -> bool {
    prefixes.iter().any(|p| prefix.starts_with(p.as_str()))
}

impl Keeper {
    /// Adds a client allowed to open tickets under `prefixes`; returns its token (shown once).
    pub async fn add_client(
        &self,
        name: &str,
        prefixes: &[String],
    ) -> Result<NewClient, KeeperError> {
        check_client_name(name)?;
        if prefixes.is_empty() {
            return Err(invalid("a client needs at least one --prefix"));
        }
        for p in prefixes {
            uploads::check_prefix(p)?;
        }
        let token = new_token()?;
        let mut tx = self.begin().await?;
        let exists: Option<(String,)> = sqlx::query_as("SELECT name FROM clients WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(KeeperError::Conflict(format!(
                "client `{name}` exists; remove it first to issue a new token"
            )));
        }
        sqlx::query(
            "INSERT INTO clients (name, token_sha256, prefixes, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(token_hash(&token))
        .bind(serde_json::to_string(prefixes).unwrap_or_default())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            "client-added",
            "",
            "",
            &format!("client {name} for {}", prefixes.join(", ")),
        )
        .await?;
        tx.commit().await?;
        Ok(NewClient {
            name: name.to_owned(),
            prefixes: prefixes.to_vec(),
            token,
        })
    }

    /// Every client, by name.
    pub async fn clients(&self) -> Result<Vec<Client>, KeeperError> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, prefixes, created_at FROM clients ORDER BY name")
                .fetch_all(&self.db.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(name, prefixes, created)| Client {
                name,
                prefixes: serde_json::from_str(&prefixes).unwrap_or_default(),
                created_at: uploads::rfc3339(created),
            })
            .collect())
    }

    /// Removes a client; its token stops working at once.
    pub async fn remove_client(&self, name: &str) -> Result<(), KeeperError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM clients WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(KeeperError::NotFound(format!("no client `{name}`")));
        }
        self.audit_in(&mut tx, "client-removed", "", "", &format!("client {name}"))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The client a token belongs to, if any.
    pub async fn client_for_token(&self, token: &str) -> Result<Option<Client>, KeeperError> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT name, prefixes, created_at FROM clients WHERE token_sha256 = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(|(name, prefixes, created)| Client {
            name,
            prefixes: serde_json::from_str(&prefixes).unwrap_or_default(),
            created_at: uploads::rfc3339(created),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_allow_what_lies_under_them() {
        let p = vec!["builds/docs/".to_owned()];
        assert!(prefix_allowed(&p, "builds/docs/"));
        assert!(prefix_allowed(&p, "builds/docs/1234/"));
        assert!(!prefix_allowed(&p, "builds/docsx/"));
        assert!(!prefix_allowed(&p, "builds/"));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (
            new_token().unwrap_or_default(),
            new_token().unwrap_or_default(),
        );
        assert_ne!(a, b);
        assert_eq!(a.len(), 68);
        assert_ne!(token_hash(&a), a);
    }
}
