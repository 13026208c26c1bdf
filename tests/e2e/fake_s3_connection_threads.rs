//! A fake whose connections are served on threads of their own (`connection_threads`, the
//! `fake-s3` binary's shape): every connection is answered whichever thread it lands on, and the
//! caller's runtime may be single-threaded. In either shape, shutdown lets a request in flight
//! finish and closes idle keep-alive connections.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use fake_s3::{FakeAws, FaultConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const OWNER: &str = "111122223333";

async fn started(threads: usize) -> (fake_s3::FakeAwsHandle, aws_sdk_s3::Client) {
    let builder = FakeAws::builder().connection_threads(threads);
    crate::support::fake_from_with_bucket(builder, &[OWNER], "threads").await
}

/// A new connection to the fake that has sent `bytes`.
async fn sent(fake: &fake_s3::FakeAwsHandle, bytes: &[u8]) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(fake.addr())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(bytes)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stream
}

/// Reads one HTTP/1.1 response with a `Content-Length` body from a keep-alive connection.
async fn read_response(stream: &mut tokio::net::TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return text;
            }
        }
        let n = stream
            .read(&mut buf)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(n > 0, "the connection closed mid-response: {text}");
        got.extend_from_slice(&buf[..n]);
    }
}

// `#[tokio::test]` runs the test on a single-threaded runtime: the connections are served
// elsewhere, so a request awaited here still gets its answer.
#[tokio::test]
async fn many_concurrent_connections_are_all_answered() {
    let (fake, s3) = started(3).await;
    let mut puts = tokio::task::JoinSet::new();
    for i in 0..24 {
        let put = s3
            .put_object()
            .bucket("threads")
            .key(format!("k{i}"))
            .body(ByteStream::from(format!("body {i}").into_bytes()));
        puts.spawn(async move { put.send().await.map(drop).map_err(|e| format!("{e:?}")) });
    }
    while let Some(r) = puts.join_next().await {
        assert_eq!(r.unwrap_or_else(|e| panic!("{e}")), Ok(()));
    }
    let mut gets = tokio::task::JoinSet::new();
    for i in 0..24 {
        let get = s3.get_object().bucket("threads").key(format!("k{i}"));
        gets.spawn(async move { (i, get.send().await) });
    }
    while let Some(r) = gets.join_next().await {
        let (i, got) = r.unwrap_or_else(|e| panic!("{e}"));
        let body = crate::support::object_bytes(got).await;
        assert_eq!(body.as_ref(), format!("body {i}").as_bytes());
    }
    // Raw keep-alive connections, more than there are threads, each asked twice.
    let mut conns = Vec::new();
    for _ in 0..7 {
        conns.push(
            tokio::net::TcpStream::connect(fake.addr())
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    for round in 0..2 {
        for c in &mut conns {
            c.write_all(b"GET /threads/k1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        for c in &mut conns {
            let response = read_response(c).await;
            // Unsigned: refused, by the fake, on this connection, in round `round`.
            assert!(
                response.starts_with("HTTP/1.1 403"),
                "round {round}: {response}"
            );
            assert!(response.contains("AccessDenied"), "{response}");
        }
    }
    // 1 CreateBucket + 48 SDK requests + 14 raw ones, each journaled once.
    assert_eq!(fake.journal().len(), 63);
    fake.shutdown().await;
}

// A blocking client on the test's only runtime thread, on a connection the fake has already
// accepted (accepting is done on the caller's runtime): answered only because the fake serves
// its connections elsewhere. With `connection_threads(0)` the request would wait for this
// blocked thread, and the read below time out.
#[tokio::test]
async fn a_connection_is_served_off_the_callers_runtime() {
    use std::io::{Read, Write};
    let (fake, _s3) = started(2).await;
    let mut stream = sent(&fake, b"GET /threads/k HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await;
    read_response(&mut stream).await;
    let mut blocking = stream.into_std().unwrap_or_else(|e| panic!("{e}"));
    blocking
        .set_nonblocking(false)
        .unwrap_or_else(|e| panic!("{e}"));
    blocking
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap_or_else(|e| panic!("{e}"));
    blocking
        .write_all(b"GET /threads/k HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    let read = blocking.read_to_string(&mut response);
    assert!(read.is_ok(), "{read:?}");
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    fake.shutdown().await;
}

// On connection threads (the binary's shape) and on the caller's runtime (in-process use, 0).
#[rstest::rstest]
#[case::connection_threads(2)]
#[case::shared_runtime(0)]
#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_closes_idle_connections(
    #[case] threads: usize,
) {
    let (fake, s3) = started(threads).await;
    s3.put_object()
        .bucket("threads")
        .key("k")
        .body(ByteStream::from_static(b"kept"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut idle = sent(&fake, b"GET /threads/k HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await;
    read_response(&mut idle).await;
    fake.faults(FaultConfig {
        latency: Duration::from_millis(700),
        ..FaultConfig::default()
    });
    let slow = tokio::spawn(async move {
        s3.get_object()
            .bucket("threads")
            .key("k")
            .send()
            .await
            .map(|o| o.content_length())
            .map_err(|e| format!("{e:?}"))
    });
    // The request is in the fake's injected delay when shutdown starts (were it not there yet,
    // it would find the fake gone and fail below).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    fake.shutdown().await;
    // What was left of the delay, about 500 ms, within the second's grace.
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "shutdown did not wait: {:?}",
        started.elapsed()
    );
    let answered = slow.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered, Ok(Some(4)));
    // The idle keep-alive connection was closed, not left open.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(0))), "{read:?}");
}

// A client that starts a request and never finishes it, or never reads a large answer, holds
// the shutdown up for the grace of a second, not for ever.
#[rstest::rstest]
#[case::connection_threads(2)]
#[case::shared_runtime(0)]
#[tokio::test]
async fn a_stalled_client_cannot_hold_shutdown_up(#[case] threads: usize) {
    let (fake, s3) = started(threads).await;
    s3.put_object()
        .bucket("threads")
        .key("large")
        .body(ByteStream::from(vec![b'x'; 8 << 20]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut half_head = sent(&fake, b"GET /threads/k HTTP/1.1\r\nHo").await;
    // An 8 MiB answer that is never read: more than the socket buffers hold.
    let presigned = s3
        .get_object()
        .bucket("threads")
        .key("large")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let uri: http::Uri = presigned.uri().parse().unwrap_or_else(|e| panic!("{e}"));
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let host = uri.authority().map_or("", |a| a.as_str());
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let mut unread = sent(&fake, request.as_bytes()).await;
    // Both requests reach the fake before it is told to stop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let stopped = tokio::time::timeout(Duration::from_secs(10), fake.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown still waiting after 10 s");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the grace was not given: {:?}",
        started.elapsed()
    );
    // Both connections were closed.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), half_head.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(_))), "{read:?}");
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), unread.read_to_end(&mut got)).await;
    assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "{read:?}");
    assert!(
        got.len() < 8 << 20,
        "the whole answer was sent: {}",
        got.len()
    );
}
