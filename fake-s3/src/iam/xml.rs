//! IAM's response shapes (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_Types.html>):
//! each answer is `<NAMEResponse><NAMEResult>…</NAMEResult><ResponseMetadata/></NAMEResponse>`,
//! dates are ISO 8601, and policy documents are URL-encoded JSON.

use bytes::Bytes;
use http::StatusCode;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::identity::entities::ManagedPolicy;
use crate::identity::{Group, Role, Tags, User};
use crate::response::Resp;
use crate::xml::escape;

const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The answer to `action`: its result (empty for operations that answer nothing).
pub fn wrap(action: &str, result: &str, request_id: &str) -> Resp {
    let result = if result.is_empty() {
        String::new()
    } else {
        format!("<{action}Result>{result}</{action}Result>")
    };
    Resp {
        status: StatusCode::OK,
        headers: vec![("content-type".into(), "text/xml".into())],
        body: Bytes::from(format!(
            "<{action}Response xmlns=\"{NS}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
        )),
    }
}

pub fn date(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A policy document as IAM returns it: URL-encoded.
pub fn document(text: &str) -> String {
    escape(&crate::sigv4::uri_encode(text, false))
}

pub fn tags(tags: &Tags) -> String {
    let members: String = tags
        .iter()
        .map(|(k, v)| {
            format!(
                "<member><Key>{}</Key><Value>{}</Value></member>",
                escape(k),
                escape(v)
            )
        })
        .collect();
    format!("<Tags>{members}</Tags>")
}

fn boundary(arn: Option<&String>) -> String {
    arn.map(|a| {
        format!(
            "<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>{}</PermissionsBoundaryArn></PermissionsBoundary>",
            escape(a)
        )
    })
    .unwrap_or_default()
}

/// A `User`; `full` adds the boundary and tags, which listings leave out.
pub fn user(u: &User, full: bool) -> String {
    let extra = if full {
        let t = if u.tags.is_empty() {
            String::new()
        } else {
            tags(&u.tags)
        };
        format!("{}{t}", boundary(u.boundary.as_ref()))
    } else {
        String::new()
    };
    format!(
        "<Path>{}</Path><UserName>{}</UserName><UserId>{}</UserId><Arn>{}</Arn><CreateDate>{}</CreateDate>{extra}",
        escape(&u.path),
        escape(&u.name),
        u.user_id,
        escape(&u.arn),
        date(u.created)
    )
}

pub fn group(g: &Group) -> String {
    format!(
        "<Path>{}</Path><GroupName>{}</GroupName><GroupId>{}</GroupId><Arn>{}</Arn><CreateDate>{}</CreateDate>",
        escape(&g.path),
        escape(&g.name),
        g.group_id,
        escape(&g.arn),
        date(g.created)
    )
}

/// A `Role`, its trust policy `trust` as shown; `full` adds the boundary, tags and last-used
/// fields, which listings leave out.
pub fn role(r: &Role, trust: &str, full: bool) -> String {
    let extra = if full {
        let t = if r.tags.is_empty() {
            String::new()
        } else {
            tags(&r.tags)
        };
        format!("{}{t}<RoleLastUsed/>", boundary(r.boundary.as_ref()))
    } else {
        String::new()
    };
    let description = if r.description.is_empty() {
        String::new()
    } else {
        format!("<Description>{}</Description>", escape(&r.description))
    };
    format!(
        "<Path>{}</Path><RoleName>{}</RoleName><RoleId>{}</RoleId><Arn>{}</Arn><CreateDate>{}</CreateDate><AssumeRolePolicyDocument>{}</AssumeRolePolicyDocument>{description}<MaxSessionDuration>{}</MaxSessionDuration>{extra}",
        escape(&r.path),
        escape(&r.name),
        r.role_id,
        escape(&r.arn),
        date(r.created),
        document(trust),
        r.max_session_duration
    )
}

/// A managed `Policy` with its counts; `full` adds the description (GetPolicy, CreatePolicy).
pub fn policy(p: &ManagedPolicy, attachments: usize, boundaries: usize, full: bool) -> String {
    let description = if full && !p.description.is_empty() {
        format!("<Description>{}</Description>", escape(&p.description))
    } else {
        String::new()
    };
    format!(
        "<PolicyName>{}</PolicyName><PolicyId>{}</PolicyId><Arn>{}</Arn><Path>{}</Path><DefaultVersionId>{}</DefaultVersionId><AttachmentCount>{attachments}</AttachmentCount><PermissionsBoundaryUsageCount>{boundaries}</PermissionsBoundaryUsageCount><IsAttachable>true</IsAttachable>{description}<CreateDate>{}</CreateDate><UpdateDate>{}</UpdateDate>",
        escape(&p.name),
        p.policy_id,
        escape(&p.arn),
        escape(&p.path),
        p.default_version,
        date(p.created),
        date(p.updated)
    )
}

/// `IsTruncated` and, when there is more, `Marker`.
pub fn truncation(next: Option<&str>) -> String {
    match next {
        Some(m) => format!(
            "<IsTruncated>true</IsTruncated><Marker>{}</Marker>",
            escape(m)
        ),
        None => "<IsTruncated>false</IsTruncated>".into(),
    }
}

/// A `<NAME>` list of `<member>` elements.
pub fn members(name: &str, items: impl IntoIterator<Item = String>) -> String {
    let inner: String = items
        .into_iter()
        .map(|i| format!("<member>{i}</member>"))
        .collect();
    format!("<{name}>{inner}</{name}>")
}
