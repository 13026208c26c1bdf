//! Argument groups several commands share.

use clap::Args;

use crate::runtime::ServiceArgs;

#[derive(Debug, Args)]
pub struct ServiceOnly {
    #[command(flatten)]
    pub service: ServiceArgs,
}

#[derive(Debug, Args)]
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

#[derive(Debug, Args)]
pub struct PersonDataset {
    #[command(flatten)]
    pub service: ServiceArgs,
    pub email: String,
    /// `SLUG/VERSION`.
    pub dataset: String,
}
