//! Buckets: list, create, head, delete, location
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html>).

use super::*;
use crate::storage::Ownership;

pub(super) fn list_buckets(ctx: &mut Ctx<'_>) -> Result<Resp, AwsError> {
    let account = ctx.auth.caller.account().to_owned();
    let owner_id = ctx.auth.caller.owner_id.clone();
    let ceph = ctx.state.ceph();
    let owner = if ceph {
        owner_xml(ctx.state, &owner_id)
    } else {
        format!("<Owner><ID>{owner_id}</ID><DisplayName>{account}</DisplayName></Owner>")
    };
    let st = ctx.state.storage();
    let mut items = String::new();
    // The caller's account's buckets (in the Ceph dialect the calling user's own, as RGW lists a
    // user's buckets), all in its own tenant (a bucket can only be created in its creator's
    // tenant), shown by their names without the tenant, as RGW lists them.
    let mine = |b: &&Bucket| {
        if ceph {
            b.owner_id == owner_id
        } else {
            b.owner == account
        }
    };
    for b in st.buckets.values().filter(mine) {
        items.push_str(&format!(
            "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate><BucketRegion>{}</BucketRegion></Bucket>",
            escape(b.plain_name()),
            iso(b.created),
            b.region
        ));
    }
    Ok(Resp::xml(format!(
        "<ListAllMyBucketsResult xmlns=\"{NS}\">{owner}<Buckets>{items}</Buckets></ListAllMyBucketsResult>"
    )))
}

pub(super) fn pseudo_bucket(name: &str, owner: &str, owner_id: &str, region: &str) -> Bucket {
    Bucket {
        name: name.to_owned(),
        owner: owner.to_owned(),
        owner_id: owner_id.to_owned(),
        region: region.to_owned(),
        created: OffsetDateTime::UNIX_EPOCH,
        policy: None,
        public_access_block: None,
        ownership: None,
        acl: Vec::new(),
        versioning: crate::storage::Versioning::Unversioned,
        objects: BTreeMap::new(),
        uploads: BTreeMap::new(),
        cors: None,
        tags: None,
    }
}

/// CreateBucket, once [`super::prepare`] has checked the name, the tenant and the location
/// constraint, and the pipeline has authorized `s3:CreateBucket`.
pub(super) fn create_bucket(ctx: &mut Ctx<'_>, p: Prepared) -> Result<Resp, AwsError> {
    let requested_ownership = p.ownership;
    let pseudo = p.bucket;
    let name = pseudo.name.clone();
    let account = pseudo.owner.clone();
    let owner_id = pseudo.owner_id.clone();
    if requested_ownership.is_some() {
        // Setting ownership at creation also needs the ownership-controls permission.
        ctx.authorize("s3:PutBucketOwnershipControls", &pseudo, None)?;
    }
    let ceph = ctx.state.ceph();
    let mut st = ctx.state.storage_mut();
    // Keyed with the tenant: another tenant's bucket of the same name is no collision.
    if let Some(existing) = st.buckets.get(&name) {
        // Owned by the caller: its account's on AWS, the calling user's own on RGW.
        let own = if ceph {
            existing.owner_id == owner_id
        } else {
            existing.owner == account
        };
        // us-east-1 answers 200 to its own owner for legacy compatibility.
        if own && ctx.state.region == "us-east-1" {
            return Ok(Resp::ok().header("location", format!("/{name}")));
        }
        return Err(if own {
            AwsError::bucket_already_owned_by_you("Your previous request to create the named bucket succeeded and you already own it.")
        } else {
            AwsError::bucket_already_exists("The requested bucket name is not available.")
        }
        .with_resource(&name));
    }
    let mut bucket = pseudo;
    bucket.created = ctx.state.now();
    if ceph {
        // Ceph RGW: no public access block and ACLs enabled, the writer owning its objects.
        bucket.ownership = Some(Ownership::ObjectWriter);
    } else {
        // New buckets block public access and disable ACLs by default, as S3 does since April
        // 2023 (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-faq.html>).
        bucket.public_access_block = Some(PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        });
        bucket.ownership = Some(Ownership::BucketOwnerEnforced);
    }
    if let Some(o) = requested_ownership {
        bucket.ownership = Some(o);
    }
    bucket.acl = create_bucket_acl(ctx, &bucket, ceph)?;
    st.buckets.insert(name.clone(), bucket);
    Ok(Resp::ok().header("location", format!("/{name}")))
}

/// The ACL CreateBucket's `x-amz-acl` or `x-amz-grant-*` headers ask for
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html>): with ACLs disabled
/// (`BucketOwnerEnforced`) only the owner's full control is accepted, anything else is 400
/// `InvalidBucketAclWithObjectOwnership`
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html>);
/// a public ACL meets the new bucket's `BlockPublicAcls`. Ceph RGW applies it too
/// (`public-read` lets anyone list the bucket, `public-read-write` write to it).
fn create_bucket_acl(
    ctx: &Ctx<'_>,
    bucket: &Bucket,
    ceph: bool,
) -> Result<Vec<crate::storage::Grant>, AwsError> {
    let canned = ctx.h("x-amz-acl");
    let grants = grant_headers(ctx);
    if canned.is_none() && grants.is_empty() {
        return Ok(Vec::new());
    }
    let requested = requested_acl(canned, &grants, &bucket.owner_id)?;
    let acl = object_acl(&bucket.owner_id, &requested, ceph);
    let owner_only = acl.iter().all(|g| {
        g.grantee == crate::storage::Grantee::CanonicalUser(bucket.owner_id.clone())
            && g.permission == crate::storage::Permission::FullControl
    });
    if owner_only {
        return Ok(acl);
    }
    if bucket.ownership == Some(Ownership::BucketOwnerEnforced) {
        return Err(AwsError::invalid_bucket_acl_with_object_ownership(
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    check_acl(bucket, &bucket.owner, canned, &grants)?;
    Ok(acl)
}

/// GetBucketOwnershipControls. RGW 16.2 has no Object Ownership: it answers 200 with an empty
/// `<OwnershipControls/>`, which the Ceph dialect (`ceph`) shows for its default, `ObjectWriter`
/// (what RGW does); a setting a test made is shown as on AWS.
pub(super) fn get_ownership_controls(bucket: &Bucket, ceph: bool) -> Result<Resp, AwsError> {
    if ceph && bucket.ownership == Some(Ownership::ObjectWriter) {
        return Ok(Resp::xml(format!("<OwnershipControls xmlns=\"{NS}\"/>")));
    }
    let ownership = bucket.ownership.ok_or_else(|| {
        AwsError::ownership_controls_not_found("The bucket ownership controls were not found")
            .with_resource(&bucket.name)
    })?;
    Ok(Resp::xml(format!(
        "<OwnershipControls xmlns=\"{NS}\"><Rule><ObjectOwnership>{}</ObjectOwnership></Rule></OwnershipControls>",
        ownership.as_str()
    )))
}

pub(super) fn put_ownership_controls(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let el = xml::parse(body)?;
    let rules: Vec<&xml::Element> = el.children_named("Rule").collect();
    let ownership = match (el.name.as_str(), rules.as_slice()) {
        ("OwnershipControls", [rule]) => rule
            .child_text("ObjectOwnership")
            .map(str::trim)
            .and_then(Ownership::parse),
        _ => None,
    }
    .ok_or_else(|| {
        AwsError::malformed_xml(
            "The XML you provided was not well-formed or did not validate against our published schema (one Rule with ObjectOwnership BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter)",
        )
    })?;
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.ownership = Some(ownership);
    }
    Ok(Resp::ok())
}

/// DeleteBucketOwnershipControls needs `s3:PutBucketOwnershipControls`.
pub(super) fn delete_ownership_controls(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
) -> Result<Resp, AwsError> {
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.ownership = None;
    }
    Ok(Resp::ok().status(StatusCode::NO_CONTENT))
}

pub(super) fn head_bucket(bucket: &Bucket) -> Result<Resp, AwsError> {
    Ok(Resp::ok().header("x-amz-bucket-region", bucket.region.clone()))
}

pub(super) fn delete_bucket(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    let mut st = ctx.state.storage_mut();
    let empty = st
        .buckets
        .get(&bucket.name)
        .is_some_and(|b| !b.has_versions());
    if !empty {
        return Err(
            AwsError::bucket_not_empty("The bucket you tried to delete is not empty")
                .with_resource(&bucket.name),
        );
    }
    if st.access_points.values().any(|ap| ap.bucket == bucket.name) {
        return Err(AwsError::invalid_request(
            "The bucket has access points attached; delete them first",
        ));
    }
    st.buckets.remove(&bucket.name);
    Ok(Resp::ok().status(StatusCode::NO_CONTENT))
}

/// GetBucketLifecycleConfiguration: the fake keeps no lifecycle rules, so every bucket has none:
/// 404 NoSuchLifecycleConfiguration, as S3 and RGW answer for a bucket without a configuration
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html>).
pub(super) fn get_bucket_lifecycle(bucket: &Bucket) -> Result<Resp, AwsError> {
    Err(
        AwsError::no_such_lifecycle_configuration("The lifecycle configuration does not exist")
            .with_resource(bucket.plain_name()),
    )
}

pub(super) fn get_bucket_location(bucket: &Bucket) -> Result<Resp, AwsError> {
    let region = if bucket.region == "us-east-1" {
        String::new()
    } else {
        bucket.region.clone()
    };
    Ok(Resp::xml(format!(
        "<LocationConstraint xmlns=\"{NS}\">{region}</LocationConstraint>"
    )))
}
