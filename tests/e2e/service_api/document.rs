//! `openapi.json` against the router: the document is OpenAPI 3.1 and every `$ref` resolves,
//! every documented operation is routed, unknown paths get a 404 and wrong methods a 405, in JSON.

use serde_json::{json, Value};

use super::{assert_documented, deref, harmless, openapi, operations, resolve, start, METHODS};

/// Every `$ref` value anywhere under `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn openapi_is_3_1_and_every_ref_resolves() {
    let doc = openapi();
    let version = doc["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3.1."), "openapi {version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20, "suspiciously few $refs: {all:?}");
    for r in &all {
        assert!(r.starts_with("#/"), "non-local $ref {r}");
        assert!(resolve(&doc, r).is_some(), "$ref {r} does not resolve");
    }
    // Every component schema the code returns is there.
    for name in [
        "Person",
        "Identity",
        "VerificationStart",
        "Dataset",
        "UploadReport",
        "Access",
        "AuditEntry",
        "ReconcileReport",
        "Drift",
        "Error",
    ] {
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "schema {name} missing"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    let ops = operations(&doc);
    assert_eq!(
        ops.len(),
        29,
        "operations: {:?}",
        ops.iter().map(|o| (&o.0, &o.1)).collect::<Vec<_>>()
    );
    for (path, method, op) in &ops {
        // Path parameters: each `{name}` is declared, on the path item or the operation.
        let declared: Vec<String> = doc["paths"][path]
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            )
            .map(|p| deref(&doc, p))
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        let mut wanted: Vec<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}').map(str::to_owned))
            .collect();
        let mut got = declared.clone();
        wanted.sort();
        got.sort();
        assert_eq!(got, wanted, "{method} {path}: path parameters");
        assert!(
            op["operationId"].is_string(),
            "{method} {path}: operationId"
        );
        let responses = op["responses"].as_object().map(|r| r.len()).unwrap_or(0);
        assert!(responses > 0, "{method} {path}: no responses");
        // Request bodies are closed objects.
        if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
            let schema = deref(&doc, schema);
            assert_eq!(
                schema["additionalProperties"],
                Value::Bool(false),
                "{method} {path}: request body must refuse unknown fields"
            );
            assert!(schema["required"].is_array(), "{method} {path}: required");
        }
        // Everything but /health and /openapi.json is guarded when a token is configured.
        let open = op.get("security") == Some(&json!([]));
        assert_eq!(
            open,
            path == "/health" || path == "/openapi.json",
            "{method} {path}: security"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_unknown_paths_are_404_json() {
    let api = start(None).await;
    let doc = openapi();
    for (template, method, op) in operations(&doc) {
        let path = harmless(&template);
        let body = op.get("requestBody").map(|_| "{}");
        let reply = api.call(&method, &path, body).await;
        assert_ne!(reply.status, 405, "{method} {path} is not routed: 405");
        assert!(
            !(reply.status == 404 && reply.message().contains("no such endpoint")),
            "{method} {path} fell through to the fallback: {}",
            reply.text
        );
        assert_documented(&doc, &method, &path, &reply);
        // The methods the document does not list for a documented path are not routed either.
        for other in METHODS
            .iter()
            .filter(|m| doc["paths"][&template].get(**m).is_none())
        {
            let reply = api.call(other, &path, None).await;
            assert_eq!(
                reply.status, 405,
                "{other} {path} is answered but not documented: {}",
                reply.text
            );
        }
    }
    // The served document is the embedded one.
    let served = api.get("/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.json, doc);
    for path in [
        "/nope",
        "/people/a@example.org/nope",
        "/datasets/a/1/grants/a/b",
        "/",
    ] {
        let reply = api.get(path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text);
        assert_eq!(reply.error_code(), "NotFound", "{path}: {}", reply.text);
        assert!(
            reply.message().contains("no such endpoint"),
            "{}",
            reply.text
        );
    }
    let reply = api.call("POST", "/nope", Some("{}")).await;
    assert_eq!((reply.status, reply.error_code()), (404, "NotFound"));
}

#[tokio::test]
async fn a_wrong_method_gets_405_json() {
    let api = start(None).await;
    for (method, path) in [
        ("PUT", "/people"),
        ("PATCH", "/audit"),
        ("GET", "/reconcile"),
    ] {
        let reply = api.call(method, path, None).await;
        assert_eq!(reply.status, 405, "{method} {path}");
        assert!(
            reply.json["error"].is_string() && reply.json["message"].is_string(),
            "{method} {path}: 405 answer is not a JSON error: {:?}",
            reply.text
        );
    }
}
