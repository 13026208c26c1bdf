//! Amazon Resource Names as S3 policies use them, and the resource strings a request is checked
//! against (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html>).

/// The six colon-separated fields of an ARN; `resource` keeps any further colons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text` into its fields; `None` unless it starts with `arn:` and has all six.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut it = text.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: it.next()?,
            service: it.next()?,
            region: it.next()?,
            account: it.next()?,
            resource: it.next()?,
        })
    }
}

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is a Ceph RGW tenant name as principals carry it (`arn:aws:iam::TENANT:user/NAME`):
/// letters, digits and underscores, 1–64 of them
/// (<https://docs.ceph.com/en/latest/radosgw/multitenancy/>). A name of digits only must be an
/// account id instead, so a mistyped account id (11 or 13 digits) is never read as a tenant.
pub fn is_tenant_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:aws:s3:::BUCKET` or `arn:aws:s3:::BUCKET/KEY`. A Ceph RGW tenant's bucket, given as
/// `TENANT:BUCKET` (a form no S3 bucket name takes: `:` is not allowed in one), is
/// `arn:aws:s3::TENANT:BUCKET[/KEY]`: RGW puts the tenant where AWS puts the account id
/// (<https://docs.ceph.com/en/latest/radosgw/bucketpolicy/>, "Limitations").
pub fn bucket_resource(bucket: &str, key: Option<&str>) -> String {
    let (tenant, name) = bucket.split_once(':').unwrap_or(("", bucket));
    // Joined, not formatted: every authorization makes one.
    match key {
        Some(key) => ["arn:aws:s3::", tenant, ":", name, "/", key].concat(),
        None => ["arn:aws:s3::", tenant, ":", name].concat(),
    }
}

/// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`.
pub fn access_point_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:s3:{region}:{account}:accesspoint/{name}")
}

/// The access point ARN, or `…/object/KEY` for an object request through it.
pub fn access_point_resource(ap_arn: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("{ap_arn}/object/{key}"),
        None => ap_arn.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_keeps_colons_in_resource() {
        let arn = Arn::parse("arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/a:b");
        assert_eq!(
            arn,
            Some(Arn {
                partition: "aws",
                service: "s3",
                region: "us-east-1",
                account: "111122223333",
                resource: "accesspoint/ap/object/a:b",
            })
        );
        assert_eq!(Arn::parse("arn:aws:s3"), None);
        assert_eq!(Arn::parse("urn:aws:s3:::b"), None);
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(is_account_id("111122223333"));
        assert!(!is_account_id("11112222333"));
        assert!(!is_account_id("11112222333a"));
        assert!(is_tenant_name("uab"));
        assert!(is_tenant_name("lab_7"));
        assert!(
            !is_tenant_name("11112222333"),
            "digits only are an account id, mistyped"
        );
        assert!(!is_tenant_name("a-b"));
        assert!(!is_tenant_name(""));
    }

    #[test]
    fn tenant_buckets_carry_their_tenant_in_the_account_field() {
        assert_eq!(bucket_resource("b", Some("k")), "arn:aws:s3:::b/k");
        assert_eq!(bucket_resource("b", None), "arn:aws:s3:::b");
        assert_eq!(
            bucket_resource("uab:b", Some("a:c")),
            "arn:aws:s3::uab:b/a:c"
        );
        assert_eq!(bucket_resource("uab:b", None), "arn:aws:s3::uab:b");
    }
}
