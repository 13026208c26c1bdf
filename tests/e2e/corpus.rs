//! Runs every case of `tests/corpus/*.json` through the same path as `s3keeper policy eval`
//! (scenario parsing, validation, evaluation) and compares with the decision AWS documents.

use std::path::{Path, PathBuf};

use policy_eval::scenario::Scenario;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusFile {
    area: String,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    source: String,
    #[serde(default)]
    note: Option<String>,
    scenario: serde_json::Value,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    decision: Option<String>,
    error: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn load() -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let file: CorpusFile =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for case in file.cases {
            out.push((file.area.clone(), case));
        }
    }
    out
}

/// What policy-eval says about one case: the decision, or the error message.
fn run(case: &Case) -> Result<(String, Vec<String>), String> {
    let scenario = Scenario::from_value(case.scenario.clone()).map_err(|e| e.to_string())?;
    Ok((scenario.explain().decision.to_string(), scenario.warnings))
}

#[test]
fn corpus_matches_documented_decisions() {
    let cases = load();
    assert!(
        cases.len() >= 200,
        "the corpus has only {} cases",
        cases.len()
    );
    println!("checking {} corpus cases", cases.len());
    let mut names = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for (area, case) in &cases {
        assert!(
            names.insert(case.name.clone()),
            "duplicate case name `{}`",
            case.name
        );
        assert!(
            !case.source.is_empty(),
            "case `{}` has no source",
            case.name
        );
        let got = run(case);
        let ok = match (&case.expect.decision, &case.expect.error, &got) {
            (Some(want), None, Ok((d, _))) => want == d,
            (None, Some(want), Err(msg)) => msg.to_lowercase().contains(&want.to_lowercase()),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "[{area}] {}: expected {:?}, got {:?}{}",
                case.name,
                case.expect,
                got,
                case.note
                    .as_deref()
                    .map(|n| format!(" (note: {n})"))
                    .unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
