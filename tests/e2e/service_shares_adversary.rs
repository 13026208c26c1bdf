//! Shared buckets against an adversary (issue 18, the share items), on the fake in both
//! dialects: a pattern whose folder part has a wildcard (its listing reaches every folder) refused,
//! linted and kept verbatim on import; members who upload cannot set ACLs; a revoked member is
//! denied everything as a former member until forgotten (RGW makes an uploader the owner of what
//! they upload); a steward's Deny that locks the owner or s3keeper out is reported and explained.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;
use s3keeper::shares::{self, Dialect, Role};
use s3keeper::KeeperError;
use serde_json::{json, Value};

use crate::service_shares::{aws_lab, ceph_lab, client, get, live, put, service, Lab, LAB};
use crate::service_support::{Backend, PLATFORM};

/// An identity policy standing for what RGW gives the owner of an object (it reads and re-ACLs
/// what it uploaded without any Allow in the bucket policy): the fake keeps one account per
/// tenant, so a member's ownership is modelled by their own policy.
const UPLOADER_OWNS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::lab-data/data/*"}]}"#;

async fn anonymous_get(lab: &Lab, key: &str) -> u16 {
    reqwest::get(format!("{}/{LAB}/{key}", lab.fake.endpoint()))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// A. A wildcard in a pattern's folder part.

#[rstest::rstest]
#[case::every_folder("*/*.jpg")]
#[case::one_character("a?c/x*")]
#[case::deeper("data/2024-*/raw/x")]
#[case::a_folder_pattern("*/")]
#[tokio::test]
async fn a_pattern_with_a_wildcard_folder_is_refused_and_nothing_is_written(#[case] prefix: &str) {
    let lab = ceph_lab(Backend::Sqlite).await;
    let _carol = client(&lab.fake, PLATFORM, "carol", &[]);
    let before = live(&lab).await;
    match lab
        .keeper
        .share_grant(LAB, "carol", Role::Reader, prefix, false)
        .await
    {
        Err(KeeperError::Invalid(m)) => {
            assert!(m.contains("folder part") && m.contains("listing"), "{m}")
        }
        other => panic!("{prefix}: {other:?}"),
    }
    assert_eq!(live(&lab).await, before, "nothing written");
    // A named folder is fine.
    lab.keeper
        .share_grant(LAB, "carol", Role::Reader, "test_folder/*.jpg", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_hand_written_wildcard_folder_is_kept_verbatim_and_reported() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let carol = client(&lab.fake, PLATFORM, "carol", &[]);
    let hand = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "list-jpg-folders", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/carol"]},
         "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::lab-data"],
         "Condition": {"StringLike": {"s3:prefix": ["*/*"]}}},
        {"Sid": "read-jpgs", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/carol"]},
         "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::lab-data/*/*.jpg"]}
    ]});
    lab.owner
        .put_bucket_policy()
        .bucket(LAB)
        .policy(hand.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // The leak itself: carol lists the key names of a folder she reads nothing in.
    assert!(carol
        .list_objects_v2()
        .bucket(LAB)
        .prefix("data/")
        .send()
        .await
        .is_ok());
    let report = lab
        .keeper
        .share_report(LAB)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.findings.iter().any(|f| f.code == "S3K008"),
        "{:?}",
        report.findings
    );
    let view = lab
        .keeper
        .share_import(LAB)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(view.members.is_empty(), "{:?}", view.members);
    assert_eq!(
        view.kept,
        hand["Statement"].as_array().cloned().unwrap_or_default()
    );
    assert!(view.findings.iter().any(|f| f.code == "S3K008"));
    // The next change writes it back as it was, not wider.
    let _dave = client(&lab.fake, PLATFORM, "dave", &[]);
    lab.keeper
        .share_grant(LAB, "dave", Role::Reader, "data/", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = live(&lab).await.unwrap_or_default();
    assert!(
        text.contains("list-jpg-folders") && text.contains("*/*.jpg"),
        "{text}"
    );
    assert!(get(&carol, "test_folder/x.jpg").await);
    assert!(!get(&carol, "test_folder/x.txt").await);
}

// ---------------------------------------------------------------------------------------------
// B. ACLs, former members.

#[derive(Debug, Clone, Copy)]
enum Upload {
    Plain,
    Canned(&'static str),
    GrantRead,
    GrantReadAcp,
    GrantWriteAcp,
    GrantFullControl,
}

async fn upload(s3: &aws_sdk_s3::Client, key: &str, how: Upload) -> Result<(), String> {
    let req = s3
        .put_object()
        .bucket(LAB)
        .key(key)
        .body(ByteStream::from_static(b"mine"));
    let all_users = "uri=http://acs.amazonaws.com/groups/global/AllUsers";
    let req = match how {
        Upload::Plain => req,
        Upload::Canned(acl) => req.acl(ObjectCannedAcl::from(acl)),
        Upload::GrantRead => req.grant_read(all_users),
        Upload::GrantReadAcp => req.grant_read_acp(all_users),
        Upload::GrantWriteAcp => req.grant_write_acp(all_users),
        Upload::GrantFullControl => req.grant_full_control(all_users),
    };
    req.send().await.map(|_| ()).map_err(|e| {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        e.code().unwrap_or("?").to_owned()
    })
}

#[rstest::rstest]
#[case::public_read(Upload::Canned("public-read"), false)]
#[case::public_read_write(Upload::Canned("public-read-write"), false)]
#[case::authenticated_read(Upload::Canned("authenticated-read"), false)]
#[case::grant_read(Upload::GrantRead, false)]
#[case::grant_read_acp(Upload::GrantReadAcp, false)]
#[case::grant_write_acp(Upload::GrantWriteAcp, false)]
#[case::grant_full_control(Upload::GrantFullControl, false)]
#[case::private(Upload::Canned("private"), true)]
#[case::bucket_owner_full_control(Upload::Canned("bucket-owner-full-control"), true)]
#[case::no_acl(Upload::Plain, true)]
#[tokio::test]
async fn members_who_upload_cannot_set_acls(#[case] how: Upload, #[case] allowed: bool) {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let members = [
        ("wendy", Role::Writer, "data/"),
        ("manny", Role::Manager, ""),
        ("sam", Role::Steward, ""),
    ];
    let mut clients = Vec::new();
    for (user, role, prefix) in members {
        clients.push((user, client(&lab.fake, PLATFORM, user, &[])));
        k.share_grant(LAB, user, role, prefix, false)
            .await
            .unwrap_or_else(|e| panic!("{user}: {e}"));
    }
    for (user, s3) in &clients {
        let key = format!("data/{user}.csv");
        let got = upload(s3, &key, how).await;
        if allowed {
            assert_eq!(got, Ok(()), "{user} {how:?}");
        } else {
            assert_eq!(got, Err("AccessDenied".to_owned()), "{user} {how:?}");
            assert_eq!(
                anonymous_get(&lab, &key).await,
                403,
                "{user} {how:?}: nothing public"
            );
        }
        // Changing an object's ACL afterwards is refused too.
        let re_acl = s3
            .put_object_acl()
            .bucket(LAB)
            .key("data/a.csv")
            .acl(ObjectCannedAcl::PublicRead)
            .send()
            .await;
        assert!(re_acl.is_err(), "{user} set an ACL");
    }
    assert_eq!(anonymous_get(&lab, "data/a.csv").await, 403);
    // The table's Denies are the table's: lint-clean, and an import gives the table back.
    let view = k.share_show(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(view.findings.is_empty(), "{:?}", view.findings);
    let text = live(&lab).await.unwrap_or_default();
    let imported = shares::import(LAB, &text, Dialect::Ceph).unwrap_or_else(|e| panic!("{e}"));
    assert!(imported.kept.is_empty(), "{:?}", imported.kept);
    assert_eq!(imported.members.len(), 3);
}

#[tokio::test]
async fn a_revoked_writer_keeps_nothing_until_forgotten_in_the_ceph_dialect() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let wendy = client(&lab.fake, PLATFORM, "wendy", &[UPLOADER_OWNS]);
    k.share_grant(LAB, "wendy", Role::Writer, "data/", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    put(&wendy, "data/wendy.csv")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let change = k
        .share_revoke(LAB, "wendy", None, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(change.share.former.len(), 1, "{:?}", change.share);
    assert_eq!(change.share.former[0].user, "wendy");
    // What she uploaded (and owns, as RGW has it) is out of her reach.
    assert!(!get(&wendy, "data/wendy.csv").await, "read after revoke");
    assert!(wendy
        .put_object_acl()
        .bucket(LAB)
        .key("data/wendy.csv")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .is_err());
    assert!(put(&wendy, "data/again.csv").await.is_err());
    // Persisted: another instance on the same database shows her, in text and JSON.
    let other = service(
        &lab.fake,
        &lab.owner_creds,
        &lab.database_url,
        Dialect::Ceph,
    )
    .await;
    let shown = other
        .share_show(LAB)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_value(&shown).unwrap_or(Value::Null);
    assert_eq!(json["former"][0]["user"], "wendy", "{json}");
    assert!(k.share_drift().await.unwrap_or_default().is_empty());
    // The report shows her with nothing, and the owner is not locked out.
    let report = k.share_report(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.lockouts.is_empty(), "{:?}", report.lockouts);
    // Forget lifts the Deny: her own (ownership) access is back; a second forget finds nothing.
    let forgotten = other
        .share_forget(LAB, "wendy", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(forgotten.share.former.is_empty());
    assert!(
        get(&wendy, "data/wendy.csv").await,
        "the Deny was what kept her out"
    );
    assert!(matches!(
        k.share_forget(LAB, "wendy", false).await,
        Err(KeeperError::NotFound(_))
    ));
    // Revoked again, then granted again: a grant takes her out of the former members.
    k.share_grant(LAB, "wendy", Role::Reader, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    k.share_revoke(LAB, "wendy", None, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let regranted = k
        .share_grant(LAB, "wendy", Role::Reader, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(regranted.share.former.is_empty());
    assert!(get(&wendy, "README.txt").await);
    // A hand edit adopted keeps former members: the Deny is read back as one.
    k.share_revoke(LAB, "wendy", None, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = live(&lab).await.unwrap_or_default();
    let imported = shares::import(LAB, &text, Dialect::Ceph).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(imported.former.len(), 1);
    assert!(imported.kept.is_empty(), "{:?}", imported.kept);
}

/// (The owner is never made a former member: unit-tested in `keeper::shares`, because the fake's
/// GetBucketAcl names the owning account's canonical id where RGW names the owning user.)
#[tokio::test]
async fn aws_revokes_as_before_without_former_members() {
    let Lab {
        fake, keeper: k, ..
    } = aws_lab(&[PLATFORM]).await;
    let _ = client(&fake, PLATFORM, "bob", &[]);
    let bob = format!("arn:aws:iam::{PLATFORM}:user/bob");
    k.share_grant(LAB, &bob, Role::Writer, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let change = k
        .share_revoke(LAB, &bob, None, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(change.share.former.is_empty() && change.share.policy.is_none());
}

#[tokio::test]
async fn forget_over_http_is_documented() {
    let api = crate::service_api::start(None).await;
    let doc = crate::service_api::openapi();
    for (body, status) in [
        (
            json!({"user": format!("arn:aws:iam::{PLATFORM}:user/nobody")}),
            404,
        ),
        (json!({"user": "x", "surprise": 1}), 400),
    ] {
        let path = format!("/shares/{LAB}/forget");
        let text = body.to_string();
        let reply = api.call_with("POST", &path, Some(&text), None).await;
        crate::service_api::assert_documented(&doc, "POST", &path, &reply);
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
    }
}

// ---------------------------------------------------------------------------------------------
// C. A steward's Deny that locks the owner or s3keeper out.

async fn steward_adds(lab_owner_live: Option<String>, steward: &aws_sdk_s3::Client, deny: Value) {
    let mut policy: Value =
        serde_json::from_str(&lab_owner_live.unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    if let Some(st) = policy["Statement"].as_array_mut() {
        st.push(deny);
    }
    steward
        .put_bucket_policy()
        .bucket(LAB)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

fn lock_out_message(r: Result<impl std::fmt::Debug, KeeperError>, how: &str) {
    match r {
        Err(KeeperError::Forbidden(m)) => {
            assert!(m.contains("locks") && m.contains(how), "{m}");
            assert!(!m.contains("iam-policy"), "blames IAM: {m}");
        }
        other => panic!("not a lock-out: {other:?}"),
    }
}

#[rstest::rstest]
#[case::everything_to_the_owner("s3:*", "arn:aws:iam:::user/pi", false)]
#[case::the_policy_to_the_owner("s3:PutBucketPolicy", "arn:aws:iam:::user/pi", false)]
#[case::the_policy_to_everyone("s3:PutBucketPolicy", "*", true)]
#[tokio::test]
async fn a_stewards_deny_of_the_owner_is_reported_and_explained_in_the_ceph_dialect(
    #[case] action: &str,
    #[case] principal: &str,
    // Whether the report can name the owner (the fake's GetBucketAcl gives the owning account's
    // canonical id, not the RGW user `pi`, so a Deny naming `pi` is not the owner's to it).
    #[case] owner_in_report: bool,
) {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let sam = client(&lab.fake, PLATFORM, "sam", &[]);
    k.share_grant(LAB, "sam", Role::Steward, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    steward_adds(
        live(&lab).await,
        &sam,
        json!({"Sid": "mine-now", "Effect": "Deny",
               "Principal": if principal == "*" { json!("*") } else { json!({"AWS": principal}) },
               "Action": action, "Resource": ["arn:aws:s3:::lab-data", "arn:aws:s3:::lab-data/*"]}),
    )
    .await;
    let _dave = client(&lab.fake, PLATFORM, "dave", &[]);
    lock_out_message(
        k.share_grant(LAB, "dave", Role::Reader, "", true).await,
        "s3cmd delpolicy",
    );
    if action == "s3:*" {
        lock_out_message(k.share_report(LAB).await, "s3cmd delpolicy");
    } else if owner_in_report {
        let report = k.share_report(LAB).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.lockouts.len(), 1, "{:?}", report.lockouts);
        assert_eq!(report.lockouts[0].who, "owner");
        assert_eq!(report.lockouts[0].denied, ["change-policy"]);
        let lines = s3keeper::cli::shares::report_lines(&report).join("\n");
        assert!(lines.contains("locked out"), "{lines}");
    }
}

#[tokio::test]
async fn a_stewards_deny_of_the_service_is_reported_and_explained_on_aws() {
    let Lab {
        fake,
        keeper: k,
        owner,
        ..
    } = aws_lab(&[PLATFORM]).await;
    let sam = client(&fake, PLATFORM, "sam", &[]);
    let sam_arn = format!("arn:aws:iam::{PLATFORM}:user/sam");
    k.share_grant(LAB, &sam_arn, Role::Steward, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let service_arn = format!("arn:aws:iam::{PLATFORM}:user/lab-admin");
    let current = owner
        .get_bucket_policy()
        .bucket(LAB)
        .send()
        .await
        .ok()
        .and_then(|o| o.policy().map(str::to_owned));
    // First only the policy calls: the report, still readable, names s3keeper as locked out.
    steward_adds(
        current.clone(),
        &sam,
        json!({"Sid": "no-keeper", "Effect": "Deny", "Principal": {"AWS": service_arn},
               "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::lab-data"}),
    )
    .await;
    let report = k.share_report(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report
            .lockouts
            .iter()
            .any(|l| l.who == "s3keeper" && l.denied == ["change-policy"]),
        "{:?}",
        report.lockouts
    );
    lock_out_message(
        k.share_grant(LAB, PLATFORM, Role::Reader, "", true).await,
        "delete-bucket-policy",
    );
    // Then everything: S3 says an explicit deny in a resource-based policy refused the read.
    steward_adds(
        current,
        &sam,
        json!({"Sid": "no-keeper", "Effect": "Deny", "Principal": {"AWS": service_arn},
               "Action": "s3:*", "Resource": ["arn:aws:s3:::lab-data", "arn:aws:s3:::lab-data/*"]}),
    )
    .await;
    lock_out_message(k.share_report(LAB).await, "root user");
}
