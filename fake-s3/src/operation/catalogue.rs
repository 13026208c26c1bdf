//! The operations the fake serves and, for every IAM action they are authorized as, the resource
//! it is decided on and the condition keys AWS sets for it: one table, [`ACTIONS`], written from
//! the Service Authorization Reference
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>,
//! <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html>)
//! and the S3 condition key descriptions
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>).
//!
//! A key is in a request's context only when the table lists it for the action being decided and
//! the request carries it. Keys read straight from a header are taken here ([`carried_keys`]);
//! keys the signature, the access point, the query or the object decide are set where those are
//! known (`authz`, `policy-eval`, the handlers), and [`KEYS`] says which is which.

use http::HeaderMap;

/// What an action is decided on: the Service Authorization Reference's resource types, each of
/// which adds its own condition keys to the action's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// No resource type: `*` (ListAllMyBuckets, ListAccessPoints, GetAccessPoint, STS).
    Any,
    Bucket,
    Object,
    AccessPoint,
    Role,
}

impl Resource {
    /// The keys the resource type carries in the Resource types table.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Resource::Any => &[],
            Resource::Bucket | Resource::Object => &["aws:ResourceTag/", "s3:BucketTag/"],
            Resource::AccessPoint => ACCESS_POINT_KEYS,
            Resource::Role => &["aws:ResourceTag/", "iam:ResourceTag/"],
        }
    }
}

/// The `accesspoint` and `accesspointobject` resource types' keys, which every action that can
/// go through an access point carries when it does.
const ACCESS_POINT_KEYS: &[&str] = &[
    "aws:ResourceTag/",
    "s3:AccessPointNetworkOrigin",
    "s3:AccessPointTag/",
    "s3:BucketTag/",
    "s3:DataAccessPointAccount",
    "s3:DataAccessPointArn",
];

/// One IAM action: its resource type, whether it can also be decided on an access point, and the
/// condition keys the Service Authorization Reference lists for it. Global `aws:` keys (time,
/// source address, principal, token) are in every request and not repeated here.
#[derive(Debug)]
pub struct ActionSpec {
    pub action: &'static str,
    pub resource: Resource,
    /// Lists `accesspoint` or `accesspointobject` among its resource types.
    pub via_access_point: bool,
    pub keys: &'static [&'static str],
}

/// Where a condition key's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The request header of that name, as sent.
    Header(&'static str),
    /// The query parameter of that name (set by the handler that reads it).
    Query(&'static str),
    /// The signature: its version, type, age and payload hash (set in `authz`).
    Signature,
    /// The access point the request came through (set by `policy-eval`).
    AccessPoint,
    /// The resource's owner (set in `authz`).
    ResourceOwner,
    /// Which operation the request is (set by the pipeline).
    Operation,
    /// The request body, the form or the object addressed (location constraint, tags, STS
    /// parameters; set by handlers).
    Content,
    /// Computed from another key (retention days from the retain-until date).
    Derived,
    /// The TLS connection; the fake serves plain HTTP, so never set (as on AWS for a plain-HTTP
    /// request).
    Tls,
    /// Needs a feature the fake does not serve (named), so no request carries it.
    NotServed(&'static str),
}

/// Every condition key the table uses, and where its value comes from. Keys ending in `/` take
/// the tag key after the slash.
pub static KEYS: &[(&str, KeySource)] = &[
    ("s3:x-amz-acl", KeySource::Header("x-amz-acl")),
    (
        "s3:x-amz-grant-full-control",
        KeySource::Header("x-amz-grant-full-control"),
    ),
    ("s3:x-amz-grant-read", KeySource::Header("x-amz-grant-read")),
    (
        "s3:x-amz-grant-read-acp",
        KeySource::Header("x-amz-grant-read-acp"),
    ),
    (
        "s3:x-amz-grant-write",
        KeySource::Header("x-amz-grant-write"),
    ),
    (
        "s3:x-amz-grant-write-acp",
        KeySource::Header("x-amz-grant-write-acp"),
    ),
    (
        "s3:x-amz-object-ownership",
        KeySource::Header("x-amz-object-ownership"),
    ),
    (
        "s3:x-amz-copy-source",
        KeySource::Header("x-amz-copy-source"),
    ),
    (
        "s3:x-amz-metadata-directive",
        KeySource::Header("x-amz-metadata-directive"),
    ),
    (
        "s3:x-amz-server-side-encryption",
        KeySource::Header("x-amz-server-side-encryption"),
    ),
    (
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        KeySource::Header("x-amz-server-side-encryption-aws-kms-key-id"),
    ),
    (
        "s3:x-amz-server-side-encryption-customer-algorithm",
        KeySource::Header("x-amz-server-side-encryption-customer-algorithm"),
    ),
    (
        "s3:x-amz-storage-class",
        KeySource::Header("x-amz-storage-class"),
    ),
    (
        "s3:x-amz-website-redirect-location",
        KeySource::Header("x-amz-website-redirect-location"),
    ),
    (
        "s3:object-lock-mode",
        KeySource::Header("x-amz-object-lock-mode"),
    ),
    (
        "s3:object-lock-retain-until-date",
        KeySource::Header("x-amz-object-lock-retain-until-date"),
    ),
    (
        "s3:object-lock-legal-hold",
        KeySource::Header("x-amz-object-lock-legal-hold"),
    ),
    (
        "s3:object-lock-remaining-retention-days",
        KeySource::Derived,
    ),
    ("s3:if-match", KeySource::Header("if-match")),
    ("s3:if-none-match", KeySource::Header("if-none-match")),
    ("s3:ObjectCreationOperation", KeySource::Operation),
    ("s3:prefix", KeySource::Query("prefix")),
    ("s3:delimiter", KeySource::Query("delimiter")),
    ("s3:max-keys", KeySource::Query("max-keys")),
    ("s3:VersionId", KeySource::Query("versionId")),
    ("s3:signatureversion", KeySource::Signature),
    ("s3:authType", KeySource::Signature),
    ("s3:signatureAge", KeySource::Signature),
    ("s3:x-amz-content-sha256", KeySource::Signature),
    ("s3:DataAccessPointAccount", KeySource::AccessPoint),
    ("s3:DataAccessPointArn", KeySource::AccessPoint),
    ("s3:AccessPointNetworkOrigin", KeySource::AccessPoint),
    ("s3:ResourceAccount", KeySource::ResourceOwner),
    ("s3:TlsVersion", KeySource::Tls),
    ("s3:locationconstraint", KeySource::Content),
    ("s3:ExistingObjectTag/", KeySource::Content),
    ("s3:RequestObjectTag/", KeySource::Content),
    ("s3:RequestObjectTagKeys", KeySource::Content),
    ("sts:RoleSessionName", KeySource::Content),
    ("sts:ExternalId", KeySource::Content),
    (
        "s3:AccessGrantsInstanceArn",
        KeySource::NotServed("S3 Access Grants"),
    ),
    (
        "s3:AccessPointTag/",
        KeySource::NotServed("access point tags"),
    ),
    (
        "s3:BucketTag/",
        KeySource::NotServed("attribute-based access control for buckets"),
    ),
    (
        "aws:ResourceTag/",
        KeySource::NotServed("tags on buckets, access points and roles as IAM resource tags"),
    ),
    (
        "aws:RequestTag/",
        KeySource::NotServed("tags on create and session tags"),
    ),
    (
        "aws:TagKeys",
        KeySource::NotServed("tags on create and session tags"),
    ),
    ("iam:ResourceTag/", KeySource::NotServed("role tags")),
    (
        "sts:TransitiveTagKeys",
        KeySource::NotServed("session tags"),
    ),
    (
        "sts:SourceIdentity",
        KeySource::NotServed("source identity"),
    ),
];

/// The keys the Service Authorization Reference lists for every S3 action: the signature's, the
/// resource owner's, TLS.
macro_rules! common {
    ($($k:literal),* $(,)?) => {
        &[
            "s3:authType",
            "s3:ResourceAccount",
            "s3:signatureAge",
            "s3:signatureversion",
            "s3:TlsVersion",
            "s3:x-amz-content-sha256",
            $($k),*
        ]
    };
}

macro_rules! action {
    ($action:literal, $resource:ident, $ap:literal, $keys:expr) => {
        ActionSpec {
            action: $action,
            resource: Resource::$resource,
            via_access_point: $ap,
            keys: $keys,
        }
    };
}

/// Every IAM action the fake authorizes, with its resource and condition keys, as the Service
/// Authorization Reference lists them (its current revision, with `accesspoint` and
/// `accesspointobject` resource types on object and listing actions).
pub static ACTIONS: &[ActionSpec] = &[
    // Buckets.
    action!("s3:ListAllMyBuckets", Any, false, common!()),
    action!(
        "s3:CreateBucket",
        Bucket,
        false,
        common!(
            "s3:locationconstraint",
            "s3:x-amz-acl",
            "s3:x-amz-grant-full-control",
            "s3:x-amz-grant-read",
            "s3:x-amz-grant-read-acp",
            "s3:x-amz-grant-write",
            "s3:x-amz-grant-write-acp",
            "s3:x-amz-object-ownership",
            "aws:RequestTag/",
            "aws:TagKeys",
        )
    ),
    action!("s3:DeleteBucket", Bucket, false, common!()),
    action!(
        "s3:ListBucket",
        Bucket,
        true,
        common!(
            "s3:AccessGrantsInstanceArn",
            "s3:delimiter",
            "s3:max-keys",
            "s3:prefix"
        )
    ),
    action!(
        "s3:ListBucketVersions",
        Bucket,
        true,
        common!(
            "s3:AccessGrantsInstanceArn",
            "s3:delimiter",
            "s3:max-keys",
            "s3:prefix"
        )
    ),
    action!(
        "s3:ListBucketMultipartUploads",
        Bucket,
        false,
        common!(
            "s3:AccessGrantsInstanceArn",
            "s3:AccessPointNetworkOrigin",
            "s3:AccessPointTag/",
            "s3:DataAccessPointAccount",
            "s3:DataAccessPointArn",
            "aws:ResourceTag/",
        )
    ),
    action!("s3:GetBucketLocation", Bucket, true, common!()),
    action!("s3:GetBucketVersioning", Bucket, false, common!()),
    action!("s3:PutBucketVersioning", Bucket, false, common!()),
    action!("s3:GetBucketPolicy", Bucket, true, common!()),
    action!("s3:PutBucketPolicy", Bucket, false, common!()),
    action!("s3:DeleteBucketPolicy", Bucket, false, common!()),
    action!("s3:GetBucketPolicyStatus", Bucket, false, common!()),
    action!("s3:GetBucketCORS", Bucket, true, common!()),
    action!("s3:PutBucketCORS", Bucket, false, common!()),
    action!("s3:GetBucketAcl", Bucket, true, common!()),
    action!(
        "s3:PutBucketAcl",
        Bucket,
        false,
        common!(
            "s3:x-amz-acl",
            "s3:x-amz-grant-full-control",
            "s3:x-amz-grant-read",
            "s3:x-amz-grant-read-acp",
            "s3:x-amz-grant-write",
            "s3:x-amz-grant-write-acp",
        )
    ),
    action!("s3:GetBucketOwnershipControls", Bucket, false, common!()),
    action!("s3:PutBucketOwnershipControls", Bucket, false, common!()),
    action!("s3:GetBucketTagging", Bucket, false, common!()),
    action!("s3:GetLifecycleConfiguration", Bucket, false, common!()),
    action!("s3:PutBucketTagging", Bucket, false, common!()),
    action!("s3:GetBucketPublicAccessBlock", Bucket, false, common!()),
    action!("s3:PutBucketPublicAccessBlock", Bucket, false, common!()),
    // Objects.
    action!(
        "s3:GetObject",
        Object,
        true,
        common!("s3:AccessGrantsInstanceArn", "s3:ExistingObjectTag/")
    ),
    action!(
        "s3:GetObjectVersion",
        Object,
        true,
        common!(
            "s3:AccessGrantsInstanceArn",
            "s3:ExistingObjectTag/",
            "s3:VersionId"
        )
    ),
    action!(
        "s3:PutObject",
        Object,
        true,
        common!(
            "s3:AccessGrantsInstanceArn",
            "s3:RequestObjectTag/",
            "s3:RequestObjectTagKeys",
            "s3:x-amz-acl",
            "s3:x-amz-copy-source",
            "s3:x-amz-grant-full-control",
            "s3:x-amz-grant-read",
            "s3:x-amz-grant-read-acp",
            "s3:x-amz-grant-write",
            "s3:x-amz-grant-write-acp",
            "s3:x-amz-metadata-directive",
            "s3:x-amz-server-side-encryption",
            "s3:x-amz-server-side-encryption-aws-kms-key-id",
            "s3:x-amz-server-side-encryption-customer-algorithm",
            "s3:x-amz-storage-class",
            "s3:x-amz-website-redirect-location",
            "s3:object-lock-mode",
            "s3:object-lock-retain-until-date",
            "s3:object-lock-remaining-retention-days",
            "s3:object-lock-legal-hold",
            "s3:if-match",
            "s3:if-none-match",
            "s3:ObjectCreationOperation",
        )
    ),
    action!(
        "s3:DeleteObject",
        Object,
        true,
        common!("s3:AccessGrantsInstanceArn", "s3:if-match")
    ),
    action!(
        "s3:DeleteObjectVersion",
        Object,
        true,
        common!("s3:AccessGrantsInstanceArn", "s3:VersionId")
    ),
    action!(
        "s3:AbortMultipartUpload",
        Object,
        true,
        common!("s3:AccessGrantsInstanceArn")
    ),
    action!(
        "s3:ListMultipartUploadParts",
        Object,
        true,
        common!("s3:AccessGrantsInstanceArn")
    ),
    action!(
        "s3:GetObjectAcl",
        Object,
        true,
        common!("s3:AccessGrantsInstanceArn", "s3:ExistingObjectTag/")
    ),
    action!(
        "s3:GetObjectVersionAcl",
        Object,
        true,
        common!(
            "s3:AccessGrantsInstanceArn",
            "s3:ExistingObjectTag/",
            "s3:VersionId"
        )
    ),
    action!(
        "s3:PutObjectAcl",
        Object,
        true,
        common!(
            "s3:AccessGrantsInstanceArn",
            "s3:ExistingObjectTag/",
            "s3:x-amz-acl",
            "s3:x-amz-grant-full-control",
            "s3:x-amz-grant-read",
            "s3:x-amz-grant-read-acp",
            "s3:x-amz-grant-write",
            "s3:x-amz-grant-write-acp",
            "s3:x-amz-storage-class",
        )
    ),
    action!(
        "s3:PutObjectVersionAcl",
        Object,
        true,
        common!(
            "s3:AccessGrantsInstanceArn",
            "s3:ExistingObjectTag/",
            "s3:VersionId",
            "s3:x-amz-acl",
            "s3:x-amz-grant-full-control",
            "s3:x-amz-grant-read",
            "s3:x-amz-grant-read-acp",
            "s3:x-amz-grant-write",
            "s3:x-amz-grant-write-acp",
            "s3:x-amz-storage-class",
        )
    ),
    action!(
        "s3:GetObjectAttributes",
        Object,
        true,
        common!("s3:ExistingObjectTag/")
    ),
    action!(
        "s3:GetObjectVersionAttributes",
        Object,
        true,
        common!("s3:ExistingObjectTag/", "s3:VersionId")
    ),
    action!(
        "s3:GetObjectTagging",
        Object,
        true,
        common!("s3:ExistingObjectTag/")
    ),
    action!(
        "s3:GetObjectVersionTagging",
        Object,
        true,
        common!("s3:ExistingObjectTag/", "s3:VersionId")
    ),
    action!(
        "s3:PutObjectTagging",
        Object,
        true,
        common!(
            "s3:ExistingObjectTag/",
            "s3:RequestObjectTag/",
            "s3:RequestObjectTagKeys"
        )
    ),
    action!(
        "s3:PutObjectVersionTagging",
        Object,
        true,
        common!(
            "s3:ExistingObjectTag/",
            "s3:RequestObjectTag/",
            "s3:RequestObjectTagKeys",
            "s3:VersionId",
        )
    ),
    action!(
        "s3:DeleteObjectTagging",
        Object,
        true,
        common!("s3:ExistingObjectTag/")
    ),
    action!(
        "s3:DeleteObjectVersionTagging",
        Object,
        true,
        common!("s3:ExistingObjectTag/", "s3:VersionId")
    ),
    // S3 Control: access points.
    action!(
        "s3:CreateAccessPoint",
        AccessPoint,
        false,
        common!(
            "s3:locationconstraint",
            "s3:x-amz-acl",
            "aws:RequestTag/",
            "aws:TagKeys",
        )
    ),
    // GetAccessPoint lists no resource type, but the access point's keys at action level.
    action!(
        "s3:GetAccessPoint",
        Any,
        false,
        common!(
            "s3:AccessPointNetworkOrigin",
            "s3:AccessPointTag/",
            "s3:DataAccessPointAccount",
            "s3:DataAccessPointArn",
            "aws:ResourceTag/",
        )
    ),
    action!("s3:DeleteAccessPoint", AccessPoint, false, common!()),
    action!("s3:ListAccessPoints", Any, false, common!()),
    action!("s3:PutAccessPointPolicy", AccessPoint, false, common!()),
    action!("s3:GetAccessPointPolicy", AccessPoint, false, common!()),
    action!("s3:DeleteAccessPointPolicy", AccessPoint, false, common!()),
    action!(
        "s3:GetAccessPointPolicyStatus",
        AccessPoint,
        false,
        common!()
    ),
    // STS (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html>):
    // AssumeRole's identity-provider claim keys belong to the web-identity and SAML flows, which
    // the fake does not serve, and are left out.
    action!(
        "sts:AssumeRole",
        Role,
        false,
        &[
            "aws:RequestTag/",
            "aws:TagKeys",
            "sts:ExternalId",
            "sts:RoleSessionName",
            "sts:SourceIdentity",
            "sts:TransitiveTagKeys",
        ]
    ),
    action!(
        "sts:GetFederationToken",
        Any,
        false,
        &["aws:RequestTag/", "aws:TagKeys"]
    ),
    action!("sts:GetSessionToken", Any, false, &[]),
];

/// The table's entry for `action` (compared without regard to case, as IAM does).
pub fn spec(action: &str) -> Option<&'static ActionSpec> {
    ACTIONS
        .iter()
        .find(|s| s.action.eq_ignore_ascii_case(action))
}

/// Whether `entry` (a key, or a `…/` tag key prefix) names `key`.
fn names(entry: &str, key: &str) -> bool {
    if entry.ends_with('/') {
        key.get(..entry.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(entry))
    } else {
        entry.eq_ignore_ascii_case(key)
    }
}

/// Whether `key` can be in the context of `action`: the action lists it, or its resource type
/// does, or (through an access point, for actions that allow one) the access point's does.
#[cfg(test)]
pub fn lists(action: &str, key: &str, through_access_point: bool) -> bool {
    spec(action).is_some_and(|s| s.lists(key, through_access_point))
}

impl ActionSpec {
    /// See [`lists`].
    pub fn lists(&self, key: &str, through_access_point: bool) -> bool {
        let ap_keys: &[&str] = if through_access_point && self.via_access_point {
            ACCESS_POINT_KEYS
        } else {
            &[]
        };
        self.keys
            .iter()
            .chain(self.resource.keys())
            .chain(ap_keys)
            .any(|k| names(k, key))
    }
}

/// Where `key`'s value comes from.
#[cfg(test)]
pub fn source(key: &str) -> Option<KeySource> {
    KEYS.iter()
        .find(|(k, _)| match k.strip_suffix('/') {
            Some(_) => key
                .get(..k.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(k)),
            None => k.eq_ignore_ascii_case(key),
        })
        .map(|(_, s)| *s)
}

/// The header-sourced keys the request carries, whatever the action; `authz` keeps those the
/// table lists for the action it decides.
pub fn carried_keys(headers: &HeaderMap) -> Vec<(&'static str, String)> {
    // One pass over the request's few headers rather than a lookup per catalogued key.
    let mut out = Vec::new();
    for (name, value) in headers {
        let name = name.as_str();
        if !(name.starts_with("x-amz-") || name.starts_with("if-")) {
            continue;
        }
        let found = KEYS.iter().find_map(|(key, src)| match src {
            KeySource::Header(h) if *h == name => Some(*key),
            _ => None,
        });
        if let (Some(key), Ok(v)) = (found, value.to_str()) {
            out.push((key, v.to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_key_has_a_source_and_every_action_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for s in ACTIONS {
            assert!(seen.insert(s.action), "{} listed twice", s.action);
            for k in s.keys {
                assert!(
                    source(k).is_some(),
                    "{} lists {k}, which has no source",
                    s.action
                );
            }
        }
    }

    #[test]
    fn tag_keys_match_by_prefix() {
        assert!(lists("s3:GetObject", "s3:ExistingObjectTag/project", false));
        assert!(lists("s3:getobject", "S3:existingobjecttag/project", false));
        assert!(!lists("s3:GetObject", "s3:RequestObjectTag/project", false));
        assert!(!lists("s3:GetObject", "s3:x-amz-acl", false));
    }

    #[test]
    fn access_point_keys_come_with_the_access_point() {
        assert!(lists("s3:GetObject", "s3:DataAccessPointArn", true));
        assert!(!lists("s3:GetObject", "s3:DataAccessPointArn", false));
        // An action that cannot go through an access point never carries its keys.
        assert!(!lists("s3:PutBucketPolicy", "s3:DataAccessPointArn", true));
    }
}
