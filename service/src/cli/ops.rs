//! The service's own commands: `setup`, `serve`, `iam-policy`, `reconcile` and `audit`.

use std::time::Duration;

use super::args::{ServeArgs, ServiceOnly};
use super::output::{keeper, print_json};
use crate::error::KeeperError;
use crate::keeper::AuditFilter;
use crate::runtime::{self, ServiceArgs};

pub(super) async fn setup(a: ServiceOnly) -> Result<(), KeeperError> {
    let rt = keeper(&a.service).await?;
    for line in rt.keeper.setup().await? {
        println!("{line}");
    }
    Ok(())
}

pub(super) async fn serve(a: ServeArgs) -> Result<(), KeeperError> {
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

pub(super) fn iam_policy(service: ServiceArgs) -> Result<(), KeeperError> {
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

pub(super) async fn reconcile(service: ServiceArgs, json: bool) -> Result<(), KeeperError> {
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

pub(super) async fn audit(
    service: ServiceArgs,
    person: Option<String>,
    dataset: Option<String>,
    action: Option<String>,
    limit: i64,
    json: bool,
) -> Result<(), KeeperError> {
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
