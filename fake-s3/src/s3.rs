//! S3 operations (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html>).
//! Each handler authorizes through [`crate::authz::authorize`] before it reads or writes anything.

use std::collections::BTreeMap;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use policy_eval::{Decision, PolicyKind};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::auth::Authenticated;
use crate::authz::{self, RequestFacts, Verdict};
use crate::error::AwsError;
use crate::router::S3Op;
use crate::state::State;
use crate::storage::{
    etag_of, AccessPoint, Bucket, Object, PublicAccessBlock, ResourcePolicy, Upload,
};
use crate::xml::{self, escape};

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// A response before it becomes HTTP.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Resp {
    fn ok() -> Self {
        Resp {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    fn xml(body: String) -> Self {
        Resp {
            status: StatusCode::OK,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: Bytes::from(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"
            )),
        }
    }

    fn status(mut self, s: StatusCode) -> Self {
        self.status = s;
        self
    }

    fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_owned(), v.into()));
        self
    }
}

/// Everything a handler needs about the request.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub state: &'a State,
    pub auth: &'a Authenticated,
    pub op: S3Op,
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    /// The access point the request came through.
    pub access_point: Option<&'a AccessPoint>,
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    pub facts: RequestFacts,
    /// The last authorization verdict, for the journal.
    pub verdict: Option<Verdict>,
}

impl Ctx<'_> {
    fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn h(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
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
        let allowed = verdict.allowed();
        self.verdict = Some(verdict);
        if allowed {
            Ok(())
        } else {
            Err(AwsError::access_denied("Access Denied"))
        }
    }

    /// Whether `action` would be allowed with `facts`, without recording it as the request's
    /// verdict.
    fn would_allow(&self, action: &str, bucket: &Bucket, facts: &RequestFacts) -> bool {
        authz::authorize(
            self.auth,
            action,
            bucket,
            None,
            self.access_point,
            facts,
            self.now(),
        )
        .allowed()
    }
}

fn http_date(t: OffsetDateTime) -> String {
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
        .map(|b| Bucket {
            objects: BTreeMap::new(),
            uploads: BTreeMap::new(),
            ..b.clone()
        })
        .ok_or_else(|| {
            AwsError::no_such_bucket("The specified bucket does not exist").with_resource(name)
        })
}

/// Runs one S3 operation.
pub fn handle(ctx: &mut Ctx<'_>, body: &Bytes) -> Result<Resp, AwsError> {
    if ctx.access_point.is_some()
        && matches!(
            ctx.op,
            S3Op::CreateBucket
                | S3Op::DeleteBucket
                | S3Op::GetBucketPolicy
                | S3Op::PutBucketPolicy
                | S3Op::DeleteBucketPolicy
                | S3Op::GetPublicAccessBlock
                | S3Op::PutPublicAccessBlock
                | S3Op::DeletePublicAccessBlock
                | S3Op::ListBuckets
        )
    {
        return Err(AwsError::invalid_request(format!(
            "{} is not supported through an access point",
            ctx.op.name()
        )));
    }
    match ctx.op {
        S3Op::ListBuckets => list_buckets(ctx),
        S3Op::CreateBucket => create_bucket(ctx, body),
        S3Op::PostObject => post_object(ctx, body),
        S3Op::UploadPartCopy => Err(AwsError::not_implemented(
            "UploadPartCopy is not implemented yet",
        )),
        _ => {
            let name = ctx.bucket.unwrap_or_default().to_owned();
            let bucket = load_bucket(ctx.state, &name)?;
            bucket_op(ctx, &bucket, body)
        }
    }
}

fn bucket_op(ctx: &mut Ctx<'_>, bucket: &Bucket, body: &Bytes) -> Result<Resp, AwsError> {
    let key = ctx.key.map(str::to_owned);
    match ctx.op {
        S3Op::HeadBucket => {
            ctx.authorize("s3:ListBucket", bucket, None)?;
            Ok(Resp::ok().header("x-amz-bucket-region", bucket.region.clone()))
        }
        S3Op::DeleteBucket => {
            ctx.authorize("s3:DeleteBucket", bucket, None)?;
            let mut st = ctx.state.storage_mut();
            let empty = st
                .buckets
                .get(&bucket.name)
                .is_some_and(|b| b.objects.is_empty());
            if !empty {
                return Err(AwsError::bucket_not_empty(
                    "The bucket you tried to delete is not empty",
                )
                .with_resource(&bucket.name));
            }
            if st.access_points.values().any(|ap| ap.bucket == bucket.name) {
                return Err(AwsError::invalid_request(
                    "The bucket has access points attached; delete them first",
                ));
            }
            st.buckets.remove(&bucket.name);
            Ok(Resp::ok().status(StatusCode::NO_CONTENT))
        }
        S3Op::GetBucketLocation => {
            ctx.authorize("s3:GetBucketLocation", bucket, None)?;
            let region = if bucket.region == "us-east-1" {
                String::new()
            } else {
                bucket.region.clone()
            };
            Ok(Resp::xml(format!(
                "<LocationConstraint xmlns=\"{NS}\">{region}</LocationConstraint>"
            )))
        }
        S3Op::GetBucketVersioning => {
            ctx.authorize("s3:GetBucketVersioning", bucket, None)?;
            Ok(Resp::xml(format!(
                "<VersioningConfiguration xmlns=\"{NS}\"/>"
            )))
        }
        S3Op::ListObjects | S3Op::ListObjectsV2 | S3Op::ListObjectVersions => {
            list_objects(ctx, bucket)
        }
        S3Op::ListMultipartUploads => list_uploads(ctx, bucket),
        S3Op::GetBucketPolicy => {
            ctx.authorize("s3:GetBucketPolicy", bucket, None)?;
            let policy = bucket.policy.as_ref().ok_or_else(|| {
                AwsError::no_such_bucket_policy("The bucket policy does not exist")
                    .with_resource(&bucket.name)
            })?;
            let text = show_policy(ctx.state, &policy.text);
            Ok(Resp {
                status: StatusCode::OK,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Bytes::from(text),
            })
        }
        S3Op::PutBucketPolicy => {
            ctx.authorize("s3:PutBucketPolicy", bucket, None)?;
            let text = std::str::from_utf8(body)
                .map_err(|_| AwsError::malformed_policy("Policies must be valid UTF-8 JSON"))?;
            let stored = validate_resource_policy(ctx.state, text, PolicyKind::Bucket, |p| {
                p.check_resources_for_bucket(&bucket.name)
            })?;
            if bucket
                .public_access_block
                .is_some_and(|b| b.block_public_policy)
                && policy_eval::lint::is_public(&stored.compiled)
            {
                return Err(AwsError::access_denied(
                    "Access Denied: the bucket's BlockPublicPolicy setting refuses public policies",
                ));
            }
            if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
                b.policy = Some(stored);
            }
            Ok(Resp::ok().status(StatusCode::NO_CONTENT))
        }
        S3Op::DeleteBucketPolicy => {
            ctx.authorize("s3:DeleteBucketPolicy", bucket, None)?;
            if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
                b.policy = None;
            }
            Ok(Resp::ok().status(StatusCode::NO_CONTENT))
        }
        S3Op::GetBucketPolicyStatus => {
            ctx.authorize("s3:GetBucketPolicyStatus", bucket, None)?;
            let public = bucket
                .policy
                .as_ref()
                .is_some_and(|p| policy_eval::lint::is_public(&p.compiled));
            Ok(Resp::xml(format!(
                "<PolicyStatus xmlns=\"{NS}\"><IsPublic>{public}</IsPublic></PolicyStatus>"
            )))
        }
        S3Op::GetPublicAccessBlock => {
            ctx.authorize("s3:GetBucketPublicAccessBlock", bucket, None)?;
            let pab = bucket.public_access_block.ok_or_else(|| {
                AwsError::no_such_public_access_block(
                    "The public access block configuration was not found",
                )
                .with_resource(&bucket.name)
            })?;
            Ok(Resp::xml(pab_xml(&pab)))
        }
        S3Op::PutPublicAccessBlock => {
            ctx.authorize("s3:PutBucketPublicAccessBlock", bucket, None)?;
            let pab = parse_pab(body)?;
            if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
                b.public_access_block = Some(pab);
            }
            Ok(Resp::ok())
        }
        S3Op::DeletePublicAccessBlock => {
            ctx.authorize("s3:PutBucketPublicAccessBlock", bucket, None)?;
            if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
                b.public_access_block = None;
            }
            Ok(Resp::ok().status(StatusCode::NO_CONTENT))
        }
        S3Op::DeleteObjects => delete_objects(ctx, bucket, body),
        S3Op::PutObject => put_object(ctx, bucket, key.unwrap_or_default(), body),
        S3Op::CopyObject => copy_object(ctx, bucket, key.unwrap_or_default()),
        S3Op::GetObject | S3Op::HeadObject => get_object(ctx, bucket, key.unwrap_or_default()),
        S3Op::DeleteObject => {
            let key = key.unwrap_or_default();
            let action = versioned_action(ctx, "s3:DeleteObject", "s3:DeleteObjectVersion")?;
            ctx.authorize(action, bucket, Some(&key))?;
            if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
                b.objects.remove(&key);
            }
            Ok(Resp::ok().status(StatusCode::NO_CONTENT))
        }
        S3Op::CreateMultipartUpload => create_upload(ctx, bucket, key.unwrap_or_default()),
        S3Op::UploadPart => upload_part(ctx, bucket, key.unwrap_or_default(), body),
        S3Op::CompleteMultipartUpload => {
            complete_upload(ctx, bucket, key.unwrap_or_default(), body)
        }
        S3Op::AbortMultipartUpload => {
            let key = key.unwrap_or_default();
            ctx.authorize("s3:AbortMultipartUpload", bucket, Some(&key))?;
            let id = ctx.q("uploadId").unwrap_or_default().to_owned();
            let mut st = ctx.state.storage_mut();
            let b = st
                .buckets
                .get_mut(&bucket.name)
                .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
            if b.uploads.get(&id).is_none_or(|u| u.key != key) {
                return Err(AwsError::no_such_upload(
                    "The specified upload does not exist.",
                ));
            }
            b.uploads.remove(&id);
            Ok(Resp::ok().status(StatusCode::NO_CONTENT))
        }
        S3Op::ListParts => list_parts(ctx, bucket, key.unwrap_or_default()),
        S3Op::ListBuckets | S3Op::CreateBucket | S3Op::PostObject | S3Op::UploadPartCopy => Err(
            AwsError::internal_error("operation routed to the wrong handler"),
        ),
    }
}

/// Validates a bucket or access-point policy as S3 does on PUT: grammar, size, resources, and
/// every principal must exist (`MalformedPolicy: Invalid principal in policy`).
pub fn validate_resource_policy(
    state: &State,
    text: &str,
    kind: PolicyKind,
    check_resources: impl Fn(&policy_eval::Policy) -> Result<(), policy_eval::PolicyError>,
) -> Result<ResourcePolicy, AwsError> {
    let compiled = policy_eval::Policy::parse(text, kind)
        .map_err(|e| AwsError::malformed_policy(e.to_string()))?;
    check_resources(&compiled).map_err(|e| AwsError::malformed_policy(e.to_string()))?;
    let iam = state.iam();
    for stmt in &compiled.statements {
        let Some(p) = &stmt.principal else { continue };
        for w in p.set.written() {
            if !iam.principal_exists(&w.kind, &w.value) {
                return Err(AwsError::malformed_policy(format!(
                    "Invalid principal in policy: `{}` (statement `{}`) names an identity that does not exist",
                    w.value,
                    stmt.label()
                )));
            }
        }
    }
    Ok(ResourcePolicy {
        text: text.to_owned(),
        compiled,
    })
}

/// A stored policy as AWS returns it: unique ids of known users and roles shown as their ARNs.
pub fn show_policy(state: &State, text: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_owned();
    };
    let iam = state.iam();
    let rewrite = |v: &mut serde_json::Value| {
        if let serde_json::Value::String(s) = v {
            if let Some(arn) = iam.arn_for_unique_id(s) {
                *s = arn.to_owned();
            }
        }
    };
    let statements: Vec<&mut serde_json::Value> = match doc.get_mut("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter_mut().collect(),
        Some(obj) => vec![obj],
        None => Vec::new(),
    };
    for stmt in statements {
        for field in ["Principal", "NotPrincipal"] {
            if let Some(aws) = stmt.get_mut(field).and_then(|p| p.get_mut("AWS")) {
                match aws {
                    serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite),
                    other => rewrite(other),
                }
            }
        }
    }
    serde_json::to_string(&doc).unwrap_or_else(|_| text.to_owned())
}

fn pab_xml(p: &PublicAccessBlock) -> String {
    format!(
        "<PublicAccessBlockConfiguration xmlns=\"{NS}\"><BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls><BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
        p.block_public_acls, p.ignore_public_acls, p.block_public_policy, p.restrict_public_buckets
    )
}

/// Reads a `PublicAccessBlockConfiguration` document.
pub fn parse_pab(body: &[u8]) -> Result<PublicAccessBlock, AwsError> {
    let el = xml::parse(body)?;
    let flag = |n: &str| -> Result<bool, AwsError> {
        match el.child_text(n).map(str::trim) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(AwsError::malformed_xml(format!(
                "`{n}` must be true or false, not `{v}`"
            ))),
        }
    };
    Ok(PublicAccessBlock {
        block_public_acls: flag("BlockPublicAcls")?,
        ignore_public_acls: flag("IgnorePublicAcls")?,
        block_public_policy: flag("BlockPublicPolicy")?,
        restrict_public_buckets: flag("RestrictPublicBuckets")?,
    })
}

fn list_buckets(ctx: &mut Ctx<'_>) -> Result<Resp, AwsError> {
    if ctx.auth.caller.principal.is_anonymous() {
        return Err(AwsError::access_denied("Access Denied"));
    }
    let account = ctx.auth.caller.account().to_owned();
    let pseudo = pseudo_bucket("", &account, &ctx.state.region);
    ctx.authorize("s3:ListAllMyBuckets", &pseudo, None)?;
    let st = ctx.state.storage();
    let mut items = String::new();
    for b in st.buckets.values().filter(|b| b.owner == account) {
        items.push_str(&format!(
            "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate><BucketRegion>{}</BucketRegion></Bucket>",
            escape(&b.name),
            iso(b.created),
            b.region
        ));
    }
    let canonical = ctx
        .state
        .iam()
        .accounts
        .get(&account)
        .map(|a| a.canonical_id.clone())
        .unwrap_or_default();
    Ok(Resp::xml(format!(
        "<ListAllMyBucketsResult xmlns=\"{NS}\"><Owner><ID>{canonical}</ID><DisplayName>{account}</DisplayName></Owner><Buckets>{items}</Buckets></ListAllMyBucketsResult>"
    )))
}

fn pseudo_bucket(name: &str, owner: &str, region: &str) -> Bucket {
    Bucket {
        name: name.to_owned(),
        owner: owner.to_owned(),
        region: region.to_owned(),
        created: OffsetDateTime::UNIX_EPOCH,
        policy: None,
        public_access_block: None,
        objects: BTreeMap::new(),
        uploads: BTreeMap::new(),
    }
}

fn create_bucket(ctx: &mut Ctx<'_>, body: &Bytes) -> Result<Resp, AwsError> {
    let name = ctx.bucket.unwrap_or_default().to_owned();
    if ctx.auth.caller.principal.is_anonymous() {
        return Err(AwsError::access_denied("Access Denied"));
    }
    if !crate::storage::valid_bucket_name(&name) {
        return Err(
            AwsError::invalid_bucket_name("The specified bucket is not valid.")
                .with_resource(&name),
        );
    }
    // No LocationConstraint means us-east-1; naming us-east-1 explicitly is refused, as S3 does.
    let constraint = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        xml::parse(body)?
            .child_text("LocationConstraint")
            .map(str::to_owned)
    };
    let region = match constraint.as_deref() {
        None | Some("") => "us-east-1",
        Some("us-east-1") => {
            return Err(AwsError::invalid_argument(
                "The specified location-constraint is not valid",
            )
            .with_code("InvalidLocationConstraint"))
        }
        Some(r) => r,
    };
    if region != ctx.state.region {
        return Err(AwsError::invalid_argument(format!(
            "The {region} location constraint is incompatible for the region specific endpoint this request was sent to ({}).",
            ctx.state.region
        ))
        .with_code("IllegalLocationConstraintException"));
    }
    let account = ctx.auth.caller.account().to_owned();
    let pseudo = pseudo_bucket(&name, &account, &ctx.state.region);
    ctx.authorize("s3:CreateBucket", &pseudo, None)?;
    let mut st = ctx.state.storage_mut();
    if let Some(existing) = st.buckets.get(&name) {
        // us-east-1 answers 200 to its own owner for legacy compatibility.
        if existing.owner == account && ctx.state.region == "us-east-1" {
            return Ok(Resp::ok().header("location", format!("/{name}")));
        }
        return Err(if existing.owner == account {
            AwsError::bucket_already_owned_by_you("Your previous request to create the named bucket succeeded and you already own it.")
        } else {
            AwsError::bucket_already_exists("The requested bucket name is not available.")
        }
        .with_resource(&name));
    }
    let mut bucket = pseudo;
    bucket.created = ctx.state.now();
    // New buckets block public access by default, as S3 does since April 2023.
    bucket.public_access_block = Some(PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    });
    st.buckets.insert(name.clone(), bucket);
    Ok(Resp::ok().header("location", format!("/{name}")))
}

fn max_keys(ctx: &Ctx<'_>) -> Result<usize, AwsError> {
    match ctx.q("max-keys") {
        None => Ok(1000),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n.min(1000) as usize)
            .ok_or_else(|| {
                AwsError::invalid_argument(
                    "Provided max-keys not an integer or within integer range",
                )
            }),
    }
}

fn list_objects(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    let prefix = ctx.q("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx
        .q("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let max = max_keys(ctx)?;
    ctx.facts.keys.push(("s3:prefix", prefix.clone()));
    if let Some(d) = &delimiter {
        ctx.facts.keys.push(("s3:delimiter", d.clone()));
    }
    if let Some(raw) = ctx.q("max-keys") {
        ctx.facts.keys.push(("s3:max-keys", raw.to_owned()));
    }
    let action = if ctx.op == S3Op::ListObjectVersions {
        "s3:ListBucketVersions"
    } else {
        "s3:ListBucket"
    };
    ctx.authorize(action, bucket, None)?;
    let v2 = ctx.op == S3Op::ListObjectsV2;
    let url_encode = ctx.q("encoding-type") == Some("url");
    let enc = |s: &str| {
        if url_encode {
            crate::sigv4::uri_encode(s, true)
        } else {
            escape(s)
        }
    };
    let start = if v2 {
        match ctx.q("continuation-token") {
            Some(t) => base64::engine::general_purpose::STANDARD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    AwsError::invalid_argument("The continuation token provided is incorrect")
                })?,
            None => ctx.q("start-after").unwrap_or_default().to_owned(),
        }
    } else if ctx.op == S3Op::ListObjectVersions {
        ctx.q("key-marker").unwrap_or_default().to_owned()
    } else {
        ctx.q("marker").unwrap_or_default().to_owned()
    };
    // A marker naming a common prefix (V1 NextMarker, versions' NextKeyMarker) resumes after
    // everything under it, or the same prefix would come back forever.
    let start = match &delimiter {
        Some(d)
            if ctx.op != S3Op::ListObjectsV2
                && start.ends_with(d.as_str())
                && start.starts_with(&prefix) =>
        {
            format!("{start}\u{10FFFF}")
        }
        _ => start,
    };
    let st = ctx.state.storage();
    let objects = &st
        .buckets
        .get(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?
        .objects;
    let mut contents = String::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut count = 0;
    let mut truncated = false;
    let mut last = String::new();
    // Seek to the prefix (or past the marker, whichever is later) and stop at the first key
    // outside the prefix: a page costs its own size, not the bucket's.
    let lower = if start.as_str() >= prefix.as_str() {
        std::ops::Bound::Excluded(start.clone())
    } else {
        std::ops::Bound::Included(prefix.clone())
    };
    let range = objects.range::<String, _>((lower, std::ops::Bound::Unbounded));
    for (k, o) in range.take_while(|(k, _)| k.starts_with(&prefix)) {
        if let Some(d) = &delimiter {
            if let Some(i) = k[prefix.len()..].find(d.as_str()) {
                let cp = &k[..prefix.len() + i + d.len()];
                if prefixes.last().map(String::as_str) == Some(cp) {
                    continue;
                }
                if count == max {
                    truncated = true;
                    break;
                }
                prefixes.push(cp.to_owned());
                last = cp.to_owned();
                count += 1;
                continue;
            }
        }
        if count == max {
            truncated = true;
            break;
        }
        let common = format!(
            "<Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass>",
            enc(k),
            iso(o.last_modified),
            escape(&o.etag),
            o.data.len()
        );
        if ctx.op == S3Op::ListObjectVersions {
            contents.push_str(&format!(
                "<Version>{common}<VersionId>null</VersionId><IsLatest>true</IsLatest></Version>"
            ));
        } else {
            contents.push_str(&format!("<Contents>{common}</Contents>"));
        }
        last = k.clone();
        count += 1;
    }
    // A common prefix is skipped past as a whole: the next page starts after everything under it.
    let resume_after = if delimiter.as_deref().is_some_and(|d| last.ends_with(d))
        && prefixes.last() == Some(&last)
    {
        format!("{last}\u{10FFFF}")
    } else {
        last.clone()
    };
    let mut out = String::new();
    let root = match ctx.op {
        S3Op::ListObjectVersions => "ListVersionsResult",
        _ => "ListBucketResult",
    };
    out.push_str(&format!(
        "<{root} xmlns=\"{NS}\"><Name>{}</Name><Prefix>{}</Prefix>",
        escape(&bucket.name),
        enc(&prefix)
    ));
    if let Some(d) = &delimiter {
        out.push_str(&format!("<Delimiter>{}</Delimiter>", enc(d)));
    }
    out.push_str(&format!(
        "<MaxKeys>{max}</MaxKeys><IsTruncated>{truncated}</IsTruncated>"
    ));
    if url_encode {
        out.push_str("<EncodingType>url</EncodingType>");
    }
    match ctx.op {
        S3Op::ListObjectsV2 => {
            out.push_str(&format!("<KeyCount>{count}</KeyCount>"));
            if let Some(t) = ctx.q("continuation-token") {
                out.push_str(&format!(
                    "<ContinuationToken>{}</ContinuationToken>",
                    escape(t)
                ));
            }
            if let Some(s) = ctx.q("start-after") {
                out.push_str(&format!("<StartAfter>{}</StartAfter>", enc(s)));
            }
            if truncated {
                let token =
                    base64::engine::general_purpose::STANDARD.encode(resume_after.as_bytes());
                out.push_str(&format!(
                    "<NextContinuationToken>{token}</NextContinuationToken>"
                ));
            }
        }
        S3Op::ListObjectVersions => {
            out.push_str(&format!(
                "<KeyMarker>{}</KeyMarker><VersionIdMarker></VersionIdMarker>",
                enc(&start)
            ));
            if truncated {
                out.push_str(&format!("<NextKeyMarker>{}</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>", enc(&last)));
            }
        }
        _ => {
            out.push_str(&format!("<Marker>{}</Marker>", enc(&start)));
            if truncated && delimiter.is_some() {
                out.push_str(&format!("<NextMarker>{}</NextMarker>", enc(&last)));
            }
        }
    }
    out.push_str(&contents);
    for p in &prefixes {
        out.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            enc(p)
        ));
    }
    out.push_str(&format!("</{root}>"));
    let _ = v2;
    Ok(Resp::xml(out))
}

fn metadata_from(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix("x-amz-meta-")?;
            Some((name.to_owned(), v.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// Checksums sent in headers or trailers, verified against the body.
fn verify_checksums(ctx: &Ctx<'_>, data: &[u8]) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    let given = ctx
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .chain(ctx.auth.trailers.iter().cloned())
        .filter_map(|(k, v)| Some((k.strip_prefix("x-amz-checksum-")?.to_ascii_uppercase(), v)));
    for (algo, value) in given {
        if algo == "TYPE" || algo == "ALGORITHM" {
            continue;
        }
        let computed = match algo.as_str() {
            "CRC32" => Some(crc32fast::hash(data).to_be_bytes().to_vec()),
            "CRC32C" => Some(crc32c::crc32c(data).to_be_bytes().to_vec()),
            "SHA1" => {
                use sha1::Digest;
                Some(sha1::Sha1::digest(data).to_vec())
            }
            "SHA256" => {
                use sha2::Digest;
                Some(sha2::Sha256::digest(data).to_vec())
            }
            "CRC64NVME" => Some(crate::checksum::crc64_nvme(data).to_be_bytes().to_vec()),
            // Algorithms S3 does not define are kept as sent.
            _ => None,
        };
        if let Some(c) = computed {
            let want = base64::engine::general_purpose::STANDARD.encode(c);
            if want != value.trim() {
                return Err(AwsError::bad_digest(format!(
                    "The {algo} you specified did not match the calculated checksum."
                )));
            }
        }
        out.insert(algo, value);
    }
    Ok(out)
}

fn put_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    if key.len() > 1024 {
        return Err(AwsError::invalid_argument("Your key is too long"));
    }
    add_acl_fact(ctx);
    ctx.authorize("s3:PutObject", bucket, Some(&key))?;
    let checksums = verify_checksums(ctx, body)?;
    let etag = etag_of(body);
    let object = Object {
        data: body.clone(),
        etag: etag.clone(),
        last_modified: ctx.state.now(),
        content_type: ctx
            .h("content-type")
            .unwrap_or("binary/octet-stream")
            .to_owned(),
        metadata: metadata_from(ctx.headers),
        checksums: checksums.clone(),
    };
    let mut st = ctx.state.storage_mut();
    let b = st
        .buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
    // Checked under the same lock as the write, so two conditional writers cannot both win.
    check_put_preconditions(ctx, b.objects.get(&key).map(|o| o.etag.as_str()), &key)?;
    b.objects.insert(key, object);
    let mut resp = Resp::ok().header("etag", etag);
    for (algo, v) in checksums {
        resp = resp.header(&format!("x-amz-checksum-{}", algo.to_ascii_lowercase()), v);
    }
    Ok(resp)
}

/// `s3:x-amz-acl` for every operation that can set an ACL.
fn add_acl_fact(ctx: &mut Ctx<'_>) {
    if let Some(acl) = ctx.h("x-amz-acl") {
        let acl = acl.to_owned();
        ctx.facts.keys.push(("s3:x-amz-acl", acl));
    }
}

/// Conditional writes: `If-None-Match: *` refuses to overwrite, `If-Match` needs the current ETag
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>).
fn check_put_preconditions(
    ctx: &Ctx<'_>,
    current: Option<&str>,
    key: &str,
) -> Result<(), AwsError> {
    let if_none = ctx.h("if-none-match").map(str::trim);
    let if_match = ctx.h("if-match").map(str::trim);
    if if_none.is_none() && if_match.is_none() {
        return Ok(());
    }

    let failed = || {
        AwsError::precondition_failed(
            "At least one of the pre-conditions you specified did not hold",
        )
    };
    if let Some(v) = if_none {
        if v != "*" {
            return Err(AwsError::not_implemented(
                "If-None-Match on PUT only supports `*`",
            ));
        }
        if current.is_some() {
            return Err(failed());
        }
    }
    if let Some(v) = if_match {
        match &current {
            None => {
                return Err(
                    AwsError::no_such_key("The specified key does not exist.").with_resource(key)
                )
            }
            Some(etag) if v != "*" && v != *etag => return Err(failed()),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` against `len`; `None` for a range S3 ignores.
fn parse_range(h: &str, len: usize) -> Result<Option<(usize, usize)>, AwsError> {
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let unsatisfiable = || AwsError::invalid_range("The requested range is not satisfiable");
    match (a.trim(), b.trim()) {
        ("", n) => {
            let n: usize = n.parse().map_err(|_| unsatisfiable())?;
            if n == 0 || len == 0 {
                return Err(unsatisfiable());
            }
            Ok(Some((len.saturating_sub(n), len - 1)))
        }
        (a, "") => {
            let a: usize = a.parse().map_err(|_| unsatisfiable())?;
            if a >= len {
                return Err(unsatisfiable());
            }
            Ok(Some((a, len - 1)))
        }
        (a, b) => {
            let (a, b): (usize, usize) = (
                a.parse().map_err(|_| unsatisfiable())?,
                b.parse().map_err(|_| unsatisfiable())?,
            );
            if a > b {
                return Ok(None);
            }
            if a >= len {
                return Err(unsatisfiable());
            }
            Ok(Some((a, b.min(len - 1))))
        }
    }
}

/// The action for an object operation that may name a version. Buckets here are unversioned:
/// only the `null` version exists.
fn versioned_action(
    ctx: &Ctx<'_>,
    plain: &'static str,
    versioned: &'static str,
) -> Result<&'static str, AwsError> {
    match ctx.q("versionId") {
        None => Ok(plain),
        Some("null") => Ok(versioned),
        Some(_) => Err(AwsError::invalid_argument("Invalid version id specified")),
    }
}

fn get_object(ctx: &mut Ctx<'_>, bucket: &Bucket, key: String) -> Result<Resp, AwsError> {
    let action = versioned_action(ctx, "s3:GetObject", "s3:GetObjectVersion")?;
    ctx.authorize(action, bucket, Some(&key))?;
    let object = ctx
        .state
        .storage()
        .buckets
        .get(&bucket.name)
        .and_then(|b| b.objects.get(&key).cloned());
    let Some(o) = object else {
        // Without s3:ListBucket the caller may not learn whether the key exists.
        // S3 answers 404 when the caller could list this very key: the implicit ListBucket check is
        // made with `s3:prefix` set to the key, which is what AWS was observed to do (the identity
        // verification protocol of SPEC §4 depends on it).
        let mut probe = ctx.facts.clone();
        probe.keys.retain(|(k, _)| *k != "s3:prefix");
        probe.keys.push(("s3:prefix", key.clone()));
        let may_list = ctx.would_allow("s3:ListBucket", bucket, &probe);
        return Err(if may_list {
            AwsError::no_such_key("The specified key does not exist.").with_resource(&key)
        } else {
            AwsError::access_denied("Access Denied")
        });
    };
    if let Some(m) = ctx.h("if-match") {
        if m.trim() != "*" && m.trim() != o.etag {
            return Err(AwsError::precondition_failed(
                "At least one of the pre-conditions you specified did not hold",
            ));
        }
    }
    if let Some(m) = ctx.h("if-none-match") {
        if m.trim() == "*" || m.trim() == o.etag {
            return Ok(Resp::ok()
                .status(StatusCode::NOT_MODIFIED)
                .header("etag", o.etag.clone()));
        }
    }
    let total = o.data.len();
    let range = match ctx.h("range") {
        Some(r) => parse_range(r, total)?,
        None => None,
    };
    let mut resp = Resp::ok()
        .header("etag", o.etag.clone())
        .header("last-modified", http_date(o.last_modified))
        .header("accept-ranges", "bytes")
        .header(
            "content-type",
            ctx.q("response-content-type")
                .unwrap_or(&o.content_type)
                .to_owned(),
        );
    for (k, v) in &o.metadata {
        resp = resp.header(&format!("x-amz-meta-{k}"), v.clone());
    }
    if ctx
        .h("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"))
        && range.is_none()
    {
        for (algo, v) in &o.checksums {
            resp = resp.header(
                &format!("x-amz-checksum-{}", algo.to_ascii_lowercase()),
                v.clone(),
            );
        }
    }
    if let Some(d) = ctx.q("response-content-disposition") {
        resp = resp.header("content-disposition", d.to_owned());
    }
    let body = match range {
        Some((a, b)) => {
            resp = resp
                .status(StatusCode::PARTIAL_CONTENT)
                .header("content-range", format!("bytes {a}-{b}/{total}"));
            o.data.slice(a..=b)
        }
        None => o.data.clone(),
    };
    if ctx.op == S3Op::HeadObject {
        resp = resp.header("content-length", body.len().to_string());
        return Ok(resp);
    }
    resp.body = body;
    Ok(resp)
}

fn delete_objects(ctx: &mut Ctx<'_>, bucket: &Bucket, body: &Bytes) -> Result<Resp, AwsError> {
    let el = xml::parse(body)?;
    if el.name != "Delete" {
        return Err(AwsError::malformed_xml("The XML you provided was not well-formed or did not validate against our published schema"));
    }
    let quiet = el.child_text("Quiet").is_some_and(|q| q.trim() == "true");
    let keys: Vec<String> = el
        .children_named("Object")
        .filter_map(|o| o.child_text("Key").map(str::to_owned))
        .collect();
    if keys.is_empty() || keys.len() > 1000 {
        return Err(AwsError::malformed_xml(
            "A Delete request must name between 1 and 1000 objects",
        ));
    }
    let mut out = format!("<DeleteResult xmlns=\"{NS}\">");
    let mut any_allowed = false;
    for key in keys {
        let verdict = authz::authorize(
            ctx.auth,
            "s3:DeleteObject",
            bucket,
            Some(&key),
            ctx.access_point,
            &ctx.facts,
            ctx.now(),
        );
        if verdict.allowed() {
            any_allowed = true;
            if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
                b.objects.remove(&key);
            }
            if !quiet {
                out.push_str(&format!("<Deleted><Key>{}</Key></Deleted>", escape(&key)));
            }
        } else {
            out.push_str(&format!("<Error><Key>{}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", escape(&key)));
        }
        if !any_allowed || ctx.verdict.is_none() {
            ctx.verdict = Some(verdict);
        }
    }
    out.push_str("</DeleteResult>");
    Ok(Resp::xml(out))
}

fn copy_object(ctx: &mut Ctx<'_>, bucket: &Bucket, key: String) -> Result<Resp, AwsError> {
    let source = ctx.h("x-amz-copy-source").unwrap_or_default();
    let source = crate::sigv4::percent_decode(source.split('?').next().unwrap_or_default())
        .ok_or_else(|| AwsError::invalid_argument("Invalid copy source encoding"))?;
    let source = source.trim_start_matches('/');
    let (src_bucket, src_key) = source
        .split_once('/')
        .ok_or_else(|| AwsError::invalid_argument("Invalid copy source object key"))?;
    let src = load_bucket(ctx.state, src_bucket)?;
    let src_verdict = authz::authorize(
        ctx.auth,
        "s3:GetObject",
        &src,
        Some(src_key),
        None,
        &ctx.facts,
        ctx.now(),
    );
    if !src_verdict.allowed() {
        ctx.verdict = Some(src_verdict);
        return Err(AwsError::access_denied("Access Denied"));
    }
    add_acl_fact(ctx);
    ctx.authorize("s3:PutObject", bucket, Some(&key))?;
    let replace = ctx
        .h("x-amz-metadata-directive")
        .is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
    if src_bucket == bucket.name && src_key == key && !replace {
        return Err(AwsError::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let source_exists = ctx
        .state
        .storage()
        .buckets
        .get(src_bucket)
        .is_some_and(|b| b.objects.contains_key(src_key));
    if !source_exists {
        // As for GetObject: only a caller who may list the source learns that the key is absent.
        let mut probe = ctx.facts.clone();
        probe.keys.retain(|(k, _)| *k != "s3:prefix");
        probe.keys.push(("s3:prefix", src_key.to_owned()));
        let may_list = authz::authorize(
            ctx.auth,
            "s3:ListBucket",
            &src,
            None,
            None,
            &probe,
            ctx.now(),
        )
        .allowed();
        return Err(if may_list {
            AwsError::no_such_key("The specified key does not exist.").with_resource(src_key)
        } else {
            AwsError::access_denied("Access Denied")
        });
    }
    let mut st = ctx.state.storage_mut();
    let mut object = st
        .buckets
        .get(src_bucket)
        .and_then(|b| b.objects.get(src_key))
        .cloned()
        .ok_or_else(|| {
            AwsError::no_such_key("The specified key does not exist.").with_resource(src_key)
        })?;
    object.last_modified = ctx.state.now();
    if replace {
        object.metadata = metadata_from(ctx.headers);
        if let Some(ct) = ctx.h("content-type") {
            object.content_type = ct.to_owned();
        }
    }
    let (etag, modified) = (object.etag.clone(), object.last_modified);
    st.buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?
        .objects
        .insert(key, object);
    Ok(Resp::xml(format!(
        "<CopyObjectResult xmlns=\"{NS}\"><LastModified>{}</LastModified><ETag>{}</ETag></CopyObjectResult>",
        iso(modified),
        escape(&etag)
    )))
}

fn create_upload(ctx: &mut Ctx<'_>, bucket: &Bucket, key: String) -> Result<Resp, AwsError> {
    add_acl_fact(ctx);
    ctx.authorize("s3:PutObject", bucket, Some(&key))?;
    let mut st = ctx.state.storage_mut();
    st.upload_counter += 1;
    // Upload ids must not be guessable: one caller's id must not name another's upload.
    let id = {
        use sha2::Digest;
        let seed = format!(
            "{}/{}/{key}/{}",
            st.upload_counter,
            bucket.name,
            ctx.now().unix_timestamp_nanos()
        );
        crate::sigv4::to_hex(&sha2::Sha256::digest(seed.as_bytes()))
    };
    let upload = Upload {
        key: key.clone(),
        initiated: ctx.state.now(),
        content_type: ctx
            .h("content-type")
            .unwrap_or("binary/octet-stream")
            .to_owned(),
        metadata: metadata_from(ctx.headers),
        parts: BTreeMap::new(),
    };
    st.buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?
        .uploads
        .insert(id.clone(), upload);
    Ok(Resp::xml(format!(
        "<InitiateMultipartUploadResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>",
        escape(&bucket.name),
        escape(&key)
    )))
}

fn upload_part(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    ctx.authorize("s3:PutObject", bucket, Some(&key))?;
    let part: u32 = ctx
        .q("partNumber")
        .and_then(|p| p.parse().ok())
        .filter(|p| (1..=10_000).contains(p))
        .ok_or_else(|| {
            AwsError::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })?;
    verify_checksums(ctx, body)?;
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let etag = etag_of(body);
    let mut st = ctx.state.storage_mut();
    let upload = st
        .buckets
        .get_mut(&bucket.name)
        .and_then(|b| b.uploads.get_mut(&id))
        .filter(|u| u.key == key)
        .ok_or_else(|| AwsError::no_such_upload("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."))?;
    upload.parts.insert(part, (body.clone(), etag.clone()));
    Ok(Resp::ok().header("etag", etag))
}

fn complete_upload(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    ctx.authorize("s3:PutObject", bucket, Some(&key))?;
    let el = xml::parse(body)?;
    let mut wanted: Vec<(u32, String)> = Vec::new();
    for p in el.children_named("Part") {
        let n = p
            .child_text("PartNumber")
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| AwsError::malformed_xml("Each Part needs a PartNumber"))?;
        let etag = p.child_text("ETag").unwrap_or_default().trim().to_owned();
        wanted.push((n, etag));
    }
    if wanted.is_empty() {
        return Err(AwsError::malformed_xml(
            "You must specify at least one part",
        ));
    }
    if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(AwsError::invalid_part_order(
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        ));
    }
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let now = ctx.state.now();
    let mut st = ctx.state.storage_mut();
    let b = st
        .buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
    let upload = b
        .uploads
        .get(&id)
        .filter(|u| u.key == key)
        .ok_or_else(|| AwsError::no_such_upload("The specified upload does not exist."))?;
    let mut data = Vec::new();
    let mut md5s = Vec::new();
    for (i, (n, etag)) in wanted.iter().enumerate() {
        let (bytes, stored_etag) = upload.parts.get(n).ok_or_else(|| {
            AwsError::invalid_part("One or more of the specified parts could not be found.")
        })?;
        let norm = |e: &str| e.trim_matches('"').to_owned();
        if norm(etag) != norm(stored_etag) {
            return Err(AwsError::invalid_part("One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."));
        }
        if i + 1 < wanted.len() && bytes.len() < 5 * 1024 * 1024 {
            return Err(AwsError::entity_too_small(
                "Your proposed upload is smaller than the minimum allowed object size.",
            ));
        }
        data.extend_from_slice(bytes);
        md5s.extend(hex::decode(norm(stored_etag)).unwrap_or_default());
    }
    let etag = {
        use md5::{Digest, Md5};
        format!("\"{}-{}\"", hex::encode(Md5::digest(&md5s)), wanted.len())
    };
    let object = Object {
        data: Bytes::from(data),
        etag: etag.clone(),
        last_modified: now,
        content_type: upload.content_type.clone(),
        metadata: upload.metadata.clone(),
        checksums: BTreeMap::new(),
    };
    b.uploads.remove(&id);
    b.objects.insert(key.clone(), object);
    Ok(Resp::xml(format!(
        "<CompleteMultipartUploadResult xmlns=\"{NS}\"><Location>/{}/{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></CompleteMultipartUploadResult>",
        escape(&bucket.name),
        escape(&key),
        escape(&bucket.name),
        escape(&key),
        escape(&etag)
    )))
}

fn list_parts(ctx: &mut Ctx<'_>, bucket: &Bucket, key: String) -> Result<Resp, AwsError> {
    ctx.authorize("s3:ListMultipartUploadParts", bucket, Some(&key))?;
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let st = ctx.state.storage();
    let upload = st
        .buckets
        .get(&bucket.name)
        .and_then(|b| b.uploads.get(&id))
        .filter(|u| u.key == key)
        .ok_or_else(|| AwsError::no_such_upload("The specified upload does not exist."))?;
    let mut parts = String::new();
    for (n, (data, etag)) in &upload.parts {
        parts.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag><Size>{}</Size></Part>",
            escape(etag),
            data.len()
        ));
    }
    Ok(Resp::xml(format!(
        "<ListPartsResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId><IsTruncated>false</IsTruncated>{parts}</ListPartsResult>",
        escape(&bucket.name),
        escape(&key)
    )))
}

fn list_uploads(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    ctx.authorize("s3:ListBucketMultipartUploads", bucket, None)?;
    let st = ctx.state.storage();
    let mut items = String::new();
    if let Some(b) = st.buckets.get(&bucket.name) {
        for (id, u) in &b.uploads {
            items.push_str(&format!(
                "<Upload><Key>{}</Key><UploadId>{id}</UploadId><Initiated>{}</Initiated><StorageClass>STANDARD</StorageClass></Upload>",
                escape(&u.key),
                iso(u.initiated)
            ));
        }
    }
    Ok(Resp::xml(format!(
        "<ListMultipartUploadsResult xmlns=\"{NS}\"><Bucket>{}</Bucket><IsTruncated>false</IsTruncated>{items}</ListMultipartUploadsResult>",
        escape(&bucket.name)
    )))
}

fn post_object(ctx: &mut Ctx<'_>, body: &Bytes) -> Result<Resp, AwsError> {
    use crate::auth::{AuthType, Authenticated, SigVersion};
    let name = ctx.bucket.unwrap_or_default().to_owned();
    let bucket = load_bucket(ctx.state, &name)?;
    let fields = crate::post::parse_form(ctx.h("content-type").unwrap_or_default(), body)?;
    let now = ctx.now();
    let (upload, caller) = {
        let iam = ctx.state.iam();
        let upload = crate::post::verify(&fields, &bucket.name, now, &ctx.state.region, |ak| {
            iam.key(ak).map(|e| e.secret.clone())
        })?;
        let entry = iam.key(&upload.access_key).ok_or_else(|| {
            AwsError::invalid_access_key_id(
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        })?;
        let token = upload
            .fields
            .iter()
            .find(|(k, _)| k == "x-amz-security-token")
            .map(|(_, v)| v.as_str());
        match (&entry.session_token, token) {
            (None, _) => {}
            (Some(want), Some(got)) if crate::sigv4::constant_time_eq(want, got) => {}
            _ => {
                return Err(AwsError::invalid_token(
                    "The provided token is malformed or otherwise invalid.",
                ))
            }
        }
        let caller = iam.caller(entry, now)?;
        (upload, caller)
    };
    let auth = Authenticated {
        caller,
        access_key: Some(upload.access_key.clone()),
        signature: Some((
            if upload.sigv2 {
                SigVersion::V2
            } else {
                SigVersion::V4
            },
            AuthType::Post,
        )),
        signature_age_ms: None,
        content_sha256: None,
        body: Bytes::new(),
        trailers: Vec::new(),
    };
    if let Some((_, acl)) = upload.fields.iter().find(|(k, _)| k == "acl") {
        ctx.facts.keys.push(("s3:x-amz-acl", acl.clone()));
    }
    let verdict = authz::authorize(
        &auth,
        "s3:PutObject",
        &bucket,
        Some(&upload.key),
        ctx.access_point,
        &ctx.facts,
        now,
    );
    let allowed = verdict.allowed();
    ctx.verdict = Some(verdict);
    if !allowed {
        return Err(AwsError::access_denied("Access Denied"));
    }
    let data = Bytes::from(upload.data);
    let etag = etag_of(&data);
    let metadata = upload
        .fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("x-amz-meta-")?.to_owned(), v.clone())))
        .collect();
    let object = Object {
        data,
        etag: etag.clone(),
        last_modified: now,
        content_type: upload
            .content_type
            .unwrap_or_else(|| "binary/octet-stream".to_owned()),
        metadata,
        checksums: BTreeMap::new(),
    };
    ctx.state
        .storage_mut()
        .buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?
        .objects
        .insert(upload.key.clone(), object);
    let location = format!(
        "/{}/{}",
        bucket.name,
        crate::sigv4::uri_encode(&upload.key, true)
    );
    let resp = match upload.success_status {
        201 => Resp::xml(format!(
            "<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
            escape(&location),
            escape(&bucket.name),
            escape(&upload.key),
            escape(&etag)
        ))
        .status(StatusCode::CREATED),
        200 => Resp::ok(),
        _ => Resp::ok().status(StatusCode::NO_CONTENT),
    };
    Ok(resp.header("etag", etag).header("location", location))
}

/// The decision to journal for a request that got this far.
pub fn journal_decision(ctx: &Ctx<'_>) -> (Option<Decision>, String) {
    match &ctx.verdict {
        Some(v) => (Some(v.decision), v.explanation.summary.clone()),
        None => (None, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100).ok(), Some(Some((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100).ok(), Some(Some((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100).ok(), Some(Some((90, 99))));
        assert_eq!(parse_range("bytes=-200", 100).ok(), Some(Some((0, 99))));
        assert_eq!(parse_range("bytes=50-500", 100).ok(), Some(Some((50, 99))));
        assert_eq!(parse_range("bytes=9-1", 100).ok(), Some(None));
        assert!(parse_range("bytes=100-", 100).is_err());
        assert!(parse_range("bytes=x-1", 100).is_err());
        assert_eq!(parse_range("items=0-1", 100).ok(), Some(None));
    }
}
