//! What real Ceph RGW 16.2 taught the share commands (issue 23), against the fake's Ceph dialect,
//! which answers as RGW does (scripts/rgw-diff.py holds it to that): a writer's uploads pass the
//! ACL guards (RGW reads `Null` as "the key is absent", which made the old guards refuse every
//! plain upload), the owner cannot read a member's upload sent without
//! `bucket-owner-full-control` and `share report` names it, and a grant to a name RGW does not
//! know is written with a warning, since RGW accepts any principal.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;
use s3keeper::shares::Role;

use crate::service_shares::{aws_lab, ceph_lab, client, get, live, LAB};
use crate::service_support::{Backend, PEOPLE, PLATFORM};

/// An upload of `key` by `s3`, with a canned ACL and a grant header when given; the S3 error code
/// when refused.
async fn upload(
    s3: &aws_sdk_s3::Client,
    key: &str,
    acl: Option<ObjectCannedAcl>,
    grant_read: Option<&str>,
) -> Result<(), String> {
    s3.put_object()
        .bucket(LAB)
        .key(key)
        .set_acl(acl)
        .set_grant_read(grant_read.map(str::to_owned))
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            aws_sdk_s3::error::ProvideErrorMetadata::code(&e)
                .unwrap_or("?")
                .to_owned()
        })
}

#[tokio::test]
async fn a_writers_uploads_pass_the_guards_and_the_report_names_what_the_owner_cannot_read() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let wendy = client(&lab.fake, PLATFORM, "wendy", &[]);
    k.share_grant(LAB, "wendy", Role::Writer, "incoming/", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        upload(&wendy, "incoming/plain.csv", None, None).await,
        Ok(())
    );
    assert_eq!(
        upload(
            &wendy,
            "incoming/private.csv",
            Some(ObjectCannedAcl::Private),
            None
        )
        .await,
        Ok(())
    );
    assert_eq!(
        upload(
            &wendy,
            "incoming/shared.csv",
            Some(ObjectCannedAcl::BucketOwnerFullControl),
            None
        )
        .await,
        Ok(())
    );
    assert_eq!(
        upload(
            &wendy,
            "incoming/public.csv",
            Some(ObjectCannedAcl::PublicRead),
            None
        )
        .await,
        Err("AccessDenied".to_owned())
    );
    assert_eq!(
        upload(&wendy, "incoming/granted.csv", None, Some("id=\"mallory\"")).await,
        Err("AccessDenied".to_owned())
    );
    // RGW gives the bucket owner no access to another user's object unless its ACL does.
    assert!(get(&lab.owner, "incoming/shared.csv").await);
    assert!(!get(&lab.owner, "incoming/plain.csv").await);
    assert!(!get(&lab.owner, "incoming/private.csv").await);
    let report = k.share_report(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.owner_reads_checked);
    assert_eq!(
        report.unreadable_by_owner,
        vec!["incoming/plain.csv", "incoming/private.csv"]
    );
    assert!(!report.unreadable_truncated);
    let text = s3keeper::cli::shares::report_lines(&report).join("\n");
    assert!(
        text.contains("the owner cannot read 2 object(s)")
            && text.contains("incoming/plain.csv, incoming/private.csv"),
        "{text}"
    );
}

#[tokio::test]
async fn a_grant_to_a_name_rgw_does_not_know_is_written_with_a_warning() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let change = lab
        .keeper
        .share_grant(LAB, "nosuchuser", Role::Reader, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        change
            .warnings
            .iter()
            .any(|w| w.contains("does not check that `nosuchuser` exists")),
        "{:?}",
        change.warnings
    );
    assert!(live(&lab)
        .await
        .is_some_and(|p| p.contains("arn:aws:iam:::user/nosuchuser")));

    // On AWS an unknown principal is refused by S3 itself, so a grant there carries no warning.
    let lab = aws_lab(&[PLATFORM, PEOPLE]).await;
    lab.fake
        .create_user(PEOPLE, "ann", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let change = lab
        .keeper
        .share_grant(
            LAB,
            "arn:aws:iam::444455556666:user/ann",
            Role::Reader,
            "",
            false,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(change.warnings.is_empty(), "{:?}", change.warnings);
}
