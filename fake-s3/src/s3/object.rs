//! Objects: put (checksums, conditional writes), get and head (ranges, conditions, the
//! 403-vs-404 rule), delete, multi-delete and copy
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>).

use super::*;

pub(super) fn metadata_from(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix("x-amz-meta-")?;
            Some((name.to_owned(), v.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// Checksums sent in headers or trailers, verified against the body.
pub(super) fn verify_checksums(
    ctx: &Ctx<'_>,
    data: &[u8],
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    let given = ctx
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .chain(ctx.auth.trailers.iter().cloned())
        .filter_map(|(k, v)| Some((k.strip_prefix("x-amz-checksum-")?.to_ascii_uppercase(), v)));
    for (algo, value) in given {
        if algo == "TYPE" || algo == "ALGORITHM" {
            continue;
        }
        let computed = match algo.as_str() {
            "CRC32" => Some(crc32fast::hash(data).to_be_bytes().to_vec()),
            "CRC32C" => Some(crc32c::crc32c(data).to_be_bytes().to_vec()),
            "SHA1" => {
                use sha1::Digest;
                Some(sha1::Sha1::digest(data).to_vec())
            }
            "SHA256" => {
                use sha2::Digest;
                Some(sha2::Sha256::digest(data).to_vec())
            }
            "CRC64NVME" => Some(crate::checksum::crc64_nvme(data).to_be_bytes().to_vec()),
            // Algorithms S3 does not define are kept as sent.
            _ => None,
        };
        if let Some(c) = computed {
            let want = base64::engine::general_purpose::STANDARD.encode(c);
            if want != value.trim() {
                return Err(AwsError::bad_digest(format!(
                    "The {algo} you specified did not match the calculated checksum."
                )));
            }
        }
        out.insert(algo, value);
    }
    Ok(out)
}

pub(super) fn put_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    if key.len() > 1024 {
        return Err(AwsError::invalid_argument("Your key is too long"));
    }
    add_acl_fact(ctx);
    let tags = request_tags(ctx)?;
    ctx.authorize("s3:PutObject", bucket, Some(&key))?;
    authorize_tagging(ctx, bucket, &key, &tags)?;
    let checksums = verify_checksums(ctx, body)?;
    let etag = etag_of(body);
    let object = Object {
        data: body.clone(),
        etag: etag.clone(),
        last_modified: ctx.state.now(),
        content_type: ctx
            .h("content-type")
            .unwrap_or("binary/octet-stream")
            .to_owned(),
        metadata: metadata_from(ctx.headers),
        checksums: checksums.clone(),
        tags,
    };
    let mut st = ctx.state.storage_mut();
    let b = st
        .buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?;
    // Checked under the same lock as the write, so two conditional writers cannot both win.
    check_put_preconditions(ctx, b.objects.get(&key).map(|o| o.etag.as_str()), &key)?;
    b.objects.insert(key, object);
    let mut resp = Resp::ok().header("etag", etag);
    for (algo, v) in checksums {
        resp = resp.header(&format!("x-amz-checksum-{}", algo.to_ascii_lowercase()), v);
    }
    Ok(resp)
}

/// `s3:x-amz-acl` for every operation that can set an ACL.
pub(super) fn add_acl_fact(ctx: &mut Ctx<'_>) {
    if let Some(acl) = ctx.h("x-amz-acl") {
        let acl = acl.to_owned();
        ctx.facts.keys.push(("s3:x-amz-acl", acl));
    }
}

/// Conditional writes: `If-None-Match: *` refuses to overwrite, `If-Match` needs the current ETag
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>).
pub(super) fn check_put_preconditions(
    ctx: &Ctx<'_>,
    current: Option<&str>,
    key: &str,
) -> Result<(), AwsError> {
    let if_none = ctx.h("if-none-match").map(str::trim);
    let if_match = ctx.h("if-match").map(str::trim);
    if if_none.is_none() && if_match.is_none() {
        return Ok(());
    }

    let failed = || {
        AwsError::precondition_failed(
            "At least one of the pre-conditions you specified did not hold",
        )
    };
    if let Some(v) = if_none {
        if v != "*" {
            return Err(AwsError::not_implemented(
                "If-None-Match on PUT only supports `*`",
            ));
        }
        if current.is_some() {
            return Err(failed());
        }
    }
    if let Some(v) = if_match {
        match &current {
            None => {
                return Err(
                    AwsError::no_such_key("The specified key does not exist.").with_resource(key)
                )
            }
            Some(etag) if v != "*" && v != *etag => return Err(failed()),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` against `len`; `None` for a range S3 ignores.
pub(super) fn parse_range(h: &str, len: usize) -> Result<Option<(usize, usize)>, AwsError> {
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let unsatisfiable = || AwsError::invalid_range("The requested range is not satisfiable");
    match (a.trim(), b.trim()) {
        ("", n) => {
            let n: usize = n.parse().map_err(|_| unsatisfiable())?;
            if n == 0 || len == 0 {
                return Err(unsatisfiable());
            }
            Ok(Some((len.saturating_sub(n), len - 1)))
        }
        (a, "") => {
            let a: usize = a.parse().map_err(|_| unsatisfiable())?;
            if a >= len {
                return Err(unsatisfiable());
            }
            Ok(Some((a, len - 1)))
        }
        (a, b) => {
            let (a, b): (usize, usize) = (
                a.parse().map_err(|_| unsatisfiable())?,
                b.parse().map_err(|_| unsatisfiable())?,
            );
            if a > b {
                return Ok(None);
            }
            if a >= len {
                return Err(unsatisfiable());
            }
            Ok(Some((a, b.min(len - 1))))
        }
    }
}

/// The action for an object operation that may name a version. Buckets here are unversioned:
/// only the `null` version exists.
pub(super) fn versioned_action(
    ctx: &Ctx<'_>,
    plain: &'static str,
    versioned: &'static str,
) -> Result<&'static str, AwsError> {
    match ctx.q("versionId") {
        None => Ok(plain),
        Some("null") => Ok(versioned),
        Some(_) => Err(AwsError::invalid_argument("Invalid version id specified")),
    }
}

pub(super) fn get_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
) -> Result<Resp, AwsError> {
    let action = versioned_action(ctx, "s3:GetObject", "s3:GetObjectVersion")?;
    if let Some(tags) = stored_tags(ctx, &bucket.name, &key) {
        add_existing_tag_facts(ctx, &tags);
    }
    ctx.authorize(action, bucket, Some(&key))?;
    let object = ctx
        .state
        .storage()
        .buckets
        .get(&bucket.name)
        .and_then(|b| b.objects.get(&key).cloned());
    let Some(o) = object else {
        // Without s3:ListBucket the caller may not learn whether the key exists.
        // S3 answers 404 when the caller could list this very key: the implicit ListBucket check is
        // made with `s3:prefix` set to the key, which is what AWS was observed to do (the identity
        // verification protocol of SPEC §4 depends on it).
        let mut probe = ctx.facts.clone();
        probe.keys.retain(|(k, _)| *k != "s3:prefix");
        probe.keys.push(("s3:prefix", key.clone()));
        let may_list = ctx.would_allow("s3:ListBucket", bucket, &probe);
        return Err(if may_list {
            AwsError::no_such_key("The specified key does not exist.").with_resource(&key)
        } else {
            AwsError::access_denied("Access Denied")
        });
    };
    if let Some(m) = ctx.h("if-match") {
        if m.trim() != "*" && m.trim() != o.etag {
            return Err(AwsError::precondition_failed(
                "At least one of the pre-conditions you specified did not hold",
            ));
        }
    }
    if let Some(m) = ctx.h("if-none-match") {
        if m.trim() == "*" || m.trim() == o.etag {
            return Ok(Resp::ok()
                .status(StatusCode::NOT_MODIFIED)
                .header("etag", o.etag.clone()));
        }
    }
    let total = o.data.len();
    let range = match ctx.h("range") {
        Some(r) => parse_range(r, total)?,
        None => None,
    };
    let mut resp = Resp::ok()
        .header("etag", o.etag.clone())
        .header("last-modified", http_date(o.last_modified))
        .header("accept-ranges", "bytes")
        .header(
            "content-type",
            ctx.q("response-content-type")
                .unwrap_or(&o.content_type)
                .to_owned(),
        );
    for (k, v) in &o.metadata {
        resp = resp.header(&format!("x-amz-meta-{k}"), v.clone());
    }
    if !o.tags.is_empty() {
        resp = resp.header("x-amz-tagging-count", o.tags.len().to_string());
    }
    if ctx
        .h("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"))
        && range.is_none()
    {
        for (algo, v) in &o.checksums {
            resp = resp.header(
                &format!("x-amz-checksum-{}", algo.to_ascii_lowercase()),
                v.clone(),
            );
        }
    }
    if let Some(d) = ctx.q("response-content-disposition") {
        resp = resp.header("content-disposition", d.to_owned());
    }
    let body = match range {
        Some((a, b)) => {
            resp = resp
                .status(StatusCode::PARTIAL_CONTENT)
                .header("content-range", format!("bytes {a}-{b}/{total}"));
            o.data.slice(a..=b)
        }
        None => o.data.clone(),
    };
    if ctx.op == S3Op::HeadObject {
        resp = resp.header("content-length", body.len().to_string());
        return Ok(resp);
    }
    resp.body = body;
    Ok(resp)
}

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
    let keys: Vec<String> = el
        .children_named("Object")
        .filter_map(|o| o.child_text("Key").map(str::to_owned))
        .collect();
    if keys.is_empty() || keys.len() > 1000 {
        return Err(AwsError::malformed_xml(
            "A Delete request must name between 1 and 1000 objects",
        ));
    }
    let mut out = format!("<DeleteResult xmlns=\"{NS}\">");
    let mut any_allowed = false;
    for key in keys {
        let verdict = authz::authorize(
            ctx.auth,
            "s3:DeleteObject",
            bucket,
            Some(&key),
            ctx.access_point,
            &ctx.facts,
            ctx.now(),
        );
        if verdict.allowed() {
            any_allowed = true;
            if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
                b.objects.remove(&key);
            }
            if !quiet {
                out.push_str(&format!("<Deleted><Key>{}</Key></Deleted>", escape(&key)));
            }
        } else {
            out.push_str(&format!("<Error><Key>{}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", escape(&key)));
        }
        if !any_allowed || ctx.verdict.is_none() {
            ctx.verdict = Some(verdict);
        }
    }
    out.push_str("</DeleteResult>");
    Ok(Resp::xml(out))
}

pub(super) fn copy_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
) -> Result<Resp, AwsError> {
    let source = ctx.h("x-amz-copy-source").unwrap_or_default();
    let source = crate::sigv4::percent_decode(source.split('?').next().unwrap_or_default())
        .ok_or_else(|| AwsError::invalid_argument("Invalid copy source encoding"))?;
    let source = source.trim_start_matches('/');
    let (src_bucket, src_key) = source
        .split_once('/')
        .ok_or_else(|| AwsError::invalid_argument("Invalid copy source object key"))?;
    let src = load_bucket(ctx.state, src_bucket)?;
    let src_verdict = authz::authorize(
        ctx.auth,
        "s3:GetObject",
        &src,
        Some(src_key),
        None,
        &ctx.facts,
        ctx.now(),
    );
    if !src_verdict.allowed() {
        ctx.verdict = Some(src_verdict);
        return Err(AwsError::access_denied("Access Denied"));
    }
    add_acl_fact(ctx);
    // The tags the copy gets: the source's (`COPY`, the default) or the request's (`REPLACE`).
    let replace_tags = match ctx.h("x-amz-tagging-directive") {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("COPY") => false,
        Some(d) if d.eq_ignore_ascii_case("REPLACE") => true,
        Some(d) => {
            return Err(AwsError::invalid_argument(format!(
                "Unknown tagging directive `{d}`"
            )))
        }
    };
    let new_tags = if replace_tags {
        Some(request_tags(ctx)?)
    } else {
        None
    };
    ctx.authorize("s3:PutObject", bucket, Some(&key))?;
    if let Some(tags) = &new_tags {
        authorize_tagging(ctx, bucket, &key, tags)?;
    }
    let replace = ctx
        .h("x-amz-metadata-directive")
        .is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
    if src_bucket == bucket.name && src_key == key && !replace {
        return Err(AwsError::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let source_exists = ctx
        .state
        .storage()
        .buckets
        .get(src_bucket)
        .is_some_and(|b| b.objects.contains_key(src_key));
    if !source_exists {
        // As for GetObject: only a caller who may list the source learns that the key is absent.
        let mut probe = ctx.facts.clone();
        probe.keys.retain(|(k, _)| *k != "s3:prefix");
        probe.keys.push(("s3:prefix", src_key.to_owned()));
        let may_list = authz::authorize(
            ctx.auth,
            "s3:ListBucket",
            &src,
            None,
            None,
            &probe,
            ctx.now(),
        )
        .allowed();
        return Err(if may_list {
            AwsError::no_such_key("The specified key does not exist.").with_resource(src_key)
        } else {
            AwsError::access_denied("Access Denied")
        });
    }
    let mut st = ctx.state.storage_mut();
    let mut object = st
        .buckets
        .get(src_bucket)
        .and_then(|b| b.objects.get(src_key))
        .cloned()
        .ok_or_else(|| {
            AwsError::no_such_key("The specified key does not exist.").with_resource(src_key)
        })?;
    object.last_modified = ctx.state.now();
    if let Some(tags) = new_tags {
        object.tags = tags;
    }
    if replace {
        object.metadata = metadata_from(ctx.headers);
        if let Some(ct) = ctx.h("content-type") {
            object.content_type = ct.to_owned();
        }
    }
    let (etag, modified) = (object.etag.clone(), object.last_modified);
    st.buckets
        .get_mut(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?
        .objects
        .insert(key, object);
    Ok(Resp::xml(format!(
        "<CopyObjectResult xmlns=\"{NS}\"><LastModified>{}</LastModified><ETag>{}</ETag></CopyObjectResult>",
        iso(modified),
        escape(&etag)
    )))
}

pub(super) fn delete_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: Option<String>,
) -> Result<Resp, AwsError> {
    let key = key.unwrap_or_default();
    let action = versioned_action(ctx, "s3:DeleteObject", "s3:DeleteObjectVersion")?;
    ctx.authorize(action, bucket, Some(&key))?;
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.objects.remove(&key);
    }
    Ok(Resp::ok().status(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100).ok(), Some(Some((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100).ok(), Some(Some((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100).ok(), Some(Some((90, 99))));
        assert_eq!(parse_range("bytes=-200", 100).ok(), Some(Some((0, 99))));
        assert_eq!(parse_range("bytes=50-500", 100).ok(), Some(Some((50, 99))));
        assert_eq!(parse_range("bytes=9-1", 100).ok(), Some(None));
        assert!(parse_range("bytes=100-", 100).is_err());
        assert!(parse_range("bytes=x-1", 100).is_err());
        assert_eq!(parse_range("items=0-1", 100).ok(), Some(None));
    }
}
