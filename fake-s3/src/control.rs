//! S3 Control: access points and their policies
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_AWS_S3_Control.html>).
//! Requests arrive as `/v20180820/accesspoint[/NAME[/policy|/policyStatus]]` with the account in
//! `x-amz-account-id` (or the host's `ACCOUNT.` label).

use bytes::Bytes;
use http::StatusCode;
use policy_eval::{AccessPointRef, BucketRef, PolicyKind, PolicySet, Request};
use sha2::{Digest, Sha256};

use crate::auth::Authenticated;
use crate::error::AwsError;
use crate::response::Resp;
use crate::router::ControlOp;
use crate::s3;
use crate::state::State;
use crate::storage::{self, AccessPoint, PublicAccessBlock};
use crate::xml::{self, escape};

const NS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";

/// The alias S3 gives an access point: `NAME-HASH-s3alias`, unique per access point.
pub fn alias_for(arn: &str, name: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let digest = Sha256::digest(arn.as_bytes());
    let hash: String = digest
        .iter()
        .take(34)
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    let short: String = name.chars().take(10).collect();
    format!("{}-{hash}-s3alias", short.trim_end_matches('-'))
}

/// Everything a control handler needs.
#[derive(Debug)]
pub struct ControlCtx<'a> {
    pub state: &'a State,
    pub auth: &'a Authenticated,
    pub op: ControlOp,
    pub account: String,
    pub name: Option<String>,
    pub query: &'a crate::query::Query,
    /// The authorization outcome, for the journal.
    pub decision: Option<(policy_eval::Decision, String)>,
    /// What the request was authorized for; a refusal soft enforcement waived.
    pub ledger: crate::enforcement::Ledger,
    /// Request facts (source address) for condition keys.
    pub facts: crate::authz::RequestFacts,
    pub body: Bytes,
}

/// An S3 Control request ready to be decided: the access point it is about (by name and bucket,
/// and the stored one when it exists) or, for ListAccessPoints, the account's.
#[derive(Debug)]
pub struct Prepared {
    ap_name: String,
    bucket: String,
    /// The stored access point (every operation but Create and List).
    ap: Option<AccessPoint>,
    /// CreateAccessPoint's public access block settings.
    public_access_block: Option<PublicAccessBlock>,
}

impl crate::operation::Handler for ControlCtx<'_> {
    type Prepared = Prepared;

    fn prepare(&mut self) -> Result<Prepared, AwsError> {
        match self.op {
            ControlOp::CreateAccessPoint => prepare_create(self),
            ControlOp::ListAccessPoints => Ok(Prepared {
                ap_name: String::new(),
                bucket: String::new(),
                ap: None,
                public_access_block: None,
            }),
            _ => {
                let ap = self.ap()?;
                Ok(Prepared {
                    ap_name: ap.name.clone(),
                    bucket: ap.bucket.clone(),
                    ap: Some(ap),
                    public_access_block: None,
                })
            }
        }
    }

    fn names_version(_: &Prepared) -> bool {
        false
    }

    fn decide(&mut self, action: &'static str, p: &Prepared) -> Result<(), AwsError> {
        self.authorize(action, &p.ap_name, &p.bucket)
    }

    fn handle(&mut self, p: Prepared) -> Result<Resp, AwsError> {
        handle(self, p)
    }
}

impl ControlCtx<'_> {
    /// The store key of the bucket `written` names for the account, which in the Ceph dialect may
    /// be a tenant with buckets of its own ([`crate::tenant`]).
    fn bucket_key(&self, written: &str) -> Result<String, AwsError> {
        let iam = self.state.iam();
        crate::tenant::resolve(iam.ceph_dialect, written, iam.tenant_of(&self.account))
    }

    fn authorize(&mut self, action: &str, ap_name: &str, bucket: &str) -> Result<(), AwsError> {
        let caller = &self.auth.caller;
        let mut req = match self.op {
            ControlOp::ListAccessPoints => {
                Request::for_resource(caller.principal.clone(), action, "*", &self.account)
            }
            _ => Request::new(
                caller.principal.clone(),
                action,
                BucketRef {
                    name: bucket.to_owned(),
                    account: self.account.clone(),
                },
                None,
                Some(AccessPointRef {
                    name: ap_name.to_owned(),
                    account: self.account.clone(),
                    region: self.state.region.clone(),
                }),
            ),
        };
        crate::authz::add_request_keys(&mut req, self.auth, &self.facts, self.state.now());
        let policies = PolicySet {
            boundary: caller.boundary.as_deref(),
            identity: &caller.identity,
            session: &caller.session,
            bucket: None,
            access_point: None,
        };
        let explanation = policy_eval::explain(&req, &policies);
        // Control-plane operations on an account's access points are for that account only.
        let own_account = caller.account() == self.account;
        let allowed = own_account && explanation.decision == policy_eval::Decision::Allow;
        let decision = if own_account {
            explanation.decision
        } else {
            policy_eval::Decision::ImplicitDeny
        };
        let summary = if own_account {
            explanation.summary
        } else {
            format!(
                "access points of account {} can only be managed by that account",
                self.account
            )
        };
        let resource = req
            .access_point_arn()
            .unwrap_or(req.bucket_resource())
            .to_owned();
        self.ledger.note(action, &resource, None);
        let refusal = (!allowed).then(|| AwsError::access_denied("Access Denied"));
        let waived = self
            .ledger
            .enforce(self.state.enforcement, (decision, &summary), refusal);
        self.decision = Some((decision, summary));
        waived
    }

    fn ap(&self) -> Result<AccessPoint, AwsError> {
        // Another account must not learn which access points exist.
        if self.auth.caller.account() != self.account {
            return Err(AwsError::access_denied("Access Denied"));
        }
        let name = self.name.clone().unwrap_or_default();
        self.state
            .storage()
            .access_points
            .get(&(self.account.clone(), name.clone()))
            .cloned()
            .ok_or_else(|| {
                AwsError::no_such_access_point("The specified accesspoint does not exist")
                    .with_resource(name)
            })
    }
}

fn pab_xml(p: &PublicAccessBlock) -> String {
    format!(
        "<PublicAccessBlockConfiguration><BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls><BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
        p.block_public_acls, p.ignore_public_acls, p.block_public_policy, p.restrict_public_buckets
    )
}

/// Runs one S3 Control operation, prepared and authorized by the pipeline.
fn handle(ctx: &mut ControlCtx<'_>, p: Prepared) -> Result<Resp, AwsError> {
    let body = ctx.body.clone();
    let Some(ap) = p.ap else {
        return match ctx.op {
            ControlOp::CreateAccessPoint => create(ctx, p.ap_name, p.bucket, p.public_access_block),
            _ => list(ctx),
        };
    };
    match ctx.op {
        ControlOp::CreateAccessPoint | ControlOp::ListAccessPoints => Err(
            AwsError::internal_error("operation routed to the wrong handler"),
        ),
        ControlOp::GetAccessPoint => {
            Ok(Resp::xml(format!(
                "<GetAccessPointResult xmlns=\"{NS}\"><Name>{}</Name><Bucket>{}</Bucket><NetworkOrigin>Internet</NetworkOrigin>{}<CreationDate>{}</CreationDate><Alias>{}</Alias><AccessPointArn>{}</AccessPointArn><BucketAccountId>{}</BucketAccountId></GetAccessPointResult>",
                escape(&ap.name),
                escape(crate::tenant::split(&ap.bucket).1),
                pab_xml(&ap.public_access_block),
                ap.created.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                escape(&ap.alias),
                escape(&ap.arn()),
                ap.account
            )))
        }
        ControlOp::DeleteAccessPoint => {
            ctx.state
                .storage_mut()
                .access_points
                .remove(&(ap.account.clone(), ap.name.clone()));
            Ok(Resp::ok().status(StatusCode::NO_CONTENT))
        }
        ControlOp::PutAccessPointPolicy => {
            let el = xml::parse(&body)?;
            let text = el
                .child_text("Policy")
                .ok_or_else(|| {
                    AwsError::malformed_xml("PutAccessPointPolicyRequest needs a Policy element")
                })?
                .to_owned();
            let arn = ap.arn();
            let stored =
                s3::validate_resource_policy(ctx.state, &text, PolicyKind::AccessPoint, |p| {
                    p.check_resources_for_access_point(&arn)
                })?;
            if ap.public_access_block.block_public_policy
                && policy_eval::lint::is_public(&stored.compiled)
            {
                return Err(AwsError::access_denied(
                    "Access Denied: the access point's BlockPublicPolicy setting refuses public policies",
                ));
            }
            if let Some(a) = ctx
                .state
                .storage_mut()
                .access_points
                .get_mut(&(ap.account.clone(), ap.name.clone()))
            {
                a.policy = Some(stored);
            }
            Ok(Resp::ok())
        }
        ControlOp::GetAccessPointPolicy => {
            let policy = ap.policy.as_ref().ok_or_else(|| {
                AwsError::no_such_access_point_policy(
                    "The specified accesspoint policy does not exist",
                )
            })?;
            let text = s3::show_policy(ctx.state, &policy.text);
            Ok(Resp::xml(format!("<GetAccessPointPolicyResult xmlns=\"{NS}\"><Policy>{}</Policy></GetAccessPointPolicyResult>", escape(&text))))
        }
        ControlOp::DeleteAccessPointPolicy => {
            if let Some(a) = ctx
                .state
                .storage_mut()
                .access_points
                .get_mut(&(ap.account.clone(), ap.name.clone()))
            {
                a.policy = None;
            }
            Ok(Resp::ok().status(StatusCode::NO_CONTENT))
        }
        ControlOp::GetAccessPointPolicyStatus => {
            let public = ap
                .policy
                .as_ref()
                .is_some_and(|p| policy_eval::lint::is_public(&p.compiled));
            Ok(Resp::xml(format!(
                "<GetAccessPointPolicyStatusResult xmlns=\"{NS}\"><PolicyStatus><IsPublic>{public}</IsPublic></PolicyStatus></GetAccessPointPolicyStatusResult>"
            )))
        }
    }
}

/// CreateAccessPoint's checks before it is decided: a valid name, a `Bucket`, the public access
/// block settings (all on unless the request turns them off).
fn prepare_create(ctx: &mut ControlCtx<'_>) -> Result<Prepared, AwsError> {
    let body = ctx.body.clone();
    let name = ctx.name.clone().unwrap_or_default();
    if !storage::valid_access_point_name(&name) {
        return Err(AwsError::invalid_request(format!(
            "The access point name `{name}` is not valid: 3-50 lowercase letters, digits and hyphens, not starting or ending with a hyphen, not ending with -s3alias"
        )));
    }
    let el = xml::parse(&body)?;
    let bucket = el.child_text("Bucket").ok_or_else(|| {
        AwsError::malformed_xml("CreateAccessPointRequest needs a Bucket element")
    })?;
    let bucket = ctx.bucket_key(bucket)?;
    let pab = match el.child("PublicAccessBlockConfiguration") {
        None => PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        },
        Some(p) => {
            let flag = |n: &str| {
                p.child_text(n)
                    .is_none_or(|v| v.trim().eq_ignore_ascii_case("true"))
            };
            PublicAccessBlock {
                block_public_acls: flag("BlockPublicAcls"),
                ignore_public_acls: flag("IgnorePublicAcls"),
                block_public_policy: flag("BlockPublicPolicy"),
                restrict_public_buckets: flag("RestrictPublicBuckets"),
            }
        }
    };
    Ok(Prepared {
        ap_name: name,
        bucket,
        ap: None,
        public_access_block: Some(pab),
    })
}

/// ListAccessPoints: the account's access points (of one bucket with `bucket`), by name, in
/// pages of `maxResults` (at most 1,000) continued by `nextToken`.
fn list(ctx: &mut ControlCtx<'_>) -> Result<Resp, AwsError> {
    let bucket = ctx
        .query
        .get("bucket")
        .map(|v| ctx.bucket_key(v))
        .transpose()?;
    let max: usize = ctx
        .query
        .get("maxResults")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1000)
        .min(1000);
    let after = ctx.query.get("nextToken").unwrap_or_default().to_owned();
    let st = ctx.state.storage();
    let matching: Vec<&AccessPoint> = st
        .access_points
        .values()
        .filter(|ap| {
            ap.account == ctx.account
                && bucket.as_ref().is_none_or(|b| *b == ap.bucket)
                && ap.name > after
        })
        .collect();
    let page = &matching[..matching.len().min(max)];
    let mut items = String::new();
    for ap in page {
        items.push_str(&format!(
            "<AccessPoint><Name>{}</Name><NetworkOrigin>Internet</NetworkOrigin><Bucket>{}</Bucket><AccessPointArn>{}</AccessPointArn><Alias>{}</Alias><BucketAccountId>{}</BucketAccountId></AccessPoint>",
            escape(&ap.name),
            escape(crate::tenant::split(&ap.bucket).1),
            escape(&ap.arn()),
            escape(&ap.alias),
            ap.account
        ));
    }
    // The token is the last name returned; the next page starts after it.
    let token = match page.last() {
        Some(last) if matching.len() > page.len() => {
            format!("<NextToken>{}</NextToken>", escape(&last.name))
        }
        _ => String::new(),
    };
    Ok(Resp::xml(format!(
        "<ListAccessPointsResult xmlns=\"{NS}\"><AccessPointList>{items}</AccessPointList>{token}</ListAccessPointsResult>"
    )))
}

fn create(
    ctx: &mut ControlCtx<'_>,
    name: String,
    bucket: String,
    pab: Option<PublicAccessBlock>,
) -> Result<Resp, AwsError> {
    let pab = pab.unwrap_or(PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    });
    let now = ctx.state.now();
    let region = ctx.state.region.clone();
    let limit = ctx.state.limits.access_points_per_region;
    let mut st = ctx.state.storage_mut();
    if !st.buckets.contains_key(&bucket) {
        return Err(
            AwsError::no_such_bucket("The specified bucket does not exist").with_resource(bucket),
        );
    }
    let key = (ctx.account.clone(), name.clone());
    if st.access_points.contains_key(&key) {
        return Err(AwsError::access_point_already_owned_by_you("Your previous request to create the named accesspoint succeeded and you already own it."));
    }
    let count = st
        .access_points
        .values()
        .filter(|ap| ap.account == ctx.account && ap.region == region)
        .count();
    if count >= limit {
        return Err(AwsError::too_many_access_points(format!(
            "You have reached the limit of {limit} access points per account per region"
        )));
    }
    let mut ap = AccessPoint {
        name: name.clone(),
        account: ctx.account.clone(),
        region,
        bucket,
        alias: String::new(),
        created: now,
        policy: None,
        public_access_block: pab,
    };
    let arn = ap.arn();
    ap.alias = alias_for(&arn, &name);
    let alias = ap.alias.clone();
    st.access_points.insert(key, ap);
    Ok(Resp::xml(format!(
        "<CreateAccessPointResult xmlns=\"{NS}\"><AccessPointArn>{}</AccessPointArn><Alias>{}</Alias></CreateAccessPointResult>",
        escape(&arn),
        escape(&alias)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_stable_and_well_formed() {
        let a = alias_for(
            "arn:aws:s3:us-east-1:111122223333:accesspoint/mimic-v1-0-01",
            "mimic-v1-0-01",
        );
        assert_eq!(
            a,
            alias_for(
                "arn:aws:s3:us-east-1:111122223333:accesspoint/mimic-v1-0-01",
                "mimic-v1-0-01"
            )
        );
        assert!(a.ends_with("-s3alias") && a.len() <= 63, "{a}");
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    }
}
