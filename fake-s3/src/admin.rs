//! The fake's own test endpoints under the reserved path `/_fake/` (S3 bucket names cannot start
//! with `_`, so no S3 request is ever addressed there). They answer JSON, unauthenticated: the
//! fake is a test tool and listens on loopback by default.
//!
//! - `GET /_fake/health`: `{"status": "ok"}`, for harnesses waiting for start-up.
//! - `GET /_fake/journal`: every request since start (or the last clear), oldest first, with its
//!   operation, principal, authorization decision and the explanation (the deciding policy and
//!   statement, or the check that lacked an Allow); `?limit=N` keeps the last N.
//! - `DELETE /_fake/journal`: empties it.
//! - `GET /_fake/clock`: `{"time": RFC 3339 or null}` (null: the system clock).
//! - `PUT /_fake/clock?time=RFC3339`: fixes the clock used for signatures, expiry and
//!   `aws:CurrentTime`; `DELETE /_fake/clock` returns to the system clock.
//! - `GET /_fake/least-privilege?principal=ARN`: the identity policy allowing exactly what that
//!   principal's requests needed since the last reset ([`crate::least_privilege`]).
//! - `POST /_fake/reset`: back to how the server started (the configuration's identities and
//!   buckets, nothing else), journal empty, system clock: one server shared by a test suite is
//!   emptied between tests.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::state::State;

fn answer(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("server", "fake-s3")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn refuse(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    answer(status, &json!({"error": message}))
}

fn param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn clock(state: &State) -> serde_json::Value {
    let fixed = state.fixed_time().and_then(|t| t.format(&Rfc3339).ok());
    json!({ "time": fixed })
}

/// Answers one `/_fake/…` request; `rest` is the path after `/_fake/`.
pub fn handle(
    state: &State,
    method: &Method,
    rest: &str,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    match (method, rest.trim_end_matches('/')) {
        (&Method::GET, "health") => answer(StatusCode::OK, &json!({"status": "ok"})),
        (&Method::GET, "journal") => {
            let mut entries = state.journal();
            if let Some(limit) = param(query, "limit") {
                let Ok(n) = limit.parse::<usize>() else {
                    return refuse(StatusCode::BAD_REQUEST, "limit must be a whole number");
                };
                entries = entries.split_off(entries.len().saturating_sub(n));
            }
            answer(StatusCode::OK, &json!(entries))
        }
        (&Method::DELETE, "journal") => {
            state.clear_journal();
            answer(StatusCode::OK, &json!({"cleared": true}))
        }
        (&Method::GET, "clock") => answer(StatusCode::OK, &clock(state)),
        (&Method::PUT, "clock") => {
            let Some(raw) = param(query, "time") else {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "PUT /_fake/clock needs ?time=RFC3339",
                );
            };
            let text = crate::sigv4::percent_decode(raw).unwrap_or_default();
            match OffsetDateTime::parse(&text, &Rfc3339) {
                Ok(t) => {
                    state.set_time(Some(t));
                    answer(StatusCode::OK, &clock(state))
                }
                Err(e) => refuse(
                    StatusCode::BAD_REQUEST,
                    &format!("time `{text}` is not RFC 3339: {e}"),
                ),
            }
        }
        (&Method::GET, "least-privilege") => {
            let Some(raw) = param(query, "principal") else {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "GET /_fake/least-privilege needs ?principal=ARN",
                );
            };
            let Some(arn) = crate::sigv4::percent_decode(raw) else {
                return refuse(StatusCode::BAD_REQUEST, "the principal is not percent-encoded UTF-8");
            };
            answer(
                StatusCode::OK,
                &crate::least_privilege::policy(&state.observed(&arn)),
            )
        }
        (&Method::POST, "reset") => {
            state.reset();
            answer(StatusCode::OK, &json!({"status": "ok"}))
        }
        (&Method::DELETE, "clock") => {
            state.set_time(None);
            answer(StatusCode::OK, &clock(state))
        }
        (_, "health" | "journal" | "clock" | "reset" | "least-privilege") => {
            refuse(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here")
        }
        _ => refuse(
            StatusCode::NOT_FOUND,
            "unknown fake-s3 endpoint; see /_fake/health, /_fake/journal, /_fake/clock, /_fake/reset, /_fake/least-privilege",
        ),
    }
}
