//! Whose reading of the policy language applies: AWS's, the default everywhere, or Ceph RGW
//! 16.2's, for servers that stand in for RGW (fake-s3's Ceph dialect). Nothing in this crate
//! switches to RGW's reading on its own: a caller asks for it explicitly, when a policy is parsed
//! ([`crate::Policy::parse_in`]) and when a request is decided ([`crate::Request::set_dialect`]).
//!
//! What RGW 16.2 reads differently, as its source says (`rgw_iam_policy.cc`) and as it answered
//! when asked (issue 23's differential harness, `scripts/rgw-diff.py`):
//! - **`Null`** is true when the key is absent from the request, whatever value the policy
//!   writes: `{"Null": {"s3:x-amz-grant-read": "false"}}` holds exactly when the header was *not*
//!   sent, the opposite of AWS (`Condition::eval`: `if (op == Null) return key not in env`).
//! - **An absent key makes every other operator false**, negated ones included (AWS: a negated
//!   operator on an absent key is true), unless `…IfExists` or `ForAllValues:` makes it true, as
//!   on AWS: `{"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}` does not hold
//!   for a request without the key.
//! - **Bucket policies are checked less**: no 20 KB limit; `Statement` may be absent (the policy
//!   then allows nothing); a statement without `Resource` is kept and applies to nothing.
//!   Actions, `Version`, `Effect` and the JSON itself are checked as AWS checks them.
//! - **AWS principals are RGW identities, never checked to exist**: `*`;
//!   `arn:aws:iam::TENANT:user/NAME` (an empty tenant is the default one), `…:role/NAME`,
//!   `arn:aws:iam::TENANT:root` (every user of the tenant); a bare name without `:` or `/` is a
//!   tenant. RGW has no accounts: a 12-digit account id, bare or as an ARN's account, names the
//!   RGW *tenant* of those digits, and users of 12-digit accounts stand for the default tenant,
//!   so such a principal names nobody (it is kept, as written, and matches no request).

/// Whose semantics to apply when parsing a policy or deciding a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// AWS IAM and Amazon S3, as their documentation describes them.
    #[default]
    Aws,
    /// Ceph RGW 16.2 (Pacific), where it differs from AWS (see the module's documentation).
    CephRgw,
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::Dialect;
    use crate::{evaluate, BucketRef, ContextValue, Decision, Policy, PolicyKind, PolicySet};
    use crate::{ErrorKind, Principal, Request};

    fn user(arn: &str, alias: Option<&str>) -> Principal {
        let mut p = Principal::from_arn(arn, None, None).unwrap_or_else(|e| panic!("{e}"));
        p.aliases.extend(alias.map(str::to_owned));
        p
    }

    fn decide(policy: &Policy, who: &Principal, acl: Option<&str>, dialect: Dialect) -> Decision {
        let mut req = Request::new(
            who.clone(),
            "s3:PutObject",
            BucketRef {
                name: "b".into(),
                account: "300000000001".into(),
            },
            Some("k".into()),
            None,
        );
        if let Some(v) = acl {
            req.insert("s3:x-amz-acl", ContextValue::Single(v.into()));
        }
        req.set_dialect(dialect);
        // Across accounts (tenants) the caller's own policy must allow too.
        let own = Policy::parse(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
            PolicyKind::Identity,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let identity = [own];
        let set = PolicySet {
            identity: &identity,
            bucket: Some(policy),
            ..PolicySet::default()
        };
        evaluate(&req, &set).decision
    }

    fn parse(doc: &serde_json::Value, dialect: Dialect) -> Result<Policy, crate::PolicyError> {
        Policy::parse_in(&doc.to_string(), PolicyKind::Bucket, dialect)
    }

    fn bob() -> Principal {
        user(
            "arn:aws:iam::300000000003:user/bob",
            Some("arn:aws:iam:::user/bob"),
        )
    }

    /// RGW's `Null` ignores its value: the Deny below ("if the header is present" on AWS) denies
    /// exactly the uploads *without* the header on RGW.
    #[rstest]
    #[case(Dialect::Aws, None, Decision::Allow)]
    #[case(Dialect::Aws, Some("private"), Decision::ExplicitDeny)]
    #[case(Dialect::CephRgw, None, Decision::ExplicitDeny)]
    #[case(Dialect::CephRgw, Some("private"), Decision::Allow)]
    #[case(Dialect::CephRgw, Some(""), Decision::Allow)]
    fn null_false_is_key_absent_on_rgw(
        #[case] dialect: Dialect,
        #[case] acl: Option<&str>,
        #[case] want: Decision,
    ) {
        let policy = parse(
            &json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
                {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam:::user/bob"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"Null": {"s3:x-amz-acl": "false"}}}]}),
            Dialect::Aws,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decide(&policy, &bob(), acl, dialect), want);
    }

    /// What RGW 16.2 stores (and what then grants nothing) where AWS refuses the policy.
    #[rstest]
    #[case::no_statement(json!({"Version": "2012-10-17"}))]
    #[case::no_resource(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"}, "Action": "s3:PutObject"}]}))]
    #[case::bare_name(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "bob"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}))]
    #[case::account_id(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "300000000003"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}))]
    #[case::account_arn(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::300000000003:user/bob"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}))]
    #[case::account_root(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::300000000003:root"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}))]
    fn rgw_stores_what_grants_nothing(#[case] doc: serde_json::Value) {
        let policy = parse(&doc, Dialect::CephRgw).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            decide(&policy, &bob(), None, Dialect::CephRgw),
            Decision::ImplicitDeny
        );
    }

    /// A Deny on `StringNotEquals` of a key the request lacks: applies on AWS, not on RGW.
    #[rstest]
    #[case(Dialect::Aws, Decision::ExplicitDeny)]
    #[case(Dialect::CephRgw, Decision::Allow)]
    fn a_negated_operator_on_an_absent_key(#[case] dialect: Dialect, #[case] want: Decision) {
        let policy = parse(
            &json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
                {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam:::user/bob"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}),
            Dialect::Aws,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decide(&policy, &bob(), None, dialect), want);
        assert_eq!(
            decide(&policy, &bob(), Some("private"), dialect),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn a_bare_tenant_name_names_the_tenants_users() {
        let policy = parse(
            &json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "uab"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}),
            Dialect::CephRgw,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let tina = user("arn:aws:iam::uab:user/tina", None);
        assert_eq!(
            decide(&policy, &tina, None, Dialect::CephRgw),
            Decision::Allow
        );
        assert!(parse(
            &json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "bob"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}),
            Dialect::Aws,
        )
        .is_err());
    }

    #[test]
    fn rgw_has_no_size_limit_but_checks_actions_and_versions() {
        let many: Vec<serde_json::Value> = (0..300)
            .map(|i| json!({"Sid": format!("s{i}"), "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam:::user/u{i:04}")},
                            "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::b/p{i}/*")}))
            .collect();
        let big = json!({"Version": "2012-10-17", "Statement": many});
        assert!(parse(&big, Dialect::CephRgw).is_ok());
        assert_eq!(
            parse(&big, Dialect::Aws).err().map(|e| e.kind),
            Some(ErrorKind::TooLarge)
        );
        for bad in [
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObjectx", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "iam:CreateUser", "Resource": "*"}]}),
            json!({"Version": "2020-01-01", "Statement": []}),
        ] {
            assert!(parse(&bad, Dialect::CephRgw).is_err(), "{bad}");
        }
    }
}
