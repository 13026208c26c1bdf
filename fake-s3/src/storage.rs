//! Buckets, objects, policies and access points, in memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use policy_eval::Policy;
use time::OffsetDateTime;

/// The four PublicAccessBlock flags
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html>).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// A resource policy as stored: the text given and its compiled form.
#[derive(Debug, Clone)]
pub struct ResourcePolicy {
    pub text: String,
    pub compiled: Policy,
}

/// Who an ACL grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// An account, by its canonical user id.
    CanonicalUser(String),
    /// `http://acs.amazonaws.com/groups/global/AllUsers`: anyone, signed or not.
    AllUsers,
    /// `http://acs.amazonaws.com/groups/global/AuthenticatedUsers`: any signed request.
    AuthenticatedUsers,
    /// `http://acs.amazonaws.com/groups/s3/LogDelivery`.
    LogDelivery,
}

/// An ACL permission (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

/// One ACL grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// Tags in the order they were given.
pub type TagSet = Vec<(String, String)>;

/// One stored object.
#[derive(Debug, Clone)]
pub struct Object {
    pub data: Bytes,
    pub etag: String,
    pub last_modified: OffsetDateTime,
    pub content_type: String,
    /// `x-amz-meta-*` headers, names lowercase without the prefix.
    pub metadata: BTreeMap<String, String>,
    /// Checksums given at upload (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`), base64; a
    /// composite multipart checksum ends in `-N`.
    pub checksums: BTreeMap<String, String>,
    /// How the checksum was made, when the object has one S3 reports (`x-amz-checksum-type`).
    pub checksum_type: Option<crate::checksum::ChecksumType>,
    /// A multipart object's parts, in order (empty for an object written in one piece).
    pub parts: Vec<ObjectPart>,
    pub tags: TagSet,
    /// `null` in buckets that never had versioning, and for writes while it is suspended.
    pub version_id: String,
    /// The owning account (the writer's under `ObjectWriter`, else the bucket owner's).
    pub owner: String,
    /// The owner's canonical id ([`crate::identity`]: the account's, or in the Ceph dialect the
    /// writing user's RGW user id).
    pub owner_id: String,
    pub acl: Vec<Grant>,
}

/// One part of a multipart object: its size and the checksums it was uploaded with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPart {
    pub size: u64,
    pub checksums: BTreeMap<String, String>,
}

/// A bucket's Object Ownership setting
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// ACLs disabled; the bucket owner owns every object (AWS's default since April 2023).
    BucketOwnerEnforced,
    /// ACLs enabled; an object written with `bucket-owner-full-control` belongs to the bucket
    /// owner.
    BucketOwnerPreferred,
    /// ACLs enabled; the writer's account owns what it writes (Ceph RGW's behaviour).
    ObjectWriter,
}

impl Ownership {
    pub fn as_str(self) -> &'static str {
        match self {
            Ownership::BucketOwnerEnforced => "BucketOwnerEnforced",
            Ownership::BucketOwnerPreferred => "BucketOwnerPreferred",
            Ownership::ObjectWriter => "ObjectWriter",
        }
    }

    pub fn parse(s: &str) -> Option<Ownership> {
        match s {
            "BucketOwnerEnforced" => Some(Ownership::BucketOwnerEnforced),
            "BucketOwnerPreferred" => Some(Ownership::BucketOwnerPreferred),
            "ObjectWriter" => Some(Ownership::ObjectWriter),
            _ => None,
        }
    }
}

/// A bucket's versioning state
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html>).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Versioning {
    /// Never enabled: one `null` version per key, overwritten in place.
    #[default]
    Unversioned,
    Enabled,
    /// Writes make the `null` version (replacing any other `null` one); other versions stay.
    Suspended,
}

/// One version of a key: an object or a delete marker.
#[derive(Debug, Clone)]
pub enum Entry {
    /// Behind an `Arc`: an object is several times the size of a delete marker, and a read
    /// takes the version without copying it (a write copies it only if a read still holds it).
    Object(Arc<Object>),
    DeleteMarker {
        version_id: String,
        last_modified: OffsetDateTime,
    },
}

impl Entry {
    pub fn version_id(&self) -> &str {
        match self {
            Entry::Object(o) => &o.version_id,
            Entry::DeleteMarker { version_id, .. } => version_id,
        }
    }

    pub fn object(&self) -> Option<&Object> {
        match self {
            Entry::Object(o) => Some(o.as_ref()),
            Entry::DeleteMarker { .. } => None,
        }
    }
}

/// What a delete without a version id did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// The object is gone (unversioned bucket).
    Removed,
    /// A delete marker with this version id now hides the key.
    Marker(String),
}

/// A multipart upload in progress.
#[derive(Debug, Clone)]
pub struct Upload {
    pub key: String,
    pub initiated: OffsetDateTime,
    pub content_type: String,
    pub metadata: BTreeMap<String, String>,
    /// Part number → (data, ETag).
    pub parts: BTreeMap<u32, (Bytes, String)>,
    /// Part number → the checksums the part was uploaded with (algorithm → base64).
    pub part_checksums: BTreeMap<u32, BTreeMap<String, String>>,
    /// The checksum algorithm and type named at CreateMultipartUpload.
    pub checksum: Option<(crate::checksum::Algorithm, crate::checksum::ChecksumType)>,
    /// Who started the upload (ListMultipartUploads' `Initiator`): its ARN and canonical id.
    pub initiator: (String, String),
    /// Tags the object gets when the upload completes.
    pub tags: TagSet,
    /// The owner and ACL the object gets when the upload completes.
    pub owner: String,
    pub owner_id: String,
    pub acl: Vec<Grant>,
}

/// One bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// The bucket's identity in the store, its key in [`Storage::buckets`]: the name, or
    /// `TENANT:NAME` for a Ceph RGW tenant's bucket ([`crate::tenant`]).
    pub name: String,
    /// The owning account.
    pub owner: String,
    /// The owner's canonical id ([`crate::identity`]): the account's, or in the Ceph dialect the
    /// creating user's RGW user id.
    pub owner_id: String,
    pub region: String,
    pub created: OffsetDateTime,
    pub policy: Option<ResourcePolicy>,
    pub public_access_block: Option<PublicAccessBlock>,
    /// `None`: no ownership controls (ACLs enabled, the writer owns its objects).
    pub ownership: Option<Ownership>,
    /// The bucket ACL beyond the owner's own full control.
    pub acl: Vec<Grant>,
    pub versioning: Versioning,
    /// Key → every version of it, oldest first; the last is the current one.
    pub objects: BTreeMap<String, Vec<Entry>>,
    pub uploads: BTreeMap<String, Upload>,
    /// The CORS configuration's rules, in order.
    pub cors: Option<Vec<CorsRule>>,
    pub tags: Option<TagSet>,
}

/// One rule of a bucket's CORS configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<u64>,
}

impl Bucket {
    /// The name as S3 shows it in responses, without a Ceph tenant.
    pub fn plain_name(&self) -> &str {
        crate::tenant::split(&self.name).1
    }

    /// The key's current version, unless it is a delete marker.
    pub fn current(&self, key: &str) -> Option<&Object> {
        self.objects.get(key)?.last()?.object()
    }

    pub fn current_mut(&mut self, key: &str) -> Option<&mut Object> {
        match self.objects.get_mut(key)?.last_mut()? {
            Entry::Object(o) => Some(Arc::make_mut(o)),
            Entry::DeleteMarker { .. } => None,
        }
    }

    /// The key's latest entry (object or delete marker).
    pub fn latest(&self, key: &str) -> Option<&Entry> {
        self.objects.get(key)?.last()
    }

    pub fn version(&self, key: &str, id: &str) -> Option<&Entry> {
        self.objects.get(key)?.iter().find(|e| e.version_id() == id)
    }

    pub fn version_mut(&mut self, key: &str, id: &str) -> Option<&mut Object> {
        self.objects.get_mut(key)?.iter_mut().find_map(|e| match e {
            Entry::Object(o) if o.version_id == id => Some(Arc::make_mut(o)),
            _ => None,
        })
    }

    /// Stores `object` as the key's current version as the bucket's versioning state says, and
    /// returns the version id to report (`None` for a bucket that never had versioning).
    /// `new_id` makes a fresh id for a versioning-enabled bucket.
    pub fn put(
        &mut self,
        key: String,
        mut object: Object,
        new_id: impl FnOnce() -> String,
    ) -> Option<String> {
        let versioning = self.versioning;
        let history = self.objects.entry(key).or_default();
        match versioning {
            Versioning::Unversioned => {
                object.version_id = "null".to_owned();
                history.clear();
                history.push(Entry::Object(Arc::new(object)));
                None
            }
            Versioning::Enabled => {
                let id = new_id();
                object.version_id.clone_from(&id);
                history.push(Entry::Object(Arc::new(object)));
                Some(id)
            }
            Versioning::Suspended => {
                history.retain(|e| e.version_id() != "null");
                object.version_id = "null".to_owned();
                history.push(Entry::Object(Arc::new(object)));
                Some("null".to_owned())
            }
        }
    }

    /// A delete without a version id: removes the object (never versioned) or adds a delete
    /// marker (enabled: a new version; suspended: the `null` version), even when the key has no
    /// object, as S3 does.
    pub fn delete_current(
        &mut self,
        key: &str,
        now: OffsetDateTime,
        new_id: impl FnOnce() -> String,
    ) -> Deleted {
        let versioning = self.versioning;
        if versioning == Versioning::Unversioned {
            self.objects.remove(key);
            return Deleted::Removed;
        }
        let history = self.objects.entry(key.to_owned()).or_default();
        let id = if versioning == Versioning::Enabled {
            new_id()
        } else {
            history.retain(|e| e.version_id() != "null");
            "null".to_owned()
        };
        history.push(Entry::DeleteMarker {
            version_id: id.clone(),
            last_modified: now,
        });
        Deleted::Marker(id)
    }

    /// Removes one version for good; returns it.
    pub fn delete_version(&mut self, key: &str, id: &str) -> Option<Entry> {
        let history = self.objects.get_mut(key)?;
        let i = history.iter().position(|e| e.version_id() == id)?;
        let removed = history.remove(i);
        if history.is_empty() {
            self.objects.remove(key);
        }
        Some(removed)
    }

    /// Whether any version of any key is left (DeleteBucket needs none).
    pub fn has_versions(&self) -> bool {
        !self.objects.is_empty()
    }
}

/// A new opaque, URL-safe version id (S3: "Unicode, UTF-8 encoded, URL-ready, opaque strings").
pub fn new_version_id(counter: &mut u64, bucket: &str, key: &str, now: OffsetDateTime) -> String {
    use base64::Engine;
    use sha2::Digest;
    *counter += 1;
    let seed = format!("{counter}/{bucket}/{key}/{}", now.unix_timestamp_nanos());
    let digest = sha2::Sha256::digest(seed.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..24])
}

/// Whether `id` could be a version id this store made (or `null`).
pub fn valid_version_id(id: &str) -> bool {
    id == "null"
        || (id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// One access point.
#[derive(Debug, Clone)]
pub struct AccessPoint {
    pub name: String,
    pub account: String,
    pub region: String,
    pub bucket: String,
    pub alias: String,
    pub created: OffsetDateTime,
    pub policy: Option<ResourcePolicy>,
    pub public_access_block: PublicAccessBlock,
}

impl AccessPoint {
    /// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`.
    pub fn arn(&self) -> String {
        policy_eval::arn::access_point_arn(&self.region, &self.account, &self.name)
    }
}

/// Everything S3 and S3 Control store.
#[derive(Debug, Clone, Default)]
pub struct Storage {
    pub buckets: BTreeMap<String, Bucket>,
    /// Keyed by (account, name).
    pub access_points: BTreeMap<(String, String), AccessPoint>,
    pub upload_counter: u64,
    pub version_counter: u64,
    /// The latest completed multipart uploads (bucket, upload id, key, ETag), newest last, so a
    /// repeated CompleteMultipartUpload is answered as the first was (the Ceph dialect).
    pub completed_uploads: std::collections::VecDeque<(String, String, String, String)>,
}

/// How many completed uploads [`Storage::completed_uploads`] remembers.
pub const REMEMBERED_COMPLETIONS: usize = 1000;

impl Storage {
    /// The access point whose alias is `alias`.
    pub fn access_point_by_alias(&self, alias: &str) -> Option<&AccessPoint> {
        self.access_points.values().find(|ap| ap.alias == alias)
    }

    /// Stored bytes (objects and parts), for memory reports.
    pub fn stored_bytes(&self) -> usize {
        self.buckets
            .values()
            .map(|b| {
                b.objects
                    .values()
                    .flatten()
                    .filter_map(Entry::object)
                    .map(|o| o.data.len())
                    .sum::<usize>()
                    + b.uploads
                        .values()
                        .flat_map(|u| u.parts.values())
                        .map(|(d, _)| d.len())
                        .sum::<usize>()
            })
            .sum()
    }
}

/// The quoted hex MD5 ETag of `data`.
pub fn etag_of(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    let mut etag = String::with_capacity(34);
    etag.push('"');
    crate::sigv4::push_hex(&mut etag, &Md5::digest(data));
    etag.push('"');
    etag
}

/// Bucket naming rules (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>).
pub fn valid_bucket_name(name: &str) -> bool {
    let len_ok = (3..=63).contains(&name.len());
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends_ok = name
        .bytes()
        .next()
        .zip(name.bytes().last())
        .is_some_and(|(f, l)| f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric());
    let not_ip = name.parse::<std::net::Ipv4Addr>().is_err();
    let reserved = name.starts_with("xn--")
        || name.starts_with("sthree-")
        || name.ends_with("-s3alias")
        || name.ends_with("--ol-s3")
        || name.contains("..");
    len_ok && chars_ok && ends_ok && not_ip && !reserved
}

/// Access point naming rules: 3–50 characters, lowercase letters, digits and `-`, not starting or
/// ending with `-`, not ending `-s3alias`
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/creating-access-points.html#access-points-naming>).
pub fn valid_access_point_name(name: &str) -> bool {
    (3..=50).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.ends_with("-s3alias")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naming_rules() {
        for ok in ["abc", "my-bucket.data", "a1b"] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "192.168.1.1",
            "a..b",
            "xn--abc",
            "x-s3alias",
            &"a".repeat(64),
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
        assert!(valid_access_point_name("mimic-v1-0-01"));
        for bad in [
            "ab",
            "-ab",
            "ab-",
            "AB1",
            "my-s3alias",
            "a_b",
            &"a".repeat(51),
        ] {
            assert!(!valid_access_point_name(bad), "{bad}");
        }
        assert_eq!(etag_of(b""), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    }
}
