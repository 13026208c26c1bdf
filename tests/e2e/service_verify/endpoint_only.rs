//! Only the verification endpoint is ever fetched: URLs naming anything but the verification
//! bucket on its own endpoint are refused before any request is made.

use rstest::rstest;
use wiremock::MockServer;

use super::{
    answer, assert_contains, encode_path, hand_signed, identity_user_id, made_up_identity, mocked,
    received, refused, sigv4_query, start, CAROL, CAROL_ID, SIG,
};

#[rstest]
#[case::another_server("http://{B}/{BUCKET}/{PATH}?{Q}", "is not the verification endpoint")]
#[case::another_port_same_host(
    "http://127.0.0.1:{BPORT}/{BUCKET}/{PATH}?{Q}",
    "is not the verification endpoint"
)]
#[case::localhost_alias(
    "http://localhost:{APORT}/{BUCKET}/{PATH}?{Q}",
    "is not the verification endpoint"
)]
#[case::port_appended(
    "http://{A}:80/{BUCKET}/{PATH}?{Q}",
    "is not the verification endpoint"
)]
#[case::userinfo("http://user@{A}/{BUCKET}/{PATH}?{Q}", "user information")]
#[case::userinfo_password("http://user:pw@{A}/{BUCKET}/{PATH}?{Q}", "user information")]
#[case::endpoint_as_userinfo("http://{A}@{B}/{BUCKET}/{PATH}?{Q}", "user information")]
#[case::backslash_authority("http://{B}\\@{A}/{BUCKET}/{PATH}?{Q}", "user information")]
#[case::other_bucket(
    "http://{A}/other-bucket/{PATH}?{Q}",
    "not in the `s3keeper-verification` bucket"
)]
#[case::bucket_as_prefix(
    "http://{A}/{BUCKET}x/{PATH}?{Q}",
    "not in the `s3keeper-verification` bucket"
)]
#[case::second_host_in_path(
    "http://{A}//{B}/{BUCKET}/{PATH}?{Q}",
    "not in the `s3keeper-verification` bucket"
)]
#[case::fragment("http://{A}/{BUCKET}/{PATH}?{Q}#x", "fragment")]
#[case::fragment_before_query("http://{A}/{BUCKET}/{PATH}#?{Q}", "fragment")]
#[case::https("https://{A}/{BUCKET}/{PATH}?{Q}", "must use http://")]
#[case::scheme_relative("//{B}/{BUCKET}/{PATH}?{Q}", "does not start with https://")]
#[case::unsigned("http://{A}/{BUCKET}/{PATH}", "no query string")]
#[case::key_decoded_once(
    "http://{A}/{BUCKET}/{RAWKEY}?{Q}",
    "not the one you were asked to sign"
)]
#[tokio::test]
async fn keeper_never_fetches_anything_but_the_endpoint(#[case] template: &str, #[case] why: &str) {
    let m = mocked().await;
    let other = MockServer::start().await;
    answer(&m.s3, 404, 403).await;
    answer(&other, 404, 403).await;
    let st = start(&m.keeper, CAROL, &made_up_identity(CAROL_ID, "carol")).await;
    let url = template
        .replace("{A}", &m.s3.address().to_string())
        .replace("{APORT}", &m.s3.address().port().to_string())
        .replace("{B}", &other.address().to_string())
        .replace("{BPORT}", &other.address().port().to_string())
        .replace("{BUCKET}", &m.bucket)
        .replace("{PATH}", &encode_path(&st.key))
        .replace("{RAWKEY}", &st.key)
        .replace("{Q}", &sigv4_query(SIG));
    let msg = refused(m.keeper.complete_verification(CAROL, &url).await);
    assert_contains(&msg, why);
    assert!(
        received(&m.s3).await.is_empty(),
        "the endpoint was fetched for {url}"
    );
    assert!(
        received(&other).await.is_empty(),
        "another server was fetched for {url}"
    );
    assert_eq!(identity_user_id(&m.keeper, CAROL).await, None);
    // Control: the proper URL is accepted, so the refusal was about the URL.
    let good = hand_signed(&m.s3.address().to_string(), &m.bucket, &st.key);
    if let Err(e) = m.keeper.complete_verification(CAROL, &good).await {
        panic!("control {good}: {e:?}");
    }
}
