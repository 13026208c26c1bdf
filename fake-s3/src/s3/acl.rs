//! ACLs: Get/PutBucketAcl, Get/PutObjectAcl, ACLs asked for on writes (canned `x-amz-acl` or
//! `x-amz-grant-*`) and object owners under each Object Ownership setting; how grants take part
//! in authorization is [`super::acl_eval`]
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>).

use super::*;
use crate::storage::{Grant, Grantee, Ownership, Permission};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

pub(super) fn permission_name(p: Permission) -> &'static str {
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
    /// The grants came from `x-amz-grant-*` headers (not a canned ACL).
    pub explicit: bool,
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
        explicit: canned.is_none() && !grant_headers.is_empty(),
    })
}

/// Who owns an object: the account, and the canonical id it is owned under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Owner {
    pub account: String,
    pub id: String,
}

impl Owner {
    pub fn of_bucket(bucket: &Bucket) -> Owner {
        Owner {
            account: bucket.owner.clone(),
            id: bucket.owner_id.clone(),
        }
    }

    pub fn of_caller(caller: &crate::identity::Caller) -> Owner {
        Owner {
            account: caller.account().to_owned(),
            id: caller.owner_id.clone(),
        }
    }
}

/// Who owns an object `writer` writes into `bucket` (an anonymous writer's objects are the
/// bucket owner's, on S3 and on RGW).
pub(super) fn object_owner(bucket: &Bucket, writer: &Owner, requested: &RequestedAcl) -> Owner {
    match bucket.ownership {
        Some(Ownership::BucketOwnerEnforced) => Owner::of_bucket(bucket),
        Some(Ownership::BucketOwnerPreferred) if requested.bucket_owner_full_control => {
            Owner::of_bucket(bucket)
        }
        _ if writer.account.is_empty() => Owner::of_bucket(bucket),
        _ => writer.clone(),
    }
}

/// An object's full ACL: its owner's full control, then what the write asked for. On Ceph RGW
/// (`ceph`), `x-amz-grant-*` headers replace the ACL: it holds exactly the grants they name
/// (observed on RGW 16.2; the owner keeps reading and writing the ACL as its owner).
pub(super) fn object_acl(owner_id: &str, requested: &RequestedAcl, ceph: bool) -> Vec<Grant> {
    if ceph && requested.explicit {
        return requested.grants.clone();
    }
    let mut acl = vec![Grant {
        grantee: Grantee::CanonicalUser(owner_id.to_owned()),
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
pub(super) fn write_acl(ctx: &Ctx<'_>, bucket: &Bucket) -> Result<(Owner, Vec<Grant>), AwsError> {
    let grant_headers = grant_headers(ctx);
    write_acl_from(ctx, bucket, ctx.h("x-amz-acl"), &grant_headers)
}

pub(super) fn write_acl_from(
    ctx: &Ctx<'_>,
    bucket: &Bucket,
    canned: Option<&str>,
    grant_headers: &[(String, String)],
) -> Result<(Owner, Vec<Grant>), AwsError> {
    let requested = requested_acl(canned, grant_headers, &bucket.owner_id)?;
    let owner = object_owner(bucket, &Owner::of_caller(&ctx.auth.caller), &requested);
    let acl = object_acl(&owner.id, &requested, ctx.state.ceph());
    Ok((owner, acl))
}

/// How S3 shows owners: `<Owner><ID>` on AWS; in the Ceph dialect also the display name RGW
/// shows, the user's name (`pi` for `pi`, `tina` for `uab$tina`), or for an account-level id its
/// account. Read from IAM once, so listings can use it under the storage lock.
#[derive(Debug)]
pub(super) struct OwnerNames {
    pub ceph: bool,
    /// Canonical id → account id.
    accounts: std::collections::HashMap<String, String>,
}

impl OwnerNames {
    pub fn new(state: &State) -> Self {
        let iam = state.iam();
        OwnerNames {
            ceph: iam.ceph_dialect,
            accounts: iam
                .accounts
                .values()
                .map(|a| (a.canonical_id.clone(), a.id.clone()))
                .collect(),
        }
    }

    /// The display name of `owner_id`.
    pub fn display_name<'a>(&'a self, owner_id: &'a str) -> &'a str {
        match self.accounts.get(owner_id) {
            Some(account) => account,
            None => owner_id.split_once('$').map_or(owner_id, |(_, name)| name),
        }
    }

    /// `<Owner>` of `owner_id`.
    pub fn xml(&self, owner_id: &str) -> String {
        if self.ceph {
            format!(
                "<Owner><ID>{}</ID><DisplayName>{}</DisplayName></Owner>",
                escape(owner_id),
                escape(self.display_name(owner_id))
            )
        } else {
            format!("<Owner><ID>{}</ID></Owner>", escape(owner_id))
        }
    }
}

/// `<Owner>` of `owner_id` ([`OwnerNames`]).
pub(super) fn owner_xml(state: &State, owner_id: &str) -> String {
    OwnerNames::new(state).xml(owner_id)
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

fn acl_xml(state: &State, owner_id: &str, grants: &[Grant]) -> String {
    let mut out = format!(
        "<AccessControlPolicy xmlns=\"{NS}\">{}<AccessControlList>",
        owner_xml(state, owner_id)
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
    // Put*Acl on a bucket with ACLs disabled accepts only `bucket-owner-full-control` (an empty
    // writer: `private` is not taken as the owner's own ACL here).
    check_acl(bucket, "", canned, &grant_headers)?;
    if canned.is_some() || !grant_headers.is_empty() {
        let requested = requested_acl(canned, &grant_headers, &bucket.owner_id)?;
        return Ok(object_acl(owner_canonical, &requested, ctx.state.ceph()));
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
pub(super) fn bucket_grants(bucket: &Bucket) -> Vec<Grant> {
    if bucket.acl.is_empty() || bucket.ownership == Some(Ownership::BucketOwnerEnforced) {
        vec![Grant {
            grantee: Grantee::CanonicalUser(bucket.owner_id.clone()),
            permission: Permission::FullControl,
        }]
    } else {
        bucket.acl.clone()
    }
}

pub(super) fn get_bucket_acl(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    Ok(Resp::xml(acl_xml(
        ctx.state,
        &bucket.owner_id,
        &bucket_grants(bucket),
    )))
}

pub(super) fn put_bucket_acl(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let grants = put_acl_grants(ctx, bucket, &bucket.owner_id, body)?;
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
    let version = requested_version(ctx)?;
    let object =
        read_target(ctx.state, &bucket.name, &key, version.as_deref())?.ok_or_else(|| {
            AwsError::no_such_key("The specified key does not exist.").with_resource(&key)
        })?;
    let grants = if bucket.ownership == Some(Ownership::BucketOwnerEnforced) {
        vec![Grant {
            grantee: Grantee::CanonicalUser(bucket.owner_id.clone()),
            permission: Permission::FullControl,
        }]
    } else {
        object.acl.clone()
    };
    let mut resp = Resp::xml(acl_xml(ctx.state, &object.owner_id, &grants));
    if reports_versions(bucket) {
        resp = resp.header("x-amz-version-id", object.version_id.clone());
    }
    Ok(resp)
}

pub(super) fn put_object_acl(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let version = requested_version(ctx)?;
    let object =
        read_target(ctx.state, &bucket.name, &key, version.as_deref())?.ok_or_else(|| {
            AwsError::no_such_key("The specified key does not exist.").with_resource(&key)
        })?;
    let grants = put_acl_grants(ctx, bucket, &object.owner_id, body)?;
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
