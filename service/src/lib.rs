//! S3 Keeper service: verifies AWS identities, publishes datasets and grants access through S3
//! access points. Today it carries the policy tools (`s3keeper policy …`) and the parsing half of
//! identity verification ([`verify`]); the rest of the service is issue 4.

pub mod cli;
pub mod policy_cmd;
pub mod verify;
