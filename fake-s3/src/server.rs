//! The HTTP server: connections, the reserved `/_fake/` paths, reading the body within its
//! operation's limit, then [`crate::pipeline::run`] (address → authenticate → operation →
//! authorize and handle), then the response, its CORS headers, the log line and the journal.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::{Api, AwsError};
use crate::response::Resp;
use crate::router::{self, HostForm};
use crate::s3;
use crate::state::State;

/// How long a stopping server lets a connection finish the request it is in. Past it the
/// connection is closed: a client that never finishes sending its request (one byte of a head,
/// a stalled upload), or never reads its response, cannot hold the shutdown up.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Accepts connections until `shutdown` changes, then waits until every connection has closed
/// (each finishes the request it is in, within [`SHUTDOWN_GRACE`]). Connections are served on the
/// runtime that runs this, or, with `threads` > 0, on that many threads of their own, handed out
/// round-robin (see [`crate::FakeAws::connection_threads`]).
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
    threads: usize,
) {
    let mut connections = Connections::new(threads);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, say: retrying at once would spin a core.
                        tracing::warn!("cannot accept a connection: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                connections.serve(stream, peer, Arc::clone(&state), shutdown.clone());
            }
            Some(_) = connections.local.join_next(), if !connections.local.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    connections.close().await;
}

/// Where accepted connections are served.
struct Connections {
    /// Connections served on this runtime (when there are no connection threads).
    local: tokio::task::JoinSet<()>,
    threads: Vec<tokio::sync::mpsc::UnboundedSender<Handoff>>,
    /// One per thread, completed when the thread's connections have all closed.
    finished: Vec<tokio::sync::oneshot::Receiver<()>>,
    next: usize,
}

type Handoff = (
    std::net::TcpStream,
    SocketAddr,
    Arc<State>,
    watch::Receiver<bool>,
);

impl Connections {
    fn new(threads: usize) -> Self {
        let mut out = Connections {
            local: tokio::task::JoinSet::new(),
            threads: Vec::with_capacity(threads),
            finished: Vec::with_capacity(threads),
            next: 0,
        };
        for n in 0..threads {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let (finished, finished_rx) = tokio::sync::oneshot::channel();
            let spawned = std::thread::Builder::new()
                .name(format!("fake-s3-conn-{n}"))
                .spawn(move || connection_thread(rx, finished));
            match spawned {
                Ok(_) => {
                    out.threads.push(tx);
                    out.finished.push(finished_rx);
                }
                // The connections go to the threads that did start, or to this runtime.
                Err(e) => tracing::error!("cannot start connection thread {n}: {e}"),
            }
        }
        out
    }

    fn serve(
        &mut self,
        stream: tokio::net::TcpStream,
        peer: SocketAddr,
        state: Arc<State>,
        shutdown: watch::Receiver<bool>,
    ) {
        if self.threads.is_empty() {
            self.local.spawn(connection(stream, peer, state, shutdown));
            return;
        }
        // Deregistered from this runtime's reactor, to be registered with the thread's.
        let Ok(std_stream) = stream.into_std() else {
            tracing::warn!("cannot hand connection from {peer} to a connection thread");
            return;
        };
        let mut handoff = (std_stream, peer, state, shutdown);
        while !self.threads.is_empty() {
            let at = self.next % self.threads.len();
            self.next = self.next.wrapping_add(1);
            match self.threads[at].send(handoff) {
                Ok(()) => return,
                // That thread has stopped (its runtime could not start): out of the rotation,
                // and the connection goes to the next one.
                Err(tokio::sync::mpsc::error::SendError(back)) => {
                    tracing::error!("connection thread {at} has stopped; serving on the others");
                    self.threads.remove(at);
                    handoff = back;
                }
            }
        }
        // No thread left: served here.
        let (std_stream, peer, state, shutdown) = handoff;
        match tokio::net::TcpStream::from_std(std_stream) {
            Ok(stream) => self.serve(stream, peer, state, shutdown),
            Err(e) => tracing::warn!("cannot serve connection from {peer}: {e}"),
        }
    }

    async fn close(mut self) {
        self.threads.clear();
        for finished in self.finished {
            let _ = finished.await;
        }
        while self.local.join_next().await.is_some() {}
    }
}

/// One connection thread: a single-threaded runtime, so a connection's requests never change
/// threads and no request wakes another thread. Returns once no more connections will come and
/// every one it was given has closed.
fn connection_thread(
    mut handed: tokio::sync::mpsc::UnboundedReceiver<Handoff>,
    finished: tokio::sync::oneshot::Sender<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            // Returning drops `handed`: any connection already waiting here is closed, and the
            // sender hands later ones to another thread.
            tracing::error!("cannot start a connection thread's runtime: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let mut open = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                received = handed.recv() => {
                    let Some((stream, peer, state, shutdown)) = received else { break };
                    if let Ok(stream) = tokio::net::TcpStream::from_std(stream) {
                        open.spawn(connection(stream, peer, state, shutdown));
                    }
                }
                Some(_) = open.join_next(), if !open.is_empty() => {}
            }
        }
        while open.join_next().await.is_some() {}
    });
    let _ = finished.send(());
}

/// Serves one connection's requests until it closes or the server stops.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
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
        _ = conn.as_mut() => return,
        _ = shutdown.changed() => conn.as_mut().graceful_shutdown(),
    }
    // Graceful: the request in flight is answered, then the connection closes; past the grace,
    // it is dropped (closed) as it stands.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
}

fn finish(resp: Resp, request_id: &str) -> Response<Full<Bytes>> {
    let has_length = resp.headers.iter().any(|(k, _)| k == "content-length");
    let body = if has_length { Bytes::new() } else { resp.body };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = resp.status;
    let headers = response.headers_mut();
    headers.reserve(resp.headers.len() + 3);
    for (k, v) in resp.headers {
        // Names and values come from handlers; one that is not visible ASCII is left out rather
        // than failing the response (`HeaderValue::from_str`'s rule, without its copy).
        let visible = v.bytes().all(|b| (32..127).contains(&b) || b == b'\t');
        if let (true, Ok(k), Ok(v)) = (
            visible,
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::try_from(v),
        ) {
            headers.append(k, v);
        }
    }
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(X_AMZ_REQUEST_ID, id);
    }
    if let Ok(id2) = HeaderValue::try_from(crate::error::host_id(request_id)) {
        headers.insert(X_AMZ_ID_2, id2);
    }
    headers.insert(http::header::SERVER, HeaderValue::from_static("fake-s3"));
    response
}

const X_AMZ_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-amz-request-id");
const X_AMZ_ID_2: http::HeaderName = http::HeaderName::from_static("x-amz-id-2");

fn error_response(
    e: &AwsError,
    api: Api,
    request_id: &str,
    head: bool,
    rgw: Option<crate::xml::RgwError<'_>>,
) -> Response<Full<Bytes>> {
    let body = if head {
        String::new()
    } else {
        crate::xml::error_body(e, api, request_id, rgw)
    };
    let mut r = Resp {
        status: e.status,
        headers: vec![("content-type".into(), "application/xml".into())],
        body: Bytes::from(body),
    };
    if e.code == "SlowDown" {
        r.headers.push(("retry-after".into(), "1".into()));
    }
    r.headers
        .extend(e.headers.iter().map(|(k, v)| (k.clone().into(), v.clone())));
    finish(r, request_id)
}

/// S3 errors in the Ceph dialect take RGW's shape, naming `bucket` (its store key) if given.
fn rgw(ceph: bool, api: Api, bucket: Option<&str>) -> Option<crate::xml::RgwError<'_>> {
    (ceph && api == Api::S3).then_some(crate::xml::RgwError {
        bucket: bucket.map(|b| crate::tenant::split(b).1),
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
    // Decoded once: the body's limit, the API and the pipeline all read it.
    let query = crate::query::Query::decode(parts.uri.query());
    let empty = crate::query::Query::default();
    let names = query.as_ref().unwrap_or(&empty);
    let api = if raw_path.starts_with("/v20180820/") {
        Api::Control
    } else if raw_path == "/" && crate::router::is_form(&parts) {
        if crate::router::scope_part(&parts, names, 3) == Some("iam") {
            Api::Iam
        } else {
            Api::Sts
        }
    } else {
        Api::S3
    };
    let ceph = state.ceph();
    let mut limit = crate::body::limit_for(&parts, names, state.limits.max_body_bytes);
    if ceph {
        limit = limit.without_policy_limit();
    }
    let body = match crate::body::read(&parts, body, limit).await {
        Ok(b) => b,
        Err(e) => return error_response(&e, api, &request_id, head, rgw(ceph, api, None)),
    };
    let crate::pipeline::Outcome {
        result,
        operation,
        principal,
        decision,
        explanation,
        bucket,
        authenticated,
        ledger,
    } = crate::pipeline::run(state, peer, &parts, query, body, &raw_path, &request_id).await;
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
    state.record(&crate::journal::Record {
        request_id: &request_id,
        time: received,
        method: parts.method.as_str(),
        path: parts.uri.path(),
        host: crate::router::host_of(&parts),
        operation: &operation,
        principal: &principal,
        decision: decision.as_deref(),
        explanation: &explanation,
        status,
        // Soft only when the request was served: a later check that is not policy may still refuse.
        enforcement: (ledger.soft && status < 400).then_some("soft"),
        authorized: &ledger.needs,
    });
    let mut response = match result {
        Ok(resp) => finish(resp, &request_id),
        Err(e) => {
            let named = bucket.as_deref().filter(|_| authenticated);
            error_response(&e, api, &request_id, head, rgw(ceph, api, named))
        }
    };
    // A request with an `Origin` earns its bucket's CORS headers, on errors too.
    let cors = match &bucket {
        Some(b)
            if api == Api::S3
                && parts.method != http::Method::OPTIONS
                && parts.headers.contains_key(http::header::ORIGIN) =>
        {
            s3::cors_headers(state, b, &parts.method, &parts.headers)
        }
        _ => Vec::new(),
    };
    {
        for (k, v) in cors {
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
