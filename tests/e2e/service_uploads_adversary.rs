//! Upload tickets against an adversary (issue 18): what a hostile client tried against the
//! release binaries, each as a test of the library and the API over the embedded fake. A flood
//! of tickets is refused before revocation could fail; expiry is the ticket's own; cancel deletes
//! only what the ticket uploaded; overlapping prefixes are never open together; exactly one of
//! concurrent finish/cancel calls wins; the operator is not a name; inputs are bounded.
//! `scripts/adversary.sh` makes the same attacks over HTTP against the binaries.

use std::collections::{BTreeSet, HashMap};

use s3keeper::error::KeeperError;
use s3keeper::keeper::{
    AuditFilter, ClientLimits, Ticket, TicketRequest, UploadMethod, MAX_PUT_KEYS,
};

use crate::service_support::{env, Backend, Env, PLATFORM};
use crate::service_uploads::{client_of, keys_of, put_as, start};

const BUCKET: &str = "s3keeper-uploads";

fn sts(prefix: &str) -> TicketRequest {
    let mut r = TicketRequest::post(prefix);
    r.method = UploadMethod::Sts;
    r
}

/// The platform account's root: sees everything in the uploads bucket.
fn owner(env: &Env) -> aws_sdk_s3::Client {
    let creds = env
        .fake
        .root_credentials(PLATFORM)
        .unwrap_or_else(|e| panic!("{e}"));
    aws_sdk_s3::Client::new(&env.fake.sdk_config(&creds))
}

/// Every key under `prefix`, as the owner lists them.
async fn keys_under(env: &Env, prefix: &str) -> BTreeSet<String> {
    let out = owner(env)
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(prefix)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list: {e}"));
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

async fn end(env: &Env, ticket: &Ticket, cancel: bool) -> s3keeper::keeper::UploadState {
    env.keeper
        .end_upload(&ticket.id, cancel)
        .await
        .unwrap_or_else(|e| panic!("end {}: {e}", ticket.id))
}

/// Attack 1: ~550 `sts` tickets opened and finished in seconds pushed the revocation list past
/// 20 KB; from then on every finish answered 502 after saving its state, and the credentials
/// kept uploading. Now admission stops while a revocation would still fit, every issued ticket
/// can be ended and is refused once ended, and sessions leave the list as they expire.
#[tokio::test]
async fn a_flood_of_tickets_is_refused_while_every_issued_one_can_still_be_revoked() {
    let env = env(Backend::Sqlite).await;
    let mut issued: Vec<Ticket> = Vec::new();
    let mut refused = None;
    for i in 0..800 {
        match env.keeper.start_upload(&sts(&format!("flood/{i}/"))).await {
            Ok(t) => {
                end(&env, &t, false).await;
                issued.push(t);
            }
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let Some(KeeperError::Unavailable(message)) = refused else {
        panic!("800 tickets and no refusal for capacity: {refused:?}")
    };
    assert!(message.contains("20480"), "{message}");
    let admitted = issued.len();
    eprintln!("admitted {admitted} tickets before the revocation list was full");
    assert!(admitted >= 400, "only {admitted} admitted");
    let policy = owner(&env)
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("policy: {e}"));
    assert!(policy.policy().unwrap_or_default().len() <= 20 * 1024);
    // Every ticket issued was revoked: its credentials are refused, first and last.
    for t in [&issued[0], &issued[admitted - 1]] {
        let late = format!("{}late.txt", t.prefix);
        assert_eq!(
            put_as(&client_of(&env, t), &late).await.as_deref(),
            Some("AccessDenied"),
            "{late}"
        );
    }
    let capacity = env
        .keeper
        .upload_capacity()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(capacity.live_sessions, admitted);
    assert!(capacity.capacity.abs_diff(admitted) <= 2, "{capacity:?}");

    // Sessions leave the list when they can no longer act; here half of them are made to have
    // expired. Admission takes tickets again, and reconcile shrinks the policy.
    let half: Vec<&str> = issued[..admitted / 2]
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    for id in &half {
        sqlx::query("UPDATE upload_tickets SET revoke_until = 0 WHERE id = $1")
            .bind(*id)
            .execute(&env.keeper.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let report = env
        .keeper
        .reconcile()
        .await
        .unwrap_or_else(|e| panic!("reconcile: {e}"));
    assert!(report.failures.is_empty(), "{report:?}");
    let shrunk = owner(&env)
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("policy: {e}"));
    let text = shrunk.policy().unwrap_or_default();
    assert!(
        !text.contains(&format!("s3k-{}", half[0])),
        "an expired session is pruned"
    );
    let again = start(&env, &sts("flood/again/")).await;
    end(&env, &again, true).await;
}

/// Attack 2: client `wide` opened `builds/`, uploaded nothing and cancelled, which deleted
/// `narrow`'s finished `builds/other/rel/index.html`. Cancel now deletes only what the ticket
/// uploaded: new keys, and keys it overwrote; never what was there before it opened.
#[tokio::test]
async fn cancel_deletes_only_what_the_ticket_uploaded() {
    let env = env(Backend::Sqlite).await;
    let narrow = start(&env, &sts("builds/other/rel/")).await;
    assert_eq!(
        put_as(&client_of(&env, &narrow), "builds/other/rel/index.html").await,
        None
    );
    end(&env, &narrow, false).await;
    let before = start(&env, &sts("builds/")).await;
    let s3 = client_of(&env, &before);
    assert_eq!(put_as(&s3, "builds/keep.txt").await, None);
    assert_eq!(put_as(&s3, "builds/over.txt").await, None);
    end(&env, &before, false).await;

    let wide = start(&env, &sts("builds/")).await;
    let s3 = client_of(&env, &wide);
    assert_eq!(put_as(&s3, "builds/new.txt").await, None);
    // An overwrite with other content is this ticket's object now.
    s3.put_object()
        .bucket(BUCKET)
        .key("builds/over.txt")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"changed"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("overwrite: {e}"));
    let state = end(&env, &wide, true).await;
    assert_eq!(keys_of(&state), ["builds/new.txt", "builds/over.txt"]);
    assert_eq!(
        keys_under(&env, "builds/").await,
        BTreeSet::from([
            "builds/keep.txt".to_owned(),
            "builds/other/rel/index.html".to_owned()
        ])
    );

    // Uploaded nothing: cancel deletes nothing.
    let idle = start(&env, &sts("builds/")).await;
    let state = end(&env, &idle, true).await;
    assert_eq!(keys_of(&state), Vec::<String>::new());
    assert_eq!(keys_under(&env, "builds/").await.len(), 2);
}

/// Overlapping prefixes of open tickets are refused with the other ticket's id, both ways; a
/// sibling prefix is not an overlap.
#[tokio::test]
async fn overlapping_open_tickets_are_refused_naming_the_other() {
    let env = env(Backend::Sqlite).await;
    let open = start(&env, &TicketRequest::post("lab/x/")).await;
    for prefix in ["lab/", "lab/x/", "lab/x/y/"] {
        match env.keeper.start_upload(&TicketRequest::post(prefix)).await {
            Err(KeeperError::Conflict(m)) => assert!(m.contains(&open.id), "{prefix}: {m}"),
            other => panic!("{prefix}: {other:?}"),
        }
    }
    start(&env, &TicketRequest::post("lab/xy/")).await;
    end(&env, &open, false).await;
    start(&env, &TicketRequest::post("lab/x/y/")).await;
}

/// Concurrent opens of one prefix (two service instances on PostgreSQL): exactly one is
/// admitted, the others are refused naming it.
#[tokio::test]
async fn concurrent_opens_of_one_prefix_admit_exactly_one() {
    let env = env(Backend::Postgres).await;
    let second = crate::service_support::keeper_for(
        &env.fake,
        &env.database_url,
        crate::service_support::settings_for(&env.fake),
    )
    .await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..8 {
        let keeper = if i % 2 == 0 {
            env.keeper.clone()
        } else {
            second.clone()
        };
        let prefix = if i % 3 == 0 { "same/" } else { "same/deeper/" };
        calls.spawn(async move { keeper.start_upload(&sts(prefix)).await });
    }
    let (mut admitted, mut refused) = (Vec::new(), 0);
    while let Some(done) = calls.join_next().await {
        match done.unwrap_or_else(|e| panic!("{e}")) {
            Ok(t) => admitted.push(t),
            Err(KeeperError::Conflict(m)) => {
                refused += 1;
                assert!(m.contains("overlaps open upload ticket"), "{m}");
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((admitted.len(), refused), (1, 7));
}

/// The capacity `doctor` and `/metrics` show, on both databases, with clients' limits summed.
#[rstest::rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_capacity_report_reads_on_both_databases(#[case] backend: Backend) {
    let env = env(backend).await;
    for (name, sessions) in [("a", 30), ("b", 40)] {
        let limits = ClientLimits {
            max_open: 5,
            max_sessions: sessions,
        };
        env.keeper
            .add_client_with(name, &[format!("{name}/")], limits)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let t = start(&env, &sts("cap/")).await;
    let c = env
        .keeper
        .upload_capacity()
        .await
        .unwrap_or_else(|e| panic!("capacity: {e}"));
    assert_eq!((c.live_sessions, c.open_tickets), (1, 1));
    assert_eq!(c.clients_max_sessions, 70);
    assert!(c.capacity > 500, "{c:?}");
    end(&env, &t, false).await;
}

/// Attack 4: four concurrent finish/cancel calls on one ticket answered 200 two or three times,
/// and a ticket could end `finished` with its objects deleted. Exactly one wins now, the others
/// get a conflict, the audit log has one entry, and the objects match the winner.
#[rstest::rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn exactly_one_of_concurrent_finish_and_cancel_calls_wins(#[case] backend: Backend) {
    let env = env(backend).await;
    for round in 0..3 {
        let prefix = format!("race/{round}/");
        let ticket = start(&env, &sts(&prefix)).await;
        let key = format!("{prefix}a.txt");
        assert_eq!(put_as(&client_of(&env, &ticket), &key).await, None);
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..8 {
            let (keeper, id) = (env.keeper.clone(), ticket.id.clone());
            calls.spawn(async move { (i % 2 == 1, keeper.end_upload(&id, i % 2 == 1).await) });
        }
        let mut won = Vec::new();
        while let Some(done) = calls.join_next().await {
            let (cancel, result) = done.unwrap_or_else(|e| panic!("{e}"));
            match result {
                Ok(state) => won.push((cancel, state)),
                Err(KeeperError::Conflict(_)) => {}
                Err(e) => panic!("neither won nor conflict: {e}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: {} winners", won.len());
        let (cancel, state) = &won[0];
        assert_eq!(state.state, if *cancel { "cancelled" } else { "finished" });
        let present = keys_under(&env, &prefix).await.contains(&key);
        assert_eq!(present, !cancel, "round {round}: objects match the winner");
        let entries = env
            .keeper
            .audit(&AuditFilter::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ends = entries
            .iter()
            .filter(|e| e.action.starts_with("upload-") && e.action != "upload-start")
            .filter(|e| e.detail.contains(&ticket.id))
            .count();
        assert_eq!(ends, 1, "round {round}: audit entries");
    }
}

/// Attack 5: `"expires": 60` gave `sts` credentials that still uploaded minutes later (STS's
/// minimum lifetime is 15 minutes). The session policy ends them at the ticket's own expiry, by
/// S3's clock (the fake's).
#[tokio::test]
async fn a_ticket_expires_at_its_own_time_whatever_stss_minimum() {
    let env = env(Backend::Sqlite).await;
    let mut request = sts("short/");
    request.expires_seconds = 60;
    let ticket = start(&env, &request).await;
    let s3 = client_of(&env, &ticket);
    assert_eq!(put_as(&s3, "short/now.txt").await, None);
    env.fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::seconds(30),
    ));
    assert_eq!(put_as(&s3, "short/soon.txt").await, None, "still inside");
    env.fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::seconds(120),
    ));
    assert_eq!(
        put_as(&s3, "short/late.txt").await.as_deref(),
        Some("AccessDenied"),
        "two minutes on, the 15-minute credentials are refused"
    );
    // Refused by the session policy's end (no Allow any more), not by a revocation's Deny.
    let decision = env
        .fake
        .journal()
        .into_iter()
        .rev()
        .find(|e| e.operation == "PutObject")
        .and_then(|e| e.decision)
        .unwrap_or_default();
    assert_eq!(decision, "ImplicitDeny");
    env.fake.set_time(None);
}

/// Attack 11, first part: finish and cancel abort the prefix's incomplete multipart uploads.
#[tokio::test]
async fn finish_and_cancel_abort_incomplete_multipart_uploads() {
    let env = env(Backend::Sqlite).await;
    // The owner's own upload elsewhere in the bucket is not the tickets' to abort.
    let kept = owner(&env)
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("mp-owner/keep.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("create: {e}"));
    for cancel in [false, true] {
        let prefix = format!("mp/{cancel}/");
        let ticket = start(&env, &sts(&prefix)).await;
        let s3 = client_of(&env, &ticket);
        let key = format!("{prefix}big.bin");
        let upload = s3
            .create_multipart_upload()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create: {e}"));
        s3.upload_part()
            .bucket(BUCKET)
            .key(&key)
            .upload_id(upload.upload_id().unwrap_or_default())
            .part_number(1)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"part"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("part: {e}"));
        end(&env, &ticket, cancel).await;
        let left = owner(&env)
            .list_multipart_uploads()
            .bucket(BUCKET)
            .prefix(&prefix)
            .send()
            .await
            .unwrap_or_else(|e| panic!("list uploads: {e}"));
        assert!(left.uploads().is_empty(), "cancel={cancel}: {left:?}");
    }
    let all = owner(&env)
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list uploads: {e}"));
    let ids: Vec<&str> = all.uploads().iter().filter_map(|u| u.upload_id()).collect();
    assert_eq!(ids, [kept.upload_id().unwrap_or_default()]);
}

/// State and S3 never disagree: when S3 refuses the revocation, the ticket stays open (and a
/// retry ends it); a retry is not answered with "already finished".
#[tokio::test]
async fn a_revocation_s3_refuses_leaves_the_ticket_open_and_a_retry_ends_it() {
    let env = env(Backend::Sqlite).await;
    let ticket = start(&env, &sts("faulty/")).await;
    let s3 = client_of(&env, &ticket);
    env.fake.faults(fake_s3::FaultConfig {
        fail_nth: HashMap::from([("PutBucketPolicy".to_owned(), (1..=20).collect())]),
        ..fake_s3::FaultConfig::default()
    });
    let failed = env.keeper.end_upload(&ticket.id, false).await;
    assert!(matches!(failed, Err(KeeperError::Aws(_))), "{failed:?}");
    let row = env
        .keeper
        .upload_ticket_row(&ticket.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.state, "open", "not ended while S3 lets it in");
    assert_eq!(put_as(&s3, "faulty/still-open.txt").await, None);
    env.fake.faults(fake_s3::FaultConfig::default());
    let state = end(&env, &ticket, false).await;
    assert_eq!(state.state, "finished");
    assert_eq!(
        put_as(&s3, "faulty/late.txt").await.as_deref(),
        Some("AccessDenied")
    );
}

/// Attacks 3 and 6 over HTTP: the operator is not a client name, a re-added name does not inherit
/// tickets, a client's open tickets are limited, and oversized input answers in JSON.
#[tokio::test]
async fn the_api_holds_names_limits_and_sizes() {
    use crate::service_api::{assert_documented, openapi, start as api_start};
    let doc = openapi();
    let api = api_start(Some("admin-secret")).await;
    let keeper = &api.env.keeper;
    for name in ["operator", "Operator", "ADMIN", "root", "", "opérateur"] {
        let refused = keeper.add_client(name, &["any/".to_owned()]).await;
        assert!(
            matches!(refused, Err(KeeperError::Invalid(_))),
            "{name:?}: {refused:?}"
        );
    }
    let admin = "Bearer admin-secret";
    let op = api
        .call_with(
            "POST",
            "/uploads",
            Some(r#"{"prefix":"ops/","method":"sts"}"#),
            Some(admin),
        )
        .await;
    assert_eq!(op.status, 201, "{}", op.text);
    let op_id = op.json["id"].as_str().unwrap_or_default().to_owned();

    let limits = ClientLimits {
        max_open: 2,
        max_sessions: 3,
    };
    let first = keeper
        .add_client_with("ci", &["ci/".to_owned()], limits)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let as_first = format!("Bearer {}", first.token);
    let mut ids = Vec::new();
    for i in 0..3 {
        let body = format!(r#"{{"prefix":"ci/{i}/","method":"sts"}}"#);
        let r = api
            .call_with("POST", "/uploads", Some(&body), Some(&as_first))
            .await;
        assert_documented(&doc, "POST", "/uploads", &r);
        if i < 2 {
            assert_eq!(r.status, 201, "{}", r.text);
            ids.push(r.json["id"].as_str().unwrap_or_default().to_owned());
        } else {
            assert_eq!(r.status, 429, "{}", r.text);
            assert_eq!(r.json["error"], "TooManyOpenTickets");
        }
    }
    // Ending tickets does not free their places in the revocation list until they expire:
    // after 3 places, the client is refused even with nothing open.
    for id in &ids {
        let r = api
            .call_with(
                "POST",
                &format!("/uploads/{id}/finish"),
                None,
                Some(&as_first),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = api
        .call_with(
            "POST",
            "/uploads",
            Some(r#"{"prefix":"ci/3/"}"#),
            Some(&as_first),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    ids.push(r.json["id"].as_str().unwrap_or_default().to_owned());
    let r = api
        .call_with(
            "POST",
            "/uploads",
            Some(r#"{"prefix":"ci/4/"}"#),
            Some(&as_first),
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.text.contains("--max-sessions"), "{}", r.text);
    let r = api
        .call_with("GET", &format!("/uploads/{op_id}"), None, Some(&as_first))
        .await;
    assert_eq!(r.status, 404, "the operator's ticket is not the client's");
    keeper
        .remove_client("ci")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let again = keeper
        .add_client("ci", &["ci/".to_owned()])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let as_again = format!("Bearer {}", again.token);
    let r = api
        .call_with("GET", "/uploads", None, Some(&as_again))
        .await;
    assert_eq!(r.json, serde_json::json!([]), "{}", r.text);
    for id in &ids {
        let r = api
            .call_with(
                "POST",
                &format!("/uploads/{id}/cancel"),
                None,
                Some(&as_again),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.text);
    }

    // Sizes: a body over the limit, too many keys, a long content type: JSON answers.
    let huge = format!(r#"{{"prefix":"ops/big/","pad":"{}"}}"#, "x".repeat(3 << 20));
    let r = api
        .call_with("POST", "/uploads", Some(&huge), Some(admin))
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.json["error"], "PayloadTooLarge", "{}", r.text);
    assert_documented(&doc, "POST", "/uploads", &r);
    let keys: Vec<String> = (0..=MAX_PUT_KEYS).map(|i| format!("k{i}")).collect();
    let body = serde_json::json!({"prefix": "ops/many/", "method": "put", "keys": keys});
    let r = api
        .call_with("POST", "/uploads", Some(&body.to_string()), Some(admin))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let body = serde_json::json!({"prefix": "ops/ct/", "content_type": "a".repeat(300)});
    let r = api
        .call_with("POST", "/uploads", Some(&body.to_string()), Some(admin))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
}
