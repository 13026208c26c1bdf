//! URLs presigned by the AWS SDK against the embedded fake: other people's URLs, other IAM users'
//! signatures, expired and tampered URLs, path and host tricks.

use rstest::rstest;

use super::{assert_contains, identity_user_id, not_verified, refused, seen, start_for, verifies};
use crate::service_support::{self as support, Backend, PEOPLE};

#[tokio::test]
async fn a_url_presigned_by_the_sdk_verifies_and_whitespace_around_it_is_ignored() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let st = start_for(&env, &alice).await;
    assert_eq!(
        st.command,
        format!("aws s3 presign s3://{}/{}", st.bucket, st.key)
    );
    assert_eq!(
        st.key,
        format!(
            "test-verification/email=alice%40example.org/userid={}/account={PEOPLE}/username=alice/",
            alice.user_id
        )
    );
    let url = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    env.fake.clear_journal();
    let identity = match env
        .keeper
        .complete_verification(&alice.email, &format!("  {url}\r\n"))
        .await
    {
        Ok(i) => i,
        Err(e) => panic!("{url}: {e:?}"),
    };
    assert_eq!(identity.arn, alice.arn);
    // Signed as alice: 404; unsigned: 403.
    assert_eq!(
        seen(&env),
        vec![(alice.arn.clone(), 404), ("anonymous".to_owned(), 403)]
    );
}

#[tokio::test]
async fn bob_cannot_use_alices_signed_url() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let bob = support::person(&env, "bob").await;
    let sa = start_for(&env, &alice).await;
    let sb = start_for(&env, &bob).await;
    let alices_url = support::presign(&alice.s3, &sa.bucket, &sa.key, 600).await;
    env.fake.clear_journal();
    let msg = refused(
        env.keeper
            .complete_verification(&bob.email, &alices_url)
            .await,
    );
    assert_contains(&msg, &format!("it is for the key `{}`", sa.key));
    assert_contains(&msg, &format!("(`{}`)", sb.key));
    assert!(env.fake.journal().is_empty(), "something was fetched");
    assert_eq!(identity_user_id(&env.keeper, &bob.email).await, None);
    // Alice's URL still verifies Alice.
    if let Err(e) = env
        .keeper
        .complete_verification(&alice.email, &alices_url)
        .await
    {
        panic!("alice: {e:?}");
    }
    assert_eq!(
        identity_user_id(&env.keeper, &alice.email).await,
        Some(alice.user_id.clone())
    );
}

#[tokio::test]
async fn the_right_key_signed_by_another_iam_user_is_refused_by_s3() {
    let env = support::env(Backend::Sqlite).await;
    let bob = support::person(&env, "bob").await;
    let mallory = support::person(&env, "mallory").await;
    let sb = start_for(&env, &bob).await;
    let forged = support::presign(&mallory.s3, &sb.bucket, &sb.key, 600).await;
    env.fake.clear_journal();
    let msg = not_verified(env.keeper.complete_verification(&bob.email, &forged).await);
    assert_contains(&msg, "(403)");
    assert_contains(&msg, &bob.arn);
    // One signed fetch, made as mallory and refused; the unsigned one was not needed.
    assert_eq!(seen(&env), vec![(mallory.arn.clone(), 403)]);
    assert_eq!(identity_user_id(&env.keeper, &bob.email).await, None);
    // Bob's own signature works.
    let own = support::presign(&bob.s3, &sb.bucket, &sb.key, 600).await;
    verifies(&env, &bob.email, &own, "bob").await;
}

#[tokio::test]
async fn an_expired_url_is_refused() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let st = start_for(&env, &alice).await;
    let url = support::presign(&alice.s3, &st.bucket, &st.key, 1).await;
    env.fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    ));
    env.fake.clear_journal();
    let r = env.keeper.complete_verification(&alice.email, &url).await;
    env.fake.set_time(None);
    let msg = not_verified(r);
    assert_contains(&msg, "(403)");
    assert_contains(&msg, "expired");
    // One signed fetch, refused at authentication; the unsigned one was not needed.
    assert_eq!(seen(&env), vec![(String::new(), 403)]);
    assert_eq!(identity_user_id(&env.keeper, &alice.email).await, None);
    // With the clock back, a fresh URL works.
    let fresh = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    verifies(&env, &alice.email, &fresh, "fresh").await;
}

#[tokio::test]
async fn a_tampered_signature_is_refused() {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let st = start_for(&env, &alice).await;
    let url = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    let marker = "X-Amz-Signature=";
    let Some(at) = url.find(marker).map(|i| i + marker.len()) else {
        panic!("no signature in {url}");
    };
    let old = url.as_bytes()[at];
    let new = if old == b'0' { '1' } else { '0' };
    let tampered = format!("{}{new}{}", &url[..at], &url[at + 1..]);
    assert_ne!(tampered, url);
    env.fake.clear_journal();
    let msg = not_verified(
        env.keeper
            .complete_verification(&alice.email, &tampered)
            .await,
    );
    assert_contains(&msg, "(403)");
    assert_contains(&msg, "changed after signing");
    // One signed fetch, refused at authentication; the unsigned one was not needed.
    assert_eq!(seen(&env), vec![(String::new(), 403)]);
    assert_eq!(identity_user_id(&env.keeper, &alice.email).await, None);
    // The untouched URL verifies.
    verifies(&env, &alice.email, &url, "untampered").await;
}

fn encoded_slash(u: &str) -> String {
    u.replacen("/userid", "%2Fuserid", 1)
}
fn encoded_slash_lower(u: &str) -> String {
    u.replacen("/userid", "%2fuserid", 1)
}
fn dot_segments(u: &str) -> String {
    u.replacen("/userid", "/x/../userid", 1)
}
fn encoded_dot_segments(u: &str) -> String {
    u.replacen("/userid", "/x/%2E%2E/userid", 1)
}
fn single_dot_segment(u: &str) -> String {
    u.replacen("/userid", "/./userid", 1)
}
fn backslash(u: &str) -> String {
    u.replacen("/userid", "\\userid", 1)
}
fn encoded_backslash(u: &str) -> String {
    u.replacen("/userid", "%5Cuserid", 1)
}
fn nul_in_key(u: &str) -> String {
    u.replacen("/userid", "/%00userid", 1)
}
fn broken_escape(u: &str) -> String {
    u.replacen("/userid", "/%zzuserid", 1)
}
fn fullwidth_digit_host(u: &str) -> String {
    u.replacen("127.0.0.1", "127.0.0.\u{FF11}", 1)
}
fn zero_width_space_host(u: &str) -> String {
    u.replacen("127.0.0.1", "127.0.0\u{200B}.1", 1)
}
fn cyrillic_in_path(u: &str) -> String {
    u.replacen("alice/?", "\u{0430}lice/?", 1)
}
fn short_ip(u: &str) -> String {
    u.replacen("127.0.0.1", "127.1", 1)
}
fn hex_ip(u: &str) -> String {
    u.replacen("127.0.0.1", "0x7f.0.0.1", 1)
}
fn decimal_ip(u: &str) -> String {
    u.replacen("127.0.0.1", "2130706433", 1)
}
fn mapped_ipv6(u: &str) -> String {
    u.replacen("127.0.0.1", "[::ffff:127.0.0.1]", 1)
}
fn trailing_dot(u: &str) -> String {
    u.replacen("127.0.0.1", "127.0.0.1.", 1)
}
fn upper_scheme(u: &str) -> String {
    u.replacen("http://", "HTTP://", 1)
}
fn over_long(u: &str) -> String {
    format!("{u}&X-Amz-Security-Token={}", "A".repeat(8200))
}
fn extra_parameter(u: &str) -> String {
    format!("{u}&response-content-type=text%2Fhtml")
}
fn version_id(u: &str) -> String {
    format!("{u}&versionId=1")
}
fn repeated_parameter(u: &str) -> String {
    format!("{u}&X-Amz-Expires=604800")
}
fn other_operation(u: &str) -> String {
    u.replacen("x-id=GetObject", "x-id=PutObject", 1)
}
fn newline_inside(u: &str) -> String {
    u.replacen("?", "\n?", 1)
}
fn without_query(u: &str) -> String {
    u.split_once('?').map_or(u, |(b, _)| b).to_owned()
}
fn sigv4_without_signature(u: &str) -> String {
    let Some((base, query)) = u.split_once('?') else {
        return u.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("X-Amz-Signature="))
        .collect();
    format!("{base}?{}", kept.join("&"))
}
fn sigv2_missing_signature(u: &str) -> String {
    let base = u.split_once('?').map_or(u, |(b, _)| b);
    format!("{base}?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1900000000")
}
fn sigv2_missing_expires(u: &str) -> String {
    let base = u.split_once('?').map_or(u, |(b, _)| b);
    format!("{base}?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D")
}

/// Alice's own, valid presigned URL, altered; every alteration is refused before any request.
#[rstest]
#[case::encoded_slash(encoded_slash, "encoded `/`, `.` or `\\`")]
#[case::encoded_slash_lower_case(encoded_slash_lower, "encoded `/`, `.` or `\\`")]
#[case::dot_segments(dot_segments, "not the one you were asked to sign")]
#[case::encoded_dot_segments(encoded_dot_segments, "encoded `/`, `.` or `\\`")]
#[case::single_dot_segment(single_dot_segment, "not the one you were asked to sign")]
#[case::backslash(backslash, "not the one you were asked to sign")]
#[case::encoded_backslash(encoded_backslash, "encoded `/`, `.` or `\\`")]
#[case::nul_in_key(nul_in_key, "not the one you were asked to sign")]
#[case::broken_escape(broken_escape, "not valid percent-encoding")]
#[case::fullwidth_digit_host(fullwidth_digit_host, "non-ASCII")]
#[case::zero_width_space_host(zero_width_space_host, "non-ASCII")]
#[case::cyrillic_look_alike_in_key(cyrillic_in_path, "non-ASCII")]
#[case::short_ip(short_ip, "is not the verification endpoint")]
#[case::hex_ip(hex_ip, "is not the verification endpoint")]
#[case::decimal_ip(decimal_ip, "is not the verification endpoint")]
#[case::mapped_ipv6(mapped_ipv6, "is not the verification endpoint")]
#[case::trailing_dot(trailing_dot, "is not the verification endpoint")]
#[case::upper_case_scheme(upper_scheme, "must use http://")]
#[case::over_long(over_long, "longer than 8192 characters")]
#[case::extra_parameter(extra_parameter, "unexpected parameter `response-content-type`")]
#[case::version_id(version_id, "unexpected parameter `versionId`")]
#[case::repeated_parameter(repeated_parameter, "repeats `X-Amz-Expires`")]
#[case::other_operation(other_operation, "unexpected parameter `x-id`")]
#[case::newline_inside(newline_inside, "control characters")]
#[case::without_query(without_query, "no query string")]
#[case::sigv4_without_signature(sigv4_without_signature, "not a complete SigV4 or SigV2")]
#[case::sigv2_missing_signature(sigv2_missing_signature, "not a complete SigV4 or SigV2")]
#[case::sigv2_missing_expires(sigv2_missing_expires, "not a complete SigV4 or SigV2")]
#[tokio::test]
async fn altered_urls_are_refused_before_any_request(
    #[case] alter: fn(&str) -> String,
    #[case] why: &str,
) {
    let env = support::env(Backend::Sqlite).await;
    let alice = support::person(&env, "alice").await;
    let st = start_for(&env, &alice).await;
    let url = support::presign(&alice.s3, &st.bucket, &st.key, 600).await;
    let altered = alter(&url);
    assert_ne!(altered, url, "the alteration changed nothing");
    env.fake.clear_journal();
    let msg = refused(
        env.keeper
            .complete_verification(&alice.email, &altered)
            .await,
    );
    assert_contains(&msg, why);
    assert!(
        env.fake.journal().is_empty(),
        "something was fetched for {altered}"
    );
    assert_eq!(identity_user_id(&env.keeper, &alice.email).await, None);
    // Control: the unaltered URL verifies.
    verifies(&env, &alice.email, &url, &format!("unaltered {url}")).await;
}
