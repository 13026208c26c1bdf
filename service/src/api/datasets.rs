//! `/datasets`: datasets, and the agreements, grants and revocations that open a controlled one
//! to a person, over HTTP (SPEC §5).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{body, ok, ApiResult, AppState};
use crate::keeper::{Kind, Quiet};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDataset {
    slug: String,
    version: String,
    kind: String,
    source: String,
}

pub(super) async fn register_dataset(State(s): State<Arc<AppState>>, bytes: Bytes) -> ApiResult {
    let d: NewDataset = body(&bytes)?;
    let kind = Kind::parse(&d.kind)?;
    let ds = s
        .keeper
        .register_dataset(&d.slug, &d.version, kind, std::path::Path::new(&d.source))
        .await?;
    Ok((StatusCode::CREATED, Json(ds)).into_response())
}

pub(super) async fn list_datasets(State(s): State<Arc<AppState>>) -> ApiResult {
    ok(s.keeper.datasets().await?)
}

pub(super) async fn get_dataset(
    State(s): State<Arc<AppState>>,
    Path((slug, version)): Path<(String, String)>,
) -> ApiResult {
    ok(s.keeper.dataset(&slug, &version).await?)
}

pub(super) async fn upload(
    State(s): State<Arc<AppState>>,
    Path((slug, version)): Path<(String, String)>,
) -> ApiResult {
    ok(s.keeper.upload(&slug, &version, &Quiet).await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Who {
    email: String,
}

pub(super) async fn sign_agreement(
    State(s): State<Arc<AppState>>,
    Path((slug, version)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult {
    let w: Who = body(&bytes)?;
    let access = s.keeper.sign_agreement(&w.email, &slug, &version).await?;
    ok(json!({"signed": true, "access": access}))
}

pub(super) async fn grant(
    State(s): State<Arc<AppState>>,
    Path((slug, version)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult {
    let w: Who = body(&bytes)?;
    ok(s.keeper.grant(&w.email, &slug, &version).await?)
}

pub(super) async fn access(
    State(s): State<Arc<AppState>>,
    Path((slug, version, email)): Path<(String, String, String)>,
) -> ApiResult {
    ok(s.keeper.access(&email, &slug, &version).await?)
}

pub(super) async fn revoke(
    State(s): State<Arc<AppState>>,
    Path((slug, version, email)): Path<(String, String, String)>,
) -> ApiResult {
    s.keeper.revoke(&email, &slug, &version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
