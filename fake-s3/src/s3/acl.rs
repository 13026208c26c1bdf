//! ACLs: Get/PutBucketAcl, Get/PutObjectAcl, ACLs asked for on writes (canned `x-amz-acl` or
//! `x-amz-grant-*`), object owners under each Object Ownership setting, and ACL grants as a
//! source of Allow in authorization
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>).
//!
//! Authorization, as S3 documents it: with ACLs enabled, a grant allows what its permission maps
//! to (bucket READ: list; bucket WRITE: create objects; object READ: get; READ_ACP and
//! WRITE_ACP: read and write the ACL; FULL_CONTROL: all) when no policy denies explicitly. A grant
//! to an account serves its root; its IAM users and roles also need their identity policies to
//! allow. `AllUsers` serves anyone, `AuthenticatedUsers` any signed request, unless
//! `IgnorePublicAcls` is on. An object owned by another account than the bucket's is governed by
//! its ACL: the bucket owner's policies do not grant access to it (their Denies still apply).
//! Ceph RGW differs here: its bucket policy covers every object in the bucket.

use super::*;
use crate::storage::{Grant, Grantee, Ownership, Permission};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

fn permission_name(p: Permission) -> &'static str {
    match p {
        Permission::Read => "READ",
        Permission::Write => "WRITE",
        Permission::ReadAcp => "READ_ACP",
        Permission::WriteAcp => "WRITE_ACP",
        Permission::FullControl => "FULL_CONTROL",
    }
}

fn parse_permission(s: &str) -> Option<Permission> {
    Some(match s {
        "READ" => Permission::Read,
        "WRITE" => Permission::Write,
        "READ_ACP" => Permission::ReadAcp,
        "WRITE_ACP" => Permission::WriteAcp,
        "FULL_CONTROL" => Permission::FullControl,
        _ => return None,
    })
}

fn group(uri: &str) -> Result<Grantee, AwsError> {
    match uri {
        ALL_USERS => Ok(Grantee::AllUsers),
        AUTHENTICATED_USERS => Ok(Grantee::AuthenticatedUsers),
        LOG_DELIVERY => Ok(Grantee::LogDelivery),
        other => Err(AwsError::invalid_argument(format!(
            "Invalid group uri `{other}`"
        ))),
    }
}

/// The canonical user id of `account`.
pub(super) fn canonical_id(state: &State, account: &str) -> String {
    state
        .iam()
        .accounts
        .get(account)
        .map(|a| a.canonical_id.clone())
        .unwrap_or_default()
}

/// Whether a grant list makes the resource public.
pub(super) fn is_public(grants: &[Grant]) -> bool {
    grants
        .iter()
        .any(|g| matches!(g.grantee, Grantee::AllUsers | Grantee::AuthenticatedUsers))
}

/// The grants a canned ACL stands for, beyond the owner's own full control.
fn canned_grants(canned: &str, bucket_owner: &str) -> Vec<Grant> {
    let g = |grantee: Grantee, permission| Grant {
        grantee,
        permission,
    };
    match canned {
        "public-read" => vec![g(Grantee::AllUsers, Permission::Read)],
        "public-read-write" => vec![
            g(Grantee::AllUsers, Permission::Read),
            g(Grantee::AllUsers, Permission::Write),
        ],
        "authenticated-read" => vec![g(Grantee::AuthenticatedUsers, Permission::Read)],
        "bucket-owner-read" => vec![g(
            Grantee::CanonicalUser(bucket_owner.to_owned()),
            Permission::Read,
        )],
        "bucket-owner-full-control" => vec![g(
            Grantee::CanonicalUser(bucket_owner.to_owned()),
            Permission::FullControl,
        )],
        "log-delivery-write" => vec![
            g(Grantee::LogDelivery, Permission::Write),
            g(Grantee::LogDelivery, Permission::ReadAcp),
        ],
        _ => Vec::new(),
    }
}

/// Reads `x-amz-grant-*` headers: `id="CANONICAL"`, `uri="GROUP"` lists per permission.
fn header_grants(headers: &[(String, String)]) -> Result<Vec<Grant>, AwsError> {
    let mut out = Vec::new();
    for (name, value) in headers {
        let permission = match name.as_str() {
            "x-amz-grant-read" => Permission::Read,
            "x-amz-grant-write" => Permission::Write,
            "x-amz-grant-read-acp" => Permission::ReadAcp,
            "x-amz-grant-write-acp" => Permission::WriteAcp,
            "x-amz-grant-full-control" => Permission::FullControl,
            other => {
                return Err(AwsError::invalid_argument(format!(
                    "Unknown grant header `{other}`"
                )))
            }
        };
        for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (kind, raw) = item
                .split_once('=')
                .ok_or_else(|| AwsError::invalid_argument(format!("Invalid grant `{item}`")))?;
            let v = raw.trim().trim_matches('"');
            let grantee = match kind.trim() {
                "id" => Grantee::CanonicalUser(v.to_owned()),
                "uri" => group(v)?,
                "emailAddress" => {
                    return Err(AwsError::invalid_argument(
                        "the fake does not resolve grants by email address (AWS retired them in most regions)",
                    ))
                }
                other => {
                    return Err(AwsError::invalid_argument(format!(
                        "Invalid grantee type `{other}`"
                    )))
                }
            };
            out.push(Grant {
                grantee,
                permission,
            });
        }
    }
    Ok(out)
}

/// The ACL a write asks for, and whether it asked for `bucket-owner-full-control` (which makes
/// the bucket owner the object's owner under `BucketOwnerPreferred`).
#[derive(Debug, Default)]
pub(super) struct RequestedAcl {
    pub grants: Vec<Grant>,
    pub bucket_owner_full_control: bool,
}

pub(super) fn requested_acl(
    canned: Option<&str>,
    grant_headers: &[(String, String)],
    bucket_owner_canonical: &str,
) -> Result<RequestedAcl, AwsError> {
    if canned.is_some() && !grant_headers.is_empty() {
        return Err(AwsError::invalid_request(
            "Specifying both Canned ACLs and Header Grants is not allowed",
        ));
    }
    let grants = match canned {
        Some(c) => canned_grants(c, bucket_owner_canonical),
        None => header_grants(grant_headers)?,
    };
    let bucket_owner_full_control = canned == Some("bucket-owner-full-control")
        || grants.iter().any(|g| {
            g.permission == Permission::FullControl
                && g.grantee == Grantee::CanonicalUser(bucket_owner_canonical.to_owned())
        });
    Ok(RequestedAcl {
        grants,
        bucket_owner_full_control,
    })
}

/// The account that owns an object `writer` writes into `bucket`.
pub(super) fn object_owner(bucket: &Bucket, writer: &str, requested: &RequestedAcl) -> String {
    match bucket.ownership {
        Some(Ownership::BucketOwnerEnforced) => bucket.owner.clone(),
        Some(Ownership::BucketOwnerPreferred) if requested.bucket_owner_full_control => {
            bucket.owner.clone()
        }
        _ if writer.is_empty() => bucket.owner.clone(),
        _ => writer.to_owned(),
    }
}

/// An object's full ACL: its owner's full control, then what the write asked for.
pub(super) fn object_acl(owner_canonical: &str, requested: &RequestedAcl) -> Vec<Grant> {
    let mut acl = vec![Grant {
        grantee: Grantee::CanonicalUser(owner_canonical.to_owned()),
        permission: Permission::FullControl,
    }];
    acl.extend(requested.grants.iter().cloned());
    acl
}

/// The request's `x-amz-grant-*` headers, names lowercase.
pub(super) fn grant_headers(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    ctx.headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-amz-grant-"))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect()
}

/// The ACL a write asks for, with its owner, from the request's headers.
pub(super) fn write_acl(ctx: &Ctx<'_>, bucket: &Bucket) -> Result<(String, Vec<Grant>), AwsError> {
    let grant_headers = grant_headers(ctx);
    write_acl_from(ctx, bucket, ctx.h("x-amz-acl"), &grant_headers)
}

pub(super) fn write_acl_from(
    ctx: &Ctx<'_>,
    bucket: &Bucket,
    canned: Option<&str>,
    grant_headers: &[(String, String)],
) -> Result<(String, Vec<Grant>), AwsError> {
    let bucket_owner = canonical_id(ctx.state, &bucket.owner);
    let requested = requested_acl(canned, grant_headers, &bucket_owner)?;
    let owner = object_owner(bucket, ctx.auth.caller.account(), &requested);
    let acl = object_acl(&canonical_id(ctx.state, &owner), &requested);
    Ok((owner, acl))
}

fn grantee_xml(g: &Grantee) -> String {
    let xsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
    match g {
        Grantee::CanonicalUser(id) => format!(
            "<Grantee {xsi} xsi:type=\"CanonicalUser\"><ID>{}</ID></Grantee>",
            escape(id)
        ),
        Grantee::AllUsers => {
            format!("<Grantee {xsi} xsi:type=\"Group\"><URI>{ALL_USERS}</URI></Grantee>")
        }
        Grantee::AuthenticatedUsers => {
            format!("<Grantee {xsi} xsi:type=\"Group\"><URI>{AUTHENTICATED_USERS}</URI></Grantee>")
        }
        Grantee::LogDelivery => {
            format!("<Grantee {xsi} xsi:type=\"Group\"><URI>{LOG_DELIVERY}</URI></Grantee>")
        }
    }
}

fn acl_xml(owner_canonical: &str, grants: &[Grant]) -> String {
    let mut out = format!(
        "<AccessControlPolicy xmlns=\"{NS}\"><Owner><ID>{}</ID></Owner><AccessControlList>",
        escape(owner_canonical)
    );
    for g in grants {
        out.push_str(&format!(
            "<Grant>{}<Permission>{}</Permission></Grant>",
            grantee_xml(&g.grantee),
            permission_name(g.permission)
        ));
    }
    out.push_str("</AccessControlList></AccessControlPolicy>");
    out
}

/// Reads an `AccessControlPolicy` document (the grantee's kind from its `ID` or `URI`).
pub(super) fn parse_acl_body(body: &[u8]) -> Result<Vec<Grant>, AwsError> {
    let malformed = || {
        AwsError::malformed_acl_error(
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    };
    let el = xml::parse(body)?;
    if el.name != "AccessControlPolicy" {
        return Err(malformed());
    }
    let list = el.child("AccessControlList").ok_or_else(malformed)?;
    list.children_named("Grant")
        .map(|g| {
            let grantee = g.child("Grantee").ok_or_else(malformed)?;
            let who = match (grantee.child_text("ID"), grantee.child_text("URI")) {
                (Some(id), _) => Grantee::CanonicalUser(id.trim().to_owned()),
                (None, Some(uri)) => group(uri.trim())?,
                (None, None) => return Err(malformed()),
            };
            let permission = g
                .child_text("Permission")
                .and_then(|p| parse_permission(p.trim()))
                .ok_or_else(malformed)?;
            Ok(Grant {
                grantee: who,
                permission,
            })
        })
        .collect()
}

/// The ACL a Put*Acl request sets: a canned ACL, grant headers, or the body's document.
fn put_acl_grants(
    ctx: &Ctx<'_>,
    bucket: &Bucket,
    owner_canonical: &str,
    body: &Bytes,
) -> Result<Vec<Grant>, AwsError> {
    let grant_headers = grant_headers(ctx);
    let canned = ctx.h("x-amz-acl");
    check_acl(bucket, canned, &grant_headers)?;
    if canned.is_some() || !grant_headers.is_empty() {
        let requested = requested_acl(
            canned,
            &grant_headers,
            &canonical_id(ctx.state, &bucket.owner),
        )?;
        return Ok(object_acl(owner_canonical, &requested));
    }
    let grants = parse_acl_body(body)?;
    // The document is checked like headers: ACLs disabled, or public grants blocked.
    if bucket.ownership == Some(Ownership::BucketOwnerEnforced)
        && grants.iter().any(|g| {
            !(g.permission == Permission::FullControl
                && g.grantee == Grantee::CanonicalUser(owner_canonical.to_owned()))
        })
    {
        return Err(AwsError::acl_not_supported(
            "The bucket does not allow ACLs",
        ));
    }
    if is_public(&grants)
        && bucket
            .public_access_block
            .is_some_and(|b| b.block_public_acls)
    {
        return Err(AwsError::access_denied(
            "Access Denied: the bucket's BlockPublicAcls setting refuses public ACLs",
        ));
    }
    Ok(grants)
}

/// A bucket's ACL as S3 shows it (the owner's full control when none was set).
fn bucket_grants(state: &State, bucket: &Bucket) -> Vec<Grant> {
    if bucket.acl.is_empty() || bucket.ownership == Some(Ownership::BucketOwnerEnforced) {
        vec![Grant {
            grantee: Grantee::CanonicalUser(canonical_id(state, &bucket.owner)),
            permission: Permission::FullControl,
        }]
    } else {
        bucket.acl.clone()
    }
}

pub(super) fn get_bucket_acl(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    ctx.authorize("s3:GetBucketAcl", bucket, None)?;
    let owner = canonical_id(ctx.state, &bucket.owner);
    Ok(Resp::xml(acl_xml(
        &owner,
        &bucket_grants(ctx.state, bucket),
    )))
}

pub(super) fn put_bucket_acl(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    ctx.authorize("s3:PutBucketAcl", bucket, None)?;
    let owner = canonical_id(ctx.state, &bucket.owner);
    let grants = put_acl_grants(ctx, bucket, &owner, body)?;
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.acl = grants;
    }
    Ok(Resp::ok())
}

pub(super) fn get_object_acl(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
) -> Result<Resp, AwsError> {
    let action = versioned_action(ctx, "s3:GetObjectAcl", "s3:GetObjectVersionAcl")?;
    if let Some(tags) = stored_tags(ctx, &bucket.name, &key) {
        add_existing_tag_facts(ctx, &tags);
    }
    ctx.authorize(action, bucket, Some(&key))?;
    let version = requested_version(ctx)?;
    let object =
        read_target(ctx.state, &bucket.name, &key, version.as_deref())?.ok_or_else(|| {
            AwsError::no_such_key("The specified key does not exist.").with_resource(&key)
        })?;
    let owner = canonical_id(ctx.state, &object.owner);
    let grants = if bucket.ownership == Some(Ownership::BucketOwnerEnforced) {
        vec![Grant {
            grantee: Grantee::CanonicalUser(canonical_id(ctx.state, &bucket.owner)),
            permission: Permission::FullControl,
        }]
    } else {
        object.acl.clone()
    };
    let mut resp = Resp::xml(acl_xml(&owner, &grants));
    if reports_versions(bucket) {
        resp = resp.header("x-amz-version-id", object.version_id);
    }
    Ok(resp)
}

pub(super) fn put_object_acl(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let action = versioned_action(ctx, "s3:PutObjectAcl", "s3:PutObjectVersionAcl")?;
    if let Some(tags) = stored_tags(ctx, &bucket.name, &key) {
        add_existing_tag_facts(ctx, &tags);
    }
    ctx.authorize(action, bucket, Some(&key))?;
    let version = requested_version(ctx)?;
    let object =
        read_target(ctx.state, &bucket.name, &key, version.as_deref())?.ok_or_else(|| {
            AwsError::no_such_key("The specified key does not exist.").with_resource(&key)
        })?;
    let owner = canonical_id(ctx.state, &object.owner);
    let grants = put_acl_grants(ctx, bucket, &owner, body)?;
    let mut st = ctx.state.storage_mut();
    if let Some(o) = st
        .buckets
        .get_mut(&bucket.name)
        .and_then(|b| b.version_mut(&key, &object.version_id))
    {
        o.acl = grants;
    }
    Ok(Resp::ok())
}

/// The ACL permission an action needs, and whether it is the object's ACL (else the bucket's).
/// Bucket WRITE lets a grantee create objects; deleting and overwriting others' objects stays
/// with the owners (API_PutBucketAcl), so it maps to `s3:PutObject` only.
fn needed(action: &str) -> Option<(Permission, bool)> {
    Some(match action {
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => {
            (Permission::Read, false)
        }
        "s3:PutObject" => (Permission::Write, false),
        "s3:GetBucketAcl" => (Permission::ReadAcp, false),
        "s3:PutBucketAcl" => (Permission::WriteAcp, false),
        "s3:GetObject" | "s3:GetObjectVersion" => (Permission::Read, true),
        "s3:GetObjectAcl" | "s3:GetObjectVersionAcl" => (Permission::ReadAcp, true),
        "s3:PutObjectAcl" | "s3:PutObjectVersionAcl" => (Permission::WriteAcp, true),
        _ => return None,
    })
}

/// Object actions an object's owner governs: another account's object is out of the bucket
/// owner's policies' reach for these (the bucket owner may still overwrite or delete it).
fn owner_governed(action: &str) -> bool {
    matches!(
        action,
        "s3:GetObject"
            | "s3:GetObjectVersion"
            | "s3:GetObjectAcl"
            | "s3:GetObjectVersionAcl"
            | "s3:PutObjectAcl"
            | "s3:PutObjectVersionAcl"
            | "s3:GetObjectTagging"
            | "s3:GetObjectVersionTagging"
            | "s3:PutObjectTagging"
            | "s3:PutObjectVersionTagging"
            | "s3:DeleteObjectTagging"
            | "s3:DeleteObjectVersionTagging"
    )
}

/// Applies ACLs and object ownership to a policy verdict (see the module's doc) for `key` at
/// `version`. Through an access point ACL grants never add an Allow: the access point's policy
/// must permit every request made through it.
pub(super) fn with_acls(
    ctx: &Ctx<'_>,
    action: &str,
    bucket: &Bucket,
    key: Option<&str>,
    version: Option<&str>,
    mut verdict: authz::Verdict,
) -> authz::Verdict {
    if bucket.ownership == Some(Ownership::BucketOwnerEnforced)
        || verdict.decision == policy_eval::Decision::ExplicitDeny
    {
        return verdict;
    }
    let caller = &ctx.auth.caller;
    let object = match key {
        Some(k) if owner_governed(action) || needed(action).is_some_and(|(_, o)| o) => {
            object_at(ctx.state, &bucket.name, k, version)
        }
        _ => None,
    };
    let identity_allows = verdict
        .explanation
        .checks
        .iter()
        .any(|c| c.identity_allows == Some(true));
    let root = caller.principal.arn.ends_with(":root");
    // An object another account owns: on AWS the bucket owner's grants do not reach it. Ceph RGW
    // evaluates the bucket policy first for every object in the bucket (its ACLs only answer what
    // the policy leaves open), so members' uploads stay readable by whom the policy names.
    let ceph = ctx.state.iam().ceph_dialect;
    if let Some(o) = object.as_ref().filter(|_| !ceph && owner_governed(action)) {
        if o.owner != bucket.owner && verdict.decision == policy_eval::Decision::Allow {
            if caller.account() == o.owner {
                return verdict;
            }
            verdict.decision = policy_eval::Decision::ImplicitDeny;
            verdict.explanation.summary = format!(
                "the object belongs to account {}, not the bucket owner, so only its ACL can grant access",
                o.owner
            );
        }
    }
    if verdict.decision == policy_eval::Decision::Allow || ctx.access_point.is_some() {
        return verdict;
    }
    let Some((permission, on_object)) = needed(action) else {
        return verdict;
    };
    let grants = match &object {
        Some(o) if on_object => o.acl.clone(),
        _ if on_object => return verdict,
        _ => bucket_grants(ctx.state, bucket),
    };
    let ignore_public = bucket
        .public_access_block
        .is_some_and(|b| b.ignore_public_acls);
    let anonymous = caller.principal.is_anonymous();
    let mine = if anonymous {
        String::new()
    } else {
        canonical_id(ctx.state, caller.account())
    };
    let granted = grants.iter().find(|g| {
        let covers = g.permission == permission || g.permission == Permission::FullControl;
        let who = match &g.grantee {
            Grantee::CanonicalUser(id) => !anonymous && *id == mine && (root || identity_allows),
            Grantee::AllUsers => !ignore_public && (anonymous || root || identity_allows),
            Grantee::AuthenticatedUsers => {
                !ignore_public && !anonymous && (root || identity_allows)
            }
            Grantee::LogDelivery => false,
        };
        covers && who
    });
    if let Some(g) = granted {
        verdict.decision = policy_eval::Decision::Allow;
        verdict.explanation.summary = format!(
            "allowed by the {} ACL's {} grant",
            if on_object { "object" } else { "bucket" },
            permission_name(g.permission)
        );
    }
    verdict
}
