//! Shared buckets with roles (issue 12): `share` against the fake through the SDK in both
//! dialects (the guide's examples on a grid are in `shares_guide`): each member with their own key pair, a steward's hand edit refused then adopted,
//! imports that keep what they cannot express, principals S3 does not know, the 20 KB limit, and
//! concurrent grants from two instances on PostgreSQL.

use aws_sdk_s3::primitives::ByteStream;
use fake_s3::{FakeAws, FakeAwsHandle};
use s3keeper::keeper::{Keeper, Settings};
use s3keeper::runtime::{self, ServiceArgs};
use s3keeper::shares::{Dialect, Role};
use s3keeper::KeeperError;
use serde_json::{json, Value};

use crate::service_support::{fresh_database, Backend, PEOPLE, PLATFORM, READER};

// ---------------------------------------------------------------------------------------------
// Against the fake.

pub(crate) const LAB: &str = "lab-data";

/// What the PI (the owner's key pair, which the service holds) may do: everything on the lab's
/// buckets, and list its own buckets (which an RGW user always may).
pub(crate) const OWNER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::lab-*"]},{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;

pub(crate) struct Lab {
    pub(crate) fake: FakeAwsHandle,
    pub(crate) keeper: Keeper,
    pub(crate) owner: aws_sdk_s3::Client,
    pub(crate) database_url: String,
    pub(crate) owner_creds: fake_s3::Credentials,
}

/// A Ceph-dialect fake, the PI's bucket with a few objects, and a service holding the PI's key
/// pair (no root, no STS).
pub(crate) async fn ceph_lab(backend: Backend) -> Lab {
    lab(Dialect::Ceph, &[PLATFORM], "pi", backend).await
}

/// An AWS-dialect fake with `accounts` (the platform's first), the bucket of `lab-admin` (a user
/// of the platform account) and a service holding that user's keys, on SQLite.
pub(crate) async fn aws_lab(accounts: &[&str]) -> Lab {
    lab(Dialect::Aws, accounts, "lab-admin", Backend::Sqlite).await
}

async fn lab(dialect: Dialect, accounts: &[&str], owner_name: &str, backend: Backend) -> Lab {
    let mut builder = FakeAws::builder().ceph_dialect(dialect == Dialect::Ceph);
    for a in accounts {
        builder = builder.account(a);
    }
    let fake = builder
        .start()
        .await
        .unwrap_or_else(|e| panic!("fake: {e}"));
    let (owner, creds) = owned_bucket(&fake, owner_name).await;
    let database_url = fresh_database(backend).await;
    let keeper = service(&fake, &creds, &database_url, dialect).await;
    Lab {
        fake,
        keeper,
        owner,
        database_url,
        owner_creds: creds,
    }
}

/// The lab bucket, created with a few objects by its owner `name` (a user of the platform account
/// with everything on `lab-*`).
pub(crate) async fn owned_bucket(
    fake: &FakeAwsHandle,
    name: &str,
) -> (aws_sdk_s3::Client, fake_s3::Credentials) {
    let (_, creds) = fake
        .create_user(PLATFORM, name, &[OWNER])
        .unwrap_or_else(|e| panic!("{e}"));
    let owner = aws_sdk_s3::Client::new(&fake.sdk_config(&creds));
    owner
        .create_bucket()
        .bucket(LAB)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for key in [
        "README.txt",
        "data/a.csv",
        "test_folder/x.jpg",
        "test_folder/x.txt",
    ] {
        put(&owner, key)
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    (owner, creds)
}

pub(crate) async fn service(
    fake: &FakeAwsHandle,
    creds: &fake_s3::Credentials,
    database_url: &str,
    dialect: Dialect,
) -> Keeper {
    let mut settings = Settings::new(
        if dialect == Dialect::Ceph {
            ""
        } else {
            PLATFORM
        },
        "us-east-1",
    );
    settings.dialect = dialect;
    settings.shared_buckets = vec!["lab-*".to_owned()];
    runtime::connect(
        &ServiceArgs::with_database(database_url),
        &fake.sdk_config(creds),
        settings,
        "test",
    )
    .await
    .unwrap_or_else(|e| panic!("keeper: {e}"))
}

pub(crate) fn client(
    fake: &FakeAwsHandle,
    account: &str,
    name: &str,
    policies: &[&str],
) -> aws_sdk_s3::Client {
    let (_, creds) = fake
        .create_user(account, name, policies)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    aws_sdk_s3::Client::new(&fake.sdk_config(&creds))
}

pub(crate) async fn put(s3: &aws_sdk_s3::Client, key: &str) -> Result<(), String> {
    s3.put_object()
        .bucket(LAB)
        .key(key)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

pub(crate) async fn get(s3: &aws_sdk_s3::Client, key: &str) -> bool {
    s3.get_object().bucket(LAB).key(key).send().await.is_ok()
}

async fn delete(s3: &aws_sdk_s3::Client, key: &str) -> bool {
    s3.delete_object().bucket(LAB).key(key).send().await.is_ok()
}

async fn list(s3: &aws_sdk_s3::Client, prefix: &str) -> bool {
    s3.list_objects_v2()
        .bucket(LAB)
        .prefix(prefix)
        .send()
        .await
        .is_ok()
}

pub(crate) async fn live(lab: &Lab) -> Option<String> {
    lab.owner
        .get_bucket_policy()
        .bucket(LAB)
        .send()
        .await
        .ok()
        .and_then(|o| o.policy().map(str::to_owned))
}

#[tokio::test]
async fn each_role_does_what_it_says_with_its_own_key_pair_in_the_ceph_dialect() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let bob = client(&lab.fake, PLATFORM, "bob", &[]);
    let jane = client(&lab.fake, PLATFORM, "jane@uab.edu", &[]);
    let mgr = client(&lab.fake, PLATFORM, "erin", &[]);
    let sam = client(&lab.fake, PLATFORM, "sam", &[]);
    let mallory = client(&lab.fake, PLATFORM, "mallory", &[]);
    for (user, role, prefix) in [
        ("bob", Role::Reader, ""),
        ("jane@uab.edu", Role::Writer, "data/"),
        ("erin", Role::Manager, ""),
        ("sam", Role::Steward, ""),
    ] {
        k.share_grant(LAB, user, role, prefix, false)
            .await
            .unwrap_or_else(|e| panic!("{user}: {e}"));
    }
    // reader
    assert!(get(&bob, "README.txt").await && list(&bob, "").await);
    assert!(put(&bob, "bob.txt").await.is_err());
    // writer under data/
    assert!(put(&jane, "data/new.csv").await.is_ok());
    assert!(
        put(&jane, "README.txt").await.is_err(),
        "outside its prefix"
    );
    assert!(
        list(&jane, "data/").await && !list(&jane, "").await,
        "lists only data/"
    );
    assert!(
        !delete(&jane, "data/new.csv").await,
        "a writer does not delete"
    );
    // manager
    assert!(delete(&mgr, "data/new.csv").await);
    assert!(
        mgr.get_bucket_policy().bucket(LAB).send().await.is_err(),
        "a manager does not see the policy"
    );
    // steward
    let policy = sam
        .get_bucket_policy()
        .bucket(LAB)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(policy.policy().is_some_and(|p| p.contains("change-policy")));
    // outsider
    assert!(!get(&mallory, "README.txt").await && !list(&mallory, "").await);
    // revoke
    k.share_revoke(LAB, "bob", None, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!get(&bob, "README.txt").await, "revoked");
    let Err(KeeperError::NotFound(_)) = k.share_revoke(LAB, "bob", None, false).await else {
        panic!("a second revoke found something")
    };
    // The report, from the live policy.
    let report = k.share_report(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    let row = |u: &str| {
        report
            .principals
            .iter()
            .find(|p| p.user == u)
            .unwrap_or_else(|| panic!("{u} missing from the report"))
    };
    assert!(report.principals[0].owner && report.principals[0].change_policy);
    assert_eq!(row("jane@uab.edu").write.under, vec!["data/*".to_owned()]);
    assert!(row("erin").delete.everywhere && !row("erin").change_policy);
    assert!(row("sam").change_policy);
    // Bob is gone from the live policy's Allows; in the Ceph dialect he stays named only in the
    // former members' Deny (issue 18), so his row allows nothing.
    assert!(
        report
            .principals
            .iter()
            .filter(|p| p.user == "bob")
            .all(|p| p.list.none() && p.read.none() && p.write.none() && !p.change_policy),
        "bob is gone from the live policy's Allows"
    );
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    // Only S3 was called: RGW may serve neither STS nor S3 Control.
    let service = "arn:aws:iam::111122223333:user/pi";
    let ops: Vec<String> = lab
        .fake
        .journal()
        .into_iter()
        .filter(|e| e.principal == service)
        .map(|e| e.operation)
        .collect();
    assert!(ops.iter().any(|o| o == "PutBucketPolicy"));
    assert!(
        ops.iter().all(|o| matches!(
            o.as_str(),
            "CreateBucket"
                | "PutObject"
                | "GetBucketPolicy"
                | "PutBucketPolicy"
                | "GetBucketAcl"
                // `share report` checks which of the members' uploads the owner can read.
                | "ListBuckets"
                | "ListObjectsV2"
                | "HeadObject"
        )),
        "{ops:?}"
    );
}

#[tokio::test]
async fn a_stewards_hand_edit_is_refused_with_a_diff_then_kept_with_adopt() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let sam = client(&lab.fake, PLATFORM, "sam", &[]);
    let mallory = client(&lab.fake, PLATFORM, "mallory", &[]);
    let dave = client(&lab.fake, PLATFORM, "dave", &[]);
    k.share_grant(LAB, "sam", Role::Steward, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(k
        .share_drift()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .is_empty());
    // The steward adds a principal by hand, as the guide has stewards do.
    let mut edited: Value = serde_json::from_str(&live(&lab).await.unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(st) = edited["Statement"].as_array_mut() {
        st.push(json!({"Sid": "visitor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/mallory"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lab-data/README.txt"}));
    }
    sam.put_bucket_policy()
        .bucket(LAB)
        .policy(edited.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let edited_live = live(&lab).await;
    assert!(get(&mallory, "README.txt").await);
    let drift = k.share_drift().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drift.len(), 1, "reconcile reports the edit");
    assert!(drift[0].diff.contains("visitor"), "{}", drift[0].diff);
    match k.share_grant(LAB, "dave", Role::Reader, "", false).await {
        Err(KeeperError::Conflict(m)) => {
            assert!(
                m.contains("--adopt") && m.contains("+       \"Sid\": \"visitor\""),
                "{m}"
            );
        }
        other => panic!("the hand edit was not caught: {other:?}"),
    }
    assert_eq!(live(&lab).await, edited_live, "nothing written");
    assert!(!get(&dave, "README.txt").await);
    let change = k
        .share_grant(LAB, "dave", Role::Reader, "", true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(change.adopted);
    assert_eq!(change.share.kept.len(), 1, "{:?}", change.share.kept);
    assert!(get(&dave, "README.txt").await, "granted");
    assert!(get(&mallory, "README.txt").await, "the edit kept");
    assert!(!get(&mallory, "data/a.csv").await);
    // Later changes need no --adopt, and a revoke without --prefix also leaves kept statements.
    k.share_revoke(LAB, "mallory", None, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !get(&mallory, "README.txt").await,
        "removed from the kept statement"
    );
    // A steward who deletes the policy: adopted as an empty table, so only the new grant remains.
    sam.delete_bucket_policy()
        .bucket(LAB)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(matches!(
        k.share_grant(LAB, "mallory", Role::Reader, "", false).await,
        Err(KeeperError::Conflict(_))
    ));
    let change = k
        .share_grant(LAB, "mallory", Role::Reader, "", true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let users: Vec<&str> = change
        .share
        .members
        .iter()
        .map(|m| m.user.as_str())
        .collect();
    assert_eq!(users, ["mallory"], "the deletion was adopted");
    assert!(!get(&dave, "README.txt").await && get(&mallory, "README.txt").await);
    let audit = k
        .audit(&s3keeper::keeper::AuditFilter::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(audit
        .iter()
        .any(|e| e.action == "share-adopted" && e.detail.contains("visitor")));
}

#[tokio::test]
async fn import_reads_a_hand_written_policy_and_keeps_what_it_cannot_express() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let bob = client(&lab.fake, PLATFORM, "bob", &[]);
    let carol = client(&lab.fake, PLATFORM, "carol", &[]);
    let _jane = client(&lab.fake, PLATFORM, "jane@uab.edu", &[]);
    let hand = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "list-bucket", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/jane@uab.edu"]},
         "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::lab-data"]},
        {"Sid": "read-write", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/jane@uab.edu"]},
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::lab-data/*"]},
        {"Sid": "everything for carol", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/carol"]},
         "Action": ["s3:*"], "Resource": ["arn:aws:s3:::lab-data", "arn:aws:s3:::lab-data/*"]}
    ]});
    lab.owner
        .put_bucket_policy()
        .bucket(LAB)
        .policy(hand.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // Without an import or --adopt, the service will not overwrite it.
    assert!(matches!(
        k.share_grant(LAB, "bob", Role::Reader, "", false).await,
        Err(KeeperError::Conflict(_))
    ));
    let view = k.share_import(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    let table: Vec<(&str, Role)> = view
        .members
        .iter()
        .map(|m| (m.user.as_str(), m.role))
        .collect();
    assert_eq!(
        table,
        [("bob", Role::Writer), ("jane@uab.edu", Role::Writer)]
    );
    assert_eq!(view.kept, vec![hand["Statement"][2].clone()]);
    let shown = k.share_show(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shown.kept.len(), 1);
    // The next change renders the table and keeps carol's statement.
    k.share_grant(LAB, "bob", Role::Manager, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(delete(&bob, "data/a.csv").await);
    assert!(
        put(&carol, "carol.txt").await.is_ok(),
        "the kept statement still acts"
    );
    assert!(live(&lab)
        .await
        .unwrap_or_default()
        .contains("everything for carol"));
}

#[tokio::test]
async fn across_accounts_on_aws_with_arns_and_account_ids() {
    let Lab {
        fake,
        keeper: k,
        owner,
        ..
    } = aws_lab(&[PLATFORM, PEOPLE]).await;
    let ann = client(&fake, PEOPLE, "ann", &[READER]);
    let writer = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let ben = client(&fake, PEOPLE, "ben", &[writer]);
    let ann_arn = format!("arn:aws:iam::{PEOPLE}:user/ann");
    k.share_grant(LAB, &ann_arn, Role::Reader, "", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(get(&ann, "README.txt").await);
    assert!(!get(&ben, "README.txt").await, "only ann was named");
    // An account id stands for every identity of the account its own policies allow.
    k.share_grant(LAB, PEOPLE, Role::Writer, "in/", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(put(&ben, "in/ben.txt").await.is_ok());
    assert!(put(&ben, "out.txt").await.is_err());
    assert!(
        put(&ann, "in/ann.txt").await.is_err(),
        "ann's own policy does not allow PutObject"
    );
    // A bare name is a Ceph user name: refused on AWS.
    assert!(matches!(
        k.share_grant(LAB, "bob", Role::Reader, "", false).await,
        Err(KeeperError::Invalid(_))
    ));
    // A principal S3 does not know: named, nothing written.
    let before = owner
        .get_bucket_policy()
        .bucket(LAB)
        .send()
        .await
        .ok()
        .and_then(|o| o.policy().map(str::to_owned));
    let ghost = format!("arn:aws:iam::{PEOPLE}:user/ghost");
    match k.share_grant(LAB, &ghost, Role::Reader, "", false).await {
        Err(KeeperError::Invalid(m)) => {
            assert!(m.contains(&ghost) && !m.contains("user/ann"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    let after = owner
        .get_bucket_policy()
        .bucket(LAB)
        .send()
        .await
        .ok()
        .and_then(|o| o.policy().map(str::to_owned));
    assert_eq!(before, after, "the live policy is as it was");
    assert!(get(&ann, "README.txt").await);
    k.share_revoke(LAB, &ann_arn, None, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!get(&ann, "README.txt").await);
    // The service's own buckets and buckets outside --shared-buckets are refused.
    assert!(matches!(
        k.share_grant(
            LAB.replace("lab", "other").as_str(),
            &ann_arn,
            Role::Reader,
            "",
            false
        )
        .await,
        Err(KeeperError::Forbidden(_))
    ));
    let report = k.share_report(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    let people = report
        .principals
        .iter()
        .find(|p| p.user == PEOPLE)
        .unwrap_or_else(|| panic!("{report:?}"));
    assert!(people.needs_own_allow && people.write.under == ["in/*"]);
}

#[tokio::test]
async fn a_policy_over_twenty_kilobytes_is_refused_and_nothing_is_written() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let long = |i: usize| format!("{}-{i:03}@research.example.edu", "member".repeat(6));
    let mut refused = None;
    for i in 0..200 {
        let name = long(i);
        let _ = client(&lab.fake, PLATFORM, &name, &[]);
        let before = live(&lab).await;
        match k.share_grant(LAB, &name, Role::Reader, "", false).await {
            Ok(c) => assert!(c.share.bytes <= 20 * 1024),
            Err(KeeperError::Limit(m)) => {
                assert!(m.contains("bytes") && m.contains("20480"), "{m}");
                assert_eq!(live(&lab).await, before, "nothing written");
                refused = Some(i);
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let at = refused.unwrap_or_else(|| panic!("200 long names fit in 20 KB?"));
    let view = k.share_show(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        view.members.len(),
        at,
        "the refused member was not recorded"
    );
}

#[tokio::test]
async fn concurrent_grants_from_two_instances_on_postgresql_lose_nothing() {
    let lab = ceph_lab(Backend::Postgres).await;
    let second = service(
        &lab.fake,
        &lab.owner_creds,
        &lab.database_url,
        Dialect::Ceph,
    )
    .await;
    let names: Vec<String> = (0..16).map(|i| format!("member{i:02}")).collect();
    for n in &names {
        let _ = client(&lab.fake, PLATFORM, n, &[]);
    }
    let mut tasks = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let k = if i % 2 == 0 {
            lab.keeper.clone()
        } else {
            second.clone()
        };
        let n = n.clone();
        tasks.push(tokio::spawn(async move {
            k.share_grant(LAB, &n, Role::Reader, "", false)
                .await
                .map(|_| ())
        }));
    }
    for t in tasks {
        t.await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let view = lab
        .keeper
        .share_show(LAB)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view.members.len(), names.len());
    let policy = live(&lab).await.unwrap_or_default();
    for n in &names {
        assert!(
            policy.contains(&format!("arn:aws:iam:::user/{n}\"")),
            "{n} lost from the live policy"
        );
    }
    assert!(lab
        .keeper
        .share_drift()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .is_empty());
}

#[tokio::test]
async fn the_http_api_grants_shows_reports_and_revokes_as_documented() {
    let api = crate::service_api::start(None).await;
    let doc = crate::service_api::openapi();
    let root = api
        .env
        .fake
        .root_credentials(PLATFORM)
        .unwrap_or_else(|e| panic!("{e}"));
    let owner = aws_sdk_s3::Client::new(&api.env.fake.sdk_config(&root));
    owner
        .create_bucket()
        .bucket(LAB)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    put(&owner, "README.txt")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ann = client(&api.env.fake, PEOPLE, "ann", &[READER]);
    let ann_arn = format!("arn:aws:iam::{PEOPLE}:user/ann");
    let call = |method: &'static str, path: String, body: Option<Value>| {
        let api = &api;
        let doc = &doc;
        async move {
            let text = body.map(|b| b.to_string());
            let reply = api.call_with(method, &path, text.as_deref(), None).await;
            crate::service_api::assert_documented(doc, method, &path, &reply);
            reply
        }
    };
    let granted = call(
        "POST",
        format!("/shares/{LAB}/grants"),
        Some(json!({"user": ann_arn, "role": "reader", "prefix": ""})),
    )
    .await;
    assert_eq!(granted.status, 200, "{}", granted.text);
    assert_eq!(granted.json["share"]["members"][0]["role"], "reader");
    assert!(get(&ann, "README.txt").await);
    let shown = call("GET", format!("/shares/{LAB}"), None).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json["policy"]["Statement"][0]["Sid"], "list-bucket");
    let report = call("GET", format!("/shares/{LAB}/report"), None).await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(report.json["principals"].as_array().is_some_and(|p| p
        .iter()
        .any(|p| p["principal"] == ann_arn.as_str()
            && p["read"]["everywhere"] == true
            && p["needs_own_allow"] == true)));
    // Bad input: 400 and nothing written.
    for bad in [
        json!({"user": ann_arn, "role": "admin"}),
        json!({"user": "ann", "role": "reader"}),
        json!({"user": ann_arn, "role": "steward", "prefix": "x/"}),
        json!({"user": ann_arn, "role": "reader", "surprise": 1}),
    ] {
        let r = call("POST", format!("/shares/{LAB}/grants"), Some(bad.clone())).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    // A hand edit: 409 with the diff, then adopted.
    owner
        .put_bucket_policy()
        .bucket(LAB)
        .policy(
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "by-hand", "Effect": "Allow",
                "Principal": {"AWS": ann_arn}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lab-data/*"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let body = json!({"user": PEOPLE, "role": "reader"});
    let refused = call("POST", format!("/shares/{LAB}/grants"), Some(body.clone())).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.text.contains("by-hand"), "{}", refused.text);
    let mut adopt = body;
    adopt["adopt"] = json!(true);
    let adopted = call("POST", format!("/shares/{LAB}/grants"), Some(adopt)).await;
    assert_eq!(adopted.status, 200, "{}", adopted.text);
    assert_eq!(adopted.json["adopted"], true);
    let revoked = call(
        "POST",
        format!("/shares/{LAB}/revoke"),
        Some(json!({"user": ann_arn})),
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(
        revoked.json["removed_from_kept"], 1,
        "the hand edit's statement named ann"
    );
    assert!(!revoked.json["share"].to_string().contains(&ann_arn));
    // Her account is still granted, and her own policy lets her read: the account must go too.
    assert!(get(&ann, "README.txt").await);
    let revoked = call(
        "POST",
        format!("/shares/{LAB}/revoke"),
        Some(json!({"user": PEOPLE})),
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert!(!get(&ann, "README.txt").await);
    let missing = call("GET", "/shares/lab-nothing/report".to_owned(), None).await;
    assert_eq!(missing.status, 404, "{}", missing.text);
}

#[tokio::test]
async fn a_revoke_keeps_a_hand_written_deny_and_import_keeps_exact_keys() {
    let lab = ceph_lab(Backend::Sqlite).await;
    let k = &lab.keeper;
    let bob = client(&lab.fake, PLATFORM, "bob", &[]);
    let carol = client(&lab.fake, PLATFORM, "carol", &[]);
    // A steward's policy: bob and carol list and read everything, except that bob may not read
    // data/; carol may read README.txt exactly (not README.txt.bak).
    let hand = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "list-bucket", "Effect": "Allow",
         "Principal": {"AWS": ["arn:aws:iam:::user/bob", "arn:aws:iam:::user/carol"]},
         "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::lab-data"},
        {"Sid": "read", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lab-data/*"},
        {"Sid": "only-readme", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/carol"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lab-data/README.txt"},
        {"Sid": "not-data", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lab-data/data/*"}
    ]});
    lab.owner
        .put_bucket_policy()
        .bucket(LAB)
        .policy(hand.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let view = k.share_import(LAB).await.unwrap_or_else(|e| panic!("{e}"));
    let table: Vec<(&str, Role, &str)> = view
        .members
        .iter()
        .map(|m| (m.user.as_str(), m.role, m.prefix.as_str()))
        .collect();
    assert_eq!(
        table,
        [("bob", Role::Reader, "")],
        "carol's exact key is not a prefix"
    );
    let kept: Vec<&str> = view.kept.iter().filter_map(|s| s["Sid"].as_str()).collect();
    assert_eq!(kept, ["list-bucket", "only-readme", "not-data"]);
    put(&lab.owner, "README.txt.bak")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A grant renders the table: carol still reads README.txt only, bob still not data/.
    let _dave = client(&lab.fake, PLATFORM, "dave", &[]);
    k.share_grant(LAB, "dave", Role::Reader, "data/", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(get(&carol, "README.txt").await);
    assert!(
        !get(&carol, "README.txt.bak").await,
        "an exact key stays exact"
    );
    assert!(!get(&bob, "data/a.csv").await, "the Deny still acts");
    assert!(get(&bob, "README.txt").await);
    // Revoking bob takes him out of the Allows he is named in, never out of the Deny.
    let change = k
        .share_revoke(LAB, "bob", None, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        change.removed_from_kept, 0,
        "the list-bucket Allow names carol too: narrowed"
    );
    let live = live(&lab).await.unwrap_or_default();
    assert!(live.contains("not-data"), "{live}");
    assert!(!get(&bob, "README.txt").await);
}
