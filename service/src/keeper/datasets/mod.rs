//! Datasets: registering a version (open or controlled) and uploading its files, with ETags
//! computed as S3 computes them for single and multipart uploads
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>);
//! and, in [`grants`], who may read a controlled dataset and the access points that carry them.

mod grants;

pub use grants::Access;

use super::*;

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

/// slug, version, kind, source, state.
type DatasetRow = (String, String, String, String, String);

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

impl Keeper {
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

    pub(super) fn dataset_from(
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
