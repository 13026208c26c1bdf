//! Routing as AWS does it: host, path, method, query and headers → which API a request is for
//! ([`Route`]: S3 with its bucket, key and access point; S3 Control with its account; STS), and
//! for S3 which operation ([`S3Op`]). The parts are pure functions ([`host`], [`s3_op`],
//! [`control`]); [`route`] settles what they cannot alone (is `NAME-ACCOUNT` an access point or
//! a bucket? is `NAME-HASH-s3alias` an alias?) against what exists, before anyone is
//! authenticated
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-naming.html>,
//! <https://docs.aws.amazon.com/STS/latest/APIReference/CommonParameters.html>).

mod control;
mod host;
mod s3_op;

pub use control::{control_route, ControlOp};
pub use host::{classify_host, parse_path, split_access_point_label, HostForm, Target};
pub use s3_op::S3Op;

use crate::error::AwsError;
use crate::state::State;
use crate::storage::AccessPoint;

/// Where an S3 request is addressed after host and path are read.
#[derive(Debug)]
pub struct Addressed {
    pub target: Target,
    pub access_point: Option<AccessPoint>,
    pub host_bucket: Option<String>,
}

/// Which API a request is for, and what it names, before anyone is authenticated.
#[derive(Debug)]
pub enum Route {
    S3(Box<Addressed>),
    Control {
        op: ControlOp,
        name: Option<String>,
        account: String,
    },
    Sts,
    /// IAM's Query API: a form like STS's, told apart by the service its signature is scoped to.
    Iam,
}

impl Route {
    /// The service name SigV4 scopes the signature to.
    pub fn signing_service(&self) -> &'static str {
        match self {
            Route::Sts => "sts",
            Route::Iam => "iam",
            Route::S3(_) | Route::Control { .. } => "s3",
        }
    }

    /// The bucket a request addresses, for the CORS headers of its response.
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Route::S3(a) => match &a.target {
                Target::Bucket(b) | Target::Object(b, _) => Some(b),
                Target::Root => None,
            },
            _ => None,
        }
    }
}

/// Whether the body is an HTML form's (`application/x-www-form-urlencoded`): STS's and IAM's
/// Query API parameters.
pub fn is_form(parts: &http::request::Parts) -> bool {
    header(parts, "content-type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

/// A header's value, when it is text.
pub fn header<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    crate::header::value(&parts.headers, name)
}

/// The request's host: the `Host` header, or the URI's authority (HTTP/1.1 absolute form).
pub fn host_of(parts: &http::request::Parts) -> &str {
    header(parts, "host")
        .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str))
        .unwrap_or_default()
}

/// Which API the request is for and what it addresses (the pipeline's first step).
pub fn route(
    state: &State,
    parts: &http::request::Parts,
    raw_path: &str,
    query: &crate::query::Query,
) -> Result<Route, AwsError> {
    let host_form = match header(parts, "host") {
        Some(host) => classify_host(host),
        None => classify_host(host_of(parts)),
    };
    if raw_path.starts_with("/v20180820/") {
        return control_request(parts, raw_path, &host_form);
    }
    let is_form = is_form(parts);
    let sts_call = raw_path == "/"
        && !matches!(
            host_form,
            HostForm::Prefixed(_) | HostForm::AccessPoint { .. }
        )
        && ((parts.method == http::Method::POST && is_form) || query.contains("Action"));
    if sts_call {
        return Ok(if scope_part(parts, query, 3) == Some("iam") {
            Route::Iam
        } else {
            Route::Sts
        });
    }
    address(state, &host_form, raw_path).map(|a| Route::S3(Box::new(a)))
}

/// Part `n` of a SigV4 signature's scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`,
/// in the `Authorization` header or `X-Amz-Credential`): 2 is the region, 3 the service, the only
/// thing that tells an IAM form from an STS one on a shared endpoint.
pub fn scope_part<'a>(
    parts: &'a http::request::Parts,
    query: &'a crate::query::Query,
    n: usize,
) -> Option<&'a str> {
    let credential = header(parts, "authorization")
        .and_then(|a| a.split_once("Credential="))
        .map(|(_, rest)| rest.split([',', ' ']).next().unwrap_or_default())
        .or_else(|| query.get("X-Amz-Credential"))?;
    credential.split('/').nth(n)
}

fn control_request(
    parts: &http::request::Parts,
    raw_path: &str,
    host_form: &HostForm,
) -> Result<Route, AwsError> {
    let decoded = crate::sigv4::percent_decode(raw_path).ok_or_else(|| {
        AwsError::invalid_argument("the request path is not valid percent-encoded UTF-8")
    })?;
    let (op, name) = control_route(&parts.method, &decoded)?;
    let header_account = header(parts, "x-amz-account-id").map(str::to_owned);
    let host_account = match host_form {
        HostForm::Control { account } => Some(account.clone()),
        HostForm::Prefixed(p) if policy_eval::arn::is_account_id(p) => Some(p.clone()),
        _ => None,
    };
    let account = match (header_account, host_account) {
        (Some(h), Some(a)) if h != a => {
            return Err(AwsError::invalid_request(
                "x-amz-account-id does not match the account in the host name",
            ))
        }
        (Some(h), _) => h,
        (None, Some(a)) => a,
        (None, None) => {
            return Err(AwsError::invalid_request(
                "S3 Control requests need the x-amz-account-id header",
            ))
        }
    };
    Ok(Route::Control { op, name, account })
}

/// Resolves an S3 request's host and path to its bucket, key and access point.
pub fn address(state: &State, host: &HostForm, raw_path: &str) -> Result<Addressed, AwsError> {
    let lookup_ap = |name: &str, account: &str| {
        state
            .storage()
            .access_points
            .get(&(account.to_owned(), name.to_owned()))
            .cloned()
    };
    let (ap, host_bucket) = match host {
        HostForm::AccessPoint { name, account } => {
            let ap = lookup_ap(name, account).ok_or_else(|| {
                AwsError::no_such_access_point("The specified accesspoint does not exist")
                    .with_resource(name.as_str())
            })?;
            (Some(ap), None)
        }
        HostForm::Prefixed(label) => match split_access_point_label(label) {
            Some((n, a)) => match lookup_ap(n, a) {
                Some(ap) => (Some(ap), None),
                // `NAME-ACCOUNT` for a known account, and no such bucket either: the caller meant
                // an access point that does not exist.
                None if !state.storage().buckets.contains_key(label.as_str())
                    && state.iam().accounts.contains_key(a) =>
                {
                    return Err(AwsError::no_such_access_point(
                        "The specified accesspoint does not exist",
                    )
                    .with_resource(n));
                }
                None => (None, Some(label.clone())),
            },
            None => (None, Some(label.clone())),
        },
        HostForm::Plain | HostForm::Control { .. } => (None, None),
    };
    if let Some(ap) = ap {
        let target = parse_path(raw_path, Some(&ap.bucket))?;
        return Ok(Addressed {
            target,
            access_point: Some(ap),
            host_bucket: None,
        });
    }
    let target = parse_path(raw_path, host_bucket.as_deref())?;
    // An access point alias used as a bucket name.
    let alias_ap = match &target {
        Target::Bucket(b) | Target::Object(b, _) if b.ends_with("-s3alias") => {
            state.storage().access_point_by_alias(b).cloned()
        }
        _ => None,
    };
    if let Some(ap) = alias_ap {
        let target = match target {
            Target::Bucket(_) => Target::Bucket(ap.bucket.clone()),
            Target::Object(_, k) => Target::Object(ap.bucket.clone(), k),
            Target::Root => Target::Root,
        };
        return Ok(Addressed {
            target,
            access_point: Some(ap),
            host_bucket,
        });
    }
    Ok(Addressed {
        target,
        access_point: None,
        host_bucket,
    })
}

/// Reads `application/x-www-form-urlencoded` pairs (`+` is a space).
pub fn form_params(body: &[u8]) -> Result<Vec<(String, String)>, AwsError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AwsError::invalid_argument("the form body is not UTF-8"))?;
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                crate::sigv4::percent_decode(&s.replace('+', " ")).ok_or_else(|| {
                    AwsError::invalid_argument("the form body is not valid percent-encoding")
                })
            };
            Ok((dec(k)?, dec(v)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn control_routes() {
        assert_eq!(
            control_route(&Method::GET, "/v20180820/accesspoint").ok(),
            Some((ControlOp::ListAccessPoints, None))
        );
        assert_eq!(
            control_route(&Method::PUT, "/v20180820/accesspoint/ap1/policy").ok(),
            Some((ControlOp::PutAccessPointPolicy, Some("ap1".into())))
        );
        assert_eq!(
            control_route(
                &Method::GET,
                "/v20180820/accesspoint/arn:aws:s3:us-east-1:111122223333:accesspoint/ap1"
            )
            .ok(),
            Some((ControlOp::GetAccessPoint, Some("ap1".into())))
        );
        assert!(control_route(&Method::GET, "/v20180820/jobs").is_err());
    }

    use rstest::rstest;

    #[rstest]
    #[case("127.0.0.1:9000", HostForm::Plain)]
    #[case("localhost:9000", HostForm::Plain)]
    #[case("s3.amazonaws.com", HostForm::Plain)]
    #[case("s3.us-west-2.amazonaws.com", HostForm::Plain)]
    #[case("b.localhost:9000", HostForm::Prefixed("b".into()))]
    #[case("my.dotted.bucket.localhost", HostForm::Prefixed("my.dotted.bucket".into()))]
    #[case("myap-111122223333.127.0.0.1:9000", HostForm::Prefixed("myap-111122223333".into()))]
    #[case("111122223333.127.0.0.1:9000", HostForm::Prefixed("111122223333".into()))]
    #[case("B.S3.AMAZONAWS.COM", HostForm::Prefixed("b".into()))]
    #[case("b.s3.eu-west-1.amazonaws.com", HostForm::Prefixed("b".into()))]
    #[case("myap-111122223333.s3-accesspoint.us-east-1.amazonaws.com", HostForm::AccessPoint { name: "myap".into(), account: "111122223333".into() })]
    #[case("111122223333.s3-control.us-east-1.amazonaws.com", HostForm::Control { account: "111122223333".into() })]
    #[case("example.com", HostForm::Plain)]
    fn hosts(#[case] host: &str, #[case] want: HostForm) {
        assert_eq!(classify_host(host), want);
    }

    #[rstest]
    #[case("/", None, Target::Root)]
    #[case("/b", None, Target::Bucket("b".into()))]
    #[case("/b/", None, Target::Bucket("b".into()))]
    #[case("/b/a/b%20c/", None, Target::Object("b".into(), "a/b c/".into()))]
    #[case("/", Some("b"), Target::Bucket("b".into()))]
    #[case("/k%2Fx", Some("b"), Target::Object("b".into(), "k/x".into()))]
    fn paths(#[case] path: &str, #[case] bucket: Option<&str>, #[case] want: Target) {
        assert_eq!(parse_path(path, bucket).ok(), Some(want));
    }

    #[test]
    fn bad_paths_are_errors() {
        assert!(parse_path("/b/%ff", None).is_err());
        assert!(parse_path("/b/%zz", None).is_err());
    }

    #[rstest]
    #[case(Method::GET, Target::Root, "", S3Op::ListBuckets)]
    #[case(Method::GET, Target::Bucket("b".into()), "list-type", S3Op::ListObjectsV2)]
    #[case(Method::GET, Target::Bucket("b".into()), "", S3Op::ListObjects)]
    #[case(Method::PUT, Target::Bucket("b".into()), "policy", S3Op::PutBucketPolicy)]
    #[case(Method::PUT, Target::Bucket("b".into()), "", S3Op::CreateBucket)]
    #[case(Method::POST, Target::Bucket("b".into()), "delete", S3Op::DeleteObjects)]
    #[case(Method::HEAD, Target::Object("b".into(), "k".into()), "", S3Op::HeadObject)]
    #[case(Method::PUT, Target::Object("b".into(), "k".into()), "partNumber,uploadId", S3Op::UploadPart)]
    #[case(Method::POST, Target::Object("b".into(), "k".into()), "uploads", S3Op::CreateMultipartUpload)]
    #[case(Method::DELETE, Target::Object("b".into(), "k".into()), "uploadId", S3Op::AbortMultipartUpload)]
    #[case(Method::DELETE, Target::Bucket("b".into()), "ownershipControls", S3Op::DeleteBucketOwnershipControls)]
    #[case(Method::DELETE, Target::Bucket("b".into()), "cors", S3Op::DeleteBucketCors)]
    #[case(Method::DELETE, Target::Bucket("b".into()), "tagging", S3Op::DeleteBucketTagging)]
    #[case(Method::PUT, Target::Bucket("b".into()), "versioning", S3Op::PutBucketVersioning)]
    #[case(Method::DELETE, Target::Object("b".into(), "k".into()), "tagging", S3Op::DeleteObjectTagging)]
    #[case(Method::DELETE, Target::Object("b".into(), "k".into()), "versionId", S3Op::DeleteObject)]
    #[case(Method::GET, Target::Object("b".into(), "k".into()), "attributes", S3Op::GetObjectAttributes)]
    #[case(Method::GET, Target::Object("b".into(), "k".into()), "partNumber", S3Op::GetObject)]
    #[case(Method::HEAD, Target::Object("b".into(), "k".into()), "partNumber", S3Op::HeadObject)]
    fn operations(#[case] m: Method, #[case] t: Target, #[case] q: &str, #[case] want: S3Op) {
        let names: Vec<&str> = q.split(',').filter(|s| !s.is_empty()).collect();
        let op = S3Op::resolve(&m, &t, &names, false, false);
        assert_eq!(op.ok(), Some(want));
    }

    #[rstest]
    #[case(Method::DELETE, "metrics")]
    #[case(Method::DELETE, "analytics")]
    #[case(Method::PUT, "requestPayment")]
    #[case(Method::PUT, "accelerate")]
    #[case(Method::GET, "object-lock")]
    #[case(Method::GET, "intelligent-tiering")]
    fn unserved_subresources_never_become_bucket_operations(#[case] m: Method, #[case] sub: &str) {
        let op = S3Op::resolve(&m, &Target::Bucket("b".into()), &[sub], false, false);
        assert_eq!(
            op.err().map(|e| e.code),
            Some("NotImplemented"),
            "{m} ?{sub}"
        );
    }

    #[test]
    fn access_point_labels() {
        assert_eq!(
            split_access_point_label("my-ap-111122223333"),
            Some(("my-ap", "111122223333"))
        );
        assert_eq!(split_access_point_label("bucket"), None);
        assert_eq!(split_access_point_label("-111122223333"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn hosts_and_paths_never_panic(host in "\\PC{0,60}", path in "\\PC{0,60}") {
            let _ = classify_host(&host);
            let _ = parse_path(&path, None);
            let _ = parse_path(&path, Some("b"));
        }
    }
}
