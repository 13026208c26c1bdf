//! `s3keeper dataset …`, `agree`, `grant`, `revoke` and `access` (SPEC §5): datasets and the
//! access points that carry each person's grant.

use std::path::PathBuf;

use clap::Subcommand;

use super::args::{PersonDataset, ServiceOnly};
use super::output::{keeper, print_json, Bar};
use crate::error::KeeperError;
use crate::keeper::{split_dataset, Kind};
use crate::runtime::ServiceArgs;

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

pub(super) async fn dataset(cmd: DatasetCommand) -> Result<(), KeeperError> {
    match cmd {
        DatasetCommand::Register {
            service,
            slug,
            version,
            kind,
            source,
        } => {
            let rt = keeper(&service).await?;
            let ds = rt
                .keeper
                .register_dataset(&slug, &version, Kind::parse(&kind)?, &source)
                .await?;
            print_json(&ds);
            Ok(())
        }
        DatasetCommand::Upload {
            service,
            slug,
            version,
        } => {
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
        DatasetCommand::List(a) => {
            let rt = keeper(&a.service).await?;
            print_json(&rt.keeper.datasets().await?);
            Ok(())
        }
    }
}

pub(super) async fn agree(a: PersonDataset) -> Result<(), KeeperError> {
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

pub(super) async fn grant(a: PersonDataset) -> Result<(), KeeperError> {
    let (slug, version) = dataset_arg(&a.dataset)?;
    let rt = keeper(&a.service).await?;
    print_access(&rt.keeper.grant(&a.email, &slug, &version).await?);
    Ok(())
}

pub(super) async fn revoke(a: PersonDataset) -> Result<(), KeeperError> {
    let (slug, version) = dataset_arg(&a.dataset)?;
    let rt = keeper(&a.service).await?;
    rt.keeper.revoke(&a.email, &slug, &version).await?;
    println!("{}'s access to {slug}/{version} is revoked.", a.email);
    Ok(())
}

pub(super) async fn access(a: PersonDataset) -> Result<(), KeeperError> {
    let (slug, version) = dataset_arg(&a.dataset)?;
    let rt = keeper(&a.service).await?;
    print_access(&rt.keeper.access(&a.email, &slug, &version).await?);
    Ok(())
}

fn print_access(a: &crate::keeper::Access) {
    println!("{} has access to {} ({}).", a.email, a.dataset, a.state);
    if !a.note.is_empty() {
        println!("note: {}", a.note);
    }
    println!("S3 URI:  {}", a.s3_uri);
    println!("command: {}", a.sync_command);
}

fn dataset_arg(label: &str) -> Result<(String, String), KeeperError> {
    let (s, v) = split_dataset(label)?;
    Ok((s.to_owned(), v.to_owned()))
}
