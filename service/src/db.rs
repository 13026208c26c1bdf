//! The database: SQLite by default, PostgreSQL for deployments, both through sqlx's `Any` driver
//! with queries checked at run time (no database is needed to build).
//!
//! Queries are written once for both: placeholders are `$1, $2, …` numbered in order of first use
//! (SQLite reads `$N` as a named parameter and numbers them in that order), and no SQL that only
//! one of them speaks. Locking is portable too: a transaction that must hold a row first *updates*
//! it. On PostgreSQL that takes the row lock (as `SELECT … FOR UPDATE` would) until commit; on
//! SQLite it takes the database's write lock at once, so two writers never deadlock upgrading a
//! read lock. Each backend has its own embedded migrations because their key types differ.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::error::KeeperError;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connected, migrated database.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// `s3keeper.db` in the working directory.
pub const DEFAULT_URL: &str = "sqlite://s3keeper.db?mode=rwc";

impl Db {
    /// Connects to `url` (`sqlite://PATH?mode=rwc`, `sqlite::memory:`, `postgres://…`) and brings
    /// the schema up to date.
    pub async fn connect(url: &str) -> Result<Db, KeeperError> {
        let db = Db::open(url).await?;
        db.migrator()
            .run(&db.pool)
            .await
            .map_err(|e| KeeperError::Config(format!("database migration failed: {e}")))?;
        Ok(db)
    }

    /// Connects to `url` without touching the schema (`s3keeper doctor` only looks).
    pub async fn open(url: &str) -> Result<Db, KeeperError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(KeeperError::Config(format!(
                "database URL `{}` is neither `sqlite:…` nor `postgres://…`",
                redact_url(url)
            )));
        };
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| KeeperError::Config(format!("database URL: {e}")))?
            .disable_statement_logging();
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(60));
        if backend == Backend::Sqlite {
            if url.contains(":memory:") {
                // The database lives as long as its one connection: never let the pool retire it.
                pool = pool
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            } else {
                pool = pool.max_connections(4);
            }
            pool = pool.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Writers queue behind the one that holds the lock instead of failing.
                    conn.execute("PRAGMA busy_timeout = 60000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            });
        } else {
            pool = pool.max_connections(8);
        }
        let pool = pool.connect_with(options).await.map_err(|e| {
            KeeperError::Config(format!(
                "cannot open the database `{}`: {e}",
                redact_url(url)
            ))
        })?;
        if backend == Backend::Sqlite && !url.contains(":memory:") {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        Ok(Db { pool, backend })
    }

    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        }
    }

    /// The migrations this binary knows that the database has not applied (by description),
    /// without applying them. An empty database has none applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, KeeperError> {
        let applied: Vec<(i64,)> =
            match sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.pool)
                .await
            {
                Ok(rows) => rows,
                // No bookkeeping table yet: nothing applied.
                Err(sqlx::Error::Database(e))
                    if e.message().contains("no such table")
                        || e.message().contains("does not exist") =>
                {
                    Vec::new()
                }
                Err(e) => return Err(e.into()),
            };
        Ok(self
            .migrator()
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .filter(|m| !applied.iter().any(|(v,)| *v == m.version))
            .map(|m| format!("{} {}", m.version, m.description))
            .collect())
    }
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{user}:***@{host}")
        }
        _ => authority.to_owned(),
    };
    // `?password=` is another way libpq-style URLs carry the secret.
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.internal:5432/keeper"),
            "postgres://app:***@db.internal:5432/keeper"
        );
        assert_eq!(
            redact_url("sqlite://x.db?mode=rwc"),
            "sqlite://x.db?mode=rwc"
        );
        assert_eq!(
            redact_url("postgres://db.internal/keeper?user=app&password=s3cret"),
            "postgres://db.internal/keeper?user=app&password=***"
        );
    }
}
