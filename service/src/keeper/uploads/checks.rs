//! What a ticket request may ask for: prefixes, keys, content types, sizes and lifetimes, each
//! refused with the reason before anything is issued. The limits keep every answer small and
//! every value safe to put in a header, a policy or a page.
//!
//! S3 facts: an object key is at most 1,024 bytes of UTF-8
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html>); one POST upload is
//! at most 5 GB (<https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>).

use super::{invalid, KeeperError, TicketRequest, UploadMethod};

/// The longest a ticket may live (12 hours), and the shortest (one minute).
pub const MAX_EXPIRY_SECONDS: u32 = 12 * 3600;
pub const MIN_EXPIRY_SECONDS: u32 = 60;
/// A browser POST upload is at most 5 GB (S3's single-request limit).
pub const MAX_POST_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Keys one `put` ticket may presign: each is a URL in the answer, so the answer stays well under
/// a megabyte.
pub const MAX_PUT_KEYS: usize = 1000;
/// The longest `--content-type`: it becomes a header value and a form field.
pub const MAX_CONTENT_TYPE: usize = 256;
/// S3's limit on a whole key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// The longest prefix.
pub const MAX_PREFIX_BYTES: usize = 512;

/// A prefix is a relative key prefix ending in `/`, without empty, `.` or `..` segments, so a
/// ticket can never reach beyond it and two tickets' prefixes never overlap by accident.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), KeeperError> {
    let bad = |why: &str| Err(invalid(format!("prefix `{prefix}` {why}")));
    if prefix.is_empty() || prefix.len() > MAX_PREFIX_BYTES {
        return bad("must be 1–512 bytes");
    }
    if !prefix.ends_with('/') {
        return bad("must end with `/` (keys are PREFIX + a file's relative path)");
    }
    if prefix.starts_with('/') {
        return bad("must not start with `/`");
    }
    if prefix
        .trim_end_matches('/')
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return bad("must not hold empty, `.` or `..` segments");
    }
    if prefix
        .chars()
        .any(|c| c.is_control() || matches!(c, '*' | '?' | '$' | '"'))
    {
        return bad("must not hold control characters or `*`, `?`, `$`, `\"`");
    }
    Ok(())
}

/// A key (relative to the prefix) for a `put` ticket.
fn check_relative_key(prefix: &str, key: &str) -> Result<(), KeeperError> {
    if key.is_empty()
        || key.starts_with('/')
        || key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        || key.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "key `{key}` must be a relative path (no empty, `.` or `..` segments)"
        )));
    }
    if prefix.len() + key.len() > MAX_KEY_BYTES {
        return Err(invalid(format!(
            "key `{key}` makes a key of {} bytes under the prefix; S3 keys are at most {MAX_KEY_BYTES} bytes",
            prefix.len() + key.len()
        )));
    }
    Ok(())
}

/// A content type: printable ASCII, as a header value must be, and short.
fn check_content_type(ct: &str) -> Result<(), KeeperError> {
    if ct.len() > MAX_CONTENT_TYPE || !ct.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return Err(invalid(format!(
            "--content-type must be at most {MAX_CONTENT_TYPE} printable ASCII characters"
        )));
    }
    Ok(())
}

/// Everything about a request that can be refused before anything is issued.
pub(super) fn check_request(request: &TicketRequest) -> Result<(), KeeperError> {
    check_prefix(&request.prefix)?;
    if !(MIN_EXPIRY_SECONDS..=MAX_EXPIRY_SECONDS).contains(&request.expires_seconds) {
        return Err(invalid(format!(
            "expiry must be {MIN_EXPIRY_SECONDS} to {MAX_EXPIRY_SECONDS} seconds (12 hours)"
        )));
    }
    match request.method {
        UploadMethod::Put if request.keys.is_empty() => {
            return Err(invalid("a `put` ticket needs at least one --key"))
        }
        UploadMethod::Put if request.keys.len() > MAX_PUT_KEYS => {
            return Err(invalid(format!(
                "a `put` ticket presigns at most {MAX_PUT_KEYS} keys ({} asked); use a `post` or `sts` ticket for more",
                request.keys.len()
            )))
        }
        UploadMethod::Put => {}
        _ if !request.keys.is_empty() => return Err(invalid("--key is for `put` tickets only")),
        _ => {}
    }
    let mut seen = std::collections::HashSet::new();
    for k in &request.keys {
        check_relative_key(&request.prefix, k)?;
        if !seen.insert(k.as_str()) {
            return Err(invalid(format!("key `{k}` is named twice")));
        }
    }
    if request.method != UploadMethod::Post
        && (request.max_bytes.is_some() || request.content_type.is_some())
    {
        return Err(invalid(
            "--max-bytes and --content-type are for `post` tickets (a form's policy enforces them)",
        ));
    }
    if request.max_bytes.is_some_and(|m| m > MAX_POST_BYTES) {
        return Err(invalid(format!(
            "--max-bytes may be at most {MAX_POST_BYTES} (S3's limit for one POST)"
        )));
    }
    if let Some(ct) = &request.content_type {
        check_content_type(ct)?;
    }
    Ok(())
}

/// Whether two tickets' prefixes share keys: one lies inside the other.
pub(super) fn overlap(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_relative_and_end_with_a_slash() {
        for good in ["builds/", "builds/123/", "a b/ü/"] {
            assert!(check_prefix(good).is_ok(), "{good}");
        }
        for bad in [
            "", "builds", "/builds/", "a//b/", "a/../b/", "./a/", "a*/", "a\n/",
        ] {
            assert!(check_prefix(bad).is_err(), "{bad:?}");
        }
        assert!(check_prefix(&format!("{}/", "a".repeat(MAX_PREFIX_BYTES))).is_err());
    }

    #[test]
    fn overlapping_prefixes_are_those_inside_one_another() {
        assert!(overlap("builds/", "builds/other/rel/"));
        assert!(overlap("builds/other/rel/", "builds/"));
        assert!(overlap("a/", "a/"));
        assert!(!overlap("builds/a/", "builds/b/"));
        assert!(!overlap("builds/a/", "builds/ab/"));
    }

    #[test]
    fn limits_refuse_oversized_requests() {
        let mut r = TicketRequest::post("p/");
        r.method = UploadMethod::Put;
        r.keys = (0..=MAX_PUT_KEYS).map(|i| format!("k{i}")).collect();
        assert!(check_request(&r).is_err());
        r.keys.truncate(MAX_PUT_KEYS);
        assert!(check_request(&r).is_ok());
        r.keys = vec!["a".repeat(MAX_KEY_BYTES)];
        assert!(check_request(&r).is_err());
        r.keys = vec!["x".into(), "x".into()];
        assert!(check_request(&r).is_err());
        let mut r = TicketRequest::post("p/");
        r.content_type = Some("a".repeat(MAX_CONTENT_TYPE + 1));
        assert!(check_request(&r).is_err());
        r.content_type = Some("text/html\r\nX-Evil: 1".into());
        assert!(check_request(&r).is_err());
        r.content_type = Some("image/".into());
        assert!(check_request(&r).is_ok());
    }
}
