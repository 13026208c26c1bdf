//! Additional checksums of multipart uploads and objects, as "Checking object integrity in Amazon
//! S3" describes them
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>):
//! CreateMultipartUpload names an algorithm (`x-amz-checksum-algorithm`) and a type
//! (`x-amz-checksum-type`: `COMPOSITE`, a checksum of the parts' checksums shown as `VALUE-N`, or
//! `FULL_OBJECT`, the checksum of the whole object; CRC64NVME is full-object only, SHA-1 and
//! SHA-256 composite only); each part is uploaded with that algorithm's checksum, which
//! CompleteMultipartUpload repeats for a composite upload; ListParts and ListMultipartUploads show
//! the algorithm and type; GetObject and HeadObject show the object's checksum with
//! `x-amz-checksum-mode: ENABLED`; GetObjectAttributes shows it with the parts
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html>).
//!
//! Ceph RGW 16.2 predates these (they came with RGW 18): in the Ceph dialect an upload names no
//! algorithm, and nothing here is shown.

use super::*;
use crate::checksum::{Algorithm, ChecksumType};
use crate::storage::ObjectPart;

/// The algorithm and type CreateMultipartUpload names, if any. An unknown algorithm, a type
/// without an algorithm or a pair S3 does not support is 400 `InvalidRequest`.
pub(super) fn upload_checksum(
    ctx: &Ctx<'_>,
) -> Result<Option<(Algorithm, ChecksumType)>, AwsError> {
    if ctx.state.ceph() {
        return Ok(None);
    }
    let kind = match ctx.h("x-amz-checksum-type") {
        None => None,
        Some(t) => Some(ChecksumType::parse(t.trim()).ok_or_else(|| {
            AwsError::invalid_request("Value for x-amz-checksum-type header is invalid.")
        })?),
    };
    let Some(name) = ctx.h("x-amz-checksum-algorithm") else {
        return match kind {
            None => Ok(None),
            Some(_) => Err(AwsError::invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            )),
        };
    };
    let algo = Algorithm::parse(name.trim()).ok_or_else(|| {
        AwsError::invalid_request("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
    })?;
    let kind = kind.unwrap_or_else(|| algo.default_type());
    if !algo.supports(kind) {
        return Err(AwsError::invalid_request(format!(
            "The {} checksum type cannot be used with the {} checksum algorithm.",
            kind.as_str(),
            algo.as_str().to_ascii_lowercase()
        )));
    }
    Ok(Some((algo, kind)))
}

/// A part's checksums (`given`, already verified against its bytes) checked against its upload's
/// algorithm: another algorithm's checksum is 400 `InvalidRequest`; without one, the part gets the
/// upload's algorithm's checksum computed here, as S3 computes it.
pub(super) fn part_checksums(
    upload: Option<(Algorithm, ChecksumType)>,
    mut given: BTreeMap<String, String>,
    data: &[u8],
) -> Result<BTreeMap<String, String>, AwsError> {
    let Some((algo, _)) = upload else {
        return Ok(given);
    };
    if let Some(other) = given
        .keys()
        .find(|k| Algorithm::parse(k).is_some_and(|a| a != algo))
    {
        return Err(AwsError::invalid_request(format!(
            "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
            algo.as_str().to_ascii_lowercase(),
            other.to_ascii_lowercase()
        )));
    }
    given
        .entry(algo.as_str().to_owned())
        .or_insert_with(|| base64::engine::general_purpose::STANDARD.encode(algo.digest(data)));
    Ok(given)
}

/// `x-amz-checksum-ALGO` response headers for `checksums` (and `x-amz-checksum-type`).
pub(super) fn with_checksum_headers(
    mut resp: Resp,
    checksums: &BTreeMap<String, String>,
    kind: Option<ChecksumType>,
) -> Resp {
    for (algo, v) in checksums {
        resp = resp.header(
            format!("x-amz-checksum-{}", algo.to_ascii_lowercase()),
            v.clone(),
        );
    }
    if let Some(k) = kind.filter(|_| !checksums.is_empty()) {
        resp = resp.header("x-amz-checksum-type", k.as_str());
    }
    resp
}

/// `<ChecksumALGO>` elements for the algorithms S3 defines among `checksums`.
pub(super) fn checksum_elements(checksums: &BTreeMap<String, String>) -> String {
    checksums
        .iter()
        .filter_map(|(k, v)| {
            let a = Algorithm::parse(k)?.as_str();
            Some(format!("<Checksum{a}>{}</Checksum{a}>", escape(v)))
        })
        .collect()
}

/// ListParts' and ListMultipartUploads' `<ChecksumAlgorithm>` and `<ChecksumType>`.
pub(super) fn upload_checksum_elements(upload: &Upload) -> String {
    upload
        .checksum
        .map(|(a, t)| {
            format!(
                "<ChecksumAlgorithm>{}</ChecksumAlgorithm><ChecksumType>{}</ChecksumType>",
                a.as_str(),
                t.as_str()
            )
        })
        .unwrap_or_default()
}

/// The checksums CompleteMultipartUpload names for one part (`<ChecksumCRC32>` ...).
pub(super) fn named_part_checksums(part: &xml::Element) -> BTreeMap<String, String> {
    Algorithm::ALL
        .iter()
        .filter_map(|a| {
            let v = part.child_text(&format!("Checksum{}", a.as_str()))?;
            Some((a.as_str().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// What a completed upload's object gets.
pub(super) struct Completed {
    /// Its checksum (algorithm → base64; a composite one ends in `-N`), if the upload named one.
    pub checksums: BTreeMap<String, String>,
    pub kind: Option<ChecksumType>,
    pub parts: Vec<ObjectPart>,
}

/// What a completed upload's object gets: its checksum (composite `VALUE-N`, or over `data`),
/// its type, and its parts. `named` is each listed part's number and the checksums the request
/// names for it: each must match the part's; a composite upload must name every part's.
pub(super) fn completed_checksum(
    upload: &Upload,
    named: &[(u32, BTreeMap<String, String>)],
    data: &[u8],
    given_object: Option<(String, String)>,
) -> Result<Completed, AwsError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut parts = Vec::with_capacity(named.len());
    let mut raw = Vec::new();
    for (n, given) in named {
        let stored = upload.part_checksums.get(n).cloned().unwrap_or_default();
        for (algo, v) in given {
            if stored.get(algo) != Some(v) {
                return Err(AwsError::invalid_part(format!(
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified {algo} checksum may not match the part's checksum."
                )));
            }
        }
        if let Some((algo, ChecksumType::Composite)) = upload.checksum {
            if !given.contains_key(algo.as_str()) {
                return Err(AwsError::invalid_request(format!(
                    "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {n} in the request.",
                    algo.as_str().to_ascii_lowercase()
                )));
            }
            let value = stored.get(algo.as_str()).cloned().unwrap_or_default();
            raw.extend(b64.decode(value).unwrap_or_default());
        }
        let size = upload.parts.get(n).map_or(0, |(d, _)| d.len() as u64);
        parts.push(ObjectPart {
            size,
            checksums: stored,
        });
    }
    let Some((algo, kind)) = upload.checksum else {
        return Ok(Completed {
            checksums: BTreeMap::new(),
            kind: None,
            parts,
        });
    };
    let value = match kind {
        ChecksumType::Composite => format!("{}-{}", b64.encode(algo.digest(&raw)), named.len()),
        ChecksumType::FullObject => b64.encode(algo.digest(data)),
    };
    if let Some((given_algo, given)) = given_object {
        if given_algo != algo.as_str() || given.trim() != value {
            return Err(AwsError::bad_digest(format!(
                "The {given_algo} you specified did not match the calculated checksum."
            )));
        }
    }
    Ok(Completed {
        checksums: BTreeMap::from([(algo.as_str().to_owned(), value)]),
        kind: Some(kind),
        parts,
    })
}

/// The object checksum a CompleteMultipartUpload request sends in a header (`x-amz-checksum-ALGO`).
pub(super) fn given_object_checksum(ctx: &Ctx<'_>) -> Option<(String, String)> {
    Algorithm::ALL.iter().find_map(|a| {
        let v = ctx.h(&format!(
            "x-amz-checksum-{}",
            a.as_str().to_ascii_lowercase()
        ))?;
        Some((a.as_str().to_owned(), v.to_owned()))
    })
}

/// GetObjectAttributes: what `x-amz-object-attributes` asks for among `ETag` (unquoted),
/// `Checksum`, `ObjectParts` (the parts, with their checksums, only for an object with a
/// checksum; `PartsCount` always), `StorageClass` and `ObjectSize`, once the pipeline has decided
/// `s3:GetObjectAttributes` and this decides `s3:GetObject` too
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributesParts.html>).
pub(super) fn get_object_attributes(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    key: String,
) -> Result<Resp, AwsError> {
    if ctx.state.ceph() {
        return Err(AwsError::not_implemented(
            "the fake does not implement the object `?attributes` subresource",
        ));
    }
    let version = requested_version(ctx)?;
    let read = if version.is_some() {
        "s3:GetObjectVersion"
    } else {
        "s3:GetObject"
    };
    ctx.authorize(read, bucket, Some(&key))?;
    let wanted: Vec<String> = ctx
        .headers
        .get_all("x-amz-object-attributes")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    const KNOWN: [&str; 5] = [
        "ETag",
        "Checksum",
        "ObjectParts",
        "StorageClass",
        "ObjectSize",
    ];
    if wanted.is_empty() || wanted.iter().any(|w| !KNOWN.contains(&w.as_str())) {
        return Err(AwsError::invalid_argument(
            "Invalid attribute name specified.",
        ));
    }
    let object = read_target(ctx.state, &bucket.name, &key, version.as_deref())?;
    let Some(o) = object else {
        return Err(AwsError::no_such_key("The specified key does not exist.").with_resource(&key));
    };
    let has = |name: &str| wanted.iter().any(|w| w == name);
    let mut out = format!("<GetObjectAttributesResponse xmlns=\"{NS}\">");
    if has("ETag") {
        out.push_str(&format!(
            "<ETag>{}</ETag>",
            escape(o.etag.trim_matches('"'))
        ));
    }
    if has("Checksum") && !o.checksums.is_empty() {
        out.push_str("<Checksum>");
        out.push_str(&checksum_elements(&o.checksums));
        if let Some(k) = o.checksum_type {
            out.push_str(&format!("<ChecksumType>{}</ChecksumType>", k.as_str()));
        }
        out.push_str("</Checksum>");
    }
    if has("ObjectParts") && !o.parts.is_empty() {
        let marker: usize = ctx
            .h("x-amz-part-number-marker")
            .and_then(|m| m.trim().parse().ok())
            .unwrap_or(0);
        let max: usize = ctx
            .h("x-amz-max-parts")
            .and_then(|m| m.trim().parse().ok())
            .unwrap_or(1000);
        out.push_str(&format!(
            "<ObjectParts><PartsCount>{}</PartsCount>",
            o.parts.len()
        ));
        if !o.checksums.is_empty() {
            let shown: Vec<_> = o.parts.iter().enumerate().skip(marker).take(max).collect();
            let next = shown.last().map_or(marker, |(i, _)| i + 1);
            let truncated = next < o.parts.len();
            out.push_str(&format!(
                "<PartNumberMarker>{marker}</PartNumberMarker><NextPartNumberMarker>{next}</NextPartNumberMarker><MaxParts>{max}</MaxParts><IsTruncated>{truncated}</IsTruncated>"
            ));
            for (i, part) in shown {
                out.push_str(&format!(
                    "<Part><PartNumber>{}</PartNumber><Size>{}</Size>{}</Part>",
                    i + 1,
                    part.size,
                    checksum_elements(&part.checksums)
                ));
            }
        }
        out.push_str("</ObjectParts>");
    }
    if has("StorageClass") {
        out.push_str("<StorageClass>STANDARD</StorageClass>");
    }
    if has("ObjectSize") {
        out.push_str(&format!("<ObjectSize>{}</ObjectSize>", o.data.len()));
    }
    out.push_str("</GetObjectAttributesResponse>");
    let mut resp = Resp::xml(out).header("last-modified", http_date(o.last_modified));
    if reports_versions(bucket) {
        resp = resp.header("x-amz-version-id", o.version_id.clone());
    }
    Ok(resp)
}
