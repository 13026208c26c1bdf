//! API clients (SPEC §6): a build system or an instrument gets its own API token, which may open
//! upload tickets only under the client's prefixes. The token is shown once and kept only as its
//! SHA-256, so the database never holds a usable secret. Each client has an id of its own, so a
//! name reused after a removal never inherits the old client's tickets, and names that read like
//! the operator's are refused.

use sha2::{Digest, Sha256};

use super::*;

/// Tickets a client may have open at once unless `client add --max-open` says otherwise.
pub const DEFAULT_MAX_OPEN: i64 = 20;
/// Places in the revocation list a client may hold unless `client add --max-sessions` says
/// otherwise: about a sixth of what one bucket policy can revoke.
pub const DEFAULT_MAX_SESSIONS: i64 = 100;

/// Names a client may not take: they read as the operator or the service itself.
const RESERVED: &[&str] = &[
    "operator",
    "admin",
    "administrator",
    "root",
    "s3keeper",
    "system",
];

/// A client as listed (never with its token).
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// Unique for the life of the database (a reused name gets a new id).
    #[serde(skip)]
    pub id: String,
    pub name: String,
    /// Ticket prefixes must start with one of these.
    pub prefixes: Vec<String>,
    /// Tickets it may have open at once.
    pub max_open: i64,
    /// Places it may hold in the revocation list (open tickets and ended ones not yet expired).
    pub max_sessions: i64,
    /// RFC 3339.
    pub created_at: String,
}

/// A client's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    pub max_open: i64,
    pub max_sessions: i64,
}

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            max_open: DEFAULT_MAX_OPEN,
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }
}

impl Client {
    /// The opener of the tickets this client opens.
    pub fn opener(&self) -> Opener {
        Opener::Client {
            id: self.id.clone(),
            name: self.name.clone(),
            max_open: self.max_open,
            max_sessions: self.max_sessions,
        }
    }
}

/// A new client and its token, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct NewClient {
    pub name: String,
    pub prefixes: Vec<String>,
    pub max_open: i64,
    pub max_sessions: i64,
    pub token: String,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `N` bytes from the OS's random source, as hex.
fn random_hex<const N: usize>() -> Result<String, KeeperError> {
    let mut bytes = [0u8; N];
    let mut f = std::fs::File::open("/dev/urandom")
        .map_err(|e| KeeperError::Config(format!("no random source: {e}")))?;
    std::io::Read::read_exact(&mut f, &mut bytes)
        .map_err(|e| KeeperError::Config(format!("no random source: {e}")))?;
    Ok(hex::encode(bytes))
}

/// 32 random bytes, as 64 hex characters.
fn new_token() -> Result<String, KeeperError> {
    Ok(format!("s3k_{}", random_hex::<32>()?))
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
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(invalid(format!(
            "client name `{name}` is reserved (it reads as the operator or the service); choose another"
        )));
    }
    Ok(())
}

/// Whether a ticket for `prefix` is within one of `prefixes`.
pub fn prefix_allowed(prefixes: &[String], prefix: &str) -> bool {
    prefixes.iter().any(|p| prefix.starts_with(p.as_str()))
}

/// id, name, prefixes (JSON), max open, max sessions, created.
type ClientRow = (String, String, String, i64, i64, i64);

const CLIENT_COLUMNS: &str = "id, name, prefixes, max_open, max_sessions, created_at";

fn client_from((id, name, prefixes, max_open, max_sessions, created): ClientRow) -> Client {
    Client {
        id,
        name,
        prefixes: serde_json::from_str(&prefixes).unwrap_or_default(),
        max_open,
        max_sessions,
        created_at: rfc3339(created),
    }
}

impl Keeper {
    /// Adds a client allowed to open tickets under `prefixes`, at most [`DEFAULT_MAX_OPEN`] at
    /// once; returns its token (shown once).
    pub async fn add_client(
        &self,
        name: &str,
        prefixes: &[String],
    ) -> Result<NewClient, KeeperError> {
        self.add_client_with(name, prefixes, ClientLimits::default())
            .await
    }

    /// Adds a client with these limits.
    pub async fn add_client_with(
        &self,
        name: &str,
        prefixes: &[String],
        limits: ClientLimits,
    ) -> Result<NewClient, KeeperError> {
        check_client_name(name)?;
        let ClientLimits {
            max_open,
            max_sessions,
        } = limits;
        if !(1..=10_000).contains(&max_open) {
            return Err(invalid("--max-open must be 1 to 10000"));
        }
        if !(max_open..=10_000).contains(&max_sessions) {
            return Err(invalid(
                "--max-sessions must be at least --max-open and at most 10000",
            ));
        }
        if prefixes.is_empty() {
            return Err(invalid("a client needs at least one --prefix"));
        }
        for p in prefixes {
            check_prefix(p)?;
        }
        let token = new_token()?;
        let id = random_hex::<12>()?;
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
            "INSERT INTO clients (name, token_sha256, prefixes, created_at, id, max_open, max_sessions) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(name)
        .bind(token_hash(&token))
        .bind(serde_json::to_string(prefixes).unwrap_or_default())
        .bind(now())
        .bind(&id)
        .bind(max_open)
        .bind(max_sessions)
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            "client-added",
            "",
            "",
            &format!(
                "client {name} for {} (at most {max_open} tickets open, {max_sessions} places in the revocation list)",
                prefixes.join(", ")
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(NewClient {
            name: name.to_owned(),
            prefixes: prefixes.to_vec(),
            max_open,
            max_sessions,
            token,
        })
    }

    /// Every client, by name.
    pub async fn clients(&self) -> Result<Vec<Client>, KeeperError> {
        let rows: Vec<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients ORDER BY name"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.into_iter().map(client_from).collect())
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
        let row: Option<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE token_sha256 = $1"
        ))
        .bind(token_hash(token))
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(client_from))
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
    fn names_that_read_as_the_operator_are_refused() {
        for bad in [
            "operator",
            "Operator",
            "ADMIN",
            "root",
            "s3keeper",
            "",
            "opérateur",
            "a b",
            "a/b",
        ] {
            assert!(check_client_name(bad).is_err(), "{bad:?}");
        }
        for good in ["docs-ci", "operator2", "lab.instrument_1"] {
            assert!(check_client_name(good).is_ok(), "{good}");
        }
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
