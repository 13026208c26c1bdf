//! Upload tickets (SPEC §6, the LSST the Docs seed): a build machine or an instrument uploads
//! under one prefix of the uploads bucket without ever holding the service's credentials.
//!
//! Every ticket gets its own temporary credentials (`GetFederationToken`, or `AssumeRole` of the
//! uploader role when the service runs on role credentials) with a session policy confining them
//! to the prefix, and is handed out as one of:
//! - `post`: a browser-style POST form whose signed policy also confines the key, the size and
//!   the content type (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>);
//! - `put`: one presigned PUT URL per key;
//! - `sts`: the credentials themselves.
//!
//! Finishing or cancelling a ticket revokes it at once: the uploads bucket's policy denies the
//! ticket's session (`aws:userid`) until its credentials expire, whatever its URLs or form say
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html>).

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::*;
use crate::aws::TempCredentials;

/// The longest a ticket may live (12 hours), and the default (15 minutes).
pub const MAX_EXPIRY_SECONDS: u32 = 12 * 3600;
pub const DEFAULT_EXPIRY_SECONDS: u32 = 15 * 60;
/// A browser POST upload is at most 5 GB (S3's single-request limit).
pub const MAX_POST_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// STS issues federation tokens and role sessions for at least 15 minutes.
const MIN_TOKEN_SECONDS: u32 = 900;

/// How a ticket is handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadMethod {
    Post,
    Put,
    Sts,
}

impl UploadMethod {
    pub fn parse(s: &str) -> Result<UploadMethod, KeeperError> {
        match s {
            "post" => Ok(UploadMethod::Post),
            "put" => Ok(UploadMethod::Put),
            "sts" => Ok(UploadMethod::Sts),
            other => Err(invalid(format!(
                "upload method `{other}` is not one of post, put, sts"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            UploadMethod::Post => "post",
            UploadMethod::Put => "put",
            UploadMethod::Sts => "sts",
        }
    }
}

/// What a ticket is asked for.
#[derive(Debug, Clone)]
pub struct TicketRequest {
    /// Keys start with this; it ends with `/`.
    pub prefix: String,
    pub method: UploadMethod,
    /// For `put`: the keys (relative to the prefix) to presign.
    pub keys: Vec<String>,
    pub expires_seconds: u32,
    /// For `post`: the largest object accepted.
    pub max_bytes: Option<u64>,
    /// For `post`: the `Content-Type` must start with this.
    pub content_type: Option<String>,
    /// Who asked (an API client's name, or the operator).
    pub client: String,
}

impl TicketRequest {
    /// A `post` ticket for `prefix` with the defaults.
    pub fn post(prefix: &str) -> TicketRequest {
        TicketRequest {
            prefix: prefix.to_owned(),
            method: UploadMethod::Post,
            keys: Vec::new(),
            expires_seconds: DEFAULT_EXPIRY_SECONDS,
            max_bytes: None,
            content_type: None,
            client: "operator".to_owned(),
        }
    }
}

/// The credentials of an `sts` ticket.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TicketCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// RFC 3339.
    pub expiration: String,
}

/// A ticket as handed out (the `upload start` JSON; `push --ticket` reads it back).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Ticket {
    pub id: String,
    pub method: UploadMethod,
    pub bucket: String,
    pub prefix: String,
    pub region: String,
    /// RFC 3339.
    pub expires_at: String,
    /// `post`: where the form goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `post`: the form's fields, in the order a form sends them (`file` goes last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Map<String, Value>>,
    /// `put`: key (relative to the prefix) → presigned URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urls: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<TicketCredentials>,
}

/// One uploaded object.
#[derive(Debug, Clone, Serialize)]
pub struct UploadedObject {
    pub key: String,
    pub size: u64,
    pub etag: String,
}

/// A ticket's state (`upload show`, `finish`, `cancel`).
#[derive(Debug, Clone, Serialize)]
pub struct UploadState {
    pub id: String,
    /// `open`, `finished`, `cancelled`, or `expired` (open past its expiry).
    pub state: String,
    pub method: String,
    pub bucket: String,
    pub prefix: String,
    pub client: String,
    pub created_at: String,
    pub expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<UploadedObject>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

pub(super) fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A prefix is a relative key prefix ending in `/`, without empty, `.` or `..` segments, so a
/// ticket can never reach beyond it and two tickets' prefixes never overlap by accident.
pub(super) fn check_prefix(prefix: &str) -> Result<(), KeeperError> {
    let bad = |why: &str| Err(invalid(format!("prefix `{prefix}` {why}")));
    if prefix.is_empty() || prefix.len() > 512 {
        return bad("must be 1–512 characters");
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
fn check_relative_key(key: &str) -> Result<(), KeeperError> {
    if key.is_empty()
        || key.len() > 512
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
    Ok(())
}

/// A fresh ticket id: 16 lower-case base-32 characters.
fn new_ticket_id(prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let digest = Sha256::digest(format!("{nanos}/{n}/{}/{prefix}", std::process::id()));
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    digest
        .iter()
        .take(16)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// The session policy: writes (and multipart clean-up) under the prefix, and listing of the
/// prefix only.
fn session_policy(bucket: &str, prefix: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                "Resource": format!("arn:aws:s3:::{bucket}/{prefix}*"),
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": format!("arn:aws:s3:::{bucket}"),
                "Condition": {"StringLike": {"s3:prefix": format!("{prefix}*")}},
            }
        ]
    })
    .to_string()
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this never fails.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The POST form: policy and SigV4 signature, as S3 documents them
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html>). Public so tests
/// can sign forms of their own with a ticket's credentials.
pub fn post_form(
    creds: &TempCredentials,
    bucket: &str,
    region: &str,
    request: &TicketRequest,
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> serde_json::Map<String, Value> {
    let date = format!(
        "{:04}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let amz_date = format!(
        "{date}T{:02}{:02}{:02}Z",
        now.hour(),
        now.minute(),
        now.second()
    );
    let credential = format!("{}/{date}/{region}/s3/aws4_request", creds.access_key_id);
    let max = request.max_bytes.unwrap_or(MAX_POST_BYTES);
    let mut conditions = vec![
        json!({"bucket": bucket}),
        json!(["starts-with", "$key", request.prefix]),
        json!(["content-length-range", 0, max]),
        json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
        json!({"x-amz-credential": credential}),
        json!({"x-amz-date": amz_date}),
        json!({"x-amz-security-token": creds.session_token}),
    ];
    if let Some(ct) = &request.content_type {
        conditions.push(json!(["starts-with", "$Content-Type", ct]));
    }
    let expiration = expires
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let policy = json!({"expiration": expiration, "conditions": conditions}).to_string();
    let policy_b64 = base64::engine::general_purpose::STANDARD.encode(policy.as_bytes());
    let key = [
        date.as_bytes(),
        region.as_bytes(),
        b"s3".as_slice(),
        b"aws4_request".as_slice(),
    ]
    .iter()
    .fold(
        format!("AWS4{}", creds.secret_access_key).into_bytes(),
        |k, part| hmac(&k, part),
    );
    let signature = hex::encode(hmac(&key, policy_b64.as_bytes()));
    let mut fields = serde_json::Map::new();
    fields.insert(
        "key".into(),
        Value::String(format!("{}${{filename}}", request.prefix)),
    );
    if let Some(ct) = &request.content_type {
        fields.insert("Content-Type".into(), Value::String(ct.clone()));
    }
    for (k, v) in [
        ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_owned()),
        ("x-amz-credential", credential),
        ("x-amz-date", amz_date),
        ("x-amz-security-token", creds.session_token.clone()),
        ("policy", policy_b64),
        ("x-amz-signature", signature),
    ] {
        fields.insert(k.into(), Value::String(v));
    }
    fields
}

/// ticket id, method, bucket, prefix, client, created, expires, state, objects, bytes.
type TicketRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
);

const TICKET_COLUMNS: &str =
    "id, method, bucket, prefix, client, created_at, expires_at, state, objects, bytes";

fn state_from(row: TicketRow, now: i64) -> UploadState {
    let (id, method, bucket, prefix, client, created, expires, state, _objects, bytes) = row;
    let state = if state == "open" && expires <= now {
        "expired".to_owned()
    } else {
        state
    };
    UploadState {
        id,
        state,
        method,
        bucket,
        prefix,
        client,
        created_at: rfc3339(created),
        expires_at: rfc3339(expires),
        objects: None,
        bytes: bytes.and_then(|b| u64::try_from(b).ok()),
    }
}

impl Keeper {
    /// Opens a ticket: temporary credentials confined to the prefix, handed out as a POST form,
    /// presigned PUT URLs or the credentials themselves.
    pub async fn start_upload(&self, request: &TicketRequest) -> Result<Ticket, KeeperError> {
        check_prefix(&request.prefix)?;
        if !(60..=MAX_EXPIRY_SECONDS).contains(&request.expires_seconds) {
            return Err(invalid(format!(
                "expiry must be 60 to {MAX_EXPIRY_SECONDS} seconds (12 hours)"
            )));
        }
        match request.method {
            UploadMethod::Put if request.keys.is_empty() => {
                return Err(invalid("a `put` ticket needs at least one --key"))
            }
            UploadMethod::Put => {}
            _ if !request.keys.is_empty() => {
                return Err(invalid("--key is for `put` tickets only"))
            }
            _ => {}
        }
        for k in &request.keys {
            check_relative_key(k)?;
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
        let s = &self.settings;
        let id = new_ticket_id(&request.prefix);
        let session = format!("s3k-{id}");
        let policy = session_policy(&s.uploads_bucket, &request.prefix);
        let token_seconds = i32::try_from(request.expires_seconds.max(MIN_TOKEN_SECONDS))
            .map_err(|_| invalid("expiry too large"))?;
        let creds = match &s.uploader_role_arn {
            // Role credentials cannot call GetFederationToken; a role session can be revoked the
            // same way.
            Some(role) => {
                self.aws
                    .assume_role(role, &session, &policy, token_seconds)
                    .await?
            }
            None => {
                self.aws
                    .federation_token(&session, &policy, token_seconds)
                    .await?
            }
        };
        let now = OffsetDateTime::now_utc();
        let expires = now + time::Duration::seconds(i64::from(request.expires_seconds));
        let userid = creds.userid.clone();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO upload_tickets (id, method, bucket, prefix, userid, client, created_at, expires_at, state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')",
        )
        .bind(&id)
        .bind(request.method.as_str())
        .bind(&s.uploads_bucket)
        .bind(&request.prefix)
        .bind(&userid)
        .bind(&request.client)
        .bind(now.unix_timestamp())
        .bind(expires.unix_timestamp())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            "upload-start",
            "",
            "",
            &format!(
                "ticket {id} ({}) for s3://{}/{} until {} by {}",
                request.method.as_str(),
                s.uploads_bucket,
                request.prefix,
                rfc3339(expires.unix_timestamp()),
                request.client
            ),
        )
        .await?;
        tx.commit().await?;
        let mut ticket = Ticket {
            id,
            method: request.method,
            bucket: s.uploads_bucket.clone(),
            prefix: request.prefix.clone(),
            region: s.region.clone(),
            expires_at: rfc3339(expires.unix_timestamp()),
            url: None,
            fields: None,
            urls: None,
            credentials: None,
        };
        let valid_for = Duration::from_secs(u64::from(request.expires_seconds));
        match request.method {
            UploadMethod::Post => {
                let signer = self.aws.s3_as(&creds);
                ticket.url = Some(self.aws.bucket_url(&signer, &s.uploads_bucket).await?);
                ticket.fields = Some(post_form(
                    &creds,
                    &s.uploads_bucket,
                    &s.region,
                    request,
                    now,
                    expires,
                ));
            }
            UploadMethod::Put => {
                let signer = self.aws.s3_as(&creds);
                let mut urls = BTreeMap::new();
                for k in &request.keys {
                    let key = format!("{}{k}", request.prefix);
                    let url = self
                        .aws
                        .presign_put(&signer, &s.uploads_bucket, &key, valid_for)
                        .await?;
                    urls.insert(k.clone(), url);
                }
                ticket.urls = Some(urls);
            }
            UploadMethod::Sts => {
                ticket.credentials = Some(TicketCredentials {
                    access_key_id: creds.access_key_id.clone(),
                    secret_access_key: creds.secret_access_key.clone(),
                    session_token: creds.session_token.clone(),
                    expiration: rfc3339(creds.expiration),
                });
            }
        }
        Ok(ticket)
    }

    /// A ticket's recorded state, without listing its objects.
    pub async fn upload_ticket_row(&self, id: &str) -> Result<UploadState, KeeperError> {
        Ok(state_from(self.ticket_row(id).await?, now()))
    }

    async fn ticket_row(&self, id: &str) -> Result<TicketRow, KeeperError> {
        sqlx::query_as(&format!(
            "SELECT {TICKET_COLUMNS} FROM upload_tickets WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| KeeperError::NotFound(format!("no upload ticket `{id}`")))
    }

    /// A ticket's state; with the objects under its prefix when it is still open.
    pub async fn upload_ticket(&self, id: &str) -> Result<UploadState, KeeperError> {
        let row = self.ticket_row(id).await?;
        let mut state = state_from(row, now());
        let listed = self.aws.list_objects(&state.bucket, &state.prefix).await?;
        state.bytes = Some(listed.iter().map(|o| o.size).sum());
        state.objects = Some(
            listed
                .into_iter()
                .map(|o| UploadedObject {
                    key: o.key,
                    size: o.size,
                    etag: o.etag,
                })
                .collect(),
        );
        Ok(state)
    }

    /// Every ticket, newest first.
    pub async fn upload_tickets(&self) -> Result<Vec<UploadState>, KeeperError> {
        let rows: Vec<TicketRow> = sqlx::query_as(&format!(
            "SELECT {TICKET_COLUMNS} FROM upload_tickets ORDER BY created_at DESC, id"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        let now = now();
        Ok(rows.into_iter().map(|r| state_from(r, now)).collect())
    }

    /// Ends a ticket: lists what was uploaded (finish) or deletes it (cancel), and revokes the
    /// ticket's credentials, URLs and form at once.
    pub async fn end_upload(&self, id: &str, cancel: bool) -> Result<UploadState, KeeperError> {
        let row = self.ticket_row(id).await?;
        if row.7 != "open" {
            return Err(KeeperError::Conflict(format!(
                "upload ticket `{id}` is already {}",
                row.7
            )));
        }
        let (bucket, prefix) = (row.2.clone(), row.3.clone());
        let end = if cancel { "cancelled" } else { "finished" };
        // Revoke first, so nothing lands between the listing and the end.
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE upload_tickets SET state = $1, ended_at = $2 WHERE id = $3")
            .bind(end)
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.write_revocations().await?;
        let listed = self.aws.list_objects(&bucket, &prefix).await?;
        let bytes: u64 = listed.iter().map(|o| o.size).sum();
        if cancel {
            let keys: Vec<String> = listed.iter().map(|o| o.key.clone()).collect();
            self.aws.delete_keys(&bucket, &keys).await?;
        }
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE upload_tickets SET objects = $1, bytes = $2 WHERE id = $3")
            .bind(i64::try_from(listed.len()).unwrap_or(i64::MAX))
            .bind(i64::try_from(bytes).unwrap_or(i64::MAX))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.audit_in(
            &mut tx,
            if cancel {
                "upload-cancel"
            } else {
                "upload-finish"
            },
            "",
            "",
            &format!(
                "ticket {id}: {} objects, {bytes} bytes under s3://{bucket}/{prefix}{}",
                listed.len(),
                if cancel { " deleted" } else { "" }
            ),
        )
        .await?;
        tx.commit().await?;
        let mut state = state_from(self.ticket_row(id).await?, now());
        state.bytes = Some(bytes);
        state.objects = Some(
            listed
                .into_iter()
                .map(|o| UploadedObject {
                    key: o.key,
                    size: o.size,
                    etag: o.etag,
                })
                .collect(),
        );
        Ok(state)
    }

    /// Writes the uploads bucket's policy from the database: one Deny naming the sessions of every
    /// ended ticket whose credentials may still be valid (STS tokens live at least 15 minutes,
    /// so a session is denied until then even if its ticket expired sooner).
    pub(super) async fn write_revocations(&self) -> Result<(), KeeperError> {
        let s = &self.settings;
        let horizon = now() - i64::from(MIN_TOKEN_SECONDS);
        let revoked: Vec<(String,)> = sqlx::query_as(
            "SELECT userid FROM upload_tickets WHERE state <> 'open' AND bucket = $1 \
             AND (expires_at > $2 OR created_at > $3) ORDER BY userid",
        )
        .bind(&s.uploads_bucket)
        .bind(now())
        .bind(horizon)
        .fetch_all(&self.db.pool)
        .await?;
        if revoked.is_empty() {
            return self.aws.delete_bucket_policy(&s.uploads_bucket).await;
        }
        let ids: Vec<&str> = revoked.iter().map(|(u,)| u.as_str()).collect();
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "EndedUploadTickets",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [
                    format!("arn:aws:s3:::{}", s.uploads_bucket),
                    format!("arn:aws:s3:::{}/*", s.uploads_bucket),
                ],
                "Condition": {"StringEquals": {"aws:userid": ids}},
            }]
        });
        self.aws
            .put_bucket_policy(&s.uploads_bucket, &s.region, &policy.to_string())
            .await
    }
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
    }

    /// The signing-key derivation and signature of AWS's own POST example
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html>): the policy
    /// is signed with the key derived from the secret, date, region and service.
    #[test]
    fn signing_key_matches_sigv4() {
        // The SigV4 documentation's derived-key example: secret
        // wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
        let key = [
            b"20120215".as_slice(),
            b"us-east-1",
            b"iam",
            b"aws4_request",
        ]
        .iter()
        .fold(
            b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_vec(),
            |k, part| hmac(&k, part),
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
