//! JSON policy text → validated, compiled [`Policy`]
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html>).
//!
//! Every element may be one string or a list of strings. Element names are case-sensitive, as in
//! AWS. What a policy of each kind must and must not contain:
//! - identity and session policies: no `Principal`/`NotPrincipal`; `Resource` or `NotResource`.
//! - bucket and access-point policies: `Principal` or `NotPrincipal`; `Resource` or `NotResource`;
//!   only S3 actions S3 knows; at least one action that applies to one of the statement's resources;
//!   at most 20 KB, whitespace excluded
//!   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html>).
//! - trust policies (roles): `Principal`, and no `Resource`.

use std::collections::HashSet;

use serde_json::Value;

use crate::json::{Json, Obj};

use std::collections::HashMap;

use crate::actions::{pattern_resource_types, s3_action, ResourceType};
use crate::arn::Arn;
use crate::condition::Condition;
use crate::dialect::Dialect;
use crate::error::{ErrorKind, PolicyError};
use crate::pattern::{Glob, Pattern, Syntax};
use crate::principal::PrincipalSet;

/// S3's limit on bucket and access-point policy size, whitespace excluded.
pub const MAX_RESOURCE_POLICY_BYTES: usize = 20 * 1024;

/// Where a policy is attached; it decides which elements are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to an IAM user, group or role.
    Identity,
    /// Passed to `AssumeRole`/`GetFederationToken`; narrows the identity's permissions.
    Session,
    /// A bucket policy.
    Bucket,
    /// An access-point policy.
    AccessPoint,
    /// A role's trust policy (who may assume it).
    Trust,
}

impl PolicyKind {
    /// Whether statements must name a principal.
    pub fn is_resource_policy(self) -> bool {
        matches!(
            self,
            PolicyKind::Bucket | PolicyKind::AccessPoint | PolicyKind::Trust
        )
    }
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17`, or no `Version`: `${…}` is literal text.
    V2008_10_17,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, possibly negated (`NotAction`, `NotResource`).
#[derive(Debug, Clone)]
pub struct PatternSet {
    pub negated: bool,
    pub patterns: Vec<Pattern>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone)]
pub struct PrincipalElement {
    pub negated: bool,
    pub set: PrincipalSet,
}

/// One compiled statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<PrincipalElement>,
    pub actions: PatternSet,
    /// `None` only in trust policies.
    pub resources: Option<PatternSet>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// `Sid` if present, else the index: how explanations and errors name the statement.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) => s.clone(),
            None => self.index.to_string(),
        }
    }
}

/// A validated, compiled policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    pub kind: PolicyKind,
    /// `None` when the document has no `Version`.
    pub version_text: Option<String>,
    pub version: Version,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
    /// Size in bytes with whitespace excluded, as S3 counts it.
    pub size: usize,
}

/// The policies that apply to one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// Identity policies of the principal (users: attached and inline; sessions: the role's).
    pub identity: &'a [Policy],
    /// Session policies passed when the session was created.
    pub session: &'a [Policy],
    /// The permissions boundary of the user or role, which caps identity policies
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>).
    pub boundary: Option<&'a Policy>,
    pub bucket: Option<&'a Policy>,
    pub access_point: Option<&'a Policy>,
}

impl Policy {
    /// Parses and validates policy text as AWS does.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        Policy::parse_in(text, kind, Dialect::Aws)
    }

    /// Parses and validates policy text as `dialect` does: [`Dialect::CephRgw`] checks less and
    /// reads principals as RGW identities (see [`crate::dialect`]).
    pub fn parse_in(text: &str, kind: PolicyKind, dialect: Dialect) -> Result<Policy, PolicyError> {
        let doc = Json::parse(text)
            .map_err(|e| PolicyError::new(ErrorKind::NotJson, format!("not valid JSON: {e}")))?;
        Policy::compile(&doc, non_whitespace_len(text), kind, dialect)
    }

    /// Validates a parsed JSON document.
    pub fn from_value(value: &Value, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let size = serde_json::to_string(value).map_or(0, |s| non_whitespace_len(&s));
        Policy::compile(&Json::from_value(value), size, kind, Dialect::Aws)
    }

    fn compile(
        value: &Json<'_>,
        size: usize,
        kind: PolicyKind,
        dialect: Dialect,
    ) -> Result<Policy, PolicyError> {
        // RGW 16.2 sets no size limit on bucket policies.
        if matches!(kind, PolicyKind::Bucket | PolicyKind::AccessPoint)
            && dialect == Dialect::Aws
            && size > MAX_RESOURCE_POLICY_BYTES
        {
            return Err(PolicyError::new(
                ErrorKind::TooLarge,
                format!("the policy is {size} bytes without whitespace; the limit is {MAX_RESOURCE_POLICY_BYTES}"),
            ));
        }
        let Json::Object(doc) = value else {
            return Err(PolicyError::new(
                ErrorKind::NotJson,
                "a policy must be a JSON object",
            ));
        };
        for key in doc.keys() {
            if !matches!(key, "Version" | "Id" | "Statement") {
                return Err(PolicyError::new(
                    ErrorKind::UnknownElement,
                    format!(
                        "unknown top-level element `{key}` (expected `Version`, `Id`, `Statement`)"
                    ),
                ));
            }
        }
        let (version_text, version) = match doc.get("Version") {
            None => (None, Version::V2008_10_17),
            Some(Json::String(v)) if v == "2012-10-17" => {
                (Some(v.to_string()), Version::V2012_10_17)
            }
            Some(Json::String(v)) if v == "2008-10-17" => {
                (Some(v.to_string()), Version::V2008_10_17)
            }
            Some(other) => {
                return Err(PolicyError::new(
                    ErrorKind::InvalidVersion,
                    format!("`{}` is not `2012-10-17` or `2008-10-17`", display(other)),
                )
                .at_field("Version"))
            }
        };
        let id = match doc.get("Id") {
            None => None,
            Some(Json::String(s)) => Some(s.to_string()),
            Some(other) => {
                return Err(PolicyError::new(
                    ErrorKind::InvalidType,
                    format!("`Id` must be a string, not `{other}`"),
                )
                .at_field("Id"))
            }
        };
        let raw_statements: Vec<&Json<'_>> = match doc.get("Statement") {
            // RGW 16.2 stores a policy without statements, which allows nothing.
            None if dialect == Dialect::CephRgw => Vec::new(),
            None => {
                return Err(
                    PolicyError::new(ErrorKind::MissingElement, "`Statement` is absent")
                        .at_field("Statement"),
                )
            }
            Some(Json::Array(items)) => items.iter().collect(),
            Some(obj @ Json::Object(_)) => vec![obj],
            Some(other) => {
                return Err(PolicyError::new(
                    ErrorKind::InvalidType,
                    format!("`Statement` must be an object or a list of objects, not `{other}`"),
                )
                .at_field("Statement"))
            }
        };
        let mut statements = Vec::with_capacity(raw_statements.len());
        let mut sids: HashSet<&str> = HashSet::new();
        let mut actions = ActionCache::new();
        for (index, raw) in raw_statements.into_iter().enumerate() {
            let stmt = compile_statement(index, raw, kind, version, dialect, &mut actions)?;
            if let Some(sid) = raw.get("Sid").and_then(Json::as_str) {
                if !sids.insert(sid) {
                    return Err(PolicyError::new(
                        ErrorKind::UnknownElement,
                        format!("`Sid` `{sid}` is used by more than one statement; statement ids must be unique"),
                    )
                    .at_field("Sid")
                    .in_statement(index, Some(sid)));
                }
            }
            statements.push(stmt);
        }
        Ok(Policy {
            kind,
            version_text,
            version,
            id,
            statements,
            size,
        })
    }

    /// Checks that every resource names `bucket` (or its objects), as S3 does when the policy is
    /// put on that bucket ("Policy has invalid resource").
    pub fn check_resources_for_bucket(&self, bucket: &str) -> Result<(), PolicyError> {
        self.check_resources(|text| {
            if text == "*" {
                return true;
            }
            let Some(arn) = Arn::parse(text) else {
                return false;
            };
            let name = arn.resource.split('/').next().unwrap_or(arn.resource);
            Glob::new(arn.partition).matches("aws")
                && Glob::new(arn.service).matches("s3")
                && arn.region.is_empty()
                && arn.account.is_empty()
                && Glob::new(name).matches(bucket)
        })
    }

    /// Checks that every resource names the access point `ap_arn` (or objects through it).
    pub fn check_resources_for_access_point(&self, ap_arn: &str) -> Result<(), PolicyError> {
        let objects = format!("{ap_arn}/object/");
        self.check_resources(|text| {
            let g = Glob::new(text);
            text == "*" || text.starts_with(&objects) || g.matches(ap_arn) || g.matches(&objects)
        })
    }

    fn check_resources(&self, ok: impl Fn(&str) -> bool) -> Result<(), PolicyError> {
        for stmt in &self.statements {
            let Some(resources) = &stmt.resources else {
                continue;
            };
            for p in &resources.patterns {
                if !ok(p.source()) {
                    return Err(PolicyError::new(
                        ErrorKind::InvalidResource,
                        format!(
                            "`{}` is outside the resource this policy is attached to",
                            p.source()
                        ),
                    )
                    .at_field(if resources.negated {
                        "NotResource"
                    } else {
                        "Resource"
                    })
                    .in_statement(stmt.index, stmt.sid.as_deref()));
                }
            }
        }
        Ok(())
    }

    /// Whether variables are substituted in this policy.
    pub fn variables_enabled(&self) -> bool {
        self.version == Version::V2012_10_17
    }
}

/// Bytes of `text` that are not whitespace: how S3 measures a policy against its size limit.
fn non_whitespace_len(text: &str) -> usize {
    if text.is_ascii() {
        return text.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    }
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(char::len_utf8)
        .sum()
}

fn display(v: &Json<'_>) -> String {
    match v {
        Json::String(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Resource types of action patterns already seen in this document (big policies repeat them).
type ActionCache = HashMap<String, Option<[bool; 4]>>;

fn cached_types(cache: &mut ActionCache, action: &str) -> Option<[bool; 4]> {
    if let Some(t) = cache.get(action) {
        return *t;
    }
    let t = pattern_resource_types(action);
    cache.insert(action.to_owned(), t);
    t
}

fn compile_statement(
    index: usize,
    raw: &Json<'_>,
    kind: PolicyKind,
    version: Version,
    dialect: Dialect,
    actions: &mut ActionCache,
) -> Result<Statement, PolicyError> {
    let Json::Object(map) = raw else {
        return Err(PolicyError::new(
            ErrorKind::InvalidType,
            format!("a statement must be an object, not `{raw}`"),
        )
        .in_statement(index, None));
    };
    let sid = match map.get("Sid") {
        None => None,
        Some(Json::String(s)) => Some(s.to_string()),
        Some(other) => {
            return Err(PolicyError::new(
                ErrorKind::InvalidType,
                format!("`Sid` must be a string, not `{other}`"),
            )
            .at_field("Sid")
            .in_statement(index, None))
        }
    };
    compile_statement_body(index, map, kind, version, dialect, actions)
        .map_err(|e| e.in_statement(index, sid.as_deref()))
        .map(|mut s| {
            s.sid = sid;
            s
        })
}

fn compile_statement_body(
    index: usize,
    map: &Obj<'_>,
    kind: PolicyKind,
    version: Version,
    dialect: Dialect,
    cache: &mut ActionCache,
) -> Result<Statement, PolicyError> {
    for key in map.keys() {
        if !matches!(
            key,
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(PolicyError::new(
                ErrorKind::UnknownElement,
                format!("unknown element `{key}`"),
            )
            .at_field(key));
        }
    }
    let effect = match map.get("Effect") {
        Some(Json::String(s)) if s == "Allow" => Effect::Allow,
        Some(Json::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(PolicyError::new(
                ErrorKind::InvalidEffect,
                format!("`{}` is not `Allow` or `Deny`", display(other)),
            )
            .at_field("Effect"))
        }
        None => return Err(missing("Effect")),
    };
    let principal = match one_of(map, "Principal", "NotPrincipal")? {
        None if kind.is_resource_policy() => return Err(missing("Principal")),
        None => None,
        Some((field, _)) if !kind.is_resource_policy() => {
            return Err(PolicyError::new(
                ErrorKind::UnknownElement,
                format!("`{field}` is not allowed in an identity or session policy; the principal is whoever the policy is attached to"),
            )
            .at_field(field))
        }
        Some((field, v)) => Some(PrincipalElement {
            negated: field == "NotPrincipal",
            set: PrincipalSet::parse_json_in(v, dialect).map_err(|e| e.at_field(field))?,
        }),
    };
    let (action_field, action_value) =
        one_of(map, "Action", "NotAction")?.ok_or_else(|| missing("Action"))?;
    let action_texts = strings(action_value, action_field)?;
    let actions = PatternSet {
        negated: action_field == "NotAction",
        patterns: action_texts
            .iter()
            .map(|a| compile_action(a, kind, cache).map_err(|e| e.at_field(action_field)))
            .collect::<Result<_, _>>()?,
    };
    let variables = version == Version::V2012_10_17;
    let resources = match (one_of(map, "Resource", "NotResource")?, kind) {
        (None, PolicyKind::Trust) => None,
        (Some((field, _)), PolicyKind::Trust) => {
            return Err(PolicyError::new(
                ErrorKind::UnknownElement,
                format!("`{field}` is not allowed in a trust policy"),
            )
            .at_field(field))
        }
        // RGW 16.2 keeps a statement without `Resource`; it applies to nothing.
        (None, _) if dialect == Dialect::CephRgw => Some(PatternSet {
            negated: false,
            patterns: Vec::new(),
        }),
        (None, _) => return Err(missing("Resource")),
        (Some((field, v)), _) => {
            let texts = strings(v, field)?;
            let mut patterns = Vec::with_capacity(texts.len());
            for t in texts {
                check_resource(t, kind).map_err(|e| e.at_field(field))?;
                patterns.push(Pattern::new(
                    t,
                    Syntax {
                        wildcards: true,
                        variables,
                        ignore_case: false,
                    },
                ));
            }
            Some(PatternSet {
                negated: field == "NotResource",
                patterns,
            })
        }
    };
    // RGW 16.2 does not check that a statement's actions can act on its resources.
    if matches!(kind, PolicyKind::Bucket | PolicyKind::AccessPoint)
        && !actions.negated
        && dialect == Dialect::Aws
    {
        if let Some(res) = resources.as_ref().filter(|r| !r.negated) {
            check_action_resource_fit(&actions, res, cache)?;
        }
    }
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(Json::Object(block)) => {
            let mut out = Vec::new();
            for (op, keys) in block.iter() {
                let Json::Object(keys) = keys else {
                    return Err(PolicyError::new(
                        ErrorKind::InvalidCondition,
                        format!("`{op}` must map condition keys to values"),
                    )
                    .at_field("Condition"));
                };
                for (key, values) in keys.iter() {
                    out.push(
                        Condition::compile_json(op, key, values, variables)
                            .map_err(|e| e.at_field("Condition"))?,
                    );
                }
            }
            out
        }
        Some(other) => {
            return Err(PolicyError::new(
                ErrorKind::InvalidCondition,
                format!("`Condition` must be an object, not `{other}`"),
            )
            .at_field("Condition"))
        }
    };
    Ok(Statement {
        index,
        sid: None,
        effect,
        principal,
        actions,
        resources,
        conditions,
    })
}

fn missing(field: &str) -> PolicyError {
    PolicyError::new(ErrorKind::MissingElement, format!("`{field}` is absent")).at_field(field)
}

/// Exactly one of `a` and `b`, or neither.
fn one_of<'m, 'j>(
    map: &'m Obj<'j>,
    a: &'static str,
    b: &'static str,
) -> Result<Option<(&'static str, &'m Json<'j>)>, PolicyError> {
    match (map.get(a), map.get(b)) {
        (Some(_), Some(_)) => Err(PolicyError::new(
            ErrorKind::ConflictingElements,
            format!("a statement may have `{a}` or `{b}`, not both"),
        )
        .at_field(a)),
        (Some(v), None) => Ok(Some((a, v))),
        (None, Some(v)) => Ok(Some((b, v))),
        (None, None) => Ok(None),
    }
}

fn strings<'v>(v: &'v Json<'_>, field: &str) -> Result<Vec<&'v str>, PolicyError> {
    let wrong = |what: &Json<'_>| {
        PolicyError::new(
            ErrorKind::InvalidType,
            format!("`{field}` must be a string or a list of strings; found `{what}`"),
        )
        .at_field(field)
    };
    let out: Vec<&str> = match v {
        Json::String(s) => vec![s.as_ref()],
        Json::Array(items) => items
            .iter()
            .map(|i| i.as_str().ok_or_else(|| wrong(i)))
            .collect::<Result<_, _>>()?,
        other => return Err(wrong(other)),
    };
    if out.is_empty() {
        return Err(PolicyError::new(
            ErrorKind::MissingElement,
            format!("`{field}` is an empty list"),
        )
        .at_field(field));
    }
    Ok(out)
}

fn compile_action(
    text: &str,
    kind: PolicyKind,
    cache: &mut ActionCache,
) -> Result<Pattern, PolicyError> {
    let syntax = Syntax {
        wildcards: true,
        variables: false,
        ignore_case: true,
    };
    if text == "*" {
        return Ok(Pattern::new(text, syntax));
    }
    let Some((service, name)) = text.split_once(':') else {
        return Err(PolicyError::new(
            ErrorKind::InvalidAction,
            format!("`{text}` is not `service:action`"),
        ));
    };
    let service_ok = !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*' || b == b'?');
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?' || b == b'-' || b == b'_');
    if !service_ok || !name_ok {
        return Err(PolicyError::new(
            ErrorKind::InvalidAction,
            format!("`{text}` is not `service:action`"),
        ));
    }
    let pattern = Pattern::new(text, syntax);
    if matches!(kind, PolicyKind::Bucket | PolicyKind::AccessPoint) {
        // S3 refuses actions it does not know in its own policies.
        if cached_types(cache, text).is_none() {
            return Err(PolicyError::new(
                ErrorKind::InvalidAction,
                format!("`{text}` is not an S3 action"),
            ));
        }
    }
    Ok(pattern)
}

fn check_resource(text: &str, kind: PolicyKind) -> Result<(), PolicyError> {
    if text == "*" {
        return Ok(());
    }
    let Some(arn) = Arn::parse(text) else {
        return Err(PolicyError::new(
            ErrorKind::InvalidResource,
            format!("`{text}` is not `*` or an ARN (`arn:aws:s3:::bucket/key`)"),
        ));
    };
    if arn.resource.is_empty() {
        return Err(PolicyError::new(
            ErrorKind::InvalidResource,
            format!("`{text}` names no resource"),
        ));
    }
    if matches!(kind, PolicyKind::Bucket | PolicyKind::AccessPoint)
        && arn.service != "s3"
        && !Glob::new(arn.service).matches("s3")
    {
        return Err(PolicyError::new(
            ErrorKind::InvalidResource,
            format!("`{text}` is not an S3 resource"),
        ));
    }
    Ok(())
}

/// The resource types a resource pattern can denote.
fn resource_types(text: &str) -> [bool; 4] {
    const ALL: [bool; 4] = [true; 4];
    let idx = |t: ResourceType| t as usize;
    let mut out = [false; 4];
    if text == "*" {
        return ALL;
    }
    let Some(arn) = Arn::parse(text) else {
        return out;
    };
    let wild = |s: &str| s.contains(['*', '?']);
    if wild(arn.partition) || wild(arn.service) || wild(arn.region) || wild(arn.account) {
        return ALL;
    }
    let lit_end = arn.resource.find(['*', '?']).unwrap_or(arn.resource.len());
    let literal = &arn.resource[..lit_end];
    let has_wild = lit_end < arn.resource.len();
    if let Some(after) = arn.resource.strip_prefix("accesspoint/") {
        let after_lit = literal.strip_prefix("accesspoint/").unwrap_or("");
        if after_lit.contains('/') {
            out[idx(ResourceType::Object)] = true;
        } else {
            out[idx(ResourceType::Bucket)] = true;
            out[idx(ResourceType::AccessPoint)] = true;
            if has_wild || after.contains('/') {
                out[idx(ResourceType::Object)] = true;
            }
        }
        return out;
    }
    if literal.contains('/') {
        out[idx(ResourceType::Object)] = true;
    } else if has_wild {
        out[idx(ResourceType::Bucket)] = true;
        out[idx(ResourceType::Object)] = true;
        out[idx(ResourceType::AccessPoint)] = true;
    } else {
        out[idx(ResourceType::Bucket)] = true;
    }
    out
}

/// S3 rejects a statement none of whose actions can apply to any of its resources.
fn check_action_resource_fit(
    actions: &PatternSet,
    resources: &PatternSet,
    cache: &mut ActionCache,
) -> Result<(), PolicyError> {
    let mut wanted = [false; 4];
    for p in &actions.patterns {
        for (w, t) in wanted
            .iter_mut()
            .zip(cached_types(cache, p.source()).unwrap_or_default())
        {
            *w |= t;
        }
    }
    let fits = resources.patterns.iter().any(|r| {
        let offered = resource_types(r.source());
        (0..4).any(|i| wanted[i] && offered[i])
    });
    if fits {
        Ok(())
    } else {
        let first_action = actions.patterns.first().map_or("", |p| p.source());
        let first_resource = resources.patterns.first().map_or("", |p| p.source());
        Err(PolicyError::new(
            ErrorKind::ActionResourceMismatch,
            format!(
                "`{first_action}` cannot act on `{first_resource}` (object actions need `arn:aws:s3:::BUCKET/KEY`, bucket actions `arn:aws:s3:::BUCKET`)"
            ),
        )
        .at_field("Action"))
    }
}

/// Whether a lowercase S3 action name is known.
pub fn is_known_s3_action(name_lc: &str) -> bool {
    s3_action(name_lc).is_some()
}

#[cfg(test)]
mod tests;
