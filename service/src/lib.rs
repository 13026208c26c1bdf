//! S3 Keeper service: verifies that people control AWS IAM users (SPEC §4), publishes datasets and
//! grants verified people read access through S3 access points (SPEC §5), keeps AWS in line with
//! its database and records everything in an audit log.
//!
//! [`keeper::Keeper`] holds the operations; [`api`] serves them over HTTP and [`cli`] from the
//! command line; [`runtime`] builds a `Keeper` for real AWS or the embedded fake.

pub mod api;
pub mod aws;
pub mod cli;
pub mod db;
pub mod error;
pub mod keeper;
pub mod metrics;
pub mod policies;
pub mod runtime;
pub mod shares;

pub use cli::doctor;
pub use cli::uploads::page as upload_page;
pub use cli::uploads::push;
pub use error::KeeperError;
pub use keeper::{fetch, verify};
pub use keeper::{Keeper, Settings};
