//! What an S3 request says before it is decided: the checks S3 makes before authorization (an
//! operation refused through an access point, a bucket that does not exist, a malformed version
//! id, tag set or copy source) and the condition keys the request carries (`s3:prefix`,
//! `s3:VersionId`, `s3:ExistingObjectTag/…`, `s3:RequestObjectTag/…`, `s3:locationconstraint`),
//! as the Service Authorization Reference lists them for each action
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>).
//! The pipeline then authorizes once, with what [`crate::operation`] declares for the operation,
//! and the handler gets the [`Prepared`] request.

use super::*;
use crate::storage::{Ownership, TagSet};

/// An S3 request ready to be decided and handled.
#[derive(Debug)]
pub struct Prepared {
    /// What the decision is made on: the addressed bucket, or for ListBuckets and CreateBucket a
    /// bucket owned by the caller's account that does not exist (yet). POST Object learns its
    /// bucket only from the verified form, so its handler loads it; this one is empty.
    pub bucket: Bucket,
    /// The object key the request addresses.
    pub key: Option<String>,
    /// The version the request names (`versionId`), checked.
    pub version: Option<String>,
    /// The tags a write carries (`x-amz-tagging`, or PutObjectTagging's body); a copy's only when
    /// its tagging directive is `REPLACE`.
    pub tags: Option<TagSet>,
    /// The addressed object's stored tags, where its condition keys are read (`None`: no object).
    pub existing_tags: Option<TagSet>,
    /// A copy's source (CopyObject, UploadPartCopy).
    pub copy_source: Option<CopySource>,
    /// UploadPartCopy's part number.
    pub part: Option<u32>,
    /// CreateBucket's requested Object Ownership.
    pub ownership: Option<Ownership>,
}

impl Prepared {
    fn on(bucket: Bucket, key: Option<String>) -> Self {
        Prepared {
            bucket,
            key,
            version: None,
            tags: None,
            existing_tags: None,
            copy_source: None,
            part: None,
            ownership: None,
        }
    }
}

/// Reads and checks what `ctx`'s operation needs before it is decided, and sets its condition keys.
pub fn prepare(ctx: &mut Ctx<'_>, body: &Bytes) -> Result<Prepared, AwsError> {
    if ctx.access_point.is_some() && ctx.op.refused_through_access_point() {
        return Err(AwsError::invalid_request(format!(
            "{} is not supported through an access point",
            ctx.op.name()
        )));
    }
    match ctx.op {
        S3Op::ListBuckets => {
            let account = caller_account(ctx)?;
            Ok(Prepared::on(
                pseudo_bucket("", &account, &ctx.auth.caller.owner_id, &ctx.state.region),
                None,
            ))
        }
        S3Op::CreateBucket => prepare_create_bucket(ctx, body),
        S3Op::PostObject => Ok(Prepared::on(
            pseudo_bucket("", "", "", &ctx.state.region),
            None,
        )),
        op => {
            let name = ctx.bucket.unwrap_or_default().to_owned();
            let bucket = load_bucket(ctx.state, &name)?;
            let key = ctx.key.map(str::to_owned);
            let mut p = Prepared::on(bucket, key);
            prepare_on_bucket(ctx, op, &mut p, body)?;
            Ok(p)
        }
    }
}

/// The caller's account; anonymous callers have none, and S3 refuses them account requests.
fn caller_account(ctx: &Ctx<'_>) -> Result<String, AwsError> {
    if ctx.auth.caller.principal.is_anonymous() {
        return Err(AwsError::access_denied("Access Denied"));
    }
    Ok(ctx.auth.caller.account().to_owned())
}

fn prepare_on_bucket(
    ctx: &mut Ctx<'_>,
    op: S3Op,
    p: &mut Prepared,
    body: &Bytes,
) -> Result<(), AwsError> {
    let key = p.key.clone().unwrap_or_default();
    match op {
        S3Op::ListObjects | S3Op::ListObjectsV2 | S3Op::ListObjectVersions => {
            let prefix = ctx.q("prefix").unwrap_or_default().to_owned();
            let delimiter = ctx
                .q("delimiter")
                .filter(|d| !d.is_empty())
                .map(str::to_owned);
            max_keys(ctx)?;
            ctx.facts.keys.push(("s3:prefix", prefix));
            if let Some(d) = delimiter {
                ctx.facts.keys.push(("s3:delimiter", d));
            }
            if let Some(raw) = ctx.q("max-keys") {
                let raw = raw.to_owned();
                ctx.facts.keys.push(("s3:max-keys", raw));
            }
        }
        S3Op::GetObject | S3Op::HeadObject | S3Op::GetObjectAttributes => {
            p.version = requested_version(ctx)?;
            if let Some(v) = &p.version {
                ctx.facts.keys.push(("s3:VersionId", v.clone()));
            }
            if let Some(tags) = stored_tags(ctx, &p.bucket.name, &key) {
                add_existing_tag_facts(ctx, &tags);
            }
        }
        S3Op::DeleteObject => {
            p.version = requested_version(ctx)?;
            if let Some(v) = &p.version {
                ctx.facts.keys.push(("s3:VersionId", v.clone()));
            }
        }
        S3Op::GetObjectAcl | S3Op::PutObjectAcl => {
            p.version = requested_version(ctx)?;
            if let Some(tags) = stored_tags(ctx, &p.bucket.name, &key) {
                add_existing_tag_facts(ctx, &tags);
            }
        }
        S3Op::GetObjectTagging | S3Op::DeleteObjectTagging => {
            p.version = requested_version(ctx)?;
            p.existing_tags = stored_tags(ctx, &p.bucket.name, &key);
            add_existing_tag_facts(ctx, p.existing_tags.as_ref().unwrap_or(&TagSet::new()));
        }
        S3Op::PutObjectTagging => {
            p.version = requested_version(ctx)?;
            let tags = tagging::parse_xml(body)?;
            tagging::validate(&tags, tagging::MAX_OBJECT_TAGS).map_err(|e| {
                // RGW 16.2 says InvalidTag for too many tags, where AWS says BadRequest.
                if ctx.state.ceph() && e.code == "BadRequest" {
                    e.with_code("InvalidTag")
                } else {
                    e
                }
            })?;
            p.existing_tags = stored_tags(ctx, &p.bucket.name, &key);
            add_existing_tag_facts(ctx, p.existing_tags.as_ref().unwrap_or(&TagSet::new()));
            add_request_tag_facts(ctx, &tags);
            p.tags = Some(tags);
        }
        S3Op::PutObject => {
            if key.len() > 1024 {
                // AWS: 400 KeyTooLongError, "Your key is too long."
                return Err(AwsError::invalid_argument("Your key is too long.")
                    .with_code("KeyTooLongError"));
            }
            add_acl_fact(ctx, &p.bucket)?;
            rgw_acl_key(ctx, op);
            p.tags = Some(request_tags(ctx)?);
        }
        S3Op::CreateMultipartUpload => {
            add_acl_fact(ctx, &p.bucket)?;
            rgw_acl_key(ctx, op);
            p.tags = Some(request_tags(ctx)?);
        }
        S3Op::UploadPart => rgw_acl_key(ctx, op),
        S3Op::CopyObject => {
            p.copy_source = Some(parse_copy_source(ctx)?);
            add_acl_fact(ctx, &p.bucket)?;
            // The tags the copy gets: the source's (`COPY`, the default) or the request's
            // (`REPLACE`).
            let replace_tags = match ctx.h("x-amz-tagging-directive") {
                None => false,
                Some(d) if d.eq_ignore_ascii_case("COPY") => false,
                Some(d) if d.eq_ignore_ascii_case("REPLACE") => true,
                Some(d) => {
                    return Err(AwsError::invalid_argument(format!(
                        "Unknown tagging directive `{d}`"
                    )))
                }
            };
            if replace_tags {
                p.tags = Some(request_tags(ctx)?);
            }
        }
        S3Op::UploadPartCopy => {
            p.copy_source = Some(parse_copy_source(ctx)?);
            p.part = Some(part_number(ctx)?);
        }
        _ => {}
    }
    Ok(())
}

/// `s3:x-amz-acl` as Ceph RGW 16.2 sets it (observed with `scripts/rgw-diff.py`): PutObject and
/// UploadPart (both decided as `s3:PutObject`) always carry it, empty without the header, and
/// CreateMultipartUpload never does, even with the header. On AWS the key is there exactly when
/// the header is ([`crate::operation::carried_keys`]).
fn rgw_acl_key(ctx: &mut Ctx<'_>, op: S3Op) {
    if !ctx.state.ceph() {
        return;
    }
    match op {
        S3Op::CreateMultipartUpload => ctx.facts.carried.retain(|(k, _)| *k != "s3:x-amz-acl"),
        _ if ctx.h("x-amz-acl").is_none() => ctx.facts.keys.push(("s3:x-amz-acl", String::new())),
        _ => {}
    }
}

/// CreateBucket's checks, in S3's order: a signed caller, a valid name in the caller's own tenant,
/// a location constraint that is this endpoint's region, a known Object Ownership.
fn prepare_create_bucket(ctx: &mut Ctx<'_>, body: &Bytes) -> Result<Prepared, AwsError> {
    let name = ctx.bucket.unwrap_or_default().to_owned();
    let account = caller_account(ctx)?;
    // In the Ceph dialect `name` is a store key: the bucket's name, after its tenant if any.
    let (tenant, plain) = {
        let iam = ctx.state.iam();
        if iam.ceph_dialect {
            crate::tenant::split(&name)
        } else {
            ("", name.as_str())
        }
    };
    if !crate::storage::valid_bucket_name(plain) {
        return Err(
            AwsError::invalid_bucket_name("The specified bucket is not valid.")
                .with_resource(&name),
        );
    }
    // RGW lets a user create buckets in its own tenant only (rgw_op.cc,
    // `RGWCreateBucket::verify_permission`: "user cannot create a bucket in a different tenant").
    if tenant != ctx.state.iam().tenant_of(&account) {
        return Err(AwsError::access_denied("Access Denied"));
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
    let pseudo = pseudo_bucket(
        &name,
        &account,
        &ctx.auth.caller.owner_id,
        &ctx.state.region,
    );
    // Set when the request carries a LocationConstraint, as the key's name says.
    if let Some(c) = constraint.filter(|c| !c.is_empty()) {
        ctx.facts.keys.push(("s3:locationconstraint", c));
    }
    let ownership = match ctx.h("x-amz-object-ownership") {
        None => None,
        Some(o) => Some(Ownership::parse(o).ok_or_else(|| {
            AwsError::invalid_argument(format!("Invalid x-amz-object-ownership header: {o}"))
        })?),
    };
    let mut p = Prepared::on(pseudo, None);
    p.ownership = ownership;
    Ok(p)
}
