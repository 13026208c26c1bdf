//! Builds a [`Keeper`] from configuration: the database, and AWS either as the standard SDK
//! configuration finds it (environment, profiles, `AWS_ENDPOINT_URL`) or as the in-process fake.
//! The service never sees fake-s3's internals: embedded mode only starts the fake and points the
//! SDK at it.

use clap::Args;

use crate::aws::Aws;
use crate::db::{Db, DEFAULT_URL};
use crate::error::KeeperError;
use crate::keeper::shares::Dialect;
use crate::keeper::verify::S3Endpoint;
use crate::keeper::{self, Keeper, Settings};

/// Settings shared by every command that reaches the database or AWS.
#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST/DB` [default:
    /// sqlite://s3keeper.db?mode=rwc; `demo`: an in-memory database].
    #[arg(
        long,
        env = "S3KEEPER_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<String>,
    /// The platform's AWS account id (default: the credentials' account, from STS).
    #[arg(long, env = "S3KEEPER_ACCOUNT", global = true)]
    pub account: Option<String>,
    /// AWS region for the open and controlled buckets and the access points (default: the SDK's
    /// region setting, else us-east-1). The verification bucket is always in us-east-1.
    #[arg(long, env = "S3KEEPER_REGION", global = true)]
    pub region: Option<String>,
    #[arg(
        long,
        env = "S3KEEPER_VERIFY_BUCKET",
        default_value = keeper::DEFAULT_VERIFY_BUCKET,
        global = true
    )]
    pub verify_bucket: String,
    #[arg(
        long,
        env = "S3KEEPER_OPEN_BUCKET",
        default_value = keeper::DEFAULT_OPEN_BUCKET,
        global = true
    )]
    pub open_bucket: String,
    #[arg(
        long,
        env = "S3KEEPER_CONTROLLED_BUCKET",
        default_value = keeper::DEFAULT_CONTROLLED_BUCKET,
        global = true
    )]
    pub controlled_bucket: String,
    /// The bucket upload tickets write to (made by `setup`: private, public access blocked).
    #[arg(
        long,
        env = "S3KEEPER_UPLOADS_BUCKET",
        default_value = keeper::DEFAULT_UPLOADS_BUCKET,
        global = true
    )]
    pub uploads_bucket: String,
    /// Browser origins allowed to upload with a ticket's form (`https://builds.example.org`),
    /// comma-separated; `setup` writes them as the uploads bucket's CORS rules.
    #[arg(
        long,
        env = "S3KEEPER_UPLOAD_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub upload_origins: Vec<String>,
    /// A role whose sessions sign upload tickets, for a service running on role credentials
    /// (which cannot call GetFederationToken). Its trust policy must let the service assume it,
    /// and it needs the uploads bucket's write permissions.
    #[arg(long, env = "S3KEEPER_UPLOADER_ROLE_ARN", global = true)]
    pub uploader_role_arn: Option<String>,
    /// The site's name, the first part of verification keys (`SITE-verification/…`).
    #[arg(long, env = "S3KEEPER_SITE", default_value = keeper::DEFAULT_SITE, global = true)]
    pub site: String,
    /// At most this many people per access point (AWS advises about 500; policies stay < 20 KB).
    #[arg(long, env = "S3KEEPER_CAPACITY", default_value_t = keeper::DEFAULT_CAPACITY, global = true)]
    pub capacity: usize,
    /// The account's access point quota in the region.
    #[arg(
        long,
        env = "S3KEEPER_MAX_ACCESS_POINTS",
        default_value_t = keeper::DEFAULT_MAX_ACCESS_POINTS,
        global = true
    )]
    pub max_access_points: usize,
    /// Where signed verification URLs must point, for S3-compatible endpoints
    /// (`http://127.0.0.1:9000`); default: AWS's own S3 hosts, or `AWS_ENDPOINT_URL_S3` /
    /// `AWS_ENDPOINT_URL` when set.
    #[arg(long, env = "S3KEEPER_VERIFY_ENDPOINT", global = true)]
    pub verify_endpoint: Option<String>,
    /// Dataset sources must lie inside this directory (recommended for `serve`).
    #[arg(long, env = "S3KEEPER_SOURCE_ROOT", global = true)]
    pub source_root: Option<std::path::PathBuf>,
    /// Buckets `share` may manage, as name patterns (`lab-*`), comma-separated [default: any but
    /// the service's own, which are never shared]. `iam-policy` grants the bucket-policy calls on
    /// exactly these, and on none when they are not given.
    #[arg(
        long,
        env = "S3KEEPER_SHARED_BUCKETS",
        value_delimiter = ',',
        global = true
    )]
    pub shared_buckets: Vec<String>,
    /// `aws`, or `ceph` for Ceph RGW: shares then name bare RGW users (`bob`, `TENANT$NAME`) and
    /// the service calls only S3 (no STS, no S3 Control), with one RGW user's key pair.
    #[arg(long, env = "S3KEEPER_DIALECT", default_value = "aws", value_parser = ["aws", "ceph"], global = true)]
    pub dialect: String,
    /// Run against an in-process fake AWS (fake-s3) instead of real AWS. Its state lasts as long
    /// as the process.
    #[arg(long, global = true)]
    pub embedded: bool,
}

/// A ready service, with the embedded fake it runs against, if any.
#[derive(Debug)]
pub struct Runtime {
    pub keeper: Keeper,
    pub fake: Option<fake_s3::FakeAwsHandle>,
}

/// The embedded fake's account when `--account` is not given.
pub const EMBEDDED_ACCOUNT: &str = "111122223333";

/// The IAM user the service acts as on the embedded fake.
pub const EMBEDDED_SERVICE_USER: &str = "s3keeper-service";

fn endpoint_from(url: &str) -> Result<S3Endpoint, KeeperError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        KeeperError::Config(format!("verification endpoint `{url}` has no scheme"))
    })?;
    let host_port = rest.trim_end_matches('/');
    if !matches!(scheme, "http" | "https") || host_port.is_empty() || host_port.contains('/') {
        return Err(KeeperError::Config(format!(
            "verification endpoint `{url}` must be `http(s)://HOST[:PORT]`"
        )));
    }
    Ok(S3Endpoint::Custom {
        scheme: scheme.to_owned(),
        host_port: host_port.to_ascii_lowercase(),
    })
}

pub(crate) fn settings(args: &ServiceArgs, account: &str, region: &str) -> Settings {
    let mut s = Settings::new(account, region);
    s.verify_bucket.clone_from(&args.verify_bucket);
    s.open_bucket.clone_from(&args.open_bucket);
    s.controlled_bucket.clone_from(&args.controlled_bucket);
    s.uploads_bucket.clone_from(&args.uploads_bucket);
    s.upload_origins.clone_from(&args.upload_origins);
    s.uploader_role_arn.clone_from(&args.uploader_role_arn);
    s.site.clone_from(&args.site);
    s.dialect = dialect(args);
    s.shared_buckets.clone_from(&args.shared_buckets);
    s.capacity = args.capacity;
    s.max_access_points = args.max_access_points;
    s.source_root = args
        .source_root
        .as_ref()
        .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone()));
    s
}

fn dialect(args: &ServiceArgs) -> Dialect {
    args.dialect.parse().unwrap_or_default()
}

/// Connects the database and AWS (or starts the embedded fake) and checks the settings.
pub async fn start(args: &ServiceArgs, actor: &str) -> Result<Runtime, KeeperError> {
    if args.embedded {
        let account = args.account.as_deref().unwrap_or(EMBEDDED_ACCOUNT);
        let region = args.region.as_deref().unwrap_or("us-east-1");
        let fake = fake_s3::FakeAws::builder()
            .ceph_dialect(dialect(args) == Dialect::Ceph)
            .region(region)
            .account(account)
            .start()
            .await
            .map_err(|e| KeeperError::Config(format!("embedded fake AWS: {e}")))?;
        // The service runs as an IAM user holding exactly `s3keeper iam-policy`, never as root,
        // so every embedded run (the demo too) proves that policy sufficient.
        let s = settings(args, account, region);
        let policy = crate::policies::service_identity_policy(
            crate::policies::ServiceBuckets {
                verification: &s.verify_bucket,
                open: &s.open_bucket,
                controlled: &s.controlled_bucket,
                uploads: &s.uploads_bucket,
                shared: &s.shared_buckets,
            },
            region,
            account,
        )
        .to_string();
        let (_, creds) = fake
            .create_user(account, EMBEDDED_SERVICE_USER, &[&policy])
            .map_err(|e| KeeperError::Config(format!("embedded fake AWS: {e}")))?;
        let sdk = fake.sdk_config(&creds);
        let mut s = s;
        s.verify_endpoint = endpoint_from(&fake.endpoint())?;
        let keeper = connect(args, &sdk, s, actor).await?;
        return Ok(Runtime {
            keeper,
            fake: Some(fake),
        });
    }
    let sdk = sdk_from_environment(args.region.as_deref()).await;
    let region = sdk
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let account = match &args.account {
        Some(a) => a.clone(),
        // RGW may serve no STS: the default tenant.
        None if dialect(args) == Dialect::Ceph => String::new(),
        None => Aws::new(&sdk, "").caller_account().await.map_err(|e| {
            KeeperError::Config(format!(
                "could not learn the AWS account from the credentials ({e}); pass --account"
            ))
        })?,
    };
    let mut s = settings(args, &account, &region);
    s.verify_endpoint = verify_endpoint(args)?;
    let keeper = connect(args, &sdk, s, actor).await?;
    Ok(Runtime { keeper, fake: None })
}

/// Where verification URLs must point: `--verify-endpoint`, else the SDK's S3 endpoint setting,
/// else AWS's own hosts.
pub(crate) fn verify_endpoint(args: &ServiceArgs) -> Result<S3Endpoint, KeeperError> {
    let env_endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|u| !u.is_empty());
    match args.verify_endpoint.as_deref().or(env_endpoint.as_deref()) {
        Some(url) => endpoint_from(url),
        None => Ok(S3Endpoint::Aws),
    }
}

/// A `Keeper` for an SDK configuration made elsewhere (tests, benchmarks, the demo).
pub async fn connect(
    args: &ServiceArgs,
    sdk: &aws_config::SdkConfig,
    settings: Settings,
    actor: &str,
) -> Result<Keeper, KeeperError> {
    settings.validate()?;
    let db = Db::connect(args.database_url.as_deref().unwrap_or(DEFAULT_URL)).await?;
    Keeper::new(db, Aws::new(sdk, &settings.account), settings, actor)
}

/// The SDK's standard configuration chain, with a rustls HTTPS client that honours
/// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY` (upper or lower case) as the aws CLI does:
/// `HTTP_PROXY` for `http://` endpoints, `HTTPS_PROXY` for `https://` ones, `NO_PROXY` hosts
/// reached directly. The verification fetch (`keeper/people/fetch.rs`) never uses a proxy (SPEC §4).
pub async fn sdk_from_environment(region: Option<&str>) -> aws_config::SdkConfig {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    // The builder caches one connector (and so one connection pool) per connector setting.
    let http =
        aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector = aws_smithy_http_client::Connector::builder();
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector
                .proxy_config(ProxyConfig::from_env())
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build()
        });
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r.to_owned()));
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return sdk
            .into_builder()
            .region(aws_config::Region::new("us-east-1"))
            .build();
    }
    sdk
}

impl ServiceArgs {
    /// Defaults with this database, for tests and benchmarks.
    pub fn with_database(url: &str) -> ServiceArgs {
        ServiceArgs {
            database_url: Some(url.to_owned()),
            account: None,
            region: None,
            verify_bucket: keeper::DEFAULT_VERIFY_BUCKET.to_owned(),
            open_bucket: keeper::DEFAULT_OPEN_BUCKET.to_owned(),
            controlled_bucket: keeper::DEFAULT_CONTROLLED_BUCKET.to_owned(),
            uploads_bucket: keeper::DEFAULT_UPLOADS_BUCKET.to_owned(),
            upload_origins: Vec::new(),
            uploader_role_arn: None,
            site: keeper::DEFAULT_SITE.to_owned(),
            dialect: "aws".to_owned(),
            shared_buckets: Vec::new(),
            capacity: keeper::DEFAULT_CAPACITY,
            max_access_points: keeper::DEFAULT_MAX_ACCESS_POINTS,
            verify_endpoint: None,
            source_root: None,
            embedded: false,
        }
    }
}
