//! The binary's log line when its log is not a terminal (a file, a pipe): the same text as
//! tracing-subscriber's default format (`TIME  LEVEL message key=value …`, no colour), written
//! without its colour and padding machinery, and with every control character in any field
//! escaped so no value (a policy's statement id, a key) can start a line of its own. Every request
//! logs a line (SPEC §3.1), and the default format was a tenth of a GET's work
//! (`scripts/bench-fake-get.sh`, docs/benchmarks.md). On a terminal the default format, with
//! colour, is used.

use std::fmt::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The plain line format (see the module's doc).
#[derive(Debug, Default, Clone, Copy)]
pub struct PlainLine;

impl<S, N> FormatEvent<S, N> for PlainLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write_timestamp(&mut writer, SystemTime::now())?;
        writer.write_str(match *event.metadata().level() {
            Level::TRACE => " TRACE ",
            Level::DEBUG => " DEBUG ",
            Level::INFO => "  INFO ",
            Level::WARN => "  WARN ",
            Level::ERROR => " ERROR ",
        })?;
        let mut fields = Fields {
            out: Escaping(&mut writer),
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, as tracing-subscriber's default timer writes it.
fn write_timestamp(w: &mut impl Write, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let in_day = secs % 86_400;
    let mut buf = [0u8; 27];
    let mut put = |at: usize, value: u64, width: usize| {
        let mut v = value;
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year.max(0) as u64, 4);
    put(5, u64::from(month), 2);
    put(8, u64::from(day), 2);
    put(11, in_day / 3600, 2);
    put(14, in_day / 60 % 60, 2);
    put(17, in_day % 60, 2);
    put(20, u64::from(since.subsec_micros()), 6);
    for (at, sep) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ] {
        buf[at] = sep;
    }
    buf[26] = b'Z';
    // Only ASCII digits and separators were written.
    w.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The message first as written, then `name=value` for each other field, space separated.
struct Fields<'w, W: Write> {
    out: Escaping<'w, W>,
    first: bool,
    result: fmt::Result,
}

impl<W: Write> Fields<'_, W> {
    fn field(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            if !std::mem::take(&mut self.first) {
                self.out.0.write_char(' ')?;
            }
            if field.name() != "message" {
                self.out.0.write_str(field.name())?;
                self.out.0.write_char('=')?;
            }
            self.out.write_fmt(value)
        })();
    }
}

impl<W: Write> Visit for Fields<'_, W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, format_args!("{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, format_args!("{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, format_args!("{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, format_args!("{value}"));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.field(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, format_args!("{value:?}"));
    }
}

/// Writes through, with control characters (newlines, escape codes) written as escapes.
struct Escaping<'w, W: Write>(&'w mut W);

impl<W: Write> Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Control characters are C0 and DEL, or C1 (U+0080–U+009F, which UTF-8 writes after a
        // 0xC2 byte): text with none of those bytes has none, checked without decoding it.
        if s.bytes().all(|b| b >= 0x20 && b != 0x7f && b != 0xc2) {
            return self.0.write_str(s);
        }
        for c in s.chars() {
            if c.is_control() {
                write!(self.0, "{}", c.escape_default())?;
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        let mut s = String::new();
        let t = UNIX_EPOCH + Duration::new(1_780_000_000, 123_456_789);
        write_timestamp(&mut s, t).unwrap_or_else(|e| panic!("{e}"));
        let expected = time::OffsetDateTime::from_unix_timestamp(1_780_000_000)
            .unwrap_or_else(|e| panic!("{e}"))
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]"
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s, format!("{expected}.123456Z"));
    }

    #[test]
    fn dates_agree_with_the_time_crate_across_leap_years() {
        for days in (-800_000..800_000)
            .step_by(997)
            .chain([0, 59, 60, 365, 789, 11_016])
        {
            let date = time::Date::from_julian_day(2_440_588 + days as i32)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                civil_from_days(days),
                (
                    i64::from(date.year()),
                    u32::from(u8::from(date.month())),
                    u32::from(date.day())
                ),
                "day {days}"
            );
        }
    }

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(f: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(PlainLine)
            .with_writer(move || out.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_request_line_reads_as_the_default_format_without_colour() {
        let line = logged(|| {
            let principal = "arn:aws:iam::111122223333:user/ann";
            tracing::info!(
                request_id = %"FAKE0000000000000001",
                operation = %"GetObject",
                principal = %principal,
                decision = %"Allow",
                status = 200u16,
                "{} {}",
                "GET",
                "/b/k"
            );
        });
        let (time, rest) = line.split_at(27);
        assert!(time.ends_with('Z') && time.contains('T'), "{line}");
        assert_eq!(
            rest,
            "  INFO GET /b/k request_id=FAKE0000000000000001 operation=GetObject principal=arn:aws:iam::111122223333:user/ann decision=Allow status=200\n"
        );
    }

    #[test]
    fn no_field_can_start_a_line_of_its_own() {
        let why = "denied by statement \"x\n2026-01-01T00:00:00Z  INFO forged\u{1b}[31m\u{85}£\"";
        let line = logged(|| tracing::warn!(why = %why, "GET /b/k"));
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert!(!line.contains('\u{1b}'), "{line}");
        assert!(line.contains(r"x\n2026"), "{line}");
        assert!(
            !line.contains('\u{85}') && line.contains(r"\u{85}£"),
            "{line}"
        );
        assert!(line.contains("  WARN GET /b/k why=denied"), "{line}");
    }
}
