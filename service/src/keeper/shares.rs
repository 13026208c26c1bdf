//! Shared buckets with roles (SPEC §7): the role table of each bucket in the database, written to
//! S3 as the bucket's policy ([`crate::shares::render`]).
//!
//! Every change runs with the bucket's `shares` row locked, so concurrent changes (also from
//! several instances on one PostgreSQL) serialise and never lose each other. Before writing, the
//! live policy is compared with the one last written; a difference is someone's hand edit (a
//! steward with `s3cmd setpolicy`), and the change is refused with a diff unless the caller adopts
//! it, which imports the live policy first so the edit is kept. Only S3 is called (Get/Put/Delete
//! BucketPolicy, GetBucketAcl), so the Ceph dialect needs nothing but an RGW user's key pair.
//!
//! S3 has no conditional PutBucketPolicy, so an edit made between the service's read of the live
//! policy and its write (a few milliseconds) is overwritten without notice; the window is kept
//! that small, and the probes that look for an unknown principal leave a policy someone else wrote
//! meanwhile as it is.
//!
//! AWS facts used: a bucket policy is at most 20 KB
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html>);
//! `PutBucketPolicy` refuses a policy naming a principal that does not exist with
//! `MalformedPolicy` ("Invalid principal in policy") without saying which.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::{invalid, is_invalid_principal, refused_principals, valid_bucket_name, Keeper, Tx};
use crate::aws::aws_code;
use crate::db::now;
use crate::error::KeeperError;
use crate::policies::POLICY_LIMIT;
use crate::shares::{self, diff, Dialect, Member, Report, Role};

/// A bucket's role table, the statements kept verbatim, and the policy they render to.
#[derive(Debug, Clone, Serialize)]
pub struct ShareView {
    pub bucket: String,
    pub dialect: Dialect,
    pub members: Vec<Member>,
    /// Statements of a hand-written policy the table cannot express, written after its own.
    pub kept: Vec<Value>,
    /// What the table renders to (`None`: no policy).
    pub policy: Option<Value>,
    /// Its size as sent to S3, against the 20 KB limit.
    pub bytes: usize,
    /// `policy lint` findings of the rendered policy (the table's own statements never have any).
    pub findings: Vec<policy_eval::lint::Finding>,
}

/// What a grant or revoke did.
#[derive(Debug, Clone, Serialize)]
pub struct ShareChange {
    /// A hand edit found and adopted before the change.
    pub adopted: bool,
    /// Kept statements the revoked principal was removed from.
    pub removed_from_kept: usize,
    pub share: ShareView,
}

/// A difference between a share's live policy and the one last written.
#[derive(Debug, Clone, Serialize)]
pub struct ShareDrift {
    pub bucket: String,
    pub diff: String,
}

impl Keeper {
    /// Gives USER `role` on `bucket` (under `prefix` when not empty), replacing the role they had
    /// under the same prefix.
    pub async fn share_grant(
        &self,
        bucket: &str,
        user: &str,
        role: Role,
        prefix: &str,
        adopt: bool,
    ) -> Result<ShareChange, KeeperError> {
        let mut who = shares::principal_for(user, self.settings.dialect)?;
        if !prefix.is_empty() {
            shares::check_prefix(prefix)?;
            if role == Role::Steward {
                return Err(invalid(
                    "a steward manages the whole bucket and its policy; --prefix is for readers, writers and managers",
                ));
            }
        }
        who.role = role;
        who.prefix = prefix.to_owned();
        let detail = if prefix.is_empty() {
            format!("{} {role}", who.principal)
        } else {
            format!("{} {role} under {prefix}", who.principal)
        };
        self.change_share(bucket, adopt, "share-granted", &detail, |members, _| {
            members.retain(|m| !(m.principal == who.principal && m.prefix == who.prefix));
            members.push(who.clone());
            Ok(0)
        })
        .await
    }

    /// Takes USER's role under `prefix` away, or with `None` every role they have on the bucket
    /// and their name in kept statements too (a departing member keeps nothing).
    pub async fn share_revoke(
        &self,
        bucket: &str,
        user: &str,
        prefix: Option<&str>,
        adopt: bool,
    ) -> Result<ShareChange, KeeperError> {
        let who = shares::principal_for(user, self.settings.dialect)?;
        let detail = match prefix {
            Some(p) => format!("{} under {p}", who.principal),
            None => who.principal.clone(),
        };
        self.change_share(bucket, adopt, "share-revoked", &detail, |members, kept| {
            let before = members.len();
            members
                .retain(|m| m.principal != who.principal || prefix.is_some_and(|p| p != m.prefix));
            let mut removed = 0;
            if prefix.is_none() {
                removed = remove_from_statements(kept, &who.principal);
            }
            if members.len() == before && removed == 0 {
                return Err(KeeperError::NotFound(match prefix {
                    Some(p) => format!("{user} has no role under `{p}` on {bucket}"),
                    None => format!("{user} has no role on {bucket}"),
                }));
            }
            Ok(removed)
        })
        .await
    }

    /// The table as the database holds it (no S3 call).
    pub async fn share_show(&self, bucket: &str) -> Result<ShareView, KeeperError> {
        let mut tx = self.begin().await?;
        let state = read_share(&mut tx, bucket).await?;
        tx.commit().await?;
        match state {
            Some(s) => Ok(self.view(bucket, s.members, s.kept)),
            None => Err(KeeperError::NotFound(format!(
                "{bucket} is not shared through s3keeper; `s3keeper share grant` or `share import` starts"
            ))),
        }
    }

    /// Replaces the table with the live policy read back ([`shares::import`]), writing nothing to
    /// S3: what the policy grants is unchanged, and the next change renders it from the table.
    pub async fn share_import(&self, bucket: &str) -> Result<ShareView, KeeperError> {
        self.check_share_bucket(bucket)?;
        let mut tx = self.begin().await?;
        lock_share(&mut tx, bucket).await?;
        let live = self
            .aws
            .get_bucket_policy(bucket, &self.settings.region)
            .await
            .map_err(|e| no_bucket(bucket, e))?;
        let Some(live) = live else {
            return Err(KeeperError::NotFound(format!(
                "{bucket} has no bucket policy to import"
            )));
        };
        let imported = shares::import(bucket, &live, self.settings.dialect)?;
        let old = read_share(&mut tx, bucket).await?.unwrap_or_default();
        save_members(&mut tx, bucket, &old.members, &imported.members).await?;
        save_share(&mut tx, bucket, Some(&live), &imported.kept).await?;
        self.audit_in(
            &mut tx,
            "share-imported",
            "",
            bucket,
            &format!(
                "{} roles, {} statements kept verbatim",
                imported.members.len(),
                imported.kept.len()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(self.view(bucket, imported.members, imported.kept))
    }

    /// Who can do what under the live policy.
    pub async fn share_report(&self, bucket: &str) -> Result<Report, KeeperError> {
        self.check_share_bucket(bucket)?;
        let region = &self.settings.region;
        let live = self
            .aws
            .get_bucket_policy(bucket, region)
            .await
            .map_err(|e| no_bucket(bucket, e))?;
        let owner = match self.settings.dialect {
            Dialect::Aws => self.settings.account.clone(),
            Dialect::Ceph => self.aws.bucket_owner(bucket, region).await?,
        };
        shares::report(bucket, &owner, live.as_deref(), self.settings.dialect)
    }

    /// Shares whose live policy is not the one last written (reported, never overwritten: only a
    /// grant or revoke with `--adopt`, or an import, takes a hand edit over).
    pub async fn share_drift(&self) -> Result<Vec<ShareDrift>, KeeperError> {
        let mut report = super::ReconcileReport::default();
        self.check_shares(&mut report).await?;
        if report.failures.is_empty() {
            return Ok(report.share_drift);
        }
        let all: Vec<String> = report
            .failures
            .iter()
            .map(|f| format!("{}: {}", f.resource, f.action))
            .collect();
        Err(KeeperError::Conflict(all.join("; ")))
    }

    /// Adds every shared bucket's drift to `report`; a bucket that cannot be read is a failure
    /// there, not the end of the reconcile.
    pub(super) async fn check_shares(
        &self,
        report: &mut super::ReconcileReport,
    ) -> Result<(), KeeperError> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT bucket, applied FROM shares ORDER BY bucket")
                .fetch_all(&self.db.pool)
                .await?;
        for (bucket, applied) in rows {
            match self
                .aws
                .get_bucket_policy(&bucket, &self.settings.region)
                .await
            {
                Ok(live) if !same(applied.as_deref(), live.as_deref()) => {
                    report.share_drift.push(ShareDrift {
                        diff: diff::diff(applied.as_deref(), live.as_deref()),
                        bucket,
                    });
                }
                Ok(_) => {}
                Err(e) => report.failures.push(super::Drift {
                    resource: format!("shared bucket {bucket}"),
                    found: "its policy could not be read".to_owned(),
                    action: e.to_string(),
                }),
            }
        }
        Ok(())
    }

    fn view(&self, bucket: &str, members: Vec<Member>, kept: Vec<Value>) -> ShareView {
        let policy = shares::render(bucket, &members, &kept);
        let text = policy.as_ref().map(Value::to_string);
        let findings = text
            .as_deref()
            .and_then(|t| policy_eval::Policy::parse(t, policy_eval::PolicyKind::Bucket).ok())
            .map(|p| policy_eval::lint::lint(&p))
            .unwrap_or_default();
        ShareView {
            bucket: bucket.to_owned(),
            dialect: self.settings.dialect,
            members,
            kept,
            bytes: text.map_or(0, |t| t.len()),
            policy,
            findings,
        }
    }

    /// The one path every change takes: lock, compare the live policy with the last written one,
    /// change the table, render, write, record.
    async fn change_share(
        &self,
        bucket: &str,
        adopt: bool,
        action: &str,
        detail: &str,
        change: impl FnOnce(&mut Vec<Member>, &mut Vec<Value>) -> Result<usize, KeeperError>,
    ) -> Result<ShareChange, KeeperError> {
        self.check_share_bucket(bucket)?;
        let region = &self.settings.region;
        let mut tx = self.begin().await?;
        lock_share(&mut tx, bucket).await?;
        let old = read_share(&mut tx, bucket).await?.unwrap_or_default();
        let live = self
            .aws
            .get_bucket_policy(bucket, region)
            .await
            .map_err(|e| no_bucket(bucket, e))?;
        let (mut members, mut kept, adopted) = if same(old.applied.as_deref(), live.as_deref()) {
            (old.members.clone(), old.kept.clone(), false)
        } else if adopt {
            let imported = match &live {
                Some(text) => shares::import(bucket, text, self.settings.dialect)?,
                None => shares::Imported {
                    members: Vec::new(),
                    kept: Vec::new(),
                },
            };
            (imported.members, imported.kept, true)
        } else {
            return Err(hand_edit(bucket, old.applied.as_deref(), live.as_deref()));
        };
        let removed_from_kept = change(&mut members, &mut kept)?;
        let text = shares::render_text(bucket, &members, &kept);
        if let Some(t) = &text {
            if t.len() > POLICY_LIMIT {
                return Err(KeeperError::Limit(format!(
                    "the policy of {bucket} would be {} bytes, over S3's {POLICY_LIMIT} byte limit; nothing was written (fewer principals per role, or a second bucket, keep it under)",
                    t.len()
                )));
            }
        }
        match &text {
            Some(t) => match self.aws.put_bucket_policy(bucket, region, t).await {
                Ok(()) => {}
                Err(e) if is_invalid_principal(&e) => {
                    let bad = self
                        .invalid_share_principals(bucket, live.as_deref(), &old.members, &members)
                        .await?;
                    if bad.is_empty() {
                        return Err(e);
                    }
                    let new = bad
                        .iter()
                        .all(|b| !old.members.iter().any(|m| &m.principal == b));
                    return Err(invalid(format!(
                        "S3 refused the policy of {bucket}: it does not know {}; nothing was recorded and the bucket's policy is as it was. {}",
                        bad.join(", "),
                        if new {
                            "Check the user's name (RGW and IAM names are exact and case-sensitive)".to_owned()
                        } else {
                            format!("A member's user was deleted or renamed: revoke it (`s3keeper share revoke {bucket} USER`) and try again")
                        }
                    )));
                }
                Err(e) => return Err(e),
            },
            None => match self.aws.delete_bucket_policy(bucket).await {
                Ok(()) => {}
                Err(e) if aws_code(&e) == Some("NoSuchBucketPolicy") => {}
                Err(e) => return Err(e),
            },
        }
        save_members(&mut tx, bucket, &old.members, &members).await?;
        save_share(&mut tx, bucket, text.as_deref(), &kept).await?;
        if adopted {
            self.audit_in(
                &mut tx,
                "share-adopted",
                "",
                bucket,
                &diff::diff(old.applied.as_deref(), live.as_deref()),
            )
            .await?;
        }
        self.audit_in(&mut tx, action, "", bucket, detail).await?;
        tx.commit().await?;
        Ok(ShareChange {
            adopted,
            removed_from_kept,
            share: self.view(bucket, members, kept),
        })
    }

    /// Finds which members' principals S3 refuses, without changing anyone's access: each probe
    /// is the live policy plus one `Deny` naming a group of principals on a key nobody uses, and
    /// the live policy is put back at the end. The principals the change adds are tried first
    /// (usually one, a mistyped name: one probe); the rest only when those are all known.
    async fn invalid_share_principals(
        &self,
        bucket: &str,
        live: Option<&str>,
        before: &[Member],
        members: &[Member],
    ) -> Result<Vec<String>, KeeperError> {
        let region = &self.settings.region;
        let mut added: Vec<String> = Vec::new();
        let mut known: Vec<String> = Vec::new();
        for m in members {
            let list = if before.iter().any(|b| b.principal == m.principal) {
                &mut known
            } else {
                &mut added
            };
            if !list.contains(&m.principal) {
                list.push(m.principal.clone());
            }
        }
        // When S3 refuses the live policy itself (a member's user deleted since it was written),
        // every probe built on it would fail and blame the wrong names: say so instead.
        if let Some(text) = live {
            match self.aws.put_bucket_policy(bucket, region, text).await {
                Err(e) if is_invalid_principal(&e) => {
                    return Err(invalid(format!(
                        "S3 refuses the current policy of {bucket} as it stands: it names a principal that no longer exists (S3 shows a deleted IAM user by its unique id, AIDA…); `s3keeper share report {bucket}` lists the principals; revoke the one that is gone and try again. Nothing was written"
                    )))
                }
                other => other?,
            }
        }
        let base: Value = live
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_else(|| json!({"Version": "2012-10-17", "Statement": []}));
        let base_bytes = base.to_string().len();
        let written = std::sync::Mutex::new(None::<String>);
        let probe = |group: Vec<String>| {
            let mut probe = base.clone();
            let statement = json!({
                "Sid": "s3keeper-principal-check",
                "Effect": "Deny",
                "Principal": {"AWS": group},
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{bucket}/.s3keeper-principal-check"),
            });
            match probe.get_mut("Statement") {
                Some(Value::Array(items)) => items.push(statement),
                _ => probe["Statement"] = json!([statement]),
            }
            let text = probe.to_string();
            *written
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(text.clone());
            async move { self.aws.put_bucket_policy(bucket, region, &text).await }
        };
        // Groups small enough that the live policy plus their Deny stays under the size limit.
        let chunks = |names: &[String]| -> Vec<Vec<String>> {
            let room = POLICY_LIMIT.saturating_sub(base_bytes + 300).max(200);
            let mut out: Vec<Vec<String>> = vec![Vec::new()];
            let mut used = 0;
            for n in names {
                if used + n.len() + 3 > room && !out.last().is_some_and(Vec::is_empty) {
                    out.push(Vec::new());
                    used = 0;
                }
                used += n.len() + 3;
                if let Some(last) = out.last_mut() {
                    last.push(n.clone());
                }
            }
            out
        };
        let mut found: Result<Vec<String>, KeeperError> = Ok(Vec::new());
        for names in [&added, &known] {
            for group in chunks(names) {
                match refused_principals(&group, probe).await {
                    Ok(bad) => {
                        if let Ok(all) = &mut found {
                            all.extend(bad);
                        }
                    }
                    Err(e) => found = Err(e),
                }
                if !matches!(&found, Ok(bad) if bad.is_empty()) {
                    break;
                }
            }
            if !matches!(&found, Ok(bad) if bad.is_empty()) {
                break;
            }
        }
        // Put the live policy back, unless someone wrote the policy during the probes.
        let last_probe = written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let now = self.aws.get_bucket_policy(bucket, region).await?;
        let ours = match (&now, &last_probe) {
            (Some(n), Some(p)) => {
                diff::same_policy(n, p) || live.is_some_and(|l| diff::same_policy(n, l))
            }
            (None, _) => live.is_none(),
            (Some(n), None) => live.is_some_and(|l| diff::same_policy(n, l)),
        };
        let restored = if !ours {
            Err(KeeperError::Conflict(format!(
                "the policy of {bucket} was changed by someone else while s3keeper probed it; it was left as they wrote it"
            )))
        } else {
            match live {
                Some(t) => self.aws.put_bucket_policy(bucket, region, t).await,
                None => match self.aws.delete_bucket_policy(bucket).await {
                    Err(e) if aws_code(&e) == Some("NoSuchBucketPolicy") => Ok(()),
                    other => other,
                },
            }
        };
        match (found, restored) {
            (Ok(bad), Ok(())) => Ok(bad),
            (Err(e), Ok(())) | (Ok(_), Err(e)) => Err(e),
            (Err(e), Err(r)) => Err(KeeperError::Conflict(format!(
                "{e}; and putting the policy of {bucket} back failed too: {r}"
            ))),
        }
    }
}

impl Keeper {
    /// Refuses names S3 would refuse, the service's own buckets (their policies are the
    /// service's), and buckets outside `--shared-buckets`.
    fn check_share_bucket(&self, bucket: &str) -> Result<(), KeeperError> {
        let s = &self.settings;
        if !valid_bucket_name(bucket) {
            return Err(invalid(format!(
                "`{bucket}` is not a valid S3 bucket name (3–63 lower-case letters, digits, dots and hyphens)"
            )));
        }
        if [
            &s.verify_bucket,
            &s.open_bucket,
            &s.controlled_bucket,
            &s.uploads_bucket,
        ]
        .iter()
        .any(|own| *own == bucket)
        {
            return Err(KeeperError::Forbidden(format!(
                "{bucket} is one of the service's own buckets; its policy is the service's and is not shared"
            )));
        }
        let allowed = s.shared_buckets.is_empty()
            || s.shared_buckets
                .iter()
                .any(|p| policy_eval::pattern::Glob::new(p).matches(bucket));
        if !allowed {
            return Err(KeeperError::Forbidden(format!(
                "{bucket} is not among the buckets the service may share (--shared-buckets {})",
                s.shared_buckets.join(",")
            )));
        }
        Ok(())
    }
}

/// S3's NoSuchBucket, said as what it is.
fn no_bucket(bucket: &str, e: KeeperError) -> KeeperError {
    if aws_code(&e) == Some("NoSuchBucket") {
        KeeperError::NotFound(format!("there is no bucket {bucket}"))
    } else {
        e
    }
}

fn same(applied: Option<&str>, live: Option<&str>) -> bool {
    match (applied, live) {
        (None, None) => true,
        (Some(a), Some(l)) => diff::same_policy(a, l),
        _ => false,
    }
}

fn hand_edit(bucket: &str, applied: Option<&str>, live: Option<&str>) -> KeeperError {
    let what = match applied {
        None => format!("{bucket} has a bucket policy s3keeper did not write"),
        Some(_) => format!(
            "the policy of {bucket} was changed since s3keeper last wrote it (a steward's hand edit?)"
        ),
    };
    KeeperError::Conflict(format!(
        "{what}; nothing was written. To keep the edit and apply the change, repeat the command with --adopt (or run `s3keeper share import {bucket}` first); `s3keeper share report {bucket}` shows what the live policy allows.\n--- last written\n+++ live\n{}",
        diff::diff(applied, live)
    ))
}

/// Removes `principal` from the `AWS` principals of the `Allow` statements, dropping statements
/// left with none; returns how many statements named it. A `Deny` naming it stays: removing it
/// could only give access back.
fn remove_from_statements(statements: &mut Vec<Value>, principal: &str) -> usize {
    let mut touched = 0;
    statements.retain_mut(|st| {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            return true;
        }
        let Some(aws) = st.get_mut("Principal").and_then(|p| p.get_mut("AWS")) else {
            return true;
        };
        let list: Vec<Value> = match aws {
            Value::String(s) => vec![Value::String(s.clone())],
            Value::Array(items) => items.clone(),
            _ => return true,
        };
        let rest: Vec<Value> = list
            .iter()
            .filter(|v| v.as_str() != Some(principal))
            .cloned()
            .collect();
        if rest.len() == list.len() {
            return true;
        }
        touched += 1;
        if rest.is_empty() {
            return false;
        }
        *aws = Value::Array(rest);
        true
    });
    touched
}

#[derive(Debug, Clone, Default)]
struct ShareState {
    applied: Option<String>,
    kept: Vec<Value>,
    members: Vec<Member>,
}

/// Locks the bucket's row for the rest of the transaction, creating it if needed.
async fn lock_share(tx: &mut Tx, bucket: &str) -> Result<(), KeeperError> {
    sqlx::query(
        "INSERT INTO shares (bucket, lock_seq, applied, kept, updated_at) VALUES ($1, 0, NULL, '[]', $2) \
         ON CONFLICT (bucket) DO NOTHING",
    )
    .bind(bucket)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE shares SET lock_seq = lock_seq + 1 WHERE bucket = $1")
        .bind(bucket)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn read_share(tx: &mut Tx, bucket: &str) -> Result<Option<ShareState>, KeeperError> {
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
    Ok(Some(ShareState {
        applied,
        kept,
        members,
    }))
}

/// Writes the difference between `old` and `new` rows, so a grant costs one row whatever the
/// table's size.
async fn save_members(
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

async fn save_share(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_principal_leaves_kept_statements() {
        let mut kept = vec![
            json!({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/carol"]},
                   "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}),
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
                   "Action": "s3:*", "Resource": "arn:aws:s3:::b"}),
            json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/x"}),
            json!({"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
                   "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}),
        ];
        assert_eq!(
            remove_from_statements(&mut kept, "arn:aws:iam:::user/bob"),
            2
        );
        assert_eq!(kept.len(), 3, "the Deny naming bob stays: {kept:?}");
        assert_eq!(kept[2]["Effect"], "Deny");
        assert_eq!(
            kept[0]["Principal"]["AWS"],
            json!(["arn:aws:iam:::user/carol"])
        );
        assert_eq!(
            remove_from_statements(&mut kept, "arn:aws:iam:::user/bob"),
            0
        );
    }
}
