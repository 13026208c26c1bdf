//! Agreements, grants and revocation, and the access points that carry them: members are
//! allocated to numbered access points of bounded capacity, and each access point's policy is
//! written from the database (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html>).

use crate::keeper::*;

/// What a granted person needs.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub email: String,
    pub dataset: String,
    pub access_point: String,
    pub access_point_arn: String,
    pub s3_uri: String,
    pub sync_command: String,
    /// `active` (AWS holds it), or `pending` with the reason in `note`.
    pub state: String,
    pub note: String,
}

impl Keeper {
    /// Records that the person signed the dataset's data use agreement; grants at once when they
    /// have a verified identity.
    pub async fn sign_agreement(
        &self,
        email: &str,
        slug: &str,
        version: &str,
    ) -> Result<Option<Access>, KeeperError> {
        let (verified, kind) = self.record_agreement(email, slug, version).await?;
        if verified && kind == Kind::Controlled {
            return Ok(Some(self.grant(email, slug, version).await?));
        }
        Ok(None)
    }

    /// Records the signature only (no grant); returns whether the person has a verified identity
    /// and the dataset's kind, which decide whether signing grants.
    pub async fn record_agreement(
        &self,
        email: &str,
        slug: &str,
        version: &str,
    ) -> Result<(bool, Kind), KeeperError> {
        let mut tx = self.begin().await?;
        let person_id = lock_person(&mut tx, email).await?;
        let (dataset_id, kind, _) = find_dataset(&mut tx, slug, version).await?;
        let identity: Option<(String,)> =
            sqlx::query_as("SELECT status FROM identities WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await?;
        let verified = identity.is_some_and(|(s,)| s == "verified");
        sqlx::query("DELETE FROM agreements WHERE person_id = $1 AND dataset_id = $2")
            .bind(person_id)
            .bind(dataset_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO agreements (person_id, dataset_id, signed_at) VALUES ($1, $2, $3)",
        )
        .bind(person_id)
        .bind(dataset_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            "agreement-signed",
            email,
            &dataset_label(slug, version),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok((verified, kind))
    }

    /// Grants the person read access to a controlled dataset through an access point, and writes
    /// that access point's policy. Repeating a grant returns the existing one.
    pub async fn grant(
        &self,
        email: &str,
        slug: &str,
        version: &str,
    ) -> Result<Access, KeeperError> {
        let ap = self.record_grant(email, slug, version).await?;
        if let Err(e) = self.apply_all(&[ap]).await {
            tracing::warn!(error = %e, "grant recorded; AWS not yet updated, reconcile will finish it");
        }
        self.access(email, slug, version).await
    }

    /// The database half of a grant: allocates the access point and commits the membership,
    /// without touching the access point's policy. Returns the access point's id. Public so that
    /// tests can stop a grant exactly where a crash would.
    pub async fn record_grant(
        &self,
        email: &str,
        slug: &str,
        version: &str,
    ) -> Result<i64, KeeperError> {
        let label = dataset_label(slug, version);
        let mut tx = self.begin().await?;
        let dataset_id = lock_dataset(&mut tx, slug, version).await?;
        let (_, kind, state) = find_dataset(&mut tx, slug, version).await?;
        if kind == Kind::Open {
            return Err(KeeperError::Conflict(format!(
                "{label} is an open dataset: anyone can read s3://{}/{slug}/{version}/ without a grant",
                self.settings.open_bucket
            )));
        }
        let person: Option<(i64,)> = sqlx::query_as("SELECT id FROM people WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?;
        let (person_id,) = person.ok_or_else(|| no_person(email))?;
        let existing: Option<(i64,)> = sqlx::query_as(
            "SELECT access_point_id FROM grants WHERE person_id = $1 AND dataset_id = $2",
        )
        .bind(person_id)
        .bind(dataset_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((ap,)) = existing {
            tx.commit().await?;
            return Ok(ap);
        }
        let signed: Option<(i64,)> = sqlx::query_as(
            "SELECT signed_at FROM agreements WHERE person_id = $1 AND dataset_id = $2",
        )
        .bind(person_id)
        .bind(dataset_id)
        .fetch_optional(&mut *tx)
        .await?;
        if signed.is_none() {
            return Err(KeeperError::Forbidden(format!(
                "{email} has not signed the data use agreement of {label}"
            )));
        }
        let identity: Option<(String,)> =
            sqlx::query_as("SELECT status FROM identities WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await?;
        match identity {
            Some((s,)) if s == "verified" => {}
            Some(_) => return Err(KeeperError::Forbidden(format!(
                "{email}'s AWS identity is no longer recognised by AWS; they must verify an IAM user again"
            ))),
            None => {
                return Err(KeeperError::Forbidden(format!(
                    "{email} has not verified an AWS identity yet"
                )))
            }
        }
        let capacity = i64::try_from(self.settings.capacity).unwrap_or(i64::MAX);
        let room: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, name FROM access_points WHERE dataset_id = $1 AND member_count < $2 ORDER BY number LIMIT 1",
        )
        .bind(dataset_id)
        .bind(capacity)
        .fetch_optional(&mut *tx)
        .await?;
        let (ap_id, ap_name) = match room {
            Some(r) => r,
            None => {
                self.open_access_point(&mut tx, dataset_id, slug, version, &state)
                    .await?
            }
        };
        sqlx::query(
            "INSERT INTO grants (person_id, dataset_id, access_point_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(person_id)
        .bind(dataset_id)
        .bind(ap_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE access_points SET member_count = member_count + 1, version = version + 1 WHERE id = $1",
        )
        .bind(ap_id)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, "granted", email, &label, &ap_name)
            .await?;
        tx.commit().await?;
        self.aws.metrics.granted();
        Ok(ap_id)
    }

    /// Adds access point NN+1 for the dataset, creating it in AWS at once when the dataset is
    /// uploaded, so that a refused creation (quota) leaves nothing behind.
    pub(super) async fn open_access_point(
        &self,
        tx: &mut Tx,
        dataset_id: i64,
        slug: &str,
        version: &str,
        state: &str,
    ) -> Result<(i64, String), KeeperError> {
        // Held until commit: two grants on different datasets cannot both take the last slot.
        sqlx::query("UPDATE locks SET seq = seq + 1 WHERE name = 'access-point-quota'")
            .execute(&mut **tx)
            .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_points")
            .fetch_one(&mut **tx)
            .await?;
        if usize::try_from(total).unwrap_or(usize::MAX) >= self.settings.max_access_points {
            return Err(KeeperError::Limit(format!(
                "the account's {} access points in {} are all in use; nobody was granted (ask AWS for a higher quota and raise --max-access-points)",
                self.settings.max_access_points, self.settings.region
            )));
        }
        let (last,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(number) FROM access_points WHERE dataset_id = $1")
                .bind(dataset_id)
                .fetch_one(&mut **tx)
                .await?;
        let number = last.unwrap_or(0) + 1;
        let name = access_point_name(slug, version, number);
        if name.len() > 50 {
            return Err(KeeperError::Limit(format!(
                "the next access point name `{name}` is longer than AWS's 50 characters; nobody was granted"
            )));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO access_points (dataset_id, number, name) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(dataset_id)
        .bind(number)
        .bind(&name)
        .fetch_one(&mut **tx)
        .await?;
        if state == "uploaded" {
            self.aws
                .ensure_access_point(&name, &self.settings.controlled_bucket)
                .await
                .map_err(|e| match aws_code(&e) {
                    Some("TooManyAccessPoints") | Some("TooManyConfigurations") => {
                        KeeperError::Limit(format!(
                            "AWS refused a new access point ({e}); nobody was granted"
                        ))
                    }
                    _ => e,
                })?;
            sqlx::query("UPDATE access_points SET created = 1 WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        Ok((id, name))
    }

    /// Removes the person's grant and rewrites their access point's policy without them.
    pub async fn revoke(&self, email: &str, slug: &str, version: &str) -> Result<(), KeeperError> {
        let label = dataset_label(slug, version);
        let mut tx = self.begin().await?;
        let dataset_id = lock_dataset(&mut tx, slug, version).await?;
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT g.id, g.access_point_id FROM grants g JOIN people p ON p.id = g.person_id WHERE p.email = $1 AND g.dataset_id = $2",
        )
        .bind(email)
        .bind(dataset_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((grant_id, ap_id)) = row else {
            return Err(KeeperError::NotFound(format!(
                "{email} has no grant on {label}"
            )));
        };
        sqlx::query("DELETE FROM grants WHERE id = $1")
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE access_points SET member_count = member_count - 1, version = version + 1 WHERE id = $1",
        )
        .bind(ap_id)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, "revoked", email, &label, "").await?;
        tx.commit().await?;
        self.aws.metrics.revoked();
        self.apply_all(&[ap_id])
            .await
            .map_err(recorded_but_not_applied)
    }

    /// The person's access to a dataset: URI, sync command and whether AWS holds it yet.
    pub async fn access(
        &self,
        email: &str,
        slug: &str,
        version: &str,
    ) -> Result<Access, KeeperError> {
        let label = dataset_label(slug, version);
        let row: Option<(String, i64, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT a.name, a.version, a.applied_version, d.state, i.status FROM grants g \
             JOIN people p ON p.id = g.person_id JOIN datasets d ON d.id = g.dataset_id \
             JOIN access_points a ON a.id = g.access_point_id \
             LEFT JOIN identities i ON i.person_id = g.person_id \
             WHERE p.email = $1 AND d.slug = $2 AND d.version = $3",
        )
        .bind(email)
        .bind(slug)
        .bind(version)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some((name, v, applied, state, identity)) = row else {
            return Err(KeeperError::NotFound(format!(
                "{email} has no grant on {label}"
            )));
        };
        let note = if state != "uploaded" {
            "the dataset is not uploaded yet; access starts when the upload finishes".to_owned()
        } else if identity.as_deref() != Some("verified") {
            "no verified AWS identity: verify an IAM user to use this access point".to_owned()
        } else if applied < v {
            "AWS has not accepted the access point's new policy yet; the next reconcile retries"
                .to_owned()
        } else {
            String::new()
        };
        let arn = policies::access_point_arn(&self.settings.region, &self.settings.account, &name);
        let s3_uri = format!("s3://{arn}/{slug}/{version}/");
        Ok(Access {
            email: email.to_owned(),
            dataset: label,
            sync_command: format!("aws s3 sync {s3_uri} {slug}-{version}"),
            s3_uri,
            access_point_arn: arn,
            access_point: name,
            state: if note.is_empty() { "active" } else { "pending" }.to_owned(),
            note,
        })
    }

    /// Brings each access point in line, then any that a dropped identity touched.
    pub(in crate::keeper) async fn apply_all(&self, ids: &[i64]) -> Result<(), KeeperError> {
        let mut queue: Vec<i64> = ids.to_vec();
        let mut seen = HashSet::new();
        let mut first_error = None;
        while let Some(id) = queue.pop() {
            if !seen.insert(id) {
                continue;
            }
            match self.apply_access_point(id).await {
                Ok((_, also)) => queue.extend(also),
                Err(e) => {
                    tracing::warn!(access_point = id, error = %e, "access point not applied");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Writes the access point's policy from the database, holding its row. When AWS refuses a
    /// member as an invalid principal, that member's identity is marked unverified and dropped and
    /// the rest are written; the ids of other access points that person is in are returned.
    pub(super) async fn apply_access_point(
        &self,
        id: i64,
    ) -> Result<(Applied, Vec<i64>), KeeperError> {
        let mut tx = self.begin().await?;
        // The update takes the row lock (PostgreSQL) or the write lock (SQLite) until commit.
        sqlx::query("UPDATE access_points SET version = version WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let row: Option<(String, i64, i64, i64, String, String, String)> = sqlx::query_as(
            "SELECT a.name, a.version, a.applied_version, a.created, d.slug, d.version, d.state \
             FROM access_points a JOIN datasets d ON d.id = a.dataset_id WHERE a.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((name, version, applied, created, slug, ds_version, state)) = row else {
            return Ok((Applied::AlreadyCurrent, Vec::new()));
        };
        if state != "uploaded" {
            tx.commit().await?;
            return Ok((Applied::Waiting, Vec::new()));
        }
        if applied >= version && created == 1 {
            tx.commit().await?;
            return Ok((Applied::AlreadyCurrent, Vec::new()));
        }
        if created == 0 {
            self.aws
                .ensure_access_point(&name, &self.settings.controlled_bucket)
                .await?;
            sqlx::query("UPDATE access_points SET created = 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let arn = policies::access_point_arn(&self.settings.region, &self.settings.account, &name);
        let prefix = format!("{slug}/{ds_version}/");
        let label = dataset_label(&slug, &ds_version);
        let members = verified_members(&mut tx, id).await?;
        let ids: Vec<String> = members.iter().map(|m| m.1.clone()).collect();
        let policy = policies::access_point(&arn, &prefix, &ids);
        if policy.len() > policies::POLICY_LIMIT {
            return Err(KeeperError::Limit(format!(
                "access point {name}'s policy would be {} bytes, over AWS's {} byte limit",
                policy.len(),
                policies::POLICY_LIMIT
            )));
        }
        let mut also = Vec::new();
        let mut first = self.aws.put_access_point_policy(&name, &policy).await;
        if first
            .as_ref()
            .is_err_and(|e| aws_code(e) == Some("NoSuchAccessPoint"))
        {
            // Deleted since it was created (by hand, or by a reconcile that ran before this
            // access point's row was committed): create it again.
            self.aws
                .ensure_access_point(&name, &self.settings.controlled_bucket)
                .await?;
            first = self.aws.put_access_point_policy(&name, &policy).await;
        }
        match first {
            Ok(()) => {}
            Err(e) if is_invalid_principal(&e) => {
                let bad = self.invalid_principals(&name, &arn, &prefix, &ids).await?;
                if bad.is_empty() {
                    return Err(e);
                }
                for user_id in &bad {
                    let Some((person_id, _, email)) = members.iter().find(|m| &m.1 == user_id)
                    else {
                        continue;
                    };
                    sqlx::query(
                        "UPDATE identities SET status = 'unverified', note = $1 WHERE person_id = $2 AND user_id = $3",
                    )
                    .bind(format!(
                        "AWS no longer recognises the IAM user {user_id} (it was probably deleted); verify an IAM user again to regain access"
                    ))
                    .bind(person_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(
                        &mut tx,
                        "identity-unverified",
                        email,
                        &label,
                        &format!("AWS refused {user_id} as a principal in {name}"),
                    )
                    .await?;
                    let others: Vec<(i64,)> = sqlx::query_as(
                        "SELECT access_point_id FROM grants WHERE person_id = $1 AND access_point_id <> $2",
                    )
                    .bind(person_id)
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                    also.extend(others.into_iter().map(|(a,)| a));
                }
                let good: Vec<String> = ids.iter().filter(|i| !bad.contains(i)).cloned().collect();
                self.aws
                    .put_access_point_policy(&name, &policies::access_point(&arn, &prefix, &good))
                    .await?;
            }
            Err(e) => return Err(e),
        }
        sqlx::query("UPDATE access_points SET applied_version = $1, applied_at = $2 WHERE id = $3")
            .bind(version)
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // The other access points of a dropped person must stop naming them too.
        also.sort_unstable();
        also.dedup();
        if !also.is_empty() {
            let mut tx = self.begin().await?;
            for ap in &also {
                sqlx::query("UPDATE access_points SET version = version + 1 WHERE id = $1")
                    .bind(ap)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok((Applied::Written, also))
    }

    /// Finds which of `ids` AWS refuses as principals ([`refused_principals`]). Every policy
    /// tried names a subset of the members, so nobody gains access while this runs.
    pub(super) async fn invalid_principals(
        &self,
        name: &str,
        arn: &str,
        prefix: &str,
        ids: &[String],
    ) -> Result<Vec<String>, KeeperError> {
        refused_principals(ids, |group| async move {
            let policy = policies::access_point(arn, prefix, &group);
            self.aws.put_access_point_policy(name, &policy).await
        })
        .await
    }

    /// Ids of every access point, for benchmarks and tests that check AWS against the database.
    pub async fn access_point_members(&self) -> Result<HashMap<String, Vec<String>>, KeeperError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT a.name, i.user_id FROM grants g JOIN access_points a ON a.id = g.access_point_id \
             JOIN identities i ON i.person_id = g.person_id WHERE i.status = 'verified'",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (ap, id) in rows {
            out.entry(ap).or_default().push(id);
        }
        Ok(out)
    }
}
