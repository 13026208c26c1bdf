//! `/uploads`: upload tickets over HTTP (SPEC §6). The admin token may do everything; a client's
//! token may open tickets only under the client's prefixes, and see and end only its own.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;

use super::{body, ok, ApiError, ApiResult, AppState, Caller};
use crate::error::KeeperError;
use crate::keeper::{
    prefix_allowed, Opener, TicketRequest, UploadMethod, UploadState, DEFAULT_EXPIRY_SECONDS,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTicket {
    prefix: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    expires: Option<u32>,
    #[serde(default)]
    max_bytes: Option<u64>,
    #[serde(default)]
    content_type: Option<String>,
}

/// Who opens tickets for this caller: the admin token is the operator; a client is itself, by
/// its id (never by a name another could take).
fn opener(caller: &Caller) -> Opener {
    match caller {
        Caller::Admin => Opener::Operator,
        Caller::Client(c) => c.opener(),
    }
}

pub(super) async fn start(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> ApiResult {
    let t: NewTicket = body(&bytes)?;
    if let Caller::Client(c) = &caller {
        if !prefix_allowed(&c.prefixes, &t.prefix) {
            return Err(ApiError(KeeperError::Forbidden(format!(
                "client `{}` may open tickets only under {}",
                c.name,
                c.prefixes.join(", ")
            ))));
        }
    }
    let request = TicketRequest {
        prefix: t.prefix,
        method: UploadMethod::parse(t.method.as_deref().unwrap_or("post"))?,
        keys: t.keys,
        expires_seconds: t.expires.unwrap_or(DEFAULT_EXPIRY_SECONDS),
        max_bytes: t.max_bytes,
        content_type: t.content_type,
        opener: opener(&caller),
    };
    let ticket = s.keeper.start_upload(&request).await?;
    Ok((StatusCode::CREATED, Json(ticket)).into_response())
}

pub(super) async fn list(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> ApiResult {
    let all = s.keeper.upload_tickets().await?;
    let mine: Vec<UploadState> = match &caller {
        Caller::Admin => all,
        Caller::Client(_) => {
            let key = opener(&caller).key();
            all.into_iter().filter(|t| t.opened_by == key).collect()
        }
    };
    ok(mine)
}

/// The ticket, if the caller may see it (another client's is "not found", not "forbidden", so
/// ids cannot be probed).
async fn own(s: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    if let Caller::Client(_) = caller {
        let t = s.keeper.upload_ticket_row(id).await?;
        if t.opened_by != opener(caller).key() {
            return Err(ApiError(KeeperError::NotFound(format!(
                "no upload ticket `{id}`"
            ))));
        }
    }
    Ok(())
}

pub(super) async fn show(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    own(&s, &caller, &id).await?;
    ok(s.keeper.upload_ticket(&id).await?)
}

pub(super) async fn finish(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    own(&s, &caller, &id).await?;
    ok(s.keeper.end_upload(&id, false).await?)
}

pub(super) async fn cancel(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    own(&s, &caller, &id).await?;
    ok(s.keeper.end_upload(&id, true).await?)
}
