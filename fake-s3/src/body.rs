//! Request bodies: read once into one buffer sized from `Content-Length` (a large upload is never
//! held twice), under a limit chosen from the request line before any byte is read:
//!
//! - bucket and access point policies: 20 KB, whitespace excluded, as S3 counts them
//!   (`MalformedPolicy`, like a stored policy over the limit);
//! - every other XML or form document (CORS, tagging, ACL, versioning, ownership, public access
//!   block, multi-delete, complete-multipart, S3 Control, STS): 1 MiB (`MaxMessageLengthExceeded`,
//!   <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>);
//! - objects and parts: the configured `max_body_bytes` (`EntityTooLarge`).
//!
//! A declared `Content-Length` over the limit is refused before reading.

use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::error::AwsError;

/// The largest XML or form document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// What a body may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A policy: at most this many bytes that are not whitespace.
    Policy(usize),
    /// An XML or form document.
    Document(usize),
    /// Object data.
    Data(usize),
}

impl Limit {
    /// The limit where policies are documents like any other (Ceph RGW 16.2 sets no 20 KB limit).
    pub fn without_policy_limit(self) -> Limit {
        match self {
            Limit::Policy(_) => Limit::Document(MAX_DOCUMENT_BYTES),
            other => other,
        }
    }
}

/// The S3 query parameters that make a request's body an XML document.
const XML_SUBRESOURCES: [&str; 13] = [
    "cors",
    "tagging",
    "acl",
    "versioning",
    "ownershipControls",
    "publicAccessBlock",
    "lifecycle",
    "website",
    "logging",
    "notification",
    "replication",
    "encryption",
    "delete",
];

/// The limit for a request, from its method, path and (decoded) query names alone.
pub fn limit_for(parts: &Parts, query: &crate::query::Query, max_data: usize) -> Limit {
    let path = parts.uri.path();
    let (mut policy_param, mut xml_param, mut upload_id) = (false, false, false);
    for name in query.names() {
        // A presigned URL brings half a dozen of these.
        if name.starts_with("X-Amz-") {
            continue;
        }
        policy_param |= name == "policy";
        upload_id |= name == "uploadId";
        xml_param |= XML_SUBRESOURCES.contains(&name);
    }
    let policy = policy_eval::MAX_RESOURCE_POLICY_BYTES;
    if path.starts_with("/v20180820/") {
        return if path.ends_with("/policy") {
            Limit::Policy(policy)
        } else {
            Limit::Document(MAX_DOCUMENT_BYTES)
        };
    }
    if policy_param {
        Limit::Policy(policy)
    } else if xml_param
        || (parts.method == http::Method::POST && upload_id)
        || (path == "/" && crate::router::is_form(parts))
    {
        Limit::Document(MAX_DOCUMENT_BYTES)
    } else {
        Limit::Data(max_data)
    }
}

fn too_large(limit: Limit) -> AwsError {
    match limit {
        Limit::Policy(_) => AwsError::malformed_policy("Policies must be less than 20 KB"),
        Limit::Document(_) => AwsError::max_message_length_exceeded("Your request was too big."),
        Limit::Data(_) => {
            AwsError::entity_too_large("Your proposed upload exceeds the maximum allowed size")
        }
    }
}

/// Reads `body` under `limit`.
pub async fn read(parts: &Parts, body: Incoming, limit: Limit) -> Result<Bytes, AwsError> {
    let raw_cap = match limit {
        // A policy may carry much whitespace; its raw text is still a document.
        Limit::Policy(_) => MAX_DOCUMENT_BYTES,
        Limit::Document(n) | Limit::Data(n) => n,
    };
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared {
        if n > raw_cap as u64 {
            return Err(too_large(limit));
        }
    }
    let mut buf = BytesMut::with_capacity(
        declared.map_or(0, |n| usize::try_from(n).unwrap_or(0).min(raw_cap)),
    );
    let mut counted = 0usize;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| AwsError::incomplete_body("The request body ended early"))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > raw_cap {
            return Err(too_large(limit));
        }
        if let Limit::Policy(max) = limit {
            counted += data.iter().filter(|b| !b.is_ascii_whitespace()).count();
            if counted > max {
                return Err(too_large(limit));
            }
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str) -> Parts {
        let (p, ()) = http::Request::builder()
            .method(method)
            .uri(uri)
            .body(())
            .unwrap_or_else(|e| panic!("{e}"))
            .into_parts();
        p
    }

    fn limit_of(parts: &Parts, max: usize) -> Limit {
        let query = crate::query::Query::decode(parts.uri.query()).unwrap_or_default();
        limit_for(parts, &query, max)
    }

    #[test]
    fn limits_follow_the_operation() {
        let max = 5 << 30;
        assert_eq!(
            limit_of(&parts("PUT", "/b?policy"), max),
            Limit::Policy(20 * 1024)
        );
        assert_eq!(
            limit_of(&parts("PUT", "/v20180820/accesspoint/ap/policy"), max),
            Limit::Policy(20 * 1024)
        );
        for uri in [
            "/b?cors",
            "/b/k?tagging",
            "/b?delete",
            "/b/k?uploadId=x",
            "/b?acl",
        ] {
            let method = if uri.contains("delete") || uri.contains("uploadId") {
                "POST"
            } else {
                "PUT"
            };
            assert_eq!(
                limit_of(&parts(method, uri), max),
                Limit::Document(MAX_DOCUMENT_BYTES),
                "{uri}"
            );
        }
        assert_eq!(limit_of(&parts("PUT", "/b/k"), max), Limit::Data(max));
        assert_eq!(
            limit_of(&parts("PUT", "/b/k?partNumber=1&uploadId=x"), max),
            Limit::Data(max)
        );
    }
}
