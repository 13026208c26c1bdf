//! The ceiling for `scripts/bench-fake-get.sh`: a bare hyper server that answers every request
//! with the same 1 KiB body (reading and dropping any request body), with the `fake-s3` binary's
//! server settings and allocator (hyper http1 with keep-alive and `TCP_NODELAY`, mimalloc) on the
//! runtime `#[tokio::main]` gives a server: multi-threaded, a worker per core. The ratio of the
//! two rates is the cost of fake-s3's own work per request. Other shapes of this server measured
//! otherwise (docs/benchmarks.md): the `fake-s3` binary's own (a single-threaded runtime per
//! connection thread) slower, a single worker faster (wrk then has a core to itself).
//!
//! `cargo run --release -p fake-s3 --example bare_get -- [PORT] [WORKERS]` prints
//! `listening on http://127.0.0.1:PORT`; WORKERS (default: one per core) is for trying other
//! shapes by hand.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u16>());
    let (port, workers) = match (args.next(), args.next()) {
        (Some(Err(e)), _) | (_, Some(Err(e))) => {
            eprintln!("error: usage: bare_get [PORT] [WORKERS]: {e}");
            return std::process::ExitCode::from(2);
        }
        (port, workers) => (
            port.and_then(Result::ok).unwrap_or(0),
            workers.and_then(Result::ok).map(usize::from),
        ),
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers.filter(|n| *n > 0) {
        runtime.worker_threads(n);
    }
    match runtime.enable_all().build() {
        Ok(r) => r.block_on(serve(port)),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

async fn serve(port: u16) -> std::process::ExitCode {
    let listener =
        match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen: {e}");
                return std::process::ExitCode::from(1);
            }
        };
    match listener.local_addr() {
        Ok(a) => println!("listening on http://{a}"),
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(1);
        }
    }
    let payload = Bytes::from(vec![b'x'; 1024]);
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
                        let _ = req.into_body().collect().await;
                        Ok::<_, Infallible>(http::Response::new(Full::new(payload)))
                    }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
