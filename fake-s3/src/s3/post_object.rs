//! Browser-based uploads: POST with a signed policy
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>).

use super::*;

pub(super) fn post_object(ctx: &mut Ctx<'_>, body: &Bytes) -> Result<Resp, AwsError> {
    use crate::auth::{AuthType, Authenticated, SigVersion};
    // Which tenant's bucket a bare name means (Ceph dialect) depends on who signed the form, known
    // only once the form is verified; through an access point the bucket is already known.
    let written = match ctx.access_point {
        Some(_) => ctx.bucket,
        None => ctx.written_bucket,
    }
    .unwrap_or_default()
    .to_owned();
    let ceph = ctx.state.ceph();
    // The form's `bucket` condition sees the name without a tenant, as RGW's does.
    let shown = if ceph {
        crate::tenant::split(&written).1
    } else {
        written.as_str()
    };
    let fields = crate::post::parse_form(ctx.h("content-type").unwrap_or_default(), body)?;
    let now = ctx.now();
    let (upload, caller, name) = {
        let iam = ctx.state.iam();
        let upload = crate::post::verify(&fields, shown, now, &ctx.state.region, ceph, |ak| {
            iam.key(ak).map(|e| e.secret.clone())
        })
        .map_err(|e| rgw_form_error(ceph, e))?;
        if upload.anonymous {
            let name = match ctx.access_point {
                Some(_) => written.clone(),
                None => crate::tenant::resolve(ceph, &written, "")?,
            };
            (upload, crate::identity::Caller::anonymous(), name)
        } else {
            let entry = iam.key(&upload.access_key).ok_or_else(|| {
                AwsError::invalid_access_key_id(
                    "The AWS Access Key Id you provided does not exist in our records.",
                )
            })?;
            let token = upload
                .fields
                .iter()
                .find(|(k, _)| k == "x-amz-security-token")
                .map(|(_, v)| v.as_str());
            match (&entry.session_token, token) {
                (None, _) => {}
                (Some(want), Some(got)) if crate::sigv4::constant_time_eq(want, got) => {}
                _ => {
                    return Err(AwsError::invalid_token(
                        "The provided token is malformed or otherwise invalid.",
                    ))
                }
            }
            let caller = iam.caller(entry, now)?;
            let name = match ctx.access_point {
                Some(_) => written.clone(),
                None => crate::tenant::resolve(ceph, &written, iam.tenant_of(caller.account()))?,
            };
            (upload, caller, name)
        }
    };
    // S3 keys are at most 1,024 bytes of UTF-8
    // (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html>); the form's key
    // (after `${filename}` is filled in) is refused as PutObject refuses it.
    if upload.key.len() > 1024 {
        return Err(
            AwsError::invalid_argument("Your key is too long.").with_code("KeyTooLongError")
        );
    }
    let bucket = load_bucket(ctx.state, &name)?;
    let auth = Authenticated {
        caller,
        access_key: Some(upload.access_key.clone()),
        signature: Some((
            if upload.sigv2 {
                SigVersion::V2
            } else {
                SigVersion::V4
            },
            AuthType::Post,
        )),
        signature_age_ms: None,
        content_sha256: None,
        body: Bytes::new(),
        trailers: Vec::new(),
    };
    if !auth.caller.principal.is_anonymous() {
        ctx.form_signer = Some(auth.caller.principal.arn.clone());
    }
    let acl = upload
        .fields
        .iter()
        .find(|(k, _)| k == "acl")
        .map(|(_, v)| v.clone());
    if let Some(acl) = &acl {
        ctx.facts.keys.push(("s3:x-amz-acl", acl.clone()));
    }
    check_acl(&bucket, auth.caller.account(), acl.as_deref(), &[])?;
    // The `tagging` field is a Tagging XML document.
    let tags = match upload.fields.iter().find(|(k, _)| k == "tagging") {
        Some((_, xml)) => tagging::parse_xml(xml.as_bytes())?,
        None => crate::storage::TagSet::new(),
    };
    tagging::validate(&tags, tagging::MAX_OBJECT_TAGS)?;
    add_request_tag_facts(ctx, &tags);
    let verdict = authz::authorize(
        &auth,
        "s3:PutObject",
        &bucket,
        Some(&upload.key),
        ctx.access_point,
        &ctx.facts,
        now,
    );
    // The bucket's ACL may let the form's signer (or anyone, for an anonymous form) write.
    let verdict = with_acls_as(
        ctx,
        &auth.caller,
        "s3:PutObject",
        &bucket,
        Some(&upload.key),
        None,
        verdict,
    );
    let mut allowed = verdict.allowed();
    ctx.verdict = Some(verdict);
    if allowed && !tags.is_empty() {
        let verdict = authz::authorize(
            &auth,
            "s3:PutObjectTagging",
            &bucket,
            Some(&upload.key),
            ctx.access_point,
            &ctx.facts,
            now,
        );
        allowed = verdict.allowed();
        ctx.verdict = Some(verdict);
    }
    if !allowed {
        return Err(AwsError::access_denied("Access Denied"));
    }
    let requested = requested_acl(acl.as_deref(), &[], &bucket.owner_id)?;
    let owner = object_owner(&bucket, &Owner::of_caller(&auth.caller), &requested);
    let grants = object_acl(&owner.id, &requested, ctx.state.ceph());
    let data = Bytes::from(upload.data);
    let checksums = form_checksums(&upload.fields, &data)?;
    let checksum_type = (!checksums.is_empty() && !ctx.state.ceph())
        .then_some(crate::checksum::ChecksumType::FullObject);
    let etag = etag_of(&data);
    let metadata = upload
        .fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("x-amz-meta-")?.to_owned(), v.clone())))
        .collect();
    let object = Object {
        data,
        etag: etag.clone(),
        last_modified: now,
        content_type: upload
            .content_type
            .unwrap_or_else(|| "binary/octet-stream".to_owned()),
        metadata,
        checksums: checksums.clone(),
        checksum_type,
        parts: Vec::new(),
        tags: tags.clone(),
        version_id: String::new(),
        owner: owner.account,
        owner_id: owner.id,
        acl: grants,
    };
    let version = store(ctx.state, &bucket.name, upload.key.clone(), object, |_| {
        Ok(())
    })?;
    let location = format!(
        "/{}/{}",
        bucket.name,
        crate::sigv4::uri_encode(&upload.key, true)
    );
    // `Location` addresses the bucket with its tenant; `Bucket` names it as the form did.
    // `success_action_redirect` sends the browser on with 303 and the upload's bucket, key and
    // ETag in the query (RESTObjectPOST).
    let resp = match (&upload.redirect, upload.success_status) {
        (Some(url), _) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            let q = |s: &str| crate::sigv4::uri_encode(s, false);
            let to = format!(
                "{url}{sep}bucket={}&key={}&etag={}",
                q(bucket.plain_name()),
                q(&upload.key),
                q(&etag)
            );
            let resp = Resp::ok()
                .status(StatusCode::SEE_OTHER)
                .header("etag", etag);
            let resp = resp.header("location", to);
            return Ok(match version {
                Some(v) => resp.header("x-amz-version-id", v),
                None => resp,
            });
        }
        (None, status) => status,
    };
    let resp = match resp {
        201 => Resp::xml(format!(
            "<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
            escape(&location),
            escape(bucket.plain_name()),
            escape(&upload.key),
            escape(&etag)
        ))
        .status(StatusCode::CREATED),
        200 => Resp::ok(),
        _ => Resp::ok().status(StatusCode::NO_CONTENT),
    };
    let resp = resp.header("etag", etag).header("location", location);
    Ok(match version {
        Some(v) => resp.header("x-amz-version-id", v),
        None => resp,
    })
}

/// How RGW 16.2 answers a browser form it refuses, where it differs from S3 (observed with
/// `scripts/rgw-diff.py`): a wrong signature and a file outside `content-length-range` are both
/// 403 AccessDenied, a policy it cannot read 400 InvalidArgument (S3: InvalidPolicyDocument).
fn rgw_form_error(ceph: bool, e: AwsError) -> AwsError {
    match e.code {
        "SignatureDoesNotMatch" | "EntityTooLarge" if ceph => AwsError::access_denied(e.message),
        "InvalidPolicyDocument" if ceph => e.with_code("InvalidArgument"),
        _ => e,
    }
}

/// The form's `x-amz-checksum-ALGO` fields, each verified against the file: a mismatch is 400
/// `BadDigest`, as for PutObject's headers
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>).
fn form_checksums(
    fields: &[(String, String)],
    data: &[u8],
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    for (name, value) in fields {
        let Some(algo) = name
            .to_ascii_lowercase()
            .strip_prefix("x-amz-checksum-")
            .and_then(crate::checksum::Algorithm::parse)
        else {
            continue;
        };
        let computed = base64::engine::general_purpose::STANDARD.encode(algo.digest(data));
        if computed != value.trim() {
            return Err(AwsError::bad_digest(format!(
                "The {} you specified did not match the calculated checksum.",
                algo.as_str()
            )));
        }
        out.insert(algo.as_str().to_owned(), computed);
    }
    Ok(out)
}
