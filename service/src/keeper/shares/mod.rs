//! Shared buckets with roles (SPEC §7): the role table of each bucket in the database, written to
//! S3 as the bucket's policy ([`render()`]).
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
//!
//! Issue 18 (shares against an adversary): in the Ceph dialect a revoke makes anyone left with no
//! role a *former member*, denied every `s3:` action on the bucket and its objects until
//! `share forget` (or a new grant), because RGW makes an uploader the owner of what they upload
//! and an owner reads and re-ACLs it without any Allow; the bucket's owner is never made one. The
//! AWS dialect revokes as before. A steward's `Deny` that refuses the service's own policy calls
//! is reported as a lock-out that names the bucket policy and the way back in.
//!
//! This module holds the operations (grant, revoke, forget, show, import, report, drift) and the
//! one path every change takes; `store` the rows (roles, former members, the policy last
//! written) and their locking; `probe` finding which principal S3 refuses; `lockout` the
//! identity s3keeper runs as, its reads of the bucket, and the lock-out errors.
//!
//! Beside them, the pure functions over a role table, which reach neither a database nor S3 and
//! are re-exported here: `roles` the table itself (dialects, roles, members, principals);
//! [`render`] writes the table as a bucket policy the way the UAB LTS guide writes them by hand
//! (<https://docs.rc.uab.edu/data_management/lts/iam_and_policies/>: a `list-bucket` statement,
//! one statement per role and prefix naming all its principals, a `change-policy` statement for
//! stewards); [`import`] reads a hand-written policy back into a table, keeping verbatim whatever
//! the table cannot express; [`report`] decides with policy-eval who can do what under the live
//! policy; [`diff`] compares the live policy with the one last written.

pub mod diff;
mod import;
mod lockout;
mod probe;
mod render;
mod report;
mod roles;
mod store;

pub use import::{import, Imported};
pub use render::{render, render_text, render_text_with, render_with};
pub use report::{
    denies, denies_someone, report, report_with, Access, Lockout, PrincipalReport, Report,
    CEPH_HOME_TENANT,
};
pub use roles::{
    bucket_arn, check_prefix, folder_has_wildcard, label_for, list_scope, object_pattern,
    principal_for, Dialect, FormerMember, Member, Role, ACL_ACTIONS, DELETE_OBJECT, GET_OBJECT,
    GRANT_KEYS, LIST_BUCKET, POLICY_ACTIONS, PUT_BUCKET_POLICY, PUT_OBJECT, UPLOAD_ACLS,
};

use serde::Serialize;
use serde_json::Value;

use super::{invalid, is_invalid_principal, valid_bucket_name, Keeper};
use crate::aws::aws_code;
use crate::error::KeeperError;
use crate::policies::POLICY_LIMIT;
use store::{lock_share, read_share, save_former, save_members, save_share, ShareState, Table};

/// A bucket's role table, the statements kept verbatim, and the policy they render to.
#[derive(Debug, Clone, Serialize)]
pub struct ShareView {
    pub bucket: String,
    pub dialect: Dialect,
    pub members: Vec<Member>,
    /// Revoked users the policy denies everything (Ceph dialect) until forgotten.
    pub former: Vec<FormerMember>,
    /// Statements of a hand-written policy the table cannot express, written after its own.
    pub kept: Vec<Value>,
    /// What the table renders to (`None`: no policy).
    pub policy: Option<Value>,
    /// Its size as sent to S3, against the 20 KB limit.
    pub bytes: usize,
    /// `policy lint` findings of the rendered policy (the table's own statements never have any).
    pub findings: Vec<policy_eval::lint::Finding>,
}

/// What a grant, revoke or forget did.
#[derive(Debug, Clone, Serialize)]
pub struct ShareChange {
    /// A hand edit found and adopted before the change.
    pub adopted: bool,
    /// Kept statements the revoked principal was removed from.
    pub removed_from_kept: usize,
    pub share: ShareView,
    /// What the caller should know that S3 could not tell (printed as `warning:` lines).
    pub warnings: Vec<String>,
}

/// A difference between a share's live policy and the one last written.
#[derive(Debug, Clone, Serialize)]
pub struct ShareDrift {
    pub bucket: String,
    pub diff: String,
}

/// How many objects of other users `share report` checks the owner can read (one HeadObject
/// each).
const OWNER_READ_CHECKS: usize = 200;

impl Keeper {
    /// Gives USER `role` on `bucket` (under `prefix` when not empty), replacing the role they had
    /// under the same prefix. A former member granted again is one no more (their Deny goes).
    pub async fn share_grant(
        &self,
        bucket: &str,
        user: &str,
        role: Role,
        prefix: &str,
        adopt: bool,
    ) -> Result<ShareChange, KeeperError> {
        let mut who = principal_for(user, self.settings.dialect)?;
        if !prefix.is_empty() {
            check_prefix(prefix)?;
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
        let mut change = self
            .change_share(bucket, adopt, "share-granted", &detail, |t| {
                t.members
                    .retain(|m| !(m.principal == who.principal && m.prefix == who.prefix));
                t.former.retain(|f| f.principal != who.principal);
                t.members.push(who.clone());
                Ok(0)
            })
            .await?;
        // RGW accepts any principal in a bucket policy, a user that does not exist included, and
        // it then matches nobody (measured on RGW 16.2; docs/shares.md): S3 cannot tell a
        // misspelled name, so the caller is told.
        if self.settings.dialect == Dialect::Ceph {
            change.warnings.push(format!(
                "Ceph RGW does not check that `{user}` exists: an unknown or misspelled name is accepted and grants nothing (names are case-sensitive)"
            ));
        }
        Ok(change)
    }

    /// Takes USER's role under `prefix` away, or with `None` every role they have on the bucket
    /// and their name in kept statements too (a departing member keeps nothing). In the Ceph
    /// dialect a user left with no role becomes a former member, unless they own the bucket.
    pub async fn share_revoke(
        &self,
        bucket: &str,
        user: &str,
        prefix: Option<&str>,
        adopt: bool,
    ) -> Result<ShareChange, KeeperError> {
        let who = principal_for(user, self.settings.dialect)?;
        let detail = match prefix {
            Some(p) => format!("{} under {p}", who.principal),
            None => who.principal.clone(),
        };
        // Only RGW makes an uploader the owner of their objects, so only there does a revoked
        // member keep anything without an Allow; the owner is asked before the row is locked
        // (it does not change) so the lock is held no longer than before.
        let owner = match self.settings.dialect {
            Dialect::Aws => None,
            Dialect::Ceph => {
                self.check_share_bucket(bucket)?;
                Some(self.owner_of(bucket, None).await?)
            }
        };
        self.change_share(bucket, adopt, "share-revoked", &detail, |t| {
            let before = t.members.len();
            t.members
                .retain(|m| m.principal != who.principal || prefix.is_some_and(|p| p != m.prefix));
            let mut removed = 0;
            if prefix.is_none() {
                removed = remove_from_statements(&mut t.kept, &who.principal);
            }
            if t.members.len() == before && removed == 0 {
                return Err(KeeperError::NotFound(match prefix {
                    Some(p) => format!("{user} has no role under `{p}` on {bucket}"),
                    None => format!("{user} has no role on {bucket}"),
                }));
            }
            let has_role = t.members.iter().any(|m| m.principal == who.principal);
            let already = t.former.iter().any(|f| f.principal == who.principal);
            if let Some(owner) = &owner {
                if !has_role && !already && becomes_former(owner, &who.principal) {
                    t.former.push(FormerMember {
                        principal: who.principal.clone(),
                        user: who.user.clone(),
                    });
                }
            }
            Ok(removed)
        })
        .await
    }

    /// Removes USER from the former members, lifting the `Deny` that kept them out: what RGW
    /// lets them do as the owner of their uploads is theirs again.
    pub async fn share_forget(
        &self,
        bucket: &str,
        user: &str,
        adopt: bool,
    ) -> Result<ShareChange, KeeperError> {
        let who = principal_for(user, self.settings.dialect)?;
        self.change_share(bucket, adopt, "share-forgotten", &who.principal, |t| {
            let before = t.former.len();
            t.former.retain(|f| f.principal != who.principal);
            if t.former.len() == before {
                return Err(KeeperError::NotFound(format!(
                    "{user} is not a former member of {bucket} (`s3keeper share show {bucket}` lists them)"
                )));
            }
            Ok(0)
        })
        .await
    }

    /// The table as the database holds it (no S3 call).
    pub async fn share_show(&self, bucket: &str) -> Result<ShareView, KeeperError> {
        let mut tx = self.begin().await?;
        let state = read_share(&mut tx, bucket).await?;
        tx.commit().await?;
        match state {
            Some(s) => Ok(self.view(
                bucket,
                Table::from(s),
            )),
            None => Err(KeeperError::NotFound(format!(
                "{bucket} is not shared through s3keeper; `s3keeper share grant` or `share import` starts"
            ))),
        }
    }

    /// Replaces the table with the live policy read back ([`import()`]), writing nothing to
    /// S3: what the policy grants is unchanged, and the next change renders it from the table.
    pub async fn share_import(&self, bucket: &str) -> Result<ShareView, KeeperError> {
        self.check_share_bucket(bucket)?;
        let mut tx = self.begin().await?;
        lock_share(&mut tx, bucket).await?;
        let live = self.live_policy(bucket).await?;
        let Some(live) = live else {
            return Err(KeeperError::NotFound(format!(
                "{bucket} has no bucket policy to import"
            )));
        };
        let imported = import(bucket, &live, self.settings.dialect)?;
        let old = read_share(&mut tx, bucket).await?.unwrap_or_default();
        save_members(&mut tx, bucket, &old.members, &imported.members).await?;
        save_former(&mut tx, bucket, &old.former, &imported.former).await?;
        save_share(&mut tx, bucket, Some(&live), &imported.kept).await?;
        self.audit_in(
            &mut tx,
            "share-imported",
            "",
            bucket,
            &format!(
                "{} roles, {} former members, {} statements kept verbatim",
                imported.members.len(),
                imported.former.len(),
                imported.kept.len()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(self.view(bucket, Table::from(imported)))
    }

    /// Who can do what under the live policy, and whether it locks the owner or s3keeper out.
    pub async fn share_report(&self, bucket: &str) -> Result<Report, KeeperError> {
        self.check_share_bucket(bucket)?;
        let live = self.live_policy(bucket).await?;
        let owner = match self.settings.dialect {
            Dialect::Aws => self.settings.account.clone(),
            Dialect::Ceph => self.owner_of(bucket, live.as_deref()).await?,
        };
        // The report stays useful without STS (an endpoint that serves none): it then checks the
        // owner only.
        let service = match self.service_principal(&owner).await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "the identity s3keeper runs as is unknown; the report checks the owner's lock-out only");
                None
            }
        };
        let mut report = report_with(
            bucket,
            &owner,
            live.as_deref(),
            self.settings.dialect,
            service.as_deref(),
        )?;
        if self.settings.dialect == Dialect::Ceph {
            // s3keeper holds the owner's key pair in the Ceph dialect, so HeadObject answers for
            // the owner.
            match self.unreadable_by_owner(bucket, &owner).await {
                Ok(Some((keys, more))) => {
                    report.unreadable_by_owner = keys;
                    report.unreadable_truncated = more;
                    report.owner_reads_checked = true;
                }
                Ok(None) => {
                    tracing::debug!(
                        "s3keeper's key pair is not the owner's; the owner's reads are not checked"
                    );
                }
                // A key pair that may manage the policy but not list the bucket: the rest of the
                // report stands.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot check which objects the owner can read");
                }
            }
        }
        Ok(report)
    }

    /// The first [`OWNER_READ_CHECKS`] objects of other users in `bucket` that the owner cannot
    /// read, and whether there are more; `None` when s3keeper's key pair is not the owner's (its
    /// HeadObject would then answer for someone else).
    async fn unreadable_by_owner(
        &self,
        bucket: &str,
        owner: &str,
    ) -> Result<Option<(Vec<String>, bool)>, KeeperError> {
        let region = &self.settings.region;
        // Who s3keeper is, as ListBuckets says (any RGW user may ask); unknown means not provably
        // the owner.
        match self.aws.caller_owner_id(region).await {
            Ok(me) if me == owner => {}
            Ok(_) => return Ok(None),
            Err(e) => {
                tracing::debug!(error = %e, "cannot tell whether s3keeper's key pair is the owner's");
                return Ok(None);
            }
        }
        let (theirs, more) = self
            .aws
            .keys_owned_by_others(bucket, region, owner, OWNER_READ_CHECKS)
            .await?;
        let mut out = Vec::new();
        for key in theirs {
            if !self.aws.may_read(bucket, region, &key).await? {
                out.push(key);
            }
        }
        Ok(Some((out, more)))
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

    fn view(&self, bucket: &str, table: Table) -> ShareView {
        let policy = render_with(bucket, &table.members, &table.former, &table.kept);
        let text = policy.as_ref().map(Value::to_string);
        let findings = text
            .as_deref()
            .and_then(|t| policy_eval::Policy::parse(t, policy_eval::PolicyKind::Bucket).ok())
            .map(|p| policy_eval::lint::lint(&p))
            .unwrap_or_default();
        ShareView {
            bucket: bucket.to_owned(),
            dialect: self.settings.dialect,
            members: table.members,
            former: table.former,
            kept: table.kept,
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
        change: impl FnOnce(&mut Table) -> Result<usize, KeeperError>,
    ) -> Result<ShareChange, KeeperError> {
        self.check_share_bucket(bucket)?;
        let region = &self.settings.region;
        let mut tx = self.begin().await?;
        lock_share(&mut tx, bucket).await?;
        let old: ShareState = read_share(&mut tx, bucket).await?.unwrap_or_default();
        let live = self.live_policy(bucket).await?;
        let (mut table, adopted) = if same(old.applied.as_deref(), live.as_deref()) {
            (Table::from(old.clone()), false)
        } else if adopt {
            let table = match &live {
                Some(text) => import(bucket, text, self.settings.dialect)?.into(),
                // A deleted policy (a steward's, or the way back from a lock-out) adopted as an
                // empty table.
                None => Table::default(),
            };
            (table, true)
        } else {
            return Err(hand_edit(bucket, old.applied.as_deref(), live.as_deref()));
        };
        let removed_from_kept = change(&mut table)?;
        let text = render_text_with(bucket, &table.members, &table.former, &table.kept);
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
                    return Err(self
                        .unknown_principals(bucket, live.as_deref(), &old, &table, e)
                        .await);
                }
                Err(e) => {
                    return Err(self
                        .locked_out(bucket, live.as_deref(), "s3:PutBucketPolicy", e)
                        .await)
                }
            },
            None => match self.aws.delete_bucket_policy(bucket).await {
                Ok(()) => {}
                Err(e) if aws_code(&e) == Some("NoSuchBucketPolicy") => {}
                Err(e) => {
                    return Err(self
                        .locked_out(bucket, live.as_deref(), "s3:DeleteBucketPolicy", e)
                        .await)
                }
            },
        }
        save_members(&mut tx, bucket, &old.members, &table.members).await?;
        save_former(&mut tx, bucket, &old.former, &table.former).await?;
        save_share(&mut tx, bucket, text.as_deref(), &table.kept).await?;
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
            share: self.view(bucket, table),
            warnings: Vec::new(),
        })
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

/// Whether revoking `principal`'s last role makes them a former member of a bucket `owner` (the
/// RGW user id GetBucketAcl gives) owns: never the owner, whom a `Deny` would lock out of their
/// own bucket (RGW lets a bucket policy refuse even its owner).
fn becomes_former(owner: &str, principal: &str) -> bool {
    let named = match owner.split_once('$') {
        Some((tenant, name)) => format!("arn:aws:iam::{tenant}:user/{name}"),
        None => format!("arn:aws:iam:::user/{owner}"),
    };
    named != principal
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn the_owner_never_becomes_a_former_member() {
        assert!(!becomes_former("pi", "arn:aws:iam:::user/pi"));
        assert!(!becomes_former("uab$pi", "arn:aws:iam::uab:user/pi"));
        assert!(becomes_former("pi", "arn:aws:iam:::user/wendy"));
        assert!(
            becomes_former("uab$pi", "arn:aws:iam:::user/pi"),
            "another tenant's pi"
        );
        assert!(becomes_former("pi", "arn:aws:iam::uab:user/pi"));
        // Case counts: RGW user ids are case-sensitive.
        assert!(becomes_former("pi", "arn:aws:iam:::user/PI"));
    }
}
