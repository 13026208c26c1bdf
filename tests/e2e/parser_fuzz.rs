//! Random and mutated JSON never panics the policy or scenario parsers.

use policy_eval::scenario::Scenario;
use policy_eval::{Policy, PolicyKind};
use proptest::prelude::*;
use serde_json::{json, Value};

const SEED_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:user/a"]},
   "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/${aws:username}/*"],
   "Condition": {"StringLike": {"s3:prefix": ["p/*"]}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                 "ForAnyValue:StringEquals": {"aws:TagKeys": ["x"]}, "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}]}"#;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9:*?/${}' ,.-]{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("Allow"),
            Just("Deny"),
            Just("*"),
            Just("s3:GetObject"),
            Just("arn:aws:s3:::b/*"),
            Just("2012-10-17"),
            Just("111122223333"),
            Just("StringEquals"),
            Just("${aws:username}")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("Version"),
            Just("Statement"),
            Just("Effect"),
            Just("Principal"),
            Just("NotPrincipal"),
            Just("Action"),
            Just("NotAction"),
            Just("Resource"),
            Just("NotResource"),
            Just("Condition"),
            Just("Sid"),
            Just("AWS"),
            Just("StringLike"),
            Just("ForAllValues:StringEquals"),
            Just("NumericLessThanIfExists"),
            Just("Null"),
            Just("s3:prefix"),
            Just("x")
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.prop_map(str::to_owned), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_documents_never_panic(doc in arb_json()) {
        for kind in [PolicyKind::Identity, PolicyKind::Bucket, PolicyKind::AccessPoint, PolicyKind::Trust] {
            let _ = Policy::from_value(&doc, kind);
        }
        let _ = Scenario::from_value(json!({"request": doc.clone(), "policies": {"bucket": doc}}));
    }

    #[test]
    fn mutated_text_never_panics(pos in 0usize..2000, len in 0usize..8, insert in "[\\\\{}\\[\\]\":,*$a-z0-9]{0,6}") {
        let mut text = SEED_POLICY.to_owned();
        let start = pos.min(text.len());
        let end = (start + len).min(text.len());
        if text.is_char_boundary(start) && text.is_char_boundary(end) {
            text.replace_range(start..end, &insert);
        }
        for kind in [PolicyKind::Identity, PolicyKind::Bucket, PolicyKind::AccessPoint] {
            let _ = Policy::parse(&text, kind);
        }
    }
}

#[test]
fn seed_policy_is_valid() {
    let p = Policy::parse(SEED_POLICY, PolicyKind::Bucket);
    assert!(p.is_ok(), "{p:?}");
}
