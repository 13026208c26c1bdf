//! The service's command line as a user runs it: `s3keeper demo` (a contract checked from
//! outside), help, the database-only commands, and exit codes for bad input and configuration.

use std::process::{Command, Output};

use crate::cli::s3keeper;

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(s3keeper());
    cmd.args(args).env_remove("S3KEEPER_DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run s3keeper: {e}"),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn demo_runs_the_whole_flow_offline_and_says_what_happens() {
    let out = run(&["demo"], &[]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    for want in [
        "The service acts as IAM user s3keeper-service, holding only the policy `s3keeper iam-policy` prints",
        "anything else, such as listing every bucket of the account, is refused (AccessDenied)",
        "is verified as arn:aws:iam::444455556666:user/alice",
        "is verified as arn:aws:iam::444455556666:user/bob",
        "first pastes Alice's signed URL: the signed URL is not acceptable",
        "Alice's command: aws s3 sync s3://arn:aws:s3:us-east-1:111122223333:accesspoint/demo-cohort-v1-0-01/demo-cohort/1.0/",
        "Alice lists demo-cohort/1.0/: demo-cohort/1.0/README.txt, demo-cohort/1.0/data/measurements.csv",
        "Alice reads demo-cohort/1.0/data/measurements.csv:",
        "Alice lists outside the dataset: refused (AccessDenied)",
        "why, from fake-s3's journal: an explicit Deny in the access_point policy (statement `ListOnlyInsideDataset`)",
        "and an access point policy Allow (missing)",
        "through Alice's access point: refused (AccessDenied)",
        "Alice reads demo-cohort/1.0/data/measurements.csv again: refused (AccessDenied)",
        "the instrument POSTs instrument/night-1/frame-0001.csv: stored",
        "a key outside the prefix: refused (AccessDenied: Invalid according to Policy: Policy Condition failed: [\"starts-with\",\"$key\",\"instrument/night-1/\"])",
        "finished: 1 object(s)",
        "the same form afterwards: refused (AccessDenied",
        "why, from fake-s3's journal: an explicit Deny in the bucket policy (statement `EndedUploadTickets`)",
        "upload-finish",
        "granted",
        "revoked",
        "Done",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
}

#[test]
fn demo_shares_runs_the_guides_examples_offline() {
    let out = run(&["demo", "--shares"], &[]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    for want in [
        "bob reads README.txt: allowed",
        "bob uploads new.txt: refused",
        "jane@uab.edu uploads results.csv (outside incoming/): refused",
        "bob deletes incoming/run1.csv: allowed",
        "carol reads test_folder/notes.txt: refused",
        "carol lists the whole bucket: refused",
        "refuses to overwrite the edit",
        "\"Sid\": \"visiting-student\"",
        "mallory still reads README.txt (the edit kept): allowed",
        "carol   ",
        "lint: clean",
        "bob reads README.txt: refused",
        "The service made only S3 requests",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
    let share = text(&run(&["share", "--help"], &[]).stdout);
    for cmd in ["grant", "revoke", "show", "import", "report"] {
        assert!(
            share.contains(&format!("  {cmd} ")),
            "{cmd} missing:\n{share}"
        );
    }
}

#[test]
fn help_lists_every_command() {
    let out = run(&["--help"], &[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for cmd in [
        "policy",
        "demo",
        "setup",
        "serve",
        "reconcile",
        "person",
        "verify",
        "dataset",
        "agree",
        "grant",
        "revoke",
        "access",
        "upload",
        "push",
        "client",
        "share",
        "audit",
    ] {
        assert!(
            stdout.contains(&format!("  {cmd} ")),
            "{cmd} missing:\n{stdout}"
        );
    }
    let serve = text(&run(&["serve", "--help"], &[]).stdout);
    for flag in [
        "--listen",
        "--reconcile-every",
        "--api-token",
        "--database-url",
        "--embedded",
        "--capacity",
    ] {
        assert!(serve.contains(flag), "{flag} missing:\n{serve}");
    }
}

#[test]
fn database_commands_work_across_invocations() {
    let dir = std::env::temp_dir().join(format!("s3keeper-cli-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let url = format!("sqlite://{}?mode=rwc", dir.join("k.db").display());
    let db = [("S3KEEPER_DATABASE_URL", url.as_str())];
    let add = run(
        &[
            "person",
            "add",
            "ann@example.org",
            "--name",
            "Ann",
            "--embedded",
        ],
        &db,
    );
    assert!(add.status.success(), "{}", text(&add.stderr));
    let show = run(&["person", "show", "ann@example.org", "--embedded"], &db);
    assert!(show.status.success(), "{}", text(&show.stderr));
    let person: serde_json::Value = match serde_json::from_slice(&show.stdout) {
        Ok(v) => v,
        Err(e) => panic!("{e}: {}", text(&show.stdout)),
    };
    assert_eq!(person["name"], "Ann");
    assert!(person["identity"].is_null());
    // A root identity is refused with the reason.
    let root = dir.join("root.json");
    let _ = std::fs::write(
        &root,
        r#"{"UserId":"111122223333","Account":"111122223333","Arn":"arn:aws:iam::111122223333:root"}"#,
    );
    let refused = run(
        &[
            "verify",
            "start",
            "ann@example.org",
            &root.to_string_lossy(),
            "--embedded",
        ],
        &db,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("root user"),
        "{}",
        text(&refused.stderr)
    );
    let audit = run(&["audit", "--json", "--embedded"], &db);
    let entries: serde_json::Value = match serde_json::from_slice(&audit.stdout) {
        Ok(v) => v,
        Err(e) => panic!("{e}: {}", text(&audit.stdout)),
    };
    let actions: Vec<&str> = entries
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["person-added"],
        "the refused verification wrote nothing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_and_bad_configuration_have_distinct_exit_codes() {
    let mem = [("S3KEEPER_DATABASE_URL", "sqlite::memory:")];
    let bad_label = run(
        &["grant", "ann@example.org", "no-version", "--embedded"],
        &mem,
    );
    assert_eq!(bad_label.status.code(), Some(1));
    assert!(
        text(&bad_label.stderr).contains("SLUG/VERSION"),
        "{}",
        text(&bad_label.stderr)
    );
    let capacity = run(&["setup", "--embedded", "--capacity", "5000"], &mem);
    assert_eq!(capacity.status.code(), Some(2));
    assert!(
        text(&capacity.stderr).contains("at most"),
        "{}",
        text(&capacity.stderr)
    );
    let db = run(&["setup", "--embedded", "--database-url", "mysql://x"], &[]);
    assert_eq!(db.status.code(), Some(2));
    assert!(text(&db.stderr).contains("neither"), "{}", text(&db.stderr));
}
