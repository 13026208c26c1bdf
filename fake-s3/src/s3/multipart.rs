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
    let checksum = upload_checksum(ctx)?;
    let (owner, acl) = write_acl(ctx, bucket)?;
    let initiator = (
        ctx.auth.caller.principal.arn.clone(),
        ctx.auth.caller.owner_id.clone(),
    );
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
        part_checksums: BTreeMap::new(),
        checksum,
        initiator,
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
    let mut resp = Resp::xml(format!(
        "<InitiateMultipartUploadResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>",
        escape(bucket.plain_name()),
        escape(&key)
    ));
    if let Some((algo, kind)) = checksum {
        resp = resp
            .header("x-amz-checksum-algorithm", algo.as_str())
            .header("x-amz-checksum-type", kind.as_str());
    }
    Ok(resp)
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

/// Stores part `part` of upload `uploadId` of `key`, with the checksums it was sent with
/// (checked against the upload's algorithm, [`part_checksums`]); returns its ETag and checksums.
fn store_part(
    ctx: &Ctx<'_>,
    bucket: &Bucket,
    key: &str,
    part: u32,
    data: Bytes,
    given: BTreeMap<String, String>,
) -> Result<(String, BTreeMap<String, String>), AwsError> {
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let etag = etag_of(&data);
    let mut st = ctx.state.storage_mut();
    let upload = st
        .buckets
        .get_mut(&bucket.name)
        .and_then(|b| b.uploads.get_mut(&id))
        .filter(|u| u.key == key)
        .ok_or_else(|| AwsError::no_such_upload("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."))?;
    let checksums = part_checksums(upload.checksum, given, &data)?;
    upload.parts.insert(part, (data, etag.clone()));
    upload.part_checksums.insert(part, checksums.clone());
    Ok((etag, checksums))
}

pub(super) fn upload_part(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let part = part_number(ctx)?;
    let given = verify_checksums(ctx, body)?;
    let (etag, checksums) = store_part(ctx, bucket, &key, part, body.clone(), given)?;
    let resp = Resp::ok().header("etag", etag);
    Ok(if ctx.state.ceph() {
        resp
    } else {
        with_checksum_headers(resp, &checksums, None)
    })
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
    let ceph = ctx.state.ceph();
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
    let (etag, checksums) = store_part(ctx, bucket, &key, part, data, BTreeMap::new())?;
    let mut resp = Resp::xml(format!(
        "<CopyPartResult xmlns=\"{NS}\"><LastModified>{}</LastModified><ETag>{}</ETag>{}</CopyPartResult>",
        iso(ctx.now()),
        escape(&etag),
        checksum_elements(&checksums)
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
    let mut named = Vec::new();
    for p in el.children_named("Part") {
        let n = p
            .child_text("PartNumber")
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| AwsError::malformed_xml("Each Part needs a PartNumber"))?;
        let etag = p.child_text("ETag").unwrap_or_default().trim().to_owned();
        wanted.push((n, etag));
        named.push((n, named_part_checksums(p)));
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
    let ceph = ctx.state.ceph();
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
            Some(etag) if ceph => Ok(complete_result(bucket, &key, &etag, &BTreeMap::new(), None)),
            _ => Err(AwsError::no_such_upload(
                "The specified upload does not exist.",
            )),
        };
    };
    // Conditional writes apply to the object the upload completes
    // (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>); a failed
    // condition leaves the upload open. RGW 16.2's CompleteMultipartUpload does not check
    // them (it completed over an existing object despite `If-None-Match: *`), so the Ceph
    // dialect does not.
    if !ceph {
        check_put_preconditions(ctx, b.current(&key).map(|o| o.etag.as_str()), &key)?;
    }
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
    let Completed {
        checksums,
        kind: checksum_type,
        parts,
    } = completed_checksum(upload, &named, &data, given_object_checksum(ctx))?;
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
        checksums: checksums.clone(),
        checksum_type,
        parts,
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
    let resp = complete_result(bucket, &key, &etag, &checksums, checksum_type);
    Ok(match version {
        Some(v) => resp.header("x-amz-version-id", v),
        None => resp,
    })
}

fn complete_result(
    bucket: &Bucket,
    key: &str,
    etag: &str,
    checksums: &BTreeMap<String, String>,
    kind: Option<crate::checksum::ChecksumType>,
) -> Resp {
    let kind = kind
        .map(|k| format!("<ChecksumType>{}</ChecksumType>", k.as_str()))
        .unwrap_or_default();
    Resp::xml(format!(
        "<CompleteMultipartUploadResult xmlns=\"{NS}\"><Location>/{}/{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag>{}{kind}</CompleteMultipartUploadResult>",
        escape(&bucket.name),
        escape(key),
        escape(bucket.plain_name()),
        escape(key),
        escape(etag),
        checksum_elements(checksums)
    ))
}

pub(super) fn list_parts(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
) -> Result<Resp, AwsError> {
    let id = ctx.q("uploadId").unwrap_or_default().to_owned();
    let ceph = ctx.state.ceph();
    let owners = OwnerNames::new(ctx.state);
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
        let checksums = if ceph {
            String::new()
        } else {
            checksum_elements(upload.part_checksums.get(n).unwrap_or(&BTreeMap::new()))
        };
        parts.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag><Size>{}</Size>{checksums}</Part>",
            escape(etag),
            data.len()
        ));
    }
    Ok(Resp::xml(format!(
        "<ListPartsResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId>{}<IsTruncated>false</IsTruncated>{parts}{}<StorageClass>STANDARD</StorageClass></ListPartsResult>",
        escape(bucket.plain_name()),
        escape(&key),
        upload_checksum_elements(upload),
        // RGW 16.2's ListParts shows no initiator and an empty owner: the Ceph dialect shows none.
        if ceph {
            String::new()
        } else {
            initiator_and_owner(&owners, upload)
        }
    )))
}

pub(super) fn list_uploads(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    // Only uploads whose key starts with `prefix`, in key order, as S3 lists them
    // (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html>).
    let prefix = ctx.q("prefix").unwrap_or_default().to_owned();
    let owners = OwnerNames::new(ctx.state);
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
                "<Upload><Key>{}</Key><UploadId>{id}</UploadId>{}<Initiated>{}</Initiated><StorageClass>STANDARD</StorageClass>{}</Upload>",
                escape(&u.key),
                initiator_and_owner(&owners, u),
                iso(u.initiated),
                upload_checksum_elements(u)
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

/// ListMultipartUploads' and ListParts' `<Initiator>` and `<Owner>`
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_MultipartUpload.html>): who started the
/// upload (an account's canonical id, or an IAM principal's ARN) and who will own the object (its
/// canonical id). In the Ceph dialect both are RGW user ids with their display names, as RGW
/// shows them; AWS no longer shows display names.
fn initiator_and_owner(owners: &OwnerNames, upload: &Upload) -> String {
    let (arn, initiator_id) = &upload.initiator;
    let owner = owners.xml(&upload.owner_id);
    let initiator = if owners.ceph || arn.ends_with(":root") || arn.is_empty() {
        owners.xml(initiator_id)
    } else {
        owners.xml(arn)
    };
    let initiator =
        initiator
            .replacen("<Owner>", "<Initiator>", 1)
            .replacen("</Owner>", "</Initiator>", 1);
    format!("{initiator}{owner}")
}

/// Which bytes GetObject or HeadObject with `partNumber` answers
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>, `partNumber`: "effectively
/// performs a 'ranged' GET request for the part specified").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PartRead {
    /// No `partNumber`, or part 1 of an object written in one piece: the whole object.
    Whole,
    /// Part `index` (from 0) of a multipart object of `count` parts: bytes `first..=last`.
    Part {
        first: usize,
        last: usize,
        index: usize,
        count: usize,
    },
}

/// The part a GetObject or HeadObject asks for: a number outside 1–10,000 is 400
/// `InvalidArgument`, with a `Range` too 400 `InvalidRequest`, past the object's last part 416
/// `InvalidPartNumber`. RGW 16.2 ignores `partNumber` (it came with RGW 18): the Ceph dialect too.
pub(super) fn part_read(ctx: &Ctx<'_>, o: &Object) -> Result<PartRead, AwsError> {
    if ctx.state.ceph() {
        return Ok(PartRead::Whole);
    }
    let Some(raw) = ctx.q("partNumber") else {
        return Ok(PartRead::Whole);
    };
    let n: usize = raw
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| {
            AwsError::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })?;
    if ctx.h("range").is_some() {
        return Err(AwsError::invalid_request(
            "Cannot specify both Range header and partNumber query parameter",
        ));
    }
    let count = o.parts.len().max(1);
    if n > count {
        return Err(
            AwsError::invalid_range("The requested partnumber is not satisfiable")
                .with_code("InvalidPartNumber"),
        );
    }
    if o.parts.is_empty() {
        return Ok(PartRead::Whole);
    }
    let first: u64 = o.parts[..n - 1].iter().map(|p| p.size).sum();
    let size = o.parts[n - 1].size;
    let first = usize::try_from(first).unwrap_or(usize::MAX);
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(PartRead::Part {
        first,
        last: (first + size).saturating_sub(1),
        index: n - 1,
        count,
    })
}
