//! The service's operations (SPEC §4 and §5): people, identity verification, datasets, grants,
//! revocation, reconciliation and the audit log. The HTTP API and the CLI are thin layers over
//! [`Keeper`].
//!
//! The database is the source of truth. Every change is committed first and then applied to AWS;
//! an access point whose `applied_version` is behind its `version` has a change AWS has not yet
//! accepted, which [`Keeper::reconcile`] finishes after a crash or an AWS failure. Writing an
//! access point's policy happens with its row locked, so concurrent grants (also from several
//! service instances on one PostgreSQL) serialise on the policy they share and never lose each
//! other. Allocation locks the dataset's row, so two grants never both open access point NN+1.
//! A grant costs the same however many people are already granted: it reads one access point's
//! members (at most the capacity), never the dataset's.
//!
//! AWS facts used: access point names are 3–50 lower-case letters, digits and hyphens
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-restrictions-limitations-naming-rules.html>);
//! an access point policy is at most 20 KB; `PutAccessPointPolicy` refuses a policy naming a
//! principal that no longer exists with `MalformedPolicy` ("Invalid principal in policy"),
//! without saying which one.
//!
//! One module per concern, each adding its operations to [`Keeper`]: `setup` (the buckets),
//! `people` (people and identity verification), `datasets` (registering and uploading
//! datasets, and in `datasets::grants` agreements, grants, revocation and the access points that
//! carry them), `reconcile` (bringing AWS back in line with the database), `audit` (the log),
//! `uploads` (upload tickets for machines without credentials, and the API clients that
//! open them) and [`shares`] (shared buckets with roles: the role table, its policy, and the
//! operations that keep it on S3).

mod audit;
mod datasets;
pub(crate) mod people;
mod reconcile;
mod setup;
pub mod shares;
mod uploads;

pub use audit::{AuditEntry, AuditFilter};
pub use datasets::{Access, Dataset, Kind, Progress, Quiet, UploadReport};
pub use people::{fetch, verify, Identity, Person, VerificationStart};
pub use reconcile::{Drift, ReconcileReport};
pub use shares::{ShareChange, ShareDrift, ShareView};
pub use uploads::{
    post_form, prefix_allowed, Client, ClientLimits, NewClient, Opener, Ticket, TicketRequest,
    UploadCapacity, UploadMethod, UploadState, DEFAULT_EXPIRY_SECONDS, DEFAULT_MAX_OPEN,
    DEFAULT_MAX_SESSIONS, MAX_CONTENT_TYPE, MAX_EXPIRY_SECONDS, MAX_PUT_KEYS,
};

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::{Any, Transaction};

use crate::aws::{aws_code, part_size, Aws, MULTIPART_CHUNK};
use crate::db::{now, Db};
use crate::error::KeeperError;
use crate::policies;
use people::fetch::{FetchLimits, Fetcher};
use people::verify::S3Endpoint;

/// What the service is configured with (see `s3keeper --help` for the flags).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The platform's AWS account, which owns the buckets and access points.
    pub account: String,
    pub region: String,
    pub verify_bucket: String,
    pub open_bucket: String,
    pub controlled_bucket: String,
    /// Where upload tickets put files (SPEC §6).
    pub uploads_bucket: String,
    /// Browser origins allowed to POST to the uploads bucket (its CORS rules).
    pub upload_origins: Vec<String>,
    /// A role whose sessions sign upload tickets (for a service on role credentials, which
    /// cannot call GetFederationToken); default: federation tokens of the service's IAM user.
    pub uploader_role_arn: Option<String>,
    /// The site's name in verification keys (`SITE-verification/…`).
    pub site: String,
    /// Bucket name patterns `share` may manage (empty: any but the service's own).
    pub shared_buckets: Vec<String>,
    /// AWS, or Ceph RGW for shared buckets (bare user names; only S3 is called).
    pub dialect: shares::Dialect,
    /// At most this many people per access point.
    pub capacity: usize,
    /// The account's access point quota in this region (AWS: 10,000).
    pub max_access_points: usize,
    /// Where signed verification URLs must point.
    pub verify_endpoint: S3Endpoint,
    pub fetch: FetchLimits,
    /// When set, dataset sources must lie inside this directory (canonical path), so that the
    /// API cannot be used to publish arbitrary files of the server.
    pub source_root: Option<PathBuf>,
}

/// Default bucket names, site name, capacity and quota (also the CLI's defaults).
pub const DEFAULT_VERIFY_BUCKET: &str = "s3keeper-verification";

pub const DEFAULT_OPEN_BUCKET: &str = "s3keeper-open-data";

pub const DEFAULT_CONTROLLED_BUCKET: &str = "s3keeper-controlled-data";

pub const DEFAULT_UPLOADS_BUCKET: &str = "s3keeper-uploads";

pub const DEFAULT_SITE: &str = "s3keeper";

pub const DEFAULT_CAPACITY: usize = 500;

pub const DEFAULT_MAX_ACCESS_POINTS: usize = 10_000;

impl Settings {
    /// Defaults for the platform account `account` in `region`.
    pub fn new(account: &str, region: &str) -> Settings {
        Settings {
            account: account.to_owned(),
            region: region.to_owned(),
            verify_bucket: DEFAULT_VERIFY_BUCKET.to_owned(),
            open_bucket: DEFAULT_OPEN_BUCKET.to_owned(),
            controlled_bucket: DEFAULT_CONTROLLED_BUCKET.to_owned(),
            uploads_bucket: DEFAULT_UPLOADS_BUCKET.to_owned(),
            upload_origins: Vec::new(),
            uploader_role_arn: None,
            site: DEFAULT_SITE.to_owned(),
            dialect: shares::Dialect::Aws,
            shared_buckets: Vec::new(),
            capacity: DEFAULT_CAPACITY,
            max_access_points: DEFAULT_MAX_ACCESS_POINTS,
            verify_endpoint: S3Endpoint::Aws,
            fetch: FetchLimits::default(),
            source_root: None,
        }
    }

    /// Refuses settings AWS would refuse later, such as a capacity whose policy cannot fit.
    pub fn validate(&self) -> Result<(), KeeperError> {
        let bad = |m: String| Err(KeeperError::Config(m));
        // RGW has no account ids; its default tenant is the empty string.
        let ceph_tenant = self.dialect == shares::Dialect::Ceph
            && (self.account.is_empty() || policy_eval::arn::is_tenant_name(&self.account));
        if !ceph_tenant && !policy_eval::arn::is_account_id(&self.account) {
            return bad(format!(
                "account `{}` is not a 12-digit AWS account id",
                self.account
            ));
        }
        for (what, name) in [
            ("verification", &self.verify_bucket),
            ("open", &self.open_bucket),
            ("controlled", &self.controlled_bucket),
            ("uploads", &self.uploads_bucket),
        ] {
            if !valid_bucket_name(name) {
                return bad(format!("the {what} bucket name `{name}` is not a valid S3 bucket name (3–63 lower-case letters, digits, dots and hyphens)"));
            }
        }
        check_shared_buckets(&self.shared_buckets)?;
        if self.site.is_empty()
            || !self
                .site
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return bad(format!(
                "site `{}` must be letters, digits, `-`, `_` or `.`",
                self.site
            ));
        }
        if self.capacity == 0 {
            return bad("capacity must be at least 1".to_owned());
        }
        // Worst case: the longest name and dataset prefix allowed, every member with the longest
        // user id. Checked here so that no grant can ever meet the limit.
        let arn = policies::access_point_arn(&self.region, &self.account, &"a".repeat(50));
        let prefix = format!("{}/{}/", "s".repeat(MAX_SLUG), "9".repeat(MAX_VERSION));
        let bytes = policies::worst_case_access_point_bytes(&arn, &prefix, self.capacity);
        if bytes > policies::POLICY_LIMIT {
            return bad(format!(
                "capacity {} would allow access point policies of {bytes} bytes, over AWS's {} byte limit; use a capacity of at most {}",
                self.capacity,
                policies::POLICY_LIMIT,
                max_capacity(&arn, &prefix)
            ));
        }
        Ok(())
    }
}

fn max_capacity(arn: &str, prefix: &str) -> usize {
    let (mut lo, mut hi) = (1usize, 2000usize);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if policies::worst_case_access_point_bytes(arn, prefix, mid) <= policies::POLICY_LIMIT {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

const MAX_SLUG: usize = 40;

const MAX_VERSION: usize = 16;

/// `--shared-buckets` patterns: bucket-name characters and wildcards only, so the IAM policy
/// `iam-policy` writes from them names buckets and nothing else.
pub fn check_shared_buckets(patterns: &[String]) -> Result<(), KeeperError> {
    for p in patterns {
        let ok = !p.is_empty()
            && p.len() <= 63
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.*?".contains(&b));
        if !ok {
            return Err(KeeperError::Config(format!(
                "shared bucket pattern `{p}` must be lower-case letters, digits, `.`, `-` and the wildcards `*` and `?`"
            )));
        }
    }
    Ok(())
}

/// Whether S3 would accept `name` as a bucket name (general purpose buckets).
pub fn valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

/// The result of bringing one access point in line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Written,
    AlreadyCurrent,
    /// The dataset is not uploaded yet; the policy is written when it is.
    Waiting,
}

/// The service.
#[derive(Debug, Clone)]
pub struct Keeper {
    pub db: Db,
    pub aws: Aws,
    pub settings: Settings,
    fetcher: Fetcher,
    /// Who the audit log names for changes made through this instance (`cli`, `api`, `demo`).
    pub actor: String,
}

fn invalid(m: impl Into<String>) -> KeeperError {
    KeeperError::Invalid(m.into())
}

/// Dataset slugs: lower-case letters, digits and single hyphens, starting with a letter.
fn check_slug(slug: &str) -> Result<(), KeeperError> {
    let ok = (1..=MAX_SLUG).contains(&slug.len())
        && slug.as_bytes()[0].is_ascii_lowercase()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("dataset slug `{slug}` must be 1–{MAX_SLUG} lower-case letters, digits and single hyphens, starting with a letter")))
    }
}

/// Versions: digits separated by single dots (`1`, `2.0.1`).
fn check_version(version: &str) -> Result<(), KeeperError> {
    let ok = (1..=MAX_VERSION).contains(&version.len())
        && version
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "dataset version `{version}` must be digits separated by dots (`1`, `2.0.1`), at most {MAX_VERSION} characters"
        )))
    }
}

fn check_email(email: &str) -> Result<(), KeeperError> {
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'))
        && email.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("`{email}` is not an email address")))
    }
}

/// `SLUG-vVERSION-NN`, dots in the version becoming hyphens (access point names allow no dots).
/// Numbers are at least two digits and grow past 99 as numbers, not strings.
pub fn access_point_name(slug: &str, version: &str, number: i64) -> String {
    format!("{slug}-v{}-{number:02}", version.replace('.', "-"))
}

fn dataset_label(slug: &str, version: &str) -> String {
    format!("{slug}/{version}")
}

/// Splits `SLUG/VERSION`.
pub fn split_dataset(label: &str) -> Result<(&str, &str), KeeperError> {
    label
        .split_once('/')
        .ok_or_else(|| invalid(format!("dataset `{label}` must be written SLUG/VERSION")))
}

type Tx = Transaction<'static, Any>;

impl Keeper {
    /// A service over `db` and `aws` acting as `actor` in the audit log.
    pub fn new(db: Db, aws: Aws, settings: Settings, actor: &str) -> Result<Keeper, KeeperError> {
        settings.validate()?;
        let fetcher = Fetcher::new(&settings.fetch)?;
        Ok(Keeper {
            db,
            aws,
            settings,
            fetcher,
            actor: actor.to_owned(),
        })
    }

    pub(super) async fn begin(&self) -> Result<Tx, KeeperError> {
        Ok(self.db.pool.begin().await?)
    }

    pub(super) async fn audit_in(
        &self,
        tx: &mut Tx,
        action: &str,
        person: &str,
        dataset: &str,
        detail: &str,
    ) -> Result<(), KeeperError> {
        self.audit_as(tx, &self.actor, action, person, dataset, detail)
            .await
    }

    pub(super) async fn audit_as(
        &self,
        tx: &mut Tx,
        actor: &str,
        action: &str,
        person: &str,
        dataset: &str,
        detail: &str,
    ) -> Result<(), KeeperError> {
        tracing::info!(actor, action, person, dataset, detail, "audit");
        sqlx::query(
            "INSERT INTO audit (at, actor, action, person, dataset, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(person)
        .bind(dataset)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// A removal the database holds but AWS has not yet applied must say so: the person keeps their
/// access until the next reconcile.
fn recorded_but_not_applied(e: KeeperError) -> KeeperError {
    match e {
        KeeperError::Aws(mut failure) => {
            failure.note = Some(
                "the change is recorded and the next reconcile applies it, until then the old access remains"
                    .to_owned(),
            );
            KeeperError::Aws(failure)
        }
        other => other,
    }
}

fn is_invalid_principal(e: &KeeperError) -> bool {
    matches!(e, KeeperError::Aws(f)
        if f.code == "MalformedPolicy" && f.message.to_ascii_lowercase().contains("principal"))
}

/// Finds which of `principals` AWS refuses, by halving: `try_group` writes a policy naming a
/// group, and a group AWS accepts holds none. Costs about `2·k·log2(n)` writes for `k` refused
/// among `n`.
async fn refused_principals<F, Fut>(
    principals: &[String],
    mut try_group: F,
) -> Result<Vec<String>, KeeperError>
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(), KeeperError>>,
{
    let mut bad = Vec::new();
    let mut stack: Vec<&[String]> = vec![principals];
    while let Some(group) = stack.pop() {
        if group.is_empty() {
            continue;
        }
        match try_group(group.to_vec()).await {
            Ok(()) => {}
            Err(e) if is_invalid_principal(&e) => {
                if group.len() == 1 {
                    bad.push(group[0].clone());
                } else {
                    let (a, b) = group.split_at(group.len() / 2);
                    stack.push(a);
                    stack.push(b);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(bad)
}

fn no_person(email: &str) -> KeeperError {
    KeeperError::NotFound(format!("no person with email {email}"))
}

fn no_dataset(slug: &str, version: &str) -> KeeperError {
    KeeperError::NotFound(format!("no dataset {slug}/{version}"))
}

/// Locks the person's row for the rest of the transaction and returns their id.
async fn lock_person(tx: &mut Tx, email: &str) -> Result<i64, KeeperError> {
    sqlx::query("UPDATE people SET name = name WHERE email = $1")
        .bind(email)
        .execute(&mut **tx)
        .await?;
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM people WHERE email = $1")
        .bind(email)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|(id,)| id).ok_or_else(|| no_person(email))
}

/// Locks the dataset's row for the rest of the transaction and returns its id.
async fn lock_dataset(tx: &mut Tx, slug: &str, version: &str) -> Result<i64, KeeperError> {
    sqlx::query("UPDATE datasets SET lock_seq = lock_seq + 1 WHERE slug = $1 AND version = $2")
        .bind(slug)
        .bind(version)
        .execute(&mut **tx)
        .await?;
    find_dataset(tx, slug, version).await.map(|d| d.0)
}

async fn find_dataset(
    tx: &mut Tx,
    slug: &str,
    version: &str,
) -> Result<(i64, Kind, String), KeeperError> {
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT id, kind, state FROM datasets WHERE slug = $1 AND version = $2")
            .bind(slug)
            .bind(version)
            .fetch_optional(&mut **tx)
            .await?;
    let (id, kind, state) = row.ok_or_else(|| no_dataset(slug, version))?;
    Ok((id, Kind::parse(&kind)?, state))
}

/// Marks every access point the person is in as changed; returns their ids.
async fn touch_person_access_points(tx: &mut Tx, person_id: i64) -> Result<Vec<i64>, KeeperError> {
    let rows: Vec<(i64,)> =
        // A fixed order, so that two transactions locking several rows never deadlock.
        sqlx::query_as("SELECT access_point_id FROM grants WHERE person_id = $1 ORDER BY access_point_id")
            .bind(person_id)
            .fetch_all(&mut **tx)
            .await?;
    for (ap,) in &rows {
        sqlx::query("UPDATE access_points SET version = version + 1 WHERE id = $1")
            .bind(ap)
            .execute(&mut **tx)
            .await?;
    }
    Ok(rows.into_iter().map(|(a,)| a).collect())
}

/// (person id, user id, email) of the access point's members with a verified identity, in grant
/// order.
async fn verified_members(tx: &mut Tx, ap: i64) -> Result<Vec<(i64, String, String)>, KeeperError> {
    Ok(sqlx::query_as(
        "SELECT g.person_id, i.user_id, p.email FROM grants g \
         JOIN identities i ON i.person_id = g.person_id JOIN people p ON p.id = g.person_id \
         WHERE g.access_point_id = $1 AND i.status = 'verified' ORDER BY g.id",
    )
    .bind(ap)
    .fetch_all(&mut **tx)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_point_names_number_numerically() {
        assert_eq!(access_point_name("mimic", "2.2", 1), "mimic-v2-2-01");
        assert_eq!(access_point_name("mimic", "2.2", 10), "mimic-v2-2-10");
        assert_eq!(access_point_name("mimic", "2.2", 100), "mimic-v2-2-100");
    }

    #[test]
    fn slugs_and_versions_are_checked() {
        assert!(check_slug("mimic-iv").is_ok());
        for bad in ["", "Mimic", "-a", "a-", "a--b", "a_b", "a.b", "1abc"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
        assert!(check_version("2.0.1").is_ok());
        for bad in ["", "v1", "1..2", ".1", "1.", "1-0"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_capacity_is_valid_and_oversized_capacity_names_the_maximum() {
        let mut s = Settings::new("111122223333", "us-east-1");
        assert!(s.validate().is_ok());
        s.capacity = 5000;
        let Err(KeeperError::Config(m)) = s.validate() else {
            panic!("accepted")
        };
        assert!(m.contains("at most"), "{m}");
    }
}
