//! The uploads bucket's policy, which revokes ended tickets: one Deny naming the `aws:userid` of
//! every ended ticket whose session could still act
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html>).
//!
//! A bucket policy is at most 20 KB (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html>),
//! so the list has a size: a ticket is admitted only while the policy naming every session that
//! could still need revoking (open tickets and ended ones alike) fits, so that revoking any of
//! them can never fail for size. A session leaves the list once it can no longer act: its
//! session policy ends it at the ticket's expiry (`aws:CurrentTime`), and STS ends its
//! credentials; [`REVOKE_MARGIN`] covers the clocks of S3 and the service differing.
//!
//! Writes happen with the `uploads-policy` lock row held (see db.rs), so admission, ending and
//! reconcile never lose each other's entries.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::*;
use crate::policies::POLICY_LIMIT;

/// Seconds a session stays on the list past the moment it stops working.
pub(super) const REVOKE_MARGIN: i64 = 60;

/// The statement id of the revocation list.
const SID: &str = "EndedUploadTickets";

/// How full the revocation list is (`doctor`, `/metrics`).
#[derive(Debug, Clone, Serialize)]
pub struct UploadCapacity {
    /// Sessions that may still need a Deny: open tickets and ended ones not yet expired.
    pub live_sessions: usize,
    /// Of those, tickets still open.
    pub open_tickets: usize,
    /// How many sessions of this kind fit in one bucket policy (an estimate from the longest
    /// session id seen, or the id STS gives this configuration).
    pub capacity: usize,
    /// The policy that would revoke every live session, in bytes, and AWS's limit.
    pub policy_bytes: usize,
    pub policy_limit: usize,
    /// The places all API clients may hold together (the sum of their `--max-sessions`); above
    /// `capacity`, clients together can make the operator wait.
    pub clients_max_sessions: i64,
}

/// The policy revoking `ids`, or `None` when there is nothing to revoke.
pub(super) fn revocation_policy(bucket: &str, ids: &[&str]) -> Option<String> {
    if ids.is_empty() {
        return None;
    }
    Some(
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": SID,
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [
                    format!("arn:aws:s3:::{bucket}"),
                    format!("arn:aws:s3:::{bucket}/*"),
                ],
                "Condition": {"StringEquals": {"aws:userid": ids}},
            }]
        })
        .to_string(),
    )
}

/// The sessions a live policy revokes, when it is exactly a revocation list (any other shape,
/// such as a hand edit, gives `None`).
fn revoked_in(policy: &str) -> Option<BTreeSet<String>> {
    let v: Value = serde_json::from_str(policy).ok()?;
    let statements = match &v["Statement"] {
        Value::Array(a) if a.len() == 1 => a[0].clone(),
        s @ Value::Object(_) => s.clone(),
        _ => return None,
    };
    if statements["Sid"] != SID || statements["Effect"] != "Deny" {
        return None;
    }
    match &statements["Condition"]["StringEquals"]["aws:userid"] {
        Value::String(s) => Some(BTreeSet::from([s.clone()])),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

/// Takes the `uploads-policy` lock for the rest of the transaction.
pub(super) async fn lock_policy(tx: &mut Tx) -> Result<(), KeeperError> {
    sqlx::query("UPDATE locks SET seq = seq + 1 WHERE name = 'uploads-policy'")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Keeper {
    /// Every session that could still act, with whether its ticket is open.
    async fn live_sessions(&self, tx: &mut Tx) -> Result<Vec<(String, bool)>, KeeperError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT userid, state FROM upload_tickets WHERE bucket = $1 AND revoke_until > $2 \
             ORDER BY userid",
        )
        .bind(&self.settings.uploads_bucket)
        .bind(now())
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows.into_iter().map(|(u, s)| (u, s == "open")).collect())
    }

    /// The ended sessions to deny now, as the database (inside `tx`) says.
    async fn revoked_sessions(&self, tx: &mut Tx) -> Result<Vec<String>, KeeperError> {
        Ok(self
            .live_sessions(tx)
            .await?
            .into_iter()
            .filter(|(_, open)| !open)
            .map(|(u, _)| u)
            .collect())
    }

    /// Refuses a new session when the policy revoking it and every other live session would not
    /// fit; `userid` is the new session's id (or, before STS is asked, the longest one likely).
    pub(super) async fn check_capacity(
        &self,
        tx: &mut Tx,
        userid: &str,
    ) -> Result<(), KeeperError> {
        let live = self.live_sessions(tx).await?;
        let mut ids: Vec<&str> = live.iter().map(|(u, _)| u.as_str()).collect();
        ids.push(userid);
        let bytes = revocation_policy(&self.settings.uploads_bucket, &ids).map_or(0, |p| p.len());
        if bytes > POLICY_LIMIT {
            let capacity = self.estimate_capacity(live.iter().map(|(u, _)| u.len()).max());
            return Err(KeeperError::Unavailable(format!(
                "the uploads bucket's revocation list is full: {} ticket sessions are open or ended but not yet expired, and a bucket policy of {POLICY_LIMIT} bytes can revoke about {capacity}; a new ticket is refused until some expire (a ticket's session leaves the list {REVOKE_MARGIN} s after its expiry)",
                live.len()
            )));
        }
        Ok(())
    }

    /// How many sessions with ids of `longest` bytes fit (default: the id STS gives this
    /// configuration: `ACCOUNT:s3k-ID` for federation tokens, `AROA…:s3k-ID` for a role).
    fn estimate_capacity(&self, longest: Option<usize>) -> usize {
        let session = format!("s3k-{}", "x".repeat(16));
        let typical = match &self.settings.uploader_role_arn {
            Some(_) => 21 + 1 + session.len(),
            None => self.settings.account.len() + 1 + session.len(),
        };
        let id_len = longest.unwrap_or(typical).max(typical);
        let one = "x".repeat(id_len);
        let base = revocation_policy(&self.settings.uploads_bucket, &[&one]).map_or(0, |p| p.len());
        // Each further id adds its quotes and a comma.
        1 + POLICY_LIMIT.saturating_sub(base) / (id_len + 3)
    }

    /// How full the revocation list is now.
    pub async fn upload_capacity(&self) -> Result<UploadCapacity, KeeperError> {
        let mut tx = self.begin().await?;
        let live = self.live_sessions(&mut tx).await?;
        // PostgreSQL's SUM of BIGINT is NUMERIC, which the `Any` driver cannot read: cast back.
        let (clients,): (i64,) =
            sqlx::query_as("SELECT CAST(COALESCE(SUM(max_sessions), 0) AS BIGINT) FROM clients")
                .fetch_one(&mut *tx)
                .await?;
        tx.rollback().await?;
        let ids: Vec<&str> = live.iter().map(|(u, _)| u.as_str()).collect();
        Ok(UploadCapacity {
            live_sessions: live.len(),
            open_tickets: live.iter().filter(|(_, open)| *open).count(),
            capacity: self.estimate_capacity(ids.iter().map(|u| u.len()).max()),
            policy_bytes: revocation_policy(&self.settings.uploads_bucket, &ids)
                .map_or(0, |p| p.len()),
            policy_limit: POLICY_LIMIT,
            clients_max_sessions: clients,
        })
    }

    /// Writes the uploads bucket's policy from the database as `tx` sees it; the caller holds
    /// the `uploads-policy` lock and commits only when this succeeded, so the database never
    /// says a ticket is ended while S3 still lets it in.
    pub(super) async fn write_revocations_in(&self, tx: &mut Tx) -> Result<(), KeeperError> {
        let s = &self.settings;
        let revoked = self.revoked_sessions(tx).await?;
        let ids: Vec<&str> = revoked.iter().map(String::as_str).collect();
        match revocation_policy(&s.uploads_bucket, &ids) {
            None => self.aws.delete_bucket_policy(&s.uploads_bucket).await,
            Some(policy) => {
                self.aws
                    .put_bucket_policy(&s.uploads_bucket, &s.region, &policy)
                    .await
            }
        }
    }

    /// Writes the uploads bucket's policy from the database (set-up).
    pub(in crate::keeper) async fn write_revocations(&self) -> Result<(), KeeperError> {
        let mut tx = self.begin().await?;
        lock_policy(&mut tx).await?;
        self.write_revocations_in(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes the uploads bucket's policy what the database says, dropping sessions that have
    /// expired; reports a policy that said otherwise.
    pub(super) async fn reconcile_revocations(
        &self,
        report: &mut ReconcileReport,
    ) -> Result<(), KeeperError> {
        let s = &self.settings;
        let mut tx = self.begin().await?;
        lock_policy(&mut tx).await?;
        let want: BTreeSet<String> = self.revoked_sessions(&mut tx).await?.into_iter().collect();
        let live = self
            .aws
            .get_bucket_policy(&s.uploads_bucket, &s.region)
            .await?;
        let found = match &live {
            None => Some(BTreeSet::new()),
            Some(p) => revoked_in(p),
        };
        if found.as_ref() == Some(&want) {
            return Ok(());
        }
        let what = match &found {
            None => "a policy that is not S3 Keeper's revocation list".to_owned(),
            Some(f) => {
                let missing = want.difference(f).count();
                let extra = f.difference(&want).count();
                format!("{missing} ended session(s) not denied, {extra} expired or unknown session(s) still listed")
            }
        };
        self.write_revocations_in(&mut tx).await?;
        tx.commit().await?;
        // Entries that merely expired are routine pruning, not drift.
        let pruned_only = found
            .as_ref()
            .is_some_and(|f| want.is_subset(f) && f.len() > want.len() && live.is_some());
        if !pruned_only {
            report.drift.push(Drift {
                resource: format!("s3://{} (bucket policy)", s.uploads_bucket),
                found: what,
                action: format!(
                    "rewrote it from the database: {} ended ticket session(s) denied",
                    want.len()
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_list_reads_back_and_anything_else_does_not() {
        let p = revocation_policy("b", &["1:a", "1:b"]).unwrap_or_default();
        assert_eq!(
            revoked_in(&p),
            Some(BTreeSet::from(["1:a".to_owned(), "1:b".to_owned()]))
        );
        assert_eq!(revocation_policy("b", &[]), None);
        assert_eq!(revoked_in(r#"{"Statement": []}"#), None);
        let edited = p.replace("\"Deny\"", "\"Allow\"");
        assert_eq!(revoked_in(&edited), None);
    }
}
