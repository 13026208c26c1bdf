//! The metrics exposition (parsed as strictly as Prometheus would) and `/health` naming the
//! dependency that does not answer.

use serde_json::Value;

use super::{conforms, openapi, resolve};
use crate::service_support::{env, Backend, Env};

/// Parses Prometheus / OpenMetrics exposition text strictly: every line is `# HELP`, `# TYPE`,
/// the final `# EOF`, or a sample `name{label="value",…} number` of a family declared by a
/// `# TYPE` line. Returns each series (name and labels as written) with its value.
pub(super) fn parse_exposition(
    text: &str,
) -> Result<std::collections::HashMap<String, f64>, String> {
    let mut families: Vec<(String, String)> = Vec::new();
    let mut series = std::collections::HashMap::new();
    let name_ok = |n: &str| {
        !n.is_empty()
            && !n.starts_with(|c: char| c.is_ascii_digit())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut ended = false;
    for line in text.lines() {
        if ended {
            return Err(format!("text after # EOF: {line:?}"));
        }
        if line == "# EOF" {
            ended = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            if !name_ok(name) {
                return Err(format!("bad HELP line {line:?}"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let (Some(name), Some(kind), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("bad TYPE line {line:?}"));
            };
            if !name_ok(name)
                || ![
                    "counter",
                    "gauge",
                    "histogram",
                    "summary",
                    "untyped",
                    "unknown",
                    "info",
                    "stateset",
                    "gaugehistogram",
                ]
                .contains(&kind)
            {
                return Err(format!("bad TYPE line {line:?}"));
            }
            families.push((name.to_owned(), kind.to_owned()));
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            return Err(format!("unexpected line {line:?}"));
        }
        let (key, value) = line
            .rsplit_once(' ')
            .ok_or_else(|| format!("no value in {line:?}"))?;
        let value: f64 = value
            .parse()
            .map_err(|_| format!("bad value in {line:?}"))?;
        let name = key.split('{').next().unwrap_or_default();
        if !name_ok(name) {
            return Err(format!("bad metric name in {line:?}"));
        }
        if let Some(labels) = key.strip_prefix(name) {
            if !labels.is_empty() {
                let inner = labels
                    .strip_prefix('{')
                    .and_then(|l| l.strip_suffix('}'))
                    .ok_or_else(|| format!("bad labels in {line:?}"))?;
                // label="value" pairs; values have no unescaped quotes here.
                for pair in inner.split("\",") {
                    let (label, quoted) = pair
                        .split_once('=')
                        .ok_or_else(|| format!("bad label in {line:?}"))?;
                    if !name_ok(label) || !quoted.starts_with('"') {
                        return Err(format!("bad label in {line:?}"));
                    }
                }
                if !inner.ends_with('"') {
                    return Err(format!("unterminated label value in {line:?}"));
                }
            }
        }
        let declared = families.iter().any(|(f, kind)| {
            let suffixes: &[&str] = match kind.as_str() {
                "counter" => &["_total", "_created"],
                "histogram" => &["_bucket", "_sum", "_count", "_created"],
                "summary" => &["", "_sum", "_count", "_created"],
                _ => &[""],
            };
            suffixes.iter().any(|s| name == format!("{f}{s}"))
        });
        if !declared {
            return Err(format!("sample of an undeclared family: {line:?}"));
        }
        if series.insert(key.to_owned(), value).is_some() {
            return Err(format!("duplicate series {key}"));
        }
    }
    Ok(series)
}

#[test]
fn the_exposition_parser_refuses_what_prometheus_would() {
    let good = "# HELP a_total x.\n# TYPE a counter\na_total{k=\"v\"} 1\n# EOF\n";
    assert!(parse_exposition(good).is_ok());
    for bad in [
        "a_total 1\n",
        "# TYPE a counter\na_total one\n",
        "# TYPE a counter\na_total{k=v} 1\n",
        "# TYPE a counter\n# EOF\na_total 1\n",
        "# TYPE a counter\na_total 1\na_total 2\n",
        "# TYPE a wobble\n",
    ] {
        assert!(parse_exposition(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_which_dependency_does_not_answer() {
    let Env { fake, keeper, .. } = env(Backend::Sqlite).await;
    let app = s3keeper::api::router(keeper, Some("secret".to_owned()));
    drop(fake);
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(s3keeper::api::serve(listener, app, std::future::pending()));
    let reply = match reqwest::Client::builder().no_proxy().build() {
        Ok(c) => c.get(format!("http://{addr}/health")).send().await,
        Err(e) => panic!("client: {e}"),
    };
    let reply = reply.unwrap_or_else(|e| panic!("GET /health: {e}"));
    assert_eq!(reply.status().as_u16(), 503);
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    assert_eq!(body["error"], "Unavailable", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("database: ok; aws: AWS GetCallerIdentity failed: ConnectionRefused"),
        "{message}"
    );
    assert!(message.contains("hint: nothing listens"), "{message}");
    let doc = openapi();
    let error = resolve(&doc, "#/components/schemas/Error")
        .cloned()
        .unwrap_or(Value::Null);
    if let Err(e) = conforms(&doc, &error, &body, "body") {
        panic!("{e}");
    }
}
