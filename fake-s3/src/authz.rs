//! Authorization: every S3 request is turned into a `policy-eval` request and decided against the
//! caller's identity (and session) policies, the access point's policy and the bucket's policy.
//! Public access block settings are applied on top, as S3 does
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html>).

use policy_eval::{
    AccessPointRef, BucketRef, ContextValue, Decision, Explanation, PolicySet, Request,
};

use crate::auth::{Authenticated, SigVersion};
use crate::identity::Caller;
use crate::storage::{AccessPoint, Bucket};

/// Request facts that become condition keys.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    pub source_ip: Option<String>,
    /// Global keys read from the request's headers: `aws:Referer` (`Referer`) and `aws:UserAgent`
    /// (`User-Agent`), in every request's context when the header is sent
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-referer>);
    /// RGW 16.2 sets both too (`rgw_build_iam_environment`).
    pub globals: Vec<(&'static str, String)>,
    /// Extra keys (`s3:prefix`, `s3:delimiter`, `s3:max-keys`, `s3:x-amz-acl`, …).
    pub keys: Vec<(&'static str, String)>,
    /// Keys whose names are built from the request (`s3:ExistingObjectTag/KEY`) or that hold
    /// several values (`s3:RequestObjectTagKeys`).
    pub dynamic: Vec<(String, ContextValue)>,
    /// Keys read from the request's headers ([`crate::operation::carried_keys`]).
    pub carried: Vec<(&'static str, String)>,
    /// Whose semantics decide the request: Ceph RGW's in the Ceph dialect, where `Null` means
    /// "the key is absent" whatever its value ([`policy_eval::Dialect`]).
    pub dialect: policy_eval::Dialect,
}

/// The AccessDenied message S3 gives for a refused request. Requests from the resource owner's
/// own account get the context S3 adds since 2024 (who, which action, which resource, and why:
/// an explicit deny in an identity-based, session or resource-based policy, or no policy of the
/// kind that was needed allowing it); other requests get the bare "Access Denied"
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html>).
/// Ceph RGW gives no such context, so the Ceph dialect keeps the bare message.
pub fn access_denied_message(
    caller: &Caller,
    action: &str,
    verdict: &Verdict,
    resource_owner: &str,
    ceph_dialect: bool,
) -> String {
    let e = &verdict.explanation;
    let same_account = !caller.principal.is_anonymous() && caller.account() == resource_owner;
    if ceph_dialect || !same_account {
        return "Access Denied".to_owned();
    }
    let resource = e
        .resources
        .access_point_policy
        .clone()
        .unwrap_or_else(|| e.resources.bucket_policy.clone());
    let why = match verdict.decision {
        Decision::ExplicitDeny => {
            let kind = match e.deciding_statements.first().map(|s| s.policy.as_str()) {
                Some(p) if p.starts_with("identity") => "an identity-based policy",
                Some(p) if p.starts_with("session") => "a session policy",
                Some("boundary") => "a permissions boundary",
                Some(_) => "a resource-based policy",
                // Public access block settings act as an explicit deny on the resource.
                None => "a resource-based policy",
            };
            format!("with an explicit deny in {kind}")
        }
        _ => {
            let needs_resource = e
                .checks
                .iter()
                .any(|c| !c.allowed && c.identity_allows == Some(true));
            let kind = if needs_resource {
                "resource-based"
            } else {
                "identity-based"
            };
            format!("because no {kind} policy allows the {action} action")
        }
    };
    format!(
        "User: {} is not authorized to perform: {action} on resource: \"{resource}\" {why}",
        caller.principal.arn
    )
}

/// The outcome of authorization.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub decision: Decision,
    pub explanation: Explanation,
    /// What was decided on: the bucket or object ARN, or through an access point its resource.
    pub resource: String,
    /// For `s3:ListBucket`, the listing's prefix (`""` without one).
    pub prefix: Option<String>,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// Sets the condition keys of a request: time, transport and source address (the global `aws:`
/// keys every request carries), then the `s3:`/`sts:` keys the request carries that the catalogue
/// ([`crate::operation::ACTIONS`]) lists for the action being decided, so a key is never in the
/// context of an action AWS does not set it for. S3, S3 Control and STS all use it, so a `Deny`
/// on `aws:SourceIp` or `aws:SecureTransport` applies everywhere.
pub fn add_request_keys(
    req: &mut Request,
    auth: &Authenticated,
    facts: &RequestFacts,
    now: time::OffsetDateTime,
) {
    req.set_time(now);
    req.set_dialect(facts.dialect);
    let single = |s: &str| ContextValue::Single(s.to_owned());
    // Names written here are `'static`: inserting them copies nothing but the value.
    req.insert_static("aws:SecureTransport", single("false"));
    if let Some(ip) = &facts.source_ip {
        req.insert_static("aws:SourceIp", single(ip));
    }
    for (k, v) in &facts.globals {
        req.insert_static(k, single(v));
    }
    // Temporary credentials carry when they were issued and whether MFA was used (never, here);
    // long-term keys carry neither
    // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime>).
    if let Some(issued) = auth.caller.token_issued {
        if let Ok(text) = issued.format(&time::format_description::well_known::Rfc3339) {
            req.insert_static("aws:TokenIssueTime", single(&text));
        }
        req.insert_static("aws:MultiFactorAuthPresent", single("false"));
    }
    // The user's or the session's role's tags
    // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag>).
    for (k, v) in &auth.caller.tags {
        req.insert(&format!("aws:PrincipalTag/{k}"), single(v));
    }
    // The `s3:`/`sts:` keys, each kept only where the catalogue lists it for this action.
    let spec = crate::operation::spec(&req.action);
    let through_ap = req.access_point.is_some();
    let put = |req: &mut Request, key: &'static str, value: ContextValue| {
        if spec.is_none_or(|s| s.lists(key, through_ap)) {
            req.insert_static(key, value);
        }
    };
    if let Some((version, auth_type)) = auth.signature {
        let version = match version {
            SigVersion::V2 => "AWS",
            SigVersion::V4 => "AWS4-HMAC-SHA256",
        };
        put(req, "s3:signatureversion", single(version));
        put(req, "s3:authType", single(auth_type.key_value()));
    }
    if let Some(age) = auth.signature_age_ms {
        put(req, "s3:signatureAge", single(&age.to_string()));
    }
    if let Some(sha) = &auth.content_sha256 {
        put(req, "s3:x-amz-content-sha256", single(sha));
    }
    let owner = req.bucket.account.clone();
    if !owner.is_empty() {
        put(req, "s3:ResourceAccount", single(&owner));
        req.insert_static("aws:ResourceAccount", single(&owner));
    }
    for (k, v) in &facts.carried {
        put(req, k, single(v));
        if *k == "s3:object-lock-retain-until-date" {
            if let Some(days) = remaining_days(v, now) {
                put(
                    req,
                    "s3:object-lock-remaining-retention-days",
                    single(&days.to_string()),
                );
            }
        }
    }
    for (k, v) in &facts.keys {
        put(req, k, single(v));
    }
    for (k, v) in &facts.dynamic {
        if spec.is_none_or(|s| s.lists(k, through_ap)) {
            req.insert(k, v.clone());
        }
    }
}

/// Whole days from `now` until an Object Lock retain-until date (ISO 8601), rounded up, as
/// `s3:object-lock-remaining-retention-days` counts them.
fn remaining_days(until: &str, now: time::OffsetDateTime) -> Option<i64> {
    let until = policy_eval::context::parse_time(until)?;
    let secs = (until - now).whole_seconds();
    Some((secs + 86_399).div_euclid(86_400))
}

/// Builds the policy-eval request for `action` on `bucket` (and `key`), optionally through `ap`.
pub fn build_request(
    auth: &Authenticated,
    action: &str,
    bucket: &Bucket,
    key: Option<&str>,
    ap: Option<&AccessPoint>,
    facts: &RequestFacts,
    now: time::OffsetDateTime,
) -> Request {
    let mut req = Request::new(
        auth.caller.principal.clone(),
        action,
        BucketRef {
            name: bucket.name.clone(),
            account: bucket.owner.clone(),
        },
        key.map(str::to_owned),
        ap.map(|a| AccessPointRef {
            name: a.name.clone(),
            account: a.account.clone(),
            region: a.region.clone(),
        }),
    );
    add_request_keys(&mut req, auth, facts, now);
    req
}

/// Decides `action` for the caller. Never skipped: every handler that touches a bucket calls it.
pub fn authorize(
    auth: &Authenticated,
    action: &str,
    bucket: &Bucket,
    key: Option<&str>,
    ap: Option<&AccessPoint>,
    facts: &RequestFacts,
    now: time::OffsetDateTime,
) -> Verdict {
    let req = build_request(auth, action, bucket, key, ap, facts, now);
    let caller: &Caller = &auth.caller;
    let policies = PolicySet {
        boundary: caller.boundary.as_deref(),
        identity: &caller.identity,
        session: &caller.session,
        bucket: bucket.policy.as_ref().map(|p| &p.compiled),
        access_point: ap.and_then(|a| a.policy.as_ref().map(|p| &p.compiled)),
    };
    let mut explanation = policy_eval::explain(&req, &policies);
    // RestrictPublicBuckets: with a public policy, only the owner's account (and AWS services) get
    // in, whatever the policy says.
    let restrict = |public: bool, restricted: bool, owner: &str| {
        public && restricted && (caller.principal.is_anonymous() || caller.account() != owner)
    };
    if explanation.decision == Decision::Allow {
        let bucket_public = bucket
            .policy
            .as_ref()
            .is_some_and(|p| policy_eval::lint::is_public(&p.compiled));
        let bucket_restricted = bucket
            .public_access_block
            .is_some_and(|b| b.restrict_public_buckets);
        let ap_public = ap
            .and_then(|a| a.policy.as_ref())
            .is_some_and(|p| policy_eval::lint::is_public(&p.compiled));
        let ap_restricted = ap.is_some_and(|a| a.public_access_block.restrict_public_buckets);
        let blocked = if restrict(bucket_public, bucket_restricted, &bucket.owner) {
            Some("the bucket's policy is public and its RestrictPublicBuckets setting limits access to the bucket owner's account")
        } else if ap.is_some_and(|a| restrict(ap_public, ap_restricted, &a.account)) {
            Some("the access point's policy is public and its RestrictPublicBuckets setting limits access to its owner's account")
        } else {
            None
        };
        if let Some(why) = blocked {
            explanation.decision = Decision::ImplicitDeny;
            explanation.summary = format!("denied by S3 Block Public Access: {why}");
            explanation.deciding_statements.clear();
        }
    }
    let resource = req
        .access_point_resource()
        .unwrap_or(req.bucket_resource())
        .to_owned();
    let prefix = action.eq_ignore_ascii_case("s3:ListBucket").then(|| {
        req.get("s3:prefix")
            .and_then(|v| v.iter().next().map(str::to_owned))
            .unwrap_or_default()
    });
    Verdict {
        decision: explanation.decision,
        explanation,
        resource,
        prefix,
    }
}

/// Walks the condition-key catalogue ([`crate::operation::ACTIONS`]): for every action and every
/// key whose value the request itself supplies, an identity-policy Allow conditioned on the key
/// allows exactly when the catalogue lists the key for the action and the value matches, as IAM
/// decides a condition on a key that is absent from the request context
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>).
#[cfg(test)]
mod catalogue_walk {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use http::{HeaderMap, HeaderName, HeaderValue};
    use policy_eval::{Decision, Policy, PolicyKind, Principal};
    use time::OffsetDateTime;

    use super::*;
    use crate::auth::AuthType;
    use crate::operation::catalogue::{carried_keys, lists, KeySource, Resource, ACTIONS, KEYS};
    use crate::storage::PublicAccessBlock;

    const OWNER: &str = "111122223333";

    fn bucket() -> Bucket {
        Bucket {
            name: "walk".into(),
            owner: OWNER.into(),
            owner_id: String::new(),
            region: "us-east-1".into(),
            created: OffsetDateTime::UNIX_EPOCH,
            policy: None,
            public_access_block: None,
            ownership: None,
            acl: Vec::new(),
            versioning: Default::default(),
            objects: BTreeMap::new(),
            uploads: BTreeMap::new(),
            cors: None,
            tags: None,
        }
    }

    fn access_point() -> AccessPoint {
        AccessPoint {
            name: "walk-ap".into(),
            account: OWNER.into(),
            region: "us-east-1".into(),
            bucket: "walk".into(),
            alias: "walk-ap-abc-s3alias".into(),
            created: OffsetDateTime::UNIX_EPOCH,
            policy: None,
            public_access_block: PublicAccessBlock::default(),
        }
    }

    /// A user of the bucket's account whose one policy allows `action` when `condition` holds.
    fn caller(action: &str, condition: &str) -> Authenticated {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*","Condition":{condition}}}]}}"#
        );
        let policy =
            Policy::parse(&text, PolicyKind::Identity).unwrap_or_else(|e| panic!("{text}: {e}"));
        let principal =
            Principal::from_arn(&format!("arn:aws:iam::{OWNER}:user/walker"), None, None)
                .unwrap_or_else(|e| panic!("{e:?}"));
        Authenticated {
            caller: Caller {
                principal: principal.into(),
                owner_id: String::new(),
                identity: Arc::new(vec![policy]),
                session: Arc::new(Vec::new()),
                token_issued: None,
                boundary: None,
                tags: Vec::new(),
            },
            access_key: None,
            signature: Some((SigVersion::V4, AuthType::Query)),
            signature_age_ms: Some(5000),
            content_sha256: Some("UNSIGNED-PAYLOAD".into()),
            body: bytes::Bytes::new(),
            trailers: Vec::new(),
        }
    }

    fn decide(
        action: &str,
        condition: &str,
        headers: &HeaderMap,
        through_ap: bool,
        now: OffsetDateTime,
    ) -> Decision {
        let spec = crate::operation::spec(action).unwrap_or_else(|| panic!("{action}"));
        let key = (spec.resource == Resource::Object).then_some("k");
        let facts = RequestFacts {
            source_ip: Some("192.0.2.7".into()),
            carried: carried_keys(headers),
            ..RequestFacts::default()
        };
        let ap = through_ap.then(access_point);
        authorize(
            &caller(action, condition),
            action,
            &bucket(),
            key,
            ap.as_ref(),
            &facts,
            now,
        )
        .decision
    }

    fn s3_actions() -> impl Iterator<Item = &'static str> {
        ACTIONS
            .iter()
            .map(|s| s.action)
            .filter(|a| a.starts_with("s3:"))
    }

    #[test]
    fn header_keys_are_set_for_exactly_the_actions_that_list_them() {
        let now = OffsetDateTime::now_utc();
        let mut checked = 0;
        for action in s3_actions() {
            for (key, source) in KEYS {
                let KeySource::Header(header) = source else {
                    continue;
                };
                let mut headers = HeaderMap::new();
                headers.insert(
                    HeaderName::from_static(header),
                    HeaderValue::from_static("value-1"),
                );
                let cond = |v: &str| format!(r#"{{"StringEquals":{{"{key}":"{v}"}}}}"#);
                let want = if lists(action, key, false) {
                    Decision::Allow
                } else {
                    Decision::ImplicitDeny
                };
                assert_eq!(
                    decide(action, &cond("value-1"), &headers, false, now),
                    want,
                    "{action} with {key} from {header}"
                );
                assert_eq!(
                    decide(action, &cond("value-2"), &headers, false, now),
                    Decision::ImplicitDeny,
                    "{action}: {key} must not match another value"
                );
                // Without the header, the key is absent: `Null` is true.
                let null = format!(r#"{{"Null":{{"{key}":"true"}}}}"#);
                assert_eq!(
                    decide(action, &null, &HeaderMap::new(), false, now),
                    Decision::Allow,
                    "{action}: {key} without {header}"
                );
                checked += 1;
            }
        }
        assert!(checked > 500, "walked only {checked} pairs");
    }

    #[test]
    fn signature_owner_and_access_point_keys_follow_the_catalogue() {
        let now = OffsetDateTime::now_utc();
        let cases = [
            (
                "s3:authType",
                r#""StringEquals":{"s3:authType":"REST-QUERY-STRING"}"#,
                false,
            ),
            (
                "s3:signatureversion",
                r#""StringEquals":{"s3:signatureversion":"AWS4-HMAC-SHA256"}"#,
                false,
            ),
            (
                "s3:signatureAge",
                r#""NumericEquals":{"s3:signatureAge":"5000"}"#,
                false,
            ),
            (
                "s3:x-amz-content-sha256",
                r#""StringEquals":{"s3:x-amz-content-sha256":"UNSIGNED-PAYLOAD"}"#,
                false,
            ),
            (
                "s3:ResourceAccount",
                r#""StringEquals":{"s3:ResourceAccount":"111122223333"}"#,
                false,
            ),
            (
                "s3:DataAccessPointAccount",
                r#""StringEquals":{"s3:DataAccessPointAccount":"111122223333"}"#,
                true,
            ),
            (
                "s3:DataAccessPointArn",
                r#""StringEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:111122223333:accesspoint/walk-ap"}"#,
                true,
            ),
            (
                "s3:AccessPointNetworkOrigin",
                r#""StringEquals":{"s3:AccessPointNetworkOrigin":"Internet"}"#,
                true,
            ),
        ];
        for action in s3_actions() {
            let spec = crate::operation::spec(action).unwrap_or_else(|| panic!("{action}"));
            for (key, condition, through_ap) in cases {
                // Requests through an access point exist only for actions that allow one.
                if through_ap && !spec.via_access_point {
                    continue;
                }
                let want = if lists(action, key, through_ap) {
                    Decision::Allow
                } else {
                    Decision::ImplicitDeny
                };
                let got = decide(
                    action,
                    &format!("{{{condition}}}"),
                    &HeaderMap::new(),
                    through_ap,
                    now,
                );
                assert_eq!(got, want, "{action} with {key}");
            }
        }
    }

    #[test]
    fn remaining_retention_days_come_from_the_retain_until_date() {
        let now = OffsetDateTime::now_utc();
        let until = (now + time::Duration::days(10))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-amz-object-lock-retain-until-date"),
            HeaderValue::from_str(&until).unwrap_or_else(|e| panic!("{e}")),
        );
        let cond = |n: u32| {
            format!(
                r#"{{"NumericGreaterThanEquals":{{"s3:object-lock-remaining-retention-days":"{n}"}}}}"#
            )
        };
        assert_eq!(
            decide("s3:PutObject", &cond(10), &headers, false, now),
            Decision::Allow
        );
        assert_eq!(
            decide("s3:PutObject", &cond(11), &headers, false, now),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn tls_version_is_never_set_on_plain_http() {
        let now = OffsetDateTime::now_utc();
        for action in s3_actions() {
            let null = r#"{"Null":{"s3:TlsVersion":"true"}}"#;
            assert_eq!(
                decide(action, null, &HeaderMap::new(), false, now),
                Decision::Allow,
                "{action}"
            );
        }
    }
}
