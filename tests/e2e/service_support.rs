//! Shared set-up for the service's tests: an in-process fake AWS, a database (SQLite in memory or
//! a fresh PostgreSQL database on 127.0.0.1:5432), a `Keeper` reaching the fake only through the
//! AWS SDK, and people with IAM users in their own account.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use fake_s3::{FakeAws, FakeAwsHandle};
use s3keeper::keeper::{Keeper, Kind, Quiet, Settings};
use s3keeper::runtime::{self, ServiceArgs};
use s3keeper::verify::S3Endpoint;

pub const PLATFORM: &str = "111122223333";
pub const PEOPLE: &str = "444455556666";
pub const READER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL's admin URL; `S3KEEPER_TEST_POSTGRES` overrides it.
pub fn postgres_admin_url() -> String {
    std::env::var("S3KEEPER_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A database URL for a new, empty database. PostgreSQL must be running: the issue asks for the
/// tests on both databases, so its absence is a failure, not a skip.
pub async fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!(
                "s3keeper-test-{}-{}.db",
                std::process::id(),
                unique()
            ));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = postgres_admin_url();
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(c) => c,
                Err(e) => panic!("PostgreSQL at {admin} is needed for this test: {e}"),
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            drop_stale_databases(&mut conn, now).await;
            let name = format!("s3k_{now}_{}_{}", std::process::id(), unique());
            if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
            {
                panic!("CREATE DATABASE {name}: {e}");
            }
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    }
}

/// Drops test databases more than an hour old: nextest runs each test in its own process, so
/// no test can drop its database when it ends, and a younger one may still be in use.
async fn drop_stale_databases(conn: &mut sqlx::PgConnection, now: u64) {
    let names: Vec<(String,)> =
        match sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 's3k\\_%'")
            .fetch_all(&mut *conn)
            .await
        {
            Ok(n) => n,
            Err(_) => return,
        };
    for (name,) in names {
        let created = name.split('_').nth(1).and_then(|t| t.parse::<u64>().ok());
        if created.is_some_and(|t| t + 3600 < now) {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    (t % 1_000_000_000) * 1000 + N.fetch_add(1, Ordering::Relaxed) % 1000
}

/// A running fake and a service over it.
pub struct Env {
    pub fake: FakeAwsHandle,
    pub keeper: Keeper,
    pub database_url: String,
}

/// Starts a fake with the platform and people accounts.
pub async fn start_fake() -> FakeAwsHandle {
    match FakeAws::builder()
        .account(PLATFORM)
        .account(PEOPLE)
        .start()
        .await
    {
        Ok(f) => f,
        Err(e) => panic!("fake: {e}"),
    }
}

/// Settings for a service over `fake`.
pub fn settings_for(fake: &FakeAwsHandle) -> Settings {
    let mut s = Settings::new(PLATFORM, "us-east-1");
    s.site = "test".to_owned();
    s.verify_endpoint = S3Endpoint::Custom {
        scheme: "http".to_owned(),
        host_port: fake.addr().to_string(),
    };
    s
}

/// A service instance over `fake` and `database_url` with these settings.
pub async fn keeper_for(fake: &FakeAwsHandle, database_url: &str, settings: Settings) -> Keeper {
    let creds = match fake.root_credentials(PLATFORM) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let args = ServiceArgs::with_database(database_url);
    match runtime::connect(&args, &fake.sdk_config(&creds), settings, "test").await {
        Ok(k) => k,
        Err(e) => panic!("keeper: {e}"),
    }
}

/// A fake, a database of `backend` and a service with its buckets set up.
pub async fn env_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Env {
    let fake = start_fake().await;
    let database_url = fresh_database(backend).await;
    let mut settings = settings_for(&fake);
    tweak(&mut settings);
    let keeper = keeper_for(&fake, &database_url, settings).await;
    if let Err(e) = keeper.setup().await {
        panic!("setup: {e}");
    }
    Env {
        fake,
        keeper,
        database_url,
    }
}

pub async fn env(backend: Backend) -> Env {
    env_with(backend, |_| {}).await
}

/// A person with an IAM user `name` in the people account.
pub struct Person {
    pub email: String,
    pub name: String,
    pub user_id: String,
    pub arn: String,
    pub s3: aws_sdk_s3::Client,
}

/// Creates the IAM user and the platform person (not yet verified).
pub async fn person(env: &Env, name: &str) -> Person {
    let (user, creds) = match env.fake.create_user(PEOPLE, name, &[READER]) {
        Ok(u) => u,
        Err(e) => panic!("create_user {name}: {e}"),
    };
    let email = format!("{name}@example.org");
    if let Err(e) = env.keeper.add_person(&email, name).await {
        panic!("add_person: {e}");
    }
    Person {
        email,
        name: name.to_owned(),
        user_id: user.user_id,
        arn: user.arn,
        s3: aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds)),
    }
}

/// What `aws sts get-caller-identity` prints for `p`.
pub fn caller_identity(p: &Person) -> String {
    serde_json::json!({"UserId": p.user_id, "Account": PEOPLE, "Arn": p.arn}).to_string()
}

/// A URL for `key` in `bucket` presigned with `s3`'s credentials, as the person would paste it.
pub async fn presign(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, secs: u64) -> String {
    let config = match PresigningConfig::expires_in(Duration::from_secs(secs)) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    match s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
    {
        Ok(r) => r.uri().to_owned(),
        Err(e) => panic!("presign: {e}"),
    }
}

/// Runs both verification steps for `p` with a URL they signed themselves.
pub async fn verify(env: &Env, p: &Person) {
    let start = match env
        .keeper
        .start_verification(&p.email, &caller_identity(p))
        .await
    {
        Ok(s) => s,
        Err(e) => panic!("start_verification {}: {e}", p.email),
    };
    let url = presign(&p.s3, &start.bucket, &start.key, 600).await;
    if let Err(e) = env.keeper.complete_verification(&p.email, &url).await {
        panic!("complete_verification {}: {e}", p.email);
    }
}

/// A directory with a few files for a dataset.
pub fn dataset_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "s3keeper-ds-{tag}-{}-{}",
        std::process::id(),
        unique()
    ));
    for (rel, text) in [
        ("README.txt", "read me\n"),
        ("data/a.csv", "x,y\n1,2\n"),
        ("data/b.csv", "x,y\n3,4\n"),
    ] {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Err(e) = std::fs::write(&path, text) {
            panic!("{e}");
        }
    }
    dir
}

/// Registers (and optionally uploads) a controlled dataset.
pub async fn controlled(env: &Env, slug: &str, version: &str, upload: bool) {
    let dir = dataset_dir(slug);
    if let Err(e) = env
        .keeper
        .register_dataset(slug, version, Kind::Controlled, &dir)
        .await
    {
        panic!("register: {e}");
    }
    if upload {
        if let Err(e) = env.keeper.upload(slug, version, &Quiet).await {
            panic!("upload: {e}");
        }
    }
}

/// Whether `p` can read `key` through the access point.
pub async fn can_read(p: &Person, ap_arn: &str, key: &str) -> bool {
    p.s3.get_object()
        .bucket(ap_arn)
        .key(key)
        .send()
        .await
        .is_ok()
}
