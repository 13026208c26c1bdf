//! Uploads and dataset sources: unchanged files skipped, large ones in parts, the source root,
//! symbolic links refused.

use s3keeper::keeper::{Kind, Quiet};
use s3keeper::KeeperError;

use super::{admin_s3, ok, ok_fake};
use crate::service_support::{env, env_with, Backend};

#[tokio::test]
async fn uploads_skip_unchanged_files_and_use_parts_for_large_ones() {
    let env = env(Backend::Sqlite).await;
    let dir = crate::service_support::dataset_dir("upload");
    let big = vec![42u8; 17 * 1024 * 1024];
    ok_fake(std::fs::write(dir.join("big.bin"), &big));
    ok(
        env.keeper
            .register_dataset("files", "2", Kind::Open, &dir)
            .await,
        "register",
    );
    let first = ok(env.keeper.upload("files", "2", &Quiet).await, "upload");
    assert_eq!(first.uploaded.len(), 4);
    let second = ok(env.keeper.upload("files", "2", &Quiet).await, "upload");
    assert!(second.uploaded.is_empty(), "{:?}", second.uploaded);
    assert_eq!(second.unchanged.len(), 4);
    ok_fake(std::fs::write(dir.join("data/a.csv"), "x,y\n9,9\n"));
    let third = ok(env.keeper.upload("files", "2", &Quiet).await, "upload");
    assert_eq!(third.uploaded, vec!["files/2/data/a.csv".to_owned()]);
    // The open bucket is public: anyone reads, here with no credentials at all.
    let anonymous = format!(
        "{}/{}/files/2/data/a.csv",
        env.fake.endpoint(),
        env.keeper.settings.open_bucket
    );
    let body = ok_fake(ok_fake(reqwest::get(&anonymous).await).text().await);
    assert_eq!(body, "x,y\n9,9\n");
    let head = ok_fake(
        admin_s3(&env)
            .head_object()
            .bucket(&env.keeper.settings.open_bucket)
            .key("files/2/big.bin")
            .send()
            .await,
    );
    assert!(
        head.e_tag().unwrap_or_default().ends_with("-3\""),
        "{:?}",
        head.e_tag()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn with_a_source_root_only_datasets_inside_it_can_be_registered() {
    let inside = crate::service_support::dataset_dir("inside");
    let root = match inside.parent() {
        Some(p) => p.join(format!("s3k-root-{}", std::process::id())),
        None => panic!("no parent"),
    };
    ok_fake(std::fs::create_dir_all(&root));
    let moved = root.join("ds");
    ok_fake(std::fs::rename(&inside, &moved));
    let canonical = ok_fake(std::fs::canonicalize(&root));
    let env = env_with(Backend::Sqlite, |s| s.source_root = Some(canonical)).await;
    ok(
        env.keeper
            .register_dataset("inside", "1", Kind::Open, &moved)
            .await,
        "inside the root",
    );
    let outside = crate::service_support::dataset_dir("outside");
    let refused = env
        .keeper
        .register_dataset("outside", "1", Kind::Open, &outside)
        .await;
    assert!(
        matches!(refused, Err(KeeperError::Forbidden(ref m)) if m.contains("outside")),
        "{refused:?}"
    );
    // `..` cannot walk out of the root: the path is made canonical first.
    let sneaky = moved
        .join("..")
        .join("..")
        .join(outside.file_name().unwrap_or_default());
    let refused = env
        .keeper
        .register_dataset("sneaky", "1", Kind::Open, &sneaky)
        .await;
    assert!(
        matches!(refused, Err(KeeperError::Forbidden(_))),
        "{refused:?}"
    );
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&outside);
}

#[tokio::test]
async fn uploads_refuse_symbolic_links() {
    let env = env(Backend::Sqlite).await;
    let dir = crate::service_support::dataset_dir("links");
    let secret = dir.with_extension("secret");
    ok_fake(std::fs::write(&secret, "not for publication"));
    ok_fake(std::os::unix::fs::symlink(
        &secret,
        dir.join("data/leak.txt"),
    ));
    ok(
        env.keeper
            .register_dataset("links", "1", Kind::Open, &dir)
            .await,
        "register",
    );
    let refused = env.keeper.upload("links", "1", &Quiet).await;
    assert!(
        matches!(refused, Err(KeeperError::Invalid(ref m)) if m.contains("symbolic link")),
        "{refused:?}"
    );
    let listed = ok_fake(
        admin_s3(&env)
            .list_objects_v2()
            .bucket(&env.keeper.settings.open_bucket)
            .send()
            .await,
    );
    assert!(listed.contents().is_empty(), "nothing was uploaded");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&secret);
}
