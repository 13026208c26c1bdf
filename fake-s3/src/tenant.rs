//! Ceph RGW's per-tenant bucket namespaces, for the Ceph dialect
//! (<https://docs.ceph.com/en/latest/radosgw/multitenancy/>, "Accessing Buckets with Explicit
//! Tenants"; <https://docs.ceph.com/en/latest/radosgw/bucketpolicy/>, "Limitations").
//!
//! An account whose id is a tenant name (`uab`) is an RGW tenant with buckets of its own; users of
//! 12-digit accounts stand for RGW's default (empty) tenant. A bucket name in a request means the
//! caller's own tenant's bucket (anonymous callers: the default tenant's); `TENANT:NAME` names
//! another tenant's and `:NAME` the default tenant's. Only path-style requests can say so: a host
//! name cannot hold a colon.
//!
//! The store keys a bucket by `NAME` in the default tenant and by `TENANT:NAME` in a named one, a
//! form no S3 bucket name can take (`:` is not allowed in one), so the AWS dialect, which has no
//! tenants, keys and sees buckets exactly as before.
//!
//! Policies: RGW uses the tenant where AWS has the account id, so a tenant's bucket is the
//! resource `arn:aws:s3::TENANT:NAME` ([`policy_eval::arn::bucket_resource`]), and RGW reads a
//! resource ARN written with an empty (or `*`) account as the policy owner's tenant: the bucket's
//! for a bucket policy, the user's or role's for its own policies (rgw_iam_policy.cc, which also
//! notes that a policy cannot name resources of someone else's tenant). `arn:aws:s3:::b/*` in uab's
//! bucket policy is therefore uab's `b`, and so is `arn:aws:s3::uab:b/*`.

use policy_eval::arn::{is_tenant_name, Arn};
use policy_eval::pattern::{Pattern, Syntax};
use policy_eval::{Policy, PolicyError};

use crate::error::AwsError;

/// The RGW tenant `account` stands for: its id when that is a tenant name and the dialect is
/// Ceph's, else the default tenant (`""`).
pub fn of_account(ceph: bool, account: &str) -> &str {
    if ceph && is_tenant_name(account) {
        account
    } else {
        ""
    }
}

/// The store's key for bucket `name` of `tenant`.
pub fn key(tenant: &str, name: &str) -> String {
    if tenant.is_empty() {
        name.to_owned()
    } else {
        format!("{tenant}:{name}")
    }
}

/// A store key's tenant and bucket name (`("", key)` in the default tenant).
pub fn split(key: &str) -> (&str, &str) {
    key.split_once(':').unwrap_or(("", key))
}

/// The store key of the bucket a request names as `written`, for a caller of `caller_tenant`.
/// RGW reads `TENANT:NAME` as an explicit tenant, `:NAME` as the default one and a bare name as the
/// caller's (rgw_bucket.cc, `rgw_parse_url_bucket`); outside the Ceph dialect the name is the key.
pub fn resolve(ceph: bool, written: &str, caller_tenant: &str) -> Result<String, AwsError> {
    if !ceph {
        return Ok(written.to_owned());
    }
    match written.split_once(':') {
        Some((_, "")) => Err(
            AwsError::invalid_bucket_name("The specified bucket is not valid.")
                .with_resource(written),
        ),
        Some((tenant, name)) => Ok(key(tenant, name)),
        None => Ok(key(caller_tenant, written)),
    }
}

/// Rewrites the account field of each resource ARN of `policy` for which `to` gives a new one.
fn map_resource_accounts(policy: &mut Policy, to: impl Fn(&str) -> Option<String>) {
    let syntax = Syntax {
        wildcards: true,
        variables: policy.variables_enabled(),
        ignore_case: false,
    };
    for stmt in &mut policy.statements {
        let Some(resources) = &mut stmt.resources else {
            continue;
        };
        for p in &mut resources.patterns {
            let Some(arn) = Arn::parse(p.source()) else {
                continue;
            };
            if let Some(account) = to(arn.account) {
                let text = format!(
                    "arn:{}:{}:{}:{account}:{}",
                    arn.partition, arn.service, arn.region, arn.resource
                );
                *p = Pattern::new(&text, syntax);
            }
        }
    }
}

/// Reads `policy` as RGW does for an owner in `tenant`: a resource ARN with an empty or `*`
/// account is the tenant's. `"Resource": "*"` stays every resource, so a user's own policy can
/// still meet the cross-account rule the fake applies across tenants. Nothing changes in the
/// default tenant.
pub fn read_in_tenant(policy: &mut Policy, tenant: &str) {
    if tenant.is_empty() {
        return;
    }
    map_resource_accounts(policy, |account| {
        (account.is_empty() || account == "*").then(|| tenant.to_owned())
    });
}

/// Checks that every resource of a bucket policy names the bucket stored as `key` (or its
/// objects), as S3 checks it on PUT; a tenant's bucket may also be written with its tenant
/// (`arn:aws:s3::uab:b/*`). The Ceph dialect does not call it: RGW 16.2 stores a policy naming
/// other buckets (another tenant's too) and those statements grant nothing there
/// (`s3::validate_bucket_policy`).
pub fn check_bucket_resources(policy: &Policy, key: &str) -> Result<(), PolicyError> {
    let (tenant, name) = split(key);
    if tenant.is_empty() {
        return policy.check_resources_for_bucket(name);
    }
    let mut own = policy.clone();
    map_resource_accounts(&mut own, |account| (account == tenant).then(String::new));
    own.check_resources_for_bucket(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_eval::{BucketRef, Decision, PolicyKind, PolicySet, Principal, Request};

    #[test]
    fn names_resolve_in_the_callers_tenant_unless_explicit() {
        let r = |w: &str, t: &str| resolve(true, w, t).map_err(|e| e.code);
        assert_eq!(r("b", "uab"), Ok("uab:b".into()));
        assert_eq!(r("b", ""), Ok("b".into()));
        assert_eq!(r("other:b", "uab"), Ok("other:b".into()));
        assert_eq!(
            r(":b", "uab"),
            Ok("b".into()),
            "the default tenant, explicitly"
        );
        assert_eq!(r("uab:", "uab"), Err("InvalidBucketName"));
        assert_eq!(
            resolve(false, "a:b", "").map_err(|e| e.code),
            Ok("a:b".into()),
            "no tenants in the AWS dialect: the name is looked up as written"
        );
        assert_eq!(split("uab:b"), ("uab", "b"));
        assert_eq!(split("b"), ("", "b"));
        assert_eq!(of_account(true, "uab"), "uab");
        assert_eq!(of_account(true, "111122223333"), "");
        assert_eq!(of_account(false, "uab"), "");
    }

    fn decide(policy: &Policy, principal: &str, bucket_key: &str) -> Decision {
        let principal = Principal::from_arn(principal, None, None)
            .unwrap_or_else(|e| panic!("{principal}: {e:?}"));
        let req = Request::new(
            principal,
            "s3:GetObject",
            BucketRef {
                name: bucket_key.to_owned(),
                account: split(bucket_key).0.to_owned(),
            },
            Some("k".into()),
            None,
        );
        // The caller is in another account, whose own policy must allow too.
        let everything = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let set = PolicySet {
            boundary: None,
            identity: std::slice::from_ref(&everything),
            session: &[],
            bucket: Some(policy),
            access_point: None,
        };
        policy_eval::evaluate(&req, &set).decision
    }

    #[test]
    fn a_tenants_bucket_policy_names_its_own_buckets_either_way() {
        for resource in ["arn:aws:s3:::b/*", "arn:aws:s3::uab:b/*", "arn:aws:s3:::*"] {
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"{resource}"}}]}}"#
            );
            let mut policy =
                Policy::parse(&text, PolicyKind::Bucket).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(
                check_bucket_resources(&policy, "uab:b").is_ok(),
                "{resource}"
            );
            read_in_tenant(&mut policy, "uab");
            let anyone = "arn:aws:iam::111122223333:user/anyone";
            assert_eq!(
                decide(&policy, anyone, "uab:b"),
                Decision::Allow,
                "{resource}"
            );
            // The same text on the default tenant's `b` is that bucket's, not uab's.
            assert_eq!(
                decide(&policy, anyone, "b"),
                Decision::ImplicitDeny,
                "{resource} read in uab must not reach the default tenant's b"
            );
        }
        let other = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3::lab:b/*"}]}"#,
            PolicyKind::Bucket,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(check_bucket_resources(&other, "uab:b").is_err());
        assert!(
            check_bucket_resources(&other, "b").is_err(),
            "a tenant resource on a default-tenant bucket"
        );
    }

    #[test]
    fn identity_policies_read_bare_arns_in_their_tenant() {
        let mut policy = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*","arn:aws:s3::lab:x/*","*"]}]}"#,
            PolicyKind::Identity,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        read_in_tenant(&mut policy, "uab");
        let sources: Vec<&str> = policy.statements[0]
            .resources
            .as_ref()
            .map(|r| r.patterns.iter().map(Pattern::source).collect())
            .unwrap_or_default();
        assert_eq!(sources, ["arn:aws:s3::uab:b/*", "arn:aws:s3::lab:x/*", "*"]);
    }
}
