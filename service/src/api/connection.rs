//! Keep-alive kept honest: a response to a request whose body the API never read to its end (a
//! refusal decided on the headers alone, say) says `connection: close`. When the unread rest of
//! the body has not all arrived, hyper closes the connection after the response, since that rest
//! stands between it and the next request; without the header the client reuses the connection,
//! meets the close, and its next request fails (RFC 9112 §9.6: a server that closes says so).
//! When the rest had arrived, hyper would have kept the connection: closing it then costs the
//! client a reconnect, a deliberate trade for never leaving it to guess.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{header, HeaderValue};
use axum::response::Response;

/// The middleware: wraps the request's body to learn whether it was read to its end.
pub(super) async fn close_if_body_unread(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return next
            .run(axum::extract::Request::from_parts(parts, body))
            .await;
    }
    let ended = Arc::new(AtomicBool::new(false));
    let tracked = Body::new(Tracked {
        inner: body,
        ended: Arc::clone(&ended),
    });
    let mut response = next
        .run(axum::extract::Request::from_parts(parts, tracked))
        .await;
    if !ended.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request body that notes when its last frame has been read.
struct Tracked {
    inner: Body,
    ended: Arc<AtomicBool>,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.ended.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
