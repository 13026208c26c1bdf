//! CORS: Put/Get/DeleteBucketCors, preflight `OPTIONS` answered by the bucket's rules, and the
//! CORS headers on responses to requests that carry an `Origin`
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html>).
//!
//! A rule matches when one of its `AllowedOrigin`s matches the `Origin` (each may hold one `*`
//! wildcard), its `AllowedMethod`s include the (requested) method, and, for a preflight, every
//! header named in `Access-Control-Request-Headers` matches one of its `AllowedHeader`s
//! (case-insensitive, one `*` wildcard each). The first matching rule answers. An origin rule of
//! exactly `*` answers `Access-Control-Allow-Origin: *`; any other echoes the origin and allows
//! credentials.

use super::*;
use crate::storage::CorsRule;

const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];
/// S3 allows at most 100 rules in a configuration.
const MAX_RULES: usize = 100;

/// Whether `pattern` (at most one `*`, matching any run of characters) matches `text`.
fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t) = if ignore_case {
        (pattern.to_ascii_lowercase(), text.to_ascii_lowercase())
    } else {
        (pattern.to_owned(), text.to_owned())
    };
    match p.split_once('*') {
        None => p == t,
        Some((head, tail)) => {
            t.len() >= head.len() + tail.len() && t.starts_with(head) && t.ends_with(tail)
        }
    }
}

/// Reads a `CORSConfiguration` document, refusing what S3 refuses.
pub(super) fn parse_cors(body: &[u8]) -> Result<Vec<CorsRule>, AwsError> {
    let el = xml::parse(body)?;
    if el.name != "CORSConfiguration" {
        return Err(AwsError::malformed_xml(
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    let texts = |rule: &xml::Element, name: &str| -> Vec<String> {
        rule.children_named(name)
            .map(|c| c.text.trim().to_owned())
            .collect()
    };
    let mut rules = Vec::new();
    for rule in el.children_named("CORSRule") {
        let methods = texts(rule, "AllowedMethod");
        let origins = texts(rule, "AllowedOrigin");
        if methods.is_empty() || origins.is_empty() {
            return Err(AwsError::malformed_xml(
                "The XML you provided was not well-formed or did not validate against our published schema (a CORSRule needs AllowedMethod and AllowedOrigin)",
            ));
        }
        if let Some(m) = methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(AwsError::invalid_request(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
        let headers = texts(rule, "AllowedHeader");
        if let Some(o) = origins
            .iter()
            .chain(headers.iter())
            .find(|o| o.matches('*').count() > 1)
        {
            return Err(AwsError::invalid_request(format!(
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            )));
        }
        let max_age = match rule.child_text("MaxAgeSeconds").map(str::trim) {
            None => None,
            Some(v) => Some(v.parse::<u64>().map_err(|_| {
                AwsError::malformed_xml(format!("MaxAgeSeconds `{v}` is not a whole number"))
            })?),
        };
        rules.push(CorsRule {
            id: rule.child_text("ID").map(|s| s.trim().to_owned()),
            allowed_methods: methods,
            allowed_origins: origins,
            allowed_headers: headers,
            expose_headers: texts(rule, "ExposeHeader"),
            max_age_seconds: max_age,
        });
    }
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(AwsError::malformed_xml(format!(
            "The XML you provided was not well-formed or did not validate against our published schema (a CORS configuration has 1 to {MAX_RULES} rules)"
        )));
    }
    Ok(rules)
}

fn cors_xml(rules: &[CorsRule]) -> String {
    let mut out = format!("<CORSConfiguration xmlns=\"{NS}\">");
    for r in rules {
        out.push_str("<CORSRule>");
        if let Some(id) = &r.id {
            out.push_str(&format!("<ID>{}</ID>", escape(id)));
        }
        for (name, items) in [
            ("AllowedHeader", &r.allowed_headers),
            ("AllowedMethod", &r.allowed_methods),
            ("AllowedOrigin", &r.allowed_origins),
            ("ExposeHeader", &r.expose_headers),
        ] {
            for i in items {
                out.push_str(&format!("<{name}>{}</{name}>", escape(i)));
            }
        }
        if let Some(s) = r.max_age_seconds {
            out.push_str(&format!("<MaxAgeSeconds>{s}</MaxAgeSeconds>"));
        }
        out.push_str("</CORSRule>");
    }
    out.push_str("</CORSConfiguration>");
    out
}

pub(super) fn get_bucket_cors(bucket: &Bucket) -> Result<Resp, AwsError> {
    let rules = bucket.cors.as_ref().ok_or_else(|| {
        AwsError::no_such_cors_configuration("The CORS configuration does not exist")
            .with_resource(&bucket.name)
    })?;
    Ok(Resp::xml(cors_xml(rules)))
}

pub(super) fn put_bucket_cors(
    ctx: &mut Ctx<'_>,
    bucket: &Bucket,
    body: &Bytes,
) -> Result<Resp, AwsError> {
    let rules = parse_cors(body)?;
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.cors = Some(rules);
    }
    Ok(Resp::ok())
}

/// DeleteBucketCors needs `s3:PutBucketCORS`: IAM has no separate delete action.
pub(super) fn delete_bucket_cors(ctx: &mut Ctx<'_>, bucket: &Bucket) -> Result<Resp, AwsError> {
    if let Some(b) = ctx.state.storage_mut().buckets.get_mut(&bucket.name) {
        b.cors = None;
    }
    Ok(Resp::ok().status(StatusCode::NO_CONTENT))
}

/// The first rule allowing `origin` to use `method` with `headers`.
fn matching<'r>(
    rules: &'r [CorsRule],
    origin: &str,
    method: &str,
    headers: &[String],
) -> Option<&'r CorsRule> {
    rules.iter().find(|r| {
        r.allowed_origins.iter().any(|o| wildcard(o, origin, false))
            && r.allowed_methods.iter().any(|m| m == method)
            && headers.iter().all(|h| {
                r.allowed_headers
                    .iter()
                    .any(|pattern| wildcard(pattern, h, true))
            })
    })
}

/// The response headers a matching rule gives.
fn allow_headers(rule: &CorsRule, origin: &str, requested: &[String]) -> Vec<(String, String)> {
    let any_origin = rule.allowed_origins.iter().any(|o| o == "*");
    let mut out = vec![(
        "access-control-allow-origin".to_owned(),
        if any_origin {
            "*".to_owned()
        } else {
            origin.to_owned()
        },
    )];
    out.push((
        "access-control-allow-methods".to_owned(),
        rule.allowed_methods.join(", "),
    ));
    if !any_origin {
        out.push((
            "access-control-allow-credentials".to_owned(),
            "true".to_owned(),
        ));
    }
    if !requested.is_empty() {
        out.push((
            "access-control-allow-headers".to_owned(),
            requested.join(", "),
        ));
    }
    if !rule.expose_headers.is_empty() {
        out.push((
            "access-control-expose-headers".to_owned(),
            rule.expose_headers.join(", "),
        ));
    }
    if let Some(age) = rule.max_age_seconds {
        out.push(("access-control-max-age".to_owned(), age.to_string()));
    }
    out.push((
        "vary".to_owned(),
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".to_owned(),
    ));
    out
}

/// Answers a preflight `OPTIONS` for `bucket` (no signature: browsers never sign preflights).
pub fn preflight(state: &State, bucket: &str, headers: &HeaderMap) -> Result<Resp, AwsError> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let forbidden = |m: &str| AwsError::cors_forbidden(format!("CORSResponse: {m}"));
    let (Some(origin), Some(method)) = (h("origin"), h("access-control-request-method")) else {
        return Err(AwsError::bad_request(
            "Insufficient information. Origin request header needed.",
        ));
    };
    let requested: Vec<String> = h("access-control-request-headers")
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let st = state.storage();
    let b = st.buckets.get(bucket).ok_or_else(|| {
        AwsError::no_such_bucket("The specified bucket does not exist").with_resource(bucket)
    })?;
    let Some(rules) = &b.cors else {
        return Err(forbidden("CORS is not enabled for this bucket."));
    };
    let rule = matching(rules, origin, method, &requested).ok_or_else(|| {
        forbidden("This CORS request is not allowed. This is usually because the evaluation of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
    })?;
    let mut resp = Resp::ok();
    resp.headers = allow_headers(rule, origin, &requested)
        .into_iter()
        .map(|(k, v)| (k.into(), v))
        .collect();
    Ok(resp)
}

/// The CORS headers for an actual (not preflight) request to `bucket` with an `Origin`.
pub fn response_headers(
    state: &State,
    bucket: &str,
    method: &http::Method,
    headers: &HeaderMap,
) -> Vec<(String, String)> {
    let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    let st = state.storage();
    let Some(rules) = st.buckets.get(bucket).and_then(|b| b.cors.as_ref()) else {
        return Vec::new();
    };
    matching(rules, origin, method.as_str(), &[])
        .map(|rule| allow_headers(rule, origin, &[]))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_headers_take_one_wildcard() {
        assert!(wildcard(
            "http://*.example.com",
            "http://www.example.com",
            false
        ));
        assert!(!wildcard(
            "http://*.example.com",
            "https://www.example.com",
            false
        ));
        assert!(wildcard("*", "null", false));
        assert!(wildcard("x-amz-*", "X-Amz-Date", true));
        assert!(!wildcard(
            "http://a.example.com",
            "http://A.example.com",
            false
        ));
        assert!(
            !wildcard("ab*ba", "aba", false),
            "head and tail must not overlap"
        );
    }

    #[test]
    fn rules_are_validated_as_s3_does() {
        let ok = br#"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>"#;
        let rules = parse_cors(ok).unwrap_or_default();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].max_age_seconds, Some(3000));
        for bad in [
            &br#"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>"#[..],
            br#"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"#,
            br#"<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"#,
            br#"<CORSConfiguration></CORSConfiguration>"#,
            br#"<Other/>"#,
        ] {
            assert!(parse_cors(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_first_matching_rule_answers() {
        let rules = vec![
            CorsRule {
                id: None,
                allowed_methods: vec!["PUT".into(), "POST".into()],
                allowed_origins: vec!["https://*.example.org".into()],
                allowed_headers: vec!["*".into()],
                expose_headers: vec!["ETag".into()],
                max_age_seconds: Some(600),
            },
            CorsRule {
                id: None,
                allowed_methods: vec!["GET".into()],
                allowed_origins: vec!["*".into()],
                allowed_headers: vec![],
                expose_headers: vec![],
                max_age_seconds: None,
            },
        ];
        let put = matching(
            &rules,
            "https://up.example.org",
            "POST",
            &["content-type".into()],
        );
        assert!(put.is_some_and(|r| r.max_age_seconds == Some(600)));
        let headers = allow_headers(put.unwrap_or(&rules[0]), "https://up.example.org", &[]);
        assert!(headers.contains(&(
            "access-control-allow-origin".into(),
            "https://up.example.org".into()
        )));
        assert!(headers.contains(&("access-control-allow-credentials".into(), "true".into())));
        let get = matching(&rules, "http://anywhere", "GET", &[]);
        assert!(get.is_some_and(|r| r.allowed_origins == ["*"]));
        assert!(matching(&rules, "http://anywhere", "GET", &["x-custom".into()]).is_none());
        assert!(matching(&rules, "http://anywhere", "DELETE", &[]).is_none());
    }
}
