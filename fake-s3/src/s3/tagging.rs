//! Tags: object tagging (Put/Get/DeleteObjectTagging, `x-amz-tagging` on PUT, multipart, POST and
//! copy), bucket tagging, S3's limits, and the tag condition keys
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-and-policies.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html>).
//!
//! Limits: 10 tags per object (more: `BadRequest`), 50 per bucket; keys 1–128 and values 0–256
//! Unicode characters of letters, digits, spaces and `+ - = . _ : / @`; keys unique and not
//! starting `aws:` (otherwise `InvalidTag`).
//!
//! Condition keys: `s3:ExistingObjectTag/KEY` is set from the stored object's tags for the
//! object reads and tag/ACL operations the user guide lists, never for PutObject or DeleteObject
//! ("you cannot ... delete or overwrite an object based on its existing tags");
//! `s3:RequestObjectTag/KEY` and the multivalued `s3:RequestObjectTagKeys` are set from the tags a
//! PutObject, POST, CreateMultipartUpload, CopyObject (REPLACE) or PutObjectTagging carries.
//! Adding tags while writing an object also needs `s3:PutObjectTagging`, as the object tagging
//! page says.

use super::*;
use crate::storage::TagSet;

pub(super) const MAX_OBJECT_TAGS: usize = 10;
const MAX_BUCKET_TAGS: usize = 50;

fn invalid(m: &str) -> AwsError {
    AwsError::invalid_tag(m)
}

fn allowed_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "+-=._:/@".contains(c)
}

/// Checks a tag set against S3's rules for an object (`max` 10) or a bucket (`max` 50).
pub(super) fn validate(tags: &TagSet, max: usize) -> Result<(), AwsError> {
    if tags.len() > max {
        return Err(if max == MAX_OBJECT_TAGS {
            AwsError::bad_request("Object tags cannot be greater than 10")
        } else {
            invalid("Bucket tag count cannot be greater than 50")
        });
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > 128 || !k.chars().all(allowed_char) {
            return Err(invalid("The TagKey you have provided is invalid"));
        }
        if v.chars().count() > 256 || !v.chars().all(allowed_char) {
            return Err(invalid("The TagValue you have provided is invalid"));
        }
        if k.starts_with("aws:") {
            return Err(invalid("Your TagKey cannot be prefixed with aws:"));
        }
        if tags[..i].iter().any(|(other, _)| other == k) {
            return Err(invalid("Cannot provide multiple Tags with the same key"));
        }
    }
    Ok(())
}

/// Reads `x-amz-tagging` (URL query form: `k1=v1&k2=v2`, `+` for a space as forms send it).
pub(super) fn parse_header(value: &str) -> Result<TagSet, AwsError> {
    let decode = |s: &str| {
        crate::sigv4::percent_decode(&s.replace('+', " "))
            .ok_or_else(|| invalid("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."))
    };
    value
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

/// Reads a `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` document.
pub(super) fn parse_xml(body: &[u8]) -> Result<TagSet, AwsError> {
    let el = xml::parse(body)?;
    let set = (el.name == "Tagging")
        .then(|| el.child("TagSet"))
        .flatten()
        .ok_or_else(|| {
            AwsError::malformed_xml(
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        })?;
    set.children_named("Tag")
        .map(|t| match (t.child_text("Key"), t.child_text("Value")) {
            (Some(k), v) => Ok((k.to_owned(), v.unwrap_or_default().to_owned())),
            (None, _) => Err(AwsError::malformed_xml(
                "The XML you provided was not well-formed or did not validate against our published schema (a Tag needs a Key)",
            )),
        })
        .collect()
}

pub(super) fn tagging_xml(tags: &TagSet) -> String {
    let mut out = format!("<Tagging xmlns=\"{NS}\"><TagSet>");
    for (k, v) in tags {
        out.push_str(&format!(
            "<Tag><Key>{}</Key><Value>{}</Value></Tag>",
            escape(k),
            escape(v)
        ));
    }
    out.push_str("</TagSet></Tagging>");
    out
}

/// `s3:ExistingObjectTag/KEY` for each tag of the object the request reads.
pub(super) fn add_existing_tag_facts(ctx: &mut Ctx<'_>, tags: &TagSet) {
    for (k, v) in tags {
        ctx.facts.dynamic.push((
            format!("s3:ExistingObjectTag/{k}"),
            policy_eval::ContextValue::Single(v.clone()),
        ));
    }
}

/// `s3:RequestObjectTag/KEY` and `s3:RequestObjectTagKeys` for the tags a write carries.
pub(super) fn add_request_tag_facts(ctx: &mut Ctx<'_>, tags: &TagSet) {
    for (k, v) in tags {
        ctx.facts.dynamic.push((
            format!("s3:RequestObjectTag/{k}"),
            policy_eval::ContextValue::Single(v.clone()),
        ));
    }
    if !tags.is_empty() {
        ctx.facts.dynamic.push((
            "s3:RequestObjectTagKeys".to_owned(),
            policy_eval::ContextValue::Multi(tags.iter().map(|(k, _)| k.clone()).collect()),
        ));
    }
}

/// The tags an object write carries in `x-amz-tagging`, validated, with their condition keys
/// set for the write's own authorization.
pub(super) fn request_tags(ctx: &mut Ctx<'_>) -> Result<TagSet, AwsError> {
    let Some(header) = ctx.h("x-amz-tagging").map(str::to_owned) else {
        return Ok(TagSet::new());
    };
    let tags = parse_header(&header)?;
    validate(&tags, MAX_OBJECT_TAGS)?;
    add_request_tag_facts(ctx, &tags);
    Ok(tags)
}

/// Adding tags while writing an object also needs `s3:PutObjectTagging`.
pub(super) fn authorize_tagging(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: &str,
    tags: &TagSet,
) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    ctx.authorize("s3:PutObjectTagging", bucket, Some(key))
}

/// The stored tags of `key` (the version `versionId` names, else the current one), if it exists.
pub(super) fn stored_tags(ctx: &Ctx<'_>, bucket: &str, key: &str) -> Option<TagSet> {
    versioning::with_object_at(ctx.state, bucket, key, ctx.q("versionId"), |o| {
        o.tags.clone()
    })
}

/// The object whose tags a request changes.
fn target_mut<'b>(ctx: &Ctx<'_>, b: &'b mut Bucket, key: &str) -> Option<&'b mut Object> {
    match ctx.q("versionId") {
        Some(v) => b.version_mut(key, v),
        None => b.current_mut(key),
    }
}

fn no_such_key(key: &str) -> AwsError {
    AwsError::no_such_key("The specified key does not exist.").with_resource(key)
}

pub(super) fn get_object_tagging(
    ctx: &mut Ctx<'_>,
    key: String,
    existing: Option<TagSet>,
) -> Result<Resp, AwsError> {
    let tags = existing.ok_or_else(|| no_such_key(&key))?;
    let mut resp = Resp::xml(tagging_xml(&tags));
    if let Some(v) = ctx.q("versionId") {
        resp = resp.header("x-amz-version-id", v.to_owned());
    }
    Ok(resp)
}

pub(super) fn put_object_tagging(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    tags: TagSet,
) -> Result<Resp, AwsError> {
    let mut st = ctx.state.storage_mut();
    let object = st
        .buckets
        .get_mut(&bucket.name)
        .and_then(|b| target_mut(ctx, b, &key))
        .ok_or_else(|| no_such_key(&key))?;
    object.tags = tags;
    let version = object.version_id.clone();
    Ok(Resp::ok().header("x-amz-version-id", version))
}

pub(super) fn delete_object_tagging(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
) -> Result<Resp, AwsError> {
    let mut st = ctx.state.storage_mut();
    let object = st
        .buckets
        .get_mut(&bucket.name)
        .and_then(|b| target_mut(ctx, b, &key))
        .ok_or_else(|| no_such_key(&key))?;
    object.tags.clear();
    let version = object.version_id.clone();
    Ok(Resp::ok()
        .status(StatusCode::NO_CONTENT)
        .header("x-amz-version-id", version))
}

pub(super) fn get_bucket_tagging(bucket: &Bucket) -> Result<Resp, AwsError> {
    let tags = bucket.tags.as_ref().ok_or_else(|| {
        AwsError::no_such_tag_set("The TagSet does not exist").with_resource(&bucket.name)
    })?;
    Ok(Resp::xml(tagging_xml(tags)))
}

pub(super) fn put_bucket_tagging(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let tags = parse_xml(body)?;
    validate(&tags, MAX_BUCKET_TAGS)?;
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.tags = Some(tags);
    }
    Ok(bucket_tagging_done(ctx))
}

/// DeleteBucketTagging needs `s3:PutBucketTagging`: IAM has no separate delete action.
pub(super) fn delete_bucket_tagging(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.tags = None;
    }
    Ok(bucket_tagging_done(ctx))
}

/// Put/DeleteBucketTagging's answer: 204 on AWS, 200 on RGW 16.2.
fn bucket_tagging_done(ctx: &Ctx<'_>) -> Resp {
    if ctx.state.ceph() {
        Resp::ok()
    } else {
        Resp::ok().status(StatusCode::NO_CONTENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> TagSet {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_header_is_url_query_form() {
        assert_eq!(
            parse_header("project=lsst&stage=a%2Fb+c&empty=").ok(),
            Some(set(&[
                ("project", "lsst"),
                ("stage", "a/b c"),
                ("empty", "")
            ]))
        );
    }

    #[test]
    fn limits_are_s3s() {
        assert!(validate(&set(&[("a", "1")]), MAX_OBJECT_TAGS).is_ok());
        let eleven: TagSet = (0..11).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            validate(&eleven, MAX_OBJECT_TAGS).err().map(|e| e.code),
            Some("BadRequest")
        );
        assert!(validate(&eleven, MAX_BUCKET_TAGS).is_ok());
        for bad in [
            set(&[("", "v")]),
            set(&[(&"k".repeat(129), "v")]),
            set(&[("k", &"v".repeat(257))]),
            set(&[("a", "1"), ("a", "2")]),
            set(&[("aws:x", "1")]),
            set(&[("bad#key", "1")]),
        ] {
            assert_eq!(
                validate(&bad, MAX_OBJECT_TAGS).err().map(|e| e.code),
                Some("InvalidTag"),
                "{bad:?}"
            );
        }
        assert!(validate(
            &set(&[(&"é".repeat(128), &"v".repeat(256))]),
            MAX_OBJECT_TAGS
        )
        .is_ok());
    }

    #[test]
    fn tagging_documents_round_trip() {
        let tags = set(&[("b", "2"), ("a", "1 & <x>")]);
        assert_eq!(parse_xml(tagging_xml(&tags).as_bytes()).ok(), Some(tags));
        assert!(parse_xml(b"<Tagging/>").is_err());
        assert!(
            parse_xml(b"<Tagging><TagSet><Tag><Value>x</Value></Tag></TagSet></Tagging>").is_err()
        );
    }
}
