//! The S3 actions a policy may name and the resource type each applies to
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>).
//!
//! S3 refuses a bucket or access-point policy whose actions are unknown ("Policy has invalid
//! action") or apply to none of the statement's resources ("Action does not apply to any
//! resource(s) in statement"); this table is what both checks use.

/// What an action acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// `arn:aws:s3:::BUCKET` or an access point ARN.
    Bucket,
    /// `arn:aws:s3:::BUCKET/KEY` or `…:accesspoint/NAME/object/KEY`.
    Object,
    /// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME` only (S3 Control access-point operations).
    AccessPoint,
    /// Account-level or `*` only (ListAllMyBuckets, CreateJob, …).
    Account,
}

use ResourceType::{AccessPoint, Account, Bucket, Object};

/// Lowercase action name (without `s3:`) and what it applies to.
pub const S3_ACTIONS: &[(&str, ResourceType)] = &[
    ("abortmultipartupload", Object),
    ("bypassgovernanceretention", Object),
    ("createaccesspoint", AccessPoint),
    ("createbucket", Bucket),
    ("createjob", Account),
    ("deleteaccesspoint", AccessPoint),
    ("deleteaccesspointpolicy", AccessPoint),
    ("deletebucket", Bucket),
    ("deletebucketownershipcontrols", Bucket),
    ("deletebucketpolicy", Bucket),
    ("deletebucketwebsite", Bucket),
    ("deleteobject", Object),
    ("deleteobjecttagging", Object),
    ("deleteobjectversion", Object),
    ("deleteobjectversiontagging", Object),
    ("getaccelerateconfiguration", Bucket),
    ("getaccesspoint", AccessPoint),
    ("getaccesspointpolicy", AccessPoint),
    ("getaccesspointpolicystatus", AccessPoint),
    ("getaccountpublicaccessblock", Account),
    ("getanalyticsconfiguration", Bucket),
    ("getbucketacl", Bucket),
    ("getbucketcors", Bucket),
    ("getbucketlocation", Bucket),
    ("getbucketlogging", Bucket),
    ("getbucketnotification", Bucket),
    ("getbucketobjectlockconfiguration", Bucket),
    ("getbucketownershipcontrols", Bucket),
    ("getbucketpolicy", Bucket),
    ("getbucketpolicystatus", Bucket),
    ("getbucketpublicaccessblock", Bucket),
    ("getbucketrequestpayment", Bucket),
    ("getbuckettagging", Bucket),
    ("getbucketversioning", Bucket),
    ("getbucketwebsite", Bucket),
    ("getencryptionconfiguration", Bucket),
    ("getintelligenttieringconfiguration", Bucket),
    ("getinventoryconfiguration", Bucket),
    ("getlifecycleconfiguration", Bucket),
    ("getmetricsconfiguration", Bucket),
    ("getobject", Object),
    ("getobjectacl", Object),
    ("getobjectattributes", Object),
    ("getobjectlegalhold", Object),
    ("getobjectretention", Object),
    ("getobjecttagging", Object),
    ("getobjecttorrent", Object),
    ("getobjectversion", Object),
    ("getobjectversionacl", Object),
    ("getobjectversionattributes", Object),
    ("getobjectversionforreplication", Object),
    ("getobjectversiontagging", Object),
    ("getobjectversiontorrent", Object),
    ("getreplicationconfiguration", Bucket),
    ("initiatereplication", Object),
    ("listaccesspoints", Account),
    ("listallmybuckets", Account),
    ("listbucket", Bucket),
    ("listbucketmultipartuploads", Bucket),
    ("listbucketversions", Bucket),
    ("listmultipartuploadparts", Object),
    ("objectowneroverridetobucketowner", Object),
    ("putaccelerateconfiguration", Bucket),
    ("putaccesspointpolicy", AccessPoint),
    ("putaccountpublicaccessblock", Account),
    ("putanalyticsconfiguration", Bucket),
    ("putbucketacl", Bucket),
    ("putbucketcors", Bucket),
    ("putbucketlogging", Bucket),
    ("putbucketnotification", Bucket),
    ("putbucketobjectlockconfiguration", Bucket),
    ("putbucketownershipcontrols", Bucket),
    ("putbucketpolicy", Bucket),
    ("putbucketpublicaccessblock", Bucket),
    ("putbucketrequestpayment", Bucket),
    ("putbuckettagging", Bucket),
    ("putbucketversioning", Bucket),
    ("putbucketwebsite", Bucket),
    ("putencryptionconfiguration", Bucket),
    ("putintelligenttieringconfiguration", Bucket),
    ("putinventoryconfiguration", Bucket),
    ("putlifecycleconfiguration", Bucket),
    ("putmetricsconfiguration", Bucket),
    ("putobject", Object),
    ("putobjectacl", Object),
    ("putobjectlegalhold", Object),
    ("putobjectretention", Object),
    ("putobjecttagging", Object),
    ("putobjectversionacl", Object),
    ("putobjectversiontagging", Object),
    ("putreplicationconfiguration", Bucket),
    ("replicatedelete", Object),
    ("replicateobject", Object),
    ("replicatetags", Object),
    ("restoreobject", Object),
];

/// The resource type of a lowercase S3 action name (without `s3:`).
pub fn s3_action(name: &str) -> Option<ResourceType> {
    S3_ACTIONS
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| S3_ACTIONS[i].1)
}

/// The resource types of the S3 actions an action pattern (`s3:Get*`, `*`, `s3:?etObject`) covers,
/// indexed by `ResourceType as usize`; `None` when it covers no S3 action.
pub fn pattern_resource_types(pattern: &str) -> Option<[bool; 4]> {
    let lower = pattern.to_ascii_lowercase();
    let (service, name) = match lower.split_once(':') {
        Some(parts) => parts,
        None if lower == "*" => ("*", "*"),
        None => return None,
    };
    if !crate::pattern::Glob::new(service).matches("s3") {
        return None;
    }
    let glob = crate::pattern::Glob::new(name);
    let mut types = [false; 4];
    let mut any = false;
    for (n, ty) in S3_ACTIONS {
        if glob.matches(n) {
            types[*ty as usize] = true;
            any = true;
        }
    }
    any.then_some(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(S3_ACTIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn patterns_cover_resource_types() {
        assert_eq!(
            pattern_resource_types("s3:GetObject"),
            Some([false, true, false, false])
        );
        assert_eq!(
            pattern_resource_types("s3:ListBucket"),
            Some([true, false, false, false])
        );
        assert_eq!(pattern_resource_types("*"), Some([true; 4]));
        assert_eq!(
            pattern_resource_types("s3:Get*").map(|t| t[0] && t[1]),
            Some(true)
        );
        assert_eq!(pattern_resource_types("s3:Nope*"), None);
        assert_eq!(pattern_resource_types("ec2:*"), None);
    }

    #[test]
    fn looks_up_by_lowercase_name() {
        assert_eq!(s3_action("getobject"), Some(Object));
        assert_eq!(s3_action("listbucket"), Some(Bucket));
        assert_eq!(s3_action("getobjectt"), None);
    }
}
