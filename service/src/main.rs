//! `s3keeper`: the S3 Keeper command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = s3keeper::cli::Cli::parse();
    s3keeper::cli::run(cli)
}
