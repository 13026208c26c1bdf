//! Versioning: Put/GetBucketVersioning, version-aware writes, reads and deletes (delete
//! markers), DeleteObjects with version ids, and ListObjectVersions
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html>).
//!
//! Reads: without `versionId` the current version; when that is a delete marker, 404
//! `NoSuchKey` with `x-amz-delete-marker: true`. With `versionId`: that version, 404
//! `NoSuchVersion` when there is none, 405 `MethodNotAllowed` for a delete marker. A version id
//! this store could not have made is 400 `InvalidArgument`. Responses name `x-amz-version-id`
//! once a bucket has had versioning enabled (`null` for versions made before or while
//! suspended).

use std::sync::Arc;

use super::*;
use crate::storage::{new_version_id, valid_version_id, Deleted, Entry, Versioning};

/// The `versionId` parameter, checked.
pub(super) fn requested_version(ctx: &Ctx<'_>) -> Result<Option<String>, AwsError> {
    match ctx.q("versionId") {
        None => Ok(None),
        Some(id) if valid_version_id(id) => Ok(Some(id.to_owned())),
        // RGW 16.2 reads any version id and answers a GET of one it never made with NoSuchKey.
        Some(_) if matches!(ctx.op, S3Op::GetObject | S3Op::HeadObject) && ctx.state.ceph() => {
            Err(AwsError::no_such_key("").with_resource(ctx.key.unwrap_or_default()))
        }
        Some(_) => Err(AwsError::invalid_argument("Invalid version id specified")),
    }
}

/// Whether responses about this bucket's objects carry `x-amz-version-id`.
pub(super) fn reports_versions(bucket: &Bucket) -> bool {
    bucket.versioning != Versioning::Unversioned
}

/// Stores `object` as `key`'s new version in `bucket`, as its versioning says; returns the
/// version id to report. `check` runs under the same lock first (conditional writes).
pub(super) fn store(
    state: &State,
    bucket: &str,
    key: String,
    object: Object,
    check: impl FnOnce(Option<&Object>) -> Result<(), AwsError>,
) -> Result<Option<String>, AwsError> {
    let mut guard = state.storage_mut();
    let st = &mut *guard;
    let b = st
        .buckets
        .get_mut(bucket)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
    check(b.current(&key))?;
    let counter = &mut st.version_counter;
    let now = object.last_modified;
    let id_key = key.clone();
    Ok(b.put(key, object, || {
        new_version_id(counter, bucket, &id_key, now)
    }))
}

/// The object stored as `key` at `version` (else its current version), if there is one.
pub(super) fn object_at(
    state: &State,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Option<Object> {
    with_object_at(state, bucket, key, version, Object::clone)
}

/// `f` of the object `object_at` would answer, under the storage lock: a caller that needs one
/// field clones that field, not the object.
pub(super) fn with_object_at<T>(
    state: &State,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    f: impl FnOnce(&Object) -> T,
) -> Option<T> {
    let st = state.storage();
    let b = st.buckets.get(bucket)?;
    match version {
        Some(v) => b.version(key, v)?.object().map(f),
        None => b.current(key).map(f),
    }
}

/// The object a read addresses (current, or `versionId`), with the errors S3 gives for delete
/// markers and missing versions. `Ok(None)`: the key has no version at all.
pub(super) fn read_target(
    state: &State,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<Option<Arc<Object>>, AwsError> {
    let st = state.storage();
    let Some(b) = st.buckets.get(bucket) else {
        return Err(AwsError::no_such_bucket(
            "The specified bucket does not exist",
        ));
    };
    let marker = |id: &str| {
        vec![
            ("x-amz-delete-marker".to_owned(), "true".to_owned()),
            ("x-amz-version-id".to_owned(), id.to_owned()),
        ]
    };
    match version {
        None => match b.latest(key) {
            None => Ok(None),
            Some(Entry::Object(o)) => Ok(Some(Arc::clone(o))),
            Some(Entry::DeleteMarker { version_id, .. }) => {
                let mut e =
                    AwsError::no_such_key("The specified key does not exist.").with_resource(key);
                e.headers = marker(version_id);
                Err(e)
            }
        },
        Some(id) => match b.version(key, id) {
            Some(Entry::Object(o)) => Ok(Some(Arc::clone(o))),
            Some(Entry::DeleteMarker { version_id, .. }) => {
                let mut e = AwsError::method_not_allowed(
                    "The specified method is not allowed against this resource.",
                );
                e.headers = marker(version_id);
                e.headers.push(("allow".to_owned(), "DELETE".to_owned()));
                Err(e)
            }
            None => Err(
                AwsError::no_such_version("The specified version does not exist.")
                    .with_resource(key),
            ),
        },
    }
}

pub(super) fn get_bucket_versioning(bucket: &Bucket) -> Result<Resp, AwsError> {
    let status = match bucket.versioning {
        Versioning::Unversioned => String::new(),
        Versioning::Enabled => "<Status>Enabled</Status>".to_owned(),
        Versioning::Suspended => "<Status>Suspended</Status>".to_owned(),
    };
    Ok(Resp::xml(format!(
        "<VersioningConfiguration xmlns=\"{NS}\">{status}</VersioningConfiguration>"
    )))
}

pub(super) fn put_bucket_versioning(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let el = xml::parse(body)?;
    if el.name != "VersioningConfiguration" {
        return Err(AwsError::malformed_xml(
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    let state = match el.child_text("Status").map(str::trim) {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        // A bucket can never return to "never versioned". RGW 16.2 says InvalidArgument.
        _ if ctx.state.ceph() => {
            return Err(AwsError::invalid_argument(
                "The Versioning element must be Enabled or Suspended",
            ))
        }
        _ => {
            return Err(AwsError::illegal_versioning_configuration(
                "The Versioning element must be specified",
            ))
        }
    };
    if el
        .child_text("MfaDelete")
        .is_some_and(|m| m.trim() == "Enabled")
    {
        return Err(AwsError::not_implemented(
            "the fake does not implement MFA delete",
        ));
    }
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.versioning = state;
    }
    Ok(Resp::ok())
}

/// DELETE of an object: without `versionId` it removes the object or adds a delete marker; with
/// one it removes that version for good.
pub(super) fn delete_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: Option<String>,
) -> Result<Resp, AwsError> {
    let key = key.unwrap_or_default();
    let version = requested_version(ctx)?;
    let mut resp = Resp::ok().status(StatusCode::NO_CONTENT);
    for (k, v) in delete_one(ctx.state, &bucket.name, &key, version.as_deref(), ctx.now())? {
        resp = resp.header(k, v);
    }
    Ok(resp)
}

/// Deletes one key or version; returns the headers S3 answers with.
fn delete_one(
    state: &State,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    now: OffsetDateTime,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut guard = state.storage_mut();
    let st = &mut *guard;
    let b = st
        .buckets
        .get_mut(bucket)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
    let mut headers = Vec::new();
    match version {
        Some(id) => {
            // A version that does not exist is not an error: the outcome is the same.
            if let Some(Entry::DeleteMarker { .. }) = b.delete_version(key, id) {
                headers.push(("x-amz-delete-marker".to_owned(), "true".to_owned()));
            }
            headers.push(("x-amz-version-id".to_owned(), id.to_owned()));
        }
        None => {
            let counter = &mut st.version_counter;
            if let Deleted::Marker(id) =
                b.delete_current(key, now, || new_version_id(counter, bucket, key, now))
            {
                headers.push(("x-amz-delete-marker".to_owned(), "true".to_owned()));
                headers.push(("x-amz-version-id".to_owned(), id));
            }
        }
    }
    Ok(headers)
}

/// DeleteObjects: each `<Object>` with its `Key` and optional `VersionId`, authorized one by one.
pub(super) fn delete_objects(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let el = xml::parse(body)?;
    if el.name != "Delete" {
        return Err(AwsError::malformed_xml("The XML you provided was not well-formed or did not validate against our published schema"));
    }
    let quiet = el.child_text("Quiet").is_some_and(|q| q.trim() == "true");
    let targets: Vec<(String, Option<String>)> = el
        .children_named("Object")
        .filter_map(|o| {
            Some((
                o.child_text("Key")?.to_owned(),
                o.child_text("VersionId").map(|v| v.trim().to_owned()),
            ))
        })
        .collect();
    if targets.is_empty() || targets.len() > 1000 {
        return Err(AwsError::malformed_xml(
            "A Delete request must name between 1 and 1000 objects",
        ));
    }
    let mut out = format!("<DeleteResult xmlns=\"{NS}\">");
    let mut any_allowed = false;
    for (key, version) in targets {
        let error = |code: &str, message: &str| {
            format!(
                "<Error><Key>{}</Key>{}<Code>{code}</Code><Message>{message}</Message></Error>",
                escape(&key),
                version
                    .as_ref()
                    .map(|v| format!("<VersionId>{}</VersionId>", escape(v)))
                    .unwrap_or_default()
            )
        };
        if version.as_deref().is_some_and(|v| !valid_version_id(v)) {
            out.push_str(&error(
                "NoSuchVersion",
                "The specified version does not exist.",
            ));
            continue;
        }
        let mut facts = ctx.facts.clone();
        if let Some(v) = &version {
            facts.keys.push(("s3:VersionId", v.clone()));
        }
        let action = if version.is_some() {
            "s3:DeleteObjectVersion"
        } else {
            "s3:DeleteObject"
        };
        let verdict = authz::authorize(
            ctx.auth,
            action,
            bucket,
            Some(&key),
            ctx.access_point,
            &facts,
            ctx.now(),
        );
        ctx.ledger
            .note(action, &verdict.resource, verdict.prefix.as_deref());
        // Soft enforcement waives a key's refusal as it waives a request's.
        let waived = !verdict.allowed()
            && ctx
                .ledger
                .enforce(
                    ctx.state.enforcement,
                    (verdict.decision, &verdict.explanation.summary),
                    Some(AwsError::access_denied("Access Denied")),
                )
                .is_ok();
        if verdict.allowed() || waived {
            any_allowed = true;
            let headers = delete_one(ctx.state, &bucket.name, &key, version.as_deref(), ctx.now())?;
            if !quiet {
                let get = |name: &str| {
                    headers
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                };
                let mut item = format!("<Deleted><Key>{}</Key>", escape(&key));
                if let Some(v) = &version {
                    item.push_str(&format!("<VersionId>{}</VersionId>", escape(v)));
                }
                if get("x-amz-delete-marker").is_some() {
                    item.push_str("<DeleteMarker>true</DeleteMarker>");
                    if version.is_none() {
                        if let Some(id) = get("x-amz-version-id") {
                            item.push_str(&format!(
                                "<DeleteMarkerVersionId>{}</DeleteMarkerVersionId>",
                                escape(&id)
                            ));
                        }
                    }
                }
                item.push_str("</Deleted>");
                out.push_str(&item);
            }
        } else {
            out.push_str(&error("AccessDenied", "Access Denied"));
        }
        if !any_allowed || ctx.verdict.is_none() {
            ctx.verdict = Some(verdict);
        }
    }
    out.push_str("</DeleteResult>");
    Ok(Resp::xml(out))
}

/// ListObjectVersions: every version and delete marker, keys in order and each key's versions
/// newest first, paginated by `key-marker` and `version-id-marker`.
pub(super) fn list_versions(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    let prefix = ctx.q("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx
        .q("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let max = max_keys(ctx)?;
    let url_encode = ctx.q("encoding-type") == Some("url");
    // `encoding-type=url` keeps `/` on AWS; RGW 16.2 encodes it too (`dir%2Fa`).
    let keep_slash = !ctx.state.ceph();
    let enc = |s: &str| {
        if url_encode {
            crate::sigv4::uri_encode(s, keep_slash)
        } else {
            escape(s)
        }
    };
    let key_marker = ctx.q("key-marker").unwrap_or_default().to_owned();
    let version_marker = ctx
        .q("version-id-marker")
        .filter(|v| !v.is_empty() && !key_marker.is_empty())
        .map(str::to_owned);
    let owners = OwnerNames::new(ctx.state);
    let owner_of = |owner_id: &str| owners.xml(owner_id);
    let st = ctx.state.storage();
    let b = st
        .buckets
        .get(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
    let mut body = String::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut count = 0;
    let mut truncated = false;
    let mut next: Option<(String, String)> = None;
    let lower = if key_marker.as_str() >= prefix.as_str() && !key_marker.is_empty() {
        std::ops::Bound::Included(key_marker.clone())
    } else {
        std::ops::Bound::Included(prefix.clone())
    };
    'keys: for (key, history) in b
        .objects
        .range::<String, _>((lower, std::ops::Bound::Unbounded))
        .take_while(|(k, _)| k.starts_with(&prefix))
    {
        if max == 0 {
            break;
        }
        if *key == key_marker && version_marker.is_none() {
            continue;
        }
        if let Some(d) = &delimiter {
            if let Some(i) = key[prefix.len()..].find(d.as_str()) {
                let cp = &key[..prefix.len() + i + d.len()];
                if prefixes.last().map(String::as_str) == Some(cp)
                    || (key_marker.starts_with(cp) && key_marker.as_str() >= cp)
                {
                    continue;
                }
                if count == max {
                    truncated = true;
                    break;
                }
                prefixes.push(cp.to_owned());
                next = Some((cp.to_owned(), String::new()));
                count += 1;
                continue;
            }
        }
        let mut entries: Vec<&Entry> = history.iter().rev().collect();
        if *key == key_marker {
            if let Some(v) = &version_marker {
                match entries.iter().position(|e| e.version_id() == v) {
                    Some(i) => entries.drain(..=i),
                    None => entries.drain(..),
                };
            }
        }
        let latest_id = history.last().map(Entry::version_id);
        for e in entries {
            if count == max {
                truncated = true;
                break 'keys;
            }
            let is_latest = Some(e.version_id()) == latest_id;
            match e {
                Entry::Object(o) => body.push_str(&format!(
                    "<Version><Key>{}</Key><VersionId>{}</VersionId><IsLatest>{is_latest}</IsLatest><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size>{}<StorageClass>STANDARD</StorageClass></Version>",
                    enc(key),
                    escape(&o.version_id),
                    iso(o.last_modified),
                    escape(&o.etag),
                    o.data.len(),
                    owner_of(&o.owner_id)
                )),
                Entry::DeleteMarker {
                    version_id,
                    last_modified,
                } => body.push_str(&format!(
                    "<DeleteMarker><Key>{}</Key><VersionId>{}</VersionId><IsLatest>{is_latest}</IsLatest><LastModified>{}</LastModified>{}</DeleteMarker>",
                    enc(key),
                    escape(version_id),
                    iso(*last_modified),
                    owner_of(&bucket.owner_id)
                )),
            }
            next = Some((key.clone(), e.version_id().to_owned()));
            count += 1;
        }
    }
    let mut out = format!(
        "<ListVersionsResult xmlns=\"{NS}\"><Name>{}</Name><Prefix>{}</Prefix><KeyMarker>{}</KeyMarker><VersionIdMarker>{}</VersionIdMarker><MaxKeys>{max}</MaxKeys>",
        escape(bucket.plain_name()),
        enc(&prefix),
        enc(&key_marker),
        escape(version_marker.as_deref().unwrap_or_default())
    );
    if let Some(d) = &delimiter {
        out.push_str(&format!("<Delimiter>{}</Delimiter>", enc(d)));
    }
    if url_encode {
        out.push_str("<EncodingType>url</EncodingType>");
    }
    out.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
    if truncated {
        if let Some((k, v)) = &next {
            out.push_str(&format!("<NextKeyMarker>{}</NextKeyMarker>", enc(k)));
            if !v.is_empty() {
                out.push_str(&format!(
                    "<NextVersionIdMarker>{}</NextVersionIdMarker>",
                    escape(v)
                ));
            }
        }
    }
    out.push_str(&body);
    for p in &prefixes {
        out.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            enc(p)
        ));
    }
    out.push_str("</ListVersionsResult>");
    Ok(Resp::xml(out))
}
