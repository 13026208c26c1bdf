//! Command-line interface. Exit codes follow one rule everywhere: 0 for an answer, 1 when the
//! answer is "no" (`validate` of an invalid policy, `lint` with error findings), 2 for input that
//! cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::policy_cmd;

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
    /// Find valid-but-dangerous patterns (codes S3K001…S3K007; see README).
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
    }
}
