//! Bad input gets a 4xx JSON error and writes nothing, checked against a world with something
//! in every table.

use std::path::PathBuf;

use rstest::rstest;
use serde_json::{json, Value};

use super::{assert_documented, iam_user, openapi, start, Api};
use crate::service_support::{caller_identity, presign, verify, Person, PEOPLE};
use s3keeper::keeper::{AuditFilter, Kind, Quiet};

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
