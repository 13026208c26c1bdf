//! S3 operations (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html>),
//! one module per resource: [`bucket`], [`policy`] (bucket policies and public access blocks),
//! [`list`], [`object`], [`multipart`], [`post_object`], [`tagging`], [`versioning`], [`cors`],
//! [`acl`]. This module holds what they share (the request context) and the dispatch.
//! [`prepare`] reads and checks what a request says before it is decided; the pipeline then
//! authorizes it once (policies through [`crate::authz`], ACLs through [`acl_eval`]) as
//! [`crate::operation`] declares, and only then does the handler run.

mod acl;
mod acl_eval;
mod bucket;
mod checksums;
mod cors;
mod list;
mod multipart;
mod object;
mod policy;
mod post_object;
mod prepare;
mod tagging;
mod versioning;

use acl::*;
use acl_eval::{with_acls, with_acls_as};
use bucket::*;
use checksums::*;
use cors::*;
pub use cors::{preflight, response_headers as cors_headers};
use list::*;
use multipart::*;
use object::*;
use policy::*;
pub use policy::{show_policy, validate_bucket_policy, validate_resource_policy};
use post_object::*;
use prepare::prepare;
pub use prepare::Prepared;
use tagging::*;
use versioning::*;

use std::collections::BTreeMap;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use policy_eval::{Decision, PolicyKind};
use time::format_description::well_known::Rfc3339;
#[allow(unused_imports)]
use time::OffsetDateTime as _;
use time::OffsetDateTime;

use crate::auth::Authenticated;
use crate::authz::{self, RequestFacts, Verdict};
use crate::error::AwsError;
pub use crate::response::Resp;
use crate::router::S3Op;
use crate::state::State;
use crate::storage::{
    etag_of, AccessPoint, Bucket, Object, PublicAccessBlock, ResourcePolicy, TagSet, Upload,
};
use crate::xml::{self, escape};

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Everything a handler needs about the request.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub state: &'a State,
    pub auth: &'a Authenticated,
    pub op: S3Op,
    /// The store key of the bucket the request is for ([`crate::tenant::resolve`]).
    pub bucket: Option<&'a str>,
    /// The bucket as the request wrote it: a POST form's signer, known only inside the handler,
    /// decides which tenant's bucket a bare name means.
    pub written_bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    /// The access point the request came through.
    pub access_point: Option<&'a AccessPoint>,
    pub query: &'a crate::query::Query,
    pub headers: &'a HeaderMap,
    pub facts: RequestFacts,
    /// The last authorization verdict, for the journal.
    pub verdict: Option<Verdict>,
    /// What the request was authorized for; refusals soft enforcement waived.
    pub ledger: crate::enforcement::Ledger,
    /// Who signed a browser POST form (the request itself carries no signature), for the log
    /// line and the journal.
    pub form_signer: Option<String>,
    /// The request's body (decoded from aws-chunked when it was).
    pub body: Bytes,
}

impl crate::operation::Handler for Ctx<'_> {
    type Prepared = Prepared;

    fn prepare(&mut self) -> Result<Prepared, AwsError> {
        let body = self.body.clone();
        prepare(self, &body)
    }

    fn names_version(p: &Prepared) -> bool {
        p.version.is_some()
    }

    fn decide(&mut self, action: &'static str, p: &Prepared) -> Result<(), AwsError> {
        self.authorize(action, &p.bucket, p.key.as_deref())
    }

    fn handle(&mut self, p: Prepared) -> Result<Resp, AwsError> {
        let body = self.body.clone();
        handle(self, p, &body)
    }
}

impl Ctx<'_> {
    fn q(&self, name: &str) -> Option<&str> {
        self.query.get(name)
    }

    fn h(&self, name: &str) -> Option<&str> {
        crate::header::value(self.headers, name)
    }

    fn now(&self) -> OffsetDateTime {
        self.state.now()
    }

    /// Authorizes `action` on the bucket (and key), through the access point if any.
    fn authorize(
        &mut self,
        action: &str,
        bucket: &Bucket,
        key: Option<&str>,
    ) -> Result<(), AwsError> {
        let verdict = authz::authorize(
            self.auth,
            action,
            bucket,
            key,
            self.access_point,
            &self.facts,
            self.now(),
        );
        let verdict = with_acls(self, action, bucket, key, self.q("versionId"), verdict);
        let allowed = verdict.allowed();
        let refusal = (!allowed).then(|| {
            let owner = self
                .access_point
                .map_or(bucket.owner.as_str(), |ap| ap.account.as_str());
            authz::access_denied_message(
                &self.auth.caller,
                action,
                &verdict,
                owner,
                self.state.ceph(),
            )
        });
        self.ledger
            .note(action, &verdict.resource, verdict.prefix.as_deref());
        let decision = (verdict.decision, verdict.explanation.summary.clone());
        self.verdict = Some(verdict);
        self.ledger.enforce(
            self.state.enforcement,
            (decision.0, &decision.1),
            refusal.map(AwsError::access_denied),
        )
    }

    /// Whether `action` would be allowed with `facts`, without recording it as the request's
    /// verdict.
    fn would_allow(&self, action: &str, bucket: &Bucket, facts: &RequestFacts) -> bool {
        let verdict = authz::authorize(
            self.auth,
            action,
            bucket,
            None,
            self.access_point,
            facts,
            self.now(),
        );
        with_acls(self, action, bucket, None, None, verdict).allowed()
    }
}

/// An HTTP date (`Mon, 07 Dec 2026 17:29:18 GMT`), as every GET and HEAD sends in
/// `Last-Modified`: written directly, which is a tenth of what the general formatter costs.
fn http_date(t: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = t.to_offset(time::UtcOffset::UTC);
    if !(1000..=9999).contains(&t.year()) {
        return http_date_formatted(t);
    }
    let day = DAYS[usize::from(t.weekday().number_days_from_monday())];
    let month = MONTHS[usize::from(u8::from(t.month()) - 1)];
    let mut s = String::with_capacity(29);
    s.push_str(day);
    s.push_str(", ");
    push_digits(&mut s, u32::from(t.day()), 2);
    s.push(' ');
    s.push_str(month);
    s.push(' ');
    push_digits(&mut s, t.year().unsigned_abs(), 4);
    s.push(' ');
    push_digits(&mut s, u32::from(t.hour()), 2);
    s.push(':');
    push_digits(&mut s, u32::from(t.minute()), 2);
    s.push(':');
    push_digits(&mut s, u32::from(t.second()), 2);
    s.push_str(" GMT");
    s
}

fn push_digits(out: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
    }
}

fn http_date_formatted(t: OffsetDateTime) -> String {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(fmt)
        .unwrap_or_default()
}

fn iso(t: OffsetDateTime) -> String {
    let t = t
        .replace_nanosecond((t.nanosecond() / 1_000_000) * 1_000_000)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// Copies a bucket out of storage so no lock is held while deciding.
fn load_bucket(state: &State, name: &str) -> Result<Bucket, AwsError> {
    state
        .storage()
        .buckets
        .get(name)
        // Field by field: `..b.clone()` would copy every object and upload first.
        .map(|b| Bucket {
            name: b.name.clone(),
            owner: b.owner.clone(),
            owner_id: b.owner_id.clone(),
            region: b.region.clone(),
            created: b.created,
            policy: b.policy.clone(),
            public_access_block: b.public_access_block,
            ownership: b.ownership,
            acl: b.acl.clone(),
            versioning: b.versioning,
            objects: BTreeMap::new(),
            uploads: BTreeMap::new(),
            cors: b.cors.clone(),
            tags: b.tags.clone(),
        })
        .ok_or_else(|| {
            AwsError::no_such_bucket("The specified bucket does not exist").with_resource(name)
        })
}

/// Runs one S3 operation, [`prepare`]d and authorized by the pipeline.
fn handle(ctx: &mut Ctx<'_>, p: Prepared, body: &Bytes) -> Result<Resp, AwsError> {
    match ctx.op {
        S3Op::ListBuckets => list_buckets(ctx),
        S3Op::CreateBucket => create_bucket(ctx, p),
        S3Op::PostObject => post_object(ctx, body),
        _ => bucket_op(ctx, p, body),
    }
}

fn bucket_op(ctx: &mut Ctx<'_>, p: Prepared, body: &Bytes) -> Result<Resp, AwsError> {
    let bucket = &p.bucket;
    let key = p.key.clone();
    match ctx.op {
        S3Op::HeadBucket => head_bucket(bucket),
        S3Op::DeleteBucket => delete_bucket(ctx, bucket),
        S3Op::GetBucketLocation => get_bucket_location(bucket),
        S3Op::GetBucketVersioning => get_bucket_versioning(bucket),
        S3Op::PutBucketVersioning => put_bucket_versioning(ctx, bucket, body),
        S3Op::ListObjects | S3Op::ListObjectsV2 => list_objects(ctx, bucket),
        S3Op::ListObjectVersions => list_versions(ctx, bucket),
        S3Op::ListMultipartUploads => list_uploads(ctx, bucket),
        S3Op::GetBucketPolicy => get_bucket_policy(ctx, bucket),
        S3Op::PutBucketPolicy => put_bucket_policy(ctx, bucket, body),
        S3Op::DeleteBucketPolicy => delete_bucket_policy(ctx, bucket),
        S3Op::GetBucketPolicyStatus => get_bucket_policy_status(bucket),
        S3Op::GetBucketCors => get_bucket_cors(bucket),
        S3Op::PutBucketCors => put_bucket_cors(ctx, bucket, body),
        S3Op::DeleteBucketCors => delete_bucket_cors(ctx, bucket),
        S3Op::GetBucketAcl => get_bucket_acl(ctx, bucket),
        S3Op::PutBucketAcl => put_bucket_acl(ctx, bucket, body),
        S3Op::GetObjectAcl => get_object_acl(ctx, bucket, key.unwrap_or_default()),
        S3Op::PutObjectAcl => put_object_acl(ctx, bucket, key.unwrap_or_default(), body),
        S3Op::GetBucketOwnershipControls => get_ownership_controls(bucket, ctx.state.ceph()),
        S3Op::GetBucketLifecycleConfiguration => get_bucket_lifecycle(bucket),
        S3Op::PutBucketOwnershipControls => put_ownership_controls(ctx, bucket, body),
        S3Op::DeleteBucketOwnershipControls => delete_ownership_controls(ctx, bucket),
        S3Op::GetBucketTagging => get_bucket_tagging(bucket),
        S3Op::PutBucketTagging => put_bucket_tagging(ctx, bucket, body),
        S3Op::DeleteBucketTagging => delete_bucket_tagging(ctx, bucket),
        S3Op::GetObjectTagging => {
            get_object_tagging(ctx, key.unwrap_or_default(), p.existing_tags.clone())
        }
        S3Op::PutObjectTagging => put_object_tagging(
            ctx,
            bucket,
            key.unwrap_or_default(),
            p.tags.clone().unwrap_or_default(),
        ),
        S3Op::DeleteObjectTagging => delete_object_tagging(ctx, bucket, key.unwrap_or_default()),
        S3Op::GetPublicAccessBlock => get_public_access_block(bucket, ctx.state.ceph()),
        S3Op::PutPublicAccessBlock => put_public_access_block(ctx, bucket, body),
        S3Op::DeletePublicAccessBlock => delete_public_access_block(ctx, bucket),
        S3Op::DeleteObjects => delete_objects(ctx, bucket, body),
        S3Op::PutObject => put_object(
            ctx,
            bucket,
            key.unwrap_or_default(),
            body,
            p.tags.clone().unwrap_or_default(),
        ),
        S3Op::CopyObject => match p.copy_source {
            Some(ref source) => {
                copy_object(ctx, bucket, key.unwrap_or_default(), source, p.tags.clone())
            }
            None => Err(AwsError::internal_error("a copy without its source")),
        },
        S3Op::GetObject | S3Op::HeadObject => get_object(ctx, bucket, key.unwrap_or_default()),
        S3Op::DeleteObject => delete_object(ctx, bucket, key),
        S3Op::CreateMultipartUpload => create_upload(
            ctx,
            bucket,
            key.unwrap_or_default(),
            p.tags.clone().unwrap_or_default(),
        ),
        S3Op::UploadPart => upload_part(ctx, bucket, key.unwrap_or_default(), body),
        S3Op::CompleteMultipartUpload => {
            complete_upload(ctx, bucket, key.unwrap_or_default(), body)
        }
        S3Op::AbortMultipartUpload => abort_upload(ctx, bucket, key),
        S3Op::ListParts => list_parts(ctx, bucket, key.unwrap_or_default()),
        S3Op::GetObjectAttributes => get_object_attributes(ctx, bucket, key.unwrap_or_default()),
        S3Op::UploadPartCopy => match (&p.copy_source, p.part) {
            (Some(source), Some(part)) => {
                upload_part_copy(ctx, bucket, key.unwrap_or_default(), source, part)
            }
            _ => Err(AwsError::internal_error("a part copy without its source")),
        },
        S3Op::ListBuckets | S3Op::CreateBucket | S3Op::PostObject => Err(AwsError::internal_error(
            "operation routed to the wrong handler",
        )),
    }
}

/// The decision to journal for a request that got this far.
pub fn journal_decision(ctx: &Ctx<'_>) -> (Option<Decision>, String) {
    if let Some((d, why)) = &ctx.ledger.waived {
        return (Some(*d), why.clone());
    }
    match &ctx.verdict {
        Some(v) => (Some(v.decision), v.explanation.summary.clone()),
        None => (None, String::new()),
    }
}

/// The request-body parsers S3 handlers added for issue 10 (tagging, CORS, ACL documents) take
/// any bytes without panicking, and tag sets survive the trip through S3's document.
#[cfg(test)]
mod parser_properties {
    use super::*;
    use proptest::prelude::*;

    /// Fragments of the three documents, shuffled into tag soup.
    const SOUP: &str = "(<(Tagging|TagSet|Tag|Key|Value|CORSConfiguration|CORSRule|AllowedOrigin|AllowedMethod|AllowedHeader|ExposeHeader|MaxAgeSeconds|ID|AccessControlPolicy|Owner|AccessControlList|Grant|Grantee|Permission|URI|EmailAddress)( xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"(CanonicalUser|Group)\")?>|</(Tagging|TagSet|Tag|Key|Value|CORSConfiguration|CORSRule|AllowedOrigin|AllowedMethod|MaxAgeSeconds|AccessControlPolicy|AccessControlList|Grant|Grantee|Permission)>|[a-zA-Z0-9*:/.-]{0,8}|&amp;|-1|99999999999999999999){0,40}";

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = tagging::parse_xml(&body);
            let _ = parse_cors(&body);
            let _ = parse_acl_body(&body);
        }

        #[test]
        fn document_soup_never_panics(body in SOUP) {
            let _ = tagging::parse_xml(body.as_bytes());
            let _ = parse_cors(body.as_bytes());
            let _ = parse_acl_body(body.as_bytes());
        }

        #[test]
        fn tag_sets_round_trip(tags in proptest::collection::vec(("[a-zA-Z0-9 +\\-=._:/@&<>\"']{1,20}", "[a-zA-Z0-9 +\\-=._:/@&<>\"']{0,20}"), 0..10)) {
            let xml = tagging::tagging_xml(&tags);
            prop_assert_eq!(tagging::parse_xml(xml.as_bytes()).ok(), Some(tags));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_match_the_general_formatter() {
        let start = time::macros::datetime!(1999-12-31 23:59:59 UTC).unix_timestamp();
        for step in 0..5_000i64 {
            let t = OffsetDateTime::from_unix_timestamp(start + step * 7_919_117)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(http_date(t), http_date_formatted(t), "{t}");
        }
        let offset = time::macros::datetime!(2026-12-07 01:02:03 +05:00);
        assert_eq!(http_date(offset), "Sun, 06 Dec 2026 20:02:03 GMT");
    }
}
