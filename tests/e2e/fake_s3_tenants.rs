//! Ceph RGW's named tenants (issue 10, item 10): in the Ceph dialect an account may be a tenant
//! (`uab`), whose users bucket policies name as `arn:aws:iam::uab:user/NAME`; the default
//! tenant's `arn:aws:iam:::user/NAME` does not reach them
//! (<https://docs.ceph.com/en/latest/radosgw/multitenancy/>). In AWS's dialect neither a tenant
//! account nor a tenant principal exists.

use crate::support::{err_code, fake_with_bucket};
use aws_sdk_s3::primitives::ByteStream;
use fake_s3::FakeAws;

const OWNER: &str = "111122223333";
const BUCKET: &str = "lts-shared";

fn read_policy(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["{principal}"]}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
    )
}

#[tokio::test]
async fn tenant_users_are_named_with_their_tenant() {
    let fake = FakeAws::builder()
        .ceph_dialect(true)
        .account(OWNER)
        .account("uab")
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fake
        .root_credentials(OWNER)
        .unwrap_or_else(|e| panic!("{e}"));
    let owner = aws_sdk_s3::Client::new(&fake.sdk_config(&root));
    owner
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    owner
        .put_object()
        .bucket(BUCKET)
        .key("data.csv")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let (user, keys) = fake
        .create_user(
            "uab",
            "jane@uab.edu",
            // Across tenants the fake applies AWS's cross-account rule: the user's own policy
            // must allow too.
            &[r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user.arn, "arn:aws:iam::uab:user/jane@uab.edu");
    let jane = aws_sdk_s3::Client::new(&fake.sdk_config(&keys));
    let read = || jane.get_object().bucket(BUCKET).key("data.csv").send();

    // The default tenant's name for "jane@uab.edu" is someone else.
    let r = owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(read_policy("arn:aws:iam:::user/jane@uab.edu"))
        .send()
        .await;
    assert_eq!(
        err_code(r).as_deref(),
        Some("MalformedPolicy"),
        "no default-tenant user of that name exists"
    );
    owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(read_policy("arn:aws:iam::uab:user/jane@uab.edu"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        err_code(read().await),
        None,
        "the tenant principal reaches jane"
    );
    // Names are case-sensitive.
    let r = owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(read_policy("arn:aws:iam::uab:user/Jane@uab.edu"))
        .send()
        .await;
    assert_eq!(err_code(r).as_deref(), Some("MalformedPolicy"));
}

#[tokio::test]
async fn aws_has_no_tenants() {
    let e = FakeAws::builder().account("uab").start().await.err();
    assert!(
        e.as_ref()
            .is_some_and(|e| e.to_string().contains("Ceph dialect")),
        "{e:?}"
    );
    let (_fake, owner) = fake_with_bucket(&[OWNER], BUCKET).await;
    let r = owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(read_policy("arn:aws:iam::uab:user/jane"))
        .send()
        .await;
    assert_eq!(err_code(r).as_deref(), Some("MalformedPolicy"));
}
