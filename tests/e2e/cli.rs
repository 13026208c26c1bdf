//! `s3keeper policy …` as a user runs it: exit codes, stdout JSON, stderr messages.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The `s3keeper` binary, built on first use: the root package only depends on the service's
/// library, so cargo does not build the binary for this test by itself.
pub(crate) fn s3keeper() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| workspace_bin("s3keeper")).clone()
}

/// The `fake-s3` binary, built on first use.
pub(crate) fn fake_s3_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| workspace_bin("fake-s3")).clone()
}

/// Builds the workspace binary `bin` in the profile this test binary was built in. The build names the
/// whole workspace with its tests, as `cargo nextest run --workspace` does, so that cargo resolves
/// the same features (dev-dependencies included) and reuses every compiled dependency; building
/// the one package alone resolved other features and compiled the AWS SDKs a second time (about
/// three minutes on a fresh clone).
fn workspace_bin(bin: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap_or_default();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let mut build = Command::new(env!("CARGO"));
    build
        .args(["build", "--quiet", "--workspace", "--bins", "--tests"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    // What cargo set for this test's own run is not the caller's environment: ring's build script
    // reruns when `CARGO_MANIFEST_DIR` changes, so passing it on rebuilt ring, rustls and all that
    // depends on them here, and again in the next plain `cargo build` (about 20 s each time).
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_for_a_crate) {
            build.env_remove(name);
        }
    }
    if dir.ends_with("release") {
        build.arg("--release");
    }
    let status = build
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(status.success(), "building {bin} failed");
    dir.join(bin)
}

/// The variables cargo sets while it builds or runs one crate
/// (<https://doc.rust-lang.org/cargo/reference/environment-variables.html>), as opposed to the
/// settings a user gives cargo (`CARGO_HOME`, `CARGO_TARGET_DIR`, `CARGO_BUILD_*`, …).
fn set_by_cargo_for_a_crate(name: &str) -> bool {
    const EXACT: [&str; 9] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    EXACT.contains(&name) || name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_BIN_EXE_")
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(s3keeper())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", s3keeper().display()));
    if let Some(input) = stdin {
        if let Some(mut s) = child.stdin.take() {
            let _ = s.write_all(input.as_bytes());
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios")
        .join(name)
        .display()
        .to_string()
}

fn json_out(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

#[test]
fn eval_prints_each_decision_and_exits_zero() {
    for (file, want) in [
        ("access-point-read.json", "Allow"),
        ("access-point-list-outside.json", "ExplicitDeny"),
        ("access-point-ungranted.json", "ImplicitDeny"),
    ] {
        let o = run(&["policy", "eval", &example(file)], None);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v = json_out(&o);
        assert_eq!(v["decision"], want, "{file}");
        assert!(v["explanation"]["summary"].is_string(), "{file}");
    }
}

#[test]
fn eval_explain_prints_words() {
    let o = run(
        &[
            "policy",
            "eval",
            "--explain",
            &example("access-point-list-outside.json"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("decision: ExplicitDeny"), "{text}");
    assert!(text.contains("ListOnlyInsideTheDataset"), "{text}");
}

#[test]
fn eval_reads_stdin() {
    let scenario = std::fs::read_to_string(example("access-point-read.json")).unwrap_or_default();
    let o = run(&["policy", "eval", "-"], Some(&scenario));
    assert_eq!(json_out(&o)["decision"], "Allow");
}

#[test]
fn malformed_input_exits_two_with_a_message() {
    let bad_principal = r#"{"request": {"principal": {"arn": "arn:aws:iam::111122223333:user/a"}, "action": "s3:GetObject",
        "bucket": {"name": "b", "account": "111122223333"}, "key": "k"},
        "policies": {"bucket": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/*"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}}"#;
    for input in [
        "not json",
        "{}",
        r#"{"request": {"principal": {"anonymous": true}, "action": "s3:GetObject", "bucket": {"name": "b"}}}"#,
        r#"{"request": {"principal": {"anonymous": true}, "acton": "s3:GetObject", "bucket": {"name": "b", "account": "1"}}}"#,
        bad_principal,
    ] {
        let o = run(&["policy", "eval", "-"], Some(input));
        assert_eq!(o.status.code(), Some(2), "{input}");
        assert!(o.stdout.is_empty(), "{input}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("error: "), "{err}");
    }
    let o = run(&["policy", "eval", "-"], Some(bad_principal));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Invalid principal in policy"));
    let o = run(&["policy", "eval", "/nonexistent/scenario.json"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn validate_and_lint_exit_codes() {
    let good = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#;
    let o = run(&["policy", "validate", "-"], Some(good));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(
        &["policy", "validate", "--bucket", "other", "-"],
        Some(good),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Policy has invalid resource"));

    let mismatch = r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}]}"#;
    let o = run(&["policy", "validate", "-"], Some(mismatch));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("Action does not apply to any resource(s) in statement"));

    let leaky = r#"{"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": "AIDAALICEEXAMPLE00001"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/p/*"},
        {"Sid": "List", "Effect": "Allow", "Principal": {"AWS": "AIDAALICEEXAMPLE00001"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}]}"#;
    let o = run(&["policy", "lint", "--json", "-"], Some(leaky));
    assert_eq!(o.status.code(), Some(1));
    let v = json_out(&o);
    assert_eq!(v["findings"][0]["code"], "S3K001");
    assert_eq!(v["findings"][0]["statement"], "List");
    let o = run(&["policy", "lint", "-"], Some(good));
    assert_eq!(o.status.code(), Some(0));
}
