//! Multipart uploads: create, upload part, complete, abort, list parts and uploads
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>).

use super::*;

pub(super) fn create_upload(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    tags: TagSet,
) -> Result<Resp, AwsError> {
    authorize_tagging(ctx, bucket, &key, &tags)?;
    let (owner, acl) = write_acl(ctx, bucket)?;
    let mut st = ctx.state.storage_mut();
    st.upload_counter += 1;
    // Upload ids must not be guessable: one caller's id must not name another's upload.
    let id = {
        use sha2::Digest;
        let seed = format!(
            "{}/{}/{key}/{}",
            st.upload_counter,
            bucket.name,
            ctx.now().unix_timestamp_nanos()
        );
        crate::sigv4::to_hex(&sha2::Sha256::digest(seed.as_bytes()))
    };
    let upload = Upload {
        key: key.clone(),
        initiated: ctx.state.now(),
        content_type: content_type_of(ctx),
        metadata: metadata_from(ctx.headers),
        parts: BTreeMap::new(),
        tags,
        owner: owner.account,
        owner_id: owner.id,
        acl,
    };
    st.buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?
        .uploads
        .insert(id.clone(), upload);
    Ok(Resp::xml(format!(
        "<InitiateMultipartUploadResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>",
        escape(bucket.plain_name()),
        escape(&key)
    )))
}

pub(super) fn part_number(ctx: &Ctx<'_>) -> Result<u32, AwsError> {
    ctx.q("partNumber")
        .and_then(|p| p.parse().ok())
        .filter(|p| (1..=10_000).contains(p))
        .ok_or_else(|| {
            AwsError::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })
}

/// Stores part `part` of upload `uploadId` of `key`.
fn store_part(
    ctx: &Ctx<'_>,
    bucket: &Bucket,
    key: &str,
    part: u32,
    data: Bytes,
) -> Result<String, AwsError> {
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let etag = etag_of(&data);
    let mut st = ctx.state.storage_mut();
    let upload = st
        .buckets
        .get_mut(&bucket.name)
        .and_then(|b| b.uploads.get_mut(&id))
        .filter(|u| u.key == key)
        .ok_or_else(|| AwsError::no_such_upload("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."))?;
    upload.parts.insert(part, (data, etag.clone()));
    Ok(etag)
}

pub(super) fn upload_part(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let part = part_number(ctx)?;
    verify_checksums(ctx, body)?;
    let etag = store_part(ctx, bucket, &key, part, body.clone())?;
    Ok(Resp::ok().header("etag", etag))
}

/// UploadPartCopy: a part copied from an object (or a byte range of it, `x-amz-copy-source-range:
/// bytes=FIRST-LAST`), read as CopyObject reads its source
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html>).
pub(super) fn upload_part_copy(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    source: &CopySource,
    part: u32,
) -> Result<Resp, AwsError> {
    let (object, source_version) = read_copy_source(ctx, source)?;
    let size = object.data.len();
    let ceph = ctx.state.iam().ceph_dialect;
    let data = match ctx.h("x-amz-copy-source-range") {
        None => object.data.clone(),
        Some(range) => {
            let bad = || {
                AwsError::invalid_argument(format!(
                    "Range specified is not valid for source object of size: {size}"
                ))
            };
            let (first, last) = range
                .trim()
                .strip_prefix("bytes=")
                .and_then(|r| r.split_once('-'))
                .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
                .ok_or_else(bad)?;
            if first > last || last >= size {
                // RGW 16.2 answers a well-formed range it cannot serve with 416 InvalidRange (ceph's
                // s3-tests accept 400 or 416 with that code).
                return Err(if ceph {
                    AwsError::invalid_range(bad().message)
                } else {
                    bad()
                });
            }
            object.data.slice(first..=last)
        }
    };
    let etag = store_part(ctx, bucket, &key, part, data)?;
    let mut resp = Resp::xml(format!(
        "<CopyPartResult xmlns=\"{NS}\"><LastModified>{}</LastModified><ETag>{}</ETag></CopyPartResult>",
        iso(ctx.now()),
        escape(&etag)
    ));
    if let Some(v) = source_version {
        resp = resp.header("x-amz-copy-source-version-id", v);
    }
    Ok(resp)
}

pub(super) fn complete_upload(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let el = xml::parse(body)?;
    let mut wanted: Vec<(u32, String)> = Vec::new();
    for p in el.children_named("Part") {
        let n = p
            .child_text("PartNumber")
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| AwsError::malformed_xml("Each Part needs a PartNumber"))?;
        let etag = p.child_text("ETag").unwrap_or_default().trim().to_owned();
        wanted.push((n, etag));
    }
    if wanted.is_empty() {
        return Err(AwsError::malformed_xml(
            "You must specify at least one part",
        ));
    }
    if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(AwsError::invalid_part_order(
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        ));
    }
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let now = ctx.state.now();
    let ceph = ctx.state.iam().ceph_dialect;
    let mut guard = ctx.state.storage_mut();
    let st = &mut *guard;
    // RGW 16.2 answers a repeated CompleteMultipartUpload of a completed upload with 200 (ceph's
    // s3-tests `test_multipart_upload_small` asserts it); AWS's answer is NoSuchUpload.
    let done = st
        .completed_uploads
        .iter()
        .find(|(b, i, k, _)| *b == bucket.name && *i == id && *k == key)
        .map(|(_, _, _, etag)| etag.clone());
    let b = st
        .buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
    let Some(upload) = b.uploads.get(&id).filter(|u| u.key == key) else {
        return match done {
            Some(etag) if ceph => Ok(complete_result(bucket, &key, &etag)),
            _ => Err(AwsError::no_such_upload(
                "The specified upload does not exist.",
            )),
        };
    };
    let mut data = Vec::new();
    let mut md5s = Vec::new();
    for (i, (n, etag)) in wanted.iter().enumerate() {
        let (bytes, stored_etag) = upload.parts.get(n).ok_or_else(|| {
            AwsError::invalid_part("One or more of the specified parts could not be found.")
        })?;
        let norm = |e: &str| e.trim_matches('"').to_owned();
        if norm(etag) != norm(stored_etag) {
            return Err(AwsError::invalid_part("One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."));
        }
        if i + 1 < wanted.len() && bytes.len() < 5 * 1024 * 1024 {
            return Err(AwsError::entity_too_small(
                "Your proposed upload is smaller than the minimum allowed object size.",
            ));
        }
        data.extend_from_slice(bytes);
        md5s.extend(hex::decode(norm(stored_etag)).unwrap_or_default());
    }
    let etag = {
        use md5::{Digest, Md5};
        format!("\"{}-{}\"", hex::encode(Md5::digest(&md5s)), wanted.len())
    };
    let object = Object {
        data: Bytes::from(data),
        etag: etag.clone(),
        last_modified: now,
        content_type: upload.content_type.clone(),
        metadata: upload.metadata.clone(),
        checksums: BTreeMap::new(),
        tags: upload.tags.clone(),
        version_id: String::new(),
        owner: upload.owner.clone(),
        owner_id: upload.owner_id.clone(),
        acl: upload.acl.clone(),
    };
    b.uploads.remove(&id);
    let counter = &mut st.version_counter;
    let version = b.put(key.clone(), object, || {
        crate::storage::new_version_id(counter, &bucket.name, &key, now)
    });
    if ceph {
        let completed = &mut st.completed_uploads;
        if completed.len() >= crate::storage::REMEMBERED_COMPLETIONS {
            completed.pop_front();
        }
        completed.push_back((bucket.name.clone(), id, key.clone(), etag.clone()));
    }
    let resp = complete_result(bucket, &key, &etag);
    Ok(match version {
        Some(v) => resp.header("x-amz-version-id", v),
        None => resp,
    })
}

fn complete_result(bucket: &Bucket, key: &str, etag: &str) -> Resp {
    Resp::xml(format!(
        "<CompleteMultipartUploadResult xmlns=\"{NS}\"><Location>/{}/{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></CompleteMultipartUploadResult>",
        escape(&bucket.name),
        escape(key),
        escape(bucket.plain_name()),
        escape(key),
        escape(etag)
    ))
}

pub(super) fn list_parts(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
) -> Result<Resp, AwsError> {
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let ceph = ctx.state.iam().ceph_dialect;
    let st = ctx.state.storage();
    // RGW 16.2 says NoSuchKey for the parts of an upload it does not have (aborted, say).
    let missing = || {
        if ceph {
            AwsError::no_such_key("").with_resource(&key)
        } else {
            AwsError::no_such_upload("The specified upload does not exist.")
        }
    };
    let upload = st
        .buckets
        .get(&bucket.name)
        .and_then(|b| b.uploads.get(&id))
        .filter(|u| u.key == key)
        .ok_or_else(missing)?;
    let mut parts = String::new();
    for (n, (data, etag)) in &upload.parts {
        parts.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag><Size>{}</Size></Part>",
            escape(etag),
            data.len()
        ));
    }
    Ok(Resp::xml(format!(
        "<ListPartsResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId><IsTruncated>false</IsTruncated>{parts}</ListPartsResult>",
        escape(bucket.plain_name()),
        escape(&key)
    )))
}

pub(super) fn list_uploads(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    // Only uploads whose key starts with `prefix`, in key order, as S3 lists them
    // (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html>).
    let prefix = ctx.q("prefix").unwrap_or_default().to_owned();
    let st = ctx.state.storage();
    let mut items = String::new();
    if let Some(b) = st.buckets.get(&bucket.name) {
        let mut uploads: Vec<_> = b
            .uploads
            .iter()
            .filter(|(_, u)| u.key.starts_with(&prefix))
            .collect();
        uploads
            .sort_by(|(ia, a), (ib, b)| (&a.key, a.initiated, ia).cmp(&(&b.key, b.initiated, ib)));
        for (id, u) in uploads {
            items.push_str(&format!(
                "<Upload><Key>{}</Key><UploadId>{id}</UploadId><Initiated>{}</Initiated><StorageClass>STANDARD</StorageClass></Upload>",
                escape(&u.key),
                iso(u.initiated)
            ));
        }
    }
    Ok(Resp::xml(format!(
        "<ListMultipartUploadsResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Prefix>{}</Prefix><IsTruncated>false</IsTruncated>{items}</ListMultipartUploadsResult>",
        escape(bucket.plain_name()),
        escape(&prefix)
    )))
}

pub(super) fn abort_upload(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: Option<String>,
) -> Result<Resp, AwsError> {
    let key = key.unwrap_or_default();
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let mut st = ctx.state.storage_mut();
    let b = st
        .buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
    if b.uploads.get(&id).is_none_or(|u| u.key != key) {
        return Err(AwsError::no_such_upload(
            "The specified upload does not exist.",
        ));
    }
    b.uploads.remove(&id);
    Ok(Resp::ok().status(StatusCode::NO_CONTENT))
}
