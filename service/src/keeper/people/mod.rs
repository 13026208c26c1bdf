//! People and identity verification (SPEC §4): a person proves which IAM identity is theirs by
//! fetching a presigned URL with their own credentials
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html>). [`verify`]
//! parses what the person pastes without backtracking and checks the signed URL; [`fetch`] GETs it
//! with a client that can reach nothing else.

pub mod fetch;
pub mod verify;

use super::*;

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub email: String,
    pub name: String,
    pub identity: Option<Identity>,
    /// Datasets (`SLUG/VERSION`) whose data use agreement the person signed.
    pub agreements: Vec<String>,
    pub grants: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub account: String,
    pub user_id: String,
    pub arn: String,
    pub username: String,
    /// `verified`, or `unverified` when AWS no longer knows the IAM user.
    pub status: String,
    /// Why the identity is unverified, for the person.
    pub note: String,
    pub verified_at: i64,
}

/// Step 1's answer: the command whose output the person pastes back.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationStart {
    pub bucket: String,
    pub key: String,
    pub command: String,
}

impl Keeper {
    /// Adds a person (or updates their name). Safe to repeat.
    pub async fn add_person(&self, email: &str, name: &str) -> Result<Person, KeeperError> {
        check_email(email)?;
        if name.len() > 200 {
            return Err(invalid("name is longer than 200 characters"));
        }
        let mut tx = self.begin().await?;
        let updated = sqlx::query("UPDATE people SET name = $1 WHERE email = $2")
            .bind(name)
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            sqlx::query("INSERT INTO people (email, name, created_at) VALUES ($1, $2, $3)")
                .bind(email)
                .bind(name)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            self.audit_in(&mut tx, "person-added", email, "", name)
                .await?;
        }
        tx.commit().await?;
        self.person(email).await
    }

    /// A person with their identity, agreements and grants.
    pub async fn person(&self, email: &str) -> Result<Person, KeeperError> {
        let pool = &self.db.pool;
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM people WHERE email = $1")
                .bind(email)
                .fetch_optional(pool)
                .await?;
        let (id, name) = row.ok_or_else(|| no_person(email))?;
        let identity: Option<(String, String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT account, user_id, arn, username, status, note, verified_at FROM identities WHERE person_id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?;
        let labels = |sql: &'static str| async move {
            let rows: Vec<(String, String)> = sqlx::query_as(sql).bind(id).fetch_all(pool).await?;
            Ok::<_, KeeperError>(
                rows.into_iter()
                    .map(|(s, v)| dataset_label(&s, &v))
                    .collect::<Vec<_>>(),
            )
        };
        Ok(Person {
            email: email.to_owned(),
            name,
            identity: identity.map(
                |(account, user_id, arn, username, status, note, verified_at)| Identity {
                    account,
                    user_id,
                    arn,
                    username,
                    status,
                    note,
                    verified_at,
                },
            ),
            agreements: labels("SELECT d.slug, d.version FROM agreements a JOIN datasets d ON d.id = a.dataset_id WHERE a.person_id = $1 ORDER BY d.slug, d.version").await?,
            grants: labels("SELECT d.slug, d.version FROM grants g JOIN datasets d ON d.id = g.dataset_id WHERE g.person_id = $1 ORDER BY d.slug, d.version").await?,
        })
    }

    /// Step 1 of verification: read `aws sts get-caller-identity`'s output and answer with the
    /// command to run.
    pub async fn start_verification(
        &self,
        email: &str,
        caller_identity: &str,
    ) -> Result<VerificationStart, KeeperError> {
        if caller_identity.len() > 4096 {
            return Err(invalid(
                "the pasted identity is longer than 4096 characters",
            ));
        }
        let user = verify::parse_caller_identity(caller_identity)?;
        let key = verify::verification_key(&self.settings.site, email, &user);
        let mut tx = self.begin().await?;
        let person_id = lock_person(&mut tx, email).await?;
        let holder: Option<(String,)> = sqlx::query_as(
            "SELECT p.email FROM identities i JOIN people p ON p.id = i.person_id WHERE i.user_id = $1 AND i.person_id <> $2",
        )
        .bind(&user.user_id)
        .bind(person_id)
        .fetch_optional(&mut *tx)
        .await?;
        if holder.is_some() {
            return Err(KeeperError::Conflict(format!(
                "the IAM user {} is already verified by another person; each IAM user can belong to one person only",
                user.arn
            )));
        }
        sqlx::query("DELETE FROM pending_verifications WHERE person_id = $1")
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO pending_verifications (person_id, account, user_id, arn, username, object_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(person_id)
        .bind(&user.account)
        .bind(&user.user_id)
        .bind(&user.arn)
        .bind(&user.username)
        .bind(&key)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, "verification-started", email, "", &user.arn)
            .await?;
        tx.commit().await?;
        Ok(VerificationStart {
            command: verify::presign_command(&self.settings.verify_bucket, &key),
            bucket: self.settings.verify_bucket.clone(),
            key,
        })
    }

    /// Step 2: check and fetch the signed URL; on success the identity is stored (replacing any
    /// earlier one, keeping the person's access points) and their access points rewritten.
    pub async fn complete_verification(
        &self,
        email: &str,
        url: &str,
    ) -> Result<Identity, KeeperError> {
        let outcome = self.finish_verification(email, url).await;
        self.aws.metrics.verification(outcome.is_ok());
        outcome
    }

    pub(super) async fn finish_verification(
        &self,
        email: &str,
        url: &str,
    ) -> Result<Identity, KeeperError> {
        let pending: Option<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT v.account, v.user_id, v.arn, v.username, v.object_key FROM pending_verifications v JOIN people p ON p.id = v.person_id WHERE p.email = $1",
        )
        .bind(email)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some((account, user_id, arn, username, key)) = pending else {
            self.person(email).await?;
            return Err(KeeperError::Conflict(
                "no verification is in progress for this person; paste `aws sts get-caller-identity` first".to_owned(),
            ));
        };
        let checked = verify::check_signed_url(
            url,
            &self.settings.verify_endpoint,
            &self.settings.verify_bucket,
            &key,
        )?;
        let signed = self.fetcher.status(&checked.signed).await?;
        match signed {
            404 => {}
            403 => return Err(KeeperError::NotVerified(format!(
                "S3 refused the signed URL (403): it was signed by an IAM user other than {arn}, has expired, or was changed after signing; run the command again with {arn}'s access keys"
            ))),
            200 => return Err(KeeperError::NotVerified(
                "an object exists at the verification key, so S3's answer proves nothing; ask an administrator to remove it".to_owned(),
            )),
            other => return Err(KeeperError::NotVerified(format!(
                "S3 answered the signed URL with {other}; expected 404 (signature accepted, no object)"
            ))),
        }
        let unsigned = self.fetcher.status(&checked.unsigned).await?;
        if unsigned != 403 {
            return Err(KeeperError::NotVerified(format!(
                "the verification bucket answered an unsigned request with {unsigned}, not 403, so its policy is not intact and nothing can be concluded; an administrator must run `s3keeper setup`"
            )));
        }
        let mut tx = self.begin().await?;
        let person_id = lock_person(&mut tx, email).await?;
        // The pending row may have been replaced while the URL was being fetched.
        let still: Option<(String,)> =
            sqlx::query_as("SELECT object_key FROM pending_verifications WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await?;
        if still.map(|(k,)| k) != Some(key.clone()) {
            return Err(KeeperError::Conflict(
                "another verification was started meanwhile; finish that one".to_owned(),
            ));
        }
        let taken: Option<(i64,)> = sqlx::query_as(
            "SELECT person_id FROM identities WHERE user_id = $1 AND person_id <> $2",
        )
        .bind(&user_id)
        .bind(person_id)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(KeeperError::Conflict(format!(
                "the IAM user {arn} is already verified by another person"
            )));
        }
        // Access point rows before identity rows, the order apply_access_point takes them in.
        let aps = touch_person_access_points(&mut tx, person_id).await?;
        let verified_at = now();
        sqlx::query("DELETE FROM identities WHERE person_id = $1")
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO identities (person_id, account, user_id, arn, username, status, note, verified_at) VALUES ($1, $2, $3, $4, $5, 'verified', '', $6)",
        )
        .bind(person_id)
        .bind(&account)
        .bind(&user_id)
        .bind(&arn)
        .bind(&username)
        .bind(verified_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM pending_verifications WHERE person_id = $1")
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        self.audit_in(
            &mut tx,
            "identity-verified",
            email,
            "",
            &format!("{arn} ({user_id}) by {}", checked.signature_version),
        )
        .await?;
        tx.commit().await?;
        if let Err(e) = self.apply_all(&aps).await {
            tracing::warn!(error = %e, "identity verified; its access points are not yet updated, reconcile will finish it");
        }
        Ok(Identity {
            account,
            user_id,
            arn,
            username,
            status: "verified".to_owned(),
            note: String::new(),
            verified_at,
        })
    }

    /// Forgets the person's AWS identity; their access points stop naming it at once. Their
    /// grants stay, so a newly verified identity gets the same access points.
    pub async fn remove_identity(&self, email: &str) -> Result<(), KeeperError> {
        let mut tx = self.begin().await?;
        let person_id = lock_person(&mut tx, email).await?;
        let aps = touch_person_access_points(&mut tx, person_id).await?;
        let gone = sqlx::query("DELETE FROM identities WHERE person_id = $1")
            .bind(person_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(KeeperError::NotFound(format!(
                "{email} has no AWS identity"
            )));
        }
        self.audit_in(&mut tx, "identity-removed", email, "", "")
            .await?;
        tx.commit().await?;
        self.apply_all(&aps).await.map_err(recorded_but_not_applied)
    }
}
