//! ACL grants and object ownership in authorization: how they change a policy verdict
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>).
//!
//! As S3 documents it: with ACLs enabled, a grant allows what its permission maps
//! to (bucket READ: list; bucket WRITE: create objects; object READ: get; READ_ACP and
//! WRITE_ACP: read and write the ACL; FULL_CONTROL: all) when no policy denies explicitly. A grant
//! to an account serves its root; its IAM users and roles also need their identity policies to
//! allow. `AllUsers` serves anyone, `AuthenticatedUsers` any signed request, unless
//! `IgnorePublicAcls` is on. An object owned by another account than the bucket's is governed by
//! its ACL: the bucket owner's policies do not grant access to it (their Denies still apply).
//! Ceph RGW differs here: its bucket policy covers every object in the bucket, objects belong to
//! users (not accounts), so a bucket owner reads another user's object only through its ACL or
//! the bucket policy, and an ACL grant to a user is enough on its own.

use super::*;
use crate::storage::{Grant, Grantee, Ownership, Permission};

/// The ACL permission an action needs, and whether it is the object's ACL (else the bucket's).
/// Bucket WRITE lets a grantee create objects; deleting and overwriting others' objects stays
/// with the owners (API_PutBucketAcl), so it maps to `s3:PutObject` only. RGW also reads an
/// upload's parts with READ on the upload (`ceph`).
fn needed(action: &str, ceph: bool) -> Option<(Permission, bool)> {
    Some(match action {
        "s3:ListMultipartUploadParts" if ceph => (Permission::Read, true),
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => {
            (Permission::Read, false)
        }
        "s3:PutObject" => (Permission::Write, false),
        "s3:GetBucketAcl" => (Permission::ReadAcp, false),
        "s3:PutBucketAcl" => (Permission::WriteAcp, false),
        "s3:GetObject" | "s3:GetObjectVersion" => (Permission::Read, true),
        // "To use GetObjectAttributes, you must have READ access to the object"
        // (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html>).
        "s3:GetObjectAttributes" | "s3:GetObjectVersionAttributes" => (Permission::Read, true),
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
            | "s3:GetObjectAttributes"
            | "s3:GetObjectVersionAttributes"
    )
}

/// What an object action is decided on: the addressed object version's (or, for ListParts in the
/// Ceph dialect, the upload's) owner and ACL.
struct Governed {
    owner: String,
    owner_id: String,
    acl: Vec<Grant>,
}

fn governed(
    ctx: &Ctx<'_>,
    action: &str,
    bucket: &Bucket,
    key: Option<&str>,
    version: Option<&str>,
    ceph: bool,
) -> Option<Governed> {
    let key = key?;
    if ceph && action == "s3:ListMultipartUploadParts" {
        let id = ctx.q("uploadId")?;
        let st = ctx.state.storage();
        let u = st.buckets.get(&bucket.name)?.uploads.get(id)?;
        return Some(Governed {
            owner: u.owner.clone(),
            owner_id: u.owner_id.clone(),
            acl: u.acl.clone(),
        });
    }
    if !(owner_governed(action) || needed(action, ceph).is_some_and(|(_, o)| o)) {
        return None;
    }
    object_at(ctx.state, &bucket.name, key, version).map(|o| Governed {
        owner: o.owner,
        owner_id: o.owner_id,
        acl: o.acl,
    })
}

/// Applies ACLs and object ownership to a policy verdict (see the module's doc) for `key` at
/// `version`, for the request's caller. Through an access point ACL grants never add an Allow:
/// the access point's policy must permit every request made through it.
pub(super) fn with_acls(
    ctx: &Ctx<'_>,
    action: &str,
    bucket: &Bucket,
    key: Option<&str>,
    version: Option<&str>,
    verdict: authz::Verdict,
) -> authz::Verdict {
    with_acls_as(ctx, &ctx.auth.caller, action, bucket, key, version, verdict)
}

/// [`with_acls`] for `caller`, who may not be the request's signer (a browser form's).
pub(super) fn with_acls_as(
    ctx: &Ctx<'_>,
    caller: &crate::identity::Caller,
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
    let ceph = ctx.state.ceph();
    let object = governed(ctx, action, bucket, key, version, ceph);
    let identity_allows = verdict
        .explanation
        .checks
        .iter()
        .any(|c| c.identity_allows == Some(true));
    let root = caller.principal.arn.ends_with(":root");
    let allowed = verdict.decision == policy_eval::Decision::Allow;
    if let Some(o) = object.as_ref().filter(|_| allowed) {
        if ceph {
            // Ceph RGW: the bucket policy reaches every object in the bucket, but what a user's
            // own rights give (here its identity policies, which stand for them) reaches only
            // what the user owns: another user's object, even in one's own bucket, is read
            // through its ACL or the bucket policy (RGW 16.2 `verify_object_permission`; the
            // bucket owner may still delete it, which is a bucket permission).
            let bucket_policy_allows = verdict
                .explanation
                .checks
                .iter()
                .any(|c| c.check == "bucket" && c.resource_policy_allows);
            // What the account itself owns (its root's or a role session's writes, which RGW
            // has no users for) stays its users' as on AWS.
            let account_owned = o.owner_id == ctx.state.iam().account_canonical_id(&o.owner);
            let own = o.owner_id == caller.owner_id
                || (caller.account() == o.owner && (root || account_owned));
            if (owner_governed(action) || action == "s3:ListMultipartUploadParts")
                && !own
                && !bucket_policy_allows
            {
                verdict.decision = policy_eval::Decision::ImplicitDeny;
                verdict.explanation.summary = format!(
                    "the object belongs to RGW user `{}`, so only its ACL or the bucket policy can grant access to it",
                    o.owner_id
                );
            }
        } else if owner_governed(action) && o.owner != bucket.owner {
            // An object another account owns: on AWS the bucket owner's grants do not reach it.
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
    let Some((permission, on_object)) = needed(action, ceph) else {
        return verdict;
    };
    let grants = match &object {
        Some(o) if on_object => o.acl.clone(),
        _ if on_object => return verdict,
        _ => bucket_grants(bucket),
    };
    let ignore_public = bucket
        .public_access_block
        .is_some_and(|b| b.ignore_public_acls);
    let anonymous = caller.principal.is_anonymous();
    // On AWS a grant to an account serves its root, and its users only with their own policies'
    // consent; RGW grants to users, and a grant is enough.
    let consents = ceph || root || identity_allows;
    let granted = grants.iter().find(|g| {
        let covers = g.permission == permission || g.permission == Permission::FullControl;
        let who = match &g.grantee {
            Grantee::CanonicalUser(id) => !anonymous && *id == caller.owner_id && consents,
            Grantee::AllUsers => !ignore_public && (anonymous || consents),
            Grantee::AuthenticatedUsers => !ignore_public && !anonymous && consents,
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
