//! The audit log: every change, who made it and why, filtered by person, dataset, action and
//! time.

use super::*;

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub person: String,
    pub dataset: String,
    pub detail: String,
}

/// Which audit entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub person: Option<String>,
    pub dataset: Option<String>,
    pub action: Option<String>,
    /// Only entries with a larger id.
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

impl Keeper {
    pub async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, KeeperError> {
        let limit = filter.limit.unwrap_or(100).clamp(1, 10_000);
        // Empty filters match everything, so one statement serves every combination.
        let rows: Vec<(i64, i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, at, actor, action, person, dataset, detail FROM audit \
             WHERE ($1 = '' OR person = $1) AND ($2 = '' OR dataset = $2) AND ($3 = '' OR action = $3) AND id > $4 \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(filter.person.clone().unwrap_or_default())
        .bind(filter.dataset.clone().unwrap_or_default())
        .bind(filter.action.clone().unwrap_or_default())
        .bind(filter.after.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out: Vec<AuditEntry> = rows
            .into_iter()
            .map(
                |(id, at, actor, action, person, dataset, detail)| AuditEntry {
                    id,
                    at,
                    actor,
                    action,
                    person,
                    dataset,
                    detail,
                },
            )
            .collect();
        out.reverse();
        Ok(out)
    }
}
