//! The role table a shared bucket's members are kept in (SPEC §7): the dialect, the roles and the
//! actions each allows, members and former members, prefixes as resources and listing scopes, and
//! users as principals. [`super::render`], [`super::import`] and [`super::report`] build on it;
//! nothing here reaches a database or S3.
//!
//! Principals are written as AWS and Ceph RGW accept them in bucket policies: IAM user ARNs and
//! account roots on AWS
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-bucket-user-policy-specifying-principal-intro.html>),
//! `arn:aws:iam:::user/NAME` and `arn:aws:iam::TENANT:user/NAME` on RGW
//! (<https://docs.ceph.com/en/latest/radosgw/bucketpolicy/>). An account id is written as its root
//! ARN because that is how S3 stores and returns it, so the policy read back compares equal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::KeeperError;

/// Which S3 the service manages shares on: AWS, or Ceph RGW (bare user names, no STS or S3
/// Control needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Aws,
    Ceph,
}

impl FromStr for Dialect {
    type Err = KeeperError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "aws" => Ok(Dialect::Aws),
            "ceph" => Ok(Dialect::Ceph),
            _ => Err(KeeperError::Config(format!(
                "dialect `{s}` is neither `aws` nor `ceph`"
            ))),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Aws => "aws",
            Dialect::Ceph => "ceph",
        })
    }
}

/// A member's role. Each includes the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// List (under the prefix) and read.
    Reader,
    /// Reader, plus upload (multipart uploads too).
    Writer,
    /// Writer, plus delete.
    Manager,
    /// Manager on the whole bucket, plus reading and changing the bucket policy (and reading the
    /// bucket's settings `s3cmd info` shows).
    Steward,
}

pub const GET_OBJECT: &str = "s3:GetObject";
pub const PUT_OBJECT: &str = "s3:PutObject";
pub const DELETE_OBJECT: &str = "s3:DeleteObject";
pub const LIST_BUCKET: &str = "s3:ListBucket";
pub const PUT_BUCKET_POLICY: &str = "s3:PutBucketPolicy";

/// Object actions by role. A large `PutObject` is a multipart upload, so a writer may also
/// abort its uploads and list their parts.
const READER: &[&str] = &[GET_OBJECT];
const WRITER: &[&str] = &[
    GET_OBJECT,
    PUT_OBJECT,
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
];
const MANAGER: &[&str] = &[
    GET_OBJECT,
    PUT_OBJECT,
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    DELETE_OBJECT,
];
/// What a steward may do to the bucket itself: read and change its policy, and read what
/// `s3cmd info` shows before the policy (location, ACL, CORS, lifecycle; it stops at the first
/// refusal), as the LTS guide has stewards run it.
pub const POLICY_ACTIONS: &[&str] = &[
    "s3:GetBucketPolicy",
    PUT_BUCKET_POLICY,
    "s3:DeleteBucketPolicy",
    "s3:GetBucketLocation",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetLifecycleConfiguration",
];

impl Role {
    pub const ALL: [Role; 4] = [Role::Reader, Role::Writer, Role::Manager, Role::Steward];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Manager => "manager",
            Role::Steward => "steward",
        }
    }

    /// The object actions the role is given.
    pub fn object_actions(self) -> &'static [&'static str] {
        match self {
            Role::Reader => READER,
            Role::Writer => WRITER,
            Role::Manager | Role::Steward => MANAGER,
        }
    }

    /// The actions without which a hand-written statement is not this role when imported (the
    /// rest of [`Role::object_actions`] only finishes what these already allow: the steps of a
    /// multipart upload).
    /// Whether the role uploads, and so owns what it uploads and must not set ACLs.
    pub fn uploads(self) -> bool {
        self >= Role::Writer
    }

    pub(crate) fn core_actions(self) -> &'static [&'static str] {
        match self {
            Role::Reader => &[GET_OBJECT],
            Role::Writer => &[GET_OBJECT, PUT_OBJECT],
            Role::Manager | Role::Steward => &[GET_OBJECT, PUT_OBJECT, DELETE_OBJECT],
        }
    }
}

impl FromStr for Role {
    type Err = KeeperError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                KeeperError::Invalid(format!(
                    "role `{s}` is not one of reader, writer, manager, steward"
                ))
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Object ACL actions, which no role is given and writers, managers and stewards are explicitly
/// denied: an uploader owns what they upload (RGW; AWS with ACLs enabled), and an ACL they set
/// would outlive their role (`public-read` is readable by anyone).
pub const ACL_ACTIONS: &[&str] = &["s3:PutObjectAcl", "s3:PutObjectVersionAcl"];

/// The canned ACLs an upload may ask for: neither gives anyone but the owners access.
pub const UPLOAD_ACLS: &[&str] = &["bucket-owner-full-control", "private"];

/// Every other canned ACL S3 accepts on an upload
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl>): each
/// grants someone besides the uploader and the bucket owner, or less than full control to the
/// owner, so an uploading member's upload carrying one is refused.
pub const SHARING_ACLS: &[&str] = &[
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "log-delivery-write",
    "public-read",
    "public-read-write",
];

/// The `x-amz-grant-*` condition keys of `PutObject` (the Service Authorization Reference lists
/// all five for it); an upload carrying any of them is refused.
pub const GRANT_KEYS: &[&str] = &[
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
];

/// Someone whose roles were revoked in the Ceph dialect: the policy denies them everything on the
/// bucket until they are forgotten, because RGW makes an uploader the owner of what they upload
/// and an owner keeps reading (and re-ACLing) it without any Allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormerMember {
    /// As written in the policy.
    pub principal: String,
    /// As people name them.
    pub user: String,
}

/// One row of a bucket's role table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// As written in the policy (`arn:aws:iam:::user/bob`).
    pub principal: String,
    /// As people name them (`bob`, `uab$carol`, `111122223333`, or the ARN).
    pub user: String,
    pub role: Role,
    /// A key prefix (`data/`), a key pattern with `*` or `?` (`test_folder/*jpg`), or empty for
    /// the whole bucket.
    pub prefix: String,
}

/// The bucket's ARN as a policy resource.
pub fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Whether a pattern's folder part (everything before its last `/`) holds a wildcard: its listing
/// (`*/*.jpg` lists `*/*`) reaches every folder the wildcard matches and all their key names, the
/// leak a pattern outside any folder has (`--prefix` refuses both; import keeps them verbatim).
pub fn folder_has_wildcard(prefix: &str) -> bool {
    prefix
        .rfind('/')
        .is_some_and(|i| has_wildcard(&prefix[..i]))
}

/// The object resource a prefix grants: `data/` → `data/*`; a pattern stays as written; the whole
/// bucket is `*`.
pub fn object_pattern(prefix: &str) -> String {
    if has_wildcard(prefix) {
        prefix.to_owned()
    } else {
        format!("{prefix}*")
    }
}

/// The `s3:prefix` pattern listing is limited to, or `None` for the whole bucket. A plain prefix
/// lists under itself (`data/` → `data/*`); a pattern lists the folder it reads in, wildcards kept
/// (`test_folder/*jpg` → `test_folder/*`, `a?c/x*` → `a?c/*`), so a member sees no key names
/// outside the folder it reads. A pattern with no folder (`*.jpg`, only ever imported: `--prefix`
/// refuses it) lists the whole bucket, as the policy it came from did.
pub fn list_scope(prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return None;
    }
    if !has_wildcard(prefix) {
        return Some(format!("{prefix}*"));
    }
    let folder = &prefix[..prefix.rfind('/').map_or(0, |i| i + 1)];
    (!folder.is_empty()).then(|| format!("{folder}*"))
}

/// Checks a `--prefix`: a key prefix or pattern AWS could store in a policy.
pub fn check_prefix(prefix: &str) -> Result<(), KeeperError> {
    let bad = |why: &str| Err(KeeperError::Invalid(format!("prefix `{prefix}` {why}")));
    if prefix.len() > 1024 {
        return bad("is longer than an S3 key (1024 bytes)");
    }
    if prefix.starts_with('/') {
        return bad("starts with `/`; S3 keys are written without it (`data/`, not `/data/`)");
    }
    if prefix.chars().any(char::is_control) {
        return bad("holds a control character");
    }
    if prefix.contains("${") {
        return bad("holds `${`, which a policy reads as a variable");
    }
    if prefix == "*" {
        return bad("is the whole bucket; leave --prefix out instead");
    }
    if has_wildcard(prefix) && !prefix.contains('/') {
        return bad("is a pattern outside any folder, so listing could not be limited to what it reads; start it with a folder (`photos/*.jpg`), or grant the whole bucket");
    }
    if folder_has_wildcard(prefix) {
        return bad("has a wildcard in its folder part (before the last `/`), so listing would reach every folder the wildcard matches and all their key names, not only what the pattern reads; name the folder (`photos/*.jpg`), grant each folder, or grant the whole bucket");
    }
    Ok(())
}

/// The principal a USER argument stands for, and the name to show for it.
///
/// AWS: an IAM user, role or root ARN, or a 12-digit account id (written as its root ARN).
/// Ceph: a bare RGW user name, case kept (`jane@uab.edu` is one name) → `arn:aws:iam:::user/NAME`;
/// `TENANT$NAME` → `arn:aws:iam::TENANT:user/NAME`; or an ARN.
pub fn principal_for(user: &str, dialect: Dialect) -> Result<Member, KeeperError> {
    let invalid = |why: String| Err(KeeperError::Invalid(why));
    if user.starts_with("arn:") {
        let Some(arn) = policy_eval::arn::Arn::parse(user) else {
            return invalid(format!("`{user}` is not an ARN"));
        };
        let account_ok = match dialect {
            Dialect::Aws => policy_eval::arn::is_account_id(arn.account),
            Dialect::Ceph => {
                arn.account.is_empty()
                    || policy_eval::arn::is_account_id(arn.account)
                    || policy_eval::arn::is_tenant_name(arn.account)
            }
        };
        let kind_ok = arn.service == "iam"
            && (arn.resource == "root"
                || arn
                    .resource
                    .strip_prefix("user/")
                    .or_else(|| arn.resource.strip_prefix("role/"))
                    .is_some_and(|n| !n.is_empty() && !has_wildcard(n)));
        if !account_ok || !kind_ok || arn.partition != "aws" {
            return invalid(format!(
                "`{user}` is not an IAM user, role or account root ARN{}",
                if dialect == Dialect::Aws {
                    " with a 12-digit account id"
                } else {
                    ""
                }
            ));
        }
        return Ok(member(user, &label_for(user, dialect)));
    }
    match dialect {
        Dialect::Aws => {
            if policy_eval::arn::is_account_id(user) {
                Ok(member(&format!("arn:aws:iam::{user}:root"), user))
            } else {
                invalid(format!(
                    "`{user}` is neither an IAM user ARN (arn:aws:iam::ACCOUNT:user/NAME) nor a 12-digit account id; RGW user names need the Ceph dialect (--dialect ceph)"
                ))
            }
        }
        Dialect::Ceph => {
            let (tenant, name) = match user.split_once('$') {
                Some((t, n)) => (t, n),
                None => ("", user),
            };
            if !tenant.is_empty() && !policy_eval::arn::is_tenant_name(tenant) {
                return invalid(format!(
                    "`{tenant}` in `{user}` is not an RGW tenant name (letters, digits and `_`)"
                ));
            }
            let bad_char = |c: char| c.is_control() || c.is_whitespace() || "*?\"\\/$:".contains(c);
            if name.is_empty() || name.len() > 128 || name.chars().any(bad_char) {
                return invalid(format!(
                    "`{user}` is not an RGW user name (1–128 characters, no spaces, `/`, `:`, `$`, `*`, `?`, quotes or backslashes; `TENANT$NAME` for a tenant's user)"
                ));
            }
            Ok(member(&format!("arn:aws:iam::{tenant}:user/{name}"), user))
        }
    }
}

fn member(principal: &str, user: &str) -> Member {
    Member {
        principal: principal.to_owned(),
        user: user.to_owned(),
        role: Role::Reader,
        prefix: String::new(),
    }
}

/// How people name a principal: RGW user names in the Ceph dialect, account ids for account
/// roots, the ARN otherwise.
pub fn label_for(principal: &str, dialect: Dialect) -> String {
    let Some(arn) = policy_eval::arn::Arn::parse(principal) else {
        return principal.to_owned();
    };
    if arn.service == "iam" && arn.resource == "root" {
        return arn.account.to_owned();
    }
    if dialect == Dialect::Ceph && !policy_eval::arn::is_account_id(arn.account) {
        if let Some(name) = arn.resource.strip_prefix("user/") {
            return if arn.account.is_empty() {
                name.to_owned()
            } else {
                format!("{}${name}", arn.account)
            };
        }
    }
    principal.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(user: &str, d: Dialect) -> Result<String, String> {
        principal_for(user, d)
            .map(|m| m.principal)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn users_become_principals_by_dialect() {
        assert_eq!(
            principal("111122223333", Dialect::Aws),
            Ok("arn:aws:iam::111122223333:root".into())
        );
        assert_eq!(
            principal("arn:aws:iam::111122223333:user/bob", Dialect::Aws),
            Ok("arn:aws:iam::111122223333:user/bob".into())
        );
        assert_eq!(
            principal("jane@uab.edu", Dialect::Ceph),
            Ok("arn:aws:iam:::user/jane@uab.edu".into())
        );
        assert_eq!(
            principal("Bob", Dialect::Ceph),
            Ok("arn:aws:iam:::user/Bob".into())
        );
        assert_eq!(
            principal("uab$carol", Dialect::Ceph),
            Ok("arn:aws:iam::uab:user/carol".into())
        );
        for bad in ["bob", "arn:aws:iam:::user/bob", "1111", "arn:aws:s3:::b"] {
            assert!(principal(bad, Dialect::Aws).is_err(), "{bad}");
        }
        for bad in ["", "a b", "x$", "bad-tenant$bob", "a*", "a/b", "12$bob"] {
            assert!(principal(bad, Dialect::Ceph).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn labels_round_trip() {
        for (user, d) in [
            ("bob", Dialect::Ceph),
            ("jane@uab.edu", Dialect::Ceph),
            ("uab$carol", Dialect::Ceph),
            ("111122223333", Dialect::Aws),
            ("arn:aws:iam::111122223333:user/bob", Dialect::Aws),
        ] {
            let Ok(m) = principal_for(user, d) else {
                panic!("{user}")
            };
            assert_eq!(label_for(&m.principal, d), user);
        }
    }

    #[test]
    fn prefixes_become_resources_and_list_scopes() {
        assert_eq!(object_pattern(""), "*");
        assert_eq!(object_pattern("data/"), "data/*");
        assert_eq!(object_pattern("test_folder/*jpg"), "test_folder/*jpg");
        assert_eq!(list_scope(""), None);
        assert_eq!(list_scope("data/"), Some("data/*".into()));
        assert_eq!(list_scope("test_folder/*jpg"), Some("test_folder/*".into()));
        assert_eq!(list_scope("*.jpg"), None);
        assert_eq!(list_scope("a?c/x*"), Some("a?c/*".into()));
        assert_eq!(
            list_scope("data/2024-*/raw/x"),
            Some("data/2024-*/raw/*".into())
        );
        assert!(check_prefix("*.jpg").is_err());
        assert!(check_prefix("photos/*.jpg").is_ok());
        assert!(check_prefix("/data/").is_err());
        assert!(check_prefix("${aws:username}/").is_err());
        assert!(check_prefix("*").is_err());
        assert!(check_prefix("data/").is_ok());
        for leak in ["*/*.jpg", "a?c/x*", "data/2024-*/raw/x", "*/", "p*/q/"] {
            assert!(check_prefix(leak).is_err(), "{leak}");
        }
        assert!(check_prefix("photos/2024/*.jpg").is_ok());
        assert!(folder_has_wildcard("*/*.jpg") && !folder_has_wildcard("test_folder/*jpg"));
    }
}
