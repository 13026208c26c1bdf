//! `fake-s3`: the standalone server for clients in other languages (SPEC §3.1; the flags and the
//! configuration file are an external contract).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use fake_s3::{Config, FakeAws};

// fake-s3 allocates per request; glibc's malloc cost a third of its throughput (README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An offline S3, S3 Control and STS server that enforces policies the way AWS does.
///
/// Without --config it starts with one account (111122223333) whose root user has the key pair it
/// prints as `export` lines. Every request is logged (operation, principal, decision) at info.
#[derive(Debug, Parser)]
#[command(name = "fake-s3", version)]
struct Args {
    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Configuration file (JSON): accounts, users, roles, keys, policies, buckets.
    #[arg(long)]
    config: Option<PathBuf>,
    /// `hard` refuses what policy refuses, as AWS does; `soft` serves it and journals the refusal
    /// (marked soft). Overrides the configuration's `enforcement`.
    #[arg(long, value_name = "hard|soft")]
    enforcement: Option<fake_s3::Enforcement>,
}

/// Where the log lines go: standard error, written at once when requests are sparse and in
/// batches under load. tracing formats each line into a buffer and hands it over with one call,
/// which appends it to a shared buffer under a lock held for a copy; the buffer is written when
/// the last write is at least a millisecond old (so a lone request's line is on stderr before its
/// response leaves) or past 64 KiB, and a thread of ours writes what a burst left every 20 ms. A
/// `write` per line was about a tenth of the server's time under `scripts/bench-fake-get.sh`, and
/// std's stderr, which also takes a process-wide lock around each write, cost a futex call per
/// request with two worker threads (`strace -c`). What is pending is written at shutdown
/// (Ctrl-C or SIGTERM).
#[derive(Debug)]
struct BatchedLog {
    pending: std::sync::Mutex<Pending>,
    out: std::fs::File,
}

#[derive(Debug)]
struct Pending {
    bytes: Vec<u8>,
    last_write: std::time::Instant,
}

/// A batch is written at once past this size.
const LOG_BATCH_BYTES: usize = 64 * 1024;
/// Lines closer together than this are batched.
const LOG_BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(1);

impl BatchedLog {
    fn stderr() -> Option<std::sync::Arc<Self>> {
        use std::os::fd::AsFd;
        let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
        Some(std::sync::Arc::new(BatchedLog {
            pending: std::sync::Mutex::new(Pending {
                bytes: Vec::with_capacity(LOG_BATCH_BYTES),
                last_write: std::time::Instant::now(),
            }),
            out: std::fs::File::from(fd),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the pending bytes out when `due` says so (always when `force`).
    fn take(pending: &mut Pending, force: bool) -> Option<Vec<u8>> {
        let now = std::time::Instant::now();
        let due = force
            || pending.bytes.len() >= LOG_BATCH_BYTES
            || now.duration_since(pending.last_write) >= LOG_BATCH_WINDOW;
        if !due || pending.bytes.is_empty() {
            return None;
        }
        pending.last_write = now;
        Some(std::mem::replace(
            &mut pending.bytes,
            Vec::with_capacity(LOG_BATCH_BYTES),
        ))
    }

    fn write_out(&self, batch: Option<Vec<u8>>) {
        if let Some(batch) = batch {
            let _ = std::io::Write::write_all(&mut &self.out, &batch);
        }
    }

    /// Writes whatever is pending.
    fn flush_pending(&self) {
        let batch = Self::take(&mut self.lock(), true);
        self.write_out(batch);
    }

    /// Writes what a burst left behind, every 20 ms, for as long as the process lives.
    fn spawn_flusher(self: &std::sync::Arc<Self>) {
        let log = std::sync::Arc::clone(self);
        let _ = std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_millis(20));
                log.flush_pending();
            });
    }
}

impl std::io::Write for &BatchedLog {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let batch = {
            let mut pending = self.lock();
            pending.bytes.extend_from_slice(line);
            BatchedLog::take(&mut pending, false)
        };
        self.write_out(batch);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Waits for Ctrl-C or SIGTERM (how test harnesses stop the server).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("error: cannot wait for Ctrl-C");
        std::future::pending::<()>().await;
    }
}

const DEFAULT_ACCOUNT: &str = "111122223333";
const DEFAULT_KEY: &str = "AKIAFAKES3ADMIN00001";
const DEFAULT_SECRET: &str = "fake-s3-admin-secret";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let log = BatchedLog::stderr();
    let writer = match &log {
        Some(log) => {
            log.spawn_flusher();
            tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::sync::Arc::clone(log))
        }
        None => tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let (config, defaulted) = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(c) => (c, false),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => {
            let text = format!(
                r#"{{"accounts": [{{"id": "{DEFAULT_ACCOUNT}", "root_keys": [{{"access_key_id": "{DEFAULT_KEY}", "secret_access_key": "{DEFAULT_SECRET}"}}]}}]}}"#
            );
            match Config::parse(&text) {
                Ok(c) => (c, true),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let region = config.region.clone();
    let mut builder = match FakeAws::builder().config(&config) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(enforcement) = args.enforcement {
        builder = builder.enforcement(enforcement);
    }
    let handle = match builder
        .start_on(SocketAddr::new(args.host, args.port))
        .await
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let endpoint = handle.endpoint();
    println!("fake-s3 listening on {endpoint} (region {region})");
    if defaulted {
        println!("export AWS_ACCESS_KEY_ID={DEFAULT_KEY}");
        println!("export AWS_SECRET_ACCESS_KEY={DEFAULT_SECRET}");
    }
    println!("export AWS_DEFAULT_REGION={region}");
    println!("export AWS_ENDPOINT_URL={endpoint}");
    let ip = handle.addr().ip();
    println!(
        "# access points and S3 Control use host names like NAME-ACCOUNT.{ip} and ACCOUNT.{ip}; to reach them without /etc/hosts,"
    );
    println!("# route clients through the fake itself, which accepts proxy requests:");
    println!("# export HTTP_PROXY={endpoint} NO_PROXY=");
    stop_signal().await;
    handle.shutdown().await;
    if let Some(log) = &log {
        log.flush_pending();
    }
    ExitCode::SUCCESS
}
