//! The service's own endpoints: `/health`, `/metrics`, `/openapi.json`, `/reconcile` and `/audit`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{ok, ApiError, ApiResult, AppState, OPENAPI};
use crate::error::KeeperError;
use crate::keeper::AuditFilter;

/// How long an AWS health answer is reused.
const AWS_HEALTH_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether the database and AWS answer (STS `GetCallerIdentity`, which needs no permission,
/// its answer reused for 10 s), each within a few seconds: 200 when both do, 503 otherwise.
pub(super) async fn health(State(s): State<Arc<AppState>>) -> Response {
    let limit = std::time::Duration::from_secs(3);
    let database =
        match tokio::time::timeout(limit, sqlx::query("SELECT 1").execute(&s.keeper.db.pool)).await
        {
            Ok(Ok(_)) => "ok".to_owned(),
            Ok(Err(e)) => format!("database error: {e}"),
            Err(_) => "no answer within 3 s".to_owned(),
        };
    let cached = s
        .aws_health
        .lock()
        .ok()
        .and_then(|c| c.clone())
        .filter(|(at, _)| at.elapsed() < AWS_HEALTH_TTL)
        .map(|(_, answer)| answer);
    let aws = match cached {
        Some(answer) => answer,
        None => {
            let answer = match tokio::time::timeout(limit, s.keeper.aws.caller_account()).await {
                Ok(Ok(_)) => "ok".to_owned(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "no answer within 3 s".to_owned(),
            };
            if let Ok(mut c) = s.aws_health.lock() {
                *c = Some((std::time::Instant::now(), answer.clone()));
            }
            answer
        }
    };
    if database == "ok" && aws == "ok" {
        return Json(json!({"status": "ok", "database": "ok", "aws": "ok"})).into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(
            json!({"error": "Unavailable", "message": format!("database: {database}; aws: {aws}")}),
        ),
    )
        .into_response()
}

pub(super) async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    match s.keeper.upload_capacity().await {
        Ok(c) => s
            .keeper
            .aws
            .metrics
            .upload_sessions(c.live_sessions, c.capacity),
        Err(e) => tracing::warn!(error = %e, "reading the upload capacity failed"),
    }
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.keeper.aws.metrics.render(),
    )
        .into_response()
}

pub(super) async fn openapi() -> Response {
    ([("content-type", "application/json")], OPENAPI).into_response()
}

pub(super) async fn reconcile(State(s): State<Arc<AppState>>) -> ApiResult {
    ok(s.keeper.reconcile().await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    person: Option<String>,
    dataset: Option<String>,
    action: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

pub(super) async fn audit(
    State(s): State<Arc<AppState>>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(q) = query.map_err(|e| ApiError(KeeperError::Invalid(e.body_text())))?;
    let filter = AuditFilter {
        person: q.person,
        dataset: q.dataset,
        action: q.action,
        after: q.after,
        limit: q.limit,
    };
    ok(s.keeper.audit(&filter).await?)
}
