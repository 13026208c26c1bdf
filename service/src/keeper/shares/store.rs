//! The rows a shared bucket is kept in: `shares` (the policy last written and the statements kept
//! verbatim; its row is also the lock every change takes), `share_members` (the role table) and
//! `share_former_members` (revoked principals the policy denies everything, Ceph dialect). Only
//! the differences are written, so a change costs a row or two whatever the table's size. Also
//! the [`Table`] a change works on, read from the rows or from an imported policy.

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::Tx;
use super::import::Imported;
use super::roles::{FormerMember, Member};
use crate::db::now;
use crate::error::KeeperError;

/// A bucket's share as the database holds it.
#[derive(Debug, Clone, Default)]
pub(super) struct ShareState {
    /// The policy text last written to S3 (`None`: none, or the bucket's policy was deleted).
    pub(super) applied: Option<String>,
    pub(super) kept: Vec<Value>,
    pub(super) members: Vec<Member>,
    pub(super) former: Vec<FormerMember>,
}

/// The table a change works on: roles, former members and the statements kept verbatim.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    pub(super) members: Vec<Member>,
    pub(super) former: Vec<FormerMember>,
    pub(super) kept: Vec<Value>,
}

impl From<ShareState> for Table {
    fn from(s: ShareState) -> Table {
        let ShareState {
            members,
            former,
            kept,
            ..
        } = s;
        Table {
            members,
            former,
            kept,
        }
    }
}

impl From<Imported> for Table {
    fn from(i: Imported) -> Table {
        let Imported {
            members,
            former,
            kept,
        } = i;
        Table {
            members,
            former,
            kept,
        }
    }
}

/// Locks the bucket's row for the rest of the transaction, creating it if needed.
pub(super) async fn lock_share(tx: &mut Tx, bucket: &str) -> Result<(), KeeperError> {
    sqlx::query(
        "INSERT INTO shares (bucket, lock_seq, applied, kept, updated_at) VALUES ($1, 0, NULL, '[]', $2) \
         ON CONFLICT (bucket) DO NOTHING",
    )
    .bind(bucket)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    // An UPDATE takes the row lock on PostgreSQL (and the write lock on SQLite), so concurrent
    // changes of one bucket queue here until the holder commits.
    sqlx::query("UPDATE shares SET lock_seq = lock_seq + 1 WHERE bucket = $1")
        .bind(bucket)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The bucket's share, or `None` when it was never shared through s3keeper.
pub(super) async fn read_share(
    tx: &mut Tx,
    bucket: &str,
) -> Result<Option<ShareState>, KeeperError> {
    let row: Option<(Option<String>, String)> =
        sqlx::query_as("SELECT applied, kept FROM shares WHERE bucket = $1")
            .bind(bucket)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((applied, kept)) = row else {
        return Ok(None);
    };
    let kept: Vec<Value> = serde_json::from_str(&kept).map_err(|e| {
        KeeperError::Config(format!("the kept statements of {bucket} are damaged: {e}"))
    })?;
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT principal, user_name, role, prefix FROM share_members WHERE bucket = $1 \
         ORDER BY principal, prefix",
    )
    .bind(bucket)
    .fetch_all(&mut **tx)
    .await?;
    let mut members = Vec::with_capacity(rows.len());
    for (principal, user, role, prefix) in rows {
        members.push(Member {
            principal,
            user,
            role: role.parse()?,
            prefix,
        });
    }
    let former: Vec<(String, String)> = sqlx::query_as(
        "SELECT principal, user_name FROM share_former_members WHERE bucket = $1 \
         ORDER BY principal",
    )
    .bind(bucket)
    .fetch_all(&mut **tx)
    .await?;
    let former = former
        .into_iter()
        .map(|(principal, user)| FormerMember { principal, user })
        .collect();
    Ok(Some(ShareState {
        applied,
        kept,
        members,
        former,
    }))
}

/// Writes the difference between `old` and `new` rows, so a grant costs one row whatever the
/// table's size.
pub(super) async fn save_members(
    tx: &mut Tx,
    bucket: &str,
    old: &[Member],
    new: &[Member],
) -> Result<(), KeeperError> {
    let key = |m: &Member| (m.principal.clone(), m.prefix.clone());
    let before: BTreeMap<_, &Member> = old.iter().map(|m| (key(m), m)).collect();
    let after: BTreeMap<_, &Member> = new.iter().map(|m| (key(m), m)).collect();
    for (k, _) in before.iter().filter(|(k, _)| !after.contains_key(*k)) {
        sqlx::query(
            "DELETE FROM share_members WHERE bucket = $1 AND principal = $2 AND prefix = $3",
        )
        .bind(bucket)
        .bind(&k.0)
        .bind(&k.1)
        .execute(&mut **tx)
        .await?;
    }
    for (k, m) in &after {
        match before.get(k) {
            Some(o) if o.role == m.role && o.user == m.user => {}
            Some(_) => {
                sqlx::query(
                    "UPDATE share_members SET role = $1, user_name = $2 \
                     WHERE bucket = $3 AND principal = $4 AND prefix = $5",
                )
                .bind(m.role.as_str())
                .bind(&m.user)
                .bind(bucket)
                .bind(&k.0)
                .bind(&k.1)
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO share_members (bucket, principal, user_name, role, prefix, granted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(bucket)
                .bind(&k.0)
                .bind(&m.user)
                .bind(m.role.as_str())
                .bind(&k.1)
                .bind(now())
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// Writes the difference between the `old` and `new` former members; one who stays keeps the
/// time of their revocation.
pub(super) async fn save_former(
    tx: &mut Tx,
    bucket: &str,
    old: &[FormerMember],
    new: &[FormerMember],
) -> Result<(), KeeperError> {
    let before: BTreeMap<&str, &FormerMember> =
        old.iter().map(|f| (f.principal.as_str(), f)).collect();
    let after: BTreeMap<&str, &FormerMember> =
        new.iter().map(|f| (f.principal.as_str(), f)).collect();
    for principal in before.keys().filter(|p| !after.contains_key(*p)) {
        sqlx::query("DELETE FROM share_former_members WHERE bucket = $1 AND principal = $2")
            .bind(bucket)
            .bind(*principal)
            .execute(&mut **tx)
            .await?;
    }
    for (principal, f) in &after {
        match before.get(principal) {
            Some(o) if o.user == f.user => {}
            Some(_) => {
                sqlx::query(
                    "UPDATE share_former_members SET user_name = $1 WHERE bucket = $2 AND principal = $3",
                )
                .bind(&f.user)
                .bind(bucket)
                .bind(*principal)
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO share_former_members (bucket, principal, user_name, revoked_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(bucket)
                .bind(*principal)
                .bind(&f.user)
                .bind(now())
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// Records the policy just written (`None`: deleted) and the statements kept verbatim.
pub(super) async fn save_share(
    tx: &mut Tx,
    bucket: &str,
    applied: Option<&str>,
    kept: &[Value],
) -> Result<(), KeeperError> {
    sqlx::query("UPDATE shares SET applied = $1, kept = $2, updated_at = $3 WHERE bucket = $4")
        .bind(applied)
        .bind(Value::Array(kept.to_vec()).to_string())
        .bind(now())
        .bind(bucket)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
