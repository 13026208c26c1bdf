//! `s3keeper push`: uploads a directory with a ticket's POST form, over plain HTTP and without
//! any AWS library, as LSST's build machines do ("one presigned URL for a whole build … plain POST
//! calls"). Keys are the ticket's prefix plus each file's path relative to the directory.
//!
//! Files already there with the same size and ETag (the MD5 of a single-request upload) are
//! skipped, so an interrupted push run again sends only what is missing. Throttling (503) and
//! server errors (500) are retried with backoff; a POST upload replaces the whole object, so a
//! retried upload never leaves a duplicate. Every regular file under the directory is sent at
//! its own path; symbolic links are followed only when they point inside the directory (and the
//! file is sent at the link's path too); others are skipped and named. What is sent is read from
//! the file that was opened and checked, never from a path checked earlier.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest, Md5};
use serde::Serialize;

use crate::error::KeeperError;
use crate::keeper::{Progress, Ticket, UploadMethod};

/// How many uploads run at once by default.
pub const DEFAULT_JOBS: usize = 8;
/// Attempts per file before giving up.
const ATTEMPTS: u32 = 6;

/// What a push did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PushReport {
    pub uploaded: Vec<String>,
    /// Already there with the same size and ETag.
    pub skipped: Vec<String>,
    /// Links pointing outside the directory (or nowhere), not followed.
    pub links_not_followed: Vec<String>,
    pub bytes: u64,
    /// Attempts repeated after throttling or a server error.
    pub retries: u64,
}

/// One file to send: its key, where it is, its size, whether it is reached through a link.
#[derive(Debug, Clone)]
struct LocalFile {
    key: String,
    path: PathBuf,
    size: u64,
    linked: bool,
}

fn io(p: &Path, e: std::io::Error) -> KeeperError {
    KeeperError::Io(format!("{}: {e}", p.display()))
}

/// The key-relative path of `path` under `root`, which must be UTF-8 to become an S3 key.
fn relative(root: &Path, path: &Path) -> Result<String, KeeperError> {
    path.strip_prefix(root)
        .ok()
        .and_then(|r| {
            r.components()
                .map(|c| c.as_os_str().to_str())
                .collect::<Option<Vec<_>>>()
        })
        .map(|parts| parts.join("/"))
        .ok_or_else(|| {
            KeeperError::Io(format!(
                "{}: file names must be UTF-8 to become S3 keys",
                path.display()
            ))
        })
}

/// Every regular file under `dir`, each at its own path, plus files and directories reached
/// through links that resolve inside `dir` (at the link's path too). Real directories are always
/// walked, so a link pointing at one never hides it; a link to a directory already walked (an
/// ancestor, say) is not followed, so links cannot loop.
fn files(dir: &Path, prefix: &str) -> Result<(Vec<LocalFile>, Vec<String>), KeeperError> {
    let root = dir.canonicalize().map_err(|e| io(dir, e))?;
    let mut out = Vec::new();
    let mut outside = Vec::new();
    // (path as written under the root, whether a link led here)
    let mut stack = vec![(root.clone(), false)];
    // Directories walked so far (real paths): a link to one of them (an ancestor, say) is not
    // followed again.
    let mut walked = std::collections::HashSet::new();
    while let Some((d, via_link)) = stack.pop() {
        walked.insert(d.canonicalize().map_err(|e| io(&d, e))?);
        for entry in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
            let entry = entry.map_err(|e| io(&d, e))?;
            let path = entry.path();
            let rel = relative(&root, &path)?;
            let meta = std::fs::symlink_metadata(&path).map_err(|e| io(&path, e))?;
            let (meta, linked) = if meta.file_type().is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&root) => {
                        let m = std::fs::metadata(&target).map_err(|e| io(&path, e))?;
                        if m.is_dir() && walked.contains(&target) {
                            continue;
                        }
                        (m, true)
                    }
                    _ => {
                        outside.push(rel);
                        continue;
                    }
                }
            } else {
                (meta, via_link)
            };
            if meta.is_dir() {
                stack.push((path, linked));
            } else if meta.is_file() {
                out.push(LocalFile {
                    key: format!("{prefix}{rel}"),
                    path,
                    size: meta.len(),
                    linked,
                });
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    outside.sort();
    Ok((out, outside))
}

/// Opens `file` for reading and checks the file actually opened: a regular file, inside `root`.
/// The check is made on the open file, not on its path, so a link swapped in after the walk
/// (even for a directory on the way) cannot make push read a file outside the directory. Files
/// that were not reached through a link are opened without following a final link at all.
fn open_inside(root: &Path, file: &LocalFile) -> Result<std::fs::File, KeeperError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if !file.linked {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let opened = options.open(&file.path).map_err(|e| {
        io(
            &file.path,
            std::io::Error::new(e.kind(), format!("{e} (it changed during the push?)")),
        )
    })?;
    let meta = opened.metadata().map_err(|e| io(&file.path, e))?;
    if !meta.is_file() {
        return Err(KeeperError::Io(format!(
            "{}: is no longer a regular file",
            file.path.display()
        )));
    }
    if let Some(real) = opened_path(&opened) {
        if !real.starts_with(root) {
            return Err(KeeperError::Forbidden(format!(
                "{}: now leads outside the directory ({}); not sent",
                file.path.display(),
                real.display()
            )));
        }
    }
    Ok(opened)
}

/// Where an open file really is (Linux: its `/proc/self/fd` link); `None` where the system does
/// not say, and then only the walk's check stands.
fn opened_path(file: &std::fs::File) -> Option<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}

fn md5_hex(root: &Path, file: &LocalFile) -> Result<String, KeeperError> {
    use std::io::Read;
    let mut opened = open_inside(root, file)?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = opened.read(&mut buf).map_err(|e| io(&file.path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The content to send, read from the checked open file.
async fn read_inside(root: &Path, file: &LocalFile) -> Result<Vec<u8>, KeeperError> {
    let (root, owned) = (root.to_path_buf(), file.clone());
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut opened = open_inside(&root, &owned)?;
        let mut content = Vec::new();
        opened
            .read_to_end(&mut content)
            .map_err(|e| io(&owned.path, e))?;
        Ok(content)
    })
    .await
    .map_err(|e| KeeperError::Io(format!("reading {}: {e}", file.path.display())))?
}

/// The multipart/form-data body of one upload: the ticket's fields (its key replaced by this
/// file's), then the file, which S3 requires last.
fn form_body(ticket: &Ticket, key: &str, filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("s3keeper-{:x}", md5::Md5::digest(key.as_bytes()));
    let mut body = Vec::with_capacity(content.len() + 4096);
    let fields = ticket.fields.clone().unwrap_or_default();
    for (name, value) in &fields {
        let value = if name == "key" {
            key
        } else {
            value.as_str().unwrap_or_default()
        };
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let filename = filename.replace(['"', '\r', '\n'], "_");
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends one file, retrying throttling, server errors and dropped connections; returns how many
/// attempts were repeated.
async fn send(
    http: &reqwest::Client,
    ticket: &Ticket,
    root: &Path,
    file: &LocalFile,
) -> Result<u64, KeeperError> {
    let content = read_inside(root, file).await?;
    let filename = file.key.rsplit('/').next().unwrap_or_default();
    let (content_type, body) = form_body(ticket, &file.key, filename, &content);
    let url = ticket.url.clone().unwrap_or_default();
    let mut retries = 0;
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            retries += 1;
            let backoff = Duration::from_millis(100 << attempt.min(6));
            tokio::time::sleep(backoff.min(Duration::from_secs(5))).await;
        }
        let result = http
            .post(&url)
            .header("content-type", &content_type)
            .body(body.clone())
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => return Ok(retries),
            Ok(r) if r.status().as_u16() == 503 || r.status().is_server_error() => {
                last = format!("{} {}", r.status(), r.text().await.unwrap_or_default());
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                return Err(KeeperError::Forbidden(format!(
                    "S3 refused {}: {status}: {}",
                    file.key,
                    s3_error(&text)
                )));
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(KeeperError::Io(format!(
        "{}: gave up after {ATTEMPTS} attempts: {last}",
        file.key
    )))
}

/// Sends `content` as `key` with the ticket's form once (no retries); `Err` holds S3's
/// `Code: Message`.
pub async fn post_once(ticket: &Ticket, key: &str, content: &[u8]) -> Result<(), String> {
    let filename = key.rsplit('/').next().unwrap_or_default();
    let (content_type, body) = form_body(ticket, key, filename, content);
    let url = ticket.url.clone().unwrap_or_default();
    let r = reqwest::Client::new()
        .post(&url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().is_success() {
        return Ok(());
    }
    Err(s3_error(&r.text().await.unwrap_or_default()))
}

/// `Code: Message` from an S3 error body, or the body.
fn s3_error(body: &str) -> String {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&close)? + start;
        Some(
            body[start..end]
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    match (tag("Code"), tag("Message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ => body.trim().to_owned(),
    }
}

/// Uploads every file under `dir` with `ticket`'s form, `jobs` at a time, skipping those
/// `existing` (key → size, ETag) already holds unchanged.
pub async fn push(
    dir: &Path,
    ticket: &Ticket,
    existing: &HashMap<String, (u64, String)>,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<PushReport, KeeperError> {
    if ticket.method != UploadMethod::Post || ticket.url.is_none() || ticket.fields.is_none() {
        return Err(KeeperError::Invalid(
            "push needs a `post` ticket (its url and fields)".into(),
        ));
    }
    let root = dir.canonicalize().map_err(|e| io(dir, e))?;
    let (all, links_not_followed) = files(&root, &ticket.prefix)?;
    let mut report = PushReport {
        links_not_followed,
        ..PushReport::default()
    };
    let mut todo = Vec::new();
    for f in all {
        let unchanged = match existing.get(&f.key) {
            Some((size, etag)) if *size == f.size => md5_hex(&root, &f)? == *etag,
            _ => false,
        };
        if unchanged {
            report.skipped.push(f.key);
        } else {
            todo.push(f);
        }
    }
    progress.start(todo.len(), todo.iter().map(|f| f.size).sum());
    let http = reqwest::Client::new();
    let ticket = Arc::new(ticket.clone());
    let limit = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let root = Arc::new(root);
    let mut tasks = tokio::task::JoinSet::new();
    for f in todo {
        let (http, ticket, limit) = (http.clone(), Arc::clone(&ticket), Arc::clone(&limit));
        let root = Arc::clone(&root);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let r = send(&http, &ticket, &root, &f).await;
            (f, r)
        });
    }
    let mut first_error = None;
    while let Some(done) = tasks.join_next().await {
        let (f, r) = done.map_err(|e| KeeperError::Io(format!("upload task: {e}")))?;
        match r {
            Ok(retries) => {
                progress.advance(f.size);
                report.retries += retries;
                report.bytes += f.size;
                report.uploaded.push(f.key);
            }
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    progress.finish();
    report.uploaded.sort();
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_errors_read_as_code_and_message() {
        assert_eq!(
            s3_error("<Error><Code>AccessDenied</Code><Message>Policy expired</Message></Error>"),
            "AccessDenied: Policy expired"
        );
        assert_eq!(s3_error("plain"), "plain");
    }

    #[test]
    fn links_are_followed_only_inside_the_directory() {
        let base = std::env::temp_dir().join(format!("s3k-push-{}", std::process::id()));
        let dir = base.join("site");
        let _ = std::fs::create_dir_all(dir.join("sub"));
        let _ = std::fs::write(dir.join("index.html"), b"i");
        let _ = std::fs::write(dir.join("sub/a.txt"), b"a");
        let _ = std::fs::write(base.join("secret"), b"s");
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink(dir.join("sub/a.txt"), dir.join("inside-link"));
            let _ = std::os::unix::fs::symlink(base.join("secret"), dir.join("outside-link"));
            let _ = std::os::unix::fs::symlink(&dir, dir.join("sub/loop"));
        }
        let Ok((found, outside)) = files(&dir, "p/") else {
            panic!("walk failed")
        };
        let keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
        #[cfg(unix)]
        {
            assert_eq!(keys, ["p/index.html", "p/inside-link", "p/sub/a.txt"]);
            assert_eq!(outside, ["outside-link"]);
        }
        let _ = std::fs::remove_dir_all(&base);
    }

    /// A link to a real directory never hides it: every regular file is found at its own path,
    /// whichever the walk meets first.
    #[cfg(unix)]
    #[test]
    fn a_link_to_a_directory_never_hides_the_directory() {
        for link in ["in-dir", "zz-dir"] {
            let base =
                std::env::temp_dir().join(format!("s3k-push-hide-{}-{link}", std::process::id()));
            let dir = base.join("site");
            let _ = std::fs::create_dir_all(dir.join("sub"));
            let _ = std::fs::write(dir.join("sub/a.txt"), b"a");
            let _ = std::os::unix::fs::symlink(dir.join("sub"), dir.join(link));
            let Ok((found, _)) = files(&dir, "p/") else {
                panic!("walk failed")
            };
            let keys: Vec<String> = found.iter().map(|f| f.key.clone()).collect();
            let mut want = vec![format!("p/{link}/a.txt"), "p/sub/a.txt".to_owned()];
            want.sort();
            assert_eq!(keys, want, "{link}");
            let _ = std::fs::remove_dir_all(&base);
        }
    }

    /// The file read is the file checked: a path swapped for a link to a file outside the
    /// directory after the walk is refused, not read.
    #[cfg(unix)]
    #[test]
    fn a_file_swapped_for_an_outside_link_after_the_walk_is_not_read() {
        let base = std::env::temp_dir().join(format!("s3k-push-swap-{}", std::process::id()));
        let dir = base.join("site");
        let _ = std::fs::create_dir_all(dir.join("sub"));
        let _ = std::fs::write(dir.join("sub/a.txt"), b"a");
        let _ = std::fs::write(dir.join("b.txt"), b"b");
        let _ = std::fs::write(base.join("secret"), b"s");
        let _ = std::os::unix::fs::symlink(dir.join("b.txt"), dir.join("link"));
        let root = dir.canonicalize().unwrap_or_default();
        let Ok((found, _)) = files(&root, "p/") else {
            panic!("walk failed")
        };
        // After the walk: the plain file becomes a link, the link is retargeted outside, and a
        // directory on the way becomes a link to outside.
        let _ = std::fs::remove_file(dir.join("b.txt"));
        let _ = std::os::unix::fs::symlink(base.join("secret"), dir.join("b.txt"));
        let _ = std::fs::remove_file(dir.join("link"));
        let _ = std::os::unix::fs::symlink(base.join("secret"), dir.join("link"));
        let _ = std::fs::rename(dir.join("sub"), base.join("moved"));
        let _ = std::fs::create_dir_all(base.join("elsewhere"));
        let _ = std::fs::write(base.join("elsewhere/a.txt"), b"s");
        let _ = std::os::unix::fs::symlink(base.join("elsewhere"), dir.join("sub"));
        assert_eq!(found.len(), 3);
        for f in &found {
            assert!(open_inside(&root, f).is_err(), "{} was opened", f.key);
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}
