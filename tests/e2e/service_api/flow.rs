//! The whole flow through HTTP, every answer checked against `openapi.json`, then the audit
//! trail and the metrics it left.

use serde_json::{json, Value};

use super::health_metrics::parse_exposition;
use super::{assert_documented, iam_user, openapi, start, Reply};
use crate::service_support::{caller_identity, can_read, presign};

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
