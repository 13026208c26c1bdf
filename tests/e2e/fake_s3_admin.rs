//! fake-s3's own test endpoints (`/_fake/journal`, `/_fake/clock`, `/_fake/health`) and the
//! standalone binary's log line for a denied request, which names why.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use fake_s3::{FakeAws, FakeAwsHandle};
use serde_json::Value;

use crate::cli::fake_s3_bin;

const OWNER: &str = "111122223333";

async fn fake_with_bucket() -> (FakeAwsHandle, aws_sdk_s3::Client) {
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
        .bucket("journal-bucket")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    s3.put_object()
        .bucket("journal-bucket")
        .key("secret.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    (fake, s3)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn call(method: reqwest::Method, url: &str) -> (u16, Value) {
    let r = http()
        .request(method, url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_journal_endpoint_explains_each_decision() {
    let (fake, _) = fake_with_bucket().await;
    let (_, keys) = fake
        .create_user(OWNER, "nobody", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let nobody = aws_sdk_s3::Client::new(&fake.sdk_config(&keys));
    let err = nobody
        .get_object()
        .bucket("journal-bucket")
        .key("secret.txt")
        .send()
        .await
        .err()
        .unwrap_or_else(|| panic!("a user without any policy read the object"));
    assert_eq!(err.code(), Some("AccessDenied"));

    let base = fake.endpoint();
    let (status, health) = call(reqwest::Method::GET, &format!("{base}/_fake/health")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (status, journal) = call(reqwest::Method::GET, &format!("{base}/_fake/journal")).await;
    assert_eq!(status, 200);
    let entries = journal.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 3, "create, put, the denied get: {journal:#}");
    let denied = &entries[2];
    assert_eq!(denied["operation"], "GetObject");
    assert_eq!(denied["method"], "GET");
    assert_eq!(denied["path"], "/journal-bucket/secret.txt");
    assert_eq!(denied["principal"], "arn:aws:iam::111122223333:user/nobody");
    assert_eq!(denied["decision"], "ImplicitDeny");
    assert_eq!(denied["status"], 403);
    let why = denied["explanation"].as_str().unwrap_or_default();
    assert!(why.starts_with("no statement allows the request"), "{why}");
    assert!(
        denied["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{denied}"
    );
    assert_eq!(entries[0]["decision"], "Allow");

    let (_, last) = call(
        reqwest::Method::GET,
        &format!("{base}/_fake/journal?limit=1"),
    )
    .await;
    assert_eq!(last.as_array().map(Vec::len), Some(1));
    assert_eq!(last[0]["request_id"], denied["request_id"]);
    let (status, _) = call(
        reqwest::Method::GET,
        &format!("{base}/_fake/journal?limit=x"),
    )
    .await;
    assert_eq!(status, 400);

    let (status, _) = call(reqwest::Method::DELETE, &format!("{base}/_fake/journal")).await;
    assert_eq!(status, 200);
    let (_, empty) = call(reqwest::Method::GET, &format!("{base}/_fake/journal")).await;
    assert_eq!(
        empty,
        Value::Array(Vec::new()),
        "the admin calls are not journaled"
    );
    let (status, _) = call(reqwest::Method::GET, &format!("{base}/_fake/nothing")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_clock_endpoint_moves_the_fakes_time() {
    let (fake, s3) = fake_with_bucket().await;
    let base = fake.endpoint();
    let (status, clock) = call(reqwest::Method::GET, &format!("{base}/_fake/clock")).await;
    assert_eq!((status, &clock["time"]), (200, &Value::Null));
    let (status, clock) = call(
        reqwest::Method::PUT,
        &format!("{base}/_fake/clock?time=2031-05-01T12:00:00Z"),
    )
    .await;
    assert_eq!(
        (status, clock["time"].as_str()),
        (200, Some("2031-05-01T12:00:00Z"))
    );
    // The SDK signs with the real time, now years before the fake's.
    let skewed = s3.list_objects_v2().bucket("journal-bucket").send().await;
    assert_eq!(
        skewed
            .err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("RequestTimeTooSkewed")
    );
    let (status, _) = call(
        reqwest::Method::PUT,
        &format!("{base}/_fake/clock?time=tomorrow"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, clock) = call(reqwest::Method::DELETE, &format!("{base}/_fake/clock")).await;
    assert_eq!((status, &clock["time"]), (200, &Value::Null));
    assert!(s3
        .list_objects_v2()
        .bucket("journal-bucket")
        .send()
        .await
        .is_ok());
}

#[tokio::test]
async fn the_binary_logs_why_a_request_was_denied() {
    let mut child = Command::new(fake_s3_bin())
        .args(["--port", "0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start fake-s3: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let printed: Vec<String> = lines.by_ref().take(3).collect();
    let word = |prefix: &str| {
        printed
            .iter()
            .flat_map(|l| l.split_whitespace())
            .find_map(|w| w.strip_prefix(prefix).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {prefix} in {printed:?}"))
    };
    let endpoint = format!("http://{}", word("http://"));
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build_https(),
        )
        .endpoint_url(&endpoint)
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            word("AWS_ACCESS_KEY_ID="),
            word("AWS_SECRET_ACCESS_KEY="),
            None,
            None,
            "test",
        ))
        .build();
    let admin = aws_sdk_s3::Client::from_conf(config);
    let created = admin.create_bucket().bucket("logged").send().await;
    // An anonymous read: denied, and the log line says why.
    let status = http()
        .get(format!("{endpoint}/logged/key"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    // Stopped as harnesses stop it (SIGTERM): it writes out every line before it exits.
    let pid = child.id();
    let stopped = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !stopped {
        let _ = child.kill();
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(stopped, "kill -TERM {pid} failed");
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(status.ok(), Some(403));
    let log = String::from_utf8_lossy(&output.stderr);
    let line = log
        .lines()
        .find(|l| l.contains("decision=ImplicitDeny"))
        .unwrap_or_else(|| panic!("no denied line in:\n{log}"));
    assert!(line.contains("principal=anonymous"), "{line}");
    assert!(
        line.contains("why=no statement allows the request"),
        "{line}"
    );
    assert!(
        !line.contains('\u{1b}'),
        "colour codes in a log that is not a terminal: {line}"
    );
    let allowed = log
        .lines()
        .find(|l| l.contains("decision=Allow"))
        .unwrap_or_else(|| panic!("no allowed line in:\n{log}"));
    assert!(
        !allowed.contains("why="),
        "an allowed request needs no reason: {allowed}"
    );
}

#[tokio::test]
async fn reset_returns_to_the_configuration_and_nothing_else() {
    let config: fake_s3::Config = serde_json::from_value(serde_json::json!({
        "accounts": [{
            "id": OWNER,
            "root_keys": [{"access_key_id": "AKIARESETROOT0000001", "secret_access_key": "reset-root-secret"}],
            "users": [{"name": "ann", "keys": [{"access_key_id": "AKIARESETANN00000001", "secret_access_key": "reset-ann-secret"}]}],
            "buckets": [{"name": "configured-bucket"}]
        }]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let fake = FakeAws::builder()
        .config(&config)
        .unwrap_or_else(|e| panic!("{e}"))
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The configured root key: keys minted after start-up go with a reset.
    let root = fake_s3::Credentials {
        access_key_id: "AKIARESETROOT0000001".into(),
        secret_access_key: "reset-root-secret".into(),
        session_token: None,
    };
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    for (bucket, key) in [("configured-bucket", "a.txt"), ("made-later", "b.txt")] {
        if bucket == "made-later" {
            s3.create_bucket()
                .bucket(bucket)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let (_, later) = fake
        .create_user(OWNER, "made-later", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{}", fake.addr());
    let (status, _) = call(
        reqwest::Method::PUT,
        &format!("{base}/_fake/clock?time=2031-05-01T12:00:00Z"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(reqwest::Method::POST, &format!("{base}/_fake/reset")).await;
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));
    let (_, clock) = call(reqwest::Method::GET, &format!("{base}/_fake/clock")).await;
    assert_eq!(clock["time"], Value::Null);
    let (_, journal) = call(reqwest::Method::GET, &format!("{base}/_fake/journal")).await;
    assert_eq!(journal, serde_json::json!([]), "the journal is empty");
    // The configured bucket is back and empty; what came later is gone.
    let buckets = s3
        .list_buckets()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["configured-bucket"]);
    let listed = s3
        .list_objects_v2()
        .bucket("configured-bucket")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(listed.key_count(), Some(0));
    // Configured keys still work; the user made later is gone.
    let ann = aws_sdk_s3::Client::new(&fake.sdk_config(&fake_s3::Credentials {
        access_key_id: "AKIARESETANN00000001".into(),
        secret_access_key: "reset-ann-secret".into(),
        session_token: None,
    }));
    let refused = ann.list_buckets().send().await;
    assert_eq!(
        refused
            .err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("AccessDenied"),
        "ann exists (and has no policy)"
    );
    let gone = aws_sdk_s3::Client::new(&fake.sdk_config(&later))
        .list_buckets()
        .send()
        .await;
    assert_eq!(
        gone.err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("InvalidAccessKeyId")
    );
}
