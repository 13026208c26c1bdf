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

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_s3::FakeAwsHandle;
use rstest::rstest;
use s3keeper::fetch::{FetchLimits, Fetcher};
use s3keeper::keeper::{AuditFilter, Keeper, VerificationStart};
use s3keeper::verify::{S3Endpoint, VerifyError};
use s3keeper::KeeperError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{any, method, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::service_support::{self as support, Backend, Env, Person, PEOPLE, PLATFORM, READER};

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
// 1. The fetcher
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn fetcher_reports_404_for_a_small_s3_error_document() {
    let s3 = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(NO_SUCH_KEY, "application/xml"))
        .mount(&s3)
        .await;
    let f = fetcher(Duration::from_secs(2), 16 * 1024);
    let url = format!("{}/vb/some/key?X-Amz-Signature=abc", s3.uri());
    match f.status(&url).await {
        Ok(404) => {}
        other => panic!("expected Ok(404), got {other:?}"),
    }
    let reqs = received(&s3).await;
    assert_eq!(reqs.len(), 1, "exactly one GET");
    assert_eq!(reqs[0].method.as_str(), "GET");
    assert_eq!(reqs[0].url.path(), "/vb/some/key");
    assert_eq!(reqs[0].url.query(), Some("X-Amz-Signature=abc"));
}

/// Any non-redirect status comes back as it is; the keeper decides what it means.
#[rstest]
#[case(200)]
#[case(400)]
#[case(403)]
#[case(500)]
#[case(503)]
#[tokio::test]
async fn fetcher_returns_other_statuses_as_they_are(#[case] status: u16) {
    let s3 = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_raw(ACCESS_DENIED, "application/xml"))
        .mount(&s3)
        .await;
    let f = fetcher(Duration::from_secs(2), 16 * 1024);
    match f.status(&format!("{}/vb/k", s3.uri())).await {
        Ok(s) => assert_eq!(s, status),
        Err(e) => panic!("status {status}: {e:?}"),
    }
    // No retry of 5xx answers: one request only.
    assert_eq!(received(&s3).await.len(), 1);
}

#[rstest]
#[case(301)]
#[case(302)]
#[case(303)]
#[case(307)]
#[case(308)]
#[tokio::test]
async fn fetcher_never_follows_a_redirect(#[case] status: u16) {
    let s3 = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_raw(NO_SUCH_KEY, "application/xml"))
        .mount(&elsewhere)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).insert_header(
            "Location",
            format!("{}/vb/k?X-Amz-Signature=x", elsewhere.uri()),
        ))
        .mount(&s3)
        .await;
    let f = fetcher(Duration::from_secs(2), 16 * 1024);
    let m = not_verified(f.status(&format!("{}/vb/k", s3.uri())).await);
    assert_contains(&m, "redirect");
    assert_contains(&m, &format!("({status})"));
    assert_contains(&m, "never followed");
    assert_eq!(received(&s3).await.len(), 1);
    assert!(
        received(&elsewhere).await.is_empty(),
        "the redirect target was contacted"
    );
}

#[tokio::test]
async fn fetcher_gives_up_on_a_slow_answer() {
    let s3 = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_delay(Duration::from_secs(3)))
        .mount(&s3)
        .await;
    let f = fetcher(Duration::from_millis(300), 16 * 1024);
    let began = Instant::now();
    let m = not_verified(f.status(&format!("{}/vb/k", s3.uri())).await);
    let took = began.elapsed();
    assert_contains(&m, "did not answer in time");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1500),
        "took {took:?} with a 300 ms timeout"
    );
}

/// wiremock always sends `Content-Length`, so these are refused from the header (or, at the
/// boundary, accepted).
#[rstest]
#[case::exactly_the_cap(1024, Some(404))]
#[case::one_byte_over(1025, None)]
#[case::a_megabyte(1024 * 1024, None)]
#[tokio::test]
async fn fetcher_caps_bodies_with_a_content_length(
    #[case] size: usize,
    #[case] expected: Option<u16>,
) {
    let s3 = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_bytes(vec![b'x'; size]))
        .mount(&s3)
        .await;
    let f = fetcher(Duration::from_secs(2), 1024);
    let r = f.status(&format!("{}/vb/k", s3.uri())).await;
    match expected {
        Some(status) => match r {
            Ok(s) => assert_eq!(s, status),
            Err(e) => panic!("{size} bytes: {e:?}"),
        },
        None => assert_contains(&not_verified(r), "larger than 1024 bytes"),
    }
}

/// How the raw server answers after reading the request head.
#[derive(Debug, Clone, Copy)]
enum Raw {
    /// `404` with `Transfer-Encoding: chunked`: `total` bytes in chunks of `chunk`.
    Chunked { total: usize, chunk: usize },
    /// `404` with neither length nor chunking: the body ends when the connection closes.
    UntilClose { total: usize },
    /// `404` declaring `Content-Length: declared`, sending `sent` bytes, then nothing.
    Stall { declared: usize, sent: usize },
    /// `404` chunked, one byte every 50 ms, forever.
    Trickle,
}

/// A one-behaviour HTTP server on a raw socket; counts connections.
async fn raw_server(mode: Raw) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("local_addr: {e}"),
    };
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = serve_raw(&mut sock, mode).await;
            });
        }
    });
    (addr, hits)
}

async fn serve_raw(sock: &mut TcpStream, mode: Raw) -> std::io::Result<()> {
    match mode {
        Raw::Chunked { total, chunk } => {
            sock.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n",
            )
            .await?;
            let mut left = total;
            while left > 0 {
                let n = left.min(chunk);
                sock.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                sock.write_all(&vec![b'x'; n]).await?;
                sock.write_all(b"\r\n").await?;
                left -= n;
            }
            sock.write_all(b"0\r\n\r\n").await?;
            sock.flush().await?;
        }
        Raw::UntilClose { total } => {
            sock.write_all(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n")
                .await?;
            sock.write_all(&vec![b'x'; total]).await?;
            sock.shutdown().await?;
        }
        Raw::Stall { declared, sent } => {
            sock.write_all(
                format!("HTTP/1.1 404 Not Found\r\nContent-Length: {declared}\r\n\r\n").as_bytes(),
            )
            .await?;
            sock.write_all(&vec![b'x'; sent]).await?;
            sock.flush().await?;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Raw::Trickle => {
            sock.write_all(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await?;
            loop {
                sock.write_all(b"1\r\nx\r\n").await?;
                sock.flush().await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    Ok(())
}

/// Without a `Content-Length` the cap applies to what is actually read.
#[rstest]
#[case::chunked_exactly_the_cap(Raw::Chunked { total: 1024, chunk: 100 }, Some(404))]
#[case::chunked_one_byte_over(Raw::Chunked { total: 1025, chunk: 100 }, None)]
#[case::chunked_a_megabyte(Raw::Chunked { total: 1024 * 1024, chunk: 4096 }, None)]
#[case::until_close_under_the_cap(Raw::UntilClose { total: 500 }, Some(404))]
#[case::until_close_over_the_cap(Raw::UntilClose { total: 64 * 1024 }, None)]
#[tokio::test]
async fn fetcher_caps_bodies_without_a_content_length(
    #[case] mode: Raw,
    #[case] expected: Option<u16>,
) {
    let (addr, hits) = raw_server(mode).await;
    let f = fetcher(Duration::from_secs(2), 1024);
    let began = Instant::now();
    let r = f.status(&format!("http://{addr}/vb/k")).await;
    match expected {
        Some(status) => match r {
            Ok(s) => assert_eq!(s, status),
            Err(e) => panic!("{mode:?}: {e:?}"),
        },
        None => assert_contains(&not_verified(r), "larger than 1024 bytes"),
    }
    assert!(began.elapsed() < Duration::from_millis(1500), "{mode:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

/// The time limit covers the whole exchange, body included, not only the wait for the head.
#[rstest]
#[case::headers_then_silence(Raw::Stall { declared: 100, sent: 10 })]
#[case::one_byte_at_a_time(Raw::Trickle)]
#[tokio::test]
async fn fetcher_gives_up_on_a_body_that_never_ends(#[case] mode: Raw) {
    let (addr, _) = raw_server(mode).await;
    let f = fetcher(Duration::from_millis(300), 16 * 1024);
    let began = Instant::now();
    let m = not_verified(f.status(&format!("http://{addr}/vb/k")).await);
    let took = began.elapsed();
    assert_contains(&m, "did not answer in time");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

/// reqwest's own messages include the URL, and with it the signature; the fetcher's must not.
#[tokio::test]
async fn fetcher_errors_do_not_repeat_the_signed_url() {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("local_addr: {e}"),
    };
    drop(listener);
    let secret = "0fd1b0e1c05ec2d2b5d0d0a9a8e3c6b0e2f7a1c3d5e7f9a1b3c5d7e9f1a3c5e7";
    let url = format!("http://{addr}/vb/k?X-Amz-Credential=AKIASECRET&X-Amz-Signature={secret}");
    let m = not_verified(fetcher(Duration::from_secs(2), 1024).status(&url).await);
    assert_contains(&m, "could not reach S3");
    assert!(!m.contains(secret), "the signature leaked: {m}");
    assert!(!m.contains("AKIASECRET"), "the credential leaked: {m}");
    assert!(!m.contains("X-Amz-"), "the query leaked: {m}");
}

/// `HTTP_PROXY` and friends are ignored. The environment is per process, so this only runs
/// where each test has its own process (cargo-nextest); a default reqwest client is the control
/// showing the variables are in effect.
#[tokio::test]
async fn fetcher_ignores_proxies_from_the_environment() {
    if std::env::var("NEXTEST_EXECUTION_MODE").as_deref() != Ok("process-per-test") {
        eprintln!("skipped: changes the process environment; run under cargo-nextest");
        return;
    }
    let s3 = MockServer::start().await;
    let proxy = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_raw(NO_SUCH_KEY, "application/xml"))
        .mount(&s3)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418))
        .mount(&proxy)
        .await;
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::set_var(var, proxy.uri());
    }
    for var in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
        std::env::remove_var(var);
    }
    let url = format!("{}/vb/k", s3.uri());
    let control = match reqwest::Client::new().get(&url).send().await {
        Ok(r) => r.status().as_u16(),
        Err(e) => panic!("control client: {e}"),
    };
    assert_eq!(control, 418, "the control client did not use the proxy");
    match fetcher(Duration::from_secs(2), 1024).status(&url).await {
        Ok(404) => {}
        other => panic!("expected Ok(404) straight from S3, got {other:?}"),
    }
    assert_eq!(
        received(&proxy).await.len(),
        1,
        "only the control used the proxy"
    );
    assert_eq!(received(&s3).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 2. The keeper reading S3's answers (wiremock as the verification endpoint)
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

#[rstest]
#[case::verified(404, 403, None, 2)]
#[case::unsigned_allowed(404, 200, Some("policy is not intact"), 2)]
#[case::unsigned_also_404(404, 404, Some("answered an unsigned request with 404, not 403"), 2)]
#[case::unsigned_redirected(404, 307, Some("redirect (307)"), 2)]
#[case::signature_refused(403, 403, Some("S3 refused the signed URL (403)"), 1)]
#[case::object_exists(200, 403, Some("an object exists at the verification key"), 1)]
#[case::server_error(500, 403, Some("S3 answered the signed URL with 500"), 1)]
#[case::bad_request(400, 403, Some("S3 answered the signed URL with 400"), 1)]
#[case::signed_redirected(302, 403, Some("redirect (302)"), 1)]
#[tokio::test]
async fn keeper_reads_s3s_answers(
    #[case] signed: u16,
    #[case] unsigned: u16,
    #[case] refusal: Option<&str>,
    #[case] fetches: usize,
) {
    let m = mocked().await;
    answer(&m.s3, signed, unsigned).await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let host = m.s3.address().to_string();
    let url = hand_signed(&host, &m.bucket, &st.key);
    let r = m.keeper.complete_verification(CAROL, &url).await;
    let reqs = received(&m.s3).await;
    assert_eq!(reqs.len(), fetches, "requests: {reqs:?}");
    let path = format!("/{}/{}", m.bucket, encode_path(&st.key));
    // The signed URL is fetched first, exactly as pasted; the unsigned one has no query at all.
    assert_eq!(reqs[0].url.path(), path);
    assert_eq!(reqs[0].url.query(), Some(sigv4_query(SIG).as_str()));
    if let Some(second) = reqs.get(1) {
        assert_eq!(second.url.path(), path);
        assert_eq!(second.url.query(), None);
    }
    match refusal {
        None => {
            let identity = match r {
                Ok(i) => i,
                Err(e) => panic!("expected verified: {e:?}"),
            };
            assert_eq!(identity.user_id, CAROL_ID);
            let stored = match m.keeper.person(CAROL).await {
                Ok(p) => p.identity,
                Err(e) => panic!("{e}"),
            };
            let Some(stored) = stored else {
                panic!("no identity stored after a successful verification");
            };
            assert_eq!(stored.user_id, CAROL_ID);
            assert_eq!(stored.account, PEOPLE);
            assert_eq!(stored.arn, format!("arn:aws:iam::{PEOPLE}:user/carol"));
            assert_eq!(stored.username, "carol");
            assert_eq!(stored.status, "verified");
            // The pending verification is used up.
            let again = conflict(m.keeper.complete_verification(CAROL, &url).await);
            assert_contains(&again, "no verification is in progress");
        }
        Some(fragment) => {
            let msg = not_verified(r);
            assert_contains(&msg, fragment);
            assert_eq!(identity_user_id(&m.keeper, CAROL).await, None);
            // The pending verification survives a failed attempt: with S3 answering properly,
            // the same URL now verifies.
            m.s3.reset().await;
            answer(&m.s3, 404, 403).await;
            if let Err(e) = m.keeper.complete_verification(CAROL, &url).await {
                panic!("retry after `{fragment}`: {e:?}");
            }
            assert_eq!(
                identity_user_id(&m.keeper, CAROL).await.as_deref(),
                Some(CAROL_ID)
            );
        }
    }
}

/// The key holds the URL-quoted email; whatever it needs (`%40`, `%2B`, `%25`), the path carries
/// it encoded once more, with or without `=` encoded.
#[rstest]
#[case("carol@example.org", false)]
#[case("carol@example.org", true)]
#[case("c%rol+tag@example.org", false)]
#[case("c%rol+tag@example.org", true)]
#[case("o'brien&co=1@example.org", false)]
#[tokio::test]
async fn keeper_accepts_keys_whose_email_needs_quoting(#[case] email: &str, #[case] minimal: bool) {
    let m = mocked().await;
    if let Err(e) = m.keeper.add_person(email, "someone").await {
        panic!("add_person {email}: {e}");
    }
    answer(&m.s3, 404, 403).await;
    let st = start(&m.keeper, email, &made_up_identity(CAROL_ID, "carol")).await;
    let encoded = if minimal {
        encode_path_minimal(&st.key)
    } else {
        encode_path(&st.key)
    };
    let url = format!(
        "http://{}/{}/{encoded}?{}",
        m.s3.address(),
        m.bucket,
        sigv4_query(SIG)
    );
    if let Err(e) = m.keeper.complete_verification(email, &url).await {
        panic!("{url}: {e:?}");
    }
    assert_eq!(
        identity_user_id(&m.keeper, email).await.as_deref(),
        Some(CAROL_ID)
    );
    let reqs = received(&m.s3).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].url.path(), format!("/{}/{encoded}", m.bucket));
}

/// A SigV2 signature (AWS's documented example), as it appears decoded and in a URL.
const V2_SIG: &str = "vjbyPxybdZaNmGa+yT272YEAiv4=";
const V2_SIG_IN_URL: &str = "vjbyPxybdZaNmGa%2ByT272YEAiv4%3D";

/// SPEC §4.3: SigV4 or SigV2 query signatures; session tokens and the SDKs' `x-id=GetObject` are
/// part of real presigned URLs. Whatever the form, the unsigned fetch carries no query at all.
#[rstest]
#[case::sigv2(
    "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1900000000&Signature={V2}",
    "Signature",
    V2_SIG,
    "SigV2"
)]
#[case::sigv4_with_session_token(
    "{Q}&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2Fa",
    "X-Amz-Signature",
    SIG,
    "SigV4"
)]
#[case::sigv4_from_an_sdk("x-id=GetObject&{Q}", "X-Amz-Signature", SIG, "SigV4")]
#[case::sigv4_reordered(
    "X-Amz-Signature={SIG}&X-Amz-SignedHeaders=host&X-Amz-Expires=600&X-Amz-Date=20260101T000000Z&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Algorithm=AWS4-HMAC-SHA256",
    "X-Amz-Signature",
    SIG,
    "SigV4"
)]
#[tokio::test]
async fn keeper_accepts_every_query_signature_form(
    #[case] query: &str,
    #[case] param: &str,
    #[case] value: &str,
    #[case] version: &str,
) {
    let m = mocked().await;
    answer_by(&m.s3, param, value, s3_answer(404), s3_answer(403)).await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let query = query
        .replace("{Q}", &sigv4_query(SIG))
        .replace("{SIG}", SIG)
        .replace("{V2}", V2_SIG_IN_URL);
    let url = format!(
        "http://{}/{}/{}?{query}",
        m.s3.address(),
        m.bucket,
        encode_path(&st.key)
    );
    if let Err(e) = m.keeper.complete_verification(CAROL, &url).await {
        panic!("{url}: {e:?}");
    }
    let reqs = received(&m.s3).await;
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[0].url.query(), Some(query.as_str()));
    assert_eq!(reqs[1].url.query(), None);
    let filter = AuditFilter {
        person: Some(CAROL.to_owned()),
        action: Some("identity-verified".to_owned()),
        ..AuditFilter::default()
    };
    let entries = match m.keeper.audit(&filter).await {
        Ok(e) => e,
        Err(e) => panic!("audit: {e}"),
    };
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_contains(&entries[0].detail, &format!("by {version}"));
    assert_contains(&entries[0].detail, CAROL_ID);
}

/// URLs up to 8192 characters are accepted; one more is refused without a request.
#[rstest]
#[case(8192, true)]
#[case(8193, false)]
#[tokio::test]
async fn keeper_accepts_urls_up_to_8192_characters(#[case] length: usize, #[case] ok: bool) {
    let m = mocked().await;
    answer(&m.s3, 404, 403).await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let base = format!(
        "{}&X-Amz-Security-Token=",
        hand_signed(&m.s3.address().to_string(), &m.bucket, &st.key)
    );
    let url = format!("{base}{}", "T".repeat(length - base.len()));
    assert_eq!(url.len(), length);
    let r = m.keeper.complete_verification(CAROL, &url).await;
    if ok {
        if let Err(e) = r {
            panic!("{length} characters: {e:?}");
        }
        assert_eq!(received(&m.s3).await.len(), 2);
    } else {
        assert_contains(&refused(r), "longer than 8192 characters");
        assert!(received(&m.s3).await.is_empty());
    }
}

/// The pending verification is replaced while S3 is still answering: the late completion must
/// not store the identity the person no longer asked for.
#[tokio::test]
async fn keeper_refuses_a_completion_whose_verification_was_replaced_meanwhile() {
    let m = mocked().await;
    answer_by(
        &m.s3,
        "X-Amz-Signature",
        SIG,
        s3_answer(404).set_delay(Duration::from_millis(700)),
        s3_answer(403),
    )
    .await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let url = hand_signed(&m.s3.address().to_string(), &m.bucket, &st.key);
    let keeper = m.keeper.clone();
    let late = tokio::spawn(async move { keeper.complete_verification(CAROL, &url).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let other = start(
        &m.keeper,
        CAROL,
        &made_up_identity("AIDACAROLOTHER000002", "carol-other"),
    )
    .await;
    assert_ne!(other.key, st.key);
    let r = match late.await {
        Ok(r) => r,
        Err(e) => panic!("join: {e}"),
    };
    let msg = conflict(r);
    assert_contains(&msg, "another verification was started meanwhile");
    assert_eq!(identity_user_id(&m.keeper, CAROL).await, None);
    assert_eq!(received(&m.s3).await.len(), 2, "both fetches were made");
}

#[tokio::test]
async fn keeper_names_an_unknown_person() {
    let m = mocked().await;
    answer(&m.s3, 404, 403).await;
    let nobody = "nobody@example.org";
    match m
        .keeper
        .start_verification(nobody, &made_up_identity(CAROL_ID, "carol"))
        .await
    {
        Err(KeeperError::NotFound(msg)) => assert_contains(&msg, nobody),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let url = hand_signed(&m.s3.address().to_string(), &m.bucket, "k");
    match m.keeper.complete_verification(nobody, &url).await {
        Err(KeeperError::NotFound(msg)) => assert_contains(&msg, nobody),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(received(&m.s3).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 3. Only the verification endpoint is ever fetched
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::another_server("http://{B}/{BUCKET}/{PATH}?{Q}", "is not the verification endpoint")]
#[case::another_port_same_host(
    "http://127.0.0.1:{BPORT}/{BUCKET}/{PATH}?{Q}",
    "is not the verification endpoint"
)]
#[case::localhost_alias(
    "http://localhost:{APORT}/{BUCKET}/{PATH}?{Q}",
    "is not the verification endpoint"
)]
#[case::port_appended(
    "http://{A}:80/{BUCKET}/{PATH}?{Q}",
    "is not the verification endpoint"
)]
#[case::userinfo("http://user@{A}/{BUCKET}/{PATH}?{Q}", "user information")]
#[case::userinfo_password("http://user:pw@{A}/{BUCKET}/{PATH}?{Q}", "user information")]
#[case::endpoint_as_userinfo("http://{A}@{B}/{BUCKET}/{PATH}?{Q}", "user information")]
#[case::backslash_authority("http://{B}\\@{A}/{BUCKET}/{PATH}?{Q}", "user information")]
#[case::other_bucket(
    "http://{A}/other-bucket/{PATH}?{Q}",
    "not in the `s3keeper-verification` bucket"
)]
#[case::bucket_as_prefix(
    "http://{A}/{BUCKET}x/{PATH}?{Q}",
    "not in the `s3keeper-verification` bucket"
)]
#[case::second_host_in_path(
    "http://{A}//{B}/{BUCKET}/{PATH}?{Q}",
    "not in the `s3keeper-verification` bucket"
)]
#[case::fragment("http://{A}/{BUCKET}/{PATH}?{Q}#x", "fragment")]
#[case::fragment_before_query("http://{A}/{BUCKET}/{PATH}#?{Q}", "fragment")]
#[case::https("https://{A}/{BUCKET}/{PATH}?{Q}", "must use http://")]
#[case::scheme_relative("//{B}/{BUCKET}/{PATH}?{Q}", "does not start with https://")]
#[case::unsigned("http://{A}/{BUCKET}/{PATH}", "no query string")]
#[case::key_decoded_once(
    "http://{A}/{BUCKET}/{RAWKEY}?{Q}",
    "not the one you were asked to sign"
)]
#[tokio::test]
async fn keeper_never_fetches_anything_but_the_endpoint(#[case] template: &str, #[case] why: &str) {
    let m = mocked().await;
    let other = MockServer::start().await;
    answer(&m.s3, 404, 403).await;
    answer(&other, 404, 403).await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let url = template
        .replace("{A}", &m.s3.address().to_string())
        .replace("{APORT}", &m.s3.address().port().to_string())
        .replace("{B}", &other.address().to_string())
        .replace("{BPORT}", &other.address().port().to_string())
        .replace("{BUCKET}", &m.bucket)
        .replace("{PATH}", &encode_path(&st.key))
        .replace("{RAWKEY}", &st.key)
        .replace("{Q}", &sigv4_query(SIG));
    let msg = refused(m.keeper.complete_verification(CAROL, &url).await);
    assert_contains(&msg, why);
    assert!(
        received(&m.s3).await.is_empty(),
        "the endpoint was fetched for {url}"
    );
    assert!(
        received(&other).await.is_empty(),
        "another server was fetched for {url}"
    );
    assert_eq!(identity_user_id(&m.keeper, CAROL).await, None);
    // Control: the proper URL is accepted, so the refusal was about the URL.
    let good = hand_signed(&m.s3.address().to_string(), &m.bucket, &st.key);
    if let Err(e) = m.keeper.complete_verification(CAROL, &good).await {
        panic!("control {good}: {e:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Adversarial input against the embedded fake, URLs presigned by the AWS SDK
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

#[tokio::test]
async fn a_url_presigned_by_the_sdk_verifies_and_whitespace_around_it_is_ignored() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let st = start_for(&env, &alice).await;
    assert_eq!(
        st.command,
        format!("aws s3 presign s3://{}/{}", st.bucket, st.key)
    );
    assert_eq!(
        st.key,
        format!(
            "test-verification/email=alice%40example.org/userid={}/account={PEOPLE}/username=alice/",
            alice.user_id
        )
    );
    let url = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    env.fake.clear_journal();
    let identity = match env
        .keeper
        .complete_verification(&alice.email, &format!("  {url}\r\n"))
        .await
    {
        Ok(i) => i,
        Err(e) => panic!("{url}: {e:?}"),
    };
    assert_eq!(identity.arn, alice.arn);
    // Signed as alice: 404; unsigned: 403.
    assert_eq!(
        seen(&env),
        vec![(alice.arn.clone(), 404), ("anonymous".to_owned(), 403)]
    );
}

#[tokio::test]
async fn bob_cannot_use_alices_signed_url() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let bob = support::person(&env, "bob").await;
    let sa = start_for(&env, &alice).await;
    let sb = start_for(&env, &bob).await;
    let alices_url = support::presign(&alice.s3, &sa.bucket, &sa.key, 600).await;
    env.fake.clear_journal();
    let msg = refused(
        env.keeper
            .complete_verification(&bob.email, &alices_url)
            .await,
    );
    assert_contains(&msg, &format!("it is for the key `{}`", sa.key));
    assert_contains(&msg, &format!("(`{}`)", sb.key));
    assert!(env.fake.journal().is_empty(), "something was fetched");
    assert_eq!(identity_user_id(&env.keeper, &bob.email).await, None);
    // Alice's URL still verifies Alice.
    if let Err(e) = env
        .keeper
        .complete_verification(&alice.email, &alices_url)
        .await
    {
        panic!("alice: {e:?}");
    }
    assert_eq!(
        identity_user_id(&env.keeper, &alice.email).await,
        Some(alice.user_id.clone())
    );
}

#[tokio::test]
async fn the_right_key_signed_by_another_iam_user_is_refused_by_s3() {
    let env = support::env(Backend::Sqlite).await;
    let bob = support::person(&env, "bob").await;
    let mallory = support::person(&env, "mallory").await;
    let sb = start_for(&env, &bob).await;
    let forged = support::presign(&mallory.s3, &sb.bucket, &sb.key, 600).await;
    env.fake.clear_journal();
    let msg = not_verified(env.keeper.complete_verification(&bob.email, &forged).await);
    assert_contains(&msg, "(403)");
    assert_contains(&msg, &bob.arn);
    // One signed fetch, made as mallory and refused; the unsigned one was not needed.
    assert_eq!(seen(&env), vec![(mallory.arn.clone(), 403)]);
    assert_eq!(identity_user_id(&env.keeper, &bob.email).await, None);
    // Bob's own signature works.
    let own = support::presign(&bob.s3, &sb.bucket, &sb.key, 600).await;
    verifies(&env, &bob.email, &own, "bob").await;
}

#[tokio::test]
async fn an_expired_url_is_refused() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let st = start_for(&env, &alice).await;
    let url = support::presign(&alice.s3, &st.bucket, &st.key, 1).await;
    env.fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    ));
    env.fake.clear_journal();
    let r = env.keeper.complete_verification(&alice.email, &url).await;
    env.fake.set_time(None);
    let msg = not_verified(r);
    assert_contains(&msg, "(403)");
    assert_contains(&msg, "expired");
    // One signed fetch, refused at authentication; the unsigned one was not needed.
    assert_eq!(seen(&env), vec![(String::new(), 403)]);
    assert_eq!(identity_user_id(&env.keeper, &alice.email).await, None);
    // With the clock back, a fresh URL works.
    let fresh = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    verifies(&env, &alice.email, &fresh, "fresh").await;
}

#[tokio::test]
async fn a_tampered_signature_is_refused() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let st = start_for(&env, &alice).await;
    let url = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    let marker = "X-Amz-Signature=";
    let Some(at) = url.find(marker).map(|i| i + marker.len()) else {
        panic!("no signature in {url}");
    };
    let old = url.as_bytes()[at];
    let new = if old == b'0' { '1' } else { '0' };
    let tampered = format!("{}{new}{}", &url[..at], &url[at + 1..]);
    assert_ne!(tampered, url);
    env.fake.clear_journal();
    let msg = not_verified(
        env.keeper
            .complete_verification(&alice.email, &tampered)
            .await,
    );
    assert_contains(&msg, "(403)");
    assert_contains(&msg, "changed after signing");
    // One signed fetch, refused at authentication; the unsigned one was not needed.
    assert_eq!(seen(&env), vec![(String::new(), 403)]);
    assert_eq!(identity_user_id(&env.keeper, &alice.email).await, None);
    // The untouched URL verifies.
    verifies(&env, &alice.email, &url, "untampered").await;
}

fn encoded_slash(u: &str) -> String {
    u.replacen("/userid", "%2Fuserid", 1)
}
fn encoded_slash_lower(u: &str) -> String {
    u.replacen("/userid", "%2fuserid", 1)
}
fn dot_segments(u: &str) -> String {
    u.replacen("/userid", "/x/../userid", 1)
}
fn encoded_dot_segments(u: &str) -> String {
    u.replacen("/userid", "/x/%2E%2E/userid", 1)
}
fn single_dot_segment(u: &str) -> String {
    u.replacen("/userid", "/./userid", 1)
}
fn backslash(u: &str) -> String {
    u.replacen("/userid", "\\userid", 1)
}
fn encoded_backslash(u: &str) -> String {
    u.replacen("/userid", "%5Cuserid", 1)
}
fn nul_in_key(u: &str) -> String {
    u.replacen("/userid", "/%00userid", 1)
}
fn broken_escape(u: &str) -> String {
    u.replacen("/userid", "/%zzuserid", 1)
}
fn fullwidth_digit_host(u: &str) -> String {
    u.replacen("127.0.0.1", "127.0.0.\u{FF11}", 1)
}
fn zero_width_space_host(u: &str) -> String {
    u.replacen("127.0.0.1", "127.0.0\u{200B}.1", 1)
}
fn cyrillic_in_path(u: &str) -> String {
    u.replacen("alice/?", "\u{0430}lice/?", 1)
}
fn short_ip(u: &str) -> String {
    u.replacen("127.0.0.1", "127.1", 1)
}
fn hex_ip(u: &str) -> String {
    u.replacen("127.0.0.1", "0x7f.0.0.1", 1)
}
fn decimal_ip(u: &str) -> String {
    u.replacen("127.0.0.1", "2130706433", 1)
}
fn mapped_ipv6(u: &str) -> String {
    u.replacen("127.0.0.1", "[::ffff:127.0.0.1]", 1)
}
fn trailing_dot(u: &str) -> String {
    u.replacen("127.0.0.1", "127.0.0.1.", 1)
}
fn upper_scheme(u: &str) -> String {
    u.replacen("http://", "HTTP://", 1)
}
fn over_long(u: &str) -> String {
    format!("{u}&X-Amz-Security-Token={}", "A".repeat(8200))
}
fn extra_parameter(u: &str) -> String {
    format!("{u}&response-content-type=text%2Fhtml")
}
fn version_id(u: &str) -> String {
    format!("{u}&versionId=1")
}
fn repeated_parameter(u: &str) -> String {
    format!("{u}&X-Amz-Expires=604800")
}
fn other_operation(u: &str) -> String {
    u.replacen("x-id=GetObject", "x-id=PutObject", 1)
}
fn newline_inside(u: &str) -> String {
    u.replacen("?", "\n?", 1)
}
fn without_query(u: &str) -> String {
    u.split_once('?').map_or(u, |(b, _)| b).to_owned()
}
fn sigv4_without_signature(u: &str) -> String {
    let Some((base, query)) = u.split_once('?') else {
        return u.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("X-Amz-Signature="))
        .collect();
    format!("{base}?{}", kept.join("&"))
}
fn sigv2_missing_signature(u: &str) -> String {
    let base = u.split_once('?').map_or(u, |(b, _)| b);
    format!("{base}?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1900000000")
}
fn sigv2_missing_expires(u: &str) -> String {
    let base = u.split_once('?').map_or(u, |(b, _)| b);
    format!("{base}?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D")
}

/// Alice's own, valid presigned URL, altered; every alteration is refused before any request.
#[rstest]
#[case::encoded_slash(encoded_slash, "encoded `/`, `.` or `\\`")]
#[case::encoded_slash_lower_case(encoded_slash_lower, "encoded `/`, `.` or `\\`")]
#[case::dot_segments(dot_segments, "not the one you were asked to sign")]
#[case::encoded_dot_segments(encoded_dot_segments, "encoded `/`, `.` or `\\`")]
#[case::single_dot_segment(single_dot_segment, "not the one you were asked to sign")]
#[case::backslash(backslash, "not the one you were asked to sign")]
#[case::encoded_backslash(encoded_backslash, "encoded `/`, `.` or `\\`")]
#[case::nul_in_key(nul_in_key, "not the one you were asked to sign")]
#[case::broken_escape(broken_escape, "not valid percent-encoding")]
#[case::fullwidth_digit_host(fullwidth_digit_host, "non-ASCII")]
#[case::zero_width_space_host(zero_width_space_host, "non-ASCII")]
#[case::cyrillic_look_alike_in_key(cyrillic_in_path, "non-ASCII")]
#[case::short_ip(short_ip, "is not the verification endpoint")]
#[case::hex_ip(hex_ip, "is not the verification endpoint")]
#[case::decimal_ip(decimal_ip, "is not the verification endpoint")]
#[case::mapped_ipv6(mapped_ipv6, "is not the verification endpoint")]
#[case::trailing_dot(trailing_dot, "is not the verification endpoint")]
#[case::upper_case_scheme(upper_scheme, "must use http://")]
#[case::over_long(over_long, "longer than 8192 characters")]
#[case::extra_parameter(extra_parameter, "unexpected parameter `response-content-type`")]
#[case::version_id(version_id, "unexpected parameter `versionId`")]
#[case::repeated_parameter(repeated_parameter, "repeats `X-Amz-Expires`")]
#[case::other_operation(other_operation, "unexpected parameter `x-id`")]
#[case::newline_inside(newline_inside, "control characters")]
#[case::without_query(without_query, "no query string")]
#[case::sigv4_without_signature(sigv4_without_signature, "not a complete SigV4 or SigV2")]
#[case::sigv2_missing_signature(sigv2_missing_signature, "not a complete SigV4 or SigV2")]
#[case::sigv2_missing_expires(sigv2_missing_expires, "not a complete SigV4 or SigV2")]
#[tokio::test]
async fn altered_urls_are_refused_before_any_request(
    #[case] alter: fn(&str) -> String,
    #[case] why: &str,
) {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let st = start_for(&env, &alice).await;
    let url = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    let altered = alter(&url);
    assert_ne!(altered, url, "the alteration changed nothing");
    env.fake.clear_journal();
    let msg = refused(
        env.keeper
            .complete_verification(&alice.email, &altered)
            .await,
    );
    assert_contains(&msg, why);
    assert!(
        env.fake.journal().is_empty(),
        "something was fetched for {altered}"
    );
    assert_eq!(identity_user_id(&env.keeper, &alice.email).await, None);
    // Control: the unaltered URL verifies.
    verifies(&env, &alice.email, &url, &format!("unaltered {url}")).await;
}

/// A caller identity that names a user other than the signer: bob signs, but the key he was
/// given (from what he pasted) names another user id, account or name. S3's policy variables
/// follow the signer, so S3 refuses.
#[rstest]
#[case::someone_elses_user_id("user_id")]
#[case::another_account("account")]
#[case::another_username("username")]
#[tokio::test]
async fn a_forged_caller_identity_cannot_be_signed(#[case] forged: &str) {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let bob = support::person(&env, "bob").await;
    let (user_id, account, name) = match forged {
        "user_id" => (alice.user_id.as_str(), PEOPLE, "bob"),
        "account" => (bob.user_id.as_str(), "999988887777", "bob"),
        _ => (bob.user_id.as_str(), PEOPLE, "alice"),
    };
    let identity = serde_json::json!({
        "UserId": user_id,
        "Account": account,
        "Arn": format!("arn:aws:iam::{account}:user/{name}"),
    })
    .to_string();
    let st = start(&env.keeper, &bob.email, &identity).await;
    let url = support::presign(&bob.s3, &st.bucket, &st.key, 600).await;
    env.fake.clear_journal();
    let msg = not_verified(env.keeper.complete_verification(&bob.email, &url).await);
    assert_contains(&msg, "(403)");
    // Authenticated as bob, refused by the bucket policy; the unsigned URL was not fetched.
    assert_eq!(seen(&env), vec![(bob.arn.clone(), 403)]);
    assert_eq!(identity_user_id(&env.keeper, &bob.email).await, None);
}

/// SPEC §4.4: only the IAM user itself can sign a working URL. A principal of the platform's
/// own account (which owns the verification bucket) needs no bucket-policy grant: an identity
/// policy allowing `s3:GetObject`/`s3:ListBucket` suffices in AWS's same-account evaluation.
#[tokio::test]
async fn a_platform_account_user_cannot_sign_for_someone_else() {
    let env = support::env(Backend::Sqlite).await;
    let bob = support::person(&env, "bob").await;
    let eve = support::person(&env, "eve").await;
    let (_, creds) = match env.fake.create_user(PLATFORM, "insider", &[READER]) {
        Ok(u) => u,
        Err(e) => panic!("create_user: {e}"),
    };
    let insider = aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds));
    // Eve claims bob's IAM user; the insider signs the key she is given.
    let st = start(&env.keeper, &eve.email, &support::caller_identity(&bob)).await;
    let url = support::presign(&insider, &st.bucket, &st.key, 600).await;
    let msg = not_verified(env.keeper.complete_verification(&eve.email, &url).await);
    assert_contains(&msg, "(403)");
    assert_eq!(identity_user_id(&env.keeper, &eve.email).await, None);
}

#[rstest]
#[case::root(
    serde_json::json!({"UserId": PEOPLE, "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:root")}),
    "root user"
)]
#[case::assumed_role(
    serde_json::json!({"UserId": "AROAEXAMPLEROLEID0001:session", "Account": PEOPLE, "Arn": format!("arn:aws:sts::{PEOPLE}:assumed-role/admin/session")}),
    "role session (`arn:aws:sts::444455556666:assumed-role/admin/session`)"
)]
#[case::role(
    serde_json::json!({"UserId": "AROAEXAMPLEROLEID0001", "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:role/admin")}),
    "is not an IAM user"
)]
#[case::federated_user(
    serde_json::json!({"UserId": format!("{PEOPLE}:bob"), "Account": PEOPLE, "Arn": format!("arn:aws:sts::{PEOPLE}:federated-user/bob")}),
    "is not an IAM user"
)]
#[case::group(
    serde_json::json!({"UserId": "AGPAEXAMPLEGROUP0001", "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:group/devs")}),
    "is not an IAM user"
)]
#[case::role_id_on_a_user_arn(
    serde_json::json!({"UserId": "AROAEXAMPLEROLEID0001", "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:user/bob")}),
    "is not an IAM user id"
)]
#[case::account_mismatch(
    serde_json::json!({"UserId": "AIDABOBEXAMPLE000001", "Account": "999988887777", "Arn": format!("arn:aws:iam::{PEOPLE}:user/bob")}),
    "does not match the account in the ARN"
)]
#[case::china_partition(
    serde_json::json!({"UserId": "AIDABOBEXAMPLE000001", "Account": PEOPLE, "Arn": format!("arn:aws-cn:iam::{PEOPLE}:user/bob")}),
    "is not an IAM user"
)]
#[case::missing_arn(
    serde_json::json!({"UserId": "AIDABOBEXAMPLE000001", "Account": PEOPLE}),
    "the `Arn` field is missing"
)]
#[case::not_json(serde_json::json!("aws sts get-caller-identity"), "not the JSON")]
#[tokio::test]
async fn caller_identities_that_are_not_iam_users_are_refused(
    #[case] pasted: serde_json::Value,
    #[case] why: &str,
) {
    let env = support::env(Backend::Sqlite).await;
    let bob = support::person(&env, "bob").await;
    let text = match pasted.as_str() {
        Some(s) => s.to_owned(),
        None => pasted.to_string(),
    };
    let msg = match env.keeper.start_verification(&bob.email, &text).await {
        Err(KeeperError::Verify(e)) => e.to_string(),
        other => panic!("expected a Verify refusal, got {other:?}"),
    };
    assert_contains(&msg, why);
    // Nothing is pending, so no URL can complete it.
    let m = conflict(
        env.keeper
            .complete_verification(&bob.email, "http://127.0.0.1:1/x?y")
            .await,
    );
    assert_contains(&m, "no verification is in progress");
}

#[tokio::test]
async fn an_over_long_caller_identity_is_refused() {
    let env = support::env(Backend::Sqlite).await;
    let bob = support::person(&env, "bob").await;
    let padded = format!("{}{}", support::caller_identity(&bob), " ".repeat(4096));
    match env.keeper.start_verification(&bob.email, &padded).await {
        Err(KeeperError::Invalid(m)) => assert_contains(&m, "longer than 4096 characters"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn an_iam_user_verified_by_someone_cannot_be_claimed_by_another_person() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let bob = support::person(&env, "bob").await;
    support::verify(&env, &alice).await;
    let msg = conflict(
        env.keeper
            .start_verification(&bob.email, &support::caller_identity(&alice))
            .await,
    );
    assert_contains(&msg, &alice.arn);
    assert_contains(&msg, "already verified by another person");
    // Nothing became pending for bob.
    let m = conflict(
        env.keeper
            .complete_verification(&bob.email, "http://127.0.0.1:1/x?y")
            .await,
    );
    assert_contains(&m, "no verification is in progress");
    // Alice may verify her own user again.
    support::verify(&env, &alice).await;
    assert_eq!(
        identity_user_id(&env.keeper, &alice.email).await,
        Some(alice.user_id.clone())
    );
    assert_eq!(identity_user_id(&env.keeper, &bob.email).await, None);
}

/// Two platform accounts both start with the same IAM user (neither verified yet); once one
/// completes, the other's completion is refused even with a URL the IAM user really signed.
#[tokio::test]
async fn the_second_person_to_complete_with_one_iam_user_gets_a_conflict() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let twin = "alice.twin@example.org";
    if let Err(e) = env.keeper.add_person(twin, "Alice again").await {
        panic!("{e}");
    }
    let first = start_for(&env, &alice).await;
    let second = start(&env.keeper, twin, &support::caller_identity(&alice)).await;
    let url1 = support::presign(&alice.s3, &first.bucket, &first.key, 600).await;
    let url2 = support::presign(&alice.s3, &second.bucket, &second.key, 600).await;
    verifies(&env, &alice.email, &url1, "first").await;
    let msg = conflict(env.keeper.complete_verification(twin, &url2).await);
    assert_contains(&msg, &alice.arn);
    assert_contains(&msg, "already verified by another person");
    assert_eq!(identity_user_id(&env.keeper, twin).await, None);
    assert_eq!(
        identity_user_id(&env.keeper, &alice.email).await,
        Some(alice.user_id.clone())
    );
}

/// Starting again replaces the pending verification: a URL for the earlier key is refused.
#[tokio::test]
async fn a_url_for_a_replaced_verification_is_refused() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let old = start_for(&env, &alice).await;
    let old_url = support::presign(&alice.s3, &old.bucket, &old.key, 600).await;
    let (user2, creds2) = match env.fake.create_user(PEOPLE, "alice-laptop", &[READER]) {
        Ok(u) => u,
        Err(e) => panic!("create_user: {e}"),
    };
    let laptop = Person {
        email: alice.email.clone(),
        name: "alice-laptop".to_owned(),
        user_id: user2.user_id.clone(),
        arn: user2.arn.clone(),
        s3: aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds2)),
    };
    let new = start_for(&env, &laptop).await;
    assert_ne!(old.key, new.key);
    env.fake.clear_journal();
    let msg = refused(
        env.keeper
            .complete_verification(&alice.email, &old_url)
            .await,
    );
    assert_contains(&msg, &format!("(`{}`)", new.key));
    assert!(env.fake.journal().is_empty());
    assert_eq!(identity_user_id(&env.keeper, &alice.email).await, None);
}

/// Verifying another IAM user replaces the identity; a failed attempt keeps the old one; the old
/// IAM user is then free for someone else.
#[tokio::test]
async fn verifying_another_iam_user_replaces_the_identity() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let bob = support::person(&env, "bob").await;
    support::verify(&env, &alice).await;
    let (user2, creds2) = match env.fake.create_user(PEOPLE, "alice-work", &[READER]) {
        Ok(u) => u,
        Err(e) => panic!("create_user: {e}"),
    };
    let work = Person {
        email: alice.email.clone(),
        name: "alice-work".to_owned(),
        user_id: user2.user_id.clone(),
        arn: user2.arn.clone(),
        s3: aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds2)),
    };
    // A failed attempt (the right key signed by the old user) leaves the old identity in place.
    let st = start_for(&env, &work).await;
    let wrong_signer = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    let msg = not_verified(
        env.keeper
            .complete_verification(&alice.email, &wrong_signer)
            .await,
    );
    assert_contains(&msg, &work.arn);
    assert_eq!(
        identity_user_id(&env.keeper, &alice.email).await,
        Some(alice.user_id.clone())
    );
    // The new user's own signature replaces the identity.
    let url = support::presign(&work.s3, &st.bucket, &st.key, 600).await;
    verifies(&env, &alice.email, &url, "new user").await;
    let identity = match env.keeper.person(&alice.email).await {
        Ok(p) => p.identity,
        Err(e) => panic!("{e}"),
    };
    let Some(identity) = identity else {
        panic!("no identity after verifying the new user");
    };
    assert_eq!(identity.user_id, user2.user_id);
    assert_eq!(identity.arn, user2.arn);
    assert_eq!(identity.username, "alice-work");
    assert_eq!(identity.account, PEOPLE);
    assert_eq!(identity.status, "verified");
    // The old IAM user no longer belongs to anyone: bob may start with it (no Conflict).
    if let Err(e) = env
        .keeper
        .start_verification(&bob.email, &support::caller_identity(&alice))
        .await
    {
        panic!("the released IAM user is still taken: {e:?}");
    }
}
