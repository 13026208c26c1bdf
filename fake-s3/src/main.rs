//! `fake-s3`: the standalone server for clients in other languages (SPEC §3.1; the flags and the
//! configuration file are an external contract).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use fake_s3::{Config, FakeAws};

mod log_line;
mod log_sink;

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

fn main() -> ExitCode {
    let args = Args::parse();
    let sink = log_sink::LogSink::stderr();
    if let Err(e) = sink.start_writer() {
        eprintln!("error: cannot start the log writer: {e}");
        return ExitCode::from(1);
    }
    sink.flush_on_panic();
    // This runtime only accepts connections and waits for the stop signal: the connections are
    // served on threads of their own (`connection_threads`).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(serve(args, sink.clone()));
    // The requests still in flight have finished (or had their second, in `serve`) and logged
    // before the last batch is written.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    sink.flush();
    code
}

/// One connection thread more than there are cores: each connection's requests are served on
/// one thread, and the extra thread keeps a core busy while another waits to be woken. Measured
/// over loopback on 2 cores (docs/benchmarks.md): 2 threads 72,000–81,000 presigned GETs a
/// second, 3 threads 86,000–101,000, 4 and 6 79,000–84,000; the shared two-worker runtime it
/// replaced 65,000–69,000.
fn connection_threads() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get) + 1
}

/// An error that ends the server, after the lines logged before it.
fn fail(sink: &log_sink::LogSink, code: u8, e: impl std::fmt::Display) -> ExitCode {
    sink.flush();
    eprintln!("error: {e}");
    ExitCode::from(code)
}

async fn serve(args: Args, sink: log_sink::LogSink) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(sink.clone());
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        logs.with_ansi(true).init();
    } else {
        logs.with_ansi(false)
            .event_format(log_line::PlainLine)
            .init();
    }
    let (config, defaulted) = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(c) => (c, false),
            Err(e) => {
                return fail(&sink, 2, e);
            }
        },
        None => {
            let text = format!(
                r#"{{"accounts": [{{"id": "{DEFAULT_ACCOUNT}", "root_keys": [{{"access_key_id": "{DEFAULT_KEY}", "secret_access_key": "{DEFAULT_SECRET}"}}]}}]}}"#
            );
            match Config::parse(&text) {
                Ok(c) => (c, true),
                Err(e) => {
                    return fail(&sink, 2, e);
                }
            }
        }
    };
    let region = config.region.clone();
    let mut builder = match FakeAws::builder().config(&config) {
        Ok(b) => b,
        Err(e) => {
            return fail(&sink, 2, e);
        }
    };
    if let Some(enforcement) = args.enforcement {
        builder = builder.enforcement(enforcement);
    }
    builder = builder.connection_threads(connection_threads());
    let handle = match builder
        .start_on(SocketAddr::new(args.host, args.port))
        .await
    {
        Ok(h) => h,
        Err(e) => {
            return fail(&sink, 1, e);
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
    // Open connections finish the request they are in, within a second (the library's grace).
    handle.shutdown().await;
    ExitCode::SUCCESS
}
