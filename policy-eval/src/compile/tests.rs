use rstest::rstest;
use serde_json::json;

use super::*;

fn err(v: serde_json::Value, kind: PolicyKind) -> PolicyError {
    match Policy::from_value(&v, kind) {
        Ok(_) => panic!("accepted {v}"),
        Err(e) => e,
    }
}

#[test]
fn accepts_single_strings_and_lists_everywhere() {
    let p = Policy::from_value(
        &json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}),
        PolicyKind::Bucket,
    );
    assert!(p.is_ok());
    let p = Policy::from_value(
        &json!({"Statement": [{"Sid": "A", "Effect": "Deny", "NotPrincipal": {"AWS": ["111122223333"]},
            "NotAction": ["s3:Get*"], "NotResource": ["arn:aws:s3:::b/x/*"]}]}),
        PolicyKind::Bucket,
    );
    assert!(p.is_ok_and(|p| p.version == Version::V2008_10_17));
}

#[rstest]
#[case(json!({"Statement": [{"Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}), ErrorKind::MissingElement, "Effect")]
#[case(json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}), ErrorKind::MissingElement, "Principal")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*"}]}), ErrorKind::MissingElement, "Action")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}), ErrorKind::MissingElement, "Resource")]
#[case(json!({"Statement": [{"Effect": "allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}), ErrorKind::InvalidEffect, "Effect")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"}]}), ErrorKind::ConflictingElements, "Action")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/a*"}, "Action": "s3:GetObject", "Resource": "*"}]}), ErrorKind::InvalidPrincipal, "Principal")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}]}), ErrorKind::ActionResourceMismatch, "Action")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}]}), ErrorKind::ActionResourceMismatch, "Action")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObjekt", "Resource": "*"}]}), ErrorKind::InvalidAction, "Action")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "iam:CreateUser", "Resource": "*"}]}), ErrorKind::InvalidAction, "Action")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "bucket/*"}]}), ErrorKind::InvalidResource, "Resource")]
#[case(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}]}), ErrorKind::InvalidCondition, "Condition")]
#[case(json!({"Statement": [{"effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}), ErrorKind::UnknownElement, "effect")]
#[case(json!({"Version": "2012-10-18", "Statement": []}), ErrorKind::InvalidVersion, "Version")]
#[case(json!({"Statement": [{"Sid": "x", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}, {"Sid": "x", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}), ErrorKind::UnknownElement, "Sid")]
fn bucket_policy_errors(
    #[case] doc: serde_json::Value,
    #[case] kind: ErrorKind,
    #[case] field: &str,
) {
    let e = err(doc, PolicyKind::Bucket);
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(e.location.field.as_deref(), Some(field), "{e}");
    assert!(e.to_string().starts_with(kind.aws_message()), "{e}");
}

#[test]
fn errors_name_the_statement_by_sid_or_index() {
    let e = err(
        json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "Bad", "Effect": "Allow", "Principal": {"AWS": "nobody"}, "Action": "s3:GetObject", "Resource": "*"}
        ]}),
        PolicyKind::Bucket,
    );
    assert_eq!(e.location.statement_index, Some(1));
    assert_eq!(
        e.to_string(),
        "Invalid principal in policy (statement `Bad` at index 1, element `Principal`): `nobody` is not an account id, unique id or IAM/STS ARN"
    );
}

#[test]
fn identity_policies_refuse_principals() {
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
        PolicyKind::Identity,
    );
    assert_eq!(e.kind, ErrorKind::UnknownElement);
}

#[test]
fn size_limit_excludes_whitespace() {
    let stmt = json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
    let n = MAX_RESOURCE_POLICY_BYTES / stmt.to_string().len() + 1;
    let doc = json!({"Statement": vec![stmt; n]});
    assert_eq!(err(doc, PolicyKind::Bucket).kind, ErrorKind::TooLarge);
    let padded = format!("{{\"Statement\": [{}]}}", " ".repeat(30_000));
    assert!(Policy::parse(&padded, PolicyKind::Bucket).is_ok());
}

#[test]
fn resources_must_belong_to_the_bucket_or_access_point() {
    let p = Policy::from_value(
        &json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]}),
        PolicyKind::Bucket,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(p.check_resources_for_bucket("mine").is_err());
    assert!(p.check_resources_for_bucket("other").is_ok());
    let ap = "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1";
    let p = Policy::from_value(
        &json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [format!("{ap}/object/data/*"), ap.to_owned()]}]}),
        PolicyKind::AccessPoint,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(p.check_resources_for_access_point(ap).is_ok());
    assert!(p
        .check_resources_for_access_point("arn:aws:s3:us-east-1:111122223333:accesspoint/ap2")
        .is_err());
}

#[test]
fn access_point_resources_fit_their_actions() {
    let ap = "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1";
    let list_on_objects = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": format!("{ap}/object/*")}]});
    assert_eq!(
        err(list_on_objects, PolicyKind::AccessPoint).kind,
        ErrorKind::ActionResourceMismatch
    );
    let get_on_ap = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": ap}]});
    assert_eq!(
        err(get_on_ap, PolicyKind::AccessPoint).kind,
        ErrorKind::ActionResourceMismatch
    );
}
