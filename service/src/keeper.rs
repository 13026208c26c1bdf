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

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::{Any, Transaction};

use crate::aws::{aws_code, part_size, Aws, MULTIPART_CHUNK};
use crate::db::{now, Db};
use crate::error::KeeperError;
use crate::fetch::{FetchLimits, Fetcher};
use crate::policies;
use crate::verify::{self, S3Endpoint};

/// What the service is configured with (see `s3keeper --help` for the flags).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The platform's AWS account, which owns the buckets and access points.
    pub account: String,
    pub region: String,
    pub verify_bucket: String,
    pub open_bucket: String,
    pub controlled_bucket: String,
    /// The site's name in verification keys (`SITE-verification/…`).
    pub site: String,
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
            site: DEFAULT_SITE.to_owned(),
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
        if self.account.len() != 12 || !self.account.bytes().all(|b| b.is_ascii_digit()) {
            return bad(format!(
                "account `{}` is not a 12-digit AWS account id",
                self.account
            ));
        }
        for (what, name) in [
            ("verification", &self.verify_bucket),
            ("open", &self.open_bucket),
            ("controlled", &self.controlled_bucket),
        ] {
            if !valid_bucket_name(name) {
                return bad(format!("the {what} bucket name `{name}` is not a valid S3 bucket name (3–63 lower-case letters, digits, dots and hyphens)"));
            }
        }
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

/// Whether S3 would accept `name` as a bucket name (general purpose buckets).
pub fn valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

/// Told how an upload goes.
pub trait Progress: Send + Sync {
    fn start(&self, _files: usize, _bytes: u64) {}
    fn advance(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy)]
pub struct Quiet;
impl Progress for Quiet {}

/// Whether a dataset is public or granted person by person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Open,
    Controlled,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind, KeeperError> {
        match s {
            "open" => Ok(Kind::Open),
            "controlled" => Ok(Kind::Controlled),
            other => Err(KeeperError::Invalid(format!(
                "dataset kind `{other}` is neither `open` nor `controlled`"
            ))),
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Kind::Open => "open",
            Kind::Controlled => "controlled",
        }
    }
}

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

#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub slug: String,
    pub version: String,
    pub kind: Kind,
    pub source: String,
    /// `registered` or `uploaded`.
    pub state: String,
    /// Where the files are: `s3://BUCKET/SLUG/VERSION/`.
    pub location: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadReport {
    pub uploaded: Vec<String>,
    pub unchanged: Vec<String>,
    pub bytes_sent: u64,
    /// Access points brought up to date because grants were waiting for this upload.
    pub access_points_applied: usize,
}

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
    pub drift: Vec<Drift>,
    /// Access points that could not be repaired this time, with the error.
    pub failures: Vec<Drift>,
}

/// The buckets reconcile checks.
#[derive(Debug, Clone, Copy)]
enum Bucket {
    Verification,
    Controlled,
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

/// The ETag S3 gives a file uploaded as [`Aws::upload_file`] uploads it.
fn local_etag(path: &Path, size: u64) -> Result<String, KeeperError> {
    use md5::{Digest, Md5};
    use std::io::Read;
    let io = |e: std::io::Error| KeeperError::Io(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut buf = vec![0u8; 1 << 16];
    if size < MULTIPART_CHUNK {
        let mut h = Md5::new();
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        return Ok(hex::encode(h.finalize()));
    }
    let part = part_size(size);
    let mut all = Md5::new();
    let mut parts = 0;
    loop {
        let mut h = Md5::new();
        let mut left = part;
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(buf.len()));
            let n = file.read(&mut buf[..want]).map_err(io)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            left -= n as u64;
        }
        if left == part {
            break;
        }
        all.update(h.finalize());
        parts += 1;
        if left > 0 {
            break;
        }
    }
    Ok(format!("{}-{parts}", hex::encode(all.finalize())))
}

/// Every regular file under `dir`, as (relative key with `/`, path, size), sorted by key.
fn walk(dir: &Path) -> Result<Vec<(String, PathBuf, u64)>, KeeperError> {
    let io = |p: &Path, e: std::io::Error| KeeperError::Io(format!("{}: {e}", p.display()));
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
            let entry = entry.map_err(|e| io(&d, e))?;
            let path = entry.path();
            // Links are refused, not followed: one could publish files from outside the source
            // (and outside --source-root), or loop forever.
            let meta = std::fs::symlink_metadata(&path).map_err(|e| io(&path, e))?;
            if meta.file_type().is_symlink() {
                return Err(KeeperError::Invalid(format!(
                    "{} is a symbolic link; datasets are uploaded from regular files only",
                    path.display()
                )));
            }
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let rel = path
                    .strip_prefix(dir)
                    .ok()
                    .and_then(|r| {
                        r.components()
                            .map(|c| c.as_os_str().to_str())
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| {
                        KeeperError::Io(format!(
                            "{}: file names must be UTF-8 to become S3 keys",
                            path.display()
                        ))
                    })?
                    .join("/");
                out.push((rel, path, meta.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

type Tx = Transaction<'static, Any>;

/// slug, version, kind, source, state.
type DatasetRow = (String, String, String, String, String);

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

    async fn begin(&self) -> Result<Tx, KeeperError> {
        Ok(self.db.pool.begin().await?)
    }

    async fn audit_in(
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

    async fn audit_as(
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

    // ---- buckets ----

    /// Creates the three buckets with their policies and public access blocks. Safe to repeat.
    pub async fn setup(&self) -> Result<Vec<String>, KeeperError> {
        let s = &self.settings;
        let mut done = Vec::new();
        self.aws
            .ensure_bucket(&s.verify_bucket, "us-east-1")
            .await?;
        // The verification policy allows `*` (narrowed by policy variables), which a public
        // access block would refuse as public.
        self.aws
            .put_public_access_block(&s.verify_bucket, "us-east-1", false)
            .await?;
        self.aws
            .put_bucket_policy(
                &s.verify_bucket,
                "us-east-1",
                &policies::verification_bucket(&s.verify_bucket, &s.site),
            )
            .await?;
        done.push(format!(
            "verification bucket s3://{} (us-east-1): each IAM user may read only its own verification path",
            s.verify_bucket
        ));
        self.ensure_open_bucket().await?;
        done.push(format!("open bucket s3://{}: public read", s.open_bucket));
        self.ensure_controlled_bucket().await?;
        done.push(format!(
            "controlled bucket s3://{}: delegated to account {}'s access points, all public access blocked",
            s.controlled_bucket, s.account
        ));
        Ok(done)
    }

    async fn ensure_open_bucket(&self) -> Result<(), KeeperError> {
        let s = &self.settings;
        self.aws.ensure_bucket(&s.open_bucket, &s.region).await?;
        self.aws
            .put_public_access_block(&s.open_bucket, &s.region, false)
            .await?;
        self.aws
            .put_bucket_policy(
                &s.open_bucket,
                &s.region,
                &policies::open_bucket(&s.open_bucket),
            )
            .await
    }

    async fn ensure_controlled_bucket(&self) -> Result<(), KeeperError> {
        let s = &self.settings;
        self.aws
            .ensure_bucket(&s.controlled_bucket, &s.region)
            .await?;
        self.aws
            .put_public_access_block(&s.controlled_bucket, &s.region, true)
            .await?;
        self.aws
            .put_bucket_policy(
                &s.controlled_bucket,
                &s.region,
                &policies::controlled_bucket(&s.controlled_bucket, &s.account),
            )
            .await
    }

    // ---- people and verification ----

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

    async fn finish_verification(&self, email: &str, url: &str) -> Result<Identity, KeeperError> {
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

    // ---- datasets ----

    /// Registers a dataset whose files are in the local directory `source`.
    pub async fn register_dataset(
        &self,
        slug: &str,
        version: &str,
        kind: Kind,
        source: &Path,
    ) -> Result<Dataset, KeeperError> {
        check_slug(slug)?;
        check_version(version)?;
        if kind == Kind::Controlled {
            let longest = access_point_name(slug, version, 99);
            if longest.len() > 50 {
                return Err(invalid(format!(
                    "access point names for this dataset (`{longest}`) would be longer than AWS's 50 characters; use a shorter slug"
                )));
            }
        }
        let dir = std::fs::canonicalize(source)
            .map_err(|e| invalid(format!("source `{}`: {e}", source.display())))?;
        if !dir.is_dir() {
            return Err(invalid(format!(
                "source `{}` is not a directory",
                dir.display()
            )));
        }
        if let Some(root) = &self.settings.source_root {
            if !dir.starts_with(root) {
                return Err(KeeperError::Forbidden(format!(
                    "source `{}` is outside the directory datasets may come from ({})",
                    dir.display(),
                    root.display()
                )));
            }
        }
        let dir_text = dir
            .to_str()
            .ok_or_else(|| invalid("the source path is not UTF-8"))?
            .to_owned();
        let mut tx = self.begin().await?;
        // Write first (see db.rs): a new dataset is inserted, an existing one left alone.
        let inserted = sqlx::query(
            "INSERT INTO datasets (slug, version, kind, source, state, created_at) VALUES ($1, $2, $3, $4, 'registered', $5) \
             ON CONFLICT (slug, version) DO NOTHING",
        )
        .bind(slug)
        .bind(version)
        .bind(kind.as_str())
        .bind(&dir_text)
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let label = dataset_label(slug, version);
        if inserted == 1 {
            self.audit_in(&mut tx, "dataset-registered", "", &label, kind.as_str())
                .await?;
        } else {
            let (k, old): (String, String) = sqlx::query_as(
                "SELECT kind, source FROM datasets WHERE slug = $1 AND version = $2",
            )
            .bind(slug)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
            if k != kind.as_str() {
                return Err(KeeperError::Conflict(format!(
                    "dataset {label} is already registered as {k}"
                )));
            }
            if old != dir_text {
                sqlx::query("UPDATE datasets SET source = $1 WHERE slug = $2 AND version = $3")
                    .bind(&dir_text)
                    .bind(slug)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                self.audit_in(
                    &mut tx,
                    "dataset-source-changed",
                    "",
                    &label,
                    &format!("{old} -> {dir_text}"),
                )
                .await?;
            }
        }
        tx.commit().await?;
        self.dataset(slug, version).await
    }

    pub async fn dataset(&self, slug: &str, version: &str) -> Result<Dataset, KeeperError> {
        let row: Option<DatasetRow> = sqlx::query_as(
            "SELECT slug, version, kind, source, state FROM datasets WHERE slug = $1 AND version = $2",
        )
        .bind(slug)
        .bind(version)
        .fetch_optional(&self.db.pool)
        .await?;
        self.dataset_from(row.ok_or_else(|| no_dataset(slug, version))?)
    }

    pub async fn datasets(&self) -> Result<Vec<Dataset>, KeeperError> {
        let rows: Vec<DatasetRow> = sqlx::query_as(
            "SELECT slug, version, kind, source, state FROM datasets ORDER BY slug, version",
        )
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter().map(|r| self.dataset_from(r)).collect()
    }

    fn dataset_from(
        &self,
        (slug, version, kind, source, state): DatasetRow,
    ) -> Result<Dataset, KeeperError> {
        let kind = Kind::parse(&kind)?;
        let bucket = match kind {
            Kind::Open => &self.settings.open_bucket,
            Kind::Controlled => &self.settings.controlled_bucket,
        };
        Ok(Dataset {
            location: format!("s3://{bucket}/{slug}/{version}/"),
            slug,
            version,
            kind,
            source,
            state,
        })
    }

    /// Uploads the dataset's files, skipping those S3 already holds with the same size and ETag,
    /// then applies any grants that were waiting for the upload.
    pub async fn upload(
        &self,
        slug: &str,
        version: &str,
        progress: &dyn Progress,
    ) -> Result<UploadReport, KeeperError> {
        let ds = self.dataset(slug, version).await?;
        let source = PathBuf::from(&ds.source);
        let files = tokio::task::spawn_blocking(move || walk(&source))
            .await
            .map_err(|e| KeeperError::Io(e.to_string()))??;
        if files.is_empty() {
            return Err(invalid(format!("{} holds no files", ds.source)));
        }
        let bucket = match ds.kind {
            Kind::Open => {
                self.ensure_open_bucket().await?;
                self.settings.open_bucket.clone()
            }
            Kind::Controlled => {
                self.ensure_controlled_bucket().await?;
                self.settings.controlled_bucket.clone()
            }
        };
        let prefix = format!("{slug}/{version}/");
        let present: HashMap<String, (u64, String)> = self
            .aws
            .list_objects(&bucket, &prefix)
            .await?
            .into_iter()
            .map(|o| (o.key, (o.size, o.etag)))
            .collect();
        let mut report = UploadReport::default();
        let mut todo = Vec::new();
        for (rel, path, size) in files {
            let key = format!("{prefix}{rel}");
            let same = match present.get(&key) {
                Some((s, etag)) if *s == size => {
                    let p = path.clone();
                    let local = tokio::task::spawn_blocking(move || local_etag(&p, size))
                        .await
                        .map_err(|e| KeeperError::Io(e.to_string()))??;
                    *etag == local
                }
                _ => false,
            };
            if same {
                report.unchanged.push(key);
            } else {
                todo.push((key, path, size));
            }
        }
        progress.start(todo.len(), todo.iter().map(|t| t.2).sum());
        for (key, path, size) in todo {
            self.aws
                .upload_file(&bucket, &key, &path, size, &|n| progress.advance(n))
                .await?;
            report.bytes_sent += size;
            report.uploaded.push(key);
        }
        progress.finish();
        let mut tx = self.begin().await?;
        let id = lock_dataset(&mut tx, slug, version).await?;
        sqlx::query("UPDATE datasets SET state = 'uploaded', uploaded_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.audit_in(
            &mut tx,
            "dataset-uploaded",
            "",
            &dataset_label(slug, version),
            &format!(
                "{} uploaded, {} unchanged, {} bytes",
                report.uploaded.len(),
                report.unchanged.len(),
                report.bytes_sent
            ),
        )
        .await?;
        let aps: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM access_points WHERE dataset_id = $1 ORDER BY number")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        let aps: Vec<i64> = aps.into_iter().map(|(a,)| a).collect();
        report.access_points_applied = aps.len();
        if let Err(e) = self.apply_all(&aps).await {
            tracing::warn!(error = %e, "dataset uploaded; some waiting grants are not yet in AWS, reconcile will finish them");
            report.access_points_applied = 0;
        }
        Ok(report)
    }

    // ---- agreements, grants, revocation ----

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
    async fn open_access_point(
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

    // ---- applying access point policies ----

    /// Brings each access point in line, then any that a dropped identity touched.
    async fn apply_all(&self, ids: &[i64]) -> Result<(), KeeperError> {
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
    async fn apply_access_point(&self, id: i64) -> Result<(Applied, Vec<i64>), KeeperError> {
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

    /// Finds which of `ids` AWS refuses as principals, by halving: a group whose policy AWS
    /// accepts holds none. Every policy tried names a subset of the members, so nobody gains
    /// access while this runs. Costs about `2·k·log2(n)` calls for `k` invalid ids among `n`.
    async fn invalid_principals(
        &self,
        name: &str,
        arn: &str,
        prefix: &str,
        ids: &[String],
    ) -> Result<Vec<String>, KeeperError> {
        let mut bad = Vec::new();
        let mut stack: Vec<&[String]> = vec![ids];
        while let Some(group) = stack.pop() {
            if group.is_empty() {
                continue;
            }
            let policy = policies::access_point(arn, prefix, group);
            match self.aws.put_access_point_policy(name, &policy).await {
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

    // ---- reconcile ----

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

    async fn reconcile_once(&self) -> Result<ReconcileReport, KeeperError> {
        let s = &self.settings;
        let mut report = ReconcileReport::default();
        let (controlled,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM datasets WHERE kind = 'controlled' AND state = 'uploaded'",
        )
        .fetch_one(&self.db.pool)
        .await?;
        // The verification bucket's policy is what makes a 404 prove control of an IAM user.
        self.check_bucket(&mut report, Bucket::Verification).await?;
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
    async fn check_bucket(
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
    async fn policy_drift(&self, id: i64, name: &str) -> Result<Option<String>, KeeperError> {
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

    // ---- audit ----

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

    #[test]
    fn etags_match_s3s_single_and_multipart_forms() {
        let dir = std::env::temp_dir().join(format!("s3k-etag-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let small = dir.join("small");
        let _ = std::fs::write(&small, b"hello");
        assert_eq!(
            local_etag(&small, 5).ok().as_deref(),
            Some("5d41402abc4b2a76b9719d911017c592")
        );
        // Two full parts and one byte: three parts.
        let big = dir.join("big");
        let len = MULTIPART_CHUNK * 2 + 1;
        let data = vec![7u8; usize::try_from(len).unwrap_or(0)];
        let _ = std::fs::write(&big, &data);
        let Ok(etag) = local_etag(&big, len) else {
            panic!("etag")
        };
        use md5::{Digest, Md5};
        let mut all = Vec::new();
        for part in data.chunks(usize::try_from(MULTIPART_CHUNK).unwrap_or(1)) {
            all.extend_from_slice(&Md5::digest(part));
        }
        assert_eq!(etag, format!("{}-3", hex::encode(Md5::digest(&all))));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
