//! Memory of the in-process fake (`cargo bench --bench fake_s3_memory`; prints the figures quoted
//! in README): the peak resident set size while one 1 GiB object is PUT (the client streams it
//! from a 1 MiB buffer, so the peak is the server's), and the resident set size after storing 1 GiB
//! in 1 MiB objects over loopback.

use std::time::{Duration, Instant};

use fake_s3::FakeAws;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// PUTs one `size`-byte object through a presigned URL, streaming it from a 1 MiB buffer.
async fn put_streamed(
    fake: &fake_s3::FakeAwsHandle,
    s3: &aws_sdk_s3::Client,
    key: &str,
    size: usize,
) {
    let url = s3
        .put_object()
        .bucket("mem")
        .key(key)
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(600))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let uri: http::Uri = url.uri().parse().unwrap_or_else(|e| panic!("{e}"));
    let stream = tokio::net::TcpStream::connect(fake.addr())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = BufReader::new(stream);
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {size}\r\n\r\n",
        uri.path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        uri.authority().map(|a| a.to_string()).unwrap_or_default(),
    );
    conn.get_mut()
        .write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let chunk = vec![b'g'; 1024 * 1024];
    let mut sent = 0;
    while sent < size {
        let n = chunk.len().min(size - sent);
        conn.get_mut()
            .write_all(&chunk[..n])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sent += n;
    }
    let mut line = String::new();
    conn.read_line(&mut line)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(line.contains(" 200 "), "{line}");
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent; only measure when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        // One 1 GiB PUT: the peak the server needs beyond the bytes it stores.
        {
            let baseline = status_kb("VmRSS:");
            let fake = FakeAws::builder().account("111122223333").start().await.unwrap_or_else(|e| panic!("{e}"));
            let root = fake.root_credentials("111122223333").unwrap_or_else(|e| panic!("{e}"));
            let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
            s3.create_bucket().bucket("mem").send().await.unwrap_or_else(|e| panic!("{e:?}"));
            let start = Instant::now();
            put_streamed(&fake, &s3, "one-gib", 1 << 30).await;
            let peak = status_kb("VmHWM:");
            let stored = fake.stored_bytes() as u64;
            let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
            println!(
                "one {:.0} MiB PUT in {:.2} s: peak RSS {:.0} MiB over a {:.0} MiB baseline, {:.0} MiB beyond the stored bytes",
                mib(stored),
                start.elapsed().as_secs_f64(),
                mib(peak),
                mib(baseline),
                mib(peak.saturating_sub(baseline).saturating_sub(stored))
            );
            fake.shutdown().await;
        }
        let before = rss_bytes();
        let fake = FakeAws::builder().account("111122223333").start().await.unwrap_or_else(|e| panic!("{e}"));
        let root = fake.root_credentials("111122223333").unwrap_or_else(|e| panic!("{e}"));
        let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
        s3.create_bucket().bucket("mem").send().await.unwrap_or_else(|e| panic!("{e:?}"));
        let stream = tokio::net::TcpStream::connect(fake.addr()).await.unwrap_or_else(|e| panic!("{e}"));
        let mut conn = BufReader::new(stream);
        let chunk = vec![b'm'; 1024 * 1024];
        let start = Instant::now();
        for i in 0..1024 {
            let url = s3
                .put_object()
                .bucket("mem")
                .key(format!("obj/{i:04}"))
                .presigned(
                    aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(600))
                        .unwrap_or_else(|e| panic!("{e}")),
                )
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
            let uri: http::Uri = url.uri().parse().unwrap_or_else(|e| panic!("{e}"));
            let head = format!(
                "PUT {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
                uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
                uri.authority().map(|a| a.to_string()).unwrap_or_default(),
                chunk.len()
            );
            conn.get_mut().write_all(head.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
            conn.get_mut().write_all(&chunk).await.unwrap_or_else(|e| panic!("{e}"));
            let mut line = String::new();
            conn.read_line(&mut line).await.unwrap_or_else(|e| panic!("{e}"));
            assert!(line.contains(" 200 "), "{line}");
            let mut len = 0;
            loop {
                line.clear();
                conn.read_line(&mut line).await.unwrap_or_else(|e| panic!("{e}"));
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut rest = vec![0u8; len];
            conn.read_exact(&mut rest).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let elapsed = start.elapsed();
        let stored = fake.stored_bytes() as u64;
        let after = rss_bytes();
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!("stored {:.0} MiB in 1024 objects in {:.2} s", mib(stored), elapsed.as_secs_f64());
        println!(
            "RSS before {:.0} MiB, after {:.0} MiB: {:.0} MiB for {:.0} MiB stored ({:+.1}% overhead)",
            mib(before),
            mib(after),
            mib(after - before),
            mib(stored),
            (after.saturating_sub(before) as f64 / stored as f64 - 1.0) * 100.0
        );
        fake.shutdown().await;
    });
}
