//! A person uploads from a browser (issue 11): headless Chromium, driven through WebDriver
//! (Debian's `chromium` and `chromium-driver`, which `.ci/run` installs), opens the page
//! `upload start --html` writes, chooses two files and submits; both objects are in the fake.
//! The page is served from its own origin, which the uploads bucket's CORS rules allow.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use s3keeper::keeper::TicketRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Serves `page` to every request on `listener`.
fn serve_page(listener: tokio::net::TcpListener, page: String) {
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = stream.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    page.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(page.as_bytes()).await;
            });
        }
    });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("port: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_uploads_two_files_with_the_html_page() {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        // `.ci/run` installs them; a developer machine may skip the test only by saying so.
        if std::env::var("S3KEEPER_SKIP_BROWSER").as_deref() == Ok("1") {
            return;
        }
        panic!(
            "browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver), or S3KEEPER_SKIP_BROWSER=1"
        );
    }
    let page_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let origin = format!(
        "http://{}",
        page_listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"))
    );
    let allowed = origin.clone();
    let env = crate::service_support::env_with(crate::service_support::Backend::Sqlite, move |s| {
        s.upload_origins = vec![allowed];
    })
    .await;
    let ticket = env
        .keeper
        .start_upload(&TicketRequest::post("browser/session-1/"))
        .await
        .unwrap_or_else(|e| panic!("ticket: {e}"));
    serve_page(page_listener, s3keeper::upload_page::render(&ticket));

    let dir = std::env::temp_dir().join(format!("s3k-browser-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let files = [dir.join("notes.txt"), dir.join("data.csv")];
    let _ = std::fs::write(&files[0], "observing notes\n");
    let _ = std::fs::write(&files[1], "t,flux\n1,0.5\n");

    let port = free_port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver: {e}")),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        }),
    );
    let mut client = None;
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match fantoccini::ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let client = client.unwrap_or_else(|| panic!("no WebDriver session on port {port}"));
    let result = async {
        client.goto(&format!("{origin}/upload.html")).await?;
        let input = client.find(fantoccini::Locator::Css("#files")).await?;
        let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        input.send_keys(&paths.join("\n")).await?;
        client
            .find(fantoccini::Locator::Css("#send"))
            .await?
            .click()
            .await?;
        let mut status = String::new();
        for _ in 0..100 {
            status = client
                .find(fantoccini::Locator::Css("#status"))
                .await?
                .text()
                .await?;
            if status.contains("uploaded,") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<String, fantoccini::error::CmdError>(status)
    }
    .await;
    let _ = client.close().await;
    drop(driver);
    let status = result.unwrap_or_else(|e| panic!("WebDriver: {e}"));
    assert_eq!(status, "2 uploaded, 0 failed");
    let state = env
        .keeper
        .upload_ticket(&ticket.id)
        .await
        .unwrap_or_else(|e| panic!("show: {e}"));
    let keys: Vec<String> = state
        .objects
        .unwrap_or_default()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(
        keys,
        ["browser/session-1/data.csv", "browser/session-1/notes.txt"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
