//! The HTTP API running for real: a `Keeper` over the fake AWS and SQLite, served on a loopback
//! port and spoken to with `reqwest`. Checks `openapi.json` against the router (every documented
//! operation is routed, every status seen is documented, every body matches its schema), the
//! whole flow through HTTP, that bad input gets a 4xx JSON error and writes nothing, and the
//! bearer token.

use serde_json::Value;

use crate::service_support::{env, Backend, Env, Person, PEOPLE, READER};

mod bad_input;
mod bearer_token;
mod document;
mod flow;
mod health_metrics;

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
