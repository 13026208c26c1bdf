//! fake-s3's Ceph dialect answers as real Ceph RGW 16.2 does (issue 23): each test is one of the
//! differences `scripts/rgw-diff.py` found between RGW 16.2 and the fake (D1–D26 of the
//! findings), written from what RGW answered. The users are the harness's,
//! `scripts/fake-s3-shares-ceph.json`: `pi`, `bob`, `wendy`, `mallory`, … each in a 12-digit account
//! of their own (RGW's default tenant), and `tina` of tenant `uab`; each has `s3:*` on its own
//! things. Protocol details (errors, forms, presigned URLs, listings, multipart, versioning,
//! tagging) and the AWS-dialect changes the same findings led to are in [`protocol`].

mod protocol;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, CompletedMultipartUpload, CompletedPart, Grant, Grantee,
    ObjectCannedAcl, Owner, Permission, Type,
};
use fake_s3::{Credentials, FakeAws, FakeAwsHandle};
use rstest::rstest;
use serde_json::{json, Value};

use crate::support::err_code;

const BOB: &str = "arn:aws:iam:::user/bob";
const WENDY: &str = "arn:aws:iam:::user/wendy";
const TINA: &str = "arn:aws:iam::uab:user/tina";

/// A Ceph-dialect fake with the harness's users, and their key pairs by user name.
pub(crate) struct Lab {
    pub fake: FakeAwsHandle,
    keys: HashMap<String, Credentials>,
}

pub(crate) async fn lab() -> Lab {
    let text = include_str!("../../scripts/fake-s3-shares-ceph.json");
    let config = fake_s3::Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let fake = FakeAws::builder()
        .config(&config)
        .unwrap_or_else(|e| panic!("{e}"))
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    let mut keys = HashMap::new();
    for account in doc["accounts"].as_array().into_iter().flatten() {
        for user in account["users"].as_array().into_iter().flatten() {
            let key = &user["keys"][0];
            keys.insert(
                user["name"].as_str().unwrap_or_default().to_owned(),
                Credentials {
                    access_key_id: key["access_key_id"].as_str().unwrap_or_default().into(),
                    secret_access_key: key["secret_access_key"].as_str().unwrap_or_default().into(),
                    session_token: None,
                },
            );
        }
    }
    Lab { fake, keys }
}

/// The status of the last response a client received (its SDK hides a success's status).
#[derive(Debug, Clone, Default)]
pub(crate) struct LastStatus(Arc<AtomicU16>);

impl LastStatus {
    pub fn get(&self) -> u16 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Intercept for LastStatus {
    fn name(&self) -> &'static str {
        "LastStatus"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.0
            .store(context.response().status().as_u16(), Ordering::SeqCst);
        Ok(())
    }
}

impl Lab {
    /// A lab of any fake, with one key pair, `root`'s.
    pub fn for_root(fake: FakeAwsHandle, root: Credentials) -> Lab {
        Lab {
            fake,
            keys: HashMap::from([("root".to_owned(), root)]),
        }
    }

    pub fn creds(&self, user: &str) -> &Credentials {
        self.keys
            .get(user)
            .unwrap_or_else(|| panic!("no user {user}"))
    }

    /// A path-style client for `user` (tenant bucket names cannot be host names).
    pub fn s3(&self, user: &str) -> aws_sdk_s3::Client {
        self.s3_with_status(user).0
    }

    /// [`Lab::s3`], and the status of the last response it received.
    pub fn s3_with_status(&self, user: &str) -> (aws_sdk_s3::Client, LastStatus) {
        let status = LastStatus::default();
        let config = aws_sdk_s3::config::Builder::from(&self.fake.sdk_config(self.creds(user)))
            .force_path_style(true)
            .interceptor(status.clone())
            .build();
        (aws_sdk_s3::Client::from_conf(config), status)
    }

    /// An unsigned request: `(status, body)`.
    pub async fn anonymous(&self, method: &str, path: &str, body: &'static str) -> (u16, String) {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or_default();
        let reply = client
            .request(method, format!("{}{path}", self.fake.endpoint()))
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = reply.status().as_u16();
        (status, reply.text().await.unwrap_or_default())
    }
}

pub(crate) async fn mkbucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {bucket}: {e:?}"));
}

pub(crate) async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    acl: Option<ObjectCannedAcl>,
) -> Option<String> {
    err_code(
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .set_acl(acl)
            .body(ByteStream::from_static(b"data"))
            .send()
            .await,
    )
}

pub(crate) async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Option<String> {
    err_code(s3.get_object().bucket(bucket).key(key).send().await)
}

/// A bucket policy with these statements.
pub(crate) async fn set_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    statements: Value,
) -> Option<String> {
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    err_code(
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(doc.to_string())
            .send()
            .await,
    )
}

pub(crate) fn allow(who: &str, actions: &[&str], resource: &str) -> Value {
    json!({"Effect": "Allow", "Principal": {"AWS": [who]}, "Action": actions, "Resource": resource})
}

pub(crate) fn deny(who: &str, actions: &[&str], resource: &str, condition: Value) -> Value {
    json!({"Effect": "Deny", "Principal": {"AWS": [who]}, "Action": actions, "Resource": resource,
           "Condition": condition})
}

/// An ACL's grants as `(grantee id or group URI, permission)`, sorted, and its owner's id.
async fn object_acl(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<(String, Vec<(String, String)>), String> {
    let acl = s3
        .get_object_acl()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| crate::support::code(&e))?;
    let owner = acl
        .owner()
        .and_then(Owner::id)
        .unwrap_or_default()
        .to_owned();
    Ok((owner, grants(acl.grants())))
}

fn grants(grants: &[Grant]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = grants
        .iter()
        .map(|g| {
            let who = g.grantee().and_then(|e| e.id().or(e.uri())).unwrap_or("");
            let what = g.permission().map_or("", Permission::as_str);
            (who.to_owned(), what.to_owned())
        })
        .collect();
    out.sort();
    out
}

fn pair(who: &str, what: &str) -> (String, String) {
    (who.to_owned(), what.to_owned())
}

/// D1: RGW names owners by their RGW user id (`pi`, `TENANT$NAME`) with the user's name as the
/// display name, in ListBuckets, ACLs and listings (the fake used 64-hex ids).
#[tokio::test]
async fn owners_are_rgw_user_ids() {
    let lab = lab().await;
    let (pi, tina) = (lab.s3("pi"), lab.s3("tina"));
    mkbucket(&pi, "ids").await;
    for (s3, id) in [(&pi, "pi"), (&tina, "uab$tina")] {
        let listed = s3
            .list_buckets()
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let owner = listed.owner();
        assert_eq!(owner.and_then(Owner::id), Some(id));
        assert_eq!(
            owner.and_then(Owner::display_name),
            id.split('$').next_back()
        );
    }
    let acl = pi
        .get_bucket_acl()
        .bucket("ids")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(acl.owner().and_then(Owner::id), Some("pi"));
    assert_eq!(grants(acl.grants()), [pair("pi", "FULL_CONTROL")]);
    put(&pi, "ids", "k", None).await;
    let listed = pi
        .list_objects()
        .bucket("ids")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let owner = listed.contents().first().and_then(|o| o.owner());
    assert_eq!(owner.and_then(Owner::id), Some("pi"));
    assert_eq!(owner.and_then(Owner::display_name), Some("pi"));
}

/// D2, D3: `x-amz-grant-read: id="mallory"` names the RGW user, and explicit grant headers
/// replace the ACL: it holds exactly what they name, not the owner's full control too.
#[tokio::test]
async fn grant_headers_name_rgw_users_and_replace_the_acl() {
    let lab = lab().await;
    let (pi, mallory, bob) = (lab.s3("pi"), lab.s3("mallory"), lab.s3("bob"));
    mkbucket(&pi, "grantid").await;
    pi.put_object()
        .bucket("grantid")
        .key("k")
        .grant_read("id=\"mallory\"")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&mallory, "grantid", "k").await, None);
    assert_eq!(
        object_acl(&pi, "grantid", "k").await,
        Ok(("pi".to_owned(), vec![pair("mallory", "READ")]))
    );
    pi.put_bucket_acl()
        .bucket("grantid")
        .grant_read("id=\"mallory\"")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let listed = mallory.list_objects().bucket("grantid").send().await;
    assert_eq!(err_code(listed), None, "bucket READ lets mallory list");
    // s3-tests test_bucket_policy_put_obj_grant: bob's upload granting pi full control.
    mkbucket(&pi, "pgrant").await;
    let policy = set_policy(
        &pi,
        "pgrant",
        json!([allow("*", &["s3:PutObject"], "arn:aws:s3:::pgrant/*")]),
    );
    assert_eq!(policy.await, None);
    bob.put_object()
        .bucket("pgrant")
        .key("key1")
        .grant_full_control("id=pi")
        .body(ByteStream::from_static(b"key1"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        object_acl(&pi, "pgrant", "key1").await,
        Ok(("bob".to_owned(), vec![pair("pi", "FULL_CONTROL")]))
    );
}

/// D4: on RGW the bucket owner has no implicit access to an object another user owns in its
/// bucket: GET, HEAD, GET ?acl, copy from it and ListParts are refused unless the object's ACL
/// (`bucket-owner-full-control`) or the bucket policy grants them; DELETE stays the owner's.
#[tokio::test]
async fn the_bucket_owner_reads_a_members_upload_only_through_its_acl() {
    let lab = lab().await;
    let ((pi, pi_status), bob) = (lab.s3_with_status("pi"), lab.s3("bob"));
    mkbucket(&pi, "own").await;
    let statement = allow(BOB, &["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::own/*");
    assert_eq!(set_policy(&pi, "own", json!([statement])).await, None);
    assert_eq!(put(&bob, "own", "up/bob.txt", None).await, None);
    assert_eq!(
        get(&pi, "own", "up/bob.txt").await.as_deref(),
        Some("AccessDenied")
    );
    let head = pi
        .head_object()
        .bucket("own")
        .key("up/bob.txt")
        .send()
        .await;
    assert!(head.is_err());
    assert_eq!(pi_status.get(), 403);
    assert_eq!(
        object_acl(&pi, "own", "up/bob.txt").await,
        Err("AccessDenied".to_owned())
    );
    let copy = pi
        .copy_object()
        .bucket("own")
        .key("copy.txt")
        .copy_source("own/up/bob.txt")
        .send()
        .await;
    assert_eq!(err_code(copy).as_deref(), Some("AccessDenied"));
    assert_eq!(
        get(&bob, "own", "up/bob.txt").await,
        None,
        "bob reads his own"
    );
    let delete = pi
        .delete_object()
        .bucket("own")
        .key("up/bob.txt")
        .send()
        .await;
    assert_eq!(err_code(delete), None, "the owner may delete it");
    // bucket-owner-full-control gives the owner full control of bob's object.
    let bofc = Some(ObjectCannedAcl::BucketOwnerFullControl);
    assert_eq!(put(&bob, "own", "k", bofc).await, None);
    assert_eq!(get(&pi, "own", "k").await, None);
    assert_eq!(
        object_acl(&pi, "own", "k").await,
        Ok((
            "bob".to_owned(),
            vec![pair("bob", "FULL_CONTROL"), pair("pi", "FULL_CONTROL")]
        ))
    );
}

/// D4 for multipart uploads: the owner cannot list the parts of, nor read, what a writer uploaded
/// in parts, unless the upload was created with `bucket-owner-full-control`.
#[tokio::test]
async fn the_bucket_owner_and_a_members_multipart_upload() {
    let lab = lab().await;
    let (pi, wendy) = (lab.s3("pi"), lab.s3("wendy"));
    mkbucket(&pi, "mpumember").await;
    let actions = [
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    ];
    let statement = allow(WENDY, &actions, "arn:aws:s3:::mpumember/*");
    assert_eq!(set_policy(&pi, "mpumember", json!([statement])).await, None);
    for (key, acl, readable) in [
        ("w", None, false),
        ("w2", Some(ObjectCannedAcl::BucketOwnerFullControl), true),
    ] {
        let up = wendy
            .create_multipart_upload()
            .bucket("mpumember")
            .key(key)
            .set_acl(acl)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let id = up.upload_id().unwrap_or_default();
        let part = wendy
            .upload_part()
            .bucket("mpumember")
            .key(key)
            .upload_id(id)
            .part_number(1)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let parts = pi
            .list_parts()
            .bucket("mpumember")
            .key(key)
            .upload_id(id)
            .send()
            .await;
        let refused = (!readable).then(|| "AccessDenied".to_owned());
        assert_eq!(err_code(parts), refused, "{key}: pi ListParts");
        let done = CompletedMultipartUpload::builder()
            .parts(
                CompletedPart::builder()
                    .part_number(1)
                    .set_e_tag(part.e_tag().map(str::to_owned))
                    .build(),
            )
            .build();
        wendy
            .complete_multipart_upload()
            .bucket("mpumember")
            .key(key)
            .upload_id(id)
            .multipart_upload(done)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            get(&pi, "mpumember", key).await,
            refused,
            "{key}: pi GetObject"
        );
    }
}

/// D5: a canned ACL on CreateBucket is the bucket's ACL on RGW. `public-read` lets anyone list,
/// `public-read-write` lets anyone write (an anonymous upload belongs to the bucket owner, a
/// signed one to its writer), `authenticated-read` lets any user list.
#[tokio::test]
async fn create_bucket_applies_its_canned_acl() {
    let lab = lab().await;
    let (pi, mallory) = (lab.s3("pi"), lab.s3("mallory"));
    pi.create_bucket()
        .bucket("cannedpr")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let acl = pi.get_bucket_acl().bucket("cannedpr").send().await;
    let acl = acl.unwrap_or_else(|e| panic!("{e:?}"));
    let all_users = "http://acs.amazonaws.com/groups/global/AllUsers";
    assert_eq!(
        grants(acl.grants()),
        [pair(all_users, "READ"), pair("pi", "FULL_CONTROL")]
    );
    assert_eq!(lab.anonymous("GET", "/cannedpr", "").await.0, 200);
    assert_eq!(lab.anonymous("PUT", "/cannedpr/anon", "x").await.0, 403);
    pi.create_bucket()
        .bucket("cannedprw")
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(lab.anonymous("PUT", "/cannedprw/anon", "x").await.0, 200);
    assert_eq!(put(&mallory, "cannedprw", "mal", None).await, None);
    assert_eq!(
        get(&pi, "cannedprw", "mal").await.as_deref(),
        Some("AccessDenied")
    );
    assert_eq!(get(&pi, "cannedprw", "anon").await, None);
    assert_eq!(
        object_acl(&pi, "cannedprw", "anon").await,
        Ok(("pi".to_owned(), vec![pair("pi", "FULL_CONTROL")]))
    );
    pi.create_bucket()
        .bucket("cannedar")
        .acl(BucketCannedAcl::AuthenticatedRead)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let listed = mallory.list_objects().bucket("cannedar").send().await;
    assert_eq!(err_code(listed), None);
    assert_eq!(lab.anonymous("GET", "/cannedar", "").await.0, 403);
}

/// D6, D8: RGW stores a bucket policy whatever principals and resources it names (it checks no
/// identity exists) and such a statement grants nothing; a 12-digit account id, bare or in an
/// ARN, is an RGW *tenant*, and bob is in the default one. What RGW refuses is 400
/// `InvalidArgument`.
#[rstest]
#[case::nonexistent_user(json!({"AWS": ["arn:aws:iam:::user/nosuchuser"]}), "arn:aws:s3:::val/*")]
#[case::nonexistent_tenant(json!({"AWS": ["arn:aws:iam::nosuchtenant:user/tina"]}), "arn:aws:s3:::val/*")]
#[case::bare_name(json!({"AWS": "bob"}), "arn:aws:s3:::val/*")]
#[case::user_id_with_tenant(json!({"AWS": ["arn:aws:iam:::user/uab$tina"]}), "arn:aws:s3:::val/*")]
#[case::account_id(json!({"AWS": ["300000000003"]}), "arn:aws:s3:::val/*")]
#[case::account_arn(json!({"AWS": ["arn:aws:iam::300000000003:user/bob"]}), "arn:aws:s3:::val/*")]
#[case::other_bucket(json!({"AWS": [BOB]}), "arn:aws:s3:::val-other/*")]
#[tokio::test]
async fn rgw_stores_policies_that_grant_nothing(#[case] principal: Value, #[case] resource: &str) {
    let lab = lab().await;
    let (pi, bob) = (lab.s3("pi"), lab.s3("bob"));
    mkbucket(&pi, "val").await;
    put(&pi, "val", "k", None).await;
    let statement = json!({"Sid": "s1", "Effect": "Allow", "Principal": principal,
                           "Action": ["s3:GetObject"], "Resource": [resource]});
    let text = json!({"Version": "2012-10-17", "Statement": [statement]}).to_string();
    let put_policy = pi
        .put_bucket_policy()
        .bucket("val")
        .policy(&text)
        .send()
        .await;
    assert_eq!(err_code(put_policy), None);
    let shown = pi.get_bucket_policy().bucket("val").send().await;
    assert_eq!(
        shown.ok().and_then(|p| p.policy).as_deref(),
        Some(text.as_str())
    );
    assert_eq!(get(&bob, "val", "k").await.as_deref(), Some("AccessDenied"));
    let tina = lab.s3("tina");
    assert_eq!(
        get(&tina, ":val", "k").await.as_deref(),
        Some("AccessDenied")
    );
}

#[rstest]
#[case::no_statement(json!({"Version": "2012-10-17"}).to_string(), None)]
#[case::no_resource(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": [BOB]}, "Action": ["s3:GetObject"]}]}).to_string(), None)]
#[case::over_20_kb(big_policy(), None)]
#[case::unknown_action(one_statement("s3:GetObjectx"), Some("InvalidArgument"))]
#[case::not_an_s3_action(one_statement("iam:CreateUser"), Some("InvalidArgument"))]
#[case::not_json("{not json".to_owned(), Some("InvalidArgument"))]
#[case::version_2020(json!({"Version": "2020-01-01", "Statement": []}).to_string(), Some("InvalidArgument"))]
#[tokio::test]
async fn put_bucket_policy_checks_what_rgw_checks(
    #[case] text: String,
    #[case] refused: Option<&str>,
) {
    let lab = lab().await;
    let (pi, bob) = (lab.s3("pi"), lab.s3("bob"));
    mkbucket(&pi, "val").await;
    put(&pi, "val", "k", None).await;
    let r = pi
        .put_bucket_policy()
        .bucket("val")
        .policy(&text)
        .send()
        .await;
    assert_eq!(err_code(r).as_deref(), refused);
    assert_eq!(get(&bob, "val", "k").await.as_deref(), Some("AccessDenied"));
}

fn one_statement(action: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [allow(BOB, &[action], "arn:aws:s3:::val/*")]})
        .to_string()
}

fn big_policy() -> String {
    let statements: Vec<Value> = (0..200)
        .map(|i| {
            let user = format!("arn:aws:iam:::user/user{i:04}");
            let mut s = allow(
                &user,
                &["s3:GetObject"],
                &format!("arn:aws:s3:::val/p{i}/*"),
            );
            s["Sid"] = json!(format!("s{i}"));
            s
        })
        .collect();
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    assert!(text.len() > 20 * 1024);
    text
}

/// D7: RGW's `Null` is "the key is absent" whatever its value, and `s3:x-amz-acl` is always in
/// PutObject's context (empty without the header): the Deny "if the header is present" denies
/// exactly the uploads without it; and a negated operator on an absent key is false.
#[rstest]
#[case::null_false_without(json!({"Null": {"s3:x-amz-grant-read": "false"}}), None, false, Some("AccessDenied"))]
#[case::null_false_with(json!({"Null": {"s3:x-amz-grant-read": "false"}}), None, true, None)]
#[case::null_true_without_acl(json!({"Null": {"s3:x-amz-acl": "true"}}), None, false, None)]
#[case::null_true_private(json!({"Null": {"s3:x-amz-acl": "true"}}), Some(ObjectCannedAcl::Private), false, None)]
#[case::not_equals_without(json!({"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}), None, false, Some("AccessDenied"))]
#[case::not_equals_bofc(json!({"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}), Some(ObjectCannedAcl::BucketOwnerFullControl), false, None)]
#[tokio::test]
async fn null_and_absent_keys_read_as_rgw_reads_them(
    #[case] condition: Value,
    #[case] acl: Option<ObjectCannedAcl>,
    #[case] grant_read: bool,
    #[case] refused: Option<&str>,
) {
    let lab = lab().await;
    let (pi, bob) = (lab.s3("pi"), lab.s3("bob"));
    mkbucket(&pi, "cnull").await;
    let objects = "arn:aws:s3:::cnull/*";
    let statements = json!([
        allow(BOB, &["s3:PutObject"], objects),
        deny(BOB, &["s3:PutObject"], objects, condition)
    ]);
    assert_eq!(set_policy(&pi, "cnull", statements).await, None);
    let r = bob
        .put_object()
        .bucket("cnull")
        .key("a")
        .set_acl(acl)
        .set_grant_read(grant_read.then(|| "id=\"mallory\"".to_owned()))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(err_code(r).as_deref(), refused);
}

/// D7 for multipart uploads: CreateMultipartUpload carries no `s3:x-amz-acl` on RGW (so an Allow
/// that requires it refuses even `bucket-owner-full-control`), UploadPart carries it empty.
#[tokio::test]
async fn multipart_steps_carry_x_amz_acl_as_rgw_sets_it() {
    let lab = lab().await;
    let (pi, wendy) = (lab.s3("pi"), lab.s3("wendy"));
    mkbucket(&pi, "mpuacl").await;
    let objects = "arn:aws:s3:::mpuacl/*";
    let mut only_bofc = allow(WENDY, &["s3:PutObject"], objects);
    only_bofc["Condition"] = json!({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}});
    assert_eq!(set_policy(&pi, "mpuacl", json!([only_bofc])).await, None);
    let bofc = wendy
        .create_multipart_upload()
        .bucket("mpuacl")
        .key("w")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .send()
        .await;
    assert_eq!(err_code(bofc).as_deref(), Some("AccessDenied"));
    // The Deny form: CreateMultipartUpload without the header passes, every UploadPart is refused.
    let deny_other = deny(
        WENDY,
        &["s3:PutObject"],
        objects,
        json!({"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
    );
    let statements = json!([allow(WENDY, &["s3:PutObject"], objects), deny_other]);
    assert_eq!(set_policy(&pi, "mpuacl", statements).await, None);
    let up = wendy
        .create_multipart_upload()
        .bucket("mpuacl")
        .key("w")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let part = wendy
        .upload_part()
        .bucket("mpuacl")
        .key("w")
        .upload_id(up.upload_id().unwrap_or_default())
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(err_code(part).as_deref(), Some("AccessDenied"));
}

/// D9, D10: DeleteBucketPolicy answers 200 (with or without a policy) and GetBucketPolicy returns
/// the text byte for byte.
#[tokio::test]
async fn policy_round_trips_as_rgw_answers() {
    let lab = lab().await;
    let (pi, status) = lab.s3_with_status("pi");
    mkbucket(&pi, "pdel").await;
    pi.delete_bucket_policy()
        .bucket("pdel")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(status.get(), 200);
    let doc = json!({"Version": "2012-10-17", "Id": "x", "Statement": [allow(BOB, &["s3:GetObject"], "arn:aws:s3:::pdel/*")]});
    let indented = serde_json::to_string_pretty(&doc).unwrap_or_default();
    pi.put_bucket_policy()
        .bucket("pdel")
        .policy(&indented)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let shown = pi.get_bucket_policy().bucket("pdel").send().await;
    assert_eq!(shown.ok().and_then(|p| p.policy), Some(indented));
    pi.delete_bucket_policy()
        .bucket("pdel")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(status.get(), 200);
}

/// D11: RGW 16.2 copies from no other tenant's bucket, even one whose policy lets the caller read
/// the source (403; a GET of the same object succeeds).
#[rstest]
#[case::explicit_default_tenant(":ten/pi.txt")]
#[case::encoded(r"%3Aten/pi.txt")]
#[tokio::test]
async fn a_copy_from_another_tenant_is_refused(#[case] source: &str) {
    let lab = lab().await;
    let (pi, tina) = (lab.s3("pi"), lab.s3("tina"));
    mkbucket(&pi, "ten").await;
    mkbucket(&tina, "ten").await;
    put(&pi, "ten", "pi.txt", None).await;
    let statement = allow(TINA, &["s3:GetObject"], "arn:aws:s3:::ten/*");
    assert_eq!(set_policy(&pi, "ten", json!([statement])).await, None);
    assert_eq!(get(&tina, ":ten", "pi.txt").await, None);
    let copy = tina
        .copy_object()
        .bucket("ten")
        .key("copied.txt")
        .copy_source(source)
        .send()
        .await;
    assert_eq!(err_code(copy).as_deref(), Some("AccessDenied"));
    assert_eq!(
        get(&tina, "ten", "copied.txt").await.as_deref(),
        Some("NoSuchKey")
    );
}

/// D26: `x-amz-acl` with an `x-amz-grant-*` header is refused as malformed (400 InvalidRequest)
/// before any policy is read, even one that would deny the upload.
#[tokio::test]
async fn a_canned_acl_with_grant_headers_is_malformed_before_the_policy() {
    let lab = lab().await;
    let (pi, wendy) = (lab.s3("pi"), lab.s3("wendy"));
    mkbucket(&pi, "cand").await;
    let objects = "arn:aws:s3:::cand/*";
    let statements = json!([
        allow(WENDY, &["s3:PutObject"], objects),
        deny(
            WENDY,
            &["s3:PutObject"],
            objects,
            json!({"StringLike": {"s3:x-amz-grant-read": "*"}})
        )
    ]);
    assert_eq!(set_policy(&pi, "cand", statements).await, None);
    let r = wendy
        .put_object()
        .bucket("cand")
        .key("g")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .grant_read("id=\"mallory\"")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(err_code(r).as_deref(), Some("InvalidRequest"));
}

/// The ACL document form of a grant to an RGW user id works as the header form does.
#[tokio::test]
async fn an_acl_document_grants_to_rgw_user_ids() {
    let lab = lab().await;
    let (pi, bob) = (lab.s3("pi"), lab.s3("bob"));
    mkbucket(&pi, "aclxml").await;
    put(&pi, "aclxml", "k", None).await;
    let grant = |id: &str, p: Permission| {
        let grantee = Grantee::builder()
            .id(id)
            .r#type(Type::CanonicalUser)
            .build();
        grantee.map(|g| Grant::builder().grantee(g).permission(p).build())
    };
    let policy = AccessControlPolicy::builder()
        .owner(Owner::builder().id("pi").display_name("pi").build())
        .grants(grant("pi", Permission::FullControl).unwrap_or_else(|e| panic!("{e}")))
        .grants(grant("bob", Permission::Read).unwrap_or_else(|e| panic!("{e}")))
        .build();
    pi.put_object_acl()
        .bucket("aclxml")
        .key("k")
        .access_control_policy(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&bob, "aclxml", "k").await, None);
}
