//! Reconciliation: AWS brought back in line with the database after a crash, an AWS failure or a
//! hand edit (access point policies, the buckets' policies and public access blocks), once or
//! periodically.

use super::*;

/// One thing reconcile found different in AWS, and what it did.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub resource: String,
    pub found: String,
    pub action: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReconcileReport {
    pub access_points_checked: usize,
    /// Shared buckets whose live policy is not the one last written: reported with a diff, never
    /// overwritten (a steward's hand edit is kept until someone adopts or imports it).
    pub share_drift: Vec<super::ShareDrift>,
    pub drift: Vec<Drift>,
    /// Access points that could not be repaired this time, with the error.
    pub failures: Vec<Drift>,
}

/// The buckets reconcile checks.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bucket {
    Verification,
    Controlled,
}

impl Keeper {
    /// Brings AWS in line with the database: finishes changes AWS has not accepted, recreates
    /// access points deleted by hand, rewrites policies edited by hand, deletes access points on
    /// the controlled bucket that the database does not know, and restores the controlled
    /// bucket's policy and public access block. Reports everything it changed.
    pub async fn reconcile(&self) -> Result<ReconcileReport, KeeperError> {
        let outcome = self.reconcile_once().await;
        match &outcome {
            Ok(r) => self
                .aws
                .metrics
                .reconciled(true, r.drift.len(), r.failures.len()),
            Err(_) => self.aws.metrics.reconciled(false, 0, 0),
        }
        outcome
    }

    pub(super) async fn reconcile_once(&self) -> Result<ReconcileReport, KeeperError> {
        let s = &self.settings;
        let mut report = ReconcileReport::default();
        let (controlled,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM datasets WHERE kind = 'controlled' AND state = 'uploaded'",
        )
        .fetch_one(&self.db.pool)
        .await?;
        // The verification bucket's policy is what makes a 404 prove control of an IAM user.
        self.check_bucket(&mut report, Bucket::Verification).await?;
        self.check_shares(&mut report).await?;
        self.reconcile_uploads(&mut report).await?;
        if controlled == 0 {
            return Ok(report);
        }
        self.check_bucket(&mut report, Bucket::Controlled).await?;
        let in_aws: HashSet<String> = self
            .aws
            .list_access_points(&s.controlled_bucket)
            .await?
            .into_iter()
            .collect();
        let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT a.id, a.name, a.version, a.applied_version, a.created FROM access_points a \
             JOIN datasets d ON d.id = a.dataset_id WHERE d.state = 'uploaded' ORDER BY a.id",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let known: HashSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        for (id, name, version, applied, created) in &rows {
            report.access_points_checked += 1;
            let finding = if *created == 0 || applied < version {
                Some("a change the database holds was not yet accepted by AWS".to_owned())
            } else if !in_aws.contains(name) {
                Some("the access point was deleted outside S3 Keeper".to_owned())
            } else {
                match self.policy_drift(*id, name).await {
                    Ok(f) => f,
                    Err(e) => {
                        report.failures.push(Drift {
                            resource: name.clone(),
                            found: "could not read the policy".to_owned(),
                            action: e.to_string(),
                        });
                        continue;
                    }
                }
            };
            let Some(found) = finding else { continue };
            let recreate = !in_aws.contains(name);
            let mut tx = self.begin().await?;
            sqlx::query(
                "UPDATE access_points SET applied_version = -1, created = CASE WHEN $1 = 1 THEN 0 ELSE created END WHERE id = $2",
            )
            .bind(i64::from(recreate))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            self.audit_as(
                &mut tx,
                "reconcile",
                "drift-found",
                "",
                "",
                &format!("{name}: {found}"),
            )
            .await?;
            tx.commit().await?;
            match self.apply_all(&[*id]).await {
                Ok(()) => {
                    let action = if recreate {
                        "recreated it and wrote its policy from the database"
                    } else {
                        "wrote its policy from the database"
                    };
                    report.drift.push(Drift {
                        resource: name.clone(),
                        found,
                        action: action.to_owned(),
                    });
                }
                Err(e) => report.failures.push(Drift {
                    resource: name.clone(),
                    found,
                    action: e.to_string(),
                }),
            }
        }
        for name in in_aws.iter().filter(|n| !known.contains(n.as_str())) {
            // A grant may have created it and committed its row since the rows were read.
            let committed: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM access_points WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.db.pool)
                    .await?;
            if committed.is_some() {
                continue;
            }
            let found = "an access point on the controlled bucket that the database does not know"
                .to_owned();
            match self.aws.delete_access_point(name).await {
                Ok(()) => {
                    let mut tx = self.begin().await?;
                    self.audit_as(&mut tx, "reconcile", "access-point-deleted", "", "", name)
                        .await?;
                    tx.commit().await?;
                    report.drift.push(Drift {
                        resource: name.clone(),
                        found,
                        action: "deleted it".to_owned(),
                    });
                }
                Err(e) => report.failures.push(Drift {
                    resource: name.clone(),
                    found,
                    action: e.to_string(),
                }),
            }
        }
        Ok(report)
    }

    /// Reconciles every `every` in the background (first after one period), logging what it
    /// repaired; `serve` runs this so that hand edits and failed AWS calls heal on their own.
    pub fn spawn_periodic_reconcile(
        &self,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let keeper = Keeper {
            actor: "reconcile".to_owned(),
            ..self.clone()
        };
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                match keeper.reconcile().await {
                    Ok(r) if r.drift.is_empty() && r.failures.is_empty() => {}
                    Ok(r) => {
                        for d in &r.drift {
                            tracing::warn!(resource = %d.resource, found = %d.found, action = %d.action, "reconcile repaired drift");
                        }
                        for d in &r.failures {
                            tracing::warn!(resource = %d.resource, found = %d.found, error = %d.action, "reconcile could not repair");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reconcile failed"),
                }
            }
        })
    }

    /// Compares a bucket's policy (and, for the controlled bucket, its public access block) with
    /// what the service writes, and restores them when they differ.
    pub(super) async fn check_bucket(
        &self,
        report: &mut ReconcileReport,
        which: Bucket,
    ) -> Result<(), KeeperError> {
        let s = &self.settings;
        let (bucket, region, expected) = match which {
            Bucket::Verification => (
                &s.verify_bucket,
                "us-east-1",
                policies::verification_bucket(&s.verify_bucket, &s.site),
            ),
            Bucket::Controlled => (
                &s.controlled_bucket,
                s.region.as_str(),
                policies::controlled_bucket(&s.controlled_bucket, &s.account),
            ),
        };
        let resource = format!("s3://{bucket}");
        let fail = |report: &mut ReconcileReport, found: String, e: KeeperError| {
            report.failures.push(Drift {
                resource: resource.clone(),
                found,
                action: e.to_string(),
            });
        };
        let current = match self.aws.get_bucket_policy(bucket, region).await {
            Ok(p) => p,
            Err(e) => {
                fail(report, "could not read the bucket policy".to_owned(), e);
                return Ok(());
            }
        };
        let ident = |x: &str| x.to_owned();
        let policy_ok = current.as_deref().is_some_and(|text| {
            match (
                serde_json::from_str(text),
                serde_json::from_str::<serde_json::Value>(&expected),
            ) {
                (Ok(a), Ok(b)) => {
                    policies::canonical(&a, &ident) == policies::canonical(&b, &ident)
                }
                _ => false,
            }
        });
        let block_ok = match which {
            Bucket::Verification => true,
            Bucket::Controlled => match self.aws.public_access_blocked(bucket, region).await {
                Ok(b) => b,
                Err(e) => {
                    fail(
                        report,
                        "could not read the public access block".to_owned(),
                        e,
                    );
                    return Ok(());
                }
            },
        };
        if policy_ok && block_ok {
            return Ok(());
        }
        let mut found = Vec::new();
        if current.is_none() {
            found.push("bucket policy missing");
        } else if !policy_ok {
            found.push("bucket policy edited");
        }
        if !block_ok {
            found.push("public access block off");
        }
        let found = found.join(" and ");
        let restored = match which {
            Bucket::Verification => self
                .aws
                .put_bucket_policy(bucket, region, &expected)
                .await
                .map(|()| "restored the verification policy"),
            Bucket::Controlled => self
                .ensure_controlled_bucket()
                .await
                .map(|()| "restored the delegation policy and all four public access block flags"),
        };
        match restored {
            Ok(action) => {
                let mut tx = self.begin().await?;
                self.audit_as(
                    &mut tx,
                    "reconcile",
                    "bucket-restored",
                    "",
                    "",
                    &format!("{resource}: {found}"),
                )
                .await?;
                tx.commit().await?;
                report.drift.push(Drift {
                    resource,
                    found,
                    action: action.to_owned(),
                });
            }
            Err(e) => fail(report, found, e),
        }
        Ok(())
    }

    /// How the access point's stored policy differs from the database's, if it does.
    pub(super) async fn policy_drift(
        &self,
        id: i64,
        name: &str,
    ) -> Result<Option<String>, KeeperError> {
        // Compared with the row locked, so a grant or revoke that commits meanwhile is not
        // mistaken for a hand edit; a change AWS has not yet accepted is not drift either.
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE access_points SET version = version WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let row: Option<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT d.slug, d.version, a.version, a.applied_version FROM access_points a JOIN datasets d ON d.id = a.dataset_id WHERE a.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((slug, version, current, applied)) = row else {
            return Ok(None);
        };
        if applied < current {
            return Ok(None);
        }
        let stored = match self.aws.get_access_point_policy(name).await {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(Some("the access point has no policy".to_owned())),
            Err(e) if aws_code(&e) == Some("NoSuchAccessPoint") => {
                return Ok(Some(
                    "the access point was deleted outside S3 Keeper".to_owned(),
                ))
            }
            Err(e) => return Err(e),
        };
        let members: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.user_id, i.arn FROM grants g JOIN identities i ON i.person_id = g.person_id \
             WHERE g.access_point_id = $1 AND i.status = 'verified' ORDER BY g.id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let by_arn: HashMap<&str, &str> = members
            .iter()
            .map(|(u, a)| (a.as_str(), u.as_str()))
            .collect();
        let ids: Vec<String> = members.iter().map(|m| m.0.clone()).collect();
        let arn = policies::access_point_arn(&self.settings.region, &self.settings.account, name);
        let expected = policies::access_point_value(&arn, &format!("{slug}/{version}/"), &ids);
        let Ok(stored) = serde_json::from_str::<serde_json::Value>(&stored) else {
            return Ok(Some("the stored policy is not JSON".to_owned()));
        };
        let alias = |p: &str| {
            by_arn
                .get(p)
                .map_or_else(|| p.to_owned(), |u| (*u).to_owned())
        };
        let ident = |p: &str| p.to_owned();
        if policies::canonical(&stored, &alias) == policies::canonical(&expected, &ident) {
            Ok(None)
        } else {
            Ok(Some("the policy was edited outside S3 Keeper".to_owned()))
        }
    }
}
