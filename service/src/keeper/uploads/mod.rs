//! Upload tickets (SPEC §6, the LSST the Docs seed): a build machine or an instrument uploads
//! under one prefix of the uploads bucket without ever holding the service's credentials.
//!
//! Every ticket gets its own temporary credentials (`GetFederationToken`, or `AssumeRole` of the
//! uploader role when the service runs on role credentials) with a session policy confining them
//! to the prefix until the ticket's expiry, and is handed out as one of:
//! - `post`: a browser-style POST form whose signed policy also confines the key, the size and
//!   the content type (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>);
//! - `put`: one presigned PUT URL per key;
//! - `sts`: the credentials themselves.
//!
//! Finishing or cancelling a ticket revokes it at once: the uploads bucket's policy denies the
//! ticket's session (`aws:userid`) until it can no longer act, whatever its URLs or form say
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html>).
//!
//! Against a hostile client (issue 18):
//! - [`checks`]: every input bounded (keys per ticket, key bytes, content types);
//! - [`revocations`]: a ticket is admitted only while its revocation fits in the bucket policy,
//!   and ending a ticket commits only once S3 holds its revocation;
//! - the session policy ends the credentials at the ticket's own expiry ([`form`]);
//! - tickets whose prefixes overlap are never open together, and each ticket remembers what its
//!   prefix held when it opened, so [`end`]'s cancel deletes only what the ticket uploaded;
//! - who opened a ticket is typed ([`Opener`]), not a name a client could take ([`clients`]).

mod checks;
mod clients;
mod end;
mod form;
mod revocations;

pub(crate) use checks::check_prefix;
pub use checks::{MAX_CONTENT_TYPE, MAX_EXPIRY_SECONDS, MAX_POST_BYTES, MAX_PUT_KEYS};
pub use clients::{
    prefix_allowed, Client, ClientLimits, NewClient, DEFAULT_MAX_OPEN, DEFAULT_MAX_SESSIONS,
};
pub use form::post_form;
pub use revocations::UploadCapacity;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::*;
use revocations::{lock_policy, REVOKE_MARGIN};

/// The default lifetime of a ticket (15 minutes).
pub const DEFAULT_EXPIRY_SECONDS: u32 = 15 * 60;
/// STS issues federation tokens and role sessions for at least 15 minutes.
const MIN_TOKEN_SECONDS: u32 = 900;
/// Rows per statement when a prefix's existing objects are remembered.
const BASELINE_BATCH: usize = 300;

/// Who opened a ticket. The operator (CLI, admin token) is a kind of its own, never a client's
/// name, so no client can see or end the operator's tickets by taking a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opener {
    Operator,
    /// An API client, by its id (unique even when a removed client's name is reused).
    Client {
        id: String,
        name: String,
        /// Tickets it may have open at once.
        max_open: i64,
        /// Places it may hold in the revocation list: open tickets, and ended ones whose session
        /// could still act.
        max_sessions: i64,
    },
}

impl Opener {
    /// The stored form: `operator`, or `client:ID`.
    pub fn key(&self) -> String {
        match self {
            Opener::Operator => "operator".to_owned(),
            Opener::Client { id, .. } => format!("client:{id}"),
        }
    }

    fn label(&self) -> &str {
        match self {
            Opener::Operator => "operator",
            Opener::Client { name, .. } => name,
        }
    }
}

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
    /// Who asked.
    pub opener: Opener,
}

impl TicketRequest {
    /// An operator's `post` ticket for `prefix` with the defaults.
    pub fn post(prefix: &str) -> TicketRequest {
        TicketRequest {
            prefix: prefix.to_owned(),
            method: UploadMethod::Post,
            keys: Vec::new(),
            expires_seconds: DEFAULT_EXPIRY_SECONDS,
            max_bytes: None,
            content_type: None,
            opener: Opener::Operator,
        }
    }
}

/// The credentials of an `sts` ticket.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TicketCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// RFC 3339: when STS ends them; the session policy ends them at the ticket's `expires_at`.
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
    /// Who opened it: `operator`, or the client's name.
    pub client: String,
    /// The stored opener (`operator` or `client:ID`), for finding a client's own tickets.
    #[serde(skip)]
    pub opened_by: String,
    pub created_at: String,
    pub expires_at: String,
    /// `upload show`: every object under the prefix; `finish` and `cancel`: what the ticket
    /// uploaded (objects under its prefix that are new or changed since it opened).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<UploadedObject>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

pub(in crate::keeper) fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A fresh ticket id: 16 lower-case base-32 characters.
fn new_ticket_id(prefix: &str) -> String {
    use sha2::{Digest, Sha256};
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

/// ticket id, method, bucket, prefix, client, created, expires, state, objects, bytes, opened by.
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
    String,
);

const TICKET_COLUMNS: &str =
    "id, method, bucket, prefix, client, created_at, expires_at, state, objects, bytes, opened_by";

fn state_from(row: TicketRow, now: i64) -> UploadState {
    let (id, method, bucket, prefix, client, created, expires, state, _objects, bytes, opened_by) =
        row;
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
        opened_by,
        created_at: rfc3339(created),
        expires_at: rfc3339(expires),
        objects: None,
        bytes: bytes.and_then(|b| u64::try_from(b).ok()),
    }
}

fn uploaded(listed: Vec<crate::aws::Listed>) -> Vec<UploadedObject> {
    listed
        .into_iter()
        .map(|o| UploadedObject {
            key: o.key,
            size: o.size,
            etag: o.etag,
        })
        .collect()
}

impl Keeper {
    /// Opens a ticket: temporary credentials confined to the prefix until the ticket expires,
    /// handed out as a POST form, presigned PUT URLs or the credentials themselves.
    ///
    /// Refused (nothing handed out) when the request is out of bounds (`Invalid`), another open
    /// ticket's prefix overlaps (`Conflict`, naming it), the client has its most tickets open
    /// (`TooMany`), or the revocation list could not take the new session (`Unavailable`).
    pub async fn start_upload(&self, request: &TicketRequest) -> Result<Ticket, KeeperError> {
        checks::check_request(request)?;
        let s = &self.settings;
        // The cheap refusals first, so a flood of refused requests costs STS nothing; checked
        // again below with the lock held.
        {
            let mut tx = self.begin().await?;
            self.admit(&mut tx, request).await?;
            self.check_capacity(&mut tx, &"x".repeat(s.account.len() + 21))
                .await?;
            tx.rollback().await?;
        }
        let id = new_ticket_id(&request.prefix);
        let session = format!("s3k-{id}");
        let created = OffsetDateTime::now_utc();
        let expires = created + time::Duration::seconds(i64::from(request.expires_seconds));
        let until = rfc3339(expires.unix_timestamp());
        let policy = form::session_policy(&s.uploads_bucket, &request.prefix, &until);
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
        // Past both its session policy's end and STS's, the session can do nothing.
        let revoke_until = expires.unix_timestamp().min(creds.expiration) + REVOKE_MARGIN;
        let mut tx = self.begin().await?;
        lock_policy(&mut tx).await?;
        self.admit(&mut tx, request).await?;
        self.check_capacity(&mut tx, &creds.userid).await?;
        sqlx::query(
            "INSERT INTO upload_tickets (id, method, bucket, prefix, userid, client, opened_by, created_at, expires_at, revoke_until, state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open')",
        )
        .bind(&id)
        .bind(request.method.as_str())
        .bind(&s.uploads_bucket)
        .bind(&request.prefix)
        .bind(&creds.userid)
        .bind(request.opener.label())
        .bind(request.opener.key())
        .bind(created.unix_timestamp())
        .bind(expires.unix_timestamp())
        .bind(revoke_until)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // No other ticket can write under the prefix now; what it holds is not this ticket's.
        if let Err(e) = self.remember_baseline(&id, request, &until).await {
            let _ = sqlx::query("DELETE FROM upload_tickets WHERE id = $1")
                .bind(&id)
                .execute(&self.db.pool)
                .await;
            return Err(e);
        }
        let mut ticket = Ticket {
            id,
            method: request.method,
            bucket: s.uploads_bucket.clone(),
            prefix: request.prefix.clone(),
            region: s.region.clone(),
            expires_at: until,
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
                    created,
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

    /// Refuses a ticket whose prefix overlaps an open one's, or a client's beyond its limit.
    async fn admit(&self, tx: &mut Tx, request: &TicketRequest) -> Result<(), KeeperError> {
        // A ticket stays in the way until it is ended or its session can no longer act.
        let open: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT id, prefix, opened_by, expires_at FROM upload_tickets \
             WHERE state = 'open' AND bucket = $1 AND revoke_until > $2",
        )
        .bind(&self.settings.uploads_bucket)
        .bind(now())
        .fetch_all(&mut **tx)
        .await?;
        if let Some((other, prefix, _, until)) = open
            .iter()
            .find(|(_, p, _, _)| checks::overlap(p, &request.prefix))
        {
            return Err(KeeperError::Conflict(format!(
                "prefix `{}` overlaps open upload ticket `{other}` (prefix `{prefix}`, open until {}); finish or cancel it first, or choose a prefix that neither contains nor lies inside it",
                request.prefix,
                rfc3339(*until)
            )));
        }
        if let Opener::Client {
            name,
            max_open,
            max_sessions,
            ..
        } = &request.opener
        {
            let key = request.opener.key();
            let mine = open
                .iter()
                .filter(|(_, _, by, until)| *by == key && *until > now())
                .count();
            if i64::try_from(mine).unwrap_or(i64::MAX) >= *max_open {
                return Err(KeeperError::TooMany(format!(
                    "client `{name}` has {mine} upload tickets open, its limit (`client add --max-open`); finish or cancel one first"
                )));
            }
            // Ending a ticket does not free its place at once: its session is denied until it
            // could no longer act. Without this bound one client could fill the list for all.
            let (held,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM upload_tickets WHERE opened_by = $1 AND bucket = $2 AND revoke_until > $3",
            )
            .bind(&key)
            .bind(&self.settings.uploads_bucket)
            .bind(now())
            .fetch_one(&mut **tx)
            .await?;
            if held >= *max_sessions {
                return Err(KeeperError::TooMany(format!(
                    "client `{name}` holds {held} places in the uploads bucket's revocation list (open tickets and ended ones not yet expired), its limit (`client add --max-sessions`); places free as tickets expire, sooner for short tickets"
                )));
            }
        }
        Ok(())
    }

    /// Remembers what the prefix holds as the ticket opens (key and ETag), so that what the
    /// ticket uploaded can be told from what was there.
    async fn remember_baseline(
        &self,
        id: &str,
        request: &TicketRequest,
        until: &str,
    ) -> Result<(), KeeperError> {
        let s = &self.settings;
        let existing = self
            .aws
            .list_objects(&s.uploads_bucket, &request.prefix)
            .await?;
        let mut tx = self.begin().await?;
        for chunk in existing.chunks(BASELINE_BATCH) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO upload_baseline (ticket_id, key, etag) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for o in chunk {
                q = q.bind(id).bind(&o.key).bind(&o.etag);
            }
            q.execute(&mut *tx).await?;
        }
        let who = match &request.opener {
            Opener::Operator => "the operator".to_owned(),
            Opener::Client { name, .. } => format!("client {name}"),
        };
        self.audit_in(
            &mut tx,
            "upload-start",
            "",
            "",
            &format!(
                "ticket {id} ({}) for s3://{}/{} until {until} by {who}{}",
                request.method.as_str(),
                s.uploads_bucket,
                request.prefix,
                if existing.is_empty() {
                    String::new()
                } else {
                    format!(" ({} objects already there are kept)", existing.len())
                }
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
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

    /// A ticket's state with every object under its prefix (what `push` compares with to skip
    /// unchanged files; finish and cancel report only what the ticket itself uploaded).
    pub async fn upload_ticket(&self, id: &str) -> Result<UploadState, KeeperError> {
        let row = self.ticket_row(id).await?;
        let mut state = state_from(row, now());
        let listed = self.aws.list_objects(&state.bucket, &state.prefix).await?;
        state.bytes = Some(listed.iter().map(|o| o.size).sum());
        state.objects = Some(uploaded(listed));
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

    /// The objects under the ticket's prefix that it uploaded: new or changed since it opened.
    async fn uploaded_by(
        &self,
        id: &str,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<crate::aws::Listed>, KeeperError> {
        let baseline: std::collections::HashMap<String, String> =
            sqlx::query_as("SELECT key, etag FROM upload_baseline WHERE ticket_id = $1")
                .bind(id)
                .fetch_all(&self.db.pool)
                .await?
                .into_iter()
                .collect();
        let listed = self.aws.list_objects(bucket, prefix).await?;
        Ok(listed
            .into_iter()
            .filter(|o| baseline.get(&o.key) != Some(&o.etag))
            .collect())
    }
}
