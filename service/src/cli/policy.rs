//! `s3keeper policy eval | validate | lint`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use policy_eval::lint::{lint, Severity};
use policy_eval::scenario::Scenario;
use policy_eval::{Policy, PolicyKind};
use serde_json::{json, Value};

use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Decide a request scenario (JSON) as AWS would: Allow, ExplicitDeny or ImplicitDeny.
    ///
    /// Prints JSON with `decision`, `summary`, `explanation` and `warnings`. Exits 0 for any
    /// decision and 2 when the scenario or one of its policies is malformed.
    Eval {
        /// Scenario file, or `-` for standard input.
        scenario: PathBuf,
        /// Print the explanation for people instead of JSON.
        #[arg(long)]
        explain: bool,
    },
    /// Check that a policy document is one AWS would accept.
    ///
    /// Exits 0 when valid, 1 when AWS would refuse it (the message names the statement and
    /// element), 2 when the file cannot be read.
    Validate {
        /// Policy file, or `-` for standard input.
        policy: PathBuf,
        #[arg(long, value_enum, default_value_t = KindArg::Auto)]
        kind: KindArg,
        /// Also check that every resource belongs to this bucket, as `PutBucketPolicy` does.
        #[arg(long, conflicts_with = "access_point_arn")]
        bucket: Option<String>,
        /// Also check that every resource belongs to this access point, as `PutAccessPointPolicy` does.
        #[arg(long)]
        access_point_arn: Option<String>,
    },
    /// Find valid-but-dangerous patterns (codes S3K001…S3K008; see README).
    ///
    /// Exits 0 when there are no error-severity findings, 1 when there are, 2 when the policy cannot
    /// be read or is invalid.
    Lint {
        /// Policy file, or `-` for standard input.
        policy: PathBuf,
        #[arg(long, value_enum, default_value_t = KindArg::Auto)]
        kind: KindArg,
        /// Print findings as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Which kind of policy a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Bucket or access-point policy when statements name principals, identity policy otherwise.
    Auto,
    Identity,
    Session,
    Bucket,
    AccessPoint,
    Trust,
}

const MALFORMED: u8 = 2;

fn read_input(path: &Path) -> Result<String, String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(MALFORMED)
}

/// Runs one `policy` subcommand.
pub fn run(cmd: PolicyCommand) -> ExitCode {
    match cmd {
        PolicyCommand::Eval { scenario, explain } => eval(&scenario, explain),
        PolicyCommand::Validate {
            policy,
            kind,
            bucket,
            access_point_arn,
        } => validate(
            &policy,
            kind,
            bucket.as_deref(),
            access_point_arn.as_deref(),
        ),
        PolicyCommand::Lint { policy, kind, json } => lint_cmd(&policy, kind, json),
    }
}

fn eval(path: &Path, explain: bool) -> ExitCode {
    let text = match read_input(path) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let scenario = match Scenario::parse(&text) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    for w in &scenario.warnings {
        eprintln!("warning: {w}");
    }
    let explanation = scenario.explain();
    if explain {
        print!("{}", explanation.to_text());
        for w in &scenario.warnings {
            println!("warning: {w}");
        }
    } else {
        let out = json!({
            "decision": explanation.decision,
            "summary": explanation.summary,
            "explanation": explanation,
            "warnings": scenario.warnings,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    ExitCode::SUCCESS
}

/// Guesses the kind of a policy document: resource policies name principals.
fn detect_kind(doc: &Value) -> PolicyKind {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    let names_principal = statements
        .iter()
        .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some());
    if !names_principal {
        return PolicyKind::Identity;
    }
    let has_resource = statements
        .iter()
        .any(|s| s.get("Resource").is_some() || s.get("NotResource").is_some());
    if !has_resource {
        return PolicyKind::Trust;
    }
    if doc.to_string().contains(":accesspoint/") {
        PolicyKind::AccessPoint
    } else {
        PolicyKind::Bucket
    }
}

fn kind_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity",
        PolicyKind::Session => "session",
        PolicyKind::Bucket => "bucket",
        PolicyKind::AccessPoint => "access point",
        PolicyKind::Trust => "trust",
    }
}

fn load(path: &Path, kind: KindArg) -> Result<(Value, PolicyKind), String> {
    let text = read_input(path)?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not JSON: {e}", path.display()))?;
    let kind = match kind {
        KindArg::Auto => detect_kind(&doc),
        KindArg::Identity => PolicyKind::Identity,
        KindArg::Session => PolicyKind::Session,
        KindArg::Bucket => PolicyKind::Bucket,
        KindArg::AccessPoint => PolicyKind::AccessPoint,
        KindArg::Trust => PolicyKind::Trust,
    };
    Ok((doc, kind))
}

fn compile(text_doc: &Value, kind: PolicyKind) -> Result<Policy, policy_eval::PolicyError> {
    Policy::from_value(text_doc, kind)
}

fn validate(path: &Path, kind: KindArg, bucket: Option<&str>, ap_arn: Option<&str>) -> ExitCode {
    let (doc, kind) = match load(path, kind) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let checked = compile(&doc, kind).and_then(|p| {
        if let Some(b) = bucket {
            p.check_resources_for_bucket(b)?;
        }
        if let Some(a) = ap_arn {
            p.check_resources_for_access_point(a)?;
        }
        Ok(p)
    });
    match checked {
        Ok(p) => {
            println!(
                "valid {} policy: {} statement(s), {} bytes without whitespace",
                kind_name(kind),
                p.statements.len(),
                p.size
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("invalid {} policy: {e}", kind_name(kind));
            ExitCode::from(1)
        }
    }
}

fn lint_cmd(path: &Path, kind: KindArg, as_json: bool) -> ExitCode {
    let (doc, kind) = match load(path, kind) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let policy = match compile(&doc, kind) {
        Ok(p) => p,
        Err(e) => return fail(&format!("invalid {} policy: {e}", kind_name(kind))),
    };
    let findings = lint(&policy);
    if as_json {
        let out = json!({"kind": kind_name(kind), "findings": findings});
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else if findings.is_empty() {
        println!("no findings");
    } else {
        for f in &findings {
            let at = f
                .statement
                .as_deref()
                .map(|s| format!(" statement `{s}`:"))
                .unwrap_or_default();
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            println!("{} {} [{sev}]{at} {}", f.code, f.name, f.message);
        }
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
