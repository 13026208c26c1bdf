//! fake-s3: an S3, S3 Control and STS server that authenticates every request (SigV4, SigV2,
//! presigned URLs, aws-chunked bodies) and authorizes it through `policy-eval`, for tests and demos.
//!
//! In a Rust test:
//! ```no_run
//! # async fn demo() -> Result<(), fake_s3::Error> {
//! let fake = fake_s3::FakeAws::builder().account("111122223333").start().await?;
//! let admin = fake.root_credentials("111122223333")?;
//! let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&admin));
//! # let _ = s3; Ok(()) }
//! ```
//! The SDK config's HTTP client sends every host the SDK derives (`BUCKET.127.0.0.1`,
//! `NAME-ACCOUNT.127.0.0.1`, `ACCOUNT.127.0.0.1`) to the fake.
//!
//! One request's path: `server` reads it (hyper; the body capped by `body`, `/_fake/` admin
//! requests to `admin`) and hands it to `pipeline`, which **routes** it (`router`: host and path to
//! S3 with its bucket, key and access point, S3 Control with its account, or STS; `tenant` for Ceph
//! RGW's `tenant:bucket` names), **authenticates** it once (`auth`: SigV4 and SigV2 headers,
//! presigned queries, `chunked` bodies, with `sigv4`'s primitives; `post` for browser forms, whose
//! signature is in the form), names its **operation** and the authorization it declares
//! (`operation`, with the action and condition-key catalogue), applies injected `faults`, then runs
//! the API's handler in three steps: **prepare** (what the request says, checked, and its condition
//! keys), **authorize** once (`authz` builds the `policy-eval` request from the caller's
//! `identity` and the bucket's or access point's policies; `s3::acl_eval` adds ACLs and object
//! ownership) and **handle** (`s3`, `control`, `sts`, reading and writing `storage` under `state`,
//! answering a `response` or an `error` as `xml`). `server` then adds CORS headers, logs one line
//! and appends the decision to the journal. `config` builds a fake from the binary's file.

mod admin;
mod auth;
mod authz;
mod body;
mod checksum;
mod chunked;
mod config;
mod control;
mod enforcement;
mod error;
mod faults;
mod header;
mod iam;
mod identity;
mod journal;
mod least_privilege;
mod operation;
mod pipeline;
mod post;
mod query;
mod response;
mod router;
mod s3;
mod server;
pub mod sigv4;
mod state;
mod storage;
mod sts;
mod tenant;
mod xml;

use std::net::SocketAddr;
use std::sync::Arc;

use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use auth::{authenticate, Authenticated, RequestParts};
pub use config::Config;
pub use enforcement::Enforcement;
pub use error::AwsError;
pub use faults::FaultConfig;
pub use identity::{Credentials, Iam, KeyOwner, Role, User};
pub use journal::JournalEntry;
pub use query::Query;
pub use state::Limits;

use state::State;
use storage::Storage;

/// Why the fake could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Setup(String),
}

impl From<AwsError> for Error {
    fn from(e: AwsError) -> Self {
        Error::Setup(e.message)
    }
}

/// Builds a fake.
#[derive(Debug)]
pub struct FakeAws {
    region: String,
    iam: Iam,
    storage: Storage,
    limits: Limits,
    enforcement: Enforcement,
    connection_threads: usize,
    error: Option<Error>,
}

impl FakeAws {
    /// A fake in `us-east-1` with no accounts.
    pub fn builder() -> FakeAws {
        FakeAws {
            region: "us-east-1".to_owned(),
            iam: Iam::default(),
            storage: Storage::default(),
            limits: Limits::default(),
            enforcement: Enforcement::Hard,
            connection_threads: 0,
            error: None,
        }
    }

    /// Serves connections on `n` threads of their own, each a single-threaded runtime, handed
    /// out round-robin as they are accepted, instead of on the runtime that starts the fake (0,
    /// the default). A connection's requests then never change threads, which spares the
    /// wake-ups a shared multi-threaded runtime makes; the `fake-s3` binary uses one more than
    /// there are cores. Connections are handed out in turn, whatever each thread is doing: a
    /// request that keeps its thread busy (hashing a large upload) delays that thread's other
    /// connections, and the new ones handed to it meanwhile.
    pub fn connection_threads(mut self, n: usize) -> Self {
        self.connection_threads = n;
        self
    }

    /// Sets the region the fake serves.
    pub fn region(mut self, region: &str) -> Self {
        region.clone_into(&mut self.region);
        self
    }

    /// Adds an account.
    pub fn account(mut self, id: &str) -> Self {
        if let Err(e) = self.iam.add_account(id) {
            self.error.get_or_insert(e.into());
        }
        self
    }

    /// Answers as Ceph RGW 16.2 where it differs from AWS: `arn:aws:iam:::user/NAME` and tenant
    /// principals, owners as RGW user ids, RGW's policy checks and `Null`, its error shapes (see
    /// [`Config`] and docs/fake-s3.md, "Dialects"). Set it before adding accounts.
    pub fn ceph_dialect(mut self, on: bool) -> Self {
        self.iam.ceph_dialect = on;
        self
    }

    /// Sets limits (access points per region, body size).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Hard (AWS's, the default) or soft enforcement: under soft, requests that policy would
    /// refuse are served and journaled with their Deny, marked `"enforcement": "soft"`.
    pub fn enforcement(mut self, enforcement: Enforcement) -> Self {
        self.enforcement = enforcement;
        self
    }

    /// Applies a configuration file's contents.
    pub fn config(mut self, config: &Config) -> Result<Self, Error> {
        self.region.clone_from(&config.region);
        self.enforcement = config.enforcement;
        self.iam.ceph_dialect = config.dialect == config::Dialect::Ceph;
        config.apply(&mut self.iam, &mut self.storage, &self.region)?;
        Ok(self)
    }

    /// Starts on `127.0.0.1` with a free port.
    pub async fn start(self) -> Result<FakeAwsHandle, Error> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr`.
    pub async fn start_on(self, addr: SocketAddr) -> Result<FakeAwsHandle, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let mut state = State::new(&self.region, self.iam, self.storage, self.limits);
        state.enforcement = self.enforcement;
        let state = Arc::new(state);
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            Arc::clone(&state),
            rx,
            self.connection_threads,
        ));
        Ok(FakeAwsHandle {
            addr: local,
            state,
            shutdown: tx,
            task: Some(task),
        })
    }
}

/// A running fake.
#[derive(Debug)]
pub struct FakeAwsHandle {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Sends every host name to the loopback address, so SDK-derived hosts reach the fake.
#[derive(Debug, Clone, Copy)]
pub struct LoopbackResolver;

impl ResolveDns for LoopbackResolver {
    fn resolve_dns<'a>(&'a self, _name: &'a str) -> DnsFuture<'a> {
        DnsFuture::ready(Ok(vec![std::net::IpAddr::from([127, 0, 0, 1])]))
    }
}

impl FakeAwsHandle {
    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The region the fake serves.
    pub fn region(&self) -> &str {
        &self.state.region
    }

    /// Adds an account.
    pub fn add_account(&self, id: &str) -> Result<(), Error> {
        Ok(self.state.iam_mut().add_account(id)?)
    }

    /// New long-term credentials for the account's root user.
    pub fn root_credentials(&self, account: &str) -> Result<Credentials, Error> {
        let mut iam = self.state.iam_mut();
        if !iam.accounts.contains_key(account) {
            return Err(Error::Setup(format!("account `{account}` does not exist")));
        }
        let creds = iam.mint_credentials("AKIA", false);
        iam.add_key(
            &creds,
            KeyOwner::Root {
                account: account.to_owned(),
            },
        )?;
        Ok(creds)
    }

    /// Creates an IAM user with identity policies (JSON texts) and returns an access key for it.
    pub fn create_user(
        &self,
        account: &str,
        name: &str,
        policies: &[&str],
    ) -> Result<(User, Credentials), Error> {
        let mut iam = self.state.iam_mut();
        let texts: Vec<String> = policies.iter().map(|p| (*p).to_owned()).collect();
        let user = iam.add_user(account, name, "/", None, &texts)?;
        let creds = iam.mint_credentials("AKIA", false);
        iam.add_key(
            &creds,
            KeyOwner::User {
                account: account.to_owned(),
                name: name.to_owned(),
            },
        )?;
        Ok((user, creds))
    }

    /// Deletes an IAM user and its access keys; policies can no longer name it.
    pub fn delete_user(&self, account: &str, name: &str) -> Result<User, Error> {
        Ok(self.state.iam_mut().remove_user(account, name)?)
    }

    /// Creates an IAM role with a trust policy and identity policies (JSON texts).
    pub fn create_role(
        &self,
        account: &str,
        name: &str,
        trust_policy: &str,
        policies: &[&str],
    ) -> Result<Role, Error> {
        let texts: Vec<String> = policies.iter().map(|p| (*p).to_owned()).collect();
        Ok(self
            .state
            .iam_mut()
            .add_role(account, name, "/", Some(trust_policy), &texts)?)
    }

    /// An AWS SDK configuration for `creds` whose HTTP client reaches the fake for every host.
    /// The endpoint is `http://127.0.0.1:PORT`, so the SDK addresses buckets path-style.
    pub fn sdk_config(&self, creds: &Credentials) -> aws_config::SdkConfig {
        self.sdk_config_with_endpoint(creds, &self.endpoint())
    }

    /// Like [`FakeAwsHandle::sdk_config`] with another endpoint URL for the same server, such as
    /// `http://localhost:PORT`, with which the SDK puts bucket names in the host (virtual-host
    /// style); every host still resolves to the fake.
    pub fn sdk_config_with_endpoint(
        &self,
        creds: &Credentials,
        endpoint: &str,
    ) -> aws_config::SdkConfig {
        use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_with_resolver(LoopbackResolver);
        let credentials = aws_credential_types::Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.clone(),
            creds.session_token.clone(),
            None,
            "fake-s3",
        );
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(self.state.region.clone()))
            .endpoint_url(endpoint)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .http_client(http_client)
            .build()
    }

    /// Fixes the fake's clock (`None`: the system clock).
    pub fn set_time(&self, t: Option<time::OffsetDateTime>) {
        self.state.set_time(t);
    }

    /// Every request's decision and explanation, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.journal()
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.state.clear_journal();
    }

    /// The identity policy allowing exactly what `principal` (an ARN, as the journal names it)
    /// requested since the last reset, allowed or refused: one statement per resource, listings
    /// under `s3:prefix` conditions (see `GET /_fake/least-privilege`).
    pub fn least_privilege(&self, principal: &str) -> serde_json::Value {
        least_privilege::policy(&self.state.observed(principal))
    }

    /// Back to how the fake started (see `POST /_fake/reset`).
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Sets fault injection.
    pub fn faults(&self, config: FaultConfig) {
        self.state.faults.configure(config);
    }

    /// Bytes stored in objects and upload parts.
    pub fn stored_bytes(&self) -> usize {
        self.state.storage().stored_bytes()
    }

    /// Stops the server and waits for it: no new connections are accepted, idle ones are closed
    /// and each open one closes after answering the request it is in, or after a second if that
    /// request is still not answered (a client that never finishes sending it, or never reads
    /// the answer).
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeAwsHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
