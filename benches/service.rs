//! Service speed (issue 4), against the in-process fake through the AWS SDK:
//!
//! - `grant/{sqlite,postgres}/{0,1000,10000}`: one grant (database allocation, commit, access
//!   point policy written to the fake) with 0, 1,000 and 10,000 people already granted on the
//!   dataset. Each iteration grants a new verified, eligible person. Besides criterion's figures,
//!   the bench prints p50/p99 of every grant it timed.
//! - `reconcile/1000-access-points/{in-sync,all-rewritten}`: reconcile of 1,000 access points,
//!   once when AWS already matches (1,000 policies read and compared) and once after every one
//!   of them was marked unapplied (1,000 policies written).
//!
//! - `upload-ticket/sqlite/{post,put,sts}`: opening an upload ticket; prints p50/p99 too.
//! - `share-grant/sqlite/{0,100,270}`: one `share grant` (Ceph dialect) on a bucket whose role
//!   table already has 0, 100 or 270 members (270 readers and the alternating writer, with the
//!   writer's ACL Denies, render to about 19.8 KB, near S3's 20 KB
//!   limit): the live policy read and compared, the table rendered, the policy written, one row
//!   saved. Each iteration changes one member's role, which costs what a new grant costs.
//!
//! The granted people are seeded straight into the database in bulk, and written to the fake by
//! one reconcile, because seeding 10,000 people through the verification protocol would measure
//! set-up, not grants. PostgreSQL must listen on 127.0.0.1:5432 (or `S3KEEPER_TEST_POSTGRES`).
//! Figures quoted in README come from `cargo bench --bench service`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use fake_s3::{FakeAws, FakeAwsHandle};
use s3keeper::keeper::{Keeper, Kind, Quiet, Settings};
use s3keeper::runtime::{self, ServiceArgs};

const PLATFORM: &str = "111122223333";
const PEOPLE: &str = "444455556666";
const SLUG: &str = "bench";
const VERSION: &str = "1";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn or_die<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

async fn fresh_database(backend: Backend, tag: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // The tests' clean-up drops `s3k_SECONDS_…` databases an hour old.
    let unique = format!(
        "{}_{}_{}",
        now.as_secs(),
        std::process::id(),
        now.subsec_micros()
    );
    let tag = tag.replace('-', "_");
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("s3keeper-bench-{tag}-{unique}.db"));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = std::env::var("S3KEEPER_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
            let mut conn = or_die(sqlx::PgConnection::connect(&admin).await);
            let name = format!("s3k_{unique}_bench_{tag}");
            or_die(
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await,
            );
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    }
}

struct Seeded {
    _fake: FakeAwsHandle,
    keeper: Keeper,
    /// Verified people who signed the agreement and are not granted yet.
    candidates: Vec<String>,
}

/// A service whose controlled dataset already has `members` people granted (in access points of
/// 500, policies written to the fake), and `candidates` more ready to be granted.
async fn seed(
    backend: Backend,
    tag: &str,
    members: usize,
    candidates: usize,
    capacity: usize,
) -> Seeded {
    let fake = or_die(
        FakeAws::builder()
            .account(PLATFORM)
            .account(PEOPLE)
            .start()
            .await,
    );
    let creds = or_die(fake.root_credentials(PLATFORM));
    let url = fresh_database(backend, tag).await;
    let mut settings = Settings::new(PLATFORM, "us-east-1");
    settings.capacity = capacity;
    let keeper = or_die(
        runtime::connect(
            &ServiceArgs::with_database(&url),
            &fake.sdk_config(&creds),
            settings,
            "bench",
        )
        .await,
    );
    or_die(keeper.setup().await);
    let dir =
        std::env::temp_dir().join(format!("s3keeper-bench-data-{tag}-{}", std::process::id()));
    or_die(std::fs::create_dir_all(&dir));
    or_die(std::fs::write(dir.join("a.csv"), "x\n1\n"));
    or_die(
        keeper
            .register_dataset(SLUG, VERSION, Kind::Controlled, &dir)
            .await,
    );
    or_die(keeper.upload(SLUG, VERSION, &Quiet).await);
    let _ = std::fs::remove_dir_all(&dir);

    let total = members + candidates;
    let mut users = Vec::with_capacity(total);
    for i in 0..total {
        let (user, _) = or_die(fake.create_user(PEOPLE, &format!("u{i:06}"), &[]));
        users.push(user);
    }
    let pool = &keeper.db.pool;
    let mut tx = or_die(pool.begin().await);
    let (dataset_id,): (i64,) = or_die(
        sqlx::query_as("SELECT id FROM datasets WHERE slug = $1 AND version = $2")
            .bind(SLUG)
            .bind(VERSION)
            .fetch_one(&mut *tx)
            .await,
    );
    let access_points = members.div_ceil(capacity);
    for n in 1..=access_points {
        let count = capacity.min(members - (n - 1) * capacity);
        or_die(
            sqlx::query(
                "INSERT INTO access_points (dataset_id, number, name, member_count, created, version, applied_version) VALUES ($1, $2, $3, $4, 0, 1, -1)",
            )
            .bind(dataset_id)
            .bind(n as i64)
            .bind(s3keeper::keeper::access_point_name(SLUG, VERSION, n as i64))
            .bind(count as i64)
            .execute(&mut *tx)
            .await,
        );
    }
    let mut emails = Vec::with_capacity(total);
    for (i, user) in users.iter().enumerate() {
        let email = format!("p{i:06}@example.org");
        let (person_id,): (i64,) = or_die(
            sqlx::query_as(
                "INSERT INTO people (email, name, created_at) VALUES ($1, '', 0) RETURNING id",
            )
            .bind(&email)
            .fetch_one(&mut *tx)
            .await,
        );
        or_die(
            sqlx::query(
                "INSERT INTO identities (person_id, account, user_id, arn, username, status, note, verified_at) VALUES ($1, $2, $3, $4, $5, 'verified', '', 0)",
            )
            .bind(person_id)
            .bind(PEOPLE)
            .bind(&user.user_id)
            .bind(&user.arn)
            .bind(&user.name)
            .execute(&mut *tx)
            .await,
        );
        or_die(
            sqlx::query(
                "INSERT INTO agreements (person_id, dataset_id, signed_at) VALUES ($1, $2, 0)",
            )
            .bind(person_id)
            .bind(dataset_id)
            .execute(&mut *tx)
            .await,
        );
        if i < members {
            let number = (i / capacity + 1) as i64;
            or_die(
                sqlx::query(
                    "INSERT INTO grants (person_id, dataset_id, access_point_id, created_at) SELECT $1, $2, id, 0 FROM access_points WHERE dataset_id = $2 AND number = $3",
                )
                .bind(person_id)
                .bind(dataset_id)
                .bind(number)
                .execute(&mut *tx)
                .await,
            );
        }
        emails.push(email);
    }
    or_die(tx.commit().await);
    // Creates the access points and writes their policies, as after a restore.
    let report = or_die(keeper.reconcile().await);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.access_points_checked, access_points);
    Seeded {
        _fake: fake,
        keeper,
        candidates: emails.split_off(members),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Times `iters` calls of `op` (the i-th gets `i`), recording each in `times`; criterion gets
/// the total, the summary line the percentiles.
fn timed(iters: u64, times: &Mutex<Vec<Duration>>, mut op: impl FnMut(u64)) -> Duration {
    let mut total = Duration::ZERO;
    for i in 0..iters {
        let start = Instant::now();
        op(i);
        let took = start.elapsed();
        total += took;
        times
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(took);
    }
    total
}

/// `n=… p50=… p99=…` of what `times` recorded.
fn percentiles(times: &Mutex<Vec<Duration>>) -> String {
    let mut t = times
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    t.sort();
    format!(
        "n={} p50={:?} p99={:?}",
        t.len(),
        percentile(&t, 0.5),
        percentile(&t, 0.99)
    )
}

fn bench_grants(c: &mut Criterion) {
    let rt = rt();
    let mut group = c.benchmark_group("grant");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    let mut summary = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for members in [0usize, 1_000, 10_000] {
            let tag = format!("{backend:?}-{members}").to_lowercase();
            let seeded = rt.block_on(seed(backend, &tag, members, 6_000, 500));
            let keeper = seeded.keeper.clone();
            let queue = Arc::new(Mutex::new(seeded.candidates.clone().into_iter()));
            let times = Arc::new(Mutex::new(Vec::new()));
            group.bench_function(
                format!("{}/{members}", format!("{backend:?}").to_lowercase()),
                |b| {
                    b.iter_custom(|iters| {
                        timed(iters, &times, |_| {
                            let email = queue
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .next()
                                .unwrap_or_else(|| {
                                    panic!("out of candidates; raise the seed count")
                                });
                            let access = or_die(rt.block_on(keeper.grant(&email, SLUG, VERSION)));
                            assert_eq!(access.state, "active", "{}", access.note);
                        })
                    });
                },
            );
            summary.push(format!(
                "grant {backend:?} with {members:>5} members: {}",
                percentiles(&times)
            ));
        }
    }
    group.finish();
    for line in summary {
        println!("{line}");
    }
}

fn bench_reconcile(c: &mut Criterion) {
    let rt = rt();
    let mut group = c.benchmark_group("reconcile/1000-access-points");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(10));
    // 1,000 access points with one member each.
    let seeded = rt.block_on(seed(Backend::Sqlite, "reconcile", 1_000, 0, 1));
    let keeper = seeded.keeper.clone();
    group.bench_function("in-sync", |b| {
        b.iter(|| {
            let report = or_die(rt.block_on(keeper.reconcile()));
            assert_eq!(report.access_points_checked, 1_000);
            assert!(report.drift.is_empty());
        });
    });
    group.bench_function("all-rewritten", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                or_die(
                    rt.block_on(
                        sqlx::query("UPDATE access_points SET applied_version = -1")
                            .execute(&keeper.db.pool),
                    ),
                );
                let start = Instant::now();
                let report = or_die(rt.block_on(keeper.reconcile()));
                total += start.elapsed();
                assert_eq!(report.drift.len(), 1_000);
            }
            total
        });
    });
    group.finish();
}

/// Opening an upload ticket (issue 11): the STS call for the ticket's own credentials, the row
/// and audit entry in SQLite, and the form's signature (or a presigned URL, or nothing more).
/// Tickets opened by the ticket bench so far (prefixes must not repeat).
static NEXT_TICKET: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn bench_tickets(c: &mut Criterion) {
    use s3keeper::keeper::{TicketRequest, UploadMethod};
    let rt = rt();
    let mut group = c.benchmark_group("upload-ticket/sqlite");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    let seeded = rt.block_on(seed(Backend::Sqlite, "tickets", 0, 0, 500));
    let keeper = seeded.keeper.clone();
    let mut summary = Vec::new();
    for method in [UploadMethod::Post, UploadMethod::Put, UploadMethod::Sts] {
        let times = Arc::new(Mutex::new(Vec::new()));
        let name = format!("{method:?}").to_lowercase();
        group.bench_function(&name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Prefixes never repeat (two open tickets may not overlap), and each ticket
                    // is cancelled and its revocation place freed (as its expiry would) outside
                    // the timing, so the list stays empty: what is timed is the open alone.
                    let n = NEXT_TICKET.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let mut request = TicketRequest::post(&format!("builds/{n}/"));
                    request.method = method;
                    if method == UploadMethod::Put {
                        request.keys = vec!["index.html".to_owned()];
                    }
                    let start = Instant::now();
                    let ticket = or_die(rt.block_on(keeper.start_upload(&request)));
                    let took = start.elapsed();
                    total += took;
                    times
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(took);
                    or_die(rt.block_on(keeper.end_upload(&ticket.id, true)));
                    or_die(
                        rt.block_on(
                            sqlx::query("UPDATE upload_tickets SET revoke_until = 0 WHERE id = $1")
                                .bind(&ticket.id)
                                .execute(&keeper.db.pool),
                        ),
                    );
                }
                total
            });
        });
        summary.push(format!(
            "open a {name} ticket (SQLite): {}",
            percentiles(&times)
        ));
    }
    group.finish();
    for line in summary {
        println!("{line}");
    }
}

/// `share grant` on a bucket with 0, 100 and 270 members (issue 12's target was p50 < 10 ms at
/// 300; since issue 18 an uploading member is also named in the seven ACL Denies, so 300 readers
/// and a writer no longer fit in 20 KB).
fn bench_share_grants(c: &mut Criterion) {
    use s3keeper::shares::{Dialect, Role};
    let rt = rt();
    let mut group = c.benchmark_group("share-grant/sqlite");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    let mut summary = Vec::new();
    for members in [0usize, 100, 270] {
        let keeper = rt.block_on(async {
            let fake = or_die(
                FakeAws::builder()
                    .ceph_dialect(true)
                    .account(PLATFORM)
                    .start()
                    .await,
            );
            let owner = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
            let (_, creds) = or_die(fake.create_user(PLATFORM, "pi", &[owner]));
            or_die(
                aws_sdk_s3::Client::new(&fake.sdk_config(&creds))
                    .create_bucket()
                    .bucket("lab-bench")
                    .send()
                    .await,
            );
            let database_url = fresh_database(Backend::Sqlite, &format!("share-{members}")).await;
            let mut settings = Settings::new("", "us-east-1");
            settings.dialect = Dialect::Ceph;
            let keeper = or_die(
                runtime::connect(
                    &ServiceArgs::with_database(&database_url),
                    &fake.sdk_config(&creds),
                    settings,
                    "bench",
                )
                .await,
            );
            // RGW user names as short as the guide's (`bob`), so 270 readers come near 20 KB.
            for i in 0..=members {
                let name = format!("lts-{i:05}");
                or_die(fake.create_user(PLATFORM, &name, &[]));
                if i < members {
                    or_die(
                        keeper
                            .share_grant("lab-bench", &name, Role::Reader, "", false)
                            .await,
                    );
                }
            }
            (fake, keeper)
        });
        let (_fake, keeper) = keeper;
        let subject = format!("lts-{members:05}");
        let times = Arc::new(Mutex::new(Vec::new()));
        let bytes = Arc::new(Mutex::new(0usize));
        group.bench_function(format!("{members}"), |b| {
            b.iter_custom(|iters| {
                timed(iters, &times, |i| {
                    let role = if i % 2 == 0 {
                        Role::Reader
                    } else {
                        Role::Writer
                    };
                    let change = or_die(rt.block_on(keeper.share_grant(
                        "lab-bench",
                        &subject,
                        role,
                        "",
                        false,
                    )));
                    *bytes
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = change.share.bytes;
                })
            });
        });
        summary.push(format!(
            "share grant with {members:>3} members (policy {} bytes): {}",
            bytes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            percentiles(&times)
        ));
    }
    group.finish();
    for line in summary {
        println!("{line}");
    }
}

criterion_group!(
    benches,
    bench_grants,
    bench_reconcile,
    bench_tickets,
    bench_share_grants
);
criterion_main!(benches);
