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
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .chain(
            ctx.auth
                .trailers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        // Only the checksum headers are copied (an upload carries a dozen others).
        .filter_map(|(k, v)| {
            let algo = k.strip_prefix("x-amz-checksum-")?.to_ascii_uppercase();
            Some((algo, v.to_owned()))
        });
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

/// The content type a write stores: its `Content-Type`, else S3's `binary/octet-stream`. RGW
/// 16.2 stores none and answers GET and HEAD without the header (empty here).
pub(super) fn content_type_of(ctx: &Ctx<'_>) -> String {
    match ctx.h("content-type") {
        Some(ct) => ct.to_owned(),
        None if ctx.state.ceph() => String::new(),
        None => "binary/octet-stream".to_owned(),
    }
}

pub(super) fn put_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    body: &Bytes,
    tags: TagSet,
) -> Result<Resp, AwsError> {
    authorize_tagging(ctx, bucket, &key, &tags)?;
    let checksums = verify_checksums(ctx, body)?;
    // An object written in one piece: its checksum is over the whole object.
    let checksum_type = (!checksums.is_empty() && !ctx.state.ceph())
        .then_some(crate::checksum::ChecksumType::FullObject);
    let (owner, acl) = write_acl(ctx, bucket)?;
    let etag = etag_of(body);
    let object = Object {
        data: body.clone(),
        etag: etag.clone(),
        last_modified: ctx.state.now(),
        content_type: content_type_of(ctx),
        metadata: metadata_from(ctx.headers),
        checksums: checksums.clone(),
        checksum_type,
        parts: Vec::new(),
        tags,
        version_id: String::new(),
        owner: owner.account,
        owner_id: owner.id,
        acl,
    };
    // Checked under the same lock as the write, so two conditional writers cannot both win.
    let version = store(ctx.state, &bucket.name, key.clone(), object, |current| {
        check_put_preconditions(ctx, current.map(|o| o.etag.as_str()), &key)
    })?;
    let mut resp = Resp::ok().header("etag", etag);
    if let Some(v) = version {
        resp = resp.header("x-amz-version-id", v);
    }
    // With the checksum's type (`FULL_OBJECT`, API_PutObject's `x-amz-checksum-type`) outside the
    // Ceph dialect, which RGW 16.2 does not know.
    Ok(with_checksum_headers(resp, &checksums, checksum_type))
}

/// The ACL a write asks for (its `s3:x-amz-acl` and `s3:x-amz-grant-*` keys come from the
/// headers, through [`crate::operation::carried_keys`]) checked against the bucket's Object Ownership and public access block
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>):
/// with `BucketOwnerEnforced` (ACLs disabled) only an ACL that grants the bucket owner full
/// control and nobody else anything is accepted ([`owner_full_control_only`]), any other ACL is
/// `AccessControlListNotSupported`; with `BlockPublicAcls` a public ACL is `AccessDenied`.
pub(super) fn add_acl_fact(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<(), AwsError> {
    let canned = ctx.h("x-amz-acl").map(str::to_owned);
    let grants = grant_headers(ctx);
    // A canned ACL with grant headers is malformed (S3 documents them as exclusive, and refuses
    // the pair when it reads the ACL, [`requested_acl`]); RGW 16.2 refuses it before any policy
    // is read (400 InvalidRequest, observed with `scripts/rgw-diff.py`).
    if canned.is_some() && !grants.is_empty() && ctx.state.ceph() {
        return Err(AwsError::invalid_request(
            "Specifying both Canned ACLs and Header Grants is not allowed",
        ));
    }
    let writer = ctx.auth.caller.account().to_owned();
    check_acl(bucket, &writer, canned.as_deref(), &grants)
}

/// Whether `bucket` accepts an ACL of `canned` and `grants` on a write by an account `writer`
/// (empty for an anonymous writer; see [`add_acl_fact`]).
pub(super) fn check_acl(
    bucket: &Bucket,
    writer: &str,
    canned: Option<&str>,
    grants: &[(String, String)],
) -> Result<(), AwsError> {
    const CANNED: [&str; 8] = [
        "private",
        "public-read",
        "public-read-write",
        "authenticated-read",
        "aws-exec-read",
        "bucket-owner-read",
        "bucket-owner-full-control",
        "log-delivery-write",
    ];
    if canned.is_none() && grants.is_empty() {
        return Ok(());
    }
    if let Some(acl) = canned.filter(|a| !CANNED.contains(a)) {
        return Err(AwsError::invalid_argument(format!(
            "Unknown canned ACL `{acl}`"
        )));
    }
    if bucket.ownership == Some(crate::storage::Ownership::BucketOwnerEnforced) {
        return if owner_full_control_only(bucket, writer, canned, grants) {
            Ok(())
        } else {
            Err(AwsError::acl_not_supported(
                "The bucket does not allow ACLs",
            ))
        };
    }
    let public = matches!(
        canned,
        Some("public-read" | "public-read-write" | "authenticated-read")
    ) || grants
        .iter()
        .any(|(_, v)| v.contains("acs.amazonaws.com/groups/global/"));
    if public
        && bucket
            .public_access_block
            .is_some_and(|b| b.block_public_acls)
    {
        return Err(AwsError::access_denied(
            "Access Denied: the bucket's BlockPublicAcls setting refuses public ACLs",
        ));
    }
    Ok(())
}

/// Whether an ACL is one a bucket with ACLs disabled (`BucketOwnerEnforced`) accepts: "PUT
/// requests that don't specify an ACL or specify bucket owner full control ACLs (such as the
/// predefined bucket-owner-full-control canned ACL or a custom ACL in XML format that grants the
/// same permissions)"
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_OwnershipControlsRule.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html>).
/// So `bucket-owner-full-control` from any account; `private` (the object owner's full control,
/// and nothing else) only from the bucket owner's own account, where the writer is the bucket
/// owner and the two ACLs are the same (from another account it would grant that account, and
/// is refused); grant headers only when every grant is the bucket owner's full control.
fn owner_full_control_only(
    bucket: &Bucket,
    writer: &str,
    canned: Option<&str>,
    grants: &[(String, String)],
) -> bool {
    match canned {
        Some("bucket-owner-full-control") => grants.is_empty(),
        Some("private") => grants.is_empty() && writer == bucket.owner,
        Some(_) => false,
        None => super::acl::requested_acl(None, grants, &bucket.owner_id).is_ok_and(|r| {
            !r.grants.is_empty()
                && r.grants.iter().all(|g| {
                    g.permission == crate::storage::Permission::FullControl
                        && g.grantee
                            == crate::storage::Grantee::CanonicalUser(bucket.owner_id.clone())
                })
        }),
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

pub(super) fn get_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
) -> Result<Resp, AwsError> {
    let version = requested_version(ctx)?;
    let object = read_target(ctx.state, &bucket.name, &key, version.as_deref())?;
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
    let part = part_read(ctx, &o)?;
    let range = match (part, ctx.h("range")) {
        (PartRead::Part { first, last, .. }, _) => Some((first, last)),
        (PartRead::Whole, Some(r)) => parse_range(r, total)?,
        (PartRead::Whole, None) => None,
    };
    // `response-*` overrides set six response headers
    // (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>); RGW 16.2 ignores them
    // on an anonymous request.
    let overrides = !(ctx.state.ceph() && ctx.auth.caller.principal.is_anonymous())
        && ctx.query.names().any(|k| k.starts_with("response-"));
    let over = |param: &str| if overrides { ctx.q(param) } else { None };
    let mut resp = Resp::ok()
        .header("etag", o.etag.clone())
        .header("last-modified", http_date(o.last_modified))
        .header("accept-ranges", "bytes");
    let content_type = over("response-content-type").unwrap_or(&o.content_type);
    if !content_type.is_empty() {
        resp = resp.header("content-type", content_type.to_owned());
    }
    for (k, v) in &o.metadata {
        resp = resp.header(format!("x-amz-meta-{k}"), v.clone());
    }
    if !o.tags.is_empty() {
        resp = resp.header("x-amz-tagging-count", o.tags.len().to_string());
    }
    if reports_versions(bucket) {
        resp = resp.header("x-amz-version-id", o.version_id.clone());
    }
    let checksum_mode = ctx
        .h("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    if checksum_mode && range.is_none() {
        resp = with_checksum_headers(resp, &o.checksums, o.checksum_type);
    }
    if let PartRead::Part { index, count, .. } = part {
        resp = resp.header("x-amz-mp-parts-count", count.to_string());
        // A part of a composite object has its own checksum; a full-object one has none.
        if checksum_mode && o.checksum_type == Some(crate::checksum::ChecksumType::Composite) {
            if let Some(p) = o.parts.get(index) {
                resp = with_checksum_headers(resp, &p.checksums, None);
            }
        }
    }
    for (param, header) in [
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
        ("response-content-language", "content-language"),
        ("response-cache-control", "cache-control"),
        ("response-expires", "expires"),
    ] {
        if let Some(v) = over(param) {
            resp = resp.header(header, v.to_owned());
        }
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

/// `x-amz-copy-source`: `BUCKET/KEY` (URL-encoded, optionally with a leading `/`) and an
/// optional `?versionId=`.
#[derive(Debug)]
pub struct CopySource {
    /// The source bucket's store key: in the Ceph dialect, `BUCKET` is read in the caller's tenant
    /// unless written `TENANT:BUCKET` ([`crate::tenant::resolve`]).
    pub bucket: String,
    pub key: String,
    pub version: Option<String>,
}

pub(super) fn parse_copy_source(ctx: &Ctx<'_>) -> Result<CopySource, AwsError> {
    let raw = ctx.h("x-amz-copy-source").unwrap_or_default();
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let path = crate::sigv4::percent_decode(path)
        .ok_or_else(|| AwsError::invalid_argument("Invalid copy source encoding"))?;
    let (bucket, key) = path
        .trim_start_matches('/')
        .split_once('/')
        .map(|(b, k)| (b.to_owned(), k.to_owned()))
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| AwsError::invalid_argument("Invalid copy source object key"))?;
    let bucket = {
        let iam = ctx.state.iam();
        let tenant = iam.tenant_of(ctx.auth.caller.account());
        let key = crate::tenant::resolve(iam.ceph_dialect, &bucket, tenant)?;
        // RGW 16.2 cannot copy from another tenant's bucket, whatever its policy grants (403;
        // observed with `scripts/rgw-diff.py`).
        if iam.ceph_dialect && crate::tenant::split(&key).0 != tenant {
            return Err(AwsError::access_denied(
                "Access Denied: RGW does not copy from another tenant's bucket",
            ));
        }
        key
    };
    let version = match query.strip_prefix("versionId=") {
        Some(v) => {
            let v = crate::sigv4::percent_decode(v).unwrap_or_default();
            if !crate::storage::valid_version_id(&v) {
                return Err(AwsError::invalid_argument("Invalid version id specified"));
            }
            Some(v)
        }
        None if query.is_empty() => None,
        None => {
            return Err(AwsError::invalid_argument(
                "Unsupported copy source parameter",
            ))
        }
    };
    Ok(CopySource {
        bucket,
        key,
        version,
    })
}

/// Reads a copy's source as the caller may: `s3:GetObject` (or `s3:GetObjectVersion`) on it, and
/// the 403-vs-404 rule for a missing source. Returns the source object and the version id to
/// report (when the source bucket has versioning).
pub(super) fn read_copy_source(
    ctx: &mut Ctx<'_>,
    source: &CopySource,
) -> Result<(Object, Option<String>), AwsError> {
    let src = load_bucket(ctx.state, &source.bucket)?;
    let mut facts = ctx.facts.clone();
    if let Some(v) = &source.version {
        facts.keys.push(("s3:VersionId", v.clone()));
    }
    // The source is read as GetObject reads it: its tags are conditions too.
    let source_tags = object_at(
        ctx.state,
        &source.bucket,
        &source.key,
        source.version.as_deref(),
    )
    .map(|o| o.tags);
    for (k, v) in source_tags.unwrap_or_default() {
        facts.dynamic.push((
            format!("s3:ExistingObjectTag/{k}"),
            policy_eval::ContextValue::Single(v),
        ));
    }
    let action = if source.version.is_some() {
        "s3:GetObjectVersion"
    } else {
        "s3:GetObject"
    };
    let src_verdict = authz::authorize(
        ctx.auth,
        action,
        &src,
        Some(&source.key),
        None,
        &facts,
        ctx.now(),
    );
    // ACL grants and the source object's owner decide as for GetObject.
    let src_verdict = with_acls(
        ctx,
        action,
        &src,
        Some(&source.key),
        source.version.as_deref(),
        src_verdict,
    );
    ctx.ledger
        .note(action, &src_verdict.resource, src_verdict.prefix.as_deref());
    if !src_verdict.allowed() {
        let message = authz::access_denied_message(
            &ctx.auth.caller,
            action,
            &src_verdict,
            &src.owner,
            ctx.state.ceph(),
        );
        let decision = (
            src_verdict.decision,
            src_verdict.explanation.summary.clone(),
        );
        ctx.verdict = Some(src_verdict);
        ctx.ledger.enforce(
            ctx.state.enforcement,
            (decision.0, &decision.1),
            Some(AwsError::access_denied(message)),
        )?;
    }
    let found = read_target(ctx.state, &source.bucket, &source.key, source.version.as_deref())
        .map_err(|e| {
            if e.code == "MethodNotAllowed" {
                AwsError::invalid_request(
                    "The source of a copy request may not specifically refer to a delete marker by version id.",
                )
            } else {
                e
            }
        })?;
    let Some(object) = found else {
        // As for GetObject: only a caller who may list the source learns that the key is absent.
        let mut probe = ctx.facts.clone();
        probe.keys.retain(|(k, _)| *k != "s3:prefix");
        probe.keys.push(("s3:prefix", source.key.clone()));
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
            AwsError::no_such_key("The specified key does not exist.").with_resource(&source.key)
        } else {
            AwsError::access_denied("Access Denied")
        });
    };
    let version = reports_versions(&src).then(|| object.version_id.clone());
    Ok((std::sync::Arc::unwrap_or_clone(object), version))
}

pub(super) fn copy_object(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
    source: &CopySource,
    new_tags: Option<TagSet>,
) -> Result<Resp, AwsError> {
    let (mut object, source_version) = read_copy_source(ctx, source)?;
    if let Some(tags) = &new_tags {
        authorize_tagging(ctx, bucket, &key, tags)?;
    }
    let replace = ctx
        .h("x-amz-metadata-directive")
        .is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
    if source.bucket == bucket.name
        && source.key == key
        && source.version.is_none()
        && !replace
        && new_tags.is_none()
    {
        return Err(AwsError::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    object.last_modified = ctx.state.now();
    // The copy is one piece: a composite checksum (of the source's parts) does not describe it.
    object.parts.clear();
    if object.checksum_type == Some(crate::checksum::ChecksumType::Composite) {
        object.checksums.clear();
        object.checksum_type = None;
    }
    let (owner, acl) = write_acl(ctx, bucket)?;
    (object.owner, object.owner_id, object.acl) = (owner.account, owner.id, acl);
    if let Some(tags) = new_tags {
        object.tags = tags;
    }
    if replace {
        object.metadata = metadata_from(ctx.headers);
        object.content_type = content_type_of(ctx);
    }
    let (etag, modified) = (object.etag.clone(), object.last_modified);
    let version = store(ctx.state, &bucket.name, key, object, |_| Ok(()))?;
    let mut resp = Resp::xml(format!(
        "<CopyObjectResult xmlns=\"{NS}\"><LastModified>{}</LastModified><ETag>{}</ETag></CopyObjectResult>",
        iso(modified),
        escape(&etag)
    ));
    if let Some(v) = source_version {
        resp = resp.header("x-amz-copy-source-version-id", v);
    }
    if let Some(v) = version {
        resp = resp.header("x-amz-version-id", v);
    }
    Ok(resp)
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
