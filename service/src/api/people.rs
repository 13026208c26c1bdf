//! `/people`: people and the verification that they control an AWS IAM user, over HTTP (SPEC §4).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;

use super::{body, ok, ApiResult, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPerson {
    email: String,
    #[serde(default)]
    name: String,
}

pub(super) async fn add_person(State(s): State<Arc<AppState>>, bytes: Bytes) -> ApiResult {
    let p: NewPerson = body(&bytes)?;
    let person = s.keeper.add_person(&p.email, &p.name).await?;
    Ok((StatusCode::CREATED, Json(person)).into_response())
}

pub(super) async fn get_person(
    State(s): State<Arc<AppState>>,
    Path(email): Path<String>,
) -> ApiResult {
    ok(s.keeper.person(&email).await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallerIdentity {
    /// What `aws sts get-caller-identity` printed, as text.
    caller_identity: String,
}

pub(super) async fn start_verification(
    State(s): State<Arc<AppState>>,
    Path(email): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let b: CallerIdentity = body(&bytes)?;
    ok(s.keeper
        .start_verification(&email, &b.caller_identity)
        .await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedUrl {
    url: String,
}

pub(super) async fn complete_verification(
    State(s): State<Arc<AppState>>,
    Path(email): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let b: SignedUrl = body(&bytes)?;
    ok(s.keeper.complete_verification(&email, &b.url).await?)
}

pub(super) async fn remove_identity(
    State(s): State<Arc<AppState>>,
    Path(email): Path<String>,
) -> ApiResult {
    s.keeper.remove_identity(&email).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
