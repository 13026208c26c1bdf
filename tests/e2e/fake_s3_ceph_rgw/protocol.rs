//! The protocol differences of issue 23's findings (D12–D25), as RGW 16.2 answered them, and the
//! AWS-dialect changes AWS's documentation confirmed on the way (each test says which).

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketCannedAcl, BucketVersioningStatus, EncodingType, ObjectCannedAcl, ObjectOwnership, Tag,
    Tagging, VersioningConfiguration,
};
use fake_s3::sigv4;
use rstest::rstest;
use serde_json::{json, Value};

use super::{get, lab, mkbucket, put, Lab};
use crate::support::err_code;

/// The body of a failed call's response.
fn error_body<T, E>(r: Result<T, SdkError<E, aws_sdk_s3::config::http::HttpResponse>>) -> String {
    let e = r.err().unwrap_or_else(|| panic!("the call succeeded"));
    let bytes = e.raw_response().and_then(|r| r.body().bytes());
    String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned()
}

/// D12: RGW's error body has an empty `<Message>` for these codes, names the bucket in
/// `<BucketName>` and has no `<Resource>`.
#[tokio::test]
async fn errors_take_rgws_shape() {
    let lab = lab().await;
    let (pi, mallory) = (lab.s3("pi"), lab.s3("mallory"));
    mkbucket(&pi, "errs").await;
    put(&pi, "errs", "k", None).await;
    for (body, code, bucket) in [
        (
            error_body(pi.get_object().bucket("errs").key("missing").send().await),
            "NoSuchKey",
            "errs",
        ),
        (
            error_body(pi.get_object().bucket("nosuch").key("k").send().await),
            "NoSuchBucket",
            "nosuch",
        ),
        (
            error_body(mallory.get_object().bucket("errs").key("k").send().await),
            "AccessDenied",
            "errs",
        ),
        (
            lab.anonymous("GET", "/errs/k", "").await.1,
            "AccessDenied",
            "errs",
        ),
    ] {
        assert!(
            body.contains(&format!("<Code>{code}</Code><Message></Message>")),
            "{body}"
        );
        assert!(
            body.contains(&format!("<BucketName>{bucket}</BucketName>")),
            "{body}"
        );
        assert!(!body.contains("<Resource>"), "{body}");
    }
    let body = error_body(pi.get_bucket_policy().bucket("errs").send().await);
    assert!(
        body.contains("<Message>The bucket policy does not exist</Message>"),
        "{body}"
    );
}

fn amz_now() -> (String, String) {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let amz = time::OffsetDateTime::now_utc()
        .format(fmt)
        .unwrap_or_default();
    (amz[..8].to_owned(), amz)
}

/// A URL for GET `path` presigned by `user` (SigV4), valid for `expires` seconds.
fn presigned(lab: &Lab, user: &str, path: &str, expires: i64) -> String {
    let creds = lab.creds(user);
    let (date, amz) = amz_now();
    let scope = format!("{date}/us-east-1/s3/aws4_request");
    let pairs: Vec<(String, String)> = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
        (
            "X-Amz-Credential",
            format!("{}/{scope}", creds.access_key_id),
        ),
        ("X-Amz-Date", amz.clone()),
        ("X-Amz-Expires", expires.to_string()),
        ("X-Amz-SignedHeaders", "host".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let query = sigv4::canonical_query(&pairs);
    let host = lab.fake.addr().to_string();
    let request = sigv4::canonical_request(
        "GET",
        &sigv4::canonical_uri(path),
        &query,
        &["host".to_owned()],
        |_| Some(host.clone()),
        "UNSIGNED-PAYLOAD",
    )
    .unwrap_or_default();
    let key = sigv4::signing_key(&creds.secret_access_key, &date, "us-east-1", "s3");
    let signature = sigv4::signature(&key, &sigv4::string_to_sign(&amz, &scope, &request));
    format!(
        "{}{path}?{query}&X-Amz-Signature={signature}",
        lab.fake.endpoint()
    )
}

async fn status_and_code(url: &str) -> (u16, String) {
    let reply = reqwest::get(url).await.unwrap_or_else(|e| panic!("{e}"));
    let status = reply.status().as_u16();
    let body = reply.text().await.unwrap_or_default();
    let code = body
        .split("<Code>")
        .nth(1)
        .and_then(|r| r.split("</Code>").next())
        .unwrap_or_default()
        .to_owned();
    (status, code)
}

/// D15: a presigned URL whose `X-Amz-Expires` is outside 1–604800 is refused as an expired one
/// is on RGW (403 AccessDenied); AWS says 400 AuthorizationQueryParametersError.
#[rstest]
#[case(60, 200, "")]
#[case(604_800, 200, "")]
#[case(0, 403, "AccessDenied")]
#[case(-1, 403, "AccessDenied")]
#[case(604_801, 403, "AccessDenied")]
#[tokio::test]
async fn presigned_expiry_out_of_range_is_access_denied(
    #[case] expires: i64,
    #[case] status: u16,
    #[case] code: &str,
) {
    let lab = lab().await;
    let pi = lab.s3("pi");
    mkbucket(&pi, "presign").await;
    put(&pi, "presign", "k", None).await;
    let url = presigned(&lab, "pi", "/presign/k", expires);
    assert_eq!(status_and_code(&url).await, (status, code.to_owned()));
}

/// D16: a signed GET applies all six `response-*` overrides (both dialects: API_GetObject lists
/// the six); RGW ignores them on an anonymous GET, and sends no Content-Type for an object stored
/// without one.
#[tokio::test]
async fn response_overrides_as_rgw_applies_them() {
    let lab = lab().await;
    let pi = lab.s3("pi");
    mkbucket(&pi, "overrides").await;
    put(&pi, "overrides", "foo", None).await;
    let o = pi
        .get_object()
        .bucket("overrides")
        .key("foo")
        .response_cache_control("no-cache")
        .response_content_disposition("bla")
        .response_content_encoding("aaa")
        .response_content_language("esperanto")
        .response_content_type("foo/bar")
        .response_expires(DateTime::from_secs(123))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(o.content_type(), Some("foo/bar"));
    assert_eq!(o.content_disposition(), Some("bla"));
    assert_eq!(o.content_encoding(), Some("aaa"));
    assert_eq!(o.content_language(), Some("esperanto"));
    assert_eq!(o.cache_control(), Some("no-cache"));
    assert_eq!(o.expires_string(), Some("Thu, 01 Jan 1970 00:02:03 GMT"));
    put(&pi, "overrides", "pub", Some(ObjectCannedAcl::PublicRead)).await;
    let anonymous = |path: &str| {
        let url = format!("{}{path}", lab.fake.endpoint());
        async move { reqwest::get(url).await.unwrap_or_else(|e| panic!("{e}")) }
    };
    let reply = anonymous("/overrides/pub?response-content-type=foo/bar").await;
    assert_eq!(reply.status().as_u16(), 200);
    let content_type = reply.headers().get("content-type");
    assert_eq!(
        content_type.and_then(|v| v.to_str().ok()),
        Some("application/octet-stream"),
        "the type the SDK stored, not the override"
    );
    // An object written without a Content-Type has none on RGW.
    pi.create_bucket()
        .bucket("pubrw")
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(lab.anonymous("PUT", "/pubrw/raw", "x").await.0, 200);
    let raw = pi.get_object().bucket("pubrw").key("raw").send().await;
    let raw = raw.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(raw.content_type(), None);
}

/// D17: `encoding-type=url` encodes `/` too on RGW.
#[tokio::test]
async fn url_encoded_listings_encode_slashes() {
    let lab = lab().await;
    let pi = lab.s3("pi");
    mkbucket(&pi, "listing").await;
    for k in ["dir/a", "sp ace"] {
        put(&pi, "listing", k, None).await;
    }
    let listed = pi
        .list_objects_v2()
        .bucket("listing")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["dir%2Fa", "sp%20ace"]);
}

/// D18 (both dialects, API_GetBucketLifecycleConfiguration), D19, D20: the bucket calls
/// `s3cmd info` and s3keeper make.
#[tokio::test]
async fn bucket_configuration_reads_as_rgw_answers() {
    let lab = lab().await;
    let pi = lab.s3("pi");
    mkbucket(&pi, "calls").await;
    let lifecycle = pi
        .get_bucket_lifecycle_configuration()
        .bucket("calls")
        .send()
        .await;
    assert_eq!(
        err_code(lifecycle).as_deref(),
        Some("NoSuchLifecycleConfiguration")
    );
    let pab = pi
        .get_public_access_block()
        .bucket("calls")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let flags = pab.public_access_block_configuration();
    for flag in [
        flags.and_then(|f| f.block_public_acls()),
        flags.and_then(|f| f.ignore_public_acls()),
        flags.and_then(|f| f.block_public_policy()),
        flags.and_then(|f| f.restrict_public_buckets()),
    ] {
        assert_eq!(flag, Some(false));
    }
    let controls = pi
        .get_bucket_ownership_controls()
        .bucket("calls")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let rules = controls.ownership_controls().map(|c| c.rules().len());
    assert_eq!(
        rules.unwrap_or_default(),
        0,
        "RGW 16.2 has no Object Ownership"
    );
}

/// D21–D23: multipart as RGW answers it.
#[tokio::test]
async fn multipart_answers_as_rgw() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let lab = lab().await;
    let (pi, status) = lab.s3_with_status("pi");
    mkbucket(&pi, "mpu").await;
    put(&pi, "mpu", "src", None).await;
    let up = pi
        .create_multipart_upload()
        .bucket("mpu")
        .key("one")
        .send()
        .await;
    let id = up.ok().and_then(|u| u.upload_id).unwrap_or_default();
    // D22: a range past the end, or reversed, is 416 InvalidRange.
    for range in ["bytes=0-21", "bytes=3-1"] {
        let copy = pi
            .upload_part_copy()
            .bucket("mpu")
            .key("one")
            .upload_id(&id)
            .part_number(1)
            .copy_source("mpu/src")
            .copy_source_range(range)
            .send()
            .await;
        assert_eq!(err_code(copy).as_deref(), Some("InvalidRange"), "{range}");
        assert_eq!(status.get(), 416, "{range}");
    }
    let part = pi
        .upload_part()
        .bucket("mpu")
        .key("one")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let done = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .set_e_tag(part.e_tag().map(str::to_owned))
                .build(),
        )
        .build();
    for attempt in ["first", "again"] {
        // D21: completing a completed upload again answers 200 (s3-tests test_multipart_upload_small).
        let r = pi
            .complete_multipart_upload()
            .bucket("mpu")
            .key("one")
            .upload_id(&id)
            .multipart_upload(done.clone())
            .send()
            .await;
        assert_eq!(err_code(r), None, "{attempt}");
    }
    // D23: the parts of an aborted upload: NoSuchKey.
    let up = pi
        .create_multipart_upload()
        .bucket("mpu")
        .key("two")
        .send()
        .await;
    let id = up.ok().and_then(|u| u.upload_id).unwrap_or_default();
    pi.abort_multipart_upload()
        .bucket("mpu")
        .key("two")
        .upload_id(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let parts = pi
        .list_parts()
        .bucket("mpu")
        .key("two")
        .upload_id(&id)
        .send()
        .await;
    assert_eq!(err_code(parts).as_deref(), Some("NoSuchKey"));
}

/// D24, D25: versioning and tagging codes and statuses as RGW answers them.
#[tokio::test]
async fn versioning_and_tagging_answer_as_rgw() {
    let lab = lab().await;
    let (pi, status) = lab.s3_with_status("pi");
    mkbucket(&pi, "vtags").await;
    put(&pi, "vtags", "k", None).await;
    let bad = pi
        .get_object()
        .bucket("vtags")
        .key("k")
        .version_id("nosuchversion")
        .send()
        .await;
    assert_eq!(err_code(bad).as_deref(), Some("NoSuchKey"));
    let bogus = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::from("Bogus"))
        .build();
    let r = pi
        .put_bucket_versioning()
        .bucket("vtags")
        .versioning_configuration(bogus)
        .send()
        .await;
    assert_eq!(err_code(r).as_deref(), Some("InvalidArgument"));
    let tag = |k: String| Tag::builder().key(k).value("v").build();
    let eleven: Result<Vec<Tag>, _> = (0..11).map(|i| tag(format!("k{i}"))).collect();
    let eleven = Tagging::builder()
        .set_tag_set(Some(eleven.unwrap_or_else(|e| panic!("{e}"))))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = pi
        .put_object_tagging()
        .bucket("vtags")
        .key("k")
        .tagging(eleven)
        .send()
        .await;
    assert_eq!(err_code(r).as_deref(), Some("InvalidTag"));
    let lab_tag = Tagging::builder()
        .tag_set(tag("lab".to_owned()).unwrap_or_else(|e| panic!("{e}")))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    pi.put_bucket_tagging()
        .bucket("vtags")
        .tagging(lab_tag)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(status.get(), 200);
    pi.delete_bucket_tagging()
        .bucket("vtags")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(status.get(), 200);
}

/// A browser form for `bucket`: `fields`, then a SigV4 policy with `conditions` (default: every
/// field, exactly) signed by `user` unless `sign` is false.
fn form(
    lab: &Lab,
    user: &str,
    bucket: &str,
    fields: &[(&str, &str)],
    conditions: Option<Value>,
    sign: bool,
) -> Vec<(String, String)> {
    use base64::Engine;
    let creds = lab.creds(user);
    let (date, amz) = amz_now();
    let credential = format!("{}/{date}/us-east-1/s3/aws4_request", creds.access_key_id);
    let mut out: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    out.push(("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()));
    out.push(("x-amz-credential".into(), credential));
    out.push(("x-amz-date".into(), amz));
    let conditions = conditions.unwrap_or_else(|| {
        let mut c = vec![json!({"bucket": bucket})];
        c.extend(out.iter().map(|(k, v)| json!({ k.as_str(): v })));
        Value::Array(c)
    });
    let policy = json!({"expiration": "2100-01-01T00:00:00Z", "conditions": conditions});
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let key = sigv4::signing_key(&creds.secret_access_key, &date, "us-east-1", "s3");
    let signature = sigv4::signature(&key, &policy);
    out.push(("policy".into(), policy));
    if sign {
        out.push(("x-amz-signature".into(), signature));
    }
    out
}

/// POSTs `fields` and a file to `bucket`; the status, the `Location` header and the body.
pub(super) async fn post(
    fake: &fake_s3::FakeAwsHandle,
    bucket: &str,
    fields: &[(String, String)],
) -> (u16, String) {
    let boundary = "ceph-rgw-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\nContent-Type: text/plain\r\n\r\npost body\r\n--{boundary}--\r\n"
    ));
    let reply = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .post(format!("{}/{bucket}", fake.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = reply.status().as_u16();
    let location = reply
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location)
}

/// D13 (both dialects: RESTObjectPOST's `success_action_redirect`), D14, and an anonymous form to
/// a `public-read-write` bucket (RESTObjectPOST: a form without a policy is anonymous and succeeds
/// only on a publicly writable bucket).
#[tokio::test]
async fn browser_forms_answer_as_rgw() {
    let lab = lab().await;
    let pi = lab.s3("pi");
    mkbucket(&pi, "postval").await;
    let redirect = form(
        &lab,
        "pi",
        "postval",
        &[
            ("key", "r.txt"),
            ("success_action_redirect", "http://example.invalid/done"),
        ],
        None,
        true,
    );
    let (status, location) = post(&lab.fake, "postval", &redirect).await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with("http://example.invalid/done?bucket=postval&key=r.txt&etag="),
        "{location}"
    );
    let unsigned = form(&lab, "pi", "postval", &[("key", "a")], None, false);
    assert_eq!(
        post(&lab.fake, "postval", &unsigned).await.0,
        400,
        "no x-amz-signature"
    );
    let empty = form(
        &lab,
        "pi",
        "postval",
        &[("key", "e")],
        Some(json!([{}])),
        true,
    );
    assert_eq!(
        post(&lab.fake, "postval", &empty).await.0,
        400,
        "conditions [{{}}]"
    );
    let range =
        json!([{"bucket": "postval"}, ["starts-with", "$key", ""], ["content-length-range", 0, 3]]);
    let big = form(&lab, "pi", "postval", &[("key", "big")], Some(range), true);
    assert_eq!(
        post(&lab.fake, "postval", &big).await.0,
        403,
        "RGW: AccessDenied"
    );
    let mut forged = form(&lab, "pi", "postval", &[("key", "bad")], None, true);
    if let Some(s) = forged.iter_mut().find(|(k, _)| k == "x-amz-signature") {
        s.1 = "0".repeat(64);
    }
    assert_eq!(post(&lab.fake, "postval", &forged).await.0, 403);
    pi.create_bucket()
        .bucket("postanon")
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let anonymous: Vec<(String, String)> = [("key", "anon.txt"), ("acl", "public-read")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(post(&lab.fake, "postanon", &anonymous).await.0, 204);
    assert_eq!(
        lab.anonymous("GET", "/postanon/anon.txt", "").await,
        (200, "post body".to_owned())
    );
    assert_eq!(
        post(&lab.fake, "postval", &anonymous).await.0,
        403,
        "a private bucket"
    );
}

/// The AWS dialect, where AWS's documentation confirms the change: CreateBucket's ACL
/// (API_CreateBucket; `InvalidBucketAclWithObjectOwnership` with ACLs disabled,
/// object-ownership-error-responses), GetBucketLifecycleConfiguration's 404, a form's
/// `success_action_redirect` and a form without its signature.
#[tokio::test]
async fn the_aws_dialect_takes_what_aws_documents() {
    let fake = fake_s3::FakeAws::builder()
        .account("111122223333")
        .account("444455556666")
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials("111122223333")
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    let enforced = s3
        .create_bucket()
        .bucket("enforced")
        .acl(BucketCannedAcl::AuthenticatedRead)
        .send()
        .await;
    assert_eq!(
        err_code(enforced).as_deref(),
        Some("InvalidBucketAclWithObjectOwnership")
    );
    s3.create_bucket()
        .bucket("private")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let other = fake
        .root_credentials("444455556666")
        .unwrap_or_else(|e| panic!("{e}"));
    let other = aws_sdk_s3::Client::new(&fake.sdk_config(&other));
    s3.create_bucket()
        .bucket("writer")
        .object_ownership(ObjectOwnership::ObjectWriter)
        .grant_read(format!("id=\"{}\"", canonical(&other).await))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let acl = s3
        .get_bucket_acl()
        .bucket("writer")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        acl.grants().len(),
        2,
        "the owner's full control and the READ asked for"
    );
    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket("private")
        .send()
        .await;
    assert_eq!(
        err_code(lifecycle).as_deref(),
        Some("NoSuchLifecycleConfiguration")
    );
    let lab = Lab::for_root(fake, root);
    let redirect = form(
        &lab,
        "root",
        "private",
        &[
            ("key", "r.txt"),
            ("success_action_redirect", "https://example.invalid/"),
        ],
        None,
        true,
    );
    let (status, location) = post(&lab.fake, "private", &redirect).await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with("https://example.invalid/?bucket=private&key=r.txt&etag="),
        "{location}"
    );
    let unsigned = form(&lab, "root", "private", &[("key", "a")], None, false);
    assert_eq!(post(&lab.fake, "private", &unsigned).await.0, 400);
    assert_eq!(
        get(&lab.s3("root"), "private", "a").await.as_deref(),
        Some("NoSuchKey")
    );
}

async fn canonical(s3: &aws_sdk_s3::Client) -> String {
    let listed = s3
        .list_buckets()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    listed
        .owner()
        .and_then(|o| o.id())
        .unwrap_or_default()
        .to_owned()
}
