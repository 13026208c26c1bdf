//! `s3keeper person …` and `s3keeper verify …` (SPEC §4): people, and proving which IAM user they
//! control.

use std::path::PathBuf;

use clap::Subcommand;

use super::output::{keeper, print_json, read_input};
use crate::error::KeeperError;
use crate::runtime::ServiceArgs;

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

pub(super) async fn person(cmd: PersonCommand) -> Result<(), KeeperError> {
    match cmd {
        PersonCommand::Add {
            service,
            email,
            name,
        } => {
            let rt = keeper(&service).await?;
            print_json(&rt.keeper.add_person(&email, &name).await?);
            Ok(())
        }
        PersonCommand::Show { service, email } => {
            let rt = keeper(&service).await?;
            print_json(&rt.keeper.person(&email).await?);
            Ok(())
        }
    }
}

pub(super) async fn verify(cmd: VerifyCommand) -> Result<(), KeeperError> {
    match cmd {
        VerifyCommand::Start {
            service,
            email,
            identity,
        } => {
            let text = read_input(&identity)?;
            let rt = keeper(&service).await?;
            let start = rt.keeper.start_verification(&email, &text).await?;
            println!("Run this with the IAM user's credentials and paste the URL it prints:\n");
            println!("{}", start.command);
            Ok(())
        }
        VerifyCommand::Finish {
            service,
            email,
            url,
        } => {
            let rt = keeper(&service).await?;
            let id = rt.keeper.complete_verification(&email, &url).await?;
            println!(
                "{email} is verified as {} (user id {}).",
                id.arn, id.user_id
            );
            Ok(())
        }
        VerifyCommand::Remove { service, email } => {
            let rt = keeper(&service).await?;
            rt.keeper.remove_identity(&email).await?;
            println!("{email}'s AWS identity is removed; their access points no longer name it.");
            Ok(())
        }
    }
}
