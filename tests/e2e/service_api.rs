//! The HTTP API running for real: a `Keeper` over the fake AWS and SQLite, served on a loopback
//! port and spoken to with `reqwest`. Checks `openapi.json` against the router (every documented
//! operation is routed, every status seen is documented, every body matches its schema), the
//! whole flow through HTTP, that bad input gets a 4xx JSON error and writes nothing, and the
//! bearer token.

use std::path::PathBuf;

use rstest::rstest;
use serde_json::{json, Value};

use crate::service_support::{
    caller_identity, can_read, env, presign, verify, Backend, Env, Person, PEOPLE, READER,
};
use s3keeper::keeper::{AuditFilter, Kind, Quiet};

const TOKEN: &str = "correct-horse-battery-staple";
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

// ---- the server and a client ----

/// A running API over a fresh environment.
pub(crate) struct Api {
    pub(crate) env: Env,
    pub(crate) base: String,
    http: reqwest::Client,
    token: Option<String>,
}

/// One answer: status, the raw body and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    content_type: String,
    pub(crate) text: String,
    pub(crate) json: Value,
}

impl Reply {
    fn error_code(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
    fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }
}

pub(crate) async fn start(token: Option<&str>) -> Api {
    let env = env(Backend::Sqlite).await;
    let app = s3keeper::api::router(env.keeper.clone(), token.map(str::to_owned));
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("local_addr: {e}"),
    };
    tokio::spawn(s3keeper::api::serve(listener, app, std::future::pending()));
    let http = match reqwest::Client::builder().no_proxy().build() {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    Api {
        env,
        base: format!("http://{addr}"),
        http,
        token: token.map(str::to_owned),
    }
}

impl Api {
    /// Sends `method path` with `body` as `application/json`, with the API token if there is one.
    async fn call(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        self.call_with(method, path, body, auth.as_deref()).await
    }

    /// Sends with exactly this `Authorization` header (none for `None`).
    pub(crate) async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        authorization: Option<&str>,
    ) -> Reply {
        let method = match reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()) {
            Ok(m) => m,
            Err(e) => panic!("method {method}: {e}"),
        };
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            request = request
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        if let Some(a) = authorization {
            request = request.header("authorization", a);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => panic!("{method} {url}: {e}"),
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => panic!("{method} {url}: body: {e}"),
        };
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            text,
            json,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call("POST", path, Some(&body.to_string())).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None).await
    }
}

// ---- the OpenAPI document ----

pub(crate) fn openapi() -> Value {
    match serde_json::from_str(s3keeper::api::OPENAPI) {
        Ok(v) => v,
        Err(e) => panic!("openapi.json is not JSON: {e}"),
    }
}

/// Every (path template, method, operation) in the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let Some(paths) = doc["paths"].as_object() else {
        panic!("openapi.json has no paths")
    };
    let mut out = Vec::new();
    for (path, item) in paths {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((path.clone(), m.to_owned(), op.clone()));
            }
        }
    }
    out
}

/// Fills `{email}`, `{slug}`, `{version}` and `{bucket}` with values that name nothing.
fn harmless(template: &str) -> String {
    template
        .replace("{email}", "nobody@example.org")
        .replace("{slug}", "nosuch")
        .replace("{version}", "1")
        .replace("{bucket}", "nosuch-bucket")
}

/// The documented path template that `path` (without query) matches.
fn template_of(doc: &Value, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"].as_object()?.keys().find_map(|t| {
        let ts: Vec<&str> = t.split('/').collect();
        let same = ts.len() == segments.len()
            && ts
                .iter()
                .zip(&segments)
                .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}') && !b.is_empty()));
        same.then(|| t.clone())
    })
}

/// Follows a local `$ref`.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Follows `$ref`s until a value without one.
fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => match resolve(doc, r) {
                Some(target) => v = target,
                None => panic!("unresolved $ref {r}"),
            },
            None => return v,
        }
    }
    panic!("$ref chain too long")
}

/// Whether `value` conforms to `schema`, for the keywords openapi.json uses. `Err` says where not.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let Some(target) = resolve(doc, r) else {
            return Err(format!("{at}: unresolved $ref {r}"));
        };
        return conforms(doc, target, value, at);
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|s| conforms(doc, s, value, at).is_ok())
            .count();
        if matching != 1 {
            return Err(format!("{at}: {value} matches {matching} of oneOf"));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            return Err(format!("{at}: {value} is not {c}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => return Err(format!("{at}: unknown type {other}")),
        };
        if !ok {
            return Err(format!("{at}: {value} is not of type {t}"));
        }
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if n < min {
            return Err(format!("{at}: {n} < minimum {min}"));
        }
    }
    if let Some(obj) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(name) {
                return Err(format!("{at}: required `{name}` missing in {value}"));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => conforms(doc, s, v, &format!("{at}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: undocumented property `{k}`"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            conforms(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Asserts that the document lists `reply`'s status for `method path` and that the body matches
/// the documented schema (and is the error shape for a 4xx/5xx).
pub(crate) fn assert_documented(doc: &Value, method: &str, path: &str, reply: &Reply) {
    let Some(template) = template_of(doc, path) else {
        panic!("{method} {path}: no documented path matches")
    };
    let method = method.to_ascii_lowercase();
    let op = &doc["paths"][&template][&method];
    assert!(op.is_object(), "{method} {template} is not documented");
    let status = reply.status.to_string();
    let Some(response) = op["responses"].get(&status) else {
        panic!(
            "{method} {path} answered {status}, which openapi.json does not list for {method} {template}: {}",
            reply.text
        )
    };
    let response = deref(doc, response);
    let other_media = response["content"]
        .as_object()
        .and_then(|c| c.keys().find(|k| *k != "application/json").cloned());
    match response.pointer("/content/application~1json/schema") {
        Some(schema) => {
            if let Err(e) = conforms(doc, schema, &reply.json, "body") {
                panic!("{method} {path} ({status}): {e}\n{}", reply.text);
            }
        }
        // A documented non-JSON body (the metrics text): that media type, not empty.
        None if other_media.is_some() => {
            let media = other_media.unwrap_or_default();
            assert!(
                reply.content_type.starts_with(&media) && !reply.text.is_empty(),
                "{method} {path} ({status}) documents {media} but sent {:?}: {}",
                reply.content_type,
                reply.text
            );
        }
        None => assert!(
            reply.text.is_empty(),
            "{method} {path} ({status}) documents no body but sent {}",
            reply.text
        ),
    }
    if reply.status >= 400 {
        let error = resolve(doc, "#/components/schemas/Error")
            .cloned()
            .unwrap_or(Value::Null);
        if let Err(e) = conforms(doc, &error, &reply.json, "error") {
            panic!("{method} {path} ({status}): {e}\n{}", reply.text);
        }
    }
}

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

// ---- the whole flow ----

/// An IAM user in the people account, not yet known to the service.
fn iam_user(env: &Env, name: &str) -> Person {
    let (user, creds) = match env.fake.create_user(PEOPLE, name, &[READER]) {
        Ok(u) => u,
        Err(e) => panic!("create_user {name}: {e}"),
    };
    Person {
        email: format!("{name}@example.org"),
        name: name.to_owned(),
        user_id: user.user_id,
        arn: user.arn,
        s3: aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds)),
    }
}

fn actions(entries: &Value) -> Vec<String> {
    entries
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_whole_flow_over_http() {
    let api = start(None).await;
    let doc = openapi();
    let check = |method: &str, path: &str, reply: &Reply, want: u16| {
        assert_eq!(reply.status, want, "{method} {path}: {}", reply.text);
        assert_documented(&doc, method, path, reply);
    };
    let alice = iam_user(&api.env, "alice");
    let me = format!("/people/{}", alice.email);

    let r = api
        .post("/people", &json!({"email": alice.email, "name": "Alice"}))
        .await;
    check("POST", "/people", &r, 201);
    assert_eq!(r.json["email"], alice.email.as_str());
    assert_eq!(r.json["identity"], Value::Null);

    let r = api.get(&me).await;
    check("GET", &me, &r, 200);
    assert_eq!(r.json["name"], "Alice");

    let path = format!("{me}/verification");
    let r = api
        .post(&path, &json!({"caller_identity": caller_identity(&alice)}))
        .await;
    check("POST", &path, &r, 200);
    let (Some(bucket), Some(key)) = (r.json["bucket"].as_str(), r.json["key"].as_str()) else {
        panic!("{}", r.text)
    };
    assert!(r.json["command"]
        .as_str()
        .unwrap_or("")
        .starts_with("aws s3 presign s3://"));
    let url = presign(&alice.s3, bucket, key, 600).await;
    let path = format!("{me}/verification/url");
    let r = api.post(&path, &json!({"url": url})).await;
    check("POST", &path, &r, 200);
    assert_eq!(r.json["status"], "verified");
    assert_eq!(r.json["arn"], alice.arn.as_str());
    assert_eq!(r.json["user_id"], alice.user_id.as_str());

    let dir = crate::service_support::dataset_dir("api-flow");
    let r = api
        .post(
            "/datasets",
            &json!({"slug": "mimic", "version": "1.0", "kind": "controlled", "source": dir}),
        )
        .await;
    check("POST", "/datasets", &r, 201);
    assert_eq!(r.json["state"], "registered");
    assert_eq!(r.json["kind"], "controlled");
    assert_eq!(
        r.json["location"],
        "s3://s3keeper-controlled-data/mimic/1.0/"
    );
    let r = api.get("/datasets").await;
    check("GET", "/datasets", &r, 200);
    assert_eq!(r.json.as_array().map(Vec::len), Some(1));

    let r = api.call("POST", "/datasets/mimic/1.0/upload", None).await;
    check("POST", "/datasets/mimic/1.0/upload", &r, 200);
    assert_eq!(
        r.json["uploaded"].as_array().map(Vec::len),
        Some(3),
        "{}",
        r.text
    );
    assert_eq!(r.json["bytes_sent"], 8 + 8 + 8);
    let r = api.call("POST", "/datasets/mimic/1.0/upload", None).await;
    check("POST", "/datasets/mimic/1.0/upload", &r, 200);
    assert_eq!(
        r.json["unchanged"].as_array().map(Vec::len),
        Some(3),
        "{}",
        r.text
    );
    let r = api.get("/datasets/mimic/1.0").await;
    check("GET", "/datasets/mimic/1.0", &r, 200);
    assert_eq!(r.json["state"], "uploaded");

    let who = json!({"email": alice.email});
    let path = "/datasets/mimic/1.0/agreements";
    let signed = api.post(path, &who).await;
    check("POST", path, &signed, 200);
    assert_eq!(signed.json["signed"], true);
    let path = "/datasets/mimic/1.0/grants";
    let granted = api.post(path, &who).await;
    check("POST", path, &granted, 200);
    let access = &granted.json;
    // A verified person who signs is granted at once; the explicit grant returns the same.
    assert_eq!(&signed.json["access"], access);
    let uri = access["s3_uri"].as_str().unwrap_or("");
    assert!(
        uri.starts_with("s3://arn:aws:s3:us-east-1:111122223333:accesspoint/"),
        "{uri}"
    );
    assert!(uri.ends_with("/mimic/1.0/"), "{uri}");
    assert_eq!(
        access["sync_command"],
        format!("aws s3 sync {uri} mimic-1.0").as_str()
    );
    assert_eq!(access["state"], "active", "{}", granted.text);
    assert_eq!(access["dataset"], "mimic/1.0");
    let Some(ap_arn) = access["access_point_arn"].as_str() else {
        panic!("{}", granted.text)
    };

    let grant_path = format!("/datasets/mimic/1.0/grants/{}", alice.email);
    let r = api.get(&grant_path).await;
    check("GET", &grant_path, &r, 200);
    assert_eq!(&r.json, access);
    let r = api.get(&me).await;
    assert_eq!(r.json["grants"], json!(["mimic/1.0"]));
    assert_eq!(r.json["agreements"], json!(["mimic/1.0"]));
    assert!(can_read(&alice, ap_arn, "mimic/1.0/data/a.csv").await);

    let r = api.delete(&grant_path).await;
    check("DELETE", &grant_path, &r, 204);
    assert!(!can_read(&alice, ap_arn, "mimic/1.0/data/a.csv").await);
    let r = api.get(&grant_path).await;
    check("GET", &grant_path, &r, 404);
    let r = api.delete(&grant_path).await;
    check("DELETE", &grant_path, &r, 404);

    let path = format!("/audit?person={}", alice.email);
    let r = api.get(&path).await;
    check("GET", &path, &r, 200);
    assert_eq!(
        actions(&r.json),
        [
            "person-added",
            "verification-started",
            "identity-verified",
            "agreement-signed",
            "granted",
            "revoked"
        ],
        "{}",
        r.text
    );
    let r = api.get("/audit?limit=1").await;
    check("GET", "/audit?limit=1", &r, 200);
    assert_eq!(actions(&r.json), ["revoked"], "{}", r.text);
    let path = "/audit?dataset=mimic/1.0&action=granted";
    let r = api.get(path).await;
    check("GET", path, &r, 200);
    assert_eq!(actions(&r.json), ["granted"], "{}", r.text);
    let last_grant = r.json[0]["id"].as_i64().unwrap_or(0);
    let path = format!("/audit?after={last_grant}");
    let r = api.get(&path).await;
    check("GET", &path, &r, 200);
    assert_eq!(actions(&r.json), ["revoked"], "{}", r.text);

    let r = api.call("POST", "/reconcile", None).await;
    check("POST", "/reconcile", &r, 200);
    assert_eq!(r.json["drift"], json!([]), "{}", r.text);
    assert_eq!(r.json["failures"], json!([]), "{}", r.text);

    let path = format!("{me}/identity");
    let r = api.delete(&path).await;
    check("DELETE", &path, &r, 204);
    let r = api.get(&me).await;
    check("GET", &me, &r, 200);
    assert_eq!(r.json["identity"], Value::Null);
    let r = api.get("/health").await;
    check("GET", "/health", &r, 200);
    // Probes in quick succession reuse the AWS answer (counted below: one STS call).
    for _ in 0..3 {
        check("GET", "/health", &api.get("/health").await, 200);
    }

    // The metrics count what this flow did, in a text Prometheus can parse.
    let r = api.get("/metrics").await;
    check("GET", "/metrics", &r, 200);
    let series = match parse_exposition(&r.text) {
        Ok(s) => s,
        Err(e) => panic!("/metrics does not parse: {e}\n{}", r.text),
    };
    let audit = api.get("/audit").await;
    let count = |action: &str| actions(&audit.json).iter().filter(|a| *a == action).count() as f64;
    assert_eq!(
        series.get("s3keeper_grants_total"),
        Some(&count("granted")),
        "{}",
        r.text
    );
    assert_eq!(
        series.get("s3keeper_revokes_total"),
        Some(&count("revoked")),
        "{}",
        r.text
    );
    assert!(count("granted") >= 1.0 && count("revoked") >= 1.0);
    assert_eq!(
        series.get("s3keeper_verifications_total{outcome=\"verified\"}"),
        Some(&count("identity-verified")),
        "{}",
        r.text
    );
    let at_least_one = |name: &str| {
        assert!(
            series.get(name).is_some_and(|v| *v >= 1.0),
            "{name} missing or zero in:\n{}",
            r.text
        )
    };
    at_least_one("s3keeper_aws_calls_total{operation=\"PutAccessPointPolicy\",status=\"200\"}");
    assert_eq!(
        series.get("s3keeper_aws_calls_total{operation=\"GetCallerIdentity\",status=\"200\"}"),
        Some(&1.0),
        "four /health probes within 10 s make one STS call:\n{}",
        r.text
    );
    at_least_one("s3keeper_aws_call_duration_seconds_count{operation=\"CreateAccessPoint\"}");
    at_least_one("s3keeper_reconcile_runs_total{outcome=\"ok\"}");
    at_least_one(
        "s3keeper_http_requests_total{route=\"/datasets/{slug}/{version}/grants\",method=\"POST\",status=\"200\"}",
    );
}

/// Parses Prometheus / OpenMetrics exposition text strictly: every line is `# HELP`, `# TYPE`,
/// the final `# EOF`, or a sample `name{label="value",…} number` of a family declared by a
/// `# TYPE` line. Returns each series (name and labels as written) with its value.
fn parse_exposition(text: &str) -> Result<std::collections::HashMap<String, f64>, String> {
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

// ---- bad input ----

/// An environment with something in every table: alice verified, signed and granted on
/// `ctl/1.0`; bob signed but not verified; carol verified without an agreement; dave halfway
/// through verification; `ctl/1.0` controlled and uploaded; `pub/1` open and registered.
struct World {
    api: Api,
    alice: Person,
    dave_key: (String, String),
    dir: PathBuf,
}

async fn world() -> World {
    let api = start(None).await;
    let env = &api.env;
    let k = &env.keeper;
    let mut people = Vec::new();
    for name in ["alice", "bob", "carol", "dave"] {
        let p = iam_user(env, name);
        if let Err(e) = k.add_person(&p.email, name).await {
            panic!("add_person: {e}");
        }
        people.push(p);
    }
    let [alice, bob, carol, dave] =
        <[Person; 4]>::try_from(people).unwrap_or_else(|_| panic!("four people"));
    verify(env, &alice).await;
    verify(env, &carol).await;
    let dir = crate::service_support::dataset_dir("api-world");
    if let Err(e) = k
        .register_dataset("ctl", "1.0", Kind::Controlled, &dir)
        .await
    {
        panic!("register: {e}");
    }
    if let Err(e) = k.upload("ctl", "1.0", &Quiet).await {
        panic!("upload: {e}");
    }
    if let Err(e) = k.register_dataset("pub", "1", Kind::Open, &dir).await {
        panic!("register: {e}");
    }
    for p in [&alice, &bob] {
        if let Err(e) = k.sign_agreement(&p.email, "ctl", "1.0").await {
            panic!("sign: {e}");
        }
    }
    let started = match k
        .start_verification(&dave.email, &caller_identity(&dave))
        .await
    {
        Ok(s) => s,
        Err(e) => panic!("start_verification: {e}"),
    };
    World {
        api,
        alice,
        dave_key: (started.bucket, started.key),
        dir,
    }
}

impl World {
    /// Replaces `$NAME` in a case's body with a JSON string.
    async fn fill(&self, body: &str) -> String {
        let mut out = body.to_owned();
        let root = json!({"UserId": "444455556666", "Account": PEOPLE, "Arn": format!("arn:aws:iam::{PEOPLE}:root")});
        let file = self.dir.join("README.txt");
        let missing = self.dir.join("no-such-dir");
        let mut values = vec![
            ("$ALICE_IDENTITY", caller_identity(&self.alice)),
            ("$ROOT_IDENTITY", root.to_string()),
            ("$SOURCE_FILE", file.display().to_string()),
            ("$MISSING_DIR", missing.display().to_string()),
            ("$SOURCE", self.dir.display().to_string()),
        ];
        if out.contains("$ALICE_SIGNED_DAVE_URL") {
            let (bucket, key) = &self.dave_key;
            values.push((
                "$ALICE_SIGNED_DAVE_URL",
                presign(&self.alice.s3, bucket, key, 600).await,
            ));
        }
        for (name, value) in values {
            out = out.replace(name, &Value::String(value).to_string());
        }
        out
    }

    /// Everything the database holds that a request could change.
    async fn snapshot(&self) -> Value {
        let k = &self.api.env.keeper;
        let all = AuditFilter {
            limit: Some(10_000),
            ..AuditFilter::default()
        };
        let audit = match k.audit(&all).await {
            Ok(a) => a,
            Err(e) => panic!("audit: {e}"),
        };
        let datasets = match k.datasets().await {
            Ok(d) => d,
            Err(e) => panic!("datasets: {e}"),
        };
        let mut people = Vec::new();
        for name in ["alice", "bob", "carol", "dave"] {
            match k.person(&format!("{name}@example.org")).await {
                Ok(p) => people.push(p),
                Err(e) => panic!("person: {e}"),
            }
        }
        let mut counts = serde_json::Map::new();
        for table in [
            "people",
            "identities",
            "pending_verifications",
            "datasets",
            "agreements",
            "access_points",
            "grants",
            "audit",
        ] {
            let n: Result<(i64,), _> = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&k.db.pool)
                .await;
            match n {
                Ok((n,)) => counts.insert(table.to_owned(), json!(n)),
                Err(e) => panic!("count {table}: {e}"),
            };
        }
        let pending: Vec<(i64, String)> =
            match sqlx::query_as("SELECT person_id, object_key FROM pending_verifications")
                .fetch_all(&k.db.pool)
                .await
            {
                Ok(p) => p,
                Err(e) => panic!("pending: {e}"),
            };
        let members = match k.access_point_members().await {
            Ok(m) => m,
            Err(e) => panic!("members: {e}"),
        };
        json!({
            "audit": audit, "datasets": datasets, "people": people, "counts": counts,
            "pending": pending, "members": members,
        })
    }
}

const B: &str = "/people/bob@example.org";
const D: &str = "/people/dave@example.org";
const NOBODY: &str = "/people/nobody@example.org";

#[rstest]
// Adding a person.
#[case::person_malformed_json("POST", "/people", Some(r#"{"email":"#), 400, "Invalid")]
#[case::person_empty_body("POST", "/people", Some(""), 400, "Invalid")]
#[case::person_a_number("POST", "/people", Some("42"), 400, "Invalid")]
#[case::person_trailing_garbage(
    "POST",
    "/people",
    Some(r#"{"email":"x@example.org"} x"#),
    400,
    "Invalid"
)]
#[case::person_duplicate_field(
    "POST",
    "/people",
    Some(r#"{"email":"x@example.org","email":"y@example.org"}"#),
    400,
    "Invalid"
)]
#[case::person_array_not_object("POST", "/people", Some(r#"["x@example.org"]"#), 400, "Invalid")]
#[case::person_unknown_field(
    "POST",
    "/people",
    Some(r#"{"email":"x@example.org","admin":true}"#),
    400,
    "Invalid"
)]
#[case::person_missing_email("POST", "/people", Some(r#"{"name":"X"}"#), 400, "Invalid")]
#[case::person_wrong_type("POST", "/people", Some(r#"{"email":42}"#), 400, "Invalid")]
#[case::person_name_wrong_type(
    "POST",
    "/people",
    Some(r#"{"email":"x@example.org","name":null}"#),
    400,
    "Invalid"
)]
#[case::person_invalid_email(
    "POST",
    "/people",
    Some(r#"{"email":"not-an-email"}"#),
    400,
    "Invalid"
)]
#[case::person_email_with_space(
    "POST",
    "/people",
    Some(r#"{"email":"x y@example.org"}"#),
    400,
    "Invalid"
)]
#[case::person_email_no_domain_dot(
    "POST",
    "/people",
    Some(r#"{"email":"x@localhost"}"#),
    400,
    "Invalid"
)]
#[case::person_name_too_long("POST", "/people", Some(LONG_NAME.as_str()), 400, "Invalid")]
#[case::person_unknown("GET", NOBODY, None, 404, "NotFound")]
// Verification.
#[case::verify_malformed_json("POST", &format!("{B}/verification"), Some("{"), 400, "Invalid")]
#[case::verify_missing_field("POST", &format!("{B}/verification"), Some("{}"), 400, "Invalid")]
#[case::verify_wrong_type("POST", &format!("{B}/verification"), Some(r#"{"caller_identity":{"Arn":"x"}}"#), 400, "Invalid")]
#[case::verify_unknown_field("POST", &format!("{B}/verification"), Some(r#"{"caller_identity":$ALICE_IDENTITY,"x":1}"#), 400, "Invalid")]
#[case::verify_not_caller_identity("POST", &format!("{B}/verification"), Some(r#"{"caller_identity":"hello"}"#), 400, "VerificationInputRefused")]
#[case::verify_root("POST", &format!("{B}/verification"), Some(r#"{"caller_identity":$ROOT_IDENTITY}"#), 400, "VerificationInputRefused")]
#[case::verify_unknown_person("POST", &format!("{NOBODY}/verification"), Some(r#"{"caller_identity":$ALICE_IDENTITY}"#), 404, "NotFound")]
#[case::verify_user_of_another_person("POST", &format!("{B}/verification"), Some(r#"{"caller_identity":$ALICE_IDENTITY}"#), 409, "Conflict")]
#[case::url_malformed_json("POST", &format!("{D}/verification/url"), Some(r#"{"url""#), 400, "Invalid")]
#[case::url_wrong_type("POST", &format!("{D}/verification/url"), Some(r#"{"url":["x"]}"#), 400, "Invalid")]
#[case::url_unknown_field("POST", &format!("{D}/verification/url"), Some(r#"{"url":"x","y":1}"#), 400, "Invalid")]
#[case::url_foreign_host("POST", &format!("{D}/verification/url"), Some(r#"{"url":"https://evil.example/x?X-Amz-Signature=1"}"#), 400, "VerificationInputRefused")]
#[case::url_signed_by_someone_else("POST", &format!("{D}/verification/url"), Some(r#"{"url":$ALICE_SIGNED_DAVE_URL}"#), 422, "NotVerified")]
#[case::url_without_start("POST", &format!("{B}/verification/url"), Some(r#"{"url":"https://evil.example/x"}"#), 409, "Conflict")]
#[case::url_unknown_person("POST", &format!("{NOBODY}/verification/url"), Some(r#"{"url":"https://evil.example/x"}"#), 404, "NotFound")]
#[case::identity_remove_none("DELETE", &format!("{B}/identity"), None, 404, "NotFound")]
#[case::identity_remove_unknown("DELETE", &format!("{NOBODY}/identity"), None, 404, "NotFound")]
// Datasets.
#[case::dataset_malformed_json("POST", "/datasets", Some(r#"{"slug":"x","#), 400, "Invalid")]
#[case::dataset_unknown_field(
    "POST",
    "/datasets",
    Some(r#"{"slug":"new","version":"1","kind":"open","source":$SOURCE,"public":true}"#),
    400,
    "Invalid"
)]
#[case::dataset_missing_field(
    "POST",
    "/datasets",
    Some(r#"{"slug":"new","version":"1","kind":"open"}"#),
    400,
    "Invalid"
)]
#[case::dataset_wrong_type(
    "POST",
    "/datasets",
    Some(r#"{"slug":"new","version":1,"kind":"open","source":$SOURCE}"#),
    400,
    "Invalid"
)]
#[case::dataset_invalid_slug(
    "POST",
    "/datasets",
    Some(r#"{"slug":"New_Data","version":"1","kind":"open","source":$SOURCE}"#),
    400,
    "Invalid"
)]
#[case::dataset_slug_with_slash(
    "POST",
    "/datasets",
    Some(r#"{"slug":"a/b","version":"1","kind":"open","source":$SOURCE}"#),
    400,
    "Invalid"
)]
#[case::dataset_invalid_version(
    "POST",
    "/datasets",
    Some(r#"{"slug":"new","version":"v1","kind":"open","source":$SOURCE}"#),
    400,
    "Invalid"
)]
#[case::dataset_invalid_kind(
    "POST",
    "/datasets",
    Some(r#"{"slug":"new","version":"1","kind":"secret","source":$SOURCE}"#),
    400,
    "Invalid"
)]
#[case::dataset_missing_source(
    "POST",
    "/datasets",
    Some(r#"{"slug":"new","version":"1","kind":"open","source":$MISSING_DIR}"#),
    400,
    "Invalid"
)]
#[case::dataset_source_is_a_file(
    "POST",
    "/datasets",
    Some(r#"{"slug":"new","version":"1","kind":"open","source":$SOURCE_FILE}"#),
    400,
    "Invalid"
)]
#[case::dataset_names_too_long("POST", "/datasets", Some(r#"{"slug":"abcdefghijklmnopqrstuvwxyzabcdefghijklmn","version":"1.2.3.4","kind":"controlled","source":$SOURCE}"#), 400, "Invalid")]
#[case::dataset_other_kind(
    "POST",
    "/datasets",
    Some(r#"{"slug":"ctl","version":"1.0","kind":"open","source":$SOURCE}"#),
    409,
    "Conflict"
)]
#[case::dataset_array_not_object(
    "POST",
    "/datasets",
    Some(r#"["new","1","open",$SOURCE]"#),
    400,
    "Invalid"
)]
#[case::dataset_unknown("GET", "/datasets/nosuch/1", None, 404, "NotFound")]
#[case::upload_unknown("POST", "/datasets/nosuch/1/upload", None, 404, "NotFound")]
// Agreements.
#[case::agreement_malformed_json("POST", "/datasets/ctl/1.0/agreements", Some("{"), 400, "Invalid")]
#[case::agreement_missing_field("POST", "/datasets/ctl/1.0/agreements", Some("{}"), 400, "Invalid")]
#[case::agreement_unknown_person(
    "POST",
    "/datasets/ctl/1.0/agreements",
    Some(r#"{"email":"nobody@example.org"}"#),
    404,
    "NotFound"
)]
#[case::agreement_unknown_dataset(
    "POST",
    "/datasets/nosuch/1/agreements",
    Some(r#"{"email":"carol@example.org"}"#),
    404,
    "NotFound"
)]
// Grants.
#[case::grant_malformed_json(
    "POST",
    "/datasets/ctl/1.0/grants",
    Some(r#"{"email":"carol@example.org""#),
    400,
    "Invalid"
)]
#[case::grant_unknown_field(
    "POST",
    "/datasets/ctl/1.0/grants",
    Some(r#"{"email":"carol@example.org","force":true}"#),
    400,
    "Invalid"
)]
#[case::grant_missing_field("POST", "/datasets/ctl/1.0/grants", Some("{}"), 400, "Invalid")]
#[case::grant_wrong_type(
    "POST",
    "/datasets/ctl/1.0/grants",
    Some(r#"{"email":["carol@example.org"]}"#),
    400,
    "Invalid"
)]
#[case::grant_unknown_person(
    "POST",
    "/datasets/ctl/1.0/grants",
    Some(r#"{"email":"nobody@example.org"}"#),
    404,
    "NotFound"
)]
#[case::grant_unknown_dataset(
    "POST",
    "/datasets/nosuch/1/grants",
    Some(r#"{"email":"alice@example.org"}"#),
    404,
    "NotFound"
)]
#[case::grant_without_agreement(
    "POST",
    "/datasets/ctl/1.0/grants",
    Some(r#"{"email":"carol@example.org"}"#),
    403,
    "Forbidden"
)]
#[case::grant_without_identity(
    "POST",
    "/datasets/ctl/1.0/grants",
    Some(r#"{"email":"bob@example.org"}"#),
    403,
    "Forbidden"
)]
#[case::grant_open_dataset(
    "POST",
    "/datasets/pub/1/grants",
    Some(r#"{"email":"alice@example.org"}"#),
    409,
    "Conflict"
)]
#[case::access_none(
    "GET",
    "/datasets/ctl/1.0/grants/carol@example.org",
    None,
    404,
    "NotFound"
)]
#[case::revoke_none(
    "DELETE",
    "/datasets/ctl/1.0/grants/carol@example.org",
    None,
    404,
    "NotFound"
)]
#[case::revoke_unknown_person(
    "DELETE",
    "/datasets/ctl/1.0/grants/nobody@example.org",
    None,
    404,
    "NotFound"
)]
#[case::revoke_unknown_dataset(
    "DELETE",
    "/datasets/nosuch/1/grants/alice@example.org",
    None,
    404,
    "NotFound"
)]
// Audit.
#[case::audit_limit_not_a_number("GET", "/audit?limit=abc", None, 400, "Invalid")]
#[case::audit_after_not_a_number("GET", "/audit?after=yesterday", None, 400, "Invalid")]
#[case::audit_unknown_parameter("GET", "/audit?user=alice@example.org", None, 400, "Invalid")]
#[tokio::test]
async fn bad_input_gets_a_4xx_json_error_and_writes_nothing(
    #[case] method: &str,
    #[case] path: &str,
    #[case] body: Option<&str>,
    #[case] status: u16,
    #[case] code: &str,
) {
    let w = world().await;
    let doc = openapi();
    let body = match body {
        Some(b) => Some(w.fill(b).await),
        None => None,
    };
    let before = w.snapshot().await;
    let reply = w.api.call(method, path, body.as_deref()).await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (status, code),
        "{method} {path} {body:?}: {}",
        reply.text
    );
    assert!(!reply.message().is_empty(), "{}", reply.text);
    assert!(
        !reply.message().contains("no such endpoint"),
        "{method} {path} is not routed: {}",
        reply.text
    );
    assert_documented(&doc, method, path, &reply);
    let after = w.snapshot().await;
    assert_eq!(
        before, after,
        "{method} {path} {body:?} changed the database"
    );
    // Nothing new through the API's own view either.
    let audit = w.api.get("/audit?limit=10000").await;
    assert_eq!(audit.json, before["audit"]);
    let datasets = w.api.get("/datasets").await;
    assert_eq!(datasets.json, before["datasets"]);
}

static LONG_NAME: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    json!({"email": "long@example.org", "name": "n".repeat(201)}).to_string()
});

// ---- the bearer token ----

#[rstest]
#[case::none(None, 401)]
#[case::wrong(Some("Bearer not-the-token"), 401)]
#[case::prefix_of_the_token(Some("Bearer correct-horse"), 401)]
#[case::token_and_more(Some("Bearer correct-horse-battery-staple2"), 401)]
#[case::token_without_scheme(Some("correct-horse-battery-staple"), 401)]
#[case::basic_scheme(Some("Basic correct-horse-battery-staple"), 401)]
#[case::empty_bearer(Some("Bearer "), 401)]
#[case::right(Some("Bearer correct-horse-battery-staple"), 201)]
#[tokio::test]
async fn the_bearer_token_guards_changes(#[case] authorization: Option<&str>, #[case] want: u16) {
    let api = start(Some(TOKEN)).await;
    let body = json!({"email": "eve@example.org", "name": "Eve"}).to_string();
    let reply = api
        .call_with("POST", "/people", Some(&body), authorization)
        .await;
    assert_eq!(reply.status, want, "{authorization:?}: {}", reply.text);
    let added = api.env.keeper.person("eve@example.org").await.is_ok();
    if want == 401 {
        assert_eq!(reply.error_code(), "Unauthorized", "{}", reply.text);
        assert!(reply.message().contains("Bearer"), "{}", reply.text);
        assert!(!added, "an unauthorised request added a person");
        assert_documented(&openapi(), "POST", "/people", &reply);
    } else {
        assert!(added);
    }
}

#[tokio::test]
async fn with_a_token_every_operation_but_health_and_openapi_needs_it() {
    let api = start(Some(TOKEN)).await;
    let doc = openapi();
    let right = format!("Bearer {TOKEN}");
    for (template, method, op) in operations(&doc) {
        let path = harmless(&template);
        let body = op.get("requestBody").map(|_| "{}");
        let open = op.get("security") == Some(&json!([]));
        for auth in [None, Some("Bearer wrong")] {
            let reply = api.call_with(&method, &path, body, auth).await;
            if open {
                assert_eq!(
                    reply.status, 200,
                    "{method} {path} {auth:?}: {}",
                    reply.text
                );
            } else {
                assert_eq!(
                    (reply.status, reply.error_code()),
                    (401, "Unauthorized"),
                    "{method} {path} {auth:?}: {}",
                    reply.text
                );
            }
            assert_documented(&doc, &method, &path, &reply);
        }
        let reply = api.call_with(&method, &path, body, Some(&right)).await;
        assert_ne!(reply.status, 401, "{method} {path}: {}", reply.text);
        assert_documented(&doc, &method, &path, &reply);
    }
    // Unknown paths are guarded too, then 404 with the token.
    let reply = api.call_with("GET", "/nope", None, None).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    let reply = api.call_with("GET", "/nope", None, Some(&right)).await;
    assert_eq!((reply.status, reply.error_code()), (404, "NotFound"));
    // Nothing was written by the unauthorised requests (the authorised `{}` bodies were refused).
    let audit = match api.env.keeper.audit(&AuditFilter::default()).await {
        Ok(a) => a,
        Err(e) => panic!("audit: {e}"),
    };
    assert!(audit.is_empty(), "{audit:?}");
    let r = api.call_with("GET", "/health", None, None).await;
    assert_eq!(
        (r.status, &r.json),
        (200, &json!({"status": "ok", "database": "ok", "aws": "ok"}))
    );
    let r = api.call_with("GET", "/openapi.json", None, None).await;
    assert_eq!((r.status, &r.json), (200, &doc));
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
