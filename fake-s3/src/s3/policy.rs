//! Bucket policies and public access blocks: validation as S3 does it on PUT, the stored text
//! as AWS returns it, and the PublicAccessBlock document
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html>).

use super::*;

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
    // Stored as AWS stores it: users and roles by unique id ([`crate::identity::Iam::bind_principals`]).
    let bound = iam.bind_principals(text);
    let compiled = if bound == text {
        compiled
    } else {
        policy_eval::Policy::parse(&bound, kind)
            .map_err(|e| AwsError::malformed_policy(e.to_string()))?
    };
    Ok(ResourcePolicy {
        text: bound,
        compiled,
    })
}

/// Validates a bucket policy for the bucket stored as `key` and compiles it as the bucket's
/// tenant reads it, in the Ceph dialect ([`crate::tenant`]); the text is kept as given.
pub fn validate_bucket_policy(
    state: &State,
    text: &str,
    key: &str,
) -> Result<ResourcePolicy, AwsError> {
    if state.ceph() {
        return validate_rgw_bucket_policy(text, key);
    }
    let mut stored = validate_resource_policy(state, text, PolicyKind::Bucket, |p| {
        crate::tenant::check_bucket_resources(p, key)
    })?;
    crate::tenant::read_in_tenant(&mut stored.compiled, crate::tenant::split(key).0);
    Ok(stored)
}

/// A bucket policy as Ceph RGW 16.2 takes it (observed with `scripts/rgw-diff.py`): parsed in
/// RGW's dialect ([`policy_eval::Dialect::CephRgw`]: no size limit, statements without
/// `Resource`, principals that name nobody), with no check that a principal exists or that a
/// resource names this bucket (RGW stores such a policy and it grants nothing there). What RGW
/// refuses (not JSON, an unknown `Version`, an unknown or non-S3 action) is 400
/// `InvalidArgument`, RGW's code, where AWS says `MalformedPolicy`.
fn validate_rgw_bucket_policy(text: &str, key: &str) -> Result<ResourcePolicy, AwsError> {
    let mut compiled =
        policy_eval::Policy::parse_in(text, PolicyKind::Bucket, policy_eval::Dialect::CephRgw)
            .map_err(|e| AwsError::invalid_argument(e.to_string()))?;
    crate::tenant::read_in_tenant(&mut compiled, crate::tenant::split(key).0);
    Ok(ResourcePolicy {
        text: text.to_owned(),
        compiled,
    })
}

/// A stored policy as AWS returns it: unique ids of known users and roles shown as their ARNs.
/// RGW returns the text as it was stored, byte for byte.
pub fn show_policy(state: &State, text: &str) -> String {
    if state.ceph() {
        return text.to_owned();
    }
    state.iam().show_principals(text)
}

pub(super) fn pab_xml(p: &PublicAccessBlock) -> String {
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

pub(super) fn get_bucket_policy(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
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

pub(super) fn put_bucket_policy(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        let e = AwsError::malformed_policy("Policies must be valid UTF-8 JSON");
        if ctx.state.ceph() {
            e.with_code("InvalidArgument")
        } else {
            e
        }
    })?;
    let stored = validate_bucket_policy(ctx.state, text, &bucket.name)?;
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

/// DeleteBucketPolicy: 204 on AWS; RGW 16.2 answers 200 (with or without a policy).
pub(super) fn delete_bucket_policy(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.policy = None;
    }
    if ctx.state.ceph() {
        return Ok(Resp::ok());
    }
    Ok(Resp::ok().status(StatusCode::NO_CONTENT))
}

pub(super) fn get_bucket_policy_status(bucket: &Bucket) -> Result<Resp, AwsError> {
    let public = bucket
        .policy
        .as_ref()
        .is_some_and(|p| policy_eval::lint::is_public(&p.compiled));
    Ok(Resp::xml(format!(
        "<PolicyStatus xmlns=\"{NS}\"><IsPublic>{public}</IsPublic></PolicyStatus>"
    )))
}

/// GetPublicAccessBlock: 404 NoSuchPublicAccessBlockConfiguration for a bucket without one on
/// AWS; RGW 16.2 answers 200 with all four flags false (`ceph`).
pub(super) fn get_public_access_block(bucket: &Bucket, ceph: bool) -> Result<Resp, AwsError> {
    if ceph && bucket.public_access_block.is_none() {
        return Ok(Resp::xml(pab_xml(&PublicAccessBlock::default())));
    }
    let pab = bucket.public_access_block.ok_or_else(|| {
        AwsError::no_such_public_access_block("The public access block configuration was not found")
            .with_resource(&bucket.name)
    })?;
    Ok(Resp::xml(pab_xml(&pab)))
}

pub(super) fn put_public_access_block(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let pab = parse_pab(body)?;
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.public_access_block = Some(pab);
    }
    Ok(Resp::ok())
}

pub(super) fn delete_public_access_block(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
) -> Result<Resp, AwsError> {
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.public_access_block = None;
    }
    Ok(Resp::ok().status(StatusCode::NO_CONTENT))
}
