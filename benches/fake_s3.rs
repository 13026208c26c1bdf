//! fake-s3 speed: signature verification, start-up, and authenticated + authorized 1 KiB GET/PUT
//! throughput over loopback with keep-alive, side by side with a bare hyper server returning the
//! same bytes (the ceiling). Figures quoted in README come from `cargo bench --bench fake_s3`.
//!
//! Both servers run in this process on mimalloc, the allocator the `fake-s3` binary uses.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fake_s3::{authenticate, sigv4, Credentials, FakeAws, Iam, KeyOwner, RequestParts};
use http::{HeaderMap, HeaderValue, Method};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OWNER: &str = "111122223333";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn signed_get(creds: &Credentials, host: &str, path: &str, amz_date: &str) -> HeaderMap {
    let date = &amz_date[..8];
    let signed: Vec<String> = ["host", "x-amz-content-sha256", "x-amz-date"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let values = [
        ("host", host),
        ("x-amz-content-sha256", sigv4::EMPTY_SHA256),
        ("x-amz-date", amz_date),
    ];
    let creq = sigv4::canonical_request(
        "GET",
        path,
        "",
        &signed,
        |n| {
            values
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        },
        sigv4::EMPTY_SHA256,
    )
    .unwrap_or_default();
    let scope = format!("{date}/us-east-1/s3/aws4_request");
    let key = sigv4::signing_key(&creds.secret_access_key, date, "us-east-1", "s3");
    let sig = sigv4::signature(&key, &sigv4::string_to_sign(amz_date, &scope, &creq));
    let mut h = HeaderMap::new();
    for (k, v) in values {
        h.insert(
            k,
            HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}",
        creds.access_key_id
    );
    h.insert(
        "authorization",
        HeaderValue::from_str(&auth).unwrap_or_else(|e| panic!("{e}")),
    );
    h
}

fn bench_signature(c: &mut Criterion) {
    let mut iam = Iam::default();
    iam.add_account(OWNER).unwrap_or_else(|e| panic!("{e}"));
    let creds = Credentials {
        access_key_id: "AKIABENCH00000000001".into(),
        secret_access_key: "benchsecret".into(),
        session_token: None,
    };
    iam.add_key(
        &creds,
        KeyOwner::Root {
            account: OWNER.into(),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let amz_date = now.format(fmt).unwrap_or_default();
    let headers = signed_get(&creds, "127.0.0.1:9000", "/bucket/some/key.csv", &amz_date);
    let parts = RequestParts {
        method: &Method::GET,
        raw_path: "/bucket/some/key.csv",
        query: &fake_s3::Query::default(),
        headers: &headers,
        host_bucket: None,
    };
    let ok = authenticate(&parts, Bytes::new(), &iam, now, "us-east-1", "s3");
    assert!(ok.is_ok(), "{ok:?}");
    c.bench_function("sigv4: verify a GET's Authorization header", |b| {
        b.iter(|| authenticate(&parts, Bytes::new(), &iam, now, "us-east-1", "s3"))
    });
}

fn bench_startup(c: &mut Criterion) {
    let rt = runtime();
    c.bench_function(
        "start-up: in-process fake (bind, accept loop) and shut down",
        |b| {
            b.to_async(&rt).iter(|| async {
                let fake = FakeAws::builder()
                    .account(OWNER)
                    .start()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                fake.shutdown().await;
            })
        },
    );
}

/// A minimal keep-alive HTTP/1.1 client: one request at a time on one connection.
struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = s.set_nodelay(true);
        Conn {
            reader: BufReader::new(s),
        }
    }

    async fn send(&mut self, head: &str, body: &[u8]) -> u16 {
        let stream = self.reader.get_mut();
        stream
            .write_all(head.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if !body.is_empty() {
            stream
                .write_all(body)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut len = 0usize;
        loop {
            line.clear();
            self.reader
                .read_line(&mut line)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0u8; len];
        self.reader
            .read_exact(&mut buf)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        status
    }
}

/// Runs `per_conn` requests on each of `conns` connections; returns the elapsed time.
async fn hammer(
    addr: SocketAddr,
    conns: usize,
    per_conn: u64,
    head: Arc<String>,
    body: Arc<Vec<u8>>,
) -> Duration {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (head, body) = (Arc::clone(&head), Arc::clone(&body));
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            for _ in 0..per_conn {
                let status = c.send(&head, &body).await;
                assert!(status == 200 || status == 204, "status {status}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap_or_else(|e| panic!("{e}"));
    }
    start.elapsed()
}

async fn bare_hyper(payload: Bytes) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let payload = payload.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let payload = payload.clone();
                        async move {
                            use http_body_util::BodyExt;
                            let _ = req.into_body().collect().await;
                            Ok::<_, std::convert::Infallible>(http::Response::new(
                                http_body_util::Full::new(payload),
                            ))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn bench_throughput(c: &mut Criterion) {
    use aws_sdk_s3::presigning::PresigningConfig;
    let rt = runtime();
    let payload = Bytes::from(vec![b'x'; 1024]);
    let (fake, get_url, put_url) = rt.block_on(async {
        let fake = FakeAws::builder()
            .account(OWNER)
            .start()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let root = fake
            .root_credentials(OWNER)
            .unwrap_or_else(|e| panic!("{e}"));
        let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
        s3.create_bucket()
            .bucket("bench")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        s3.put_object()
            .bucket("bench")
            .key("obj-1k")
            .body(aws_sdk_s3::primitives::ByteStream::from(payload.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let cfg = PresigningConfig::expires_in(Duration::from_secs(3600))
            .unwrap_or_else(|e| panic!("{e}"));
        let get = s3
            .get_object()
            .bucket("bench")
            .key("obj-1k")
            .presigned(cfg.clone())
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let put = s3
            .put_object()
            .bucket("bench")
            .key("put-1k")
            .presigned(cfg)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        (fake, get.uri().to_owned(), put.uri().to_owned())
    });
    let bare = rt.block_on(bare_hyper(payload.clone()));
    let fake_addr = fake.addr();
    let path_of = |url: &str| {
        let uri: http::Uri = url.parse().unwrap_or_else(|e| panic!("{e}"));
        (
            uri.authority().map(|a| a.to_string()).unwrap_or_default(),
            uri.path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        )
    };
    let (host, get_pq) = path_of(&get_url);
    let (_, put_pq) = path_of(&put_url);
    let get_head = Arc::new(format!("GET {get_pq} HTTP/1.1\r\nHost: {host}\r\n\r\n"));
    let put_head = Arc::new(format!(
        "PUT {put_pq} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1024\r\n\r\n"
    ));
    let no_body = Arc::new(Vec::new());
    let put_body = Arc::new(payload.to_vec());
    const CONNS: usize = 8;
    const PER_CONN: u64 = 250;
    let mut g = c.benchmark_group("1 KiB over loopback, 8 keep-alive connections");
    g.throughput(Throughput::Elements(CONNS as u64 * PER_CONN));
    g.sample_size(20);
    g.bench_function("GET: fake-s3 (presigned SigV4, authorized)", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let head = Arc::clone(&get_head);
            let body = Arc::clone(&no_body);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += hammer(
                        fake_addr,
                        CONNS,
                        PER_CONN,
                        Arc::clone(&head),
                        Arc::clone(&body),
                    )
                    .await;
                }
                total
            }
        })
    });
    g.bench_function("GET: bare hyper, same bytes (ceiling)", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let head = Arc::new(format!("GET /x HTTP/1.1\r\nHost: {bare}\r\n\r\n"));
            let body = Arc::clone(&no_body);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total +=
                        hammer(bare, CONNS, PER_CONN, Arc::clone(&head), Arc::clone(&body)).await;
                }
                total
            }
        })
    });
    g.bench_function("PUT: fake-s3 (presigned SigV4, authorized)", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let head = Arc::clone(&put_head);
            let body = Arc::clone(&put_body);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += hammer(
                        fake_addr,
                        CONNS,
                        PER_CONN,
                        Arc::clone(&head),
                        Arc::clone(&body),
                    )
                    .await;
                }
                total
            }
        })
    });
    g.bench_function("PUT: bare hyper (ceiling)", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let head = Arc::new(format!(
                "PUT /x HTTP/1.1\r\nHost: {bare}\r\nContent-Length: 1024\r\n\r\n"
            ));
            let body = Arc::clone(&put_body);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total +=
                        hammer(bare, CONNS, PER_CONN, Arc::clone(&head), Arc::clone(&body)).await;
                }
                total
            }
        })
    });
    g.finish();
    drop(fake);
}

criterion_group!(benches, bench_signature, bench_startup, bench_throughput);
criterion_main!(benches);
