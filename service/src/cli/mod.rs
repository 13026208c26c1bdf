//! Command-line interface, thin over [`crate::keeper::Keeper`]: [`Cli`] and the dispatch here, one
//! file per concern owning its clap subcommands and their commands ([`people`], [`datasets`],
//! [`uploads`], [`shares`], [`policy`], [`doctor`], [`demo`], and the service's own in `ops`), and
//! what they share in [`args`] and [`output`]. Exit codes follow one rule everywhere: 0 for an
//! answer, 1 when the answer is "no" (refused or failed, `validate` of an invalid policy, `lint`
//! with error findings; the message says why), 2 for input that cannot be read or bad
//! configuration.

pub mod args;
pub mod datasets;
pub mod demo;
pub mod doctor;
mod ops;
pub mod output;
pub mod people;
pub mod policy;
pub mod shares;
pub mod uploads;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::KeeperError;
use crate::runtime::ServiceArgs;
use args::{PersonDataset, ServeArgs, ServiceOnly};
use datasets::DatasetCommand;
use people::{PersonCommand, VerifyCommand};
use policy::PolicyCommand;
use shares::ShareCommand;
use uploads::{ClientCommand, PushArgs, UploadCommand};

#[derive(Debug, Parser)]
#[command(
    name = "s3keeper",
    version,
    about = "Per-person access to controlled S3 datasets, provably right"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide, validate and lint S3 bucket, access-point and identity policies offline.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the whole flow offline on an embedded fake AWS and SQLite, explaining each step.
    ///
    /// Two people verify their IAM users with signed URLs, a controlled dataset is published, one
    /// of them is granted and reads it through an access point while the other is refused, and
    /// after revocation the access is gone. Exits 1 if anything behaves differently.
    Demo {
        /// Use this database instead of an in-memory SQLite one.
        #[arg(long, env = "S3KEEPER_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
        /// Show shared buckets instead: the LTS guide's examples as role tables on a Ceph-dialect
        /// fake, a steward's hand edit caught and adopted, and who can do what.
        #[arg(long)]
        shares: bool,
    },
    /// Create the verification, open and controlled buckets with their policies (safe to repeat).
    Setup(ServiceOnly),
    /// Check a deployment: credentials, region, database, buckets, S3 Control, verification endpoint.
    ///
    /// Reads only. Prints a checklist with a fix for each failure; exits 0 only when every check
    /// passes.
    Doctor {
        #[command(flatten)]
        service: ServiceArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the IAM policy the service's credentials need (its buckets and access points only).
    ///
    /// Uses the bucket names, `--account` and `--region` given (`*` for an account or region not
    /// given); reaches nothing. `deploy/iam-policy.json` is this command's output for the defaults.
    IamPolicy {
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Serve the HTTP JSON API (see /openapi.json), with a periodic reconcile.
    Serve(ServeArgs),
    /// Bring AWS in line with the database and report every difference found.
    Reconcile {
        #[command(flatten)]
        service: ServiceArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add people and show what they have.
    #[command(subcommand)]
    Person(PersonCommand),
    /// Verify that a person controls an AWS IAM user (two steps), or forget it.
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// Register, upload and list datasets.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Record that a person signed a dataset's data use agreement (grants at once if verified).
    Agree(PersonDataset),
    /// Grant a person read access to a controlled dataset and print their S3 URI and command.
    Grant(PersonDataset),
    /// Remove a person's access to a dataset.
    Revoke(PersonDataset),
    /// Show a person's access to a dataset.
    Access(PersonDataset),
    /// Upload tickets: let a machine upload under one prefix without AWS credentials.
    #[command(subcommand)]
    Upload(UploadCommand),
    /// Upload every file under DIR with a ticket's POST form (plain HTTP, no AWS credentials).
    ///
    /// Either with a ticket (`--ticket TICKET.json`, as `upload start` printed it) or with the
    /// service's API (`--server URL --token T --prefix P`, which opens the ticket, skips files
    /// already uploaded unchanged, and finishes the ticket at the end). Keys are the prefix plus
    /// each file's relative path. Links are followed only inside DIR.
    Push(PushArgs),
    /// API clients that may open upload tickets under their prefixes with their own token.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Shared buckets: a role table per bucket (reader, writer, manager, steward) written as its
    /// bucket policy, hand edits never overwritten unnoticed, and who can do what.
    #[command(subcommand)]
    Share(ShareCommand),
    /// Read the audit log, oldest first.
    Audit {
        #[command(flatten)]
        service: ServiceArgs,
        #[arg(long)]
        person: Option<String>,
        /// `SLUG/VERSION`.
        #[arg(long)]
        dataset: Option<String>,
        /// `granted`, `revoked`, `identity-verified`, …
        #[arg(long)]
        action: Option<String>,
        /// At most this many of the latest entries.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Policy(cmd) => policy::run(cmd),
        other => run_service(other),
    }
}

/// Runs a service command (everything but `policy`) on an async runtime.
fn run_service(command: Command) -> ExitCode {
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

async fn dispatch(command: Command) -> Result<(), KeeperError> {
    match command {
        Command::Policy(_) => Ok(()),
        Command::Demo {
            database_url,
            shares,
        } => demo::command(database_url, shares).await,
        Command::Share(cmd) => shares::run(cmd).await,
        Command::Setup(a) => ops::setup(a).await,
        Command::Serve(a) => ops::serve(a).await,
        Command::Doctor { service, json } => doctor::command(service, json).await,
        Command::IamPolicy { service } => ops::iam_policy(service),
        Command::Reconcile { service, json } => ops::reconcile(service, json).await,
        Command::Person(cmd) => people::person(cmd).await,
        Command::Verify(cmd) => people::verify(cmd).await,
        Command::Dataset(cmd) => datasets::dataset(cmd).await,
        Command::Agree(a) => datasets::agree(a).await,
        Command::Grant(a) => datasets::grant(a).await,
        Command::Revoke(a) => datasets::revoke(a).await,
        Command::Access(a) => datasets::access(a).await,
        Command::Upload(cmd) => uploads::upload(cmd).await,
        Command::Client(cmd) => uploads::client(cmd).await,
        Command::Push(args) => uploads::push_command(args).await,
        Command::Audit {
            service,
            person,
            dataset,
            action,
            limit,
            json,
        } => ops::audit(service, person, dataset, action, limit, json).await,
    }
}
