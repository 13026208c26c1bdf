//! The service's commands (everything but `policy`): each builds a runtime, calls [`Keeper`] and
//! prints plain words, or JSON where the command says so. Exit codes: 0 done, 1 refused or failed
//! (the message says why), 2 bad configuration.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{
    ClientCommand, Command, DatasetCommand, PersonCommand, PushArgs, ServeArgs, UploadCommand,
    VerifyCommand,
};
use crate::error::KeeperError;
use crate::keeper::{
    split_dataset, AuditFilter, Kind, Progress, Ticket, TicketRequest, UploadMethod,
};
use crate::runtime::{self, ServiceArgs};

/// Logs go to standard error: plain text, coloured only when that is a terminal, or JSON lines
/// with `S3KEEPER_LOG_FORMAT=json` (for log collectors in staging and production).
fn init_logging(default: &str) -> Result<(), String> {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("S3KEEPER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let format = std::env::var("S3KEEPER_LOG_FORMAT").unwrap_or_default();
    let _ = match format.as_str() {
        "json" => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        "" | "text" => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        other => {
            return Err(format!(
                "S3KEEPER_LOG_FORMAT is `{other}`; it must be `text` or `json`"
            ))
        }
    };
    Ok(())
}

/// Runs a service command.
pub fn run(command: Command) -> ExitCode {
    if let Err(e) = init_logging(if matches!(command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    }) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(dispatch(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                KeeperError::Config(_) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: {e}"),
    }
}

pub(crate) async fn keeper(service: &ServiceArgs) -> Result<runtime::Runtime, KeeperError> {
    runtime::start(service, "cli").await
}

fn dataset_arg(label: &str) -> Result<(String, String), KeeperError> {
    let (s, v) = split_dataset(label)?;
    Ok((s.to_owned(), v.to_owned()))
}

async fn dispatch(command: Command) -> Result<(), KeeperError> {
    match command {
        Command::Policy(_) => Ok(()),
        Command::Demo {
            database_url,
            shares,
        } => {
            let mut print = |line: &str| println!("{line}");
            if shares {
                crate::demo_shares::run(database_url.as_deref(), &mut print).await
            } else {
                crate::demo::run(database_url.as_deref(), &mut print).await
            }
        }
        Command::Share(cmd) => crate::share_cmd::run(cmd).await,
        Command::Setup(a) => {
            let rt = keeper(&a.service).await?;
            for line in rt.keeper.setup().await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Serve(a) => serve(a).await,
        Command::Doctor { service, json } => {
            let report = crate::doctor::run(&service).await?;
            if json {
                print_json(&report);
            } else {
                print!("{}", crate::doctor::render(&report));
            }
            if report.ok() {
                Ok(())
            } else {
                Err(KeeperError::Conflict(
                    "the deployment is not ready; see the fixes above".to_owned(),
                ))
            }
        }
        Command::IamPolicy { service } => {
            for (what, name) in [
                ("verification", &service.verify_bucket),
                ("open", &service.open_bucket),
                ("controlled", &service.controlled_bucket),
            ] {
                if !crate::keeper::valid_bucket_name(name) {
                    return Err(KeeperError::Config(format!(
                        "the {what} bucket name `{name}` is not a valid S3 bucket name (3–63 lower-case letters, digits, dots and hyphens)"
                    )));
                }
            }
            crate::keeper::check_shared_buckets(&service.shared_buckets)?;
            if let Some(a) = service.account.as_deref() {
                if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(KeeperError::Config(format!(
                        "account `{a}` is not a 12-digit AWS account id"
                    )));
                }
            }
            let policy = crate::policies::service_identity_policy(
                crate::policies::ServiceBuckets {
                    verification: &service.verify_bucket,
                    open: &service.open_bucket,
                    controlled: &service.controlled_bucket,
                    uploads: &service.uploads_bucket,
                    shared: &service.shared_buckets,
                },
                service.region.as_deref().unwrap_or("*"),
                service.account.as_deref().unwrap_or("*"),
            );
            print_json(&policy);
            Ok(())
        }
        Command::Reconcile { service, json } => {
            let rt = keeper(&service).await?;
            let report = rt.keeper.reconcile().await?;
            if json {
                print_json(&report);
            } else {
                println!(
                    "{} access point(s) checked; {} difference(s) repaired; {} could not be repaired.",
                    report.access_points_checked,
                    report.drift.len(),
                    report.failures.len()
                );
                for d in &report.drift {
                    println!("repaired {}: {} -> {}", d.resource, d.found, d.action);
                }
                for d in &report.failures {
                    println!("FAILED {}: {} -> {}", d.resource, d.found, d.action);
                }
                for d in &report.share_drift {
                    println!(
                        "shared bucket {}: its policy was edited outside s3keeper (kept; `s3keeper share import {}` or a change with --adopt takes it over):\n{}",
                        d.bucket, d.bucket, d.diff
                    );
                }
            }
            if report.failures.is_empty() {
                Ok(())
            } else {
                Err(KeeperError::Conflict(format!(
                    "{} difference(s) remain; run reconcile again",
                    report.failures.len()
                )))
            }
        }
        Command::Person(PersonCommand::Add {
            service,
            email,
            name,
        }) => {
            let rt = keeper(&service).await?;
            print_json(&rt.keeper.add_person(&email, &name).await?);
            Ok(())
        }
        Command::Person(PersonCommand::Show { service, email }) => {
            let rt = keeper(&service).await?;
            print_json(&rt.keeper.person(&email).await?);
            Ok(())
        }
        Command::Verify(VerifyCommand::Start {
            service,
            email,
            identity,
        }) => {
            let text = read_input(&identity)?;
            let rt = keeper(&service).await?;
            let start = rt.keeper.start_verification(&email, &text).await?;
            println!("Run this with the IAM user's credentials and paste the URL it prints:\n");
            println!("{}", start.command);
            Ok(())
        }
        Command::Verify(VerifyCommand::Finish {
            service,
            email,
            url,
        }) => {
            let rt = keeper(&service).await?;
            let id = rt.keeper.complete_verification(&email, &url).await?;
            println!(
                "{email} is verified as {} (user id {}).",
                id.arn, id.user_id
            );
            Ok(())
        }
        Command::Verify(VerifyCommand::Remove { service, email }) => {
            let rt = keeper(&service).await?;
            rt.keeper.remove_identity(&email).await?;
            println!("{email}'s AWS identity is removed; their access points no longer name it.");
            Ok(())
        }
        Command::Dataset(DatasetCommand::Register {
            service,
            slug,
            version,
            kind,
            source,
        }) => {
            let rt = keeper(&service).await?;
            let ds = rt
                .keeper
                .register_dataset(&slug, &version, Kind::parse(&kind)?, &source)
                .await?;
            print_json(&ds);
            Ok(())
        }
        Command::Dataset(DatasetCommand::Upload {
            service,
            slug,
            version,
        }) => {
            let rt = keeper(&service).await?;
            let bar = Bar::new();
            let report = rt.keeper.upload(&slug, &version, &bar).await?;
            println!(
                "{} file(s) uploaded ({} bytes), {} unchanged; {} access point(s) brought up to date.",
                report.uploaded.len(),
                report.bytes_sent,
                report.unchanged.len(),
                report.access_points_applied
            );
            Ok(())
        }
        Command::Upload(cmd) => upload_command(cmd).await,
        Command::Client(cmd) => client_command(cmd).await,
        Command::Push(args) => push_command(args).await,
        Command::Dataset(DatasetCommand::List(a)) => {
            let rt = keeper(&a.service).await?;
            print_json(&rt.keeper.datasets().await?);
            Ok(())
        }
        Command::Agree(a) => {
            let (slug, version) = dataset_arg(&a.dataset)?;
            let rt = keeper(&a.service).await?;
            match rt.keeper.sign_agreement(&a.email, &slug, &version).await? {
                Some(access) => print_access(&access),
                None => println!(
                    "{} signed the agreement of {slug}/{version}; they are granted once their AWS identity is verified and they ask.",
                    a.email
                ),
            }
            Ok(())
        }
        Command::Grant(a) => {
            let (slug, version) = dataset_arg(&a.dataset)?;
            let rt = keeper(&a.service).await?;
            print_access(&rt.keeper.grant(&a.email, &slug, &version).await?);
            Ok(())
        }
        Command::Revoke(a) => {
            let (slug, version) = dataset_arg(&a.dataset)?;
            let rt = keeper(&a.service).await?;
            rt.keeper.revoke(&a.email, &slug, &version).await?;
            println!("{}'s access to {slug}/{version} is revoked.", a.email);
            Ok(())
        }
        Command::Access(a) => {
            let (slug, version) = dataset_arg(&a.dataset)?;
            let rt = keeper(&a.service).await?;
            print_access(&rt.keeper.access(&a.email, &slug, &version).await?);
            Ok(())
        }
        Command::Audit {
            service,
            person,
            dataset,
            action,
            limit,
            json,
        } => {
            let rt = keeper(&service).await?;
            let entries = rt
                .keeper
                .audit(&AuditFilter {
                    person,
                    dataset,
                    action,
                    after: None,
                    limit: Some(limit),
                })
                .await?;
            if json {
                print_json(&entries);
            } else {
                for e in entries {
                    let at = time::OffsetDateTime::from_unix_timestamp(e.at)
                        .ok()
                        .and_then(|t| {
                            t.format(&time::format_description::well_known::Rfc3339)
                                .ok()
                        })
                        .unwrap_or_default();
                    println!(
                        "{at} {:<8} {:<22} {} {} {}",
                        e.actor, e.action, e.person, e.dataset, e.detail
                    );
                }
            }
            Ok(())
        }
    }
}

fn print_access(a: &crate::keeper::Access) {
    println!("{} has access to {} ({}).", a.email, a.dataset, a.state);
    if !a.note.is_empty() {
        println!("note: {}", a.note);
    }
    println!("S3 URI:  {}", a.s3_uri);
    println!("command: {}", a.sync_command);
}

fn read_input(path: &std::path::Path) -> Result<String, KeeperError> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .map_err(|e| KeeperError::Io(format!("standard input: {e}")))?;
    } else {
        text = std::fs::read_to_string(path)
            .map_err(|e| KeeperError::Io(format!("{}: {e}", path.display())))?;
    }
    Ok(text)
}

async fn serve(a: ServeArgs) -> Result<(), KeeperError> {
    let rt = runtime::start(&a.service, "api").await?;
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .map_err(|e| KeeperError::Config(format!("cannot listen on {}: {e}", a.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| KeeperError::Config(e.to_string()))?;
    if a.api_token.is_none() {
        tracing::warn!("no --api-token: anyone who can reach {addr} can grant access; set one unless a proxy authenticates");
    }
    if a.service.source_root.is_none() {
        tracing::warn!("no --source-root: the API can register and publish any directory this process can read");
    }
    if let Some(fake) = &rt.fake {
        tracing::info!(endpoint = %fake.endpoint(), "embedded fake AWS (its state ends with this process)");
    }
    tracing::info!(%addr, "serving the S3 Keeper API; see /openapi.json");
    println!("listening on http://{addr}");
    if a.reconcile_every > 0 {
        rt.keeper
            .spawn_periodic_reconcile(Duration::from_secs(a.reconcile_every));
    }
    let app = crate::api::router(rt.keeper.clone(), a.api_token.clone());
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    crate::api::serve(listener, app, shutdown)
        .await
        .map_err(|e| KeeperError::Config(format!("server: {e}")))
}

/// A progress bar on standard error.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, files: usize, bytes: u64) {
        self.0.set_length(bytes);
        self.0.set_message(format!("uploading {files} file(s)"));
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

async fn upload_command(cmd: UploadCommand) -> Result<(), KeeperError> {
    match cmd {
        UploadCommand::Start {
            service,
            prefix,
            method,
            keys,
            expires,
            max_bytes,
            content_type,
            html,
        } => {
            let rt = keeper(&service).await?;
            let request = TicketRequest {
                prefix,
                method: UploadMethod::parse(&method)?,
                keys,
                expires_seconds: expires,
                max_bytes,
                content_type,
                opener: crate::keeper::Opener::Operator,
            };
            if html.is_some() && request.method != UploadMethod::Post {
                return Err(KeeperError::Invalid(
                    "--html is for `post` tickets (the page holds the form)".into(),
                ));
            }
            let ticket = rt.keeper.start_upload(&request).await?;
            if let Some(path) = html {
                std::fs::write(&path, crate::upload_page::render(&ticket))
                    .map_err(|e| KeeperError::Io(format!("{}: {e}", path.display())))?;
            }
            print_json(&ticket);
        }
        UploadCommand::Finish { service, id } => {
            let rt = keeper(&service).await?;
            print_json(&rt.keeper.end_upload(&id, false).await?);
        }
        UploadCommand::Cancel { service, id } => {
            let rt = keeper(&service).await?;
            print_json(&rt.keeper.end_upload(&id, true).await?);
        }
        UploadCommand::List(a) => {
            let rt = keeper(&a.service).await?;
            print_json(&rt.keeper.upload_tickets().await?);
        }
        UploadCommand::Show { service, id } => {
            let rt = keeper(&service).await?;
            print_json(&rt.keeper.upload_ticket(&id).await?);
        }
    }
    Ok(())
}

async fn client_command(cmd: ClientCommand) -> Result<(), KeeperError> {
    match cmd {
        ClientCommand::Add {
            service,
            name,
            prefixes,
            max_open,
            max_sessions,
        } => {
            let rt = keeper(&service).await?;
            let limits = crate::keeper::ClientLimits {
                max_open,
                max_sessions: max_sessions
                    .unwrap_or(crate::keeper::DEFAULT_MAX_SESSIONS.max(max_open)),
            };
            print_json(&rt.keeper.add_client_with(&name, &prefixes, limits).await?);
        }
        ClientCommand::List(a) => {
            let rt = keeper(&a.service).await?;
            print_json(&rt.keeper.clients().await?);
        }
        ClientCommand::Remove { service, name } => {
            let rt = keeper(&service).await?;
            rt.keeper.remove_client(&name).await?;
            println!("client {name} removed; its token no longer works");
        }
    }
    Ok(())
}

/// One call to the s3keeper API; its JSON answer, or the API's error as a refusal.
async fn api_call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, KeeperError> {
    let mut req = http.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req
        .send()
        .await
        .map_err(|e| KeeperError::Io(format!("{url}: {e}")))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| KeeperError::Io(format!("{url}: {e}")))?;
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        let message = json["message"].as_str().unwrap_or(text.as_str()).to_owned();
        return Err(match status.as_u16() {
            400 => KeeperError::Invalid(message),
            401 | 403 => KeeperError::Forbidden(message),
            404 => KeeperError::NotFound(message),
            409 => KeeperError::Conflict(message),
            _ => KeeperError::Io(format!("{url}: {status}: {message}")),
        });
    }
    Ok(json)
}

async fn push_command(args: PushArgs) -> Result<(), KeeperError> {
    let http = reqwest::Client::new();
    let server = args
        .server
        .as_deref()
        .map(|s| s.trim_end_matches('/').to_owned());
    let token = args.token.as_deref();
    let ticket: Ticket = match (&args.ticket, &server, &args.prefix) {
        (Some(path), _, _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| KeeperError::Io(format!("{}: {e}", path.display())))?;
            serde_json::from_str(&text).map_err(|e| {
                KeeperError::Invalid(format!("{}: not a ticket: {e}", path.display()))
            })?
        }
        (None, Some(server), Some(prefix)) => {
            let json = api_call(
                &http,
                reqwest::Method::POST,
                &format!("{server}/uploads"),
                token,
                Some(serde_json::json!({"prefix": prefix})),
            )
            .await?;
            serde_json::from_value(json)
                .map_err(|e| KeeperError::Invalid(format!("the server's ticket: {e}")))?
        }
        _ => {
            return Err(KeeperError::Invalid(
                "give --ticket TICKET.json, or --server URL --token T --prefix P".into(),
            ))
        }
    };
    // What is already there (with the server's help): skip unchanged files.
    let mut existing = std::collections::HashMap::new();
    if let Some(server) = &server {
        let json = api_call(
            &http,
            reqwest::Method::GET,
            &format!("{server}/uploads/{}", ticket.id),
            token,
            None,
        )
        .await?;
        for o in json["objects"].as_array().into_iter().flatten() {
            if let (Some(k), Some(size), Some(etag)) =
                (o["key"].as_str(), o["size"].as_u64(), o["etag"].as_str())
            {
                existing.insert(k.to_owned(), (size, etag.to_owned()));
            }
        }
    }
    let bar = Bar::new();
    let report = crate::push::push(&args.dir, &ticket, &existing, args.jobs, &bar).await?;
    for link in &report.links_not_followed {
        eprintln!("warning: {link} is a link outside the directory (or to nothing); not uploaded");
    }
    eprintln!(
        "{} file(s) uploaded ({} bytes), {} unchanged, {} retried attempt(s) to s3://{}/{}",
        report.uploaded.len(),
        report.bytes,
        report.skipped.len(),
        report.retries,
        ticket.bucket,
        ticket.prefix
    );
    match (&server, args.keep_open) {
        (Some(server), false) => {
            let json = api_call(
                &http,
                reqwest::Method::POST,
                &format!("{server}/uploads/{}/finish", ticket.id),
                token,
                None,
            )
            .await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        _ => print_json(&report),
    }
    Ok(())
}
