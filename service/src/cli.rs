//! Command-line interface. Exit codes follow one rule everywhere: 0 for an answer, 1 when the
//! answer is "no" (`validate` of an invalid policy, `lint` with error findings), 2 for input that
//! cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::policy_cmd;
use crate::runtime::ServiceArgs;

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
    #[arg(long, default_value_t = crate::push::DEFAULT_JOBS)]
    pub jobs: usize,
    /// Do not finish the ticket at the end (with `--server`).
    #[arg(long)]
    pub keep_open: bool,
}

/// `s3keeper share …`.
#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Give USER a role on BUCKET (replacing the role they had under the same prefix) and write
    /// the bucket policy.
    ///
    /// reader: list and read; writer: also upload; manager: also delete; steward: manager on the
    /// whole bucket, and may read and change the bucket policy. USER is an IAM user ARN or an
    /// account id, or with `--dialect ceph` an RGW user name (`jane@uab.edu`, `TENANT$NAME`).
    /// Writers, managers and stewards may not set object ACLs (denied in the policy).
    /// Refuses, showing a diff, when the live policy was edited since s3keeper last wrote it.
    Grant {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        user: String,
        #[arg(long, value_parser = ["reader", "writer", "manager", "steward"])]
        role: String,
        /// Only under this key prefix (`data/`) or key pattern (`test_folder/*jpg`); listing is
        /// limited to its folder too, so a pattern needs a folder without wildcards.
        #[arg(long, default_value = "")]
        prefix: String,
        /// Keep a hand edit of the live policy (it is imported first) and apply the change.
        #[arg(long)]
        adopt: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take USER's role under PREFIX away, or without `--prefix` every role they have on BUCKET
    /// (and their name in statements kept from a hand-written policy). With `--dialect ceph`, a
    /// user left with no role becomes a former member, denied everything on BUCKET until `share
    /// forget`.
    Revoke {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        user: String,
        #[arg(long)]
        prefix: Option<String>,
        /// Keep a hand edit of the live policy (it is imported first) and apply the change.
        #[arg(long)]
        adopt: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove a former member (Ceph dialect): `revoke` leaves a revoked user denied everything on
    /// BUCKET, so nothing they uploaded (RGW makes them its owner) stays readable to them; forget
    /// lifts that Deny.
    Forget {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        user: String,
        /// Keep a hand edit of the live policy (it is imported first) and apply the change.
        #[arg(long)]
        adopt: bool,
        #[arg(long)]
        json: bool,
    },
    /// The role table, the former members, the statements kept verbatim, and the policy they
    /// render to.
    Show {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        #[arg(long)]
        json: bool,
    },
    /// Read BUCKET's live (hand-written) policy into a role table; statements it cannot express
    /// are kept verbatim. Writes nothing to S3.
    Import {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        #[arg(long)]
        json: bool,
    },
    /// Who can list, read, write, delete and change the policy, and where, decided on the live
    /// policy (hand edits included), with its lint findings and any Deny that locks the owner or
    /// s3keeper out.
    Report {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        #[arg(long)]
        json: bool,
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

#[derive(Debug, clap::Args)]
pub struct ServiceOnly {
    #[command(flatten)]
    pub service: ServiceArgs,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Address to listen on.
    #[arg(long, env = "S3KEEPER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Seconds between reconciles (0: never).
    #[arg(long, env = "S3KEEPER_RECONCILE_EVERY", default_value_t = 300)]
    pub reconcile_every: u64,
    /// Require `Authorization: Bearer TOKEN` on every request but /health and /openapi.json.
    #[arg(long, env = "S3KEEPER_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct PersonDataset {
    #[command(flatten)]
    pub service: ServiceArgs,
    pub email: String,
    /// `SLUG/VERSION`.
    pub dataset: String,
}

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Add a person (or change their name).
    Add {
        #[command(flatten)]
        service: ServiceArgs,
        email: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Show a person's identity, agreements and grants as JSON.
    Show {
        #[command(flatten)]
        service: ServiceArgs,
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Step 1: read `aws sts get-caller-identity`'s output and print the command to run.
    Start {
        #[command(flatten)]
        service: ServiceArgs,
        email: String,
        /// File with the JSON, or `-` for standard input.
        identity: PathBuf,
    },
    /// Step 2: check the signed URL `aws s3 presign` printed; verified when S3 agrees.
    Finish {
        #[command(flatten)]
        service: ServiceArgs,
        email: String,
        url: String,
    },
    /// Forget the person's AWS identity; their access points stop naming it.
    Remove {
        #[command(flatten)]
        service: ServiceArgs,
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Register a dataset whose files are in a local directory.
    Register {
        #[command(flatten)]
        service: ServiceArgs,
        slug: String,
        version: String,
        #[arg(long, value_parser = ["open", "controlled"])]
        kind: String,
        /// Directory holding the files.
        #[arg(long)]
        source: PathBuf,
    },
    /// Upload a dataset (unchanged files are skipped), with a progress bar.
    Upload {
        #[command(flatten)]
        service: ServiceArgs,
        slug: String,
        version: String,
    },
    /// List datasets as JSON.
    List(ServiceOnly),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Decide a request scenario (JSON) as AWS would: Allow, ExplicitDeny or ImplicitDeny.
    ///
    /// Prints JSON with `decision`, `summary`, `explanation` and `warnings`. Exits 0 for any
    /// decision and 2 when the scenario or one of its policies is malformed.
    Eval {
        /// Scenario file, or `-` for standard input.
        scenario: PathBuf,
        /// Print the explanation for people instead of JSON.
        #[arg(long)]
        explain: bool,
    },
    /// Check that a policy document is one AWS would accept.
    ///
    /// Exits 0 when valid, 1 when AWS would refuse it (the message names the statement and
    /// element), 2 when the file cannot be read.
    Validate {
        /// Policy file, or `-` for standard input.
        policy: PathBuf,
        #[arg(long, value_enum, default_value_t = KindArg::Auto)]
        kind: KindArg,
        /// Also check that every resource belongs to this bucket, as `PutBucketPolicy` does.
        #[arg(long, conflicts_with = "access_point_arn")]
        bucket: Option<String>,
        /// Also check that every resource belongs to this access point, as `PutAccessPointPolicy` does.
        #[arg(long)]
        access_point_arn: Option<String>,
    },
    /// Find valid-but-dangerous patterns (codes S3K001…S3K008; see README).
    ///
    /// Exits 0 when there are no error-severity findings, 1 when there are, 2 when the policy cannot
    /// be read or is invalid.
    Lint {
        /// Policy file, or `-` for standard input.
        policy: PathBuf,
        #[arg(long, value_enum, default_value_t = KindArg::Auto)]
        kind: KindArg,
        /// Print findings as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Which kind of policy a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Bucket or access-point policy when statements name principals, identity policy otherwise.
    Auto,
    Identity,
    Session,
    Bucket,
    AccessPoint,
    Trust,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Policy(cmd) => policy_cmd::run(cmd),
        other => crate::commands::run(other),
    }
}
