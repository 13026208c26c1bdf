//! Upload tickets (issue 11, SPEC §6) against the fake: each method inside its prefix accepted,
//! outside refused (by the form's policy, and separately by the session policy), size and expiry
//! enforced, a tampered form refused, and every ticket refused by S3 once finished or cancelled.
//! Uploads here use plain HTTP (a hand-built multipart form, a bare PUT), as a build machine
//! without an AWS library would.

use base64::Engine;
use s3keeper::keeper::{Ticket, TicketRequest, UploadMethod};
use serde_json::Value;

use crate::service_support::{env, Backend, Env};

/// Sends the ticket's form with one file, `key` replacing the form's key when given; returns
/// the status and the body.
pub async fn post_form(
    ticket: &Ticket,
    key: Option<&str>,
    filename: &str,
    content: &[u8],
    content_type: Option<&str>,
) -> (u16, String) {
    let boundary = "s3keeper-test-boundary";
    let mut body = Vec::new();
    let mut part = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    let fields = ticket.fields.clone().unwrap_or_default();
    for (name, value) in &fields {
        let value = value.as_str().unwrap_or_default();
        match (name.as_str(), key) {
            ("key", Some(k)) => part(name, k),
            _ => part(name, value),
        }
    }
    if let Some(ct) = content_type {
        if !fields.contains_key("Content-Type") {
            part("Content-Type", ct);
        }
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let url = ticket.url.clone().unwrap_or_default();
    let resp = reqwest::Client::new()
        .post(&url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

pub(crate) async fn start(env: &Env, request: &TicketRequest) -> Ticket {
    env.keeper
        .start_upload(request)
        .await
        .unwrap_or_else(|e| panic!("start_upload: {e}"))
}

/// An S3 client signing with an `sts` ticket's credentials.
pub(crate) fn client_of(env: &Env, ticket: &Ticket) -> aws_sdk_s3::Client {
    let c = ticket
        .credentials
        .clone()
        .unwrap_or_else(|| panic!("no credentials"));
    aws_sdk_s3::Client::new(&env.fake.sdk_config(&fake_s3::Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: Some(c.session_token),
    }))
}

/// Puts `key` into the uploads bucket with `s3`; the error code, if refused.
pub(crate) async fn put_as(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    crate::support::err_code(
        s3.put_object()
            .bucket("s3keeper-uploads")
            .key(key)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send()
            .await,
    )
}

pub(crate) fn keys_of(state: &s3keeper::keeper::UploadState) -> Vec<String> {
    state
        .objects
        .iter()
        .flatten()
        .map(|o| o.key.clone())
        .collect()
}

#[tokio::test]
async fn a_post_ticket_confines_key_size_and_type_and_ends_with_finish() {
    let env = env(Backend::Sqlite).await;
    let mut request = TicketRequest::post("builds/1234/");
    request.max_bytes = Some(64);
    request.content_type = Some("text/".to_owned());
    let ticket = start(&env, &request).await;
    assert_eq!(ticket.method, UploadMethod::Post);
    assert_eq!(ticket.bucket, "s3keeper-uploads");
    let fields = ticket.fields.clone().unwrap_or_default();
    assert_eq!(
        fields.get("key").and_then(Value::as_str),
        Some("builds/1234/${filename}")
    );

    // Inside the prefix: `${filename}`, and any key the client picks under it.
    let (status, body) = post_form(&ticket, None, "index.html", b"<p>hi</p>", None).await;
    assert_eq!(status, 204, "{body}");
    // The fake's journal names the form's signer: the ticket's own federated user.
    let signer = env
        .fake
        .journal()
        .into_iter()
        .rev()
        .find(|e| e.operation == "PostObject")
        .map(|e| e.principal)
        .unwrap_or_default();
    assert_eq!(
        signer,
        format!(
            "arn:aws:sts::{}:federated-user/s3k-{}",
            crate::service_support::PLATFORM,
            ticket.id
        )
    );
    let (status, body) = post_form(
        &ticket,
        Some("builds/1234/_static/app.css"),
        "x",
        b"p{}",
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");

    // Outside the prefix: the form's policy refuses it.
    let (status, body) = post_form(&ticket, Some("builds/9999/evil.html"), "x", b"no", None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("AccessDenied"), "{body}");
    // Over the size: EntityTooLarge.
    let (status, body) = post_form(&ticket, None, "big.txt", &[b'x'; 65], None).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("EntityTooLarge"), "{body}");
    // A type the policy does not allow.
    let mut typed = ticket.clone();
    if let Some(f) = typed.fields.as_mut() {
        f.insert("Content-Type".into(), Value::String("image/png".into()));
    }
    let (status, body) = post_form(&typed, None, "pic.png", b"png", None).await;
    assert_eq!(status, 403, "{body}");

    // A tampered policy (a larger size) no longer matches its signature.
    let mut tampered = ticket.clone();
    if let Some(f) = tampered.fields.as_mut() {
        let b64 = f.get("policy").and_then(Value::as_str).unwrap_or_default();
        let text = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map(|b| String::from_utf8_lossy(&b).replace(",64]", ",6400]"))
            .unwrap_or_default();
        assert!(text.contains(",6400]"), "{text}");
        f.insert(
            "policy".into(),
            Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
        );
    }
    let (status, body) = post_form(&tampered, None, "big.txt", &[b'x'; 65], None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");

    let state = env
        .keeper
        .end_upload(&ticket.id, false)
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"));
    assert_eq!(state.state, "finished");
    assert_eq!(
        keys_of(&state),
        ["builds/1234/_static/app.css", "builds/1234/index.html"]
    );
    assert_eq!(state.bytes, Some(12));
    // Finished: the same form is refused by S3 from now on.
    let (status, body) = post_form(&ticket, None, "late.html", b"late", None).await;
    assert_eq!(status, 403, "{body}");
    // And a ticket ends once.
    assert!(env.keeper.end_upload(&ticket.id, true).await.is_err());
}

#[tokio::test]
async fn put_urls_upload_their_keys_and_cancel_deletes_and_revokes() {
    let env = env(Backend::Sqlite).await;
    let mut request = TicketRequest::post("instrument/night-7/");
    request.method = UploadMethod::Put;
    request.keys = vec!["raw/0001.fits".into(), "raw/0002.fits".into()];
    let ticket = start(&env, &request).await;
    let urls = ticket.urls.clone().unwrap_or_default();
    assert_eq!(urls.len(), 2);
    let http = reqwest::Client::new();
    let put = |url: String, body: &'static [u8]| {
        let http = http.clone();
        async move {
            http.put(url)
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    for url in urls.values() {
        assert_eq!(put(url.clone(), b"FITS").await, 200);
    }
    let state = env
        .keeper
        .end_upload(&ticket.id, true)
        .await
        .unwrap_or_else(|e| panic!("cancel: {e}"));
    assert_eq!(state.state, "cancelled");
    assert_eq!(state.objects.as_ref().map(Vec::len), Some(2));
    let after = env
        .keeper
        .upload_ticket(&ticket.id)
        .await
        .unwrap_or_else(|e| panic!("show: {e}"));
    assert_eq!(
        after.objects.as_ref().map(Vec::len),
        Some(0),
        "cancel deletes"
    );
    for url in urls.values() {
        assert_eq!(
            put(url.clone(), b"FITS").await,
            403,
            "a cancelled URL is refused"
        );
    }
}

#[tokio::test]
async fn sts_credentials_are_confined_to_the_prefix_by_the_session_policy() {
    let env = env(Backend::Sqlite).await;
    let mut request = TicketRequest::post("jobs/42/");
    request.method = UploadMethod::Sts;
    let ticket = start(&env, &request).await;
    let s3 = client_of(&env, &ticket);
    assert_eq!(put_as(&s3, "jobs/42/out.txt").await, None);
    assert_eq!(
        put_as(&s3, "jobs/43/out.txt").await.as_deref(),
        Some("AccessDenied"),
        "the session policy confines the credentials to the prefix"
    );
    let listed = s3
        .list_objects_v2()
        .bucket("s3keeper-uploads")
        .prefix("jobs/42/")
        .send()
        .await;
    assert!(listed.is_ok(), "{listed:?}");
    let outside = s3
        .list_objects_v2()
        .bucket("s3keeper-uploads")
        .prefix("jobs/")
        .send()
        .await;
    assert_eq!(
        crate::support::err_code(outside).as_deref(),
        Some("AccessDenied")
    );
    env.keeper
        .end_upload(&ticket.id, false)
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"));
    assert_eq!(
        put_as(&s3, "jobs/42/late.txt").await.as_deref(),
        Some("AccessDenied"),
        "finished: the bucket policy refuses the session"
    );
}

#[tokio::test]
async fn an_expired_form_is_refused() {
    let env = env(Backend::Sqlite).await;
    let mut request = TicketRequest::post("late/");
    request.expires_seconds = 120;
    let ticket = start(&env, &request).await;
    env.fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
    ));
    let (status, body) = post_form(&ticket, None, "a.txt", b"a", None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("expired"), "{body}");
}

#[tokio::test]
async fn bad_requests_are_refused_before_anything_is_issued() {
    let env = env(Backend::Sqlite).await;
    for (prefix, method, keys) in [
        ("no-slash", UploadMethod::Post, vec![]),
        ("/abs/", UploadMethod::Post, vec![]),
        ("a/../b/", UploadMethod::Post, vec![]),
        ("ok/", UploadMethod::Put, vec![]),
        ("ok/", UploadMethod::Put, vec!["../x".to_owned()]),
        ("ok/", UploadMethod::Post, vec!["x".to_owned()]),
    ] {
        let mut r = TicketRequest::post(prefix);
        r.method = method;
        r.keys = keys;
        let e = env.keeper.start_upload(&r).await;
        assert!(
            matches!(e, Err(s3keeper::error::KeeperError::Invalid(_))),
            "{prefix} {method:?}: {e:?}"
        );
    }
    assert!(env
        .keeper
        .upload_tickets()
        .await
        .unwrap_or_default()
        .is_empty());
}

/// A service on role credentials signs tickets with sessions of the uploader role (STS refuses
/// GetFederationToken to roles); they are confined and revoked the same way. On PostgreSQL.
#[tokio::test]
async fn tickets_from_an_uploader_role_are_confined_and_revoked() {
    use crate::service_support::{fresh_database, settings_for, start_fake, PLATFORM};
    // Root cannot assume roles, so the service runs as an IAM user here.
    let fake = start_fake().await;
    let database_url = fresh_database(Backend::Postgres).await;
    let (_, service_creds) = fake
        .create_user(
            PLATFORM,
            "s3keeper-service",
            &[r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","sts:AssumeRole"],"Resource":"*"}]}"#],
        )
        .unwrap_or_else(|e| panic!("service user: {e}"));
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PLATFORM}:user/s3keeper-service"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    fake.create_role(
        PLATFORM,
        "s3keeper-uploader",
        &trust,
        &[r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:PutObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"],"Resource":"arn:aws:s3:::s3keeper-uploads/*"},
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::s3keeper-uploads"}]}"#],
    )
    .unwrap_or_else(|e| panic!("role: {e}"));
    let mut settings = settings_for(&fake);
    settings.uploader_role_arn = Some(format!("arn:aws:iam::{PLATFORM}:role/s3keeper-uploader"));
    let keeper = s3keeper::runtime::connect(
        &s3keeper::runtime::ServiceArgs::with_database(&database_url),
        &fake.sdk_config(&service_creds),
        settings,
        "test",
    )
    .await
    .unwrap_or_else(|e| panic!("keeper: {e}"));
    keeper
        .setup()
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let env = Env {
        fake,
        keeper,
        database_url,
    };
    let mut request = TicketRequest::post("ci/run-9/");
    request.method = UploadMethod::Sts;
    let ticket = start(&env, &request).await;
    let s3 = client_of(&env, &ticket);
    assert_eq!(put_as(&s3, "ci/run-9/a.txt").await, None);
    assert_eq!(
        put_as(&s3, "ci/run-8/a.txt").await.as_deref(),
        Some("AccessDenied")
    );
    let state = env
        .keeper
        .end_upload(&ticket.id, false)
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"));
    assert_eq!(keys_of(&state), ["ci/run-9/a.txt"]);
    assert_eq!(
        put_as(&s3, "ci/run-9/b.txt").await.as_deref(),
        Some("AccessDenied"),
        "the role session is denied once the ticket ends"
    );
}

/// `POST /uploads` with a client's token: only under its prefixes, only its own tickets, nothing
/// else of the API; every answer as `openapi.json` documents it.
#[tokio::test]
async fn a_client_token_opens_tickets_only_under_its_prefixes() {
    use crate::service_api::{assert_documented, openapi, start};
    let doc = openapi();
    let api = start(Some("admin-secret")).await;
    let client = api
        .env
        .keeper
        .add_client("docs-ci", &["builds/docs/".to_owned()])
        .await
        .unwrap_or_else(|e| panic!("add_client: {e}"));
    let bearer = format!("Bearer {}", client.token);
    let as_client = |method: &'static str, path: String, body: Option<String>| {
        let bearer = bearer.clone();
        let api = &api;
        async move {
            api.call_with(method, &path, body.as_deref(), Some(&bearer))
                .await
        }
    };

    let r = as_client(
        "POST",
        "/uploads".into(),
        Some(r#"{"prefix":"builds/docs/42/"}"#.into()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_documented(&doc, "POST", "/uploads", &r);
    let ticket: Ticket = serde_json::from_value(r.json.clone())
        .unwrap_or_else(|e| panic!("ticket JSON: {e}: {}", r.text));
    let (status, body) = post_form(&ticket, None, "index.html", b"docs", None).await;
    assert_eq!(status, 204, "{body}");

    let r = as_client(
        "POST",
        "/uploads".into(),
        Some(r#"{"prefix":"builds/other/"}"#.into()),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_documented(&doc, "POST", "/uploads", &r);
    // Nothing else of the API.
    let r = as_client("GET", "/datasets".into(), None).await;
    assert_eq!(r.status, 401, "{}", r.text);

    // Another caller's ticket is invisible to the client.
    let admin = api
        .call_with(
            "POST",
            "/uploads",
            Some(r#"{"prefix":"private/","method":"sts"}"#),
            Some("Bearer admin-secret"),
        )
        .await;
    assert_eq!(admin.status, 201, "{}", admin.text);
    let admin_id = admin.json["id"].as_str().unwrap_or_default().to_owned();
    let r = as_client("GET", format!("/uploads/{admin_id}"), None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = as_client("POST", format!("/uploads/{admin_id}/cancel"), None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = as_client("GET", "/uploads".into(), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_documented(&doc, "GET", "/uploads", &r);
    let ids: Vec<&str> = r
        .json
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, [ticket.id.as_str()]);

    let r = as_client("POST", format!("/uploads/{}/finish", ticket.id), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_documented(&doc, "POST", "/uploads/{id}/finish", &r);
    assert_eq!(r.json["state"], "finished");
    assert_eq!(r.json["objects"][0]["key"], "builds/docs/42/index.html");
    let r = as_client("POST", format!("/uploads/{}/finish", ticket.id), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_documented(&doc, "POST", "/uploads/{id}/finish", &r);

    // Removed: the token stops working at once.
    api.env
        .keeper
        .remove_client("docs-ci")
        .await
        .unwrap_or_else(|e| panic!("remove_client: {e}"));
    let r = as_client("GET", "/uploads".into(), None).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let audit = api
        .env
        .keeper
        .audit(&s3keeper::keeper::AuditFilter::default())
        .await
        .unwrap_or_default();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "client-added",
        "upload-start",
        "upload-finish",
        "client-removed",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
}

/// The session policy confines a form on its own: a form signed with an `sts` ticket's
/// credentials whose policy allows any key is still refused outside the ticket's prefix.
#[tokio::test]
async fn the_session_policy_refuses_a_form_whose_own_policy_allows_any_key() {
    let env = env(Backend::Sqlite).await;
    let mut request = TicketRequest::post("confined/");
    request.method = UploadMethod::Sts;
    let sts = start(&env, &request).await;
    let c = sts
        .credentials
        .clone()
        .unwrap_or_else(|| panic!("no credentials"));
    let creds = s3keeper::aws::TempCredentials {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: c.session_token,
        expiration: 0,
        userid: String::new(),
    };
    let now = time::OffsetDateTime::now_utc();
    // A form policy of the holder's own making: `starts-with $key ""` allows every key.
    let wide = TicketRequest::post("");
    let mut forged = sts.clone();
    forged.method = UploadMethod::Post;
    forged.url = Some(format!("{}/s3keeper-uploads/", env.fake.endpoint()));
    forged.fields = Some(s3keeper::keeper::post_form(
        &creds,
        "s3keeper-uploads",
        "us-east-1",
        &wide,
        now,
        now + time::Duration::minutes(5),
    ));
    let (status, body) = post_form(&forged, Some("confined/ok.txt"), "ok.txt", b"ok", None).await;
    assert_eq!(status, 204, "inside the prefix: {body}");
    let (status, body) = post_form(&forged, Some("elsewhere/x.txt"), "x.txt", b"x", None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("AccessDenied"), "{body}");
    // The form's own policy passed; authorization (the session policy) refused.
    assert!(!body.contains("Policy Condition failed"), "{body}");
    let decision = env
        .fake
        .journal()
        .into_iter()
        .rev()
        .find(|e| e.operation == "PostObject")
        .and_then(|e| e.decision)
        .unwrap_or_default();
    assert_eq!(decision, "ImplicitDeny");
}
