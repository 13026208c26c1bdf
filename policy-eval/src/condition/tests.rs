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
