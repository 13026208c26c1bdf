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
    /// Extra keys (`s3:prefix`, `s3:delimiter`, `s3:max-keys`, `s3:x-amz-acl`, …).
    pub keys: Vec<(&'static str, String)>,
    /// Keys whose names are built from the request (`s3:ExistingObjectTag/KEY`) or that hold
    /// several values (`s3:RequestObjectTagKeys`).
    pub dynamic: Vec<(String, ContextValue)>,
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
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// Sets the condition keys every request carries (time, transport, source address, signature
/// facts, and the handler's own keys). S3, S3 Control and STS all use it, so a `Deny` on
/// `aws:SourceIp` or `aws:SecureTransport` applies everywhere.
pub fn add_request_keys(
    req: &mut Request,
    auth: &Authenticated,
    facts: &RequestFacts,
    now: time::OffsetDateTime,
) {
    req.set_time(now);
    let single = |s: &str| ContextValue::Single(s.to_owned());
    req.insert("aws:SecureTransport", single("false"));
    if let Some(ip) = &facts.source_ip {
        req.insert("aws:SourceIp", single(ip));
    }
    if let Some((version, auth_type)) = auth.signature {
        req.insert(
            "s3:signatureversion",
            single(match version {
                SigVersion::V2 => "AWS",
                SigVersion::V4 => "AWS4-HMAC-SHA256",
            }),
        );
        req.insert("s3:authType", single(auth_type.key_value()));
    }
    if let Some(age) = auth.signature_age_ms {
        req.insert("s3:signatureAge", single(&age.to_string()));
    }
    if let Some(sha) = &auth.content_sha256 {
        req.insert("s3:x-amz-content-sha256", single(sha));
    }
    // Temporary credentials carry when they were issued and whether MFA was used (never, here);
    // long-term keys carry neither
    // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime>).
    if let Some(issued) = auth.caller.token_issued {
        if let Ok(text) = issued.format(&time::format_description::well_known::Rfc3339) {
            req.insert("aws:TokenIssueTime", single(&text));
        }
        req.insert("aws:MultiFactorAuthPresent", single("false"));
    }
    for (k, v) in &facts.keys {
        req.insert(k, single(v));
    }
    for (k, v) in &facts.dynamic {
        req.insert(k, v.clone());
    }
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
    Verdict {
        decision: explanation.decision,
        explanation,
    }
}
