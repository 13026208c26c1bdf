//! `/shares/{bucket}`: shared buckets' role tables over HTTP (SPEC §7), for the admin token only.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::{body, ok, ApiResult, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewShareGrant {
    user: String,
    role: String,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    adopt: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareRevocation {
    user: String,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    adopt: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareForgetting {
    user: String,
    #[serde(default)]
    adopt: bool,
}

pub(super) async fn show(State(s): State<Arc<AppState>>, Path(bucket): Path<String>) -> ApiResult {
    ok(s.keeper.share_show(&bucket).await?)
}

pub(super) async fn grant(
    State(s): State<Arc<AppState>>,
    Path(bucket): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let g: NewShareGrant = body(&bytes)?;
    let role = g.role.parse()?;
    ok(s.keeper
        .share_grant(&bucket, &g.user, role, &g.prefix, g.adopt)
        .await?)
}

pub(super) async fn revoke(
    State(s): State<Arc<AppState>>,
    Path(bucket): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let r: ShareRevocation = body(&bytes)?;
    ok(s.keeper
        .share_revoke(&bucket, &r.user, r.prefix.as_deref(), r.adopt)
        .await?)
}

/// Lifts a former member's Deny (Ceph dialect).
pub(super) async fn forget(
    State(s): State<Arc<AppState>>,
    Path(bucket): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let f: ShareForgetting = body(&bytes)?;
    ok(s.keeper.share_forget(&bucket, &f.user, f.adopt).await?)
}

pub(super) async fn import(
    State(s): State<Arc<AppState>>,
    Path(bucket): Path<String>,
) -> ApiResult {
    ok(s.keeper.share_import(&bucket).await?)
}

pub(super) async fn report(
    State(s): State<Arc<AppState>>,
    Path(bucket): Path<String>,
) -> ApiResult {
    ok(s.keeper.share_report(&bucket).await?)
}
