//! What every command shares: the runtime it builds, JSON output, input files, the progress bar.

use std::io::Read as _;

use crate::error::KeeperError;
use crate::keeper::Progress;
use crate::runtime::{self, ServiceArgs};

pub(crate) fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: {e}"),
    }
}

pub(crate) async fn keeper(service: &ServiceArgs) -> Result<runtime::Runtime, KeeperError> {
    runtime::start(service, "cli").await
}

pub(super) fn read_input(path: &std::path::Path) -> Result<String, KeeperError> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .map_err(|e| KeeperError::Io(format!("standard input: {e}")))?;
    } else {
        text = std::fs::read_to_string(path)
            .map_err(|e| KeeperError::Io(format!("{}: {e}", path.display())))?;
    }
    Ok(text)
}

/// A progress bar on standard error.
pub(super) struct Bar(indicatif::ProgressBar);

impl Bar {
    pub(super) fn new() -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, files: usize, bytes: u64) {
        self.0.set_length(bytes);
        self.0.set_message(format!("uploading {files} file(s)"));
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
