//! Issue 21's POST-object and presigned/raw-request items, in the AWS dialect, from AWS's pages:
//! browser forms (<https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>:
//! `success_action_status` 200/201/204, any other value 204; `success_action_redirect` 303 to the
//! URL with `bucket`, `key` and `etag`, ignored when it is no URL; a form without policy or
//! signature is anonymous and needs a bucket that lets anyone write;
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>: the
//! policy's `expiration` is an ISO 8601 date, a malformed policy is 400 `InvalidPolicyDocument`
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>)), and presigned URLs
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>:
//! `X-Amz-Expires` 1–604800; a negative or larger value is 400
//! `AuthorizationQueryParametersError`, 0 and an elapsed URL 403 `AccessDenied`), and reads of a
//! deleted object or bucket through a signed URL (404 where the signer may list the bucket).

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketCannedAcl, ObjectOwnership};
use fake_s3::{sigv4, Credentials, FakeAws, FakeAwsHandle};
use rstest::rstest;
use serde_json::{json, Value};

const OWNER: &str = "111122223333";
const BUCKET: &str = "forms";

struct World {
    fake: FakeAwsHandle,
    root: Credentials,
    s3: aws_sdk_s3::Client,
}

async fn world() -> World {
    let fake = FakeAws::builder()
        .account(OWNER)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    World { fake, root, s3 }
}

fn amz_now(at: time::OffsetDateTime) -> (String, String) {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let amz = at.format(fmt).unwrap_or_default();
    (amz[..8].to_owned(), amz)
}

/// What a form is made of beyond its fields.
struct Form<'a> {
    fields: Vec<(&'a str, &'a str)>,
    /// The policy's `bucket` condition.
    bucket: &'a str,
    expiration: &'a str,
    /// Replaces the conditions made from the fields.
    conditions: Option<Value>,
    /// Replaces the form's `x-amz-date` (the policy's condition names it too).
    amz_date: Option<&'a str>,
    sign: bool,
}

impl<'a> Form<'a> {
    fn new(fields: &[(&'a str, &'a str)]) -> Self {
        Form {
            fields: fields.to_vec(),
            bucket: BUCKET,
            expiration: "2100-01-01T00:00:00Z",
            conditions: None,
            amz_date: None,
            sign: true,
        }
    }

    /// The form's fields, signed (SigV4) with `creds`.
    fn build(&self, creds: &Credentials) -> Vec<(String, String)> {
        use base64::Engine;
        let (date, amz) = amz_now(time::OffsetDateTime::now_utc());
        let credential = format!("{}/{date}/us-east-1/s3/aws4_request", creds.access_key_id);
        let mut out: Vec<(String, String)> = self
            .fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        out.push(("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()));
        out.push(("x-amz-credential".into(), credential));
        out.push((
            "x-amz-date".into(),
            self.amz_date.unwrap_or(&amz).to_owned(),
        ));
        let conditions = self.conditions.clone().unwrap_or_else(|| {
            let mut c = vec![json!({"bucket": self.bucket})];
            c.extend(out.iter().map(|(k, v)| json!({ k.as_str(): v })));
            Value::Array(c)
        });
        let policy = json!({"expiration": self.expiration, "conditions": conditions});
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let key = sigv4::signing_key(&creds.secret_access_key, &date, "us-east-1", "s3");
        let signature = sigv4::signature(&key, &policy);
        out.push(("policy".into(), policy));
        if self.sign {
            out.push(("x-amz-signature".into(), signature));
        }
        out
    }
}

/// An answer: status, `Location` header, body.
struct Reply {
    status: u16,
    location: String,
    body: String,
}

impl Reply {
    fn code(&self) -> &str {
        self.body
            .split("<Code>")
            .nth(1)
            .and_then(|r| r.split("</Code>").next())
            .unwrap_or_default()
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn reply(r: reqwest::Response) -> Reply {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = r.text().await.unwrap_or_default();
    Reply {
        status,
        location,
        body,
    }
}

/// POSTs `fields` and a file to `bucket`.
async fn post(fake: &FakeAwsHandle, bucket: &str, fields: &[(String, String)]) -> Reply {
    let boundary = "post-presigned-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\nContent-Type: text/plain\r\n\r\nposted\r\n--{boundary}--\r\n"
    ));
    let r = http()
        .post(format!("{}/{bucket}", fake.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    reply(r).await
}

fn plain(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn exists(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> bool {
    s3.head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .is_ok()
}

/// RESTObjectPOST: 200 and 204 answer an empty document, 201 a `PostResponse`; a value that is
/// not one of the three is 204.
#[rstest]
#[case(Some("200"), 200, false)]
#[case(Some("201"), 201, true)]
#[case(Some("204"), 204, false)]
#[case(Some("404"), 204, false)]
#[case(Some("created"), 204, false)]
#[case(Some(""), 204, false)]
#[case(None, 204, false)]
#[tokio::test]
async fn success_action_status_picks_the_answer(
    #[case] status: Option<&str>,
    #[case] want: u16,
    #[case] document: bool,
) {
    let w = world().await;
    let mut fields = vec![("key", "s.txt")];
    if let Some(s) = status {
        fields.push(("success_action_status", s));
    }
    let r = post(&w.fake, BUCKET, &Form::new(&fields).build(&w.root)).await;
    assert_eq!(r.status, want, "{}", r.body);
    assert_eq!(r.body.contains("<PostResponse>"), document, "{}", r.body);
    if document {
        for part in [
            "<Bucket>forms</Bucket>",
            "<Key>s.txt</Key>",
            "<Location>",
            "<ETag>",
        ] {
            assert!(r.body.contains(part), "{part}: {}", r.body);
        }
    } else {
        assert!(r.body.is_empty(), "{}", r.body);
    }
    assert!(exists(&w.s3, BUCKET, "s.txt").await);
}

/// RESTObjectPOST: `success_action_redirect` sends the browser (303) to the URL with the bucket,
/// key and ETag appended, over `success_action_status`; a value S3 cannot read as a URL is as if
/// absent; a refused upload is an error, never a redirect.
#[rstest]
#[case("https://example.invalid/done", None, 303)]
#[case("https://example.invalid/done?from=form", Some("201"), 303)]
#[case("not a url", None, 204)]
#[case("not a url", Some("201"), 201)]
#[tokio::test]
async fn success_action_redirect_sends_the_browser_on(
    #[case] url: &str,
    #[case] status: Option<&str>,
    #[case] want: u16,
) {
    let w = world().await;
    let mut fields = vec![("key", "r.txt"), ("success_action_redirect", url)];
    if let Some(s) = status {
        fields.push(("success_action_status", s));
    }
    let r = post(&w.fake, BUCKET, &Form::new(&fields).build(&w.root)).await;
    assert_eq!(r.status, want, "{}", r.body);
    if want == 303 {
        let sep = if url.contains('?') { '&' } else { '?' };
        assert!(
            r.location
                .starts_with(&format!("{url}{sep}bucket=forms&key=r.txt&etag=")),
            "{}",
            r.location
        );
    }
    let mut expired = Form::new(&[
        ("key", "late.txt"),
        ("success_action_redirect", "https://example.invalid/done"),
    ]);
    expired.expiration = "2001-01-01T00:00:00Z";
    let r = post(&w.fake, BUCKET, &expired.build(&w.root)).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"), "{}", r.body);
    assert!(r.location.is_empty());
}

/// How the bucket is opened to anonymous writers.
#[derive(Debug, Clone, Copy)]
enum Opened {
    Not,
    /// A bucket policy allowing `s3:PutObject` to `"*"` (ACLs disabled).
    ByPolicy,
    /// ACLs enabled (`ObjectWriter`) and `public-read-write`.
    ByAcl,
    /// The policy, with the public access block still on (S3's default for a new bucket).
    PolicyBlocked,
}

/// RESTObjectPOST: a form without policy or signature is anonymous, and S3 takes it only where
/// the bucket lets anyone write: a bucket policy (`Principal: "*"`) or, ACLs enabled, a
/// `public-read-write` ACL; S3's default public access block refuses both
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html>).
#[rstest]
#[case(Opened::Not, 403)]
#[case(Opened::ByPolicy, 204)]
#[case(Opened::ByAcl, 204)]
#[case(Opened::PolicyBlocked, 403)]
#[tokio::test]
async fn anonymous_forms_need_a_bucket_open_to_anyone(#[case] opened: Opened, #[case] want: u16) {
    let w = world().await;
    let bucket = "anon-forms";
    let mut create = w.s3.create_bucket().bucket(bucket);
    if matches!(opened, Opened::ByAcl) {
        create = create.object_ownership(ObjectOwnership::ObjectWriter);
    }
    create.send().await.unwrap_or_else(|e| panic!("{e:?}"));
    if !matches!(opened, Opened::PolicyBlocked) {
        w.s3.delete_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    match opened {
        Opened::Not => {}
        Opened::ByPolicy | Opened::PolicyBlocked => {
            let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": "*", "Action": "s3:PutObject",
                "Resource": format!("arn:aws:s3:::{bucket}/*")}]});
            let put =
                w.s3.put_bucket_policy()
                    .bucket(bucket)
                    .policy(policy.to_string())
                    .send()
                    .await;
            assert_eq!(put.is_ok(), matches!(opened, Opened::ByPolicy), "{put:?}");
        }
        Opened::ByAcl => {
            w.s3.put_bucket_acl()
                .bucket(bucket)
                .acl(BucketCannedAcl::PublicReadWrite)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
    }
    let r = post(&w.fake, bucket, &plain(&[("key", "anon.txt")])).await;
    assert_eq!(r.status, want, "{}", r.body);
    assert_eq!(exists(&w.s3, bucket, "anon.txt").await, want == 204);
}

/// A form's own faults and their status codes: a signer without a signature (400
/// `InvalidArgument`), a malformed policy (`{}` as a condition, an `expiration` that is no ISO
/// 8601 date: 400 `InvalidPolicyDocument`), an `x-amz-date` that is no date or not the
/// credential's day (400 `InvalidArgument`), an expired policy and a form whose `bucket`
/// condition names another bucket (403 `AccessDenied`).
#[rstest]
#[case::missing_signature("missing signature", 400, "InvalidArgument")]
#[case::empty_condition("empty condition", 400, "InvalidPolicyDocument")]
#[case::expiration_not_iso("expiration not ISO 8601", 400, "InvalidPolicyDocument")]
#[case::amz_date_malformed("x-amz-date malformed", 400, "InvalidArgument")]
#[case::amz_date_other_day("x-amz-date another day", 400, "InvalidArgument")]
#[case::expired("expired", 403, "AccessDenied")]
#[case::other_bucket("signed for another bucket", 403, "AccessDenied")]
#[tokio::test]
async fn faulty_forms_get_s3s_status(#[case] fault: &str, #[case] status: u16, #[case] code: &str) {
    let w = world().await;
    let mut form = Form::new(&[("key", "f.txt")]);
    match fault {
        "missing signature" => form.sign = false,
        "empty condition" => form.conditions = Some(json!([{}])),
        "expiration not ISO 8601" => form.expiration = "2100-01-01 00:00:00",
        "x-amz-date malformed" => form.amz_date = Some("yesterday"),
        "x-amz-date another day" => form.amz_date = Some("20010101T000000Z"),
        "expired" => form.expiration = "2001-01-01T00:00:00Z",
        _ => form.bucket = "another-bucket",
    }
    let r = post(&w.fake, BUCKET, &form.build(&w.root)).await;
    assert_eq!((r.status, r.code()), (status, code), "{fault}: {}", r.body);
    assert!(!exists(&w.s3, BUCKET, "f.txt").await);
}

/// A SigV4 presigned URL for `method` on `path` (with the query `extra`), signed by `creds` at
/// `at`, `expires` seconds.
fn presign(
    fake: &FakeAwsHandle,
    creds: &Credentials,
    (method, path, extra): (&str, &str, &[(&str, &str)]),
    expires: i64,
    at: time::OffsetDateTime,
) -> String {
    let (date, amz) = amz_now(at);
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
    .chain(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
    .collect();
    let query = sigv4::canonical_query(&pairs);
    let host = fake.addr().to_string();
    let request = sigv4::canonical_request(
        method,
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
        fake.endpoint()
    )
}

/// `X-Amz-Expires` is 1–604800 (sigv4-query-string-auth): a negative or larger value is a
/// malformed URL (400 `AuthorizationQueryParametersError`); 0 passes that check and the URL has
/// expired when it arrives (403 `AccessDenied`), as has a PUT signed to expire before it is sent.
#[rstest]
#[case("GET", 1, 200, "")]
#[case("GET", 604_800, 200, "")]
#[case("GET", 0, 403, "AccessDenied")]
#[case("GET", -1, 400, "AuthorizationQueryParametersError")]
#[case("GET", -1000, 400, "AuthorizationQueryParametersError")]
#[case("GET", 604_801, 400, "AuthorizationQueryParametersError")]
#[case("PUT", 60, 200, "")]
#[case("PUT", 0, 403, "AccessDenied")]
#[case("PUT", -1000, 400, "AuthorizationQueryParametersError")]
#[tokio::test]
async fn x_amz_expires_outside_one_to_a_week_is_refused(
    #[case] method: &str,
    #[case] expires: i64,
    #[case] status: u16,
    #[case] code: &str,
) {
    let w = world().await;
    w.s3.put_object()
        .bucket(BUCKET)
        .key("k")
        .body(ByteStream::from_static(b"old"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let now = time::OffsetDateTime::now_utc();
    let url = presign(&w.fake, &w.root, (method, "/forms/k", &[]), expires, now);
    let request = match method {
        "PUT" => http().put(url).body("new"),
        _ => http().get(url),
    };
    let r = reply(request.send().await.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!((r.status, r.code()), (status, code), "{}", r.body);
    let stored =
        w.s3.get_object()
            .bucket(BUCKET)
            .key("k")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    let stored = stored.body.collect().await.map(|b| b.to_vec());
    let want: &[u8] = if method == "PUT" && status == 200 {
        b"new"
    } else {
        b"old"
    };
    assert_eq!(stored.unwrap_or_default(), want);
}

/// A presigned PUT signed two minutes ago for 60 seconds (s3-tests
/// `test_object_raw_put_authenticated_expired`): 403 `AccessDenied`, nothing written.
#[tokio::test]
async fn an_expired_presigned_put_writes_nothing() {
    let w = world().await;
    let at = time::OffsetDateTime::now_utc() - time::Duration::minutes(2);
    let url = presign(&w.fake, &w.root, ("PUT", "/forms/late", &[]), 60, at);
    let r = reply(
        http()
            .put(url)
            .body("late")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"), "{}", r.body);
    // S3's body names the URL's lifetime, when it ran out and the server's time, in that order
    // after the message.
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let expired_at = (at.replace_nanosecond(0).unwrap_or(at) + time::Duration::seconds(60))
        .format(seconds)
        .unwrap_or_default();
    let expected = format!(
        "<Message>Request has expired</Message><X-Amz-Expires>60</X-Amz-Expires><Expires>{expired_at}</Expires><ServerTime>"
    );
    assert!(r.body.contains(&expected), "{expected} in {}", r.body);
    let server_time = r
        .body
        .split_once("<ServerTime>")
        .and_then(|(_, rest)| rest.split_once("</ServerTime>"))
        .map(|(t, _)| t.to_owned())
        .unwrap_or_default();
    let server_time =
        time::OffsetDateTime::parse(&server_time, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{server_time}: {e}"));
    assert!(
        (server_time - time::OffsetDateTime::now_utc()).abs() < time::Duration::minutes(1),
        "{server_time}"
    );
    assert!(!exists(&w.s3, BUCKET, "late").await);
}

/// Reads through a signed URL of what was deleted: a missing key is 404 `NoSuchKey` for a
/// signer who may list the bucket and 403 `AccessDenied` for one who may not
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>, "Permissions"); a
/// deleted bucket is 404 `NoSuchBucket` for both (s3-tests `test_object_raw_*_gone`). The URL
/// carries `response-*` overrides (API_GetObject), which change nothing then.
#[rstest]
#[case::owner_object_gone(true, false, 404, "NoSuchKey")]
#[case::reader_object_gone(false, false, 403, "AccessDenied")]
#[case::owner_bucket_gone(true, true, 404, "NoSuchBucket")]
#[case::reader_bucket_gone(false, true, 404, "NoSuchBucket")]
#[tokio::test]
async fn signed_reads_of_what_was_deleted(
    #[case] owner: bool,
    #[case] bucket_gone: bool,
    #[case] status: u16,
    #[case] code: &str,
) {
    let w = world().await;
    let read = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}]});
    let (_, reader) = w
        .fake
        .create_user(OWNER, "reader", &[read.to_string().as_str()])
        .unwrap_or_else(|e| panic!("{e}"));
    let signer = if owner { &w.root } else { &reader };
    w.s3.put_object()
        .bucket(BUCKET)
        .key("gone")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let now = time::OffsetDateTime::now_utc();
    let overrides = [
        ("response-content-type", "foo/bar"),
        ("response-cache-control", "no-cache"),
    ];
    let url = presign(
        &w.fake,
        signer,
        ("GET", "/forms/gone", &overrides),
        600,
        now,
    );
    let r = http()
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let content_type = r.headers().get("content-type").cloned();
    let r = reply(r).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("foo/bar")
    );
    w.s3.delete_object()
        .bucket(BUCKET)
        .key("gone")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    if bucket_gone {
        w.s3.delete_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let r = reply(
        http()
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!((r.status, r.code()), (status, code), "{}", r.body);
}

/// The policy's `expiration` as each dialect reads it: AWS an ISO 8601 date-time
/// (sigv4-HTTPPOSTConstructPolicy, "ISO8601 GMT date format"), anything else 400
/// `InvalidPolicyDocument`; RGW 16.2 `YYYY-MM-DD`, `T` or a space, `HH:MM:SS`, and a fraction
/// only before `Z`, anything else 400 `InvalidArgument` (observed, `scripts/rgw-diff.py`).
#[rstest]
#[case(false, "2100-01-01T00:00:00.000Z", 204, "")]
#[case(false, "2100-01-01T00:00:00Z", 204, "")]
#[case(false, "2100-01-01T00:00:00", 204, "")]
#[case(false, "2100-01-01T01:00:00+01:00", 204, "")]
#[case(false, "2100-01-01 00:00:00", 400, "InvalidPolicyDocument")]
#[case(false, "2100-01-01", 400, "InvalidPolicyDocument")]
#[case(false, "4102444800", 400, "InvalidPolicyDocument")]
#[case(true, "2100-01-01T00:00:00.000Z", 204, "")]
#[case(true, "2100-01-01 00:00:00", 204, "")]
#[case(true, "2100-01-01T00:00:00", 204, "")]
#[case(true, "2100-01-01 00:00:00.123456", 400, "InvalidArgument")]
#[case(true, "2100-01-01", 400, "InvalidArgument")]
#[tokio::test]
async fn policy_expiration_is_read_as_each_dialect_reads_it(
    #[case] ceph: bool,
    #[case] expiration: &str,
    #[case] status: u16,
    #[case] code: &str,
) {
    let fake = FakeAws::builder()
        .ceph_dialect(ceph)
        .account(OWNER)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut form = Form::new(&[("key", "x.txt")]);
    form.expiration = expiration;
    let r = post(&fake, BUCKET, &form.build(&root)).await;
    assert_eq!((r.status, r.code()), (status, code), "{}", r.body);
}
