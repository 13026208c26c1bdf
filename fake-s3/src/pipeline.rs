//! The request pipeline every S3, S3 Control and STS request goes through, in this order and only
//! here: **address** (host and path → which API, bucket, access point or account; no credentials
//! looked at) → **authenticate** once (SigV4, SigV2, presigned, anonymous) → **operation** (the
//! [`Operation`] and its declared [`Authorization`], from [`crate::operation`]) → injected
//! faults → **prepare** (the API's [`Handler`] reads and checks what the request says and sets
//! its condition keys) → **authorize** once, in [`serve`], with the action the operation declares
//! on what the request addresses ([`crate::authz`] and `policy-eval`) → **handle**. Handlers add
//! only the checks that are theirs alone (a copy's source, each key of DeleteObjects, tags or
//! ownership set with a write, a browser form's signer).
//!
//! Addressing follows S3's rules for virtual-hosted, path-style, access point and alias requests
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-naming.html>).

use std::net::SocketAddr;

use bytes::Bytes;

use crate::auth::{self, Authenticated, RequestParts};
use crate::authz::RequestFacts;
use crate::enforcement::Ledger;
use crate::error::AwsError;
use crate::operation::{self, Authorization, Handler, Operation};
use crate::response::Resp;
use crate::router::{self, Addressed, Route, S3Op, Target};
use crate::s3::{self, Ctx};
use crate::state::State;

/// Built once: `HeaderMap::contains_key(&str)` would parse the name on every request.
const COPY_SOURCE: http::HeaderName = http::HeaderName::from_static("x-amz-copy-source");

/// What the pipeline made of one request, for the response, the log line and the journal.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<Resp, AwsError>,
    /// The operation's name, or `-` when the request never got that far.
    pub operation: String,
    pub principal: String,
    pub decision: Option<String>,
    pub explanation: String,
    /// The bucket the request addressed, when it got that far.
    pub bucket: Option<String>,
    /// Whether the request was authenticated (as a caller or as anonymous).
    pub authenticated: bool,
    /// What it was authorized for, and whether soft enforcement waived a refusal.
    pub ledger: Ledger,
}

impl Outcome {
    fn failed(e: AwsError, operation: &str) -> Self {
        Outcome {
            result: Err(e),
            operation: operation.to_owned(),
            principal: String::new(),
            decision: None,
            explanation: String::new(),
            bucket: None,
            authenticated: false,
            ledger: Ledger::default(),
        }
    }
}

/// Step 3: the operation, from the route and the authenticated request (STS names its action in
/// the signed form body, so this comes after authentication).
fn resolve(
    route: &Route,
    parts: &http::request::Parts,
    query: &crate::query::Query,
    sts_params: &[(String, String)],
) -> Result<Operation, AwsError> {
    match route {
        Route::S3(addressed) => {
            let query_keys: Vec<&str> = query.names().collect();
            let form_upload = router::header(parts, "content-type")
                .is_some_and(|ct| ct.starts_with("multipart/form-data"));
            S3Op::resolve(
                &parts.method,
                &addressed.target,
                &query_keys,
                parts.headers.contains_key(COPY_SOURCE),
                form_upload,
            )
            .map(Operation::S3)
        }
        Route::Control { op, .. } => Ok(Operation::Control(*op)),
        Route::Sts | Route::Iam => {
            let action = sts_params
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            Ok(if matches!(route, Route::Iam) {
                Operation::Iam(action)
            } else {
                Operation::Sts(action)
            })
        }
    }
}

/// What STS and IAM answer a request without a signature.
const UNSIGNED_QUERY: &str =
    "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.";

/// Anonymous requests that S3 refuses whatever the policies say: through an access point, to S3
/// Control, to STS (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html>).
fn anonymous_refusal(route: &Route) -> Option<(AwsError, &'static str)> {
    match route {
        Route::S3(a) if a.access_point.is_some() => Some((
            AwsError::access_denied("Access points do not accept anonymous requests"),
            "access points refuse anonymous requests",
        )),
        Route::S3(_) => None,
        Route::Control { .. } => Some((
            AwsError::access_denied("Access Denied"),
            "S3 Control requests must be signed",
        )),
        // The Query APIs' common error for an unsigned request (IAM API Reference, Common Errors).
        Route::Sts => Some((
            AwsError::missing_authentication_token(UNSIGNED_QUERY),
            "STS requests must be signed",
        )),
        Route::Iam => Some((
            AwsError::missing_authentication_token(UNSIGNED_QUERY),
            "IAM requests must be signed",
        )),
    }
}

/// Runs one request (its body already read) through the pipeline.
pub async fn run(
    state: &State,
    peer: SocketAddr,
    parts: &http::request::Parts,
    query: Result<crate::query::Query, AwsError>,
    body: Bytes,
    raw_path: &str,
    request_id: &str,
) -> Outcome {
    // 1. Address (the query string already decoded, by [`router::decode_query`]).
    let query = match query {
        Ok(q) => q,
        Err(e) => return Outcome::failed(e, "-"),
    };
    let route = match router::route(state, parts, raw_path, &query) {
        Ok(r) => r,
        Err(e) => return Outcome::failed(e, "-"),
    };
    let bucket = route.bucket().map(str::to_owned);
    // Browsers never sign a CORS preflight; the bucket's CORS rules alone answer it.
    if parts.method == http::Method::OPTIONS {
        if let Route::S3(addressed) = &route {
            let result = match &addressed.target {
                // Unsigned: a bare name is the default tenant's bucket.
                Target::Bucket(b) | Target::Object(b, _) => {
                    crate::tenant::resolve(state.ceph(), b, "")
                        .and_then(|b| s3::preflight(state, &b, &parts.headers))
                }
                Target::Root => Err(AwsError::method_not_allowed(
                    "The specified method is not allowed against this resource.",
                )),
            };
            return Outcome {
                result,
                operation: "PreflightRequest".into(),
                principal: "anonymous".into(),
                decision: None,
                explanation: String::new(),
                bucket,
                authenticated: false,
                ledger: Ledger::default(),
            };
        }
    }

    // 2. Authenticate, once, whatever the API.
    let host_bucket = match &route {
        Route::S3(a) => a.host_bucket.as_deref(),
        _ => None,
    };
    let rparts = RequestParts {
        method: &parts.method,
        raw_path,
        query: &query,
        headers: &parts.headers,
        host_bucket,
    };
    // IAM is global: clients sign it for us-east-1 (or, given an endpoint, their own region).
    let region = match &route {
        Route::Iam if router::scope_part(parts, &query, 2) == Some("us-east-1") => "us-east-1",
        _ => state.region.as_str(),
    };
    let authenticated = match auth::authenticate(
        &rparts,
        body,
        state,
        state.now(),
        region,
        route.signing_service(),
    ) {
        Ok(a) => a,
        Err(e) => {
            let mut out = Outcome::failed(e, "-");
            out.bucket = bucket;
            return out;
        }
    };
    let anonymous = authenticated.caller.principal.is_anonymous();
    let principal = if anonymous {
        "anonymous".to_owned()
    } else {
        authenticated.caller.principal.arn.clone()
    };
    let mut out = Outcome {
        result: Err(AwsError::internal_error("the request was not handled")),
        operation: "-".into(),
        principal,
        decision: None,
        explanation: String::new(),
        bucket,
        authenticated: true,
        ledger: Ledger::default(),
    };

    // 3. Operation.
    let sts_params = if matches!(route, Route::Sts | Route::Iam) {
        let mut params = query.to_pairs();
        match router::form_params(&authenticated.body) {
            Ok(form) => params.extend(form),
            Err(e) => {
                out.result = Err(e);
                out.operation = "STS".into();
                return out;
            }
        }
        params
    } else {
        Vec::new()
    };
    let op = resolve(&route, parts, &query, &sts_params);
    if let Ok(op) = &op {
        out.operation = op.name().to_owned();
    }
    if anonymous {
        if let Some((e, why)) = anonymous_refusal(&route) {
            out.result = Err(e);
            out.decision = Some("ImplicitDeny".into());
            out.explanation = why.into();
            return out;
        }
    }
    let op = match op {
        Ok(op) => op,
        Err(e) => {
            out.result = Err(e);
            return out;
        }
    };
    if let Some(e) = inject_faults(state, op.name()).await {
        out.result = Err(e);
        out.explanation = "injected fault".into();
        return out;
    }

    // 4. Prepare, authorize, handle ([`serve`]), with the request's condition keys.
    let mut facts = RequestFacts {
        source_ip: Some(ip_text(peer.ip())),
        carried: operation::carried_keys(&parts.headers),
        globals: [("referer", "aws:Referer"), ("user-agent", "aws:UserAgent")]
            .into_iter()
            .filter_map(|(h, key)| Some((key, crate::header::value(&parts.headers, h)?.to_owned())))
            .collect(),
        dialect: if state.ceph() {
            policy_eval::Dialect::CephRgw
        } else {
            policy_eval::Dialect::Aws
        },
        ..RequestFacts::default()
    };
    if let Operation::S3(op) = &op {
        if let Some(creates) = operation::object_creation(*op) {
            facts
                .keys
                .push(("s3:ObjectCreationOperation", creates.to_string()));
        }
    }
    let (result, decision) = match (route, op) {
        (Route::S3(addressed), Operation::S3(op)) => {
            let (result, decision, signer, bucket, ledger) =
                run_s3(state, &authenticated, op, &addressed, &query, parts, facts);
            out.ledger = ledger;
            if let Some(arn) = signer {
                out.principal = arn;
            }
            if bucket.is_some() {
                out.bucket = bucket;
            }
            (result, decision)
        }
        (Route::Control { op, name, account }, operation) => {
            let mut ctx = crate::control::ControlCtx {
                state,
                auth: &authenticated,
                op,
                account,
                name,
                query: &query,
                decision: None,
                facts,
                body: authenticated.body.clone(),
                ledger: Ledger::default(),
            };
            let result = serve(&mut ctx, operation.authorization());
            out.ledger = std::mem::take(&mut ctx.ledger);
            (result, ctx.decision.map(|(d, e)| (d.to_string(), e)))
        }
        (Route::Iam, operation) => {
            let mut ctx = crate::iam::IamCtx {
                state,
                auth: &authenticated,
                params: &sts_params,
                request_id,
                facts,
                decision: None,
                ledger: Ledger::default(),
            };
            let result = serve(&mut ctx, operation.authorization());
            out.ledger = std::mem::take(&mut ctx.ledger);
            (result, ctx.decision.map(|(d, e)| (d.to_string(), e)))
        }
        (_, operation) => {
            let mut ctx = crate::sts::StsCtx {
                state,
                auth: &authenticated,
                params: &sts_params,
                request_id,
                facts,
                decision: None,
                ledger: Ledger::default(),
            };
            let result = serve(&mut ctx, operation.authorization());
            out.ledger = std::mem::take(&mut ctx.ledger);
            (result, ctx.decision.map(|(d, e)| (d.to_string(), e)))
        }
    };
    out.result = result;
    if let Some((d, e)) = decision {
        out.decision = Some(d);
        out.explanation = e;
    }
    out
}

/// An S3 handler's answer, its decision and explanation, who signed a POST form, and the store
/// key of the bucket the request was for.
type S3Outcome = (
    Result<Resp, AwsError>,
    Option<(String, String)>,
    Option<String>,
    Option<String>,
    Ledger,
);

fn run_s3(
    state: &State,
    authenticated: &Authenticated,
    op: S3Op,
    addressed: &Addressed,
    query: &crate::query::Query,
    parts: &http::request::Parts,
    facts: RequestFacts,
) -> S3Outcome {
    let (written, key) = match &addressed.target {
        Target::Root => (None, None),
        Target::Bucket(b) => (Some(b.as_str()), None),
        Target::Object(b, k) => (Some(b.as_str()), Some(k.as_str())),
    };
    // The bucket a name means depends on who asks (Ceph RGW's tenants); an access point already
    // names its bucket's store key.
    let resolved = match written {
        Some(w) if addressed.access_point.is_none() => {
            // Tenants exist only in the Ceph dialect: AWS requests skip the IAM lock.
            let resolved = if state.ceph() {
                let iam = state.iam();
                let tenant = iam.tenant_of(authenticated.caller.account());
                crate::tenant::resolve(true, w, tenant)
            } else {
                crate::tenant::resolve(false, w, "")
            };
            match resolved {
                Ok(k) => Some(k),
                Err(e) => return (Err(e), None, None, None, Ledger::default()),
            }
        }
        other => other.map(str::to_owned),
    };
    let mut ctx = Ctx {
        state,
        auth: authenticated,
        op,
        bucket: resolved.as_deref(),
        written_bucket: written,
        key,
        access_point: addressed.access_point.as_ref(),
        query,
        headers: &parts.headers,
        facts,
        verdict: None,
        form_signer: None,
        body: authenticated.body.clone(),
        ledger: Ledger::default(),
    };
    let result = serve(&mut ctx, op.authorization());
    let (decision, explanation) = s3::journal_decision(&ctx);
    let signer = ctx.form_signer.take();
    let ledger = std::mem::take(&mut ctx.ledger);
    drop(ctx);
    (
        result,
        decision.map(|d| (d.to_string(), explanation)),
        signer,
        resolved,
        ledger,
    )
}

/// Steps 4 and 5 for every API: the request read and checked ([`Handler::prepare`]), the one
/// authorization the operation declares ([`crate::operation::Authorization`]), then its handler.
fn serve<H: Handler>(handler: &mut H, authorization: Authorization) -> Result<Resp, AwsError> {
    let prepared = handler.prepare()?;
    if let Some(action) = authorization.action_for(H::names_version(&prepared)) {
        handler.decide(action, &prepared)?;
    }
    handler.handle(prepared)
}

/// `aws:SourceIp`'s text: dotted IPv4 written by hand (every request has one, and `Display`
/// costs ten times as much), IPv6 as `Display` writes it.
fn ip_text(ip: std::net::IpAddr) -> String {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut out = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ips_read_as_display_writes_them() {
        for ip in [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "10.100.9.99",
            "192.0.2.7",
            "::1",
            "2001:db8::8a2e:370:7334",
            "::ffff:192.0.2.1",
        ] {
            let parsed: std::net::IpAddr = ip.parse().unwrap_or_else(|e| panic!("{ip}: {e}"));
            assert_eq!(ip_text(parsed), parsed.to_string());
        }
    }
}
