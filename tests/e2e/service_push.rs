//! `s3keeper push` (issue 11): a directory through a ticket's POST form over plain HTTP, against
//! injected throttling and server errors, re-run after an interruption, two at once, and the
//! binary end to end through the API with a client's token.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fake_s3::FaultConfig;
use s3keeper::keeper::{Quiet, Ticket, TicketRequest};

use crate::service_support::{env, Backend, Env};

/// A build directory of `n` small files in two levels.
fn build_dir(tag: &str, n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("s3k-push-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for i in 0..n {
        let sub = dir.join(format!("part{}", i % 3));
        let _ = std::fs::create_dir_all(&sub);
        let _ = std::fs::write(
            sub.join(format!("f{i:03}.html")),
            format!("page {i} of {tag}"),
        );
    }
    dir
}

async fn ticket(env: &Env, prefix: &str) -> Ticket {
    env.keeper
        .start_upload(&TicketRequest::post(prefix))
        .await
        .unwrap_or_else(|e| panic!("ticket: {e}"))
}

async fn end(env: &Env, t: &Ticket) {
    env.keeper
        .end_upload(&t.id, false)
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"));
}

/// Key → (size, ETag) under the ticket's prefix, as the service lists it.
async fn listed(env: &Env, id: &str) -> HashMap<String, (u64, String)> {
    let state = env
        .keeper
        .upload_ticket(id)
        .await
        .unwrap_or_else(|e| panic!("show: {e}"));
    state
        .objects
        .unwrap_or_default()
        .into_iter()
        .map(|o| (o.key, (o.size, o.etag)))
        .collect()
}

fn relative_keys(dir: &Path, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(format!("{prefix}{}", rel.to_string_lossy()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn push_completes_through_throttling_and_server_errors_without_duplicates() {
    let env = env(Backend::Sqlite).await;
    let dir = build_dir("faults", 30);
    let t = ticket(&env, "builds/7/").await;
    let mut fail_nth = HashMap::new();
    fail_nth.insert("PostObject".to_owned(), vec![5, 6, 17]);
    env.fake.faults(FaultConfig {
        throttle_rate: 0.2,
        fail_nth,
        seed: 11,
        ..FaultConfig::default()
    });
    let report = s3keeper::push::push(&dir, &t, &HashMap::new(), 4, &Quiet)
        .await
        .unwrap_or_else(|e| panic!("push: {e}"));
    env.fake.faults(FaultConfig::default());
    assert_eq!(report.uploaded.len(), 30);
    assert!(report.retries >= 3, "retries: {}", report.retries);
    let now: Vec<String> = {
        let mut k: Vec<String> = listed(&env, &t.id).await.into_keys().collect();
        k.sort();
        k
    };
    assert_eq!(
        now,
        relative_keys(&dir, "builds/7/"),
        "exactly one object per file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_push_run_again_sends_only_what_is_missing_or_changed() {
    let env = env(Backend::Sqlite).await;
    let dir = build_dir("rerun", 12);
    // "Interrupted": only part0's files went up (the same tree, cut short).
    let partial = dir.with_file_name(format!("s3k-push-rerun-partial-{}", std::process::id()));
    let _ = std::fs::create_dir_all(partial.join("part0"));
    for e in std::fs::read_dir(dir.join("part0"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let _ = std::fs::copy(e.path(), partial.join("part0").join(e.file_name()));
    }
    let first = ticket(&env, "docs/main/").await;
    let r = s3keeper::push::push(&partial, &first, &HashMap::new(), 4, &Quiet).await;
    assert_eq!(r.map(|r| r.uploaded.len()).ok(), Some(4));

    // Tickets on one prefix are never open together (issue 18): each run ends its own.
    end(&env, &first).await;
    let second = ticket(&env, "docs/main/").await;
    let existing = listed(&env, &second.id).await;
    let report = s3keeper::push::push(&dir, &second, &existing, 4, &Quiet)
        .await
        .unwrap_or_else(|e| panic!("push: {e}"));
    assert_eq!(report.uploaded.len(), 8, "{report:?}");
    assert_eq!(report.skipped.len(), 4);
    assert!(report
        .uploaded
        .iter()
        .all(|k| !k.starts_with("docs/main/part0/")));

    // A changed file (same size or not) goes up again; nothing else does.
    let _ = std::fs::write(dir.join("part2/f002.html"), "page 2 of rerux");
    end(&env, &second).await;
    let third = ticket(&env, "docs/main/").await;
    let existing = listed(&env, &third.id).await;
    let report = s3keeper::push::push(&dir, &third, &existing, 4, &Quiet)
        .await
        .unwrap_or_else(|e| panic!("push: {e}"));
    assert_eq!(report.uploaded, ["docs/main/part2/f002.html"]);
    assert_eq!(report.skipped.len(), 11);
    for d in [dir, partial] {
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[tokio::test]
async fn two_pushes_at_once_to_different_tickets() {
    let env = env(Backend::Sqlite).await;
    let (a, b) = (build_dir("two-a", 20), build_dir("two-b", 20));
    let (ta, tb) = (ticket(&env, "a/").await, ticket(&env, "b/").await);
    let none = HashMap::new();
    let (ra, rb) = tokio::join!(
        s3keeper::push::push(&a, &ta, &none, 4, &Quiet),
        s3keeper::push::push(&b, &tb, &none, 4, &Quiet),
    );
    assert_eq!(ra.map(|r| r.uploaded.len()).ok(), Some(20));
    assert_eq!(rb.map(|r| r.uploaded.len()).ok(), Some(20));
    assert_eq!(listed(&env, &ta.id).await.len(), 20);
    assert_eq!(listed(&env, &tb.id).await.len(), 20);
    for d in [a, b] {
        let _ = std::fs::remove_dir_all(&d);
    }
}

/// The binary, as a build machine runs it: a client's token, the API, no AWS credentials in its
/// environment; a second run uploads nothing; a prefix outside the client's is refused. (Multi-
/// threaded: the API and the fake keep serving while the test waits for the process.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_push_binary_uploads_through_the_api_with_a_client_token() {
    let api = crate::service_api::start(Some("admin-secret")).await;
    let client = api
        .env
        .keeper
        .add_client("ci", &["site/".to_owned()])
        .await
        .unwrap_or_else(|e| panic!("client: {e}"));
    let dir = build_dir("bin", 9);
    let run = |prefix: &str| {
        let out = std::process::Command::new(crate::cli::s3keeper())
            .args(["push"])
            .arg(&dir)
            .args(["--server", &api.base, "--prefix", prefix])
            .env_clear()
            .env("S3KEEPER_TOKEN", &client.token)
            .env("NO_PROXY", "*")
            .output()
            .unwrap_or_else(|e| panic!("push: {e}"));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run("site/v1/");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let finished: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(finished["state"], "finished");
    assert_eq!(finished["objects"].as_array().map(Vec::len), Some(9));
    assert!(stderr.contains("9 file(s) uploaded"), "{stderr}");
    let (code, stdout, stderr) = run("site/v1/");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("0 file(s) uploaded"), "{stderr}");
    assert!(stderr.contains("9 unchanged"), "{stderr}");
    let (code, stdout, stderr) = run("elsewhere/");
    assert_ne!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("only under site/"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
