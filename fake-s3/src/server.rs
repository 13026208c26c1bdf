//! The HTTP server. Handler order is written out once, in [`handle`]: read the body → parse the
//! host and path → authenticate → inject faults → resolve the operation → authorize and run it
//! (inside the S3 handlers) → respond, log and journal.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{self, RequestParts};
use crate::error::{Api, AwsError};
use crate::router::{self, HostForm, S3Op, Target};
use crate::s3::{self, Ctx, Resp};
use crate::state::{JournalEntry, State};
use crate::storage::AccessPoint;

/// Accepts connections until `shutdown` changes.
pub async fn serve(listener: TcpListener, state: Arc<State>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let mut conn_shutdown = shutdown.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, peer, req).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .max_buf_size(64 * 1024)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = conn_shutdown.changed() => conn.as_mut().graceful_shutdown(),
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

fn decode_query(raw: Option<&str>) -> Result<Vec<(String, String)>, AwsError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                crate::sigv4::percent_decode(s).ok_or_else(|| {
                    AwsError::invalid_argument(
                        "the query string is not valid percent-encoded UTF-8",
                    )
                })
            };
            Ok((dec(k)?, dec(v)?))
        })
        .collect()
}

fn finish(resp: Resp, request_id: &str) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            builder = builder.header(k.as_str(), v);
        }
    }
    builder = builder
        .header("x-amz-request-id", request_id)
        .header("x-amz-id-2", crate::error::host_id(request_id))
        .header("server", "fake-s3");
    let has_length = resp.headers.iter().any(|(k, _)| k == "content-length");
    let body = if has_length { Bytes::new() } else { resp.body };
    builder
        .body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn error_response(e: &AwsError, api: Api, request_id: &str, head: bool) -> Response<Full<Bytes>> {
    let body = if head {
        String::new()
    } else {
        e.to_xml(api, request_id)
    };
    let mut r = Resp {
        status: e.status,
        headers: vec![("content-type".into(), "application/xml".into())],
        body: Bytes::from(body),
    };
    if e.code == "SlowDown" {
        r.headers.push(("retry-after".into(), "1".into()));
    }
    r.headers.extend(e.headers.iter().cloned());
    finish(r, request_id)
}

/// Where an S3 request is addressed after host and path are read.
struct Addressed {
    target: Target,
    access_point: Option<AccessPoint>,
    host_bucket: Option<String>,
}

fn address(state: &State, host: &HostForm, raw_path: &str) -> Result<Addressed, AwsError> {
    let lookup_ap = |name: &str, account: &str| {
        state
            .storage()
            .access_points
            .get(&(account.to_owned(), name.to_owned()))
            .cloned()
    };
    let (ap, host_bucket) = match host {
        HostForm::AccessPoint { name, account } => {
            let ap = lookup_ap(name, account).ok_or_else(|| {
                AwsError::no_such_access_point("The specified accesspoint does not exist")
                    .with_resource(name.as_str())
            })?;
            (Some(ap), None)
        }
        HostForm::Prefixed(label) => match router::split_access_point_label(label) {
            Some((n, a)) => match lookup_ap(n, a) {
                Some(ap) => (Some(ap), None),
                // `NAME-ACCOUNT` for a known account, and no such bucket either: the caller meant
                // an access point that does not exist.
                None if !state.storage().buckets.contains_key(label.as_str())
                    && state.iam().accounts.contains_key(a) =>
                {
                    return Err(AwsError::no_such_access_point(
                        "The specified accesspoint does not exist",
                    )
                    .with_resource(n));
                }
                None => (None, Some(label.clone())),
            },
            None => (None, Some(label.clone())),
        },
        HostForm::Plain | HostForm::Control { .. } => (None, None),
    };
    if let Some(ap) = ap {
        let target = router::parse_path(raw_path, Some(&ap.bucket))?;
        return Ok(Addressed {
            target,
            access_point: Some(ap),
            host_bucket: None,
        });
    }
    let target = router::parse_path(raw_path, host_bucket.as_deref())?;
    // An access point alias used as a bucket name.
    let alias_ap = match &target {
        Target::Bucket(b) | Target::Object(b, _) if b.ends_with("-s3alias") => {
            state.storage().access_point_by_alias(b).cloned()
        }
        _ => None,
    };
    if let Some(ap) = alias_ap {
        let target = match target {
            Target::Bucket(_) => Target::Bucket(ap.bucket.clone()),
            Target::Object(_, k) => Target::Object(ap.bucket.clone(), k),
            Target::Root => Target::Root,
        };
        return Ok(Addressed {
            target,
            access_point: Some(ap),
            host_bucket,
        });
    }
    Ok(Addressed {
        target,
        access_point: None,
        host_bucket,
    })
}

/// Handles one request; never panics on input and always answers.
pub async fn handle(
    state: &State,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if let Some(rest) = req.uri().path().strip_prefix("/_fake/") {
        // S3 bucket names cannot start with `_`, so no path-style S3 request is addressed here;
        // on a bucket's or access point's own host the same path is an object key.
        let host = req
            .headers()
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if matches!(router::classify_host(host), HostForm::Plain) {
            return crate::admin::handle(state, req.method(), rest, req.uri().query());
        }
    }
    let request_id = state.next_request_id();
    let received = state.now();
    let (parts, body) = req.into_parts();
    let head = parts.method == http::Method::HEAD;
    let raw_path = parts.uri.path().to_owned();
    let api = if raw_path.starts_with("/v20180820/") {
        Api::Control
    } else if raw_path == "/"
        && parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
    {
        Api::Sts
    } else {
        Api::S3
    };
    let limit = crate::body::limit_for(&parts, state.limits.max_body_bytes);
    let body = match crate::body::read(&parts, body, limit).await {
        Ok(b) => b,
        Err(e) => return error_response(&e, api, &request_id, head),
    };
    let (result, operation, principal, decision, explanation) =
        dispatch(state, peer, &parts, body, &raw_path, &request_id).await;
    let status = match &result {
        Ok(r) => r.status.as_u16(),
        Err(e) => e.status.as_u16(),
    };
    // A denied request's line says why: the deciding policy and statement, or the check that
    // lacked an Allow (GET /_fake/journal has the same text).
    let decided = decision.as_deref().unwrap_or("-");
    if decided == "ExplicitDeny" || decided == "ImplicitDeny" {
        tracing::info!(
            request_id = %request_id,
            operation = %operation,
            principal = %principal,
            decision = %decided,
            status,
            why = %explanation,
            "{} {}",
            parts.method,
            parts.uri.path()
        );
    } else {
        tracing::info!(
            request_id = %request_id,
            operation = %operation,
            principal = %principal,
            decision = %decided,
            status,
            "{} {}",
            parts.method,
            parts.uri.path()
        );
    }
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    state.record(JournalEntry {
        request_id: request_id.clone(),
        time: received
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        host,
        operation,
        principal,
        decision,
        explanation,
        status,
    });
    let mut response = match result {
        Ok(resp) => finish(resp, &request_id),
        Err(e) => error_response(&e, api, &request_id, head),
    };
    if api == Api::S3 && parts.method != http::Method::OPTIONS {
        for (k, v) in cors_headers(state, &parts, &raw_path) {
            if let (Ok(k), Ok(v)) = (
                http::HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                response.headers_mut().insert(k, v);
            }
        }
    }
    response
}

/// The CORS headers a request with an `Origin` earns from its bucket's rules (none without one).
fn cors_headers(
    state: &State,
    parts: &http::request::Parts,
    raw_path: &str,
) -> Vec<(String, String)> {
    if !parts.headers.contains_key("origin") {
        return Vec::new();
    }
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    match address(state, &router::classify_host(host), raw_path).map(|a| a.target) {
        Ok(Target::Bucket(b) | Target::Object(b, _)) => {
            s3::cors_headers(state, &b, &parts.method, &parts.headers)
        }
        _ => Vec::new(),
    }
}

type Dispatched = (
    Result<Resp, AwsError>,
    String,
    String,
    Option<String>,
    String,
);

async fn dispatch(
    state: &State,
    peer: SocketAddr,
    parts: &http::request::Parts,
    body: Bytes,
    raw_path: &str,
    request_id: &str,
) -> Dispatched {
    let fail = |e: AwsError, op: &str| (Err(e), op.to_owned(), String::new(), None, String::new());
    let query = match decode_query(parts.uri.query()) {
        Ok(q) => q,
        Err(e) => return fail(e, "-"),
    };
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let host_form = router::classify_host(&host);
    if raw_path.starts_with("/v20180820/") {
        return control(state, peer, parts, body, raw_path, &query, &host_form).await;
    }
    let is_form = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let sts_call = raw_path == "/"
        && !matches!(
            host_form,
            HostForm::Prefixed(_) | HostForm::AccessPoint { .. }
        )
        && ((parts.method == http::Method::POST && is_form)
            || query.iter().any(|(k, _)| k == "Action"));
    if sts_call {
        return sts(state, peer, parts, body, raw_path, &query, request_id).await;
    }
    let addressed = match address(state, &host_form, raw_path) {
        Ok(a) => a,
        Err(e) => return fail(e, "-"),
    };
    // Browsers never sign a CORS preflight; the bucket's CORS rules alone answer it.
    if parts.method == http::Method::OPTIONS {
        let result = match &addressed.target {
            Target::Bucket(b) | Target::Object(b, _) => s3::preflight(state, b, &parts.headers),
            Target::Root => Err(AwsError::method_not_allowed(
                "The specified method is not allowed against this resource.",
            )),
        };
        return (
            result,
            "PreflightRequest".into(),
            "anonymous".into(),
            None,
            String::new(),
        );
    }
    let rparts = RequestParts {
        method: &parts.method,
        raw_path,
        query: &query,
        headers: &parts.headers,
        host_bucket: addressed.host_bucket.as_deref(),
    };
    let now = state.now();
    let authenticated = auth::authenticate(&rparts, body, state, now, &state.region, "s3");
    let authenticated = match authenticated {
        Ok(a) => a,
        Err(e) => return fail(e, "-"),
    };
    let principal = if authenticated.caller.principal.is_anonymous() {
        "anonymous".to_owned()
    } else {
        authenticated.caller.principal.arn.clone()
    };
    if addressed.access_point.is_some() && authenticated.caller.principal.is_anonymous() {
        {
            let e = AwsError::access_denied("Access points do not accept anonymous requests");
            return (
                Err(e),
                "-".into(),
                principal,
                Some("ImplicitDeny".into()),
                "access points refuse anonymous requests".into(),
            );
        }
    }
    let query_keys: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    let form_upload = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let op = match S3Op::resolve(
        &parts.method,
        &addressed.target,
        &query_keys,
        parts.headers.contains_key("x-amz-copy-source"),
        form_upload,
    ) {
        Ok(op) => op,
        Err(e) => return (Err(e), "-".into(), principal, None, String::new()),
    };
    if let Some(e) = inject_faults(state, op.name()).await {
        return (
            Err(e),
            op.name().into(),
            principal,
            None,
            "injected fault".into(),
        );
    }
    let (bucket, key) = match &addressed.target {
        Target::Root => (None, None),
        Target::Bucket(b) => (Some(b.as_str()), None),
        Target::Object(b, k) => (Some(b.as_str()), Some(k.as_str())),
    };
    let body = authenticated.body.clone();
    let mut ctx = Ctx {
        state,
        auth: &authenticated,
        op,
        bucket,
        key,
        access_point: addressed.access_point.as_ref(),
        query: &query,
        headers: &parts.headers,
        facts: crate::authz::RequestFacts {
            source_ip: Some(peer.ip().to_string()),
            keys: Vec::new(),
            dynamic: Vec::new(),
        },
        verdict: None,
    };
    let result = s3::handle(&mut ctx, &body);
    let (decision, explanation) = s3::journal_decision(&ctx);
    let _ = StatusCode::OK;
    (
        result,
        op.name().into(),
        principal,
        decision.map(|d| d.to_string()),
        explanation,
    )
}

/// Applies the configured faults to one call of `operation`: waits the injected latency and
/// returns the injected error, if any. Every API (S3, S3 Control, STS) goes through it.
async fn inject_faults(state: &State, operation: &str) -> Option<AwsError> {
    let (delay, fault) = state.faults.check(operation);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    fault
}

fn principal_name(auth: &auth::Authenticated) -> String {
    if auth.caller.principal.is_anonymous() {
        "anonymous".to_owned()
    } else {
        auth.caller.principal.arn.clone()
    }
}

async fn control(
    state: &State,
    peer: SocketAddr,
    parts: &http::request::Parts,
    body: Bytes,
    raw_path: &str,
    query: &[(String, String)],
    host_form: &HostForm,
) -> Dispatched {
    let fail = |e: AwsError| {
        (
            Err(e),
            "S3Control".to_owned(),
            String::new(),
            None,
            String::new(),
        )
    };
    let Some(decoded) = crate::sigv4::percent_decode(raw_path) else {
        return fail(AwsError::invalid_argument(
            "the request path is not valid percent-encoded UTF-8",
        ));
    };
    let (op, name) = match crate::control::route(&parts.method, &decoded) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let header_account = parts
        .headers
        .get("x-amz-account-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let host_account = match host_form {
        HostForm::Control { account } => Some(account.clone()),
        HostForm::Prefixed(p) if policy_eval::arn::is_account_id(p) => Some(p.clone()),
        _ => None,
    };
    let account = match (header_account, host_account) {
        (Some(h), Some(a)) if h != a => {
            return fail(AwsError::invalid_request(
                "x-amz-account-id does not match the account in the host name",
            ))
        }
        (Some(h), _) => h,
        (None, Some(a)) => a,
        (None, None) => {
            return fail(AwsError::invalid_request(
                "S3 Control requests need the x-amz-account-id header",
            ))
        }
    };
    let rparts = RequestParts {
        method: &parts.method,
        raw_path,
        query,
        headers: &parts.headers,
        host_bucket: None,
    };
    let authenticated = auth::authenticate(&rparts, body, state, state.now(), &state.region, "s3");
    let authenticated = match authenticated {
        Ok(a) => a,
        Err(e) => return (Err(e), op.name().into(), String::new(), None, String::new()),
    };
    let principal = principal_name(&authenticated);
    if authenticated.caller.principal.is_anonymous() {
        return (
            Err(AwsError::access_denied("Access Denied")),
            op.name().into(),
            principal,
            Some("ImplicitDeny".into()),
            "S3 Control requests must be signed".into(),
        );
    }
    if let Some(e) = inject_faults(state, op.name()).await {
        return (
            Err(e),
            op.name().into(),
            principal,
            None,
            "injected fault".into(),
        );
    }
    let body = authenticated.body.clone();
    let mut ctx = crate::control::ControlCtx {
        state,
        auth: &authenticated,
        op,
        account,
        name,
        query,
        headers: &parts.headers,
        decision: None,
        facts: crate::authz::RequestFacts {
            source_ip: Some(peer.ip().to_string()),
            keys: Vec::new(),
            dynamic: Vec::new(),
        },
    };
    let result = crate::control::handle(&mut ctx, &body);
    let (decision, explanation) = match ctx.decision {
        Some((d, e)) => (Some(d.to_string()), e),
        None => (None, String::new()),
    };
    (result, op.name().into(), principal, decision, explanation)
}

async fn sts(
    state: &State,
    peer: SocketAddr,
    parts: &http::request::Parts,
    body: Bytes,
    raw_path: &str,
    query: &[(String, String)],
    request_id: &str,
) -> Dispatched {
    let rparts = RequestParts {
        method: &parts.method,
        raw_path,
        query,
        headers: &parts.headers,
        host_bucket: None,
    };
    let authenticated = auth::authenticate(&rparts, body, state, state.now(), &state.region, "sts");
    let authenticated = match authenticated {
        Ok(a) => a,
        Err(e) => return (Err(e), "STS".into(), String::new(), None, String::new()),
    };
    let principal = principal_name(&authenticated);
    let mut params = query.to_vec();
    match crate::sts::parse_form(&authenticated.body) {
        Ok(form) => params.extend(form),
        Err(e) => return (Err(e), "STS".into(), principal, None, String::new()),
    }
    let facts = crate::authz::RequestFacts {
        source_ip: Some(peer.ip().to_string()),
        keys: Vec::new(),
        dynamic: Vec::new(),
    };
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map_or("STS", |(_, v)| v.as_str())
        .to_owned();
    if let Some(e) = inject_faults(state, &action).await {
        return (Err(e), action, principal, None, "injected fault".into());
    }
    let (action, result, decision) =
        crate::sts::handle(state, &authenticated, &params, request_id, &facts);
    let (decision, explanation) = match decision {
        Some((d, e)) => (Some(d.to_string()), e),
        None => (None, String::new()),
    };
    (result, action, principal, decision, explanation)
}
