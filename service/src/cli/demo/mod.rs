//! `s3keeper demo`: the whole flow offline, on the embedded fake AWS and SQLite, told in plain
//! words. Two people in their own AWS account verify their IAM users with signed URLs, a
//! controlled dataset is published, one person is granted, reads and lists it through their access
//! point while the other is refused (with the reason fake-s3's journal gives), and after revocation
//! the access is gone; then an instrument uploads with a ticket, which is revoked once finished.
//! Every claim the demo
//! prints is checked against the fake: if AWS would answer differently, the demo says so and fails.

pub mod shares;

use std::fmt::Write as _;
use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;

use crate::error::KeeperError;
use crate::keeper::{AuditFilter, Kind, Quiet, TicketRequest, UploadMethod};
use crate::runtime::{self, ServiceArgs};

/// The people's own AWS account (not the platform's).
const PEOPLE_ACCOUNT: &str = "444455556666";
const SLUG: &str = "demo-cohort";
const VERSION: &str = "1.0";

/// What a person's own IAM user may do in their account: read S3 anywhere. Cross-account access
/// needs this as well as the access point's allow.
const READER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;

struct Person {
    email: &'static str,
    name: &'static str,
    s3: aws_sdk_s3::Client,
    sts: aws_sdk_sts::Client,
}

/// The explanation the fake journaled for the latest denied request (what `GET /_fake/journal`
/// serves from the standalone binary).
fn last_denial(fake: &fake_s3::FakeAwsHandle) -> Result<String, KeeperError> {
    fake.journal()
        .into_iter()
        .rev()
        .find(|e| matches!(e.decision.as_deref(), Some("ExplicitDeny" | "ImplicitDeny")))
        .map(|e| e.explanation)
        .ok_or_else(|| problem("the fake journaled no denial"))
}

fn problem(m: impl Into<String>) -> KeeperError {
    KeeperError::Config(format!("the demo found a problem: {}", m.into()))
}

/// Runs the demo, printing to `out` as it goes. Uses `database_url` if given, else an in-memory
/// SQLite database.
pub async fn run(database_url: Option<&str>, out: &mut dyn FnMut(&str)) -> Result<(), KeeperError> {
    let mut args = ServiceArgs::with_database(database_url.unwrap_or("sqlite::memory:"));
    args.embedded = true;
    args.site = "demo".to_owned();
    let rt = runtime::start(&args, "demo").await?;
    let Some(fake) = &rt.fake else {
        return Err(problem("the embedded fake did not start"));
    };
    let keeper = &rt.keeper;
    let s = &keeper.settings;
    out(&format!(
        "S3 Keeper demo: everything runs in this process, on an embedded fake AWS at {} and an SQLite database; nothing leaves this machine.\n",
        fake.endpoint()
    ));

    out(&format!(
        "1. The platform (AWS account {}) creates its buckets. The service acts as IAM user {}, holding only the policy `s3keeper iam-policy` prints: its own buckets and access points, nothing else.",
        s.account,
        crate::runtime::EMBEDDED_SERVICE_USER
    ));
    for line in keeper.setup().await? {
        out(&format!("   - {line}"));
    }
    match keeper.aws.s3.list_buckets().send().await {
        Ok(_) => return Err(problem("the service could list every bucket of the account")),
        Err(e) if e.code() == Some("AccessDenied") => out(
            "   - anything else, such as listing every bucket of the account, is refused (AccessDenied)",
        ),
        Err(e) => return Err(problem(format!("listing buckets failed oddly: {e}"))),
    }

    fake.add_account(PEOPLE_ACCOUNT)
        .map_err(|e| problem(e.to_string()))?;
    let mut people = Vec::new();
    for (email, name) in [("alice@example.org", "alice"), ("bob@example.org", "bob")] {
        let (_, creds) = fake
            .create_user(PEOPLE_ACCOUNT, name, &[READER_POLICY])
            .map_err(|e| problem(e.to_string()))?;
        let sdk = fake.sdk_config(&creds);
        people.push(Person {
            email,
            name,
            s3: aws_sdk_s3::Client::new(&sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
        });
    }
    out(&format!(
        "\n2. Alice and Bob each have an IAM user in their own AWS account {PEOPLE_ACCOUNT}. They prove it without handing over any secret."
    ));
    let mut previous_url: Option<String> = None;
    for p in &people {
        keeper.add_person(p.email, p.name).await?;
        let me = p
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| problem(format!("GetCallerIdentity: {e}")))?;
        let pasted = serde_json::json!({
            "UserId": me.user_id(),
            "Account": me.account(),
            "Arn": me.arn(),
        })
        .to_string();
        out(&format!(
            "   {} pastes `aws sts get-caller-identity`: {}",
            p.name,
            me.arn().unwrap_or_default()
        ));
        let start = keeper.start_verification(p.email, &pasted).await?;
        out(&format!("   S3 Keeper asks them to run: {}", start.command));
        let url = presign(&p.s3, &start.bucket, &start.key).await?;
        if let Some(alices) = &previous_url {
            // Bob first tries Alice's signed URL: it names her key, so it is refused unfetched.
            match keeper.complete_verification(p.email, alices).await {
                Err(e) => out(&format!(
                    "   {} first pastes Alice's signed URL: {e}",
                    p.name
                )),
                Ok(_) => return Err(problem("Bob was verified with Alice's URL")),
            }
        }
        let identity = keeper.complete_verification(p.email, &url).await?;
        out(&format!(
            "   {} pastes the signed URL; S3 answers 404 to it and 403 to the same URL unsigned, so {} is verified as {} (user id {}).",
            p.name, p.email, identity.arn, identity.user_id
        ));
        previous_url = Some(url);
    }

    out(&format!(
        "\n3. A controlled dataset {SLUG}/{VERSION} is registered and uploaded to s3://{}/{SLUG}/{VERSION}/.",
        s.controlled_bucket
    ));
    let dir = std::env::temp_dir().join(format!("s3keeper-demo-{}", std::process::id()));
    let files = [
        (
            "README.txt",
            "Demo cohort: synthetic measurements for the S3 Keeper demo.\n".to_owned(),
        ),
        ("data/measurements.csv", demo_csv()),
    ];
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| KeeperError::Io(e.to_string()))?;
        }
        std::fs::write(&path, text).map_err(|e| KeeperError::Io(e.to_string()))?;
    }
    keeper
        .register_dataset(SLUG, VERSION, Kind::Controlled, &dir)
        .await?;
    let report = keeper.upload(SLUG, VERSION, &Quiet).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = report?;
    out(&format!(
        "   Uploaded {} files ({} bytes). The bucket's policy delegates to the platform's access points; all public access is blocked.",
        report.uploaded.len(),
        report.bytes_sent
    ));

    let (alice, bob) = (&people[0], &people[1]);
    out("\n4. Alice signs the data use agreement and is granted access; Bob has not signed.");
    let Some(access) = keeper.sign_agreement(alice.email, SLUG, VERSION).await? else {
        return Err(problem(
            "signing the agreement did not grant a verified person",
        ));
    };
    if access.state != "active" {
        return Err(problem(format!(
            "Alice's grant is {}: {}",
            access.state, access.note
        )));
    }
    out(&format!(
        "   Alice's access point: {}\n   Alice's command: {}",
        access.access_point, access.sync_command
    ));
    match keeper.grant(bob.email, SLUG, VERSION).await {
        Err(e) => out(&format!("   Bob asks too and is refused: {e}")),
        Ok(_) => return Err(problem("Bob was granted without signing the agreement")),
    }

    out("\n5. What each of them can do now, asked of S3 with their own credentials:");
    let ap = &access.access_point_arn;
    let prefix = format!("{SLUG}/{VERSION}/");
    let listed = list(&alice.s3, ap, &prefix).await;
    match &listed {
        Ok(keys) if keys.len() == files.len() => {
            out(&format!("   Alice lists {prefix}: {}", keys.join(", ")));
        }
        other => return Err(problem(format!("Alice's listing: {other:?}"))),
    }
    let key = format!("{prefix}data/measurements.csv");
    match get(&alice.s3, ap, &key).await {
        Ok(n) => out(&format!("   Alice reads {key}: {n} bytes")),
        Err(e) => return Err(problem(format!("Alice cannot read: {e}"))),
    }
    match list(&alice.s3, ap, "").await {
        Err(code) => {
            out(&format!(
                "   Alice lists outside the dataset: refused ({code})"
            ));
            out(&format!(
                "     why, from fake-s3's journal: {}",
                last_denial(fake)?
            ));
        }
        Ok(_) => return Err(problem("Alice listed outside the dataset")),
    }
    match get(&bob.s3, ap, &key).await {
        Err(code) => {
            out(&format!(
                "   Bob reads {key} through Alice's access point: refused ({code})"
            ));
            out(&format!(
                "     why, from fake-s3's journal: {}",
                last_denial(fake)?
            ));
        }
        Ok(_) => return Err(problem("Bob read the dataset without a grant")),
    }
    let direct = bob
        .s3
        .get_object()
        .bucket(&s.controlled_bucket)
        .key(&key)
        .send()
        .await;
    match direct {
        Err(e) => out(&format!(
            "   Bob reads it from the bucket directly: refused ({})",
            e.code().unwrap_or("error")
        )),
        Ok(_) => return Err(problem("Bob read the bucket directly")),
    }

    out("\n6. Alice's access is revoked.");
    keeper.revoke(alice.email, SLUG, VERSION).await?;
    match get(&alice.s3, ap, &key).await {
        Err(code) => out(&format!("   Alice reads {key} again: refused ({code})")),
        Ok(_) => return Err(problem("Alice could still read after revocation")),
    }

    out("\n7. Reconcile compares AWS with the database:");
    let rec = keeper.reconcile().await?;
    out(&format!(
        "   {} access point(s) checked, {} difference(s), {} failure(s).",
        rec.access_points_checked,
        rec.drift.len(),
        rec.failures.len()
    ));

    out("\n8. An instrument uploads without AWS credentials (SPEC §6): the service opens a ticket, a POST form signed with its own temporary credentials and confined to one prefix.");
    let mut request = TicketRequest::post("instrument/night-1/");
    request.max_bytes = Some(1024 * 1024);
    let ticket = keeper.start_upload(&request).await?;
    out(&format!(
        "   ticket {} for s3://{}/{} until {} (POST to {})",
        ticket.id,
        ticket.bucket,
        ticket.prefix,
        ticket.expires_at,
        ticket.url.as_deref().unwrap_or_default()
    ));
    match keeper
        .start_upload(&TicketRequest::post("instrument/"))
        .await
    {
        Err(KeeperError::Conflict(_)) => out(
            "   a second ticket over instrument/ (which holds night-1/): refused while this one is open, so neither can cancel the other's files",
        ),
        Err(e) => return Err(e),
        Ok(_) => return Err(problem("two tickets over one prefix were open together")),
    }
    let key = "instrument/night-1/frame-0001.csv";
    crate::push::post_once(&ticket, key, demo_csv().as_bytes())
        .await
        .map_err(|e| problem(format!("the ticket's form was refused: {e}")))?;
    out(&format!("   the instrument POSTs {key}: stored"));
    match crate::push::post_once(&ticket, "instrument/night-2/frame-0001.csv", b"x").await {
        Err(e) => out(&format!("   a key outside the prefix: refused ({e})")),
        Ok(()) => return Err(problem("the form wrote outside its prefix")),
    }
    let done = keeper.end_upload(&ticket.id, false).await?;
    out(&format!(
        "   finished: {} object(s), {} bytes; the ticket is revoked at once",
        done.objects.as_ref().map_or(0, Vec::len),
        done.bytes.unwrap_or(0)
    ));
    match crate::push::post_once(&ticket, "instrument/night-1/late.csv", b"x").await {
        Err(e) => {
            out(&format!("   the same form afterwards: refused ({e})"));
            out(&format!(
                "     why, from fake-s3's journal: {}",
                last_denial(fake)?
            ));
        }
        Ok(()) => return Err(problem("the form still worked after the ticket ended")),
    }

    short_ticket(keeper, fake, out).await?;

    out("\n9. The audit log:");
    for e in keeper
        .audit(&AuditFilter {
            limit: Some(100),
            ..AuditFilter::default()
        })
        .await?
    {
        let mut line = format!("   #{:<3} {:<22}", e.id, e.action);
        for part in [&e.person, &e.dataset, &e.detail] {
            if !part.is_empty() {
                let _ = write!(line, " {part}");
            }
        }
        out(&line);
    }
    out("\nDone: every step behaved as AWS documents it.");
    Ok(())
}

/// A one-minute `sts` ticket: STS's credentials last 15 minutes, the ticket's session policy
/// ends them at its own expiry (checked on the fake's clock, moved two minutes on).
async fn short_ticket(
    keeper: &crate::keeper::Keeper,
    fake: &fake_s3::FakeAwsHandle,
    out: &mut dyn FnMut(&str),
) -> Result<(), KeeperError> {
    let mut request = TicketRequest::post("instrument/night-2/");
    request.method = UploadMethod::Sts;
    request.expires_seconds = 60;
    let ticket = keeper.start_upload(&request).await?;
    let c = ticket
        .credentials
        .clone()
        .ok_or_else(|| problem("an sts ticket came without credentials"))?;
    let s3 = aws_sdk_s3::Client::new(&fake.sdk_config(&fake_s3::Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: Some(c.session_token),
    }));
    let put = |key: &'static str| {
        s3.put_object()
            .bucket(&ticket.bucket)
            .key(key)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send()
    };
    out(&format!(
        "   a one-minute sts ticket {}: its credentials say {} (STS's minimum), the ticket says {}",
        ticket.id, c.expiration, ticket.expires_at
    ));
    put("instrument/night-2/a.csv")
        .await
        .map_err(|e| problem(format!("the sts ticket was refused at once: {e}")))?;
    out("   it uploads now: stored");
    fake.set_time(Some(
        time::OffsetDateTime::now_utc() + time::Duration::minutes(2),
    ));
    let late = put("instrument/night-2/b.csv").await;
    fake.set_time(None);
    match late {
        Err(e) => out(&format!(
            "   two minutes later (the fake's clock moved on): refused ({}); the session policy ends at the ticket's expiry",
            e.code().unwrap_or("error")
        )),
        Ok(_) => return Err(problem("the credentials outlived their ticket")),
    }
    keeper.end_upload(&ticket.id, true).await?;
    Ok(())
}

fn demo_csv() -> String {
    let mut s = String::from("subject,visit,heart_rate\n");
    for i in 0..50 {
        let _ = writeln!(s, "{},{},{}", 1000 + i / 5, i % 5 + 1, 60 + (i * 7) % 40);
    }
    s
}

async fn presign(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<String, KeeperError> {
    let config = PresigningConfig::expires_in(Duration::from_secs(3600))
        .map_err(|e| problem(e.to_string()))?;
    let req = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .map_err(|e| problem(format!("presigning: {e}")))?;
    Ok(req.uri().to_owned())
}

async fn list(s3: &aws_sdk_s3::Client, ap: &str, prefix: &str) -> Result<Vec<String>, String> {
    let mut req = s3.list_objects_v2().bucket(ap);
    if !prefix.is_empty() {
        req = req.prefix(prefix);
    }
    match req.send().await {
        Ok(out) => Ok(out
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()),
        Err(e) => Err(e.code().unwrap_or("error").to_owned()),
    }
}

async fn get(s3: &aws_sdk_s3::Client, ap: &str, key: &str) -> Result<usize, String> {
    match s3.get_object().bucket(ap).key(key).send().await {
        Ok(out) => out
            .body
            .collect()
            .await
            .map(|b| b.into_bytes().len())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.code().unwrap_or("error").to_owned()),
    }
}

/// `s3keeper demo [--shares]`, printing each line as it comes.
pub(super) async fn command(database_url: Option<String>, shares: bool) -> Result<(), KeeperError> {
    let mut print = |line: &str| println!("{line}");
    if shares {
        shares::run(database_url.as_deref(), &mut print).await
    } else {
        run(database_url.as_deref(), &mut print).await
    }
}
