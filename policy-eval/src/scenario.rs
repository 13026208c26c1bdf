//! The JSON scenario `s3keeper policy eval` reads: one request and the policies that apply.
//! This shape is an external contract (issue 2); fields may be added, never renamed.
//!
//! ```json
//! {"request": {"principal": {"arn": "…", "userid": "…"}, "action": "s3:GetObject",
//!              "bucket": {"name": "…", "account": "…"}, "key": "…",
//!              "access_point": {"name": "…", "account": "…", "region": "…"},
//!              "context": {"s3:prefix": "…"}},
//!  "policies": {"identity": [ … ], "bucket": null, "access_point": null, "session": [ … ],
//!               "boundary": null}}
//! ```
//! `boundary` (optional) is the principal's permissions boundary, an identity policy.
//! Unknown fields inside `request` and `policies` are errors (a typo must not silently change the
//! answer); unknown top-level fields are reported as warnings, so annotated scenarios still run.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::arn::is_account_id;
use crate::compile::PolicySet;
use crate::compile::{Policy, PolicyKind};
use crate::context::{AccessPointRef, BucketRef, ContextValue, Request};
use crate::decision::Explanation;
use crate::error::PolicyError;
use crate::principal::{BadPrincipal, Principal};

/// Why a scenario could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("the scenario is not valid: {0}")]
    Json(String),
    #[error("the scenario's `request.principal` is not valid: {0}")]
    Principal(String),
    #[error(transparent)]
    BadPrincipal(#[from] BadPrincipal),
    #[error("the scenario's `{field}` is not valid: {detail}")]
    Field { field: &'static str, detail: String },
    #[error("the {which} policy is malformed: {source}")]
    Policy {
        which: String,
        #[source]
        source: PolicyError,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipal {
    arn: Option<String>,
    userid: Option<String>,
    anonymous: Option<bool>,
    role_arn: Option<String>,
    canonical_id: Option<String>,
    service: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBucket {
    name: String,
    account: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccessPoint {
    name: String,
    account: String,
    region: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    principal: RawPrincipal,
    action: String,
    bucket: RawBucket,
    key: Option<String>,
    access_point: Option<RawAccessPoint>,
    #[serde(default)]
    context: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicies {
    identity: Option<Vec<Value>>,
    session: Option<Vec<Value>>,
    bucket: Option<Value>,
    access_point: Option<Value>,
    boundary: Option<Value>,
}

/// A parsed, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub request: Request,
    pub identity: Vec<Policy>,
    pub session: Vec<Policy>,
    pub bucket: Option<Policy>,
    pub access_point: Option<Policy>,
    /// The principal's permissions boundary.
    pub boundary: Option<Policy>,
    /// Things worth telling the user that do not stop evaluation.
    pub warnings: Vec<String>,
}

/// The region used when a scenario's access point names none.
pub const DEFAULT_REGION: &str = "us-east-1";

impl Scenario {
    /// Reads scenario text.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ScenarioError::Json(e.to_string()))?;
        Scenario::from_value(value)
    }

    /// Reads a scenario already parsed as JSON.
    pub fn from_value(value: Value) -> Result<Scenario, ScenarioError> {
        let Value::Object(mut top) = value else {
            return Err(ScenarioError::Json(
                "a scenario must be a JSON object".into(),
            ));
        };
        let mut warnings: Vec<String> = top
            .keys()
            .filter(|k| !matches!(k.as_str(), "request" | "policies"))
            .map(|k| format!("ignored unknown top-level field `{k}`"))
            .collect();
        let raw_request = top
            .remove("request")
            .ok_or_else(|| ScenarioError::Json("missing field `request`".into()))?;
        let raw_request: RawRequest = serde_json::from_value(raw_request)
            .map_err(|e| ScenarioError::Json(format!("in `request`: {e}")))?;
        let raw_policies: RawPolicies = match top.remove("policies") {
            None | Some(Value::Null) => RawPolicies::default(),
            Some(v) => serde_json::from_value(v)
                .map_err(|e| ScenarioError::Json(format!("in `policies`: {e}")))?,
        };

        let request = build_request(raw_request)?;
        let identity = compile_list(raw_policies.identity, PolicyKind::Identity, "identity")?;
        let session = compile_list(raw_policies.session, PolicyKind::Session, "session")?;
        let bucket = compile_one(raw_policies.bucket, PolicyKind::Bucket, "bucket")?;
        let boundary = compile_one(raw_policies.boundary, PolicyKind::Identity, "boundary")?;
        let access_point = compile_one(
            raw_policies.access_point,
            PolicyKind::AccessPoint,
            "access point",
        )?;

        if let Some(p) = &bucket {
            if let Err(e) = p.check_resources_for_bucket(&request.bucket.name) {
                warnings.push(format!(
                    "S3 would refuse this bucket policy on `{}`: {e}",
                    request.bucket.name
                ));
            }
        }
        if let (Some(p), Some(arn)) = (&access_point, request.access_point_arn()) {
            if let Err(e) = p.check_resources_for_access_point(arn) {
                warnings.push(format!(
                    "S3 would refuse this access point policy on `{arn}`: {e}"
                ));
            }
        }
        if access_point.is_some() && request.access_point.is_none() {
            warnings.push(
                "the scenario has an access point policy but the request does not go through an access point; it is ignored"
                    .to_owned(),
            );
        }
        Ok(Scenario {
            request,
            identity,
            session,
            bucket,
            access_point,
            boundary,
            warnings,
        })
    }

    /// The policies as a [`PolicySet`].
    pub fn policies(&self) -> PolicySet<'_> {
        PolicySet {
            boundary: self.boundary.as_ref(),
            identity: &self.identity,
            session: &self.session,
            bucket: self.bucket.as_ref(),
            access_point: self.access_point.as_ref(),
        }
    }

    /// Decides the request and explains the decision.
    pub fn explain(&self) -> Explanation {
        crate::explain(&self.request, &self.policies())
    }
}

fn field(field: &'static str, detail: impl Into<String>) -> ScenarioError {
    ScenarioError::Field {
        field,
        detail: detail.into(),
    }
}

fn build_request(raw: RawRequest) -> Result<Request, ScenarioError> {
    let p = raw.principal;
    let principal = match (p.anonymous, p.arn, p.service) {
        (Some(true), None, None) => {
            if p.userid.is_some() || p.role_arn.is_some() {
                return Err(ScenarioError::Principal(
                    "an anonymous principal has no `userid` or `role_arn`".into(),
                ));
            }
            Principal::anonymous()
        }
        (None | Some(false), Some(arn), None) => {
            let mut principal = Principal::from_arn(&arn, p.userid.as_deref(), p.role_arn.as_deref())?;
            principal.canonical_id = p.canonical_id;
            principal
        }
        (None | Some(false), None, Some(service)) => Principal::service(&service),
        _ => {
            return Err(ScenarioError::Principal(
                "give exactly one of `arn` (with optional `userid`), `\"anonymous\": true` or `service`".into(),
            ))
        }
    };
    let action = raw.action.trim();
    match action.split_once(':') {
        Some((service, name))
            if !service.is_empty() && !name.is_empty() && !action.contains(['*', '?']) => {}
        _ => {
            return Err(field(
                "request.action",
                format!("`{action}` is not an action such as `s3:GetObject`"),
            ))
        }
    }
    if raw.bucket.name.is_empty() {
        return Err(field("request.bucket.name", "the bucket name is empty"));
    }
    if raw.bucket.account.is_empty() {
        return Err(field(
            "request.bucket.account",
            "the owning account is empty",
        ));
    }
    let access_point = match raw.access_point {
        None => None,
        Some(ap) => {
            if ap.name.is_empty() {
                return Err(field(
                    "request.access_point.name",
                    "the access point name is empty",
                ));
            }
            if !is_account_id(&ap.account) {
                return Err(field(
                    "request.access_point.account",
                    format!("`{}` is not a 12-digit account id", ap.account),
                ));
            }
            Some(AccessPointRef {
                name: ap.name,
                account: ap.account,
                region: ap.region.unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            })
        }
    };
    let mut request = Request::new(
        principal,
        action,
        BucketRef {
            name: raw.bucket.name,
            account: raw.bucket.account,
        },
        raw.key,
        access_point,
    );
    for (k, v) in raw.context {
        let value = match v {
            Value::Array(items) => ContextValue::Multi(
                items
                    .into_iter()
                    .map(|i| scalar(&k, i))
                    .collect::<Result<_, _>>()?,
            ),
            other => ContextValue::Single(scalar(&k, other)?),
        };
        request.insert(&k, value);
    }
    Ok(request)
}

fn scalar(key: &str, v: Value) -> Result<String, ScenarioError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(field(
            "request.context",
            format!("`{key}` must be a string or a list of strings, not `{other}`"),
        )),
    }
}

fn compile_value(v: &Value, kind: PolicyKind, which: String) -> Result<Policy, ScenarioError> {
    let result = match v {
        // A policy may also be given as its JSON text, as AWS APIs carry it.
        Value::String(text) => Policy::parse(text, kind),
        other => Policy::from_value(other, kind),
    };
    result.map_err(|source| ScenarioError::Policy { which, source })
}

fn compile_list(
    list: Option<Vec<Value>>,
    kind: PolicyKind,
    name: &str,
) -> Result<Vec<Policy>, ScenarioError> {
    list.unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, v)| compile_value(v, kind, format!("{name}[{i}]")))
        .collect()
}

fn compile_one(
    v: Option<Value>,
    kind: PolicyKind,
    name: &str,
) -> Result<Option<Policy>, ScenarioError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => compile_value(&v, kind, name.to_owned()).map(Some),
    }
}
