//! Which principals S3 refuses, when it refuses a share's policy with `MalformedPolicy` ("Invalid
//! principal in policy") without saying which: each probe is the live policy plus one `Deny`
//! naming a group of principals on a key nobody uses, so nobody's access changes while it runs,
//! and the live policy is put back at the end (unless someone else wrote the policy meanwhile:
//! theirs is left as it is).

use serde_json::{json, Value};

use super::super::{invalid, is_invalid_principal, refused_principals, Keeper};
use super::diff;
use super::roles::{FormerMember, Member};
use super::store::ShareState;
use super::Table;
use crate::aws::aws_code;
use crate::error::KeeperError;
use crate::policies::POLICY_LIMIT;

/// The principals a probe found refused, by what they are in the table.
#[derive(Debug, Default)]
pub(super) struct Refused {
    /// Principals of roles (new or known).
    pub(super) members: Vec<String>,
    /// Principals of former members (their Deny names them too).
    pub(super) former: Vec<String>,
}

impl Refused {
    pub(super) fn is_empty(&self) -> bool {
        self.members.is_empty() && self.former.is_empty()
    }
}

impl Keeper {
    /// Finds which principals of `members` and `former` S3 refuses, without changing anyone's
    /// access. The principals the change adds are tried first (usually one, a mistyped name: one
    /// probe); the rest only when those are all known, members before former members.
    pub(super) async fn invalid_share_principals(
        &self,
        bucket: &str,
        live: Option<&str>,
        before: &[Member],
        members: &[Member],
        former: &[FormerMember],
    ) -> Result<Refused, KeeperError> {
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
        let mut gone: Vec<String> = Vec::new();
        for f in former {
            if !added.contains(&f.principal)
                && !known.contains(&f.principal)
                && !gone.contains(&f.principal)
            {
                gone.push(f.principal.clone());
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
        // The last probe written, to tell our own write from someone else's at the end; a
        // poisoned lock still holds a usable value (it is only ever replaced whole).
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
        for names in [&added, &known, &gone] {
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
        let restored = self.restore_after_probes(bucket, live, &written).await;
        match (found, restored) {
            (Ok(bad), Ok(())) => {
                let (former, members) = bad.into_iter().partition(|b| gone.contains(b));
                Ok(Refused { members, former })
            }
            (Err(e), Ok(())) | (Ok(_), Err(e)) => Err(e),
            (Err(e), Err(r)) => Err(KeeperError::Conflict(format!(
                "{e}; and putting the policy of {bucket} back failed too: {r}"
            ))),
        }
    }

    /// Puts the live policy back after the probes, unless someone wrote the policy during them.
    async fn restore_after_probes(
        &self,
        bucket: &str,
        live: Option<&str>,
        written: &std::sync::Mutex<Option<String>>,
    ) -> Result<(), KeeperError> {
        let region = &self.settings.region;
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
        if !ours {
            return Err(KeeperError::Conflict(format!(
                "the policy of {bucket} was changed by someone else while s3keeper probed it; it was left as they wrote it"
            )));
        }
        match live {
            Some(t) => self.aws.put_bucket_policy(bucket, region, t).await,
            None => match self.aws.delete_bucket_policy(bucket).await {
                Err(e) if aws_code(&e) == Some("NoSuchBucketPolicy") => Ok(()),
                other => other,
            },
        }
    }

    /// The error for a policy S3 refused over an unknown principal (`e`): which ones, found by
    /// probing ([`probe`]), and what to do about each kind.
    pub(super) async fn unknown_principals(
        &self,
        bucket: &str,
        live: Option<&str>,
        old: &ShareState,
        table: &Table,
        e: KeeperError,
    ) -> KeeperError {
        let bad = match self
            .invalid_share_principals(bucket, live, &old.members, &table.members, &table.former)
            .await
        {
            Ok(bad) => bad,
            Err(probe) => return probe,
        };
        if bad.is_empty() {
            return e;
        }
        let mut names = bad.members.clone();
        names.extend(bad.former.iter().cloned());
        let new = bad
            .members
            .iter()
            .all(|b| !old.members.iter().any(|m| &m.principal == b));
        let mut advice = Vec::new();
        if !bad.members.is_empty() {
            advice.push(if new {
                "Check the user's name (RGW and IAM names are exact and case-sensitive)".to_owned()
            } else {
                format!("A member's user was deleted or renamed: revoke it (`s3keeper share revoke {bucket} USER`) and try again")
            });
        }
        if !bad.former.is_empty() {
            advice.push(format!(
                "A former member's user was deleted or renamed: forget it (`s3keeper share forget {bucket} USER`) and try again"
            ));
        }
        invalid(format!(
            "S3 refused the policy of {bucket}: it does not know {}; nothing was recorded and the bucket's policy is as it was. {}",
            names.join(", "),
            advice.join(". ")
        ))
    }
}
