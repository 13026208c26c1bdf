//! The keeper reading S3's answers, with wiremock standing in for S3 as the verification endpoint.

use std::time::Duration;

use rstest::rstest;
use s3keeper::keeper::AuditFilter;
use s3keeper::KeeperError;

use super::{
    answer, answer_by, assert_contains, conflict, encode_path, encode_path_minimal, hand_signed,
    identity_user_id, made_up_identity, mocked, not_verified, received, refused, s3_answer,
    sigv4_query, start, CAROL, CAROL_ID, SIG,
};
use crate::service_support::PEOPLE;

#[rstest]
#[case::verified(404, 403, None, 2)]
#[case::unsigned_allowed(404, 200, Some("policy is not intact"), 2)]
#[case::unsigned_also_404(404, 404, Some("answered an unsigned request with 404, not 403"), 2)]
#[case::unsigned_redirected(404, 307, Some("redirect (307)"), 2)]
#[case::signature_refused(403, 403, Some("S3 refused the signed URL (403)"), 1)]
#[case::object_exists(200, 403, Some("an object exists at the verification key"), 1)]
#[case::server_error(500, 403, Some("S3 answered the signed URL with 500"), 1)]
#[case::bad_request(400, 403, Some("S3 answered the signed URL with 400"), 1)]
#[case::signed_redirected(302, 403, Some("redirect (302)"), 1)]
#[tokio::test]
async fn keeper_reads_s3s_answers(
    #[case] signed: u16,
    #[case] unsigned: u16,
    #[case] refusal: Option<&str>,
    #[case] fetches: usize,
) {
    let m = mocked().await;
    answer(&m.s3, signed, unsigned).await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let host = m.s3.address().to_string();
    let url = hand_signed(&host, &m.bucket, &st.key);
    let r = m.keeper.complete_verification(CAROL, &url).await;
    let reqs = received(&m.s3).await;
    assert_eq!(reqs.len(), fetches, "requests: {reqs:?}");
    let path = format!("/{}/{}", m.bucket, encode_path(&st.key));
    // The signed URL is fetched first, exactly as pasted; the unsigned one has no query at all.
    assert_eq!(reqs[0].url.path(), path);
    assert_eq!(reqs[0].url.query(), Some(sigv4_query(SIG).as_str()));
    if let Some(second) = reqs.get(1) {
        assert_eq!(second.url.path(), path);
        assert_eq!(second.url.query(), None);
    }
    match refusal {
        None => {
            let identity = match r {
                Ok(i) => i,
                Err(e) => panic!("expected verified: {e:?}"),
            };
            assert_eq!(identity.user_id, CAROL_ID);
            let stored = match m.keeper.person(CAROL).await {
                Ok(p) => p.identity,
                Err(e) => panic!("{e}"),
            };
            let Some(stored) = stored else {
                panic!("no identity stored after a successful verification");
            };
            assert_eq!(stored.user_id, CAROL_ID);
            assert_eq!(stored.account, PEOPLE);
            assert_eq!(stored.arn, format!("arn:aws:iam::{PEOPLE}:user/carol"));
            assert_eq!(stored.username, "carol");
            assert_eq!(stored.status, "verified");
            // The pending verification is used up.
            let again = conflict(m.keeper.complete_verification(CAROL, &url).await);
            assert_contains(&again, "no verification is in progress");
        }
        Some(fragment) => {
            let msg = not_verified(r);
            assert_contains(&msg, fragment);
            assert_eq!(identity_user_id(&m.keeper, CAROL).await, None);
            // The pending verification survives a failed attempt: with S3 answering properly,
            // the same URL now verifies.
            m.s3.reset().await;
            answer(&m.s3, 404, 403).await;
            if let Err(e) = m.keeper.complete_verification(CAROL, &url).await {
                panic!("retry after `{fragment}`: {e:?}");
            }
            assert_eq!(
                identity_user_id(&m.keeper, CAROL).await.as_deref(),
                Some(CAROL_ID)
            );
        }
    }
}

/// The key holds the URL-quoted email; whatever it needs (`%40`, `%2B`, `%25`), the path carries
/// it encoded once more, with or without `=` encoded.
#[rstest]
#[case("carol@example.org", false)]
#[case("carol@example.org", true)]
#[case("c%rol+tag@example.org", false)]
#[case("c%rol+tag@example.org", true)]
#[case("o'brien&co=1@example.org", false)]
#[tokio::test]
async fn keeper_accepts_keys_whose_email_needs_quoting(#[case] email: &str, #[case] minimal: bool) {
    let m = mocked().await;
    if let Err(e) = m.keeper.add_person(email, "someone").await {
        panic!("add_person {email}: {e}");
    }
    answer(&m.s3, 404, 403).await;
    let st = start(&m.keeper, email, &made_up_identity(CAROL_ID, "carol")).await;
    let encoded = if minimal {
        encode_path_minimal(&st.key)
    } else {
        encode_path(&st.key)
    };
    let url = format!(
        "http://{}/{}/{encoded}?{}",
        m.s3.address(),
        m.bucket,
        sigv4_query(SIG)
    );
    if let Err(e) = m.keeper.complete_verification(email, &url).await {
        panic!("{url}: {e:?}");
    }
    assert_eq!(
        identity_user_id(&m.keeper, email).await.as_deref(),
        Some(CAROL_ID)
    );
    let reqs = received(&m.s3).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].url.path(), format!("/{}/{encoded}", m.bucket));
}

/// A SigV2 signature (AWS's documented example), as it appears decoded and in a URL.
const V2_SIG: &str = "vjbyPxybdZaNmGa+yT272YEAiv4=";
const V2_SIG_IN_URL: &str = "vjbyPxybdZaNmGa%2ByT272YEAiv4%3D";

/// SPEC §4.3: SigV4 or SigV2 query signatures; session tokens and the SDKs' `x-id=GetObject` are
/// part of real presigned URLs. Whatever the form, the unsigned fetch carries no query at all.
#[rstest]
#[case::sigv2(
    "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1900000000&Signature={V2}",
    "Signature",
    V2_SIG,
    "SigV2"
)]
#[case::sigv4_with_session_token(
    "{Q}&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2Fa",
    "X-Amz-Signature",
    SIG,
    "SigV4"
)]
#[case::sigv4_from_an_sdk("x-id=GetObject&{Q}", "X-Amz-Signature", SIG, "SigV4")]
#[case::sigv4_reordered(
    "X-Amz-Signature={SIG}&X-Amz-SignedHeaders=host&X-Amz-Expires=600&X-Amz-Date=20260101T000000Z&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Algorithm=AWS4-HMAC-SHA256",
    "X-Amz-Signature",
    SIG,
    "SigV4"
)]
#[tokio::test]
async fn keeper_accepts_every_query_signature_form(
    #[case] query: &str,
    #[case] param: &str,
    #[case] value: &str,
    #[case] version: &str,
) {
    let m = mocked().await;
    answer_by(&m.s3, param, value, s3_answer(404), s3_answer(403)).await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let query = query
        .replace("{Q}", &sigv4_query(SIG))
        .replace("{SIG}", SIG)
        .replace("{V2}", V2_SIG_IN_URL);
    let url = format!(
        "http://{}/{}/{}?{query}",
        m.s3.address(),
        m.bucket,
        encode_path(&st.key)
    );
    if let Err(e) = m.keeper.complete_verification(CAROL, &url).await {
        panic!("{url}: {e:?}");
    }
    let reqs = received(&m.s3).await;
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[0].url.query(), Some(query.as_str()));
    assert_eq!(reqs[1].url.query(), None);
    let filter = AuditFilter {
        person: Some(CAROL.to_owned()),
        action: Some("identity-verified".to_owned()),
        ..AuditFilter::default()
    };
    let entries = match m.keeper.audit(&filter).await {
        Ok(e) => e,
        Err(e) => panic!("audit: {e}"),
    };
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_contains(&entries[0].detail, &format!("by {version}"));
    assert_contains(&entries[0].detail, CAROL_ID);
}

/// URLs up to 8192 characters are accepted; one more is refused without a request.
#[rstest]
#[case(8192, true)]
#[case(8193, false)]
#[tokio::test]
async fn keeper_accepts_urls_up_to_8192_characters(#[case] length: usize, #[case] ok: bool) {
    let m = mocked().await;
    answer(&m.s3, 404, 403).await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let base = format!(
        "{}&X-Amz-Security-Token=",
        hand_signed(&m.s3.address().to_string(), &m.bucket, &st.key)
    );
    let url = format!("{base}{}", "T".repeat(length - base.len()));
    assert_eq!(url.len(), length);
    let r = m.keeper.complete_verification(CAROL, &url).await;
    if ok {
        if let Err(e) = r {
            panic!("{length} characters: {e:?}");
        }
        assert_eq!(received(&m.s3).await.len(), 2);
    } else {
        assert_contains(&refused(r), "longer than 8192 characters");
        assert!(received(&m.s3).await.is_empty());
    }
}

/// The pending verification is replaced while S3 is still answering: the late completion must
/// not store the identity the person no longer asked for.
#[tokio::test]
async fn keeper_refuses_a_completion_whose_verification_was_replaced_meanwhile() {
    let m = mocked().await;
    answer_by(
        &m.s3,
        "X-Amz-Signature",
        SIG,
        s3_answer(404).set_delay(Duration::from_millis(700)),
        s3_answer(403),
    )
    .await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let url = hand_signed(&m.s3.address().to_string(), &m.bucket, &st.key);
    let keeper = m.keeper.clone();
    let late = tokio::spawn(async move { keeper.complete_verification(CAROL, &url).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let other = start(
        &m.keeper,
        CAROL,
        &made_up_identity("AIDACAROLOTHER000002", "carol-other"),
    )
    .await;
    assert_ne!(other.key, st.key);
    let r = match late.await {
        Ok(r) => r,
        Err(e) => panic!("join: {e}"),
    };
    let msg = conflict(r);
    assert_contains(&msg, "another verification was started meanwhile");
    assert_eq!(identity_user_id(&m.keeper, CAROL).await, None);
    assert_eq!(received(&m.s3).await.len(), 2, "both fetches were made");
}

#[tokio::test]
async fn keeper_names_an_unknown_person() {
    let m = mocked().await;
    answer(&m.s3, 404, 403).await;
    let nobody = "nobody@example.org";
    match m
        .keeper
        .start_verification(nobody, &made_up_identity(CAROL_ID, "carol"))
        .await
    {
        Err(KeeperError::NotFound(msg)) => assert_contains(&msg, nobody),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let url = hand_signed(&m.s3.address().to_string(), &m.bucket, "k");
    match m.keeper.complete_verification(nobody, &url).await {
        Err(KeeperError::NotFound(msg)) => assert_contains(&msg, nobody),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(received(&m.s3).await.is_empty());
}
