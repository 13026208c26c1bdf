//! The request pipeline every S3, S3 Control and STS request goes through, in this order and only
//! here: **address** (host and path → which API, bucket, access point or account; no credentials
//! looked at) → **authenticate** once (SigV4, SigV2, presigned, anonymous) → **operation** (the
//! [`Operation`] and so its IAM action, resource and condition keys, from
//! [`crate::operation`]) → injected faults → **handler**, which authorizes through
//! [`crate::authz`] before it reads or writes anything.
//!
//! Addressing follows S3's rules for virtual-hosted, path-style, access point and alias requests
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-naming.html>).

use std::net::SocketAddr;

use bytes::Bytes;

use crate::auth::{self, Authenticated, RequestParts};
use crate::authz::RequestFacts;
use crate::error::AwsError;
use crate::operation::{self, Operation};
use crate::router::ControlOp;
use crate::router::{self, HostForm, S3Op, Target};
use crate::s3::{self, Ctx, Resp};
use crate::state::State;
use crate::storage::AccessPoint;

/// Where an S3 request is addressed after host and path are read.
#[derive(Debug)]
pub struct Addressed {
    pub target: Target,
    pub access_point: Option<AccessPoint>,
    pub host_bucket: Option<String>,
}

/// Which API a request is for, and what it names, before anyone is authenticated.
#[derive(Debug)]
pub enum Route {
    S3(Box<Addressed>),
    Control {
        op: ControlOp,
        name: Option<String>,
        account: String,
    },
    Sts,
}

impl Route {
    /// The service name SigV4 scopes the signature to.
    fn signing_service(&self) -> &'static str {
        match self {
            Route::Sts => "sts",
            Route::S3(_) | Route::Control { .. } => "s3",
        }
    }

    /// The bucket a request addresses, for the CORS headers of its response.
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Route::S3(a) => match &a.target {
                Target::Bucket(b) | Target::Object(b, _) => Some(b),
                Target::Root => None,
            },
            _ => None,
        }
    }
}

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
        }
    }
}

pub fn decode_query(raw: Option<&str>) -> Result<Vec<(String, String)>, AwsError> {
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

fn header<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The request's host: the `Host` header, or the URI's authority (HTTP/1.1 absolute form).
pub fn host_of(parts: &http::request::Parts) -> String {
    header(parts, "host")
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// Step 1: which API the request is for and what it addresses.
pub fn route(
    state: &State,
    parts: &http::request::Parts,
    raw_path: &str,
    query: &[(String, String)],
) -> Result<Route, AwsError> {
    let host_form = router::classify_host(&host_of(parts));
    if raw_path.starts_with("/v20180820/") {
        return control_route(parts, raw_path, &host_form);
    }
    let is_form = header(parts, "content-type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let sts_call = raw_path == "/"
        && !matches!(
            host_form,
            HostForm::Prefixed(_) | HostForm::AccessPoint { .. }
        )
        && ((parts.method == http::Method::POST && is_form)
            || query.iter().any(|(k, _)| k == "Action"));
    if sts_call {
        return Ok(Route::Sts);
    }
    address(state, &host_form, raw_path).map(|a| Route::S3(Box::new(a)))
}

fn control_route(
    parts: &http::request::Parts,
    raw_path: &str,
    host_form: &HostForm,
) -> Result<Route, AwsError> {
    let decoded = crate::sigv4::percent_decode(raw_path).ok_or_else(|| {
        AwsError::invalid_argument("the request path is not valid percent-encoded UTF-8")
    })?;
    let (op, name) = crate::router::control_route(&parts.method, &decoded)?;
    let header_account = header(parts, "x-amz-account-id").map(str::to_owned);
    let host_account = match host_form {
        HostForm::Control { account } => Some(account.clone()),
        HostForm::Prefixed(p) if policy_eval::arn::is_account_id(p) => Some(p.clone()),
        _ => None,
    };
    let account = match (header_account, host_account) {
        (Some(h), Some(a)) if h != a => {
            return Err(AwsError::invalid_request(
                "x-amz-account-id does not match the account in the host name",
            ))
        }
        (Some(h), _) => h,
        (None, Some(a)) => a,
        (None, None) => {
            return Err(AwsError::invalid_request(
                "S3 Control requests need the x-amz-account-id header",
            ))
        }
    };
    Ok(Route::Control { op, name, account })
}

/// Resolves an S3 request's host and path to its bucket, key and access point.
pub fn address(state: &State, host: &HostForm, raw_path: &str) -> Result<Addressed, AwsError> {
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

/// Step 3: the operation, from the route and the authenticated request (STS names its action in
/// the signed form body, so this comes after authentication).
fn resolve(
    route: &Route,
    parts: &http::request::Parts,
    query: &[(String, String)],
    sts_params: &[(String, String)],
) -> Result<Operation, AwsError> {
    match route {
        Route::S3(addressed) => {
            let query_keys: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
            let form_upload = header(parts, "content-type")
                .is_some_and(|ct| ct.starts_with("multipart/form-data"));
            S3Op::resolve(
                &parts.method,
                &addressed.target,
                &query_keys,
                parts.headers.contains_key("x-amz-copy-source"),
                form_upload,
            )
            .map(Operation::S3)
        }
        Route::Control { op, .. } => Ok(Operation::Control(*op)),
        Route::Sts => {
            let action = sts_params
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            Ok(Operation::Sts(action))
        }
    }
}

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
        Route::Sts => Some((
            AwsError::access_denied("STS requests must be signed"),
            "STS requests must be signed",
        )),
    }
}

/// Runs one request (its body already read) through the pipeline.
pub async fn run(
    state: &State,
    peer: SocketAddr,
    parts: &http::request::Parts,
    body: Bytes,
    raw_path: &str,
    request_id: &str,
) -> Outcome {
    // 1. Address.
    let query = match decode_query(parts.uri.query()) {
        Ok(q) => q,
        Err(e) => return Outcome::failed(e, "-"),
    };
    let route = match route(state, parts, raw_path, &query) {
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
                    crate::tenant::resolve(state.iam().ceph_dialect, b, "")
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
    let authenticated = match auth::authenticate(
        &rparts,
        body,
        state,
        state.now(),
        &state.region,
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
    };

    // 3. Operation.
    let sts_params = if matches!(route, Route::Sts) {
        let mut params = query.clone();
        match crate::sts::parse_form(&authenticated.body) {
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

    // 4. Handler (authorizes inside, with the request's condition keys).
    let mut facts = RequestFacts {
        source_ip: Some(peer.ip().to_string()),
        carried: operation::carried_keys(&parts.headers),
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
            let (result, decision, signer, bucket) =
                run_s3(state, &authenticated, op, &addressed, &query, parts, facts);
            if let Some(arn) = signer {
                out.principal = arn;
            }
            if bucket.is_some() {
                out.bucket = bucket;
            }
            (result, decision)
        }
        (Route::Control { op, name, account }, _) => {
            let body = authenticated.body.clone();
            let mut ctx = crate::control::ControlCtx {
                state,
                auth: &authenticated,
                op,
                account,
                name,
                query: &query,
                headers: &parts.headers,
                decision: None,
                facts,
            };
            let result = crate::control::handle(&mut ctx, &body);
            (result, ctx.decision.map(|(d, e)| (d.to_string(), e)))
        }
        (_, _) => {
            let (action, result, decision) =
                crate::sts::handle(state, &authenticated, &sts_params, request_id, &facts);
            out.operation = action;
            (result, decision.map(|(d, e)| (d.to_string(), e)))
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
);

fn run_s3(
    state: &State,
    authenticated: &Authenticated,
    op: S3Op,
    addressed: &Addressed,
    query: &[(String, String)],
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
            let iam = state.iam();
            let tenant = iam.tenant_of(authenticated.caller.account());
            match crate::tenant::resolve(iam.ceph_dialect, w, tenant) {
                Ok(k) => Some(k),
                Err(e) => return (Err(e), None, None, None),
            }
        }
        other => other.map(str::to_owned),
    };
    let body = authenticated.body.clone();
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
    };
    let result = s3::handle(&mut ctx, &body);
    let (decision, explanation) = s3::journal_decision(&ctx);
    let signer = ctx.form_signer.take();
    (
        result,
        decision.map(|d| (d.to_string(), explanation)),
        signer,
        resolved,
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
