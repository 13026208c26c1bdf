//! Listings: ListObjects and ListObjectsV2 (current versions only) with prefix, delimiter and
//! pagination (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>).

use super::*;

pub(super) fn max_keys(ctx: &Ctx<'_>) -> Result<usize, AwsError> {
    match ctx.q("max-keys") {
        None => Ok(1000),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n.min(1000) as usize)
            .ok_or_else(|| {
                AwsError::invalid_argument(
                    "Provided max-keys not an integer or within integer range",
                )
            }),
    }
}

pub(super) fn list_objects(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    let prefix = ctx.q("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx
        .q("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let max = max_keys(ctx)?;
    let v2 = ctx.op == S3Op::ListObjectsV2;
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
    let start = if v2 {
        match ctx.q("continuation-token") {
            Some(t) => base64::engine::general_purpose::STANDARD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    AwsError::invalid_argument("The continuation token provided is incorrect")
                })?,
            None => ctx.q("start-after").unwrap_or_default().to_owned(),
        }
    } else {
        ctx.q("marker").unwrap_or_default().to_owned()
    };
    // A marker naming a common prefix (V1 NextMarker, versions' NextKeyMarker) resumes after
    // everything under it, or the same prefix would come back forever.
    let start = match &delimiter {
        Some(d)
            if ctx.op != S3Op::ListObjectsV2
                && start.ends_with(d.as_str())
                && start.starts_with(&prefix) =>
        {
            format!("{start}\u{10FFFF}")
        }
        _ => start,
    };
    let owners = OwnerNames::new(ctx.state);
    let st = ctx.state.storage();
    let objects = &st
        .buckets
        .get(&bucket.name)
        .ok_or_else(|| AwsError::no_such_bucket("The specified bucket does not exist"))?
        .objects;
    let mut contents = String::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut count = 0;
    let mut truncated = false;
    let mut last = String::new();
    // Seek to the prefix (or past the marker, whichever is later) and stop at the first key
    // outside the prefix: a page costs its own size, not the bucket's.
    let lower = if start.as_str() >= prefix.as_str() {
        std::ops::Bound::Excluded(start.clone())
    } else {
        std::ops::Bound::Included(prefix.clone())
    };
    let range = objects.range::<String, _>((lower, std::ops::Bound::Unbounded));
    // `max-keys=0` asks for nothing and S3 says the listing is not truncated.
    let wanted = if max == 0 { 0 } else { usize::MAX };
    // ListObjects (v1) always names each object's owner; ListObjectsV2
    // only with `fetch-owner=true`. Objects belong to the bucket owner (ACLs disabled).
    let with_owner = ctx.op != S3Op::ListObjectsV2 || ctx.q("fetch-owner") == Some("true");
    let owner_of = |owner_id: &str| {
        if with_owner {
            owners.xml(owner_id)
        } else {
            String::new()
        }
    };
    // Only current versions that are objects: a key whose latest version is a delete marker is
    // not listed.
    for (k, o) in range
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter_map(|(k, history)| Some((k, history.last()?.object()?)))
        .take(wanted)
    {
        if let Some(d) = &delimiter {
            if let Some(i) = k[prefix.len()..].find(d.as_str()) {
                let cp = &k[..prefix.len() + i + d.len()];
                if prefixes.last().map(String::as_str) == Some(cp) {
                    continue;
                }
                if count == max {
                    truncated = true;
                    break;
                }
                prefixes.push(cp.to_owned());
                last = cp.to_owned();
                count += 1;
                continue;
            }
        }
        if count == max {
            truncated = true;
            break;
        }
        let common = format!(
            "<Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size>{}<StorageClass>STANDARD</StorageClass>",
            enc(k),
            iso(o.last_modified),
            escape(&o.etag),
            o.data.len(),
            owner_of(&o.owner_id)
        );
        contents.push_str(&format!("<Contents>{common}</Contents>"));
        last = k.clone();
        count += 1;
    }
    // A common prefix is skipped past as a whole: the next page starts after everything under it.
    let resume_after = if delimiter.as_deref().is_some_and(|d| last.ends_with(d))
        && prefixes.last() == Some(&last)
    {
        format!("{last}\u{10FFFF}")
    } else {
        last.clone()
    };
    let mut out = String::new();
    let root = "ListBucketResult";
    out.push_str(&format!(
        "<{root} xmlns=\"{NS}\"><Name>{}</Name><Prefix>{}</Prefix>",
        escape(bucket.plain_name()),
        enc(&prefix)
    ));
    if let Some(d) = &delimiter {
        out.push_str(&format!("<Delimiter>{}</Delimiter>", enc(d)));
    }
    out.push_str(&format!(
        "<MaxKeys>{max}</MaxKeys><IsTruncated>{truncated}</IsTruncated>"
    ));
    if url_encode {
        out.push_str("<EncodingType>url</EncodingType>");
    }
    match ctx.op {
        S3Op::ListObjectsV2 => {
            out.push_str(&format!("<KeyCount>{count}</KeyCount>"));
            if let Some(t) = ctx.q("continuation-token") {
                out.push_str(&format!(
                    "<ContinuationToken>{}</ContinuationToken>",
                    escape(t)
                ));
            }
            if let Some(s) = ctx.q("start-after") {
                out.push_str(&format!("<StartAfter>{}</StartAfter>", enc(s)));
            }
            if truncated {
                let token =
                    base64::engine::general_purpose::STANDARD.encode(resume_after.as_bytes());
                out.push_str(&format!(
                    "<NextContinuationToken>{token}</NextContinuationToken>"
                ));
            }
        }
        _ => {
            // The marker as the request gave it (`start` may have been moved past a prefix).
            out.push_str(&format!(
                "<Marker>{}</Marker>",
                enc(ctx.q("marker").unwrap_or_default())
            ));
            if truncated && delimiter.is_some() {
                out.push_str(&format!("<NextMarker>{}</NextMarker>", enc(&last)));
            }
        }
    }
    out.push_str(&contents);
    for p in &prefixes {
        out.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            enc(p)
        ));
    }
    out.push_str(&format!("</{root}>"));
    let _ = v2;
    Ok(Resp::xml(out))
}
