//! The policies the service writes, rendered in one place so that every document AWS receives can
//! be checked offline with policy-eval (the unit tests below do).
//!
//! - Verification bucket (SPEC §4): only the IAM user named in a key may read or list that key,
//!   through the policy variables `${aws:userid}`, `${aws:PrincipalAccount}` and `${aws:username}`
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).
//! - Open bucket: public read (`s3:GetObject`, `s3:ListBucket`).
//! - Controlled bucket: delegates every action to the owner account's access points with
//!   `s3:DataAccessPointAccount`
//!   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html>).
//! - Access point: lists only inside `SLUG/VERSION/`, reads `SLUG/VERSION/*`, for the granted
//!   people's unique user ids.

use serde_json::{json, Value};

/// AWS's limit on an access point policy, in bytes without whitespace.
pub const POLICY_LIMIT: usize = 20 * 1024;

/// The longest unique id of an IAM user: `AIDA` and at most 17 more characters.
const LONGEST_USER_ID: usize = 21;

/// The verification bucket's policy: each IAM user may get and list only its own path.
pub fn verification_bucket(bucket: &str, site: &str) -> String {
    let path = format!(
        "{site}-verification/email=*/userid=${{aws:userid}}/account=${{aws:PrincipalAccount}}/username=${{aws:username}}/"
    );
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnVerificationPathOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{bucket}/{path}"),
            },
            {
                "Sid": "ListOwnVerificationPathOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:ListBucket",
                "Resource": format!("arn:aws:s3:::{bucket}"),
                "Condition": {"StringLike": {"s3:prefix": path}},
            },
            // The bucket owner's own principals need no bucket-policy grant: an identity policy
            // allowing s3:GetObject on `*` would let any of them sign a working URL for anyone's
            // key. These denies close that, whatever the identity policies say.
            {
                "Sid": "NobodyReadsAnotherPath",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "NotResource": format!("arn:aws:s3:::{bucket}/{path}"),
            },
            {
                "Sid": "NobodyListsAnotherPath",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:ListBucket",
                "Resource": format!("arn:aws:s3:::{bucket}"),
                "Condition": {"StringNotLike": {"s3:prefix": path}},
            },
            // Where the path's variables cannot be resolved (root, roles, anonymous callers have
            // no aws:username) the two denies above do not apply, so deny those callers outright.
            {
                "Sid": "OnlyIamUsers",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": {"Null": {"aws:username": "true"}},
            }
        ]
    })
    .to_string()
}

/// The open bucket's policy: anyone may read and list.
pub fn open_bucket(bucket: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{bucket}/*"),
            },
            {
                "Sid": "PublicList",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:ListBucket",
                "Resource": format!("arn:aws:s3:::{bucket}"),
            }
        ]
    })
    .to_string()
}

/// The controlled bucket's policy: everything is delegated to the owner account's access points,
/// whose own policies decide who may read.
pub fn controlled_bucket(bucket: &str, account: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DelegateToOwnAccessPoints",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"StringEquals": {"s3:DataAccessPointAccount": account}},
        }]
    })
    .to_string()
}

/// The buckets the service owns, for rendering its own IAM policy.
#[derive(Debug, Clone, Copy)]
pub struct ServiceBuckets<'a> {
    pub verification: &'a str,
    pub open: &'a str,
    pub controlled: &'a str,
    pub uploads: &'a str,
    /// Bucket name patterns whose policies `share` may manage (`lab-*`).
    pub shared: &'a [String],
}

/// The identity policy the service's own credentials need, and nothing more: one statement per
/// step of the flow (setting up buckets, listing and uploading datasets, managing access points,
/// finding access points), each on the service's own buckets and access points only
/// (`ListAccessPoints` takes no resource, so `*`, as the Service Authorization Reference lists it:
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>).
/// `sts:GetCallerIdentity` needs no permission
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>).
/// `region` and `account` may be `*` when not known.
pub fn service_identity_policy(buckets: ServiceBuckets<'_>, region: &str, account: &str) -> Value {
    let bucket = |b: &str| format!("arn:aws:s3:::{b}");
    let objects = |b: &str| format!("arn:aws:s3:::{b}/*");
    let mut policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SetUpOwnBuckets",
                "Effect": "Allow",
                "Action": [
                    "s3:CreateBucket",
                    "s3:GetBucketPolicy",
                    "s3:PutBucketPolicy",
                    "s3:GetBucketPublicAccessBlock",
                    "s3:PutBucketPublicAccessBlock",
                ],
                "Resource": [
                    bucket(buckets.verification),
                    bucket(buckets.open),
                    bucket(buckets.controlled),
                    bucket(buckets.uploads),
                ],
            },
            {
                "Sid": "ListDatasets",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": [bucket(buckets.open), bucket(buckets.controlled)],
            },
            {
                "Sid": "UploadDatasets",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": [objects(buckets.open), objects(buckets.controlled)],
            },
            {
                "Sid": "ManageOwnAccessPoints",
                "Effect": "Allow",
                "Action": [
                    "s3:CreateAccessPoint",
                    "s3:GetAccessPoint",
                    "s3:DeleteAccessPoint",
                    "s3:GetAccessPointPolicy",
                    "s3:PutAccessPointPolicy",
                ],
                "Resource": format!("arn:aws:s3:{region}:{account}:accesspoint/*"),
            },
            {
                "Sid": "FindAccessPoints",
                "Effect": "Allow",
                "Action": "s3:ListAccessPoints",
                "Resource": "*",
            },
            {
                "Sid": "IssueUploadTickets",
                "Effect": "Allow",
                "Action": "sts:GetFederationToken",
                "Resource": format!("arn:aws:sts::{account}:federated-user/s3k-*"),
            },
            {
                // A ticket's credentials can never do more than the service itself may do.
                "Sid": "UploadTicketObjects",
                "Effect": "Allow",
                "Action": [
                    "s3:PutObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                    "s3:DeleteObject",
                ],
                "Resource": objects(buckets.uploads),
            },
            {
                "Sid": "ManageUploadsBucket",
                "Effect": "Allow",
                "Action": [
                    "s3:ListBucket",
                    "s3:ListBucketMultipartUploads",
                    "s3:PutBucketCORS",
                    "s3:DeleteBucketPolicy",
                ],
                "Resource": bucket(buckets.uploads),
            }
        ]
    });
    if !buckets.shared.is_empty() {
        if let Some(Value::Array(statements)) = policy.get_mut("Statement") {
            // `share` reads and writes the policies of shared buckets (and reads their owner), nothing
            // else of them.
            statements.push(json!({
                "Sid": "ManageSharedBuckets",
                "Effect": "Allow",
                "Action": [
                    "s3:GetBucketPolicy",
                    "s3:PutBucketPolicy",
                    "s3:DeleteBucketPolicy",
                    "s3:GetBucketAcl",
                ],
                "Resource": buckets.shared.iter().map(|b| bucket(b)).collect::<Vec<_>>(),
            }));
        }
    }
    policy
}

/// The ARN of an access point.
pub fn access_point_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:s3:{region}:{account}:accesspoint/{name}")
}

/// An access point's policy as a JSON value. With no principals it only denies: a policy cannot
/// name an empty principal list.
pub fn access_point_value(ap_arn: &str, prefix: &str, user_ids: &[String]) -> Value {
    let mut statements = vec![json!({
        "Sid": "ListOnlyInsideDataset",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:ListBucket",
        "Resource": ap_arn,
        "Condition": {"StringNotLike": {"s3:prefix": format!("{prefix}*")}},
    })];
    if !user_ids.is_empty() {
        statements.push(json!({
            "Sid": "GrantedPeople",
            "Effect": "Allow",
            "Principal": {"AWS": user_ids},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [format!("{ap_arn}/object/{prefix}*"), ap_arn.to_owned()],
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// An access point's policy text.
pub fn access_point(ap_arn: &str, prefix: &str, user_ids: &[String]) -> String {
    access_point_value(ap_arn, prefix, user_ids).to_string()
}

/// The largest policy an access point with `capacity` members of this dataset can have: every
/// member with the longest possible user id.
pub fn worst_case_access_point_bytes(ap_arn: &str, prefix: &str, capacity: usize) -> usize {
    let ids: Vec<String> = (0..capacity)
        .map(|i| format!("AIDA{i:0>width$}", width = LONGEST_USER_ID - 4))
        .collect();
    access_point(ap_arn, prefix, &ids).len()
}

/// A canonical form for comparing a stored policy with the one the service would write: single
/// strings become one-element lists and lists are sorted, so order and form do not count as
/// drift. `principal_alias` maps how AWS shows a principal (an ARN) back to the id the service
/// wrote.
pub fn canonical(value: &Value, principal_alias: &dyn Fn(&str) -> String) -> Value {
    fn list(v: &Value, map: &dyn Fn(&str) -> String) -> Value {
        let mut items: Vec<String> = match v {
            Value::String(s) => vec![map(s)],
            Value::Array(a) => a
                .iter()
                .map(|x| map(x.as_str().unwrap_or_default()))
                .collect(),
            other => return other.clone(),
        };
        items.sort();
        items.dedup();
        Value::Array(items.into_iter().map(Value::String).collect())
    }
    let ident = |s: &str| s.to_owned();
    let mut out = value.clone();
    let Some(statements) = out.get_mut("Statement") else {
        return out;
    };
    if statements.is_object() {
        *statements = Value::Array(vec![statements.clone()]);
    }
    if let Value::Array(items) = statements {
        for st in items.iter_mut() {
            let Value::Object(map) = st else { continue };
            for key in ["Action", "NotAction", "Resource", "NotResource"] {
                if let Some(v) = map.get_mut(key) {
                    *v = list(v, &ident);
                }
            }
            if let Some(Value::Object(p)) = map.get_mut("Principal") {
                if let Some(aws) = p.get_mut("AWS") {
                    *aws = list(aws, principal_alias);
                }
            }
        }
        items.sort_by_key(|s| s.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_eval::{evaluate, Decision, Policy, PolicyKind, Request};

    const ACCT: &str = "111122223333";

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("AIDAUSER{i:0>13}")).collect()
    }

    #[test]
    fn every_rendered_policy_is_valid_for_its_kind() {
        for text in [
            verification_bucket("verify", "example"),
            open_bucket("open"),
            controlled_bucket("controlled", ACCT),
        ] {
            let p = Policy::parse(&text, PolicyKind::Bucket);
            assert!(p.is_ok(), "{text}: {p:?}");
        }
        let arn = access_point_arn("us-east-1", ACCT, "demo-v1-01");
        for n in [0, 1, 500] {
            let text = access_point(&arn, "demo/1/", &ids(n));
            let p = Policy::parse(&text, PolicyKind::AccessPoint);
            assert!(p.is_ok(), "{n} members: {p:?}");
        }
    }

    #[test]
    fn five_hundred_longest_ids_fit_in_twenty_kilobytes() {
        let arn = access_point_arn("ap-southeast-2", ACCT, &"a".repeat(50));
        let bytes =
            worst_case_access_point_bytes(&arn, &format!("{}/{}/", "s".repeat(40), "v"), 500);
        assert!(bytes < POLICY_LIMIT, "{bytes}");
        assert!(worst_case_access_point_bytes(&arn, "d/1/", 1000) > POLICY_LIMIT);
    }

    #[test]
    fn controlled_bucket_policy_is_not_public() {
        let p = Policy::parse(&controlled_bucket("c", ACCT), PolicyKind::Bucket);
        assert!(matches!(p, Ok(ref p) if !policy_eval::lint::is_public(p)));
        let p = Policy::parse(&open_bucket("o"), PolicyKind::Bucket);
        assert!(matches!(p, Ok(ref p) if policy_eval::lint::is_public(p)));
    }

    #[test]
    fn access_point_policy_lists_only_inside_the_dataset() {
        use policy_eval::{AccessPointRef, BucketRef, ContextValue, PolicySet, Principal};
        let arn = access_point_arn("us-east-1", ACCT, "demo-v1-01");
        let member = "AIDAMEMBER00000000001".to_owned();
        let parse = |text: &str, kind| match Policy::parse(text, kind) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let ap = parse(
            &access_point(&arn, "demo/1/", std::slice::from_ref(&member)),
            PolicyKind::AccessPoint,
        );
        let bucket = parse(&controlled_bucket("controlled", ACCT), PolicyKind::Bucket);
        let person = |name: &str, id: &str| {
            Principal::from_arn(&format!("arn:aws:iam::{ACCT}:user/{name}"), Some(id), None)
                .map_err(|e| format!("{e:?}"))
        };
        let decide = |who: &Principal, action: &str, key: Option<&str>, prefix: Option<&str>| {
            let mut r = Request::new(
                who.clone(),
                action,
                BucketRef {
                    name: "controlled".into(),
                    account: ACCT.into(),
                },
                key.map(str::to_owned),
                Some(AccessPointRef {
                    name: "demo-v1-01".into(),
                    account: ACCT.into(),
                    region: "us-east-1".into(),
                }),
            );
            if let Some(p) = prefix {
                r.insert("s3:prefix", ContextValue::Single(p.into()));
            }
            r.insert(
                "s3:DataAccessPointAccount",
                ContextValue::Single(ACCT.into()),
            );
            let set = PolicySet {
                boundary: None,
                identity: &[],
                session: &[],
                bucket: Some(&bucket),
                access_point: Some(&ap),
            };
            evaluate(&r, &set).decision
        };
        let Ok(alice) = person("alice", &member) else {
            panic!("principal")
        };
        let Ok(mallory) = person("mallory", "AIDAMALLORY0000000001") else {
            panic!("principal")
        };
        assert_eq!(
            decide(&alice, "s3:ListBucket", None, Some("demo/1/")),
            Decision::Allow
        );
        assert_eq!(
            decide(&alice, "s3:ListBucket", None, Some("demo/1/sub/")),
            Decision::Allow
        );
        assert_eq!(
            decide(&alice, "s3:ListBucket", None, Some("demo/2/")),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&alice, "s3:ListBucket", None, None),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&alice, "s3:GetObject", Some("demo/1/a.csv"), None),
            Decision::Allow
        );
        assert_eq!(
            decide(&alice, "s3:GetObject", Some("demo/2/a.csv"), None),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(&mallory, "s3:GetObject", Some("demo/1/a.csv"), None),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn only_the_named_iam_user_passes_the_verification_policy() {
        use policy_eval::{BucketRef, ContextValue, PolicySet, Principal};
        let Ok(bucket) = Policy::parse(&verification_bucket("vb", "site"), PolicyKind::Bucket)
        else {
            panic!("invalid policy")
        };
        let Ok(everything) = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        ) else {
            panic!("invalid identity policy")
        };
        let key = "site-verification/email=bob%40example.org/userid=AIDABOB000000000001/account=444455556666/username=bob/";
        let decide = |arn: &str, id: &str, identity: &[Policy], list: bool| {
            let Ok(who) = Principal::from_arn(arn, Some(id), None) else {
                panic!("{arn}")
            };
            let bucket_ref = BucketRef {
                name: "vb".into(),
                account: ACCT.into(),
            };
            let mut r = if list {
                Request::new(who, "s3:ListBucket", bucket_ref, None, None)
            } else {
                Request::new(who, "s3:GetObject", bucket_ref, Some(key.into()), None)
            };
            if list {
                r.insert("s3:prefix", ContextValue::Single(key.into()));
            }
            let set = PolicySet {
                boundary: None,
                identity,
                session: &[],
                bucket: Some(&bucket),
                access_point: None,
            };
            evaluate(&r, &set).decision
        };
        let bob = "arn:aws:iam::444455556666:user/bob";
        let all = std::slice::from_ref(&everything);
        for list in [false, true] {
            // Cross-account, so Bob's own identity policy must allow the call too.
            assert_eq!(
                decide(bob, "AIDABOB000000000001", all, list),
                Decision::Allow
            );
            assert_eq!(
                decide(bob, "AIDABOB000000000001", &[], list),
                Decision::ImplicitDeny
            );
            // Mallory, in Bob's account, cannot sign for Bob.
            assert_eq!(
                decide(
                    "arn:aws:iam::444455556666:user/mallory",
                    "AIDAMALLORY00000001",
                    all,
                    list
                ),
                Decision::ExplicitDeny
            );
            // An insider of the bucket's own account with s3:* on `*` cannot either.
            let insider = decide(
                &format!("arn:aws:iam::{ACCT}:user/insider"),
                "AIDAINSIDER00000001",
                std::slice::from_ref(&everything),
                list,
            );
            assert_eq!(insider, Decision::ExplicitDeny);
            // Nor can a role session of that account.
            let role = decide(
                &format!("arn:aws:sts::{ACCT}:assumed-role/admin/s"),
                "AROAADMIN0000000001:s",
                std::slice::from_ref(&everything),
                list,
            );
            assert_eq!(role, Decision::ExplicitDeny);
        }
    }

    #[test]
    fn canonical_ignores_order_and_single_strings() {
        let a =
            json!({"Statement": [{"Action": "s3:GetObject", "Principal": {"AWS": ["B", "A"]}}]});
        let b = json!({"Statement": {"Action": ["s3:GetObject"], "Principal": {"AWS": ["arn:A", "B"]}}});
        let map = |s: &str| s.strip_prefix("arn:").unwrap_or(s).to_owned();
        assert_eq!(canonical(&a, &map), canonical(&b, &map));
    }
}
