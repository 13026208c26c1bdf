//! Ending a ticket: finish (keep what it uploaded) or cancel (delete it), in two steps.
//!
//! 1. With the ticket's row locked, its state changes and the uploads bucket's policy gains its
//!    session in one transaction that commits only after S3 accepted the policy: concurrent
//!    finish and cancel calls queue on the row, exactly one finds the ticket open, and the
//!    database never says "ended" while S3 still lets the session in.
//! 2. Clean-up: incomplete multipart uploads under the prefix are aborted
//!    (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html>), and for
//!    a cancel the objects the ticket uploaded (new or changed since it opened) are deleted, never
//!    what was there before. Its outcome is recorded once, with one audit entry; when it fails,
//!    reconcile finishes it.

use super::*;

/// Ended tickets whose clean-up has not been recorded for this long are finished by reconcile
/// (younger ones may still be in the hands of the call that ended them).
const CLEAN_UP_GRACE: i64 = 60;

impl Keeper {
    /// Ends a ticket: revokes its credentials, URLs and form at once, then lists what it uploaded
    /// (finish) or deletes it (cancel).
    pub async fn end_upload(&self, id: &str, cancel: bool) -> Result<UploadState, KeeperError> {
        let end = if cancel { "cancelled" } else { "finished" };
        let mut tx = self.begin().await?;
        // The row lock: a concurrent end of the same ticket waits here, then finds it ended.
        sqlx::query("UPDATE upload_tickets SET state = state WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT state, objects FROM upload_tickets WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((state, objects)) = row else {
            return Err(KeeperError::NotFound(format!("no upload ticket `{id}`")));
        };
        if state != "open" {
            let pending = if objects.is_none() {
                "; its clean-up is not finished yet, and reconcile finishes it"
            } else {
                ""
            };
            return Err(KeeperError::Conflict(format!(
                "upload ticket `{id}` is already {state}{pending}"
            )));
        }
        sqlx::query("UPDATE upload_tickets SET state = $1, ended_at = $2 WHERE id = $3")
            .bind(end)
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        lock_policy(&mut tx).await?;
        // On failure the transaction rolls back: the ticket stays open, and a retry may end it.
        self.write_revocations_in(&mut tx).await.map_err(|e| {
            with_note(
                e,
                "the ticket is still open (S3 did not take its revocation); try again",
            )
        })?;
        tx.commit().await?;
        self.clean_up(id, cancel).await.map_err(|e| {
            with_note(
                e,
                "the ticket is ended and revoked; its clean-up failed and the next reconcile finishes it",
            )
        })
    }

    /// Step 2 for an ended ticket: aborts the prefix's incomplete multipart uploads, deletes what
    /// a cancelled ticket uploaded, and records the outcome (once, with one audit entry).
    async fn clean_up(&self, id: &str, cancel: bool) -> Result<UploadState, KeeperError> {
        let row = self.ticket_row(id).await?;
        let (bucket, prefix) = (row.2.clone(), row.3.clone());
        let mine = self.uploaded_by(id, &bucket, &prefix).await?;
        let aborted = self.aws.abort_multipart_uploads(&bucket, &prefix).await?;
        if cancel {
            let keys: Vec<String> = mine.iter().map(|o| o.key.clone()).collect();
            self.aws.delete_keys(&bucket, &keys).await?;
        }
        let bytes: u64 = mine.iter().map(|o| o.size).sum();
        let mut tx = self.begin().await?;
        let recorded = sqlx::query(
            "UPDATE upload_tickets SET objects = $1, bytes = $2 WHERE id = $3 AND objects IS NULL",
        )
        .bind(i64::try_from(mine.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(bytes).unwrap_or(i64::MAX))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if recorded.rows_affected() == 1 {
            self.audit_in(
                &mut tx,
                if cancel {
                    "upload-cancel"
                } else {
                    "upload-finish"
                },
                "",
                "",
                &format!(
                    "ticket {id}: {} objects, {bytes} bytes under s3://{bucket}/{prefix}{}{}",
                    mine.len(),
                    if cancel { " deleted" } else { "" },
                    if aborted > 0 {
                        format!(", {aborted} incomplete multipart upload(s) aborted")
                    } else {
                        String::new()
                    }
                ),
            )
            .await?;
        }
        tx.commit().await?;
        let mut state = state_from(self.ticket_row(id).await?, now());
        state.bytes = Some(bytes);
        state.objects = Some(uploaded(mine));
        Ok(state)
    }

    /// Finishes the clean-up of tickets ended without it (a crash or an S3 failure), and makes
    /// the uploads bucket's policy what the database says.
    pub(in crate::keeper) async fn reconcile_uploads(
        &self,
        report: &mut ReconcileReport,
    ) -> Result<(), KeeperError> {
        let (tickets,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM upload_tickets")
            .fetch_one(&self.db.pool)
            .await?;
        if tickets == 0 {
            // No ticket was ever issued: nothing to revoke (and the bucket may not exist).
            return Ok(());
        }
        let pending: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, state FROM upload_tickets WHERE state IN ('finished', 'cancelled') \
             AND objects IS NULL AND ended_at < $1 ORDER BY ended_at",
        )
        .bind(now() - CLEAN_UP_GRACE)
        .fetch_all(&self.db.pool)
        .await?;
        for (id, state) in pending {
            let resource = format!("upload ticket {id}");
            let found = format!("{state}, but its clean-up was not finished");
            match self.clean_up(&id, state == "cancelled").await {
                Ok(done) => report.drift.push(Drift {
                    resource,
                    found,
                    action: format!(
                        "finished it: {} object(s){}",
                        done.objects.map_or(0, |o| o.len()),
                        if state == "cancelled" { " deleted" } else { "" }
                    ),
                }),
                Err(e) => report.failures.push(Drift {
                    resource,
                    found,
                    action: e.to_string(),
                }),
            }
        }
        self.reconcile_revocations(report).await
    }
}

/// Adds what the state now is to an AWS failure's one line.
fn with_note(e: KeeperError, note: &str) -> KeeperError {
    match e {
        KeeperError::Aws(mut failure) => {
            failure.note = Some(note.to_owned());
            KeeperError::Aws(failure)
        }
        other => other,
    }
}
