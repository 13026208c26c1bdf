//! CORS on fake-s3 as S3 does it: the configuration through the SDK, preflights answered by the
//! rules without a signature, and CORS headers on actual responses (browser uploads need them).

use crate::support::fake_with_bucket;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};

const OWNER: &str = "111122223333";
const BUCKET: &str = "cors-bucket";

fn rule(origins: &[&str], methods: &[&str], headers: &[&str], expose: &[&str]) -> CorsRule {
    let mut b = CorsRule::builder().max_age_seconds(3000);
    for o in origins {
        b = b.allowed_origins(*o);
    }
    for m in methods {
        b = b.allowed_methods(*m);
    }
    for h in headers {
        b = b.allowed_headers(*h);
    }
    for e in expose {
        b = b.expose_headers(*e);
    }
    b.build().unwrap_or_else(|e| panic!("{e}"))
}

async fn preflight(
    endpoint: &str,
    path: &str,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut req = client
        .request(reqwest::Method::OPTIONS, format!("{endpoint}{path}"))
        .header("origin", origin)
        .header("access-control-request-method", method);
    if let Some(h) = headers {
        req = req.header("access-control-request-headers", h);
    }
    req.send().await.unwrap_or_else(|e| panic!("{e}"))
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn cors_rules_answer_preflights_and_mark_responses() {
    let (fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let endpoint = fake.endpoint();

    // No configuration: GetBucketCors says so, and preflights are refused.
    let none = s3.get_bucket_cors().bucket(BUCKET).send().await;
    assert_eq!(
        none.err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("NoSuchCORSConfiguration")
    );
    let r = preflight(
        &endpoint,
        &format!("/{BUCKET}/k"),
        "https://app.example.org",
        "PUT",
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(r
        .text()
        .await
        .unwrap_or_default()
        .contains("CORS is not enabled for this bucket"));

    let config = CorsConfiguration::builder()
        .cors_rules(rule(
            &["https://*.example.org"],
            &["PUT", "POST"],
            &["*"],
            &["ETag"],
        ))
        .cors_rules(rule(&["*"], &["GET"], &[], &[]))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    s3.put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(config)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let got = s3
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(got.cors_rules().len(), 2);
    assert_eq!(
        got.cors_rules()[0].allowed_origins(),
        ["https://*.example.org"]
    );
    assert_eq!(got.cors_rules()[0].expose_headers(), ["ETag"]);

    // A matching preflight: origin echoed, credentials allowed, headers echoed, max age, Vary.
    let r = preflight(
        &endpoint,
        &format!("/{BUCKET}/uploads/a.bin"),
        "https://up.example.org",
        "PUT",
        Some("Content-Type, x-amz-meta-batch"),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some("https://up.example.org")
    );
    assert_eq!(
        header(&r, "access-control-allow-methods").as_deref(),
        Some("PUT, POST")
    );
    assert_eq!(
        header(&r, "access-control-allow-headers").as_deref(),
        Some("content-type, x-amz-meta-batch")
    );
    assert_eq!(
        header(&r, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert_eq!(
        header(&r, "access-control-max-age").as_deref(),
        Some("3000")
    );
    assert!(header(&r, "vary").is_some_and(|v| v.contains("Origin")));
    // The `*` rule: any origin may GET, answered with `*` and no credentials.
    let r = preflight(
        &endpoint,
        &format!("/{BUCKET}/k"),
        "http://elsewhere.test",
        "GET",
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(header(&r, "access-control-allow-credentials"), None);
    // No rule allows this origin to PUT, nor a header the GET rule does not list.
    for (origin, method, headers) in [
        ("https://example.org", "PUT", None),
        ("https://evil.test", "DELETE", None),
        ("http://elsewhere.test", "GET", Some("x-custom")),
    ] {
        let r = preflight(&endpoint, &format!("/{BUCKET}/k"), origin, method, headers).await;
        assert_eq!(r.status().as_u16(), 403, "{origin} {method}");
        let body = r.text().await.unwrap_or_default();
        assert!(body.contains("<Code>AccessForbidden</Code>"), "{body}");
    }

    // An actual request with an Origin gets the headers of the rule that matches it.
    s3.put_object()
        .bucket(BUCKET)
        .key("k")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let public = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = public
        .get(format!("{endpoint}/{BUCKET}/k"))
        .header("origin", "http://elsewhere.test")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Anonymous, so refused; the browser can still read that it was refused.
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let r = public
        .get(format!("{endpoint}/{BUCKET}/k"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        header(&r, "access-control-allow-origin"),
        None,
        "no Origin, no CORS headers"
    );

    s3.delete_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let r = preflight(
        &endpoint,
        &format!("/{BUCKET}/k"),
        "http://elsewhere.test",
        "GET",
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn a_cors_configuration_s3_would_refuse_is_refused() {
    let (_fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    let config = CorsConfiguration::builder()
        .cors_rules(rule(&["*"], &["PATCH"], &[], &[]))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = s3
        .put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(config)
        .send()
        .await
        .err()
        .unwrap_or_else(|| panic!("PATCH accepted"));
    assert_eq!(err.code(), Some("InvalidRequest"));
    assert!(err
        .message()
        .unwrap_or_default()
        .contains("Unsupported method is PATCH"));
}
