//! The answer every API (S3, S3 Control, STS) gives before it becomes HTTP: status, headers and
//! body. The server ([`crate::server`]) adds the request id, CORS headers and the journal entry.

use std::borrow::Cow;

use bytes::Bytes;
use http::StatusCode;

/// A response before it becomes HTTP.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    /// Names are mostly literals, kept without a copy.
    pub headers: Vec<(Cow<'static, str>, String)>,
    pub body: Bytes,
}

impl Resp {
    /// 200 with no body.
    pub fn ok() -> Self {
        Resp {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// 200 with an XML document (the declaration is added).
    pub fn xml(body: String) -> Self {
        Resp {
            status: StatusCode::OK,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: Bytes::from(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"
            )),
        }
    }

    pub fn status(mut self, s: StatusCode) -> Self {
        self.status = s;
        self
    }

    pub fn header(mut self, k: impl Into<Cow<'static, str>>, v: impl Into<String>) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}
