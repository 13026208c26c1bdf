//! `s3keeper upload …`, `client …` and `push` (SPEC §6): upload tickets, the API clients that open
//! them, and a directory pushed with a ticket's form over plain HTTP ([`push`]); [`page`] is the
//! self-contained browser page of a ticket.

pub mod page;
pub mod push;

use std::path::PathBuf;

use clap::Subcommand;

use super::args::ServiceOnly;
use super::output::{keeper, print_json, Bar};
use crate::error::KeeperError;
use crate::keeper::{Ticket, TicketRequest, UploadMethod};
use crate::runtime::ServiceArgs;

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The directory to upload.
    pub dir: PathBuf,
    /// A ticket as `s3keeper upload start` printed it (JSON file).
    #[arg(long, conflicts_with = "prefix")]
    pub ticket: Option<PathBuf>,
    /// The s3keeper API (`https://keeper.example.org`).
    #[arg(long, env = "S3KEEPER_SERVER")]
    pub server: Option<String>,
    /// The API token (a client's or the admin's).
    #[arg(long, env = "S3KEEPER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// With `--server`: open a ticket for this prefix (it ends with `/`).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Uploads at once.
    #[arg(long, default_value_t = push::DEFAULT_JOBS)]
    pub jobs: usize,
    /// Do not finish the ticket at the end (with `--server`).
    #[arg(long)]
    pub keep_open: bool,
}

/// `s3keeper upload …`.
#[derive(Debug, Subcommand)]
pub enum UploadCommand {
    /// Open a ticket and print it as JSON: a POST form (`post`), presigned PUT URLs (`put`) or
    /// temporary credentials (`sts`), each confined to PREFIX of the uploads bucket.
    Start {
        #[command(flatten)]
        service: ServiceArgs,
        /// Keys start with this; it ends with `/` (`builds/1234/`).
        #[arg(long)]
        prefix: String,
        #[arg(long, default_value = "post", value_parser = ["post", "put", "sts"])]
        method: String,
        /// For `put`: a key (relative to the prefix) to presign; repeat for several.
        #[arg(long = "key")]
        keys: Vec<String>,
        /// Seconds the ticket lasts (60 to 43200).
        #[arg(long, default_value_t = 900)]
        expires: u32,
        /// For `post`: the largest object accepted, in bytes (default: 5 GiB).
        #[arg(long)]
        max_bytes: Option<u64>,
        /// For `post`: the Content-Type must start with this.
        #[arg(long)]
        content_type: Option<String>,
        /// For `post`: also write a self-contained HTML page with the form to this file, for
        /// uploads from a browser (its origin must be in `--upload-origins`).
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// List what was uploaded, close the ticket and revoke its URLs, form and credentials.
    Finish {
        #[command(flatten)]
        service: ServiceArgs,
        id: String,
    },
    /// Delete what was uploaded, close the ticket and revoke it.
    Cancel {
        #[command(flatten)]
        service: ServiceArgs,
        id: String,
    },
    /// Every ticket, newest first.
    List(ServiceOnly),
    /// One ticket with the objects under its prefix.
    Show {
        #[command(flatten)]
        service: ServiceArgs,
        id: String,
    },
}

/// `s3keeper client …`.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Add a client and print its API token (shown once; only its hash is stored).
    Add {
        #[command(flatten)]
        service: ServiceArgs,
        name: String,
        /// A prefix its tickets must lie under (`builds/docs/`); repeat for several.
        #[arg(long = "prefix", required = true)]
        prefixes: Vec<String>,
        /// How many tickets it may have open at once (each open ticket holds a place in the
        /// uploads bucket's revocation list until it ends or expires).
        #[arg(long, default_value_t = crate::keeper::DEFAULT_MAX_OPEN, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        max_open: i64,
        /// How many places it may hold in the uploads bucket's revocation list at once: open
        /// tickets, and ended ones until they expire (their sessions stay denied until then).
        /// Keep the clients' sum under the capacity `s3keeper doctor` shows. Default: 100, or
        /// --max-open if larger.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        max_sessions: Option<i64>,
    },
    /// List clients (never their tokens).
    List(ServiceOnly),
    /// Remove a client; its token stops working at once.
    Remove {
        #[command(flatten)]
        service: ServiceArgs,
        name: String,
    },
}

pub(super) async fn upload(cmd: UploadCommand) -> Result<(), KeeperError> {
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
                std::fs::write(&path, page::render(&ticket))
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

pub(super) async fn client(cmd: ClientCommand) -> Result<(), KeeperError> {
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

pub(super) async fn push_command(args: PushArgs) -> Result<(), KeeperError> {
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
    let report = push::push(&args.dir, &ticket, &existing, args.jobs, &bar).await?;
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
