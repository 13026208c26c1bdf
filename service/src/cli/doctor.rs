//! `s3keeper doctor`: checks, against the configured endpoint, everything a deployment needs, and
//! says how to fix each failure. It only reads: no bucket, policy, access point or migration is
//! written. The AWS calls it makes are the read half of `s3keeper iam-policy`, so a deployment
//! holding exactly that policy passes.
//!
//! Checks, in order: region, credentials (STS `GetCallerIdentity`, which needs no permission:
//! <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>), database
//! and migrations, the three buckets (exist, policy as the service writes it, public access
//! block: all four flags on the controlled bucket, none that blocks the public policy of the
//! verification and open buckets), S3 Control (`ListAccessPoints`; its host name carries the
//! account id, the usual DNS/proxy trap), and the verification endpoint (an unsigned GET must be
//! refused with 403, as SPEC §4's check relies on, fetched directly as verification fetches are).

use serde::Serialize;

use super::output::print_json;
use crate::aws::Aws;
use crate::db::{Db, DEFAULT_URL};
use crate::error::KeeperError;
use crate::keeper::fetch::Fetcher;
use crate::keeper::verify::S3Endpoint;
use crate::keeper::Settings;
use crate::policies;
use crate::runtime::{self, ServiceArgs};

/// One line of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn pass(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fail(name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// A failed call: the error's line, and its hint (or `fix`) as the fix.
    fn failed(name: impl Into<String>, e: &KeeperError, fix: &str) -> Check {
        let (detail, hint) = match e {
            KeeperError::Aws(f) => (f.summary(), f.hint()),
            other => (other.to_string(), None),
        };
        Check::fail(name, detail, hint.unwrap_or_else(|| fix.to_owned()))
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where AWS requests go (`AWS` or the endpoint URL) and which proxy settings apply.
    pub endpoint: String,
    pub proxies: Vec<String>,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

fn plausible_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// The proxy variables in force, with any password hidden.
fn proxy_settings() -> Vec<String> {
    [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ]
    .iter()
    .filter_map(|k| {
        std::env::var(k)
            .ok()
            .map(|v| format!("{k}={}", crate::db::redact_url(&v)))
    })
    .collect()
}

/// Runs every check.
pub async fn run(args: &ServiceArgs) -> Result<Report, KeeperError> {
    if args.embedded {
        return Err(KeeperError::Config(
            "doctor checks a deployment: run it without --embedded, with the SDK settings the service uses".to_owned(),
        ));
    }
    let mut checks = Vec::new();
    let sdk = runtime::sdk_from_environment(args.region.as_deref()).await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "AWS".to_owned());

    // Region: from --region, else the SDK's settings, else the default.
    let region = sdk
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let source = if args.region.is_some() {
        "--region / S3KEEPER_REGION"
    } else if std::env::var("AWS_REGION").is_ok() || std::env::var("AWS_DEFAULT_REGION").is_ok() {
        "AWS_REGION"
    } else {
        "the SDK's profile, or the default us-east-1"
    };
    if plausible_region(&region) {
        checks.push(Check::pass("region", format!("{region} (from {source})")));
    } else {
        checks.push(Check::fail(
            "region",
            format!("`{region}` (from {source}) is not an AWS region name"),
            "set AWS_REGION or --region to the region of the buckets, such as us-east-1",
        ));
    }

    // Credentials.
    let probe = Aws::new(&sdk, args.account.as_deref().unwrap_or(""));
    let account = match probe.caller_identity().await {
        Ok((account, arn)) => match &args.account {
            Some(want) if *want != account => {
                checks.push(Check::fail(
                    "credentials",
                    format!("{arn} belongs to account {account}, but --account says {want}"),
                    "use the platform account's credentials, or correct --account (S3KEEPER_ACCOUNT)",
                ));
                None
            }
            _ => {
                let root = arn.ends_with(":root");
                checks.push(Check::pass(
                    "credentials",
                    if root {
                        format!("{arn} (account {account}); the account root works, but an IAM user or role holding `s3keeper iam-policy` is safer")
                    } else {
                        format!("{arn} (account {account})")
                    },
                ));
                Some(account)
            }
        },
        Err(e) => {
            checks.push(Check::failed(
                "credentials",
                &e,
                "set the platform's AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)",
            ));
            args.account.clone()
        }
    };

    checks.push(database_check(args).await);

    let Some(account) = account else {
        for name in ["buckets", "S3 Control", "verification endpoint"] {
            checks.push(Check::fail(
                name,
                "not checked: the credentials' account is not known",
                "fix the credentials first",
            ));
        }
        return Ok(Report {
            endpoint,
            proxies: proxy_settings(),
            checks,
        });
    };
    let mut settings = runtime::settings(args, &account, &region);
    let aws = Aws::new(&sdk, &account);
    for which in [Which::Verification, Which::Open, Which::Controlled] {
        checks.push(bucket_check(&aws, &settings, which).await);
    }
    checks.push(uploads_check(&aws, &settings).await);
    checks.push(upload_capacity_check(args, &aws, &settings).await);
    checks.push(
        match aws.list_access_points(&settings.controlled_bucket).await {
            Ok(names) => Check::pass(
                "S3 Control",
                format!(
                    "reachable; {} access point(s) on {}",
                    names.len(),
                    settings.controlled_bucket
                ),
            ),
            Err(e) => Check::failed("S3 Control", &e, "check the network and proxy settings"),
        },
    );
    match runtime::verify_endpoint(args) {
        Ok(endpoint) => {
            settings.verify_endpoint = endpoint;
            checks.push(verification_endpoint_check(&settings).await);
        }
        Err(e) => checks.push(Check::failed(
            "verification endpoint",
            &e,
            "set --verify-endpoint to http(s)://HOST[:PORT]",
        )),
    }
    Ok(Report {
        endpoint,
        proxies: proxy_settings(),
        checks,
    })
}

/// Whether `url` names an SQLite file that does not exist: doctor only looks, so such a file is
/// reported, never created.
fn missing_sqlite_file(url: &str) -> bool {
    url.strip_prefix("sqlite://")
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
        .is_some_and(|path| !std::path::Path::new(path).exists())
}

async fn database_check(args: &ServiceArgs) -> Check {
    let url = args.database_url.as_deref().unwrap_or(DEFAULT_URL);
    let shown = crate::db::redact_url(url);
    if missing_sqlite_file(url) {
        return Check::fail(
            "database",
            format!("{shown}: the SQLite file does not exist"),
            "run `s3keeper setup` with this --database-url (it creates and migrates the database), or correct S3KEEPER_DATABASE_URL",
        );
    }
    let db =
        match Db::open(url).await {
            Ok(db) => db,
            Err(e) => return Check::failed(
                "database",
                &e,
                "check --database-url (S3KEEPER_DATABASE_URL) and that the database server is up",
            ),
        };
    let check = match db.pending_migrations().await {
        Ok(pending) if pending.is_empty() => {
            Check::pass("database", format!("{shown}: reachable, schema up to date"))
        }
        Ok(pending) => Check::fail(
            "database",
            format!(
                "{shown}: reachable, {} migration(s) not applied ({})",
                pending.len(),
                pending.join(", ")
            ),
            "run `s3keeper setup` (every command but doctor applies migrations at start)",
        ),
        Err(e) => Check::failed("database", &e, "check the database user's permissions"),
    };
    db.pool.close().await;
    check
}

#[derive(Debug, Clone, Copy)]
enum Which {
    Verification,
    Open,
    Controlled,
}

async fn bucket_check(aws: &Aws, s: &Settings, which: Which) -> Check {
    let (label, bucket, region, expected) = match which {
        Which::Verification => (
            "verification bucket",
            &s.verify_bucket,
            "us-east-1",
            policies::verification_bucket(&s.verify_bucket, &s.site),
        ),
        Which::Open => (
            "open bucket",
            &s.open_bucket,
            s.region.as_str(),
            policies::open_bucket(&s.open_bucket),
        ),
        Which::Controlled => (
            "controlled bucket",
            &s.controlled_bucket,
            s.region.as_str(),
            policies::controlled_bucket(&s.controlled_bucket, &s.account),
        ),
    };
    let name = format!("{label} s3://{bucket}");
    let repair = "run `s3keeper setup` (it writes the policy and public access block again)";
    let current = match aws.get_bucket_policy(bucket, region).await {
        Ok(Some(p)) => p,
        Ok(None) => return Check::fail(name, "exists but has no bucket policy", repair),
        Err(e) => return Check::failed(name, &e, repair),
    };
    let same = match (
        serde_json::from_str::<serde_json::Value>(&current),
        serde_json::from_str::<serde_json::Value>(&expected),
    ) {
        (Ok(a), Ok(b)) => {
            let ident = |x: &str| x.to_owned();
            policies::canonical(&a, &ident) == policies::canonical(&b, &ident)
        }
        _ => false,
    };
    if !same {
        return Check::fail(
            name,
            "its bucket policy differs from the one the service writes (edited by hand, or other settings)",
            repair,
        );
    }
    let flags = match aws.public_access_block(bucket, region).await {
        Ok(f) => f,
        Err(e) => return Check::failed(name, &e, repair),
    };
    match which {
        Which::Controlled if !flags.all() => Check::fail(
            name,
            "not all four public access block flags are on",
            repair,
        ),
        Which::Verification | Which::Open if flags.blocks_public_policy() => Check::fail(
            name,
            "its public access block blocks the public grant its policy needs",
            repair,
        ),
        _ => Check::pass(name, "exists; policy and public access block as expected"),
    }
}

/// Where an unsigned verification URL points, for a key nobody has.
fn probe_url(s: &Settings) -> String {
    let key = format!("{}-verification/doctor-probe", s.site);
    match &s.verify_endpoint {
        S3Endpoint::Aws => format!("https://{}.s3.amazonaws.com/{key}", s.verify_bucket),
        S3Endpoint::Custom { scheme, host_port } => {
            format!("{scheme}://{host_port}/{}/{key}", s.verify_bucket)
        }
    }
}

async fn verification_endpoint_check(s: &Settings) -> Check {
    let url = probe_url(s);
    let name = "verification endpoint";
    let fetcher = match Fetcher::new(&s.fetch) {
        Ok(f) => f,
        Err(e) => return Check::failed(name, &e, "report this as a bug"),
    };
    match fetcher.status(&url).await {
        Ok(403) => Check::pass(
            name,
            format!("{url}: an unsigned request is refused (403), as verification needs"),
        ),
        Ok(status) => Check::fail(
            name,
            format!("{url}: an unsigned request got {status}, not 403"),
            "run `s3keeper setup` so the verification bucket exists with its policy",
        ),
        Err(e) => Check::failed(
            name,
            &e,
            "verification URLs are fetched directly, never through a proxy: allow direct HTTPS egress to the S3 host (or set --verify-endpoint)",
        ),
    }
}

/// The checklist as people read it.
pub fn render(report: &Report) -> String {
    let mut out = format!("AWS endpoint: {}\n", report.endpoint);
    if report.proxies.is_empty() {
        out.push_str("proxy: none (HTTPS_PROXY, HTTP_PROXY, NO_PROXY unset)\n");
    } else {
        out.push_str(&format!("proxy: {}\n", report.proxies.join(" ")));
    }
    for c in &report.checks {
        out.push_str(&format!(
            "{} {}: {}\n",
            if c.ok { "[ok]  " } else { "[FAIL]" },
            c.name,
            c.detail
        ));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("       fix: {fix}\n"));
        }
    }
    let failed = report.checks.iter().filter(|c| !c.ok).count();
    out.push_str(&format!(
        "{} check(s), {failed} failed\n",
        report.checks.len()
    ));
    out
}

/// The uploads bucket: all public access blocked, and a policy (if any) of Deny statements only
/// (the service writes one, refusing ended tickets).
async fn uploads_check(aws: &Aws, s: &Settings) -> Check {
    let bucket = &s.uploads_bucket;
    let name = format!("uploads bucket s3://{bucket}");
    let repair = "run `s3keeper setup` (it makes the bucket and blocks public access)";
    let flags = match aws.public_access_block(bucket, &s.region).await {
        Ok(f) => f,
        Err(e) => return Check::failed(name, &e, repair),
    };
    if !flags.all() {
        return Check::fail(
            name,
            "not all four public access block flags are on",
            repair,
        );
    }
    match aws.get_bucket_policy(bucket, &s.region).await {
        Ok(None) => Check::pass(name, "exists; private, no ended tickets to refuse"),
        Ok(Some(text)) => {
            let only_denies = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["Statement"].as_array().cloned())
                .is_some_and(|st| st.iter().all(|x| x["Effect"] == "Deny"));
            if only_denies {
                Check::pass(name, "exists; private, ended tickets refused")
            } else {
                Check::fail(
                    name,
                    "its bucket policy allows something; the service writes only a Deny for ended tickets",
                    "remove the Allow statements, then run `s3keeper setup`",
                )
            }
        }
        Err(e) => Check::failed(name, &e, repair),
    }
}

/// How full the uploads bucket's revocation list is: new tickets are refused once the sessions
/// that may still need revoking fill a bucket policy.
async fn upload_capacity_check(args: &ServiceArgs, aws: &Aws, s: &Settings) -> Check {
    let name = "upload ticket capacity";
    let url = args.database_url.as_deref().unwrap_or(DEFAULT_URL);
    if missing_sqlite_file(url) {
        return Check::fail(name, "no database to read", "see the database check");
    }
    let db = match Db::open(url).await {
        Ok(db) => db,
        Err(e) => return Check::failed(name, &e, "see the database check"),
    };
    if !db.pending_migrations().await.is_ok_and(|p| p.is_empty()) {
        db.pool.close().await;
        return Check::fail(
            name,
            "the database schema is not up to date",
            "run `s3keeper setup`",
        );
    }
    let keeper = match crate::keeper::Keeper::new(db.clone(), aws.clone(), s.clone(), "doctor") {
        Ok(k) => k,
        Err(e) => return Check::failed(name, &e, "check the configuration"),
    };
    let check = match keeper.upload_capacity().await {
        Ok(c) => {
            let mut detail = format!(
                "{} of about {} ticket sessions in use ({} open tickets); the revocation policy for them is {} of {} bytes; API clients may hold {} together",
                c.live_sessions,
                c.capacity,
                c.open_tickets,
                c.policy_bytes,
                c.policy_limit,
                c.clients_max_sessions
            );
            if usize::try_from(c.clients_max_sessions).unwrap_or(usize::MAX) > c.capacity {
                detail.push_str(" (more than the capacity: lower some clients' --max-sessions to keep room for the operator)");
            }
            if c.live_sessions >= c.capacity {
                Check::fail(
                    name,
                    detail,
                    "new tickets are refused until sessions expire; finish or cancel open tickets, lower clients' --max-open, or shorten ticket lifetimes",
                )
            } else {
                Check::pass(name, detail)
            }
        }
        Err(e) => Check::failed(name, &e, "check the database"),
    };
    db.pool.close().await;
    check
}

/// `s3keeper doctor`: the report, as text or JSON; fails unless every check passed.
pub(super) async fn command(service: ServiceArgs, json: bool) -> Result<(), KeeperError> {
    let report = run(&service).await?;
    if json {
        print_json(&report);
    } else {
        print!("{}", render(&report));
    }
    if report.ok() {
        Ok(())
    } else {
        Err(KeeperError::Conflict(
            "the deployment is not ready; see the fixes above".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_are_checked_for_shape() {
        for ok in ["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-4"] {
            assert!(plausible_region(ok), "{ok}");
        }
        for bad in [
            "",
            "useast1",
            "US-EAST-1",
            "us-east-",
            "us_east_1",
            "eu-west",
        ] {
            assert!(!plausible_region(bad), "{bad}");
        }
    }

    #[test]
    fn the_probe_url_is_on_the_verification_endpoint() {
        let mut s = Settings::new("111122223333", "eu-west-1");
        assert_eq!(
            probe_url(&s),
            "https://s3keeper-verification.s3.amazonaws.com/s3keeper-verification/doctor-probe"
        );
        s.verify_endpoint = S3Endpoint::Custom {
            scheme: "http".to_owned(),
            host_port: "127.0.0.1:9000".to_owned(),
        };
        assert_eq!(
            probe_url(&s),
            "http://127.0.0.1:9000/s3keeper-verification/s3keeper-verification/doctor-probe"
        );
    }
}
