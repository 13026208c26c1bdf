use rstest::rstest;
use serde_json::json;

use super::*;
use crate::context::{BucketRef, ContextValue, Request};
use crate::principal::Principal;

fn request(context: &[(&str, &[&str])]) -> Request {
    let p = Principal::from_arn(
        "arn:aws:iam::111122223333:user/alice",
        Some("AIDAALICEEXAMPLE00001"),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut r = Request::new(
        p,
        "s3:ListBucket",
        BucketRef {
            name: "b".into(),
            account: "111122223333".into(),
        },
        None,
        None,
    );
    for (k, vs) in context {
        let v = match vs {
            [one] => ContextValue::Single((*one).to_owned()),
            many => ContextValue::Multi(many.iter().map(|s| (*s).to_owned()).collect()),
        };
        r.insert(k, v);
    }
    r
}

fn eval(
    op: &str,
    key: &str,
    values: serde_json::Value,
    context: &[(&str, &[&str])],
) -> CondOutcome {
    let c = Condition::compile(op, key, &values, true).unwrap_or_else(|e| panic!("{e}"));
    c.evaluate(&request(context))
}

use CondOutcome::{False as F, True as T};

#[rstest]
#[case("StringEquals", "s3:prefix", json!("a/"), &[("s3:prefix", &["a/"][..])][..], T)]
#[case("StringEquals", "S3:PREFIX", json!("a/"), &[("s3:prefix", &["a/"][..])][..], T)]
#[case("StringEquals", "s3:prefix", json!("A/"), &[("s3:prefix", &["a/"][..])][..], F)]
#[case("StringEqualsIgnoreCase", "s3:prefix", json!("A/"), &[("s3:prefix", &["a/"][..])][..], T)]
#[case("StringNotEquals", "s3:prefix", json!(["x", "y"]), &[("s3:prefix", &["x"][..])][..], F)]
#[case("StringNotEquals", "s3:prefix", json!("x"), &[][..], T)]
#[case("StringEquals", "s3:prefix", json!("x"), &[][..], F)]
#[case("StringEqualsIfExists", "s3:prefix", json!("x"), &[][..], T)]
#[case("StringEqualsIfExists", "s3:prefix", json!("x"), &[("s3:prefix", &["y"][..])][..], F)]
#[case("StringLike", "s3:prefix", json!("home/*"), &[("s3:prefix", &["home/a/b"][..])][..], T)]
#[case("StringLike", "s3:prefix", json!("home/${aws:username}/*"), &[("s3:prefix", &["home/alice/x"][..])][..], T)]
#[case("StringNotLike", "s3:prefix", json!(["a/*", "b/*"]), &[("s3:prefix", &["c/"][..])][..], T)]
#[case("NumericLessThanEquals", "s3:max-keys", json!("10"), &[("s3:max-keys", &["10"][..])][..], T)]
#[case("NumericLessThan", "s3:max-keys", json!(10), &[("s3:max-keys", &["10"][..])][..], F)]
#[case("NumericGreaterThan", "s3:max-keys", json!("2.5"), &[("s3:max-keys", &["3"][..])][..], T)]
#[case("NumericEquals", "s3:max-keys", json!("10"), &[("s3:max-keys", &["ten"][..])][..], F)]
#[case("DateGreaterThan", "aws:CurrentTime", json!("2020-01-01T00:00:00Z"), &[("aws:CurrentTime", &["2024-01-01T00:00:00Z"][..])][..], T)]
#[case("DateLessThan", "aws:EpochTime", json!("1600000000"), &[("aws:CurrentTime", &["2024-01-01T00:00:00Z"][..])][..], F)]
#[case("Bool", "aws:SecureTransport", json!("false"), &[("aws:SecureTransport", &["false"][..])][..], T)]
#[case("Bool", "aws:SecureTransport", json!(false), &[("aws:SecureTransport", &["true"][..])][..], F)]
#[case("BoolIfExists", "aws:SecureTransport", json!("false"), &[][..], T)]
#[case("IpAddress", "aws:SourceIp", json!(["10.0.0.0/8", "2001:db8::/32"]), &[("aws:SourceIp", &["2001:db8::1"][..])][..], T)]
#[case("NotIpAddress", "aws:SourceIp", json!("10.0.0.0/8"), &[("aws:SourceIp", &["10.1.1.1"][..])][..], F)]
#[case("NotIpAddress", "aws:SourceIp", json!("10.0.0.0/8"), &[][..], T)]
#[case("ArnLike", "aws:PrincipalArn", json!("arn:aws:iam::*:user/al*"), &[][..], T)]
#[case("ArnNotEquals", "aws:PrincipalArn", json!("arn:aws:iam::111122223333:user/alice"), &[][..], F)]
#[case("Null", "s3:x-amz-acl", json!("true"), &[][..], T)]
#[case("Null", "s3:x-amz-acl", json!("false"), &[][..], F)]
#[case("BinaryEquals", "k", json!("QmluYXJ5"), &[("k", &["QmluYXJ5"][..])][..], T)]
#[case("ForAllValues:StringEquals", "k", json!(["a", "b"]), &[("k", &["a", "b"][..])][..], T)]
#[case("ForAllValues:StringEquals", "k", json!(["a", "b"]), &[("k", &["a", "c"][..])][..], F)]
#[case("ForAllValues:StringEquals", "k", json!(["a"]), &[][..], T)]
#[case("ForAnyValue:StringEquals", "k", json!(["a"]), &[][..], F)]
#[case("ForAnyValue:StringEquals", "k", json!(["a"]), &[("k", &["z", "a"][..])][..], T)]
#[case("ForAnyValue:StringNotEquals", "k", json!(["a"]), &[("k", &["a", "b"][..])][..], T)]
#[case("ForAllValues:StringNotLike", "k", json!(["a*"]), &[("k", &["b", "c"][..])][..], T)]
#[case("ForAllValues:StringNotLike", "k", json!(["a*"]), &[("k", &["b", "ab"][..])][..], F)]
#[case("StringEquals", "k", json!("a"), &[("k", &["z", "a"][..])][..], T)]
fn operator_table(
    #[case] op: &str,
    #[case] key: &str,
    #[case] values: serde_json::Value,
    #[case] context: &[(&str, &[&str])],
    #[case] want: CondOutcome,
) {
    assert_eq!(eval(op, key, values, context), want);
}

#[test]
fn unresolved_variable_is_reported() {
    assert_eq!(
        eval(
            "StringEquals",
            "s3:prefix",
            json!("${aws:SourceVpc}"),
            &[("s3:prefix", &["x"][..])]
        ),
        CondOutcome::Unresolved("aws:sourcevpc".into())
    );
}

#[test]
fn variables_are_text_when_disabled() {
    let c = Condition::compile(
        "StringEquals",
        "s3:prefix",
        &json!("${aws:username}"),
        false,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.evaluate(&request(&[("s3:prefix", &["${aws:username}"])])),
        T
    );
}

#[rstest]
#[case("StringEqualz", json!("a"))]
#[case("NullIfExists", json!("true"))]
#[case("IpAddress", json!("10.0.0.0/40"))]
#[case("NumericEquals", json!("ten"))]
#[case("DateEquals", json!("tomorrow"))]
#[case("Bool", json!("yes"))]
#[case("StringEquals", json!([]))]
#[case("StringEquals", json!({"a": 1}))]
fn bad_conditions_are_rejected(#[case] op: &str, #[case] values: serde_json::Value) {
    let err = Condition::compile(op, "k", &values, true).err();
    assert_eq!(
        err.map(|e| e.kind),
        Some(crate::error::ErrorKind::InvalidCondition)
    );
}

/// `…IfExists` on every operator family but `Null`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists>):
/// "if the policy key is present in the context of the request, process the key as specified in
/// the policy; if the key is not present, evaluate the condition element as true". Each case: the
/// operator, the policy value, a request value that satisfies it and one that does not; the
/// absent key is true in both dialects (RGW 16.2 reads `IfExists` the same way).
#[rstest]
#[case("StringEqualsIfExists", json!("a"), "a", "b")]
#[case("StringNotEqualsIfExists", json!("a"), "b", "a")]
#[case("StringEqualsIgnoreCaseIfExists", json!("A"), "a", "b")]
#[case("StringNotEqualsIgnoreCaseIfExists", json!("A"), "b", "a")]
#[case("StringLikeIfExists", json!("http://www.example.com/*"), "http://www.example.com/x", "http://example.org/")]
#[case("StringNotLikeIfExists", json!("a*"), "b", "ab")]
#[case("NumericEqualsIfExists", json!("10"), "10", "11")]
#[case("NumericNotEqualsIfExists", json!("10"), "11", "10")]
#[case("NumericLessThanIfExists", json!("10"), "9", "10")]
#[case("NumericLessThanEqualsIfExists", json!("10"), "10", "11")]
#[case("NumericGreaterThanIfExists", json!("10"), "11", "10")]
#[case("NumericGreaterThanEqualsIfExists", json!("10"), "10", "9")]
#[case("DateEqualsIfExists", json!("2024-01-01T00:00:00Z"), "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")]
#[case("DateNotEqualsIfExists", json!("2024-01-01T00:00:00Z"), "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z")]
#[case("DateLessThanIfExists", json!("2024-01-01T00:00:00Z"), "2023-12-31T00:00:00Z", "2024-01-02T00:00:00Z")]
#[case("DateLessThanEqualsIfExists", json!("2024-01-01T00:00:00Z"), "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")]
#[case("DateGreaterThanIfExists", json!("2024-01-01T00:00:00Z"), "2024-01-02T00:00:00Z", "2023-12-31T00:00:00Z")]
#[case("DateGreaterThanEqualsIfExists", json!("2024-01-01T00:00:00Z"), "2024-01-01T00:00:00Z", "2023-12-31T00:00:00Z")]
#[case("BoolIfExists", json!("true"), "true", "false")]
#[case("BinaryEqualsIfExists", json!("QmluYXJ5"), "QmluYXJ5", "b3RoZXI=")]
#[case("IpAddressIfExists", json!("10.0.0.0/8"), "10.1.2.3", "192.0.2.1")]
#[case("NotIpAddressIfExists", json!("10.0.0.0/8"), "192.0.2.1", "10.1.2.3")]
#[case("ArnEqualsIfExists", json!("arn:aws:iam::111122223333:role/r"), "arn:aws:iam::111122223333:role/r", "arn:aws:iam::111122223333:role/s")]
#[case("ArnLikeIfExists", json!("arn:aws:iam::*:role/r*"), "arn:aws:iam::444455556666:role/rx", "arn:aws:iam::444455556666:user/rx")]
#[case("ArnNotEqualsIfExists", json!("arn:aws:iam::111122223333:role/r"), "arn:aws:iam::111122223333:role/s", "arn:aws:iam::111122223333:role/r")]
#[case("ArnNotLikeIfExists", json!("arn:aws:iam::*:role/r*"), "arn:aws:iam::444455556666:user/rx", "arn:aws:iam::444455556666:role/rx")]
fn if_exists_on_every_family(
    #[case] op: &str,
    #[case] values: serde_json::Value,
    #[case] satisfies: &str,
    #[case] fails: &str,
) {
    let c = Condition::compile(op, "k", &values, true).unwrap_or_else(|e| panic!("{e}"));
    for dialect in [crate::Dialect::Aws, crate::Dialect::CephRgw] {
        let decide = |context: &[(&str, &[&str])]| {
            let mut r = request(context);
            r.set_dialect(dialect);
            c.evaluate(&r)
        };
        assert_eq!(decide(&[]), T, "{op} without the key ({dialect:?})");
        assert_eq!(
            decide(&[("k", &[satisfies])]),
            T,
            "{op} {satisfies} ({dialect:?})"
        );
        assert_eq!(decide(&[("k", &[fails])]), F, "{op} {fails} ({dialect:?})");
    }
}
