//! The workspace's one integration-test binary; one module per area.

mod access_points;
mod cli;
mod corpus;
mod differential;
mod fake_s3;
mod fake_s3_admin;
mod fake_s3_catalogue;
mod fake_s3_conditions;
mod fake_s3_copy;
mod fake_s3_cors;
mod fake_s3_ownership;
mod fake_s3_security;
mod fake_s3_shapes;
mod fake_s3_tagging;
mod fake_s3_versioning;
mod parser_fuzz;
mod reference;
mod service_api;
mod service_cli;
mod service_deploy;
mod service_flow;
mod service_push;
mod service_support;
mod service_uploads;
mod service_verify;
mod support;
