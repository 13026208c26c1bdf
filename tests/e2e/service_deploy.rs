//! The service as deployed against a separately running endpoint (issue 5): least privilege
//! (`deploy/iam-policy.json` is what `s3keeper iam-policy` prints, it suffices for the whole flow,
//! and every statement of it is needed), the SDK client's proxy settings (and the verification
//! fetch ignoring them), `s3keeper doctor`, and AWS failures read as one line.

use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use rstest::rstest;
use s3keeper::keeper::Keeper;
use s3keeper::policies::{service_identity_policy, ServiceBuckets};
use s3keeper::runtime::{self, ServiceArgs};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cli::s3keeper;
use crate::service_support::{
    caller_identity, fresh_database, person, presign, settings_for, start_fake, Backend, Env,
    PLATFORM,
};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the binary with only the given environment (plus PATH), as a deployment would.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(s3keeper());
    cmd.args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run s3keeper: {e}"))
}

fn policy_for_defaults() -> serde_json::Value {
    let s = s3keeper::keeper::Settings::new(PLATFORM, "us-east-1");
    service_identity_policy(
        ServiceBuckets {
            verification: &s.verify_bucket,
            open: &s.open_bucket,
            controlled: &s.controlled_bucket,
            uploads: &s.uploads_bucket,
            shared: &s.shared_buckets,
        },
        "us-east-1",
        PLATFORM,
    )
}

#[test]
fn committed_iam_policy_is_what_the_command_prints_and_lints_clean() {
    let root = env!("CARGO_MANIFEST_DIR");
    let file = format!("{root}/deploy/iam-policy.json");
    let committed: serde_json::Value = match std::fs::read_to_string(&file)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => panic!("{file}: {e}"),
    };
    let out = run(&["iam-policy"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed: serde_json::Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => panic!("iam-policy printed no JSON: {e}"),
    };
    assert_eq!(
        committed, printed,
        "deploy/iam-policy.json is stale: regenerate it with `s3keeper iam-policy`"
    );
    let lint = run(&["policy", "lint", &file, "--kind", "identity"], &[]);
    assert!(
        lint.status.success(),
        "{}{}",
        text(&lint.stdout),
        text(&lint.stderr)
    );
    assert!(text(&lint.stdout).contains("no findings"));

    // With an account and region it names exactly this deployment's access points.
    let out = run(
        &["iam-policy", "--account", PLATFORM, "--region", "eu-west-1"],
        &[],
    );
    assert!(text(&out.stdout).contains("arn:aws:s3:eu-west-1:111122223333:accesspoint/*"));

    // A bucket name S3 would refuse (a wildcard would widen the policy) is refused.
    for args in [
        &["iam-policy", "--open-bucket", "s3keeper-*"][..],
        &["iam-policy", "--account", "1111"][..],
    ] {
        let out = run(args, &[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stdout)
        );
        assert!(text(&out.stdout).is_empty());
    }
}

/// Steps of SPEC §4–§5 as the service runs them with `keeper`'s credentials; the first failure
/// is returned with the step that failed.
async fn flow(env: &Env, keeper: &Keeper) -> Result<(), String> {
    keeper.setup().await.map_err(|e| format!("setup: {e}"))?;
    let ann = person(env, "ann").await;
    let start = keeper
        .start_verification(&ann.email, &caller_identity(&ann))
        .await
        .map_err(|e| format!("verify start: {e}"))?;
    let url = presign(&ann.s3, &start.bucket, &start.key, 600).await;
    keeper
        .complete_verification(&ann.email, &url)
        .await
        .map_err(|e| format!("verify finish: {e}"))?;
    let dir = crate::service_support::dataset_dir("deploy");
    keeper
        .register_dataset("cohort", "1.0", s3keeper::keeper::Kind::Controlled, &dir)
        .await
        .map_err(|e| format!("register: {e}"))?;
    keeper
        .upload("cohort", "1.0", &s3keeper::keeper::Quiet)
        .await
        .map_err(|e| format!("upload: {e}"))?;
    let access = keeper
        .sign_agreement(&ann.email, "cohort", "1.0")
        .await
        .map_err(|e| format!("agree: {e}"))?
        .ok_or("agree: not granted at once")?;
    let ap = access
        .s3_uri
        .trim_start_matches("s3://")
        .split("/cohort/")
        .next()
        .unwrap_or_default()
        .to_owned();
    if !crate::service_support::can_read(&ann, &ap, "cohort/1.0/README.txt").await {
        return Err(format!("granted, but ann cannot read through {ap}"));
    }
    keeper
        .revoke(&ann.email, "cohort", "1.0")
        .await
        .map_err(|e| format!("revoke: {e}"))?;
    if crate::service_support::can_read(&ann, &ap, "cohort/1.0/README.txt").await {
        return Err("revoked, but ann still reads".to_owned());
    }
    let report = keeper
        .reconcile()
        .await
        .map_err(|e| format!("reconcile: {e}"))?;
    if !report.failures.is_empty() || !report.drift.is_empty() {
        return Err(format!(
            "reconcile: failures {:?}, drift {:?}",
            report.failures, report.drift
        ));
    }
    let ticket = keeper
        .start_upload(&s3keeper::keeper::TicketRequest::post("deploy/"))
        .await
        .map_err(|e| format!("open ticket: {e}"))?;
    let (status, body) =
        crate::service_uploads::post_form(&ticket, None, "notes.txt", b"notes", None).await;
    if status != 204 {
        return Err(format!("ticket upload: {status} {body}"));
    }
    keeper
        .end_upload(&ticket.id, false)
        .await
        .map_err(|e| format!("finish ticket: {e}"))?;
    Ok(())
}

/// A fake with the platform account, a service IAM user holding `policy`, and a keeper acting
/// as that user (never as root).
async fn service_as_user(policy: &serde_json::Value) -> (Env, Keeper) {
    let fake = start_fake().await;
    let database_url = fresh_database(Backend::Sqlite).await;
    let text = policy.to_string();
    let (_, creds) = fake
        .create_user(PLATFORM, "s3keeper-service", &[&text])
        .unwrap_or_else(|e| panic!("service user: {e}"));
    let args = ServiceArgs::with_database(&database_url);
    let keeper = runtime::connect(&args, &fake.sdk_config(&creds), settings_for(&fake), "test")
        .await
        .unwrap_or_else(|e| panic!("keeper: {e}"));
    // `person()` adds people through `env.keeper`; the same database, so the same people.
    let env = Env {
        keeper: keeper.clone(),
        fake,
        database_url,
    };
    (env, keeper)
}

#[tokio::test]
async fn the_least_privilege_policy_runs_the_whole_flow() {
    let (env, keeper) = service_as_user(&policy_for_defaults()).await;
    if let Err(e) = flow(&env, &keeper).await {
        panic!("with exactly deploy/iam-policy.json's statements: {e}");
    }
}

/// Each statement removed in turn: some step of the flow then fails with AccessDenied, so no
/// statement is there for nothing.
#[rstest]
#[case::set_up_own_buckets("SetUpOwnBuckets", "setup")]
#[case::list_datasets("ListDatasets", "upload")]
#[case::upload_datasets("UploadDatasets", "upload")]
#[case::manage_own_access_points("ManageOwnAccessPoints", "agree")]
#[case::find_access_points("FindAccessPoints", "reconcile")]
#[case::issue_upload_tickets("IssueUploadTickets", "open ticket")]
#[case::upload_ticket_objects("UploadTicketObjects", "ticket upload")]
#[case::manage_uploads_bucket("ManageUploadsBucket", "setup")]
#[tokio::test]
async fn every_statement_of_the_policy_is_needed(#[case] sid: &str, #[case] step: &str) {
    let mut policy = policy_for_defaults();
    let Some(statements) = policy["Statement"].as_array_mut() else {
        panic!("no statements");
    };
    let before = statements.len();
    statements.retain(|s| s["Sid"] != sid);
    assert_eq!(statements.len() + 1, before, "no statement {sid}");
    let (env, keeper) = service_as_user(&policy).await;
    match flow(&env, &keeper).await {
        Ok(()) => panic!("the flow passed without {sid}: the statement is not needed"),
        Err(e) => {
            assert!(
                e.starts_with(step),
                "without {sid}, expected {step} to fail: {e}"
            );
            assert!(e.contains("AccessDenied"), "{e}");
            // A ticket's upload is the ticket holder's own request (S3 answers it, the service
            // gives no hint); every other step is the service's call.
            if step != "ticket upload" {
                assert!(
                    e.contains("hint: the service's credentials lack `s3:")
                        || e.contains("hint: the service's credentials lack `sts:"),
                    "{e}"
                );
            }
        }
    }
}

/// A loopback HTTP proxy that records each connection's first request line and relays the bytes
/// to `upstream` (fake-s3 answers proxy-form requests itself).
async fn recording_proxy(upstream: std::net::SocketAddr) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut head = vec![0u8; 4096];
                let Ok(n) = client.read(&mut head).await else {
                    return;
                };
                head.truncate(n);
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if let Ok(mut seen) = record.lock() {
                    seen.push(line);
                }
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                if server.write_all(&head).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    (port, seen)
}

async fn fake_and_root() -> (fake_s3::FakeAwsHandle, fake_s3::Credentials) {
    let fake = start_fake().await;
    let creds = fake
        .root_credentials(PLATFORM)
        .unwrap_or_else(|e| panic!("{e}"));
    (fake, creds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_traffic_follows_the_proxy_settings_and_verification_never_does() {
    let (fake, creds) = fake_and_root().await;
    let (proxy_port, seen) = recording_proxy(fake.addr()).await;
    let db = fresh_database(Backend::Sqlite).await;
    let endpoint = fake.endpoint();
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let base = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("S3KEEPER_DATABASE_URL", db.as_str()),
        ("S3KEEPER_SITE", "test"),
    ];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(String, String)> {
        base.iter()
            .chain(extra.iter())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let run_owned = |args: &'static [&'static str], env: Vec<(String, String)>| async move {
        tokio::task::spawn_blocking(move || {
            let refs: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            run(args, &refs)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let port = fake.addr().port();
    let control_host = format!("http://{PLATFORM}.127.0.0.1:{port}/");
    let s3_host = format!("http://127.0.0.1:{port}/");

    // Without a proxy, S3 works but S3 Control's host name cannot resolve: doctor names it.
    let out = run_owned(&["setup"], with(&[])).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run_owned(&["doctor"], with(&[])).await;
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("[FAIL] S3 Control: AWS ListAccessPoints failed: DnsFailure"),
        "{report}"
    );
    assert!(report.contains("fix: the S3 Control host name"), "{report}");
    assert!(
        seen.lock().map(|s| s.is_empty()).unwrap_or(false),
        "no proxy was set"
    );

    // HTTP_PROXY with an empty NO_PROXY: every SDK request goes through the proxy; the
    // verification probe does not.
    let out = run_owned(
        &["doctor"],
        with(&[("HTTP_PROXY", &proxy), ("NO_PROXY", "")]),
    )
    .await;
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    let lines = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(lines.iter().any(|l| l.contains(&control_host)), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains(&s3_host)), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.contains("doctor-probe")),
        "verification fetch used the proxy: {lines:?}"
    );

    // Lower-case names work too, and NO_PROXY hosts are reached directly.
    if let Ok(mut s) = seen.lock() {
        s.clear();
    }
    let out = run_owned(
        &["doctor"],
        with(&[("http_proxy", &proxy), ("no_proxy", "127.0.0.1")]),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    let lines = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(lines.iter().any(|l| l.contains(&control_host)), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.contains(&s3_host)),
        "a NO_PROXY host went through the proxy: {lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_endpoint_gives_one_line_with_a_hint() {
    let (fake, creds) = fake_and_root().await;
    let endpoint = fake.endpoint();
    drop(fake);
    let db = fresh_database(Backend::Sqlite).await;
    let out = tokio::task::spawn_blocking(move || {
        run(
            &["setup", "--account", PLATFORM],
            &[
                ("AWS_ENDPOINT_URL", endpoint.as_str()),
                ("AWS_ACCESS_KEY_ID", creds.access_key_id.as_str()),
                ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.as_str()),
                ("AWS_REGION", "us-east-1"),
                ("S3KEEPER_DATABASE_URL", db.as_str()),
            ],
        )
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let line = lines[0];
    assert!(
        line.starts_with("error: AWS CreateBucket failed: ConnectionRefused: "),
        "{line}"
    );
    assert!(
        line.contains("hint: nothing listens at the endpoint"),
        "{line}"
    );
    for dump in ["DispatchFailure(", "ConnectorError {", "source:"] {
        assert!(!line.contains(dump), "a Debug dump: {line}");
    }
}

/// `iam-policy --shared-buckets lab-*` adds one statement, which `share` needs and which reaches
/// only those buckets; without the flag the committed policy has no such statement.
#[tokio::test]
async fn shares_need_the_shared_buckets_statement_and_only_on_those_buckets() {
    let shared = vec!["lab-*".to_owned()];
    let s = s3keeper::keeper::Settings::new(PLATFORM, "us-east-1");
    let buckets = ServiceBuckets {
        verification: &s.verify_bucket,
        open: &s.open_bucket,
        controlled: &s.controlled_bucket,
        uploads: &s.uploads_bucket,
        shared: &shared,
    };
    let with = service_identity_policy(buckets, "us-east-1", PLATFORM);
    assert!(!policy_for_defaults()
        .to_string()
        .contains("ManageSharedBuckets"));
    let mut without = with.clone();
    if let Some(st) = without["Statement"].as_array_mut() {
        st.retain(|s| s["Sid"] != "ManageSharedBuckets");
    }
    for (policy, works) in [(&with, true), (&without, false)] {
        let (env, keeper) = service_as_user(policy).await;
        let root = env
            .fake
            .root_credentials(PLATFORM)
            .unwrap_or_else(|e| panic!("{e}"));
        let s3 = aws_sdk_s3::Client::new(&env.fake.sdk_config(&root));
        for b in ["lab-deploy", "other-deploy"] {
            s3.create_bucket()
                .bucket(b)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{b}: {e:?}"));
        }
        let member = format!("arn:aws:iam::{PLATFORM}:root");
        let grant = keeper
            .share_grant(
                "lab-deploy",
                &member,
                s3keeper::shares::Role::Reader,
                "",
                false,
            )
            .await;
        match (grant, works) {
            (Ok(_), true) => {}
            (Err(e), false) => {
                let m = e.to_string();
                assert!(
                    m.contains("AccessDenied") && m.contains("lack `s3:GetBucketPolicy`"),
                    "{m}"
                );
            }
            (other, _) => panic!("with the statement: {works}, got {other:?}"),
        }
        // Outside `lab-*` the IAM policy refuses even with the statement.
        let outside = keeper
            .share_grant(
                "other-deploy",
                &member,
                s3keeper::shares::Role::Reader,
                "",
                false,
            )
            .await;
        assert!(
            outside.is_err_and(|e| e.to_string().contains("AccessDenied")),
            "other-deploy"
        );
    }
}
