//! The fetcher against hostile or broken servers (wiremock and a raw TCP server): no redirect is
//! followed, no proxy is used, time and body size are limited, statuses are reported as they are.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rstest::rstest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{assert_contains, fetcher, not_verified, received, ACCESS_DENIED, NO_SUCH_KEY};

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
