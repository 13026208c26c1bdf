//! Object and bucket tagging on fake-s3 through the official SDK, with S3's limits and the tag
//! condition keys (`s3:ExistingObjectTag/KEY`, `s3:RequestObjectTag/KEY`,
//! `s3:RequestObjectTagKeys`).

use crate::support::err_code as code;
use crate::support::fake_with_bucket;
use crate::support::upload_in_one_part;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging, TaggingDirective};
use fake_s3::FakeAwsHandle;

const OWNER: &str = "111122223333";
const BUCKET: &str = "tag-bucket";

async fn fake() -> (FakeAwsHandle, aws_sdk_s3::Client) {
    let (fake, s3) = fake_with_bucket(&[OWNER], BUCKET).await;
    (fake, s3)
}

async fn tags_of(s3: &aws_sdk_s3::Client, key: &str) -> Vec<(String, String)> {
    s3.get_object_tagging()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get tagging {key}: {e:?}"))
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    let mut b = Tagging::builder();
    for (k, v) in pairs {
        b = b.tag_set(
            Tag::builder()
                .key(*k)
                .value(*v)
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    b.build().unwrap_or_else(|e| panic!("{e}"))
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn object_tags_are_written_read_replaced_and_removed() {
    let (_fake, s3) = fake().await;
    s3.put_object()
        .bucket(BUCKET)
        .key("a.csv")
        .tagging("project=lsst&stage=raw%20data")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        tags_of(&s3, "a.csv").await,
        pairs(&[("project", "lsst"), ("stage", "raw data")])
    );
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("a.csv")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(got.tag_count(), Some(2));

    s3.put_object_tagging()
        .bucket(BUCKET)
        .key("a.csv")
        .tagging(tagging(&[("classification", "public")]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        tags_of(&s3, "a.csv").await,
        pairs(&[("classification", "public")])
    );
    s3.delete_object_tagging()
        .bucket(BUCKET)
        .key("a.csv")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(tags_of(&s3, "a.csv").await.is_empty());
    let got = s3.get_object().bucket(BUCKET).key("a.csv").send().await;
    assert_eq!(got.map(|g| g.tag_count()).ok(), Some(None));

    // S3's limits.
    let eleven: Vec<(String, String)> =
        (0..11).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let refs: Vec<(&str, &str)> = eleven
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let too_many = s3
        .put_object_tagging()
        .bucket(BUCKET)
        .key("a.csv")
        .tagging(tagging(&refs))
        .send()
        .await;
    assert_eq!(code(too_many).as_deref(), Some("BadRequest"));
    for bad in ["a=1&a=2", "aws:owner=me", &format!("{}=1", "k".repeat(129))] {
        let r = s3
            .put_object()
            .bucket(BUCKET)
            .key("b.csv")
            .tagging(bad)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        assert_eq!(code(r).as_deref(), Some("InvalidTag"), "{bad}");
    }
    let missing = s3
        .get_object_tagging()
        .bucket(BUCKET)
        .key("nope")
        .send()
        .await;
    assert_eq!(code(missing).as_deref(), Some("NoSuchKey"));
}

#[tokio::test]
async fn multipart_and_copy_carry_tags_as_s3_does() {
    let (_fake, s3) = fake().await;
    upload_in_one_part(&s3, BUCKET, "big", Some("kind=archive"), b"part").await;
    assert_eq!(tags_of(&s3, "big").await, pairs(&[("kind", "archive")]));

    // COPY (the default) keeps the source's tags; REPLACE takes the request's.
    s3.copy_object()
        .bucket(BUCKET)
        .key("copy")
        .copy_source(format!("{BUCKET}/big"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(tags_of(&s3, "copy").await, pairs(&[("kind", "archive")]));
    s3.copy_object()
        .bucket(BUCKET)
        .key("replaced")
        .copy_source(format!("{BUCKET}/big"))
        .tagging_directive(TaggingDirective::Replace)
        .tagging("kind=copy&owner=ops")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        tags_of(&s3, "replaced").await,
        pairs(&[("kind", "copy"), ("owner", "ops")])
    );
}

#[tokio::test]
async fn bucket_tags_are_separate_from_object_tags() {
    let (_fake, s3) = fake().await;
    let none = s3.get_bucket_tagging().bucket(BUCKET).send().await;
    assert_eq!(code(none).as_deref(), Some("NoSuchTagSet"));
    s3.put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(tagging(&[("cost-center", "42"), ("team", "data")]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let got = s3
        .get_bucket_tagging()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let keys: Vec<&str> = got.tag_set().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["cost-center", "team"]);
    s3.delete_bucket_tagging()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let gone = s3.get_bucket_tagging().bucket(BUCKET).send().await;
    assert_eq!(code(gone).as_deref(), Some("NoSuchTagSet"));
}

#[tokio::test]
async fn tag_condition_keys_decide_as_aws_documents() {
    let (fake, s3) = fake().await;
    for (key, tags) in [
        ("public.csv", "classification=public"),
        ("secret.csv", "classification=secret"),
        ("plain.csv", ""),
    ] {
        let mut req = s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"x"));
        if !tags.is_empty() {
            req = req.tagging(tags);
        }
        req.send().await.unwrap_or_else(|e| panic!("{e:?}"));
    }
    // The user guide's examples: read only objects tagged public; tag new objects only with
    // the `project` key, valued `lsst`.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
          {{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*",
            "Condition":{{"StringEquals":{{"s3:ExistingObjectTag/classification":"public"}}}}}},
          {{"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::{BUCKET}/*",
            "Condition":{{"ForAllValues:StringEquals":{{"s3:RequestObjectTagKeys":["project"]}},
                         "StringEqualsIfExists":{{"s3:RequestObjectTag/project":"lsst"}}}}}}]}}"#
    );
    let (_, keys) = fake
        .create_user(OWNER, "tagged-reader", &[&policy])
        .unwrap_or_else(|e| panic!("{e}"));
    let user = aws_sdk_s3::Client::new(&fake.sdk_config(&keys));
    let read = |key: &'static str| {
        let user = user.clone();
        async move { user.get_object().bucket(BUCKET).key(key).send().await }
    };
    assert!(read("public.csv").await.is_ok());
    assert_eq!(
        code(read("secret.csv").await).as_deref(),
        Some("AccessDenied")
    );
    assert_eq!(
        code(read("plain.csv").await).as_deref(),
        Some("AccessDenied")
    );

    let write = |tags: &'static str| {
        let user = user.clone();
        async move {
            user.put_object()
                .bucket(BUCKET)
                .key("new.csv")
                .tagging(tags)
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
        }
    };
    assert!(write("project=lsst").await.is_ok());
    assert_eq!(
        code(write("project=other").await).as_deref(),
        Some("AccessDenied")
    );
    assert_eq!(
        code(write("project=lsst&owner=me").await).as_deref(),
        Some("AccessDenied")
    );
    // Tagging on write needs s3:PutObjectTagging too.
    let (_, plain_keys) = fake
        .create_user(
            OWNER,
            "plain-writer",
            &[&format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
            )],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let plain = aws_sdk_s3::Client::new(&fake.sdk_config(&plain_keys));
    let untagged = plain
        .put_object()
        .bucket(BUCKET)
        .key("plain.csv")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert!(untagged.is_ok(), "{untagged:?}");
    let tagged = plain
        .put_object()
        .bucket(BUCKET)
        .key("plain.csv")
        .tagging("project=lsst")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(code(tagged).as_deref(), Some("AccessDenied"));
    // Overwriting tags goes through the same conditions.
    let retag = user
        .put_object_tagging()
        .bucket(BUCKET)
        .key("new.csv")
        .tagging(tagging(&[("owner", "me")]))
        .send()
        .await;
    assert_eq!(code(retag).as_deref(), Some("AccessDenied"));
}
