//! A request to decide, and the condition keys it carries
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>).
//!
//! Keys derived from the principal (`aws:userid`, `aws:username`, `aws:PrincipalAccount`,
//! `aws:PrincipalArn`) and from the access point (`s3:DataAccessPointAccount`,
//! `s3:DataAccessPointArn`, `s3:AccessPointNetworkOrigin`) are computed here and override anything
//! the caller put in the context, so a request cannot claim another identity's values.

use std::borrow::Cow;
use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::arn;
use crate::dialect::Dialect;
use crate::principal::{Principal, PrincipalKind};

/// The bucket a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRef {
    pub name: String,
    /// The account that owns the bucket.
    pub account: String,
}

/// The access point a request came through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPointRef {
    pub name: String,
    pub account: String,
    pub region: String,
}

/// A context value: one string, or several for a multivalued key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice-like iterator.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many): (Option<&str>, &[String]) = match self {
            ContextValue::Single(s) => (Some(s.as_str()), &[]),
            ContextValue::Multi(v) => (None, v.as_slice()),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }

    fn first(&self) -> Option<&str> {
        self.iter().next()
    }
}

/// A borrowed view of a context value.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> Values<'a> {
    /// Every value.
    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        let (one, many): (Option<&'a str>, &'a [String]) = match self {
            Values::One(s) => (Some(s), &[]),
            Values::Many(v) => (None, v),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }

    /// Whether there are no values (an empty multivalued key).
    pub fn is_empty(self) -> bool {
        matches!(self, Values::Many(v) if v.is_empty())
    }
}

/// One request to decide.
#[derive(Debug, Clone)]
pub struct Request {
    /// Shared: a caller's principal is the same for every request it signs.
    pub principal: Arc<Principal>,
    /// `s3:GetObject` and so on, as written by the caller.
    pub action: String,
    pub bucket: BucketRef,
    pub key: Option<String>,
    pub access_point: Option<AccessPointRef>,
    /// Derived: the action lowercased, for case-insensitive matching.
    action_lc: String,
    /// Derived: `arn:aws:s3:::BUCKET[/KEY]`.
    bucket_resource: String,
    /// Derived: the access point's ARN and the request's resource through it.
    ap_arn: Option<String>,
    ap_resource: Option<String>,
    /// Caller-supplied keys in insertion order, compared without regard to case (names given
    /// as `'static` are kept as written, so adding one allocates nothing for its name).
    extra: Vec<(Cow<'static, str>, ContextValue)>,
    /// `aws:CurrentTime`, and its two texts made when a policy first asks (most requests are
    /// decided without either).
    time: OffsetDateTime,
    time_texts: std::sync::OnceLock<(String, String)>,
    /// Whose semantics decide the request (AWS's unless [`Request::set_dialect`] says otherwise).
    dialect: Dialect,
}

impl Request {
    /// A request with no extra context; the clock defaults to now.
    pub fn new(
        principal: impl Into<Arc<Principal>>,
        action: &str,
        bucket: BucketRef,
        key: Option<String>,
        access_point: Option<AccessPointRef>,
    ) -> Self {
        let bucket_resource = arn::bucket_resource(&bucket.name, key.as_deref());
        let ap_arn = access_point
            .as_ref()
            .map(|ap| arn::access_point_arn(&ap.region, &ap.account, &ap.name));
        let ap_resource = ap_arn
            .as_deref()
            .map(|a| arn::access_point_resource(a, key.as_deref()));
        let mut req = Request {
            principal: principal.into(),
            action_lc: action.to_ascii_lowercase(),
            action: action.to_owned(),
            bucket,
            key,
            access_point,
            bucket_resource,
            ap_arn,
            ap_resource,
            // A signed S3 request brings about a dozen keys; room for them saves three regrowths.
            extra: Vec::with_capacity(16),
            time: OffsetDateTime::UNIX_EPOCH,
            time_texts: std::sync::OnceLock::new(),
            dialect: Dialect::Aws,
        };
        req.set_time(OffsetDateTime::now_utc());
        req
    }

    /// A request on a resource that is not a bucket (an IAM role for `sts:AssumeRole`, an
    /// account for `s3:ListAllMyBuckets`): `resource` is what every policy sees, `owner` the
    /// account that owns it.
    pub fn for_resource(
        principal: impl Into<Arc<Principal>>,
        action: &str,
        resource: &str,
        owner: &str,
    ) -> Self {
        let mut req = Request::new(
            principal,
            action,
            BucketRef {
                name: String::new(),
                account: owner.to_owned(),
            },
            None,
            None,
        );
        resource.clone_into(&mut req.bucket_resource);
        req
    }

    /// Sets `aws:CurrentTime` and `aws:EpochTime`.
    pub fn set_time(&mut self, t: OffsetDateTime) {
        let t = t.replace_nanosecond(0).unwrap_or(t);
        self.time = t;
        self.time_texts = std::sync::OnceLock::new();
    }

    /// Decides the request with `dialect`'s semantics: [`Dialect::CephRgw`] reads the `Null`
    /// condition operator as Ceph RGW 16.2 does, true exactly when the key is absent whatever
    /// value the policy writes ([`crate::dialect`]). AWS's semantics are the default.
    pub fn set_dialect(&mut self, dialect: Dialect) {
        self.dialect = dialect;
    }

    /// The semantics the request is decided with.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Adds a request context key (name compared without regard to case).
    pub fn with(mut self, key: &str, value: ContextValue) -> Self {
        self.insert(key, value);
        self
    }

    /// Adds or replaces a request context key.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        self.insert_named(Cow::Owned(key.to_ascii_lowercase()), value);
    }

    /// [`Request::insert`] for a key name known at compile time.
    pub fn insert_static(&mut self, key: &'static str, value: ContextValue) {
        self.insert_named(Cow::Borrowed(key), value);
    }

    fn insert_named(&mut self, key: Cow<'static, str>, value: ContextValue) {
        if key.eq_ignore_ascii_case("aws:currenttime") || key.eq_ignore_ascii_case("aws:epochtime")
        {
            if let Some(t) = value.first().and_then(parse_time) {
                self.set_time(t);
            }
            return;
        }
        match self
            .extra
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            Some(slot) => slot.1 = value,
            None => self.extra.push((key, value)),
        }
    }

    /// The action, lowercased.
    pub fn action_lc(&self) -> &str {
        &self.action_lc
    }

    /// `arn:aws:s3:::BUCKET[/KEY]`: what the bucket policy sees.
    pub fn bucket_resource(&self) -> &str {
        &self.bucket_resource
    }

    /// The access point's ARN, for requests through one.
    pub fn access_point_arn(&self) -> Option<&str> {
        self.ap_arn.as_deref()
    }

    /// What the access point policy and identity policies see for a request through an access
    /// point: `…:accesspoint/NAME` or `…:accesspoint/NAME/object/KEY`.
    pub fn access_point_resource(&self) -> Option<&str> {
        self.ap_resource.as_deref()
    }

    /// Looks up a condition key by its lowercase name.
    pub fn get(&self, key_lc: &str) -> Option<Values<'_>> {
        let p = &self.principal;
        let derived = match key_lc {
            "aws:userid" => p.userid.as_deref(),
            "aws:username" => p.username(),
            "aws:principalaccount" => (!p.account.is_empty()).then_some(p.account.as_str()),
            "aws:principalarn" => p.principal_arn(),
            "aws:principaltype" => match p.kind {
                PrincipalKind::Anonymous => Some("Anonymous"),
                PrincipalKind::Root => Some("Account"),
                PrincipalKind::User { .. } => Some("User"),
                PrincipalKind::AssumedRole { .. } => Some("AssumedRole"),
                PrincipalKind::FederatedUser { .. } => Some("FederatedUser"),
                PrincipalKind::Service { .. } => None,
            },
            "aws:currenttime" => Some(self.time_texts().0.as_str()),
            "aws:epochtime" => Some(self.time_texts().1.as_str()),
            "s3:dataaccesspointaccount" => self.access_point.as_ref().map(|a| a.account.as_str()),
            "s3:dataaccesspointarn" => self.ap_arn.as_deref(),
            "s3:accesspointnetworkorigin" if self.access_point.is_some() => {
                return Some(self.lookup_extra(key_lc).unwrap_or(Values::One("Internet")))
            }
            _ => return self.lookup_extra(key_lc),
        };
        derived.map(Values::One)
    }

    fn time_texts(&self) -> &(String, String) {
        self.time_texts.get_or_init(|| {
            (
                self.time.format(&Rfc3339).unwrap_or_default(),
                self.time.unix_timestamp().to_string(),
            )
        })
    }

    fn lookup_extra(&self, key_lc: &str) -> Option<Values<'_>> {
        self.extra
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key_lc))
            .map(|(_, v)| match v {
                ContextValue::Single(s) => Values::One(s),
                ContextValue::Multi(m) => Values::Many(m),
            })
    }

    /// The value of a single-valued key, for policy variables.
    pub fn variable(&self, key_lc: &str) -> Option<&str> {
        self.get(key_lc).and_then(|v| v.iter().next())
    }
}

/// Reads an ISO 8601 date-time (`2024-01-01T00:00:00Z`), a date (`2024-01-01`) or epoch seconds,
/// the forms AWS accepts for `Date*` operators
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date>).
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|n| OffsetDateTime::from_unix_timestamp(n).ok());
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    // Date only, or a date-time without seconds or zone: read as UTC.
    let (date, rest) = s.split_at(s.find('T').unwrap_or(s.len()));
    let d = time::Date::parse(
        date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    let rest = rest.trim_start_matches('T').trim_end_matches('Z');
    let t = match rest {
        "" => time::Time::MIDNIGHT,
        r => time::Time::parse(
            r,
            time::macros::format_description!("[hour]:[minute]:[second]"),
        )
        .or_else(|_| time::Time::parse(r, time::macros::format_description!("[hour]:[minute]")))
        .ok()?,
    };
    Some(d.with_time(t).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_and_owned_names_are_one_key_whatever_their_case() {
        let mut r = alice_via_ap();
        r.insert_static("aws:SourceIp", ContextValue::Single("192.0.2.1".into()));
        assert!(matches!(
            r.get("aws:sourceip"),
            Some(Values::One("192.0.2.1"))
        ));
        r.insert("AWS:SOURCEIP", ContextValue::Single("192.0.2.2".into()));
        assert!(matches!(
            r.get("aws:sourceip"),
            Some(Values::One("192.0.2.2"))
        ));
        r.insert_static(
            "aws:CurrentTime",
            ContextValue::Single("2030-01-02T03:04:05Z".into()),
        );
        assert!(matches!(
            r.get("aws:currenttime"),
            Some(Values::One("2030-01-02T03:04:05Z"))
        ));
        assert!(matches!(
            r.get("aws:epochtime"),
            Some(Values::One("1893553445"))
        ));
    }

    fn alice_via_ap() -> Request {
        let p = Principal::from_arn(
            "arn:aws:iam::444455556666:user/alice",
            Some("AIDAALICEEXAMPLE00001"),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Request::new(
            p,
            "s3:GetObject",
            BucketRef {
                name: "ctl".into(),
                account: "111122223333".into(),
            },
            Some("a/b".into()),
            Some(AccessPointRef {
                name: "ap".into(),
                account: "111122223333".into(),
                region: "us-east-1".into(),
            }),
        )
    }

    #[test]
    fn derived_keys_override_the_callers() {
        let r = alice_via_ap().with("aws:username", ContextValue::Single("mallory".into()));
        assert_eq!(r.variable("aws:username"), Some("alice"));
        assert_eq!(r.variable("aws:principalaccount"), Some("444455556666"));
        assert_eq!(
            r.variable("s3:dataaccesspointaccount"),
            Some("111122223333")
        );
        assert_eq!(
            r.variable("s3:dataaccesspointarn"),
            Some("arn:aws:s3:us-east-1:111122223333:accesspoint/ap")
        );
        assert_eq!(
            r.access_point_resource(),
            Some("arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/a/b")
        );
        assert_eq!(r.bucket_resource(), "arn:aws:s3:::ctl/a/b");
    }

    #[test]
    fn times_parse_in_every_documented_form() {
        for s in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05+00:00",
            "1704164645",
        ] {
            assert_eq!(
                parse_time(s).map(|t| t.unix_timestamp()),
                Some(1_704_164_645),
                "{s}"
            );
        }
        assert_eq!(
            parse_time("2024-01-02").map(|t| t.unix_timestamp()),
            Some(1_704_153_600)
        );
        assert_eq!(parse_time("yesterday"), None);
    }
}
