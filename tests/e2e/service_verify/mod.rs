//! Identity verification (SPEC §4) end to end.
//!
//! - The fetcher against hostile or broken servers (wiremock and a raw TCP server): no redirect is
//!   followed, no proxy is used, time and body size are limited, statuses are reported as they are.
//! - The keeper reading S3's answers, with wiremock standing in for S3 as the verification endpoint.
//! - URLs naming anything but the verification bucket on its own endpoint are refused before any
//!   request is made.
//! - Adversarial input against the embedded fake, with URLs presigned by the AWS SDK: other people's
//!   URLs, other IAM users' signatures, expired and tampered URLs, path and host tricks, forged
//!   caller identities, identities that are not IAM users, and IAM users claimed twice.

use std::time::Duration;

use fake_s3::FakeAwsHandle;
use s3keeper::fetch::{FetchLimits, Fetcher};
use s3keeper::keeper::{Keeper, VerificationStart};
use s3keeper::verify::{S3Endpoint, VerifyError};
use s3keeper::KeeperError;
use wiremock::matchers::{method, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::service_support::{self as support, Backend, Env, Person, PEOPLE};

mod caller_identity;
mod endpoint_only;
mod fetcher;
mod presigned_urls;
mod s3_answers;

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

const NO_SUCH_KEY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>"#;
const ACCESS_DENIED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>4442587FB7D0A2FA</RequestId></Error>"#;

/// The message of a URL refused by `check_signed_url`, i.e. before anything was fetched.
#[track_caller]
fn refused<T: std::fmt::Debug>(r: Result<T, KeeperError>) -> String {
    match r {
        Err(KeeperError::Verify(VerifyError::BadUrl(m))) => m,
        other => {
            panic!("expected the URL to be refused before fetching (Verify/BadUrl), got {other:?}")
        }
    }
}

/// The message of a verification whose fetched answers proved nothing.
#[track_caller]
fn not_verified<T: std::fmt::Debug>(r: Result<T, KeeperError>) -> String {
    match r {
        Err(KeeperError::NotVerified(m)) => m,
        other => panic!("expected NotVerified, got {other:?}"),
    }
}

#[track_caller]
fn conflict<T: std::fmt::Debug>(r: Result<T, KeeperError>) -> String {
    match r {
        Err(KeeperError::Conflict(m)) => m,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

#[track_caller]
fn assert_contains(message: &str, fragment: &str) {
    assert!(
        message.contains(fragment),
        "expected `{fragment}` in the message: {message}"
    );
}

/// The requests a wiremock server received.
async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    match server.received_requests().await {
        Some(r) => r,
        None => panic!("wiremock request recording is off"),
    }
}

fn fetcher(timeout: Duration, max_body: usize) -> Fetcher {
    let limits = FetchLimits {
        connect_timeout: Duration::from_millis(500),
        timeout,
        max_body,
    };
    match Fetcher::new(&limits) {
        Ok(f) => f,
        Err(e) => panic!("Fetcher::new: {e}"),
    }
}

/// Percent-encodes an object key for a URL path as S3 and the SDKs do (SigV4 `UriEncode`):
/// RFC 3986 unreserved characters and `/` stay, every other byte becomes `%XX`.
fn encode_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len() * 2);
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Encodes only what must be encoded for the key to survive one decoding (`%`), leaving `=`.
fn encode_path_minimal(key: &str) -> String {
    key.replace('%', "%25")
}

/// The signature in hand-made SigV4 URLs (AWS's documented example value).
const SIG: &str = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

fn sigv4_query(signature: &str) -> String {
    format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20260101T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host\
         &X-Amz-Signature={signature}"
    )
}

/// A SigV4 query-signed URL for `key` in `bucket`, path-style on `host_port`.
fn hand_signed(host_port: &str, bucket: &str, key: &str) -> String {
    format!(
        "http://{host_port}/{bucket}/{}?{}",
        encode_path(key),
        sigv4_query(SIG)
    )
}

/// A caller identity for an IAM user nobody needs to sign as (wiremock tests).
fn made_up_identity(user_id: &str, name: &str) -> String {
    serde_json::json!({
        "UserId": user_id,
        "Account": PEOPLE,
        "Arn": format!("arn:aws:iam::{PEOPLE}:user/{name}"),
    })
    .to_string()
}

async fn start(keeper: &Keeper, email: &str, identity: &str) -> VerificationStart {
    match keeper.start_verification(email, identity).await {
        Ok(s) => s,
        Err(e) => panic!("start_verification {email}: {e}"),
    }
}

async fn identity_user_id(keeper: &Keeper, email: &str) -> Option<String> {
    match keeper.person(email).await {
        Ok(p) => p.identity.map(|i| i.user_id),
        Err(e) => panic!("person {email}: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The keeper with wiremock as the verification endpoint (s3_answers, endpoint_only)
// ---------------------------------------------------------------------------------------------

const CAROL: &str = "carol@example.org";
const CAROL_ID: &str = "AIDACAROLEXAMPLE00001";

/// A keeper whose verification endpoint is a wiremock server (AWS itself is the embedded fake,
/// which verification does not touch for a person without grants).
struct Mocked {
    _fake: FakeAwsHandle,
    keeper: Keeper,
    s3: MockServer,
    bucket: String,
}

async fn mocked() -> Mocked {
    let s3 = MockServer::start().await;
    let fake = support::start_fake().await;
    let database_url = support::fresh_database(Backend::Sqlite).await;
    let mut settings = support::settings_for(&fake);
    settings.verify_endpoint = S3Endpoint::Custom {
        scheme: "http".to_owned(),
        host_port: s3.address().to_string(),
    };
    let keeper = support::keeper_for(&fake, &database_url, settings).await;
    if let Err(e) = keeper.add_person(CAROL, "Carol").await {
        panic!("add_person: {e}");
    }
    let bucket = keeper.settings.verify_bucket.clone();
    Mocked {
        _fake: fake,
        keeper,
        s3,
        bucket,
    }
}

/// The answer wiremock gives: a status, with a `Location` for redirects.
fn s3_answer(status: u16) -> ResponseTemplate {
    let t = ResponseTemplate::new(status).set_body_raw(
        if status == 404 {
            NO_SUCH_KEY
        } else {
            ACCESS_DENIED
        },
        "application/xml",
    );
    if (300..400).contains(&status) {
        t.insert_header("Location", "http://127.0.0.1:9/elsewhere")
    } else {
        t
    }
}

/// Signed requests (carrying `X-Amz-Signature`) get `signed`; unsigned ones get `unsigned`.
async fn answer(s3: &MockServer, signed: u16, unsigned: u16) {
    answer_by(
        s3,
        "X-Amz-Signature",
        SIG,
        s3_answer(signed),
        s3_answer(unsigned),
    )
    .await;
}

/// Requests whose query has `param=value` get `signed`; requests without `param` get `unsigned`.
async fn answer_by(
    s3: &MockServer,
    param: &str,
    value: &str,
    signed: ResponseTemplate,
    unsigned: ResponseTemplate,
) {
    Mock::given(method("GET"))
        .and(query_param(param, value))
        .respond_with(signed)
        .mount(s3)
        .await;
    Mock::given(method("GET"))
        .and(query_param_is_missing(param))
        .respond_with(unsigned)
        .mount(s3)
        .await;
}

// ---------------------------------------------------------------------------------------------
// The embedded fake, URLs presigned by the AWS SDK (presigned_urls, caller_identity)
// ---------------------------------------------------------------------------------------------

/// The URL completes `email`'s verification (`what` names it in the failure message).
async fn verifies(env: &Env, email: &str, url: &str, what: &str) {
    if let Err(e) = env.keeper.complete_verification(email, url).await {
        panic!("{what}: {e:?}");
    }
}

async fn start_for(env: &Env, p: &Person) -> VerificationStart {
    start(&env.keeper, &p.email, &support::caller_identity(p)).await
}

/// (principal, status) of every request the fake received since its journal was cleared; the
/// principal is empty when the signature itself was refused.
fn seen(env: &Env) -> Vec<(String, u16)> {
    env.fake
        .journal()
        .into_iter()
        .map(|e| (e.principal, e.status))
        .collect()
}
