//! The bearer token: only the right one passes, and it guards every operation but `/health` and
//! `/openapi.json`.

use rstest::rstest;
use serde_json::json;

use super::{assert_documented, harmless, openapi, operations, start};
use s3keeper::keeper::AuditFilter;

const TOKEN: &str = "correct-horse-battery-staple";

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
