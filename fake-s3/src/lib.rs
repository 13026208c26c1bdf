//! fake-s3: an S3, S3 Control and STS server that authorizes every request through `policy-eval`.
//!
//! Not built yet: issue 3 tracks it. The crate exists so the workspace layout is fixed from the start.
