//! `s3keeper demo --shares`: shared buckets as the UAB LTS guide shares them, offline, on the
//! embedded fake in its Ceph RGW dialect. A lab's members are granted from role tables (the
//! guide's read-only, read-write, folder and `*jpg` examples), each checked with that member's own
//! key pair; a steward edits the policy by hand, the next grant refuses to overwrite it and adopts
//! it with `--adopt`; the report says who can do what; a revoked member is refused. Only S3 calls
//! are made, as on an RGW without STS or S3 Control. Every claim is checked against the fake.

use aws_sdk_s3::primitives::ByteStream;

use crate::error::KeeperError;
use crate::keeper::shares::Role;
use crate::keeper::Keeper;
use crate::runtime::{self, ServiceArgs, EMBEDDED_ACCOUNT};

const BUCKET: &str = "lab-data";

/// The PI owns the lab's allocation: everything on it.
const OWNER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::lab-data","arn:aws:s3:::lab-data/*"]}]}"#;

const OBJECTS: &[&str] = &[
    "README.txt",
    "test_folder/scan1.jpg",
    "test_folder/notes.txt",
    "incoming/.keep",
];

fn problem(m: impl Into<String>) -> KeeperError {
    KeeperError::Config(format!("the shares demo found a problem: {}", m.into()))
}

struct Member {
    s3: aws_sdk_s3::Client,
}

impl Member {
    async fn reads(&self, key: &str) -> bool {
        self.s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .is_ok()
    }

    async fn writes(&self, key: &str) -> bool {
        self.s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .is_ok()
    }

    /// An upload with `x-amz-acl: bucket-owner-full-control`, which keeps it readable by the
    /// bucket owner on RGW.
    async fn writes_for_the_owner(&self, key: &str) -> bool {
        self.s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .acl(aws_sdk_s3::types::ObjectCannedAcl::BucketOwnerFullControl)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .is_ok()
    }

    async fn deletes(&self, key: &str) -> bool {
        self.s3
            .delete_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .is_ok()
    }

    async fn lists(&self, prefix: &str) -> bool {
        self.s3
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix(prefix)
            .send()
            .await
            .is_ok()
    }
}

/// `what` must come out as `expected`; prints the line that says so.
fn expect(
    out: &mut dyn FnMut(&str),
    what: &str,
    got: bool,
    expected: bool,
) -> Result<(), KeeperError> {
    if got != expected {
        return Err(problem(format!(
            "{what}: expected {}, S3 said {}",
            if expected { "allowed" } else { "refused" },
            if got { "allowed" } else { "refused" }
        )));
    }
    out(&format!(
        "   - {what}: {}",
        if got { "allowed" } else { "refused" }
    ));
    Ok(())
}

/// Runs the demo, printing to `out`.
pub async fn run(database_url: Option<&str>, out: &mut dyn FnMut(&str)) -> Result<(), KeeperError> {
    let mut args = ServiceArgs::with_database(database_url.unwrap_or("sqlite::memory:"));
    args.embedded = true;
    args.dialect = "ceph".to_owned();
    args.shared_buckets = vec!["lab-*".to_owned()];
    let rt = runtime::start(&args, "demo").await?;
    let Some(fake) = &rt.fake else {
        return Err(problem("the embedded fake did not start"));
    };
    let keeper = &rt.keeper;
    out(&format!(
        "S3 Keeper shares demo: a lab shares bucket {BUCKET} on Ceph RGW (the embedded fake in its Ceph dialect, at {}), as the UAB LTS guide does with hand-written bucket policies. Nothing leaves this machine.\n",
        fake.endpoint()
    ));
    let user = |name: &'static str, policies: &[&str]| -> Result<Member, KeeperError> {
        let (_, creds) = fake
            .create_user(EMBEDDED_ACCOUNT, name, policies)
            .map_err(|e| problem(e.to_string()))?;
        Ok(Member {
            s3: aws_sdk_s3::Client::new(&fake.sdk_config(&creds)),
        })
    };
    let pi = user("pi", &[OWNER_POLICY])?;
    pi.s3
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .map_err(|e| problem(format!("CreateBucket: {e}")))?;
    for key in OBJECTS {
        if !pi.writes(key).await {
            return Err(problem(format!("the PI could not write {key}")));
        }
    }
    let bob = user("bob", &[])?;
    let jane = user("jane@uab.edu", &[])?;
    let carol = user("carol", &[])?;
    let sam = user("sam", &[])?;
    let dave = user("dave", &[])?;
    let mallory = user("mallory", &[])?;
    out(&format!(
        "1. The PI owns {BUCKET} with {} objects. Lab members are RGW users (bob, jane@uab.edu, carol, sam, dave) with their own key pairs and no rights on it; the service holds one key pair that may manage its policy, and calls nothing but S3.",
        OBJECTS.len()
    ));

    out("\n2. The guide's \"read-only for all files\": `s3keeper share grant lab-data bob --role reader` (and jane@uab.edu).");
    grant(keeper, out, "bob", Role::Reader, "").await?;
    grant(keeper, out, "jane@uab.edu", Role::Reader, "").await?;
    expect(
        out,
        "bob reads README.txt",
        bob.reads("README.txt").await,
        true,
    )?;
    expect(
        out,
        "bob uploads new.txt",
        bob.writes("new.txt").await,
        false,
    )?;
    expect(
        out,
        "mallory (not granted) reads README.txt",
        mallory.reads("README.txt").await,
        false,
    )?;

    out("\n3. The guide's \"read-write\", with delete handed out only where meant: jane@uab.edu writes under incoming/, bob manages (deletes too).");
    grant(keeper, out, "jane@uab.edu", Role::Writer, "incoming/").await?;
    grant(keeper, out, "bob", Role::Manager, "").await?;
    expect(
        out,
        "jane@uab.edu uploads incoming/run1.csv",
        jane.writes("incoming/run1.csv").await,
        true,
    )?;
    expect(
        out,
        "the PI reads incoming/run1.csv (RGW makes the uploader its owner)",
        pi.reads("incoming/run1.csv").await,
        false,
    )?;
    expect(
        out,
        "jane@uab.edu uploads incoming/run2.csv with `x-amz-acl: bucket-owner-full-control`",
        jane.writes_for_the_owner("incoming/run2.csv").await,
        true,
    )?;
    expect(
        out,
        "the PI reads incoming/run2.csv",
        pi.reads("incoming/run2.csv").await,
        true,
    )?;
    expect(
        out,
        "jane@uab.edu uploads results.csv (outside incoming/)",
        jane.writes("results.csv").await,
        false,
    )?;
    expect(
        out,
        "jane@uab.edu deletes incoming/run1.csv",
        jane.deletes("incoming/run1.csv").await,
        false,
    )?;
    expect(
        out,
        "bob deletes incoming/run1.csv",
        bob.deletes("incoming/run1.csv").await,
        true,
    )?;

    out("\n4. The guide's folder and `*jpg` examples: carol reads only JPGs in test_folder/ (`--prefix 'test_folder/*jpg'`), and lists only that folder, so other key names stay hidden (the guide's warning).");
    grant(keeper, out, "carol", Role::Reader, "test_folder/*jpg").await?;
    expect(
        out,
        "carol reads test_folder/scan1.jpg",
        carol.reads("test_folder/scan1.jpg").await,
        true,
    )?;
    expect(
        out,
        "carol reads test_folder/notes.txt",
        carol.reads("test_folder/notes.txt").await,
        false,
    )?;
    expect(
        out,
        "carol lists test_folder/",
        carol.lists("test_folder/").await,
        true,
    )?;
    expect(
        out,
        "carol lists the whole bucket",
        carol.lists("").await,
        false,
    )?;

    out("\n5. sam becomes steward; stewards may edit the policy by hand, as the guide has them do with `s3cmd setpolicy`.");
    grant(keeper, out, "sam", Role::Steward, "").await?;
    let live = keeper
        .aws
        .get_bucket_policy(BUCKET, &keeper.settings.region)
        .await?
        .ok_or_else(|| problem("no live policy"))?;
    let mut edited: serde_json::Value =
        serde_json::from_str(&live).map_err(|e| problem(e.to_string()))?;
    if let Some(statements) = edited["Statement"].as_array_mut() {
        statements.push(serde_json::json!({
            "Sid": "visiting-student",
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam:::user/mallory"]},
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::lab-data/README.txt"]
        }));
    }
    sam.s3
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(edited.to_string())
        .send()
        .await
        .map_err(|e| problem(format!("the steward's PutBucketPolicy: {e}")))?;
    out("   sam adds a statement letting mallory read README.txt.");
    expect(
        out,
        "mallory reads README.txt",
        mallory.reads("README.txt").await,
        true,
    )?;
    match keeper
        .share_grant(BUCKET, "dave", Role::Reader, "", false)
        .await
    {
        Err(KeeperError::Conflict(m)) => {
            out("   `s3keeper share grant lab-data dave --role reader` refuses to overwrite the edit:");
            for line in m
                .lines()
                .filter(|l| l.starts_with('+') || l.starts_with("the "))
            {
                out(&format!("     {line}"));
            }
        }
        Ok(_) => return Err(problem("the grant overwrote the steward's edit")),
        Err(e) => return Err(problem(format!("the grant failed oddly: {e}"))),
    }
    let change = keeper
        .share_grant(BUCKET, "dave", Role::Reader, "", true)
        .await?;
    out(&format!(
        "   with --adopt the edit is imported first ({} statement kept verbatim) and dave is granted:",
        change.share.kept.len()
    ));
    expect(
        out,
        "dave reads README.txt",
        dave.reads("README.txt").await,
        true,
    )?;
    expect(
        out,
        "mallory still reads README.txt (the edit kept)",
        mallory.reads("README.txt").await,
        true,
    )?;

    out("\n6. `s3keeper share report lab-data`: who can do what, decided on the live policy:");
    let report = keeper.share_report(BUCKET).await?;
    for line in crate::cli::shares::report_lines(&report) {
        out(&format!("   {line}"));
    }

    out("\n7. bob leaves: `s3keeper share revoke lab-data bob`.");
    keeper.share_revoke(BUCKET, "bob", None, false).await?;
    expect(
        out,
        "bob reads README.txt",
        bob.reads("README.txt").await,
        false,
    )?;

    let service = format!(
        "arn:aws:iam::{EMBEDDED_ACCOUNT}:user/{}",
        runtime::EMBEDDED_SERVICE_USER
    );
    let other: Vec<String> = fake
        .journal()
        .into_iter()
        .filter(|e| e.principal == service && !is_s3(&e.operation))
        .map(|e| format!("{} {}", e.operation, e.host))
        .collect();
    if !other.is_empty() {
        return Err(problem(format!(
            "the service called more than S3: {other:?}"
        )));
    }
    out("\nThe service made only S3 requests (GetBucketPolicy, PutBucketPolicy, GetBucketAcl), as RGW needs. Done: every claim above was checked against the fake.");
    Ok(())
}

/// STS and S3 Control operations are the ones RGW may not serve.
fn is_s3(operation: &str) -> bool {
    !operation.contains("AccessPoint")
        && !matches!(
            operation,
            "GetCallerIdentity" | "AssumeRole" | "GetFederationToken" | "GetSessionToken"
        )
}

async fn grant(
    keeper: &Keeper,
    out: &mut dyn FnMut(&str),
    user: &str,
    role: Role,
    prefix: &str,
) -> Result<(), KeeperError> {
    let change = keeper
        .share_grant(BUCKET, user, role, prefix, false)
        .await?;
    out(&format!(
        "   granted {user} {role}{}: the policy has {} statements, {} bytes",
        if prefix.is_empty() {
            String::new()
        } else {
            format!(" under {prefix}")
        },
        change
            .share
            .policy
            .as_ref()
            .and_then(|p| p["Statement"].as_array())
            .map_or(0, Vec::len),
        change.share.bytes
    ));
    Ok(())
}
