//! The HTTP JSON API over [`Keeper`], described by `openapi.json` (served at `/openapi.json`).
//! Every error is JSON `{"error": CODE, "message": TEXT}` with a 4xx status for bad input; request
//! bodies are parsed here rather than by axum's extractor so that malformed JSON and unknown
//! fields get the same shape of answer as every other mistake.
//!
//! This module holds the router, [`ApiError`], the body parser and the middleware (the bearer
//! token, the request count, axum's own refusals as JSON); one file per concern holds its
//! handlers: `people` (verification), `datasets` (datasets and grants), `uploads`, `shares`, and
//! `ops` (health, metrics, the OpenAPI document, reconcile, audit).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::KeeperError;
use crate::keeper::{Client, Keeper};

mod connection;
mod datasets;
mod ops;
mod people;
mod shares;
mod uploads;

/// The OpenAPI 3.1 description of this API.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// Who is calling: the operator (the admin token, or anyone when no token is configured) or an
/// API client (its own token; upload tickets only).
#[derive(Debug, Clone)]
enum Caller {
    Admin,
    Client(Client),
}

#[derive(Debug)]
struct AppState {
    keeper: Keeper,
    token: Option<String>,
    /// The last AWS probe's answer and when it was made: probes every few seconds from a load
    /// balancer must not become as many STS calls.
    aws_health: std::sync::Mutex<Option<(std::time::Instant, String)>>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError(KeeperError);

impl From<KeeperError> for ApiError {
    fn from(e: KeeperError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
        }
        (
            status,
            Json(json!({"error": self.0.code(), "message": self.0.to_string()})),
        )
            .into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok<T: serde::Serialize>(value: T) -> ApiResult {
    Ok(Json(value).into_response())
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let invalid = |m: String| ApiError(KeeperError::Invalid(format!("request body: {m}")));
    // serde would also read a JSON array as the fields in order; only objects are documented.
    // (Parsing to a `Value` first would instead lose duplicate keys silently.)
    if !bytes.trim_ascii_start().starts_with(b"{") {
        return Err(invalid("must be a JSON object".to_owned()));
    }
    serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))
}

/// The router. With `token`, every request but `/health` and `/openapi.json` must carry
/// `Authorization: Bearer TOKEN`.
pub fn router(keeper: Keeper, token: Option<String>) -> Router {
    let state = Arc::new(AppState {
        keeper,
        token,
        aws_health: std::sync::Mutex::new(None),
    });
    Router::new()
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .route("/people", post(people::add_person))
        .route("/people/{email}", get(people::get_person))
        .route("/people/{email}/verification", post(people::start_verification))
        .route(
            "/people/{email}/verification/url",
            post(people::complete_verification),
        )
        .route(
            "/people/{email}/identity",
            axum::routing::delete(people::remove_identity),
        )
        .route("/datasets", post(datasets::register_dataset).get(datasets::list_datasets))
        .route("/datasets/{slug}/{version}", get(datasets::get_dataset))
        .route("/datasets/{slug}/{version}/upload", post(datasets::upload))
        .route(
            "/datasets/{slug}/{version}/agreements",
            post(datasets::sign_agreement),
        )
        .route("/datasets/{slug}/{version}/grants", post(datasets::grant))
        .route(
            "/datasets/{slug}/{version}/grants/{email}",
            get(datasets::access).delete(datasets::revoke),
        )
        .route("/uploads", post(uploads::start).get(uploads::list))
        .route("/uploads/{id}", get(uploads::show))
        .route("/uploads/{id}/finish", post(uploads::finish))
        .route("/uploads/{id}/cancel", post(uploads::cancel))
        .route("/shares/{bucket}", get(shares::show))
        .route("/shares/{bucket}/grants", post(shares::grant))
        .route("/shares/{bucket}/revoke", post(shares::revoke))
        .route("/shares/{bucket}/forget", post(shares::forget))
        .route("/shares/{bucket}/import", post(shares::import))
        .route("/shares/{bucket}/report", get(shares::report))
        .route("/reconcile", post(ops::reconcile))
        .route("/audit", get(ops::audit))
        .fallback(|| async {
            ApiError(KeeperError::NotFound(
                "no such endpoint; see /openapi.json".to_owned(),
            ))
        })
        .method_not_allowed_fallback(|| async {
            (
                StatusCode::METHOD_NOT_ALLOWED,
                Json(json!({"error": "MethodNotAllowed", "message": "this endpoint does not take that method; see /openapi.json"})),
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), count))
        .layer(axum::middleware::from_fn(json_rejections))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(connection::close_if_body_unread))
        .with_state(state)
}

/// The largest request body: a `put` ticket's 1,000 keys of up to 1,024 bytes fit.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Answers axum's own refusals (an oversized body, a missing content type) in the API's JSON
/// shape, like every other error.
async fn json_rejections(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !plain {
        return response;
    }
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_owned(),
        Err(_) => String::new(),
    };
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "PayloadTooLarge",
            format!("request body over {MAX_BODY_BYTES} bytes"),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("UnsupportedMediaType", text),
        _ => ("Invalid", text),
    };
    (status, Json(json!({"error": code, "message": message}))).into_response()
}

async fn authorize(
    State(state): State<Arc<AppState>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let open = path == "/health" || path == "/openapi.json";
    let given = bearer(request.headers()).map(str::to_owned);
    let admin = match (&state.token, &given) {
        (None, _) => true,
        (Some(token), Some(given)) => same(given, token),
        (Some(_), None) => false,
    };
    let caller = if admin {
        Caller::Admin
    } else {
        // A client's token opens upload tickets and nothing else.
        let client = match &given {
            Some(t) if path == "/uploads" || path.starts_with("/uploads/") => {
                match state.keeper.client_for_token(t).await {
                    Ok(c) => c,
                    Err(e) => return ApiError(e).into_response(),
                }
            }
            _ => None,
        };
        match client {
            Some(c) => Caller::Client(c),
            None if open => Caller::Admin,
            None => {
                return (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"error": "Unauthorized", "message": "send `Authorization: Bearer TOKEN` with the API token (a client's token opens upload tickets only)"})),
                )
                    .into_response();
            }
        }
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The bearer token, if the request has one (the scheme name is case-insensitive, RFC 9110
/// §11.1).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(rest)
        })
}

/// Compares in time independent of where the strings differ.
fn same(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Counts each request by its route template (not its path, so that people and datasets do not
/// become label values).
async fn count(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // Methods outside HTTP's own set would make a label per caller's whim.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let response = next.run(request).await;
    state
        .keeper
        .aws
        .metrics
        .http_request(&route, &method, response.status().as_u16());
    response
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
