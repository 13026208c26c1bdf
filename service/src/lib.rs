//! S3 Keeper service: verifies that people control AWS IAM users (SPEC §4), publishes datasets and
//! grants verified people read access through S3 access points (SPEC §5), keeps AWS in line with
//! its database and records everything in an audit log.
//!
//! One grant, end to end: `s3keeper grant EMAIL SLUG/VERSION` enters at `cli` (`cli::datasets`,
//! which builds a [`Keeper`] through [`runtime`]), or `POST /datasets/{slug}/{version}/grants` at
//! [`api`] (`api::datasets`); both call [`Keeper::grant`] in `keeper::datasets::grants`, whose
//! database half (`record_grant`) runs one transaction on `db`: it locks the dataset's row, checks
//! the signed agreement and the identity `keeper::people` verified, takes a place on an access
//! point with room (opening the next one when all are full), inserts the grant and writes the
//! `granted` audit entry (read back by `keeper::audit`), then commits and counts it in `metrics`;
//! its AWS half (`apply_all`) writes the access point's policy from the database, built by
//! [`policies`], through [`aws`] (the only SDK caller, whose failures [`aws::error`] turns into one
//! line), and marks it applied. An AWS failure leaves the grant recorded and `keeper::reconcile`
//! finishes it later. The [`keeper::Access`] that comes back is printed by `cli::datasets` or
//! answered as JSON by the API.
//!
//! [`keeper`] holds the operations, one folder per concern (people, datasets, uploads, shares);
//! [`api`] serves them over HTTP and [`cli`] from the command line; [`runtime`] builds a `Keeper`
//! for real AWS or the embedded fake; [`error`] is the one error they all answer with.

pub mod api;
pub mod aws;
pub mod cli;
mod db;
pub mod error;
pub mod keeper;
mod metrics;
pub mod policies;
pub mod runtime;

pub use cli::uploads::page as upload_page;
pub use cli::uploads::push;
pub use error::KeeperError;
pub use keeper::shares;
pub use keeper::{fetch, verify};
pub use keeper::{Keeper, Settings};
