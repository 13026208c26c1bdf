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
//! Ceph RGW differs here: its bucket policy covers every object in the bucket.

use super::*;
use crate::storage::{Grantee, Ownership, Permission};

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
