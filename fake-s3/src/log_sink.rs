//! Where the binary's log lines go: standard error, in batches. SPEC §3.1 asks for one line per
//! request; writing each line with its own `write` system call cost about 7 % of a presigned GET's
//! CPU time under `scripts/bench-fake-get.sh` (`perf`: the write alone). Lines are gathered in
//! memory, in the order they were logged, and written out together by a thread of the sink's own
//! ([`LogSink::start_writer`]) [`GATHER`] after the first line of a batch arrives (a quiet
//! server's line appears a couple of milliseconds after its request; a busy one writes a hundred
//! lines at a time), at once when the batch reaches [`BATCH_BYTES`], and at shutdown (SIGTERM,
//! Ctrl-C: after the runtime has stopped, so the requests in flight have logged) and before a
//! panic's message, so nothing logged before either is lost. Only a `SIGKILL` can lose lines:
//! those of the last [`GATHER`].

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// A batch this large is written out at once by the thread that filled it.
pub const BATCH_BYTES: usize = 16 * 1024;

/// Room past [`BATCH_BYTES`] for the line that fills a batch, so that line does not grow (and
/// copy) the batch: a batch is sent out once it reaches [`BATCH_BYTES`], always by a line that
/// overshoots it.
const LINE_ROOM: usize = 4 * 1024;

/// How long the writer lets a batch gather after its first line.
pub const GATHER: Duration = Duration::from_millis(2);

/// Log lines not yet written, and where they go; clones share them.
#[derive(Debug, Clone)]
pub struct LogSink(Arc<Inner>);

struct Inner {
    batch: Mutex<Vec<u8>>,
    /// Signalled when a line arrives in an empty batch.
    started: Condvar,
    /// Held while a batch is written, taken before the batch's lock is released: two batches
    /// reach the output in the order they were taken.
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSink").finish_non_exhaustive()
    }
}

impl LogSink {
    /// A sink writing to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        LogSink(Arc::new(Inner {
            batch: Mutex::new(Vec::with_capacity(BATCH_BYTES + LINE_ROOM)),
            started: Condvar::new(),
            out: Mutex::new(out),
        }))
    }

    /// Standard error as a plain file descriptor: `std::io::stderr()` takes a process-wide lock
    /// per write, which was contended on almost every request (`strace -c`); our own locks are
    /// only held to append.
    pub fn stderr() -> Self {
        use std::os::fd::AsFd;
        match std::io::stderr().as_fd().try_clone_to_owned() {
            Ok(fd) => Self::new(Box::new(std::fs::File::from(fd))),
            Err(_) => Self::new(Box::new(std::io::stderr())),
        }
    }

    fn lock_batch(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.batch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds whole lines to the batch, writing the batch out if it is full.
    fn append(&self, lines: &[u8]) {
        let mut batch = self.lock_batch();
        let first = batch.is_empty();
        batch.extend_from_slice(lines);
        if batch.len() >= BATCH_BYTES {
            self.write_out(batch);
        } else {
            drop(batch);
            if first {
                self.0.started.notify_one();
            }
        }
    }

    /// Writes out whatever is waiting.
    pub fn flush(&self) {
        let batch = self.lock_batch();
        if !batch.is_empty() {
            self.write_out(batch);
        }
    }

    fn write_out(&self, mut batch: MutexGuard<'_, Vec<u8>>) {
        let full = std::mem::replace(&mut *batch, Vec::with_capacity(BATCH_BYTES + LINE_ROOM));
        let mut out = self.0.out.lock().unwrap_or_else(PoisonError::into_inner);
        drop(batch);
        // A log that cannot be written (standard error closed) is not a reason to fail requests.
        let _ = out.write_all(&full);
        let _ = out.flush();
    }

    /// Starts the thread that writes each batch out [`GATHER`] after its first line.
    pub fn start_writer(&self) -> std::io::Result<()> {
        let sink = self.clone();
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || loop {
                let mut batch = sink.lock_batch();
                while batch.is_empty() {
                    batch = sink
                        .0
                        .started
                        .wait(batch)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                drop(batch);
                std::thread::sleep(GATHER);
                sink.flush();
            })
            .map(drop)
    }

    /// Flushes before the default panic message, so the lines logged before a panic come first.
    /// Only if neither lock is held: the panicking thread may hold one, and std's locks are not
    /// reentrant.
    pub fn flush_on_panic(&self) {
        let sink = self.clone();
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let (Ok(mut batch), Ok(mut out)) = (sink.0.batch.try_lock(), sink.0.out.try_lock()) {
                let _ = out.write_all(&batch);
                let _ = out.flush();
                batch.clear();
            }
            default(info);
        }));
    }
}

/// tracing-subscriber formats each event into one buffer and hands it over with one `write_all`.
/// It borrows the sink: a clone per line touched the shared count from every worker.
#[derive(Debug)]
pub struct Appender<'a>(&'a LogSink);

impl Write for Appender<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = Appender<'a>;

    fn make_writer(&'a self) -> Appender<'a> {
        Appender(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::MakeWriter;

    /// An output whose bytes the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned()
        }
    }

    #[test]
    fn lines_wait_for_a_flush_or_a_full_batch() {
        let out = Shared::default();
        let sink = LogSink::new(Box::new(out.clone()));
        sink.make_writer().write_all(b"one\n").unwrap_or_default();
        assert_eq!(out.text(), "", "a short line waits");
        sink.flush();
        assert_eq!(out.text(), "one\n");
        let long = vec![b'x'; BATCH_BYTES];
        sink.make_writer().write_all(&long).unwrap_or_default();
        assert_eq!(
            out.text().len(),
            4 + BATCH_BYTES,
            "a full batch goes at once"
        );
    }

    #[test]
    fn the_writer_writes_a_line_soon_after_it_arrives() {
        let out = Shared::default();
        let sink = LogSink::new(Box::new(out.clone()));
        sink.start_writer().unwrap_or_else(|e| panic!("{e}"));
        for round in 0..3 {
            let line = format!("line {round}\n");
            sink.make_writer()
                .write_all(line.as_bytes())
                .unwrap_or_default();
            let waited = std::time::Instant::now();
            while !out.text().contains(&line) {
                assert!(
                    waited.elapsed() < Duration::from_secs(5),
                    "{line:?} never written"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    #[test]
    fn lines_from_many_threads_arrive_whole_and_each_threads_in_order() {
        let out = Shared::default();
        let sink = LogSink::new(Box::new(out.clone()));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let sink = sink.clone();
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        let line = format!("thread {t} line {i:05} {}\n", "y".repeat(i % 70));
                        sink.make_writer()
                            .write_all(line.as_bytes())
                            .unwrap_or_default();
                        if i % 500 == 0 {
                            sink.flush();
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap_or_default();
        }
        sink.flush();
        let text = out.text();
        let mut next = [0usize; 4];
        for line in text.lines() {
            let mut words = line.split(' ');
            let (Some("thread"), Some(t), Some("line"), Some(i)) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                panic!("a torn line: {line:?}");
            };
            let (t, i): (usize, usize) = (t.parse().unwrap_or(99), i.parse().unwrap_or(99_999));
            assert_eq!(i, next[t], "thread {t}'s lines out of order");
            next[t] += 1;
        }
        assert_eq!(next, [2_000; 4]);
    }
}
