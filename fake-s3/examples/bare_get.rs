//! The ceiling for `scripts/bench-fake-get.sh`: a bare hyper server that answers every request
//! with the same 1 KiB body (reading and dropping any request body), on the same runtime, server
//! settings and allocator as the `fake-s3` binary (tokio multi-thread with 2 workers, hyper http1
//! with keep-alive and `TCP_NODELAY`, mimalloc), so the ratio of the two rates is the cost of
//! fake-s3's own work per request.
//!
//! `cargo run --release -p fake-s3 --example bare_get -- [PORT]` prints `listening on http://127.0.0.1:PORT`.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("error: the port: {e}");
            return std::process::ExitCode::from(2);
        }
    };
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
