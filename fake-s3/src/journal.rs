//! The journal: one entry per request (what `GET /_fake/journal` and
//! [`crate::FakeAwsHandle::journal`] serve), the newest [`CAPACITY`] kept, and, per principal,
//! every authorization its requests needed since the last reset (what least privilege is built
//! from, kept apart from the entries, which a test may clear or which may roll over).
//!
//! Every request writes an entry, so an entry is kept compact: its texts in one allocation and
//! their boundaries in another, built from the request's borrowed texts. Entries are expanded into
//! [`JournalEntry`] only when the journal is read. When the journal is full, the entry dropped is
//! the oldest, long out of cache: two frees instead of a dozen.

use std::collections::{HashMap, HashSet, VecDeque};

use time::OffsetDateTime;

use crate::enforcement::Need;

/// How many journal entries are kept.
pub const CAPACITY: usize = 100_000;

/// One authorization decision, as the journal records it (and `GET /_fake/journal` serves it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JournalEntry {
    pub request_id: String,
    /// When the fake received the request (its own clock; RFC 3339 in JSON, written only when the
    /// journal is read).
    #[serde(serialize_with = "rfc3339")]
    pub time: OffsetDateTime,
    pub method: String,
    /// The request path, as sent (percent-encoded).
    pub path: String,
    /// The `Host` header, which shows how the request was addressed.
    pub host: String,
    pub operation: String,
    /// The caller's ARN, or `anonymous`.
    pub principal: String,
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`; `None` when the request failed before
    /// authorization (bad signature, unknown bucket…).
    pub decision: Option<String>,
    /// Why, in words (policy-eval's explanation summary).
    pub explanation: String,
    pub status: u16,
    /// `soft` when policy refused the request and soft enforcement served it anyway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<&'static str>,
    /// What the request was authorized for (action, resource, a listing's prefix), allowed or
    /// not: what `GET /_fake/least-privilege` builds its policy from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorized: Vec<Need>,
}

fn rfc3339<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    let text = t
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}

/// A request's journal entry as the server hands it over: its texts borrowed.
#[derive(Debug)]
pub struct Record<'a> {
    pub request_id: &'a str,
    pub time: OffsetDateTime,
    pub method: &'a str,
    pub path: &'a str,
    pub host: &'a str,
    pub operation: &'a str,
    pub principal: &'a str,
    pub decision: Option<&'a str>,
    pub explanation: &'a str,
    pub status: u16,
    pub enforcement: Option<&'static str>,
    pub authorized: &'a [Need],
}

/// The texts of an entry, in this order, then three per need: action, resource, prefix.
const FIXED: usize = 8;

/// Set in a need's prefix end when the need has a prefix (an empty prefix is not none).
const PRESENT: u32 = 1 << 31;

/// A kept entry: `text` cut at `ends` (without [`PRESENT`]) gives the request id, method, path,
/// host, operation, principal, decision, explanation, then each need's three texts.
#[derive(Debug)]
struct Kept {
    text: Box<str>,
    ends: Box<[u32]>,
    time: OffsetDateTime,
    status: u16,
    enforcement: Option<&'static str>,
    /// Whether the decision text is one (a request refused before authorization has none).
    decided: bool,
}

impl Kept {
    fn new(r: &Record<'_>) -> Kept {
        let needs = r.authorized;
        let fixed = [
            r.request_id,
            r.method,
            r.path,
            r.host,
            r.operation,
            r.principal,
            r.decision.unwrap_or_default(),
            r.explanation,
        ];
        let need_texts = needs.iter().flat_map(|n| {
            [
                (n.action.as_str(), false),
                (n.resource.as_str(), false),
                (n.prefix.as_deref().unwrap_or_default(), n.prefix.is_some()),
            ]
        });
        let len: usize = fixed.iter().map(|t| t.len()).sum::<usize>()
            + need_texts.clone().map(|(t, _)| t.len()).sum::<usize>();
        let mut text = String::with_capacity(len);
        let mut ends = Vec::with_capacity(FIXED + 3 * needs.len());
        for (t, present) in fixed.into_iter().map(|t| (t, false)).chain(need_texts) {
            text.push_str(t);
            // An entry's texts come from one request's head (at most 64 KiB) and what its
            // handler wrote: far below the 2 GiB that [`PRESENT`] leaves room for.
            let end = u32::try_from(text.len()).unwrap_or(u32::MAX) & !PRESENT;
            ends.push(if present { end | PRESENT } else { end });
        }
        Kept {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
            time: r.time,
            status: r.status,
            enforcement: r.enforcement,
            decided: r.decision.is_some(),
        }
    }

    /// The `i`th text.
    fn piece(&self, i: usize) -> &str {
        let at = |j: usize| self.ends.get(j).map(|e| (e & !PRESENT) as usize);
        let start = i.checked_sub(1).and_then(at).unwrap_or(0);
        let end = at(i).unwrap_or(start);
        self.text.get(start..end).unwrap_or_default()
    }

    fn expand(&self) -> JournalEntry {
        let needs = (self.ends.len().saturating_sub(FIXED)) / 3;
        JournalEntry {
            request_id: self.piece(0).to_owned(),
            time: self.time,
            method: self.piece(1).to_owned(),
            path: self.piece(2).to_owned(),
            host: self.piece(3).to_owned(),
            operation: self.piece(4).to_owned(),
            principal: self.piece(5).to_owned(),
            decision: self.decided.then(|| self.piece(6).to_owned()),
            explanation: self.piece(7).to_owned(),
            status: self.status,
            enforcement: self.enforcement,
            authorized: (0..needs)
                .map(|n| {
                    let at = FIXED + 3 * n;
                    let prefixed = self.ends.get(at + 2).is_some_and(|e| e & PRESENT != 0);
                    Need::new(
                        self.piece(at),
                        self.piece(at + 1),
                        prefixed.then(|| self.piece(at + 2)),
                    )
                })
                .collect(),
        }
    }
}

/// The entries and what each principal needed.
#[derive(Debug, Default)]
pub struct Journal {
    entries: VecDeque<Kept>,
    observed: HashMap<String, HashSet<Need>>,
}

/// What [`Journal::record`] dropped to make room: to be dropped after the journal's lock is
/// released, since its memory is long out of cache and every other request waits for the lock.
#[derive(Debug)]
#[must_use = "dropped after the journal's lock is released"]
pub struct Evicted(#[allow(dead_code)] Option<Kept>);

impl Journal {
    /// Adds an entry, dropping the oldest if the journal is full.
    pub fn record(&mut self, r: &Record<'_>) -> Evicted {
        if !r.authorized.is_empty() {
            let seen = match self.observed.get_mut(r.principal) {
                Some(seen) => seen,
                None => self.observed.entry(r.principal.to_owned()).or_default(),
            };
            for need in r.authorized {
                if !seen.contains(need) {
                    seen.insert(need.clone());
                }
            }
        }
        let evicted = if self.entries.len() >= CAPACITY {
            self.entries.pop_front()
        } else {
            None
        };
        self.entries.push_back(Kept::new(r));
        Evicted(evicted)
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries.iter().map(Kept::expand).collect()
    }

    /// Empties the entries (what each principal needed is kept).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Empties the entries and what each principal needed.
    pub fn reset(&mut self) {
        self.entries.clear();
        self.observed.clear();
    }

    /// Every authorization `principal`'s requests needed since the last reset. A role's ARN
    /// gathers what every session of the role needed (`arn:aws:sts::ACCOUNT:assumed-role/NAME/…`),
    /// since the role is what a policy is attached to.
    pub fn observed(&self, principal: &str) -> Vec<Need> {
        let sessions = policy_eval::arn::Arn::parse(principal)
            .filter(|a| a.service == "iam")
            .and_then(|a| {
                let name = a.resource.strip_prefix("role/")?.rsplit('/').next()?;
                Some(format!("arn:aws:sts::{}:assumed-role/{name}/", a.account))
            });
        let mut out: HashSet<Need> = HashSet::new();
        for (who, needs) in &self.observed {
            let mine = who == principal
                || sessions
                    .as_deref()
                    .is_some_and(|prefix| who.starts_with(prefix));
            if mine {
                out.extend(needs.iter().cloned());
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(id: &'a str, decision: Option<&'a str>, needs: &'a [Need]) -> Record<'a> {
        Record {
            request_id: id,
            time: time::macros::datetime!(2026-12-08 01:02:03 UTC),
            method: "GET",
            path: "/b/k%20ey",
            host: "127.0.0.1:9000",
            operation: "GetObject",
            principal: "arn:aws:iam::111122223333:user/alice",
            decision,
            explanation: "allowed by statement \"ü\"",
            status: 200,
            enforcement: None,
            authorized: needs,
        }
    }

    #[test]
    fn an_entry_reads_back_as_it_was_recorded() {
        let needs = [
            Need::new("s3:ListBucket", "arn:aws:s3:::b", Some("")),
            Need::new("s3:GetObject", "arn:aws:s3:::b/k ey", None),
            Need::new("s3:ListBucket", "arn:aws:s3:::b", Some("photos/")),
        ];
        let mut journal = Journal::default();
        let _ = journal.record(&record("FAKE1", Some("Allow"), &needs));
        let _ = journal.record(&record("FAKE2", None, &[]));
        let entries = journal.entries();
        assert_eq!(entries.len(), 2);
        let first = &entries[0];
        assert_eq!(first.request_id, "FAKE1");
        assert_eq!(first.method, "GET");
        assert_eq!(first.path, "/b/k%20ey");
        assert_eq!(first.host, "127.0.0.1:9000");
        assert_eq!(first.operation, "GetObject");
        assert_eq!(first.principal, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(first.decision.as_deref(), Some("Allow"));
        assert_eq!(first.explanation, "allowed by statement \"ü\"");
        assert_eq!(first.authorized, needs.to_vec());
        // No decision is not an empty decision, and an empty prefix is not no prefix.
        assert_eq!(entries[1].decision, None);
        assert!(entries[1].authorized.is_empty());
    }

    #[test]
    fn every_need_keeps_its_prefix_however_many_a_request_has() {
        // DeleteObjects notes a need per key (up to 1,000).
        let needs: Vec<Need> = (0..1000)
            .map(|i| {
                let prefix = match i % 3 {
                    0 => None,
                    1 => Some(""),
                    _ => Some("photos/"),
                };
                Need::new("s3:ListBucket", &format!("arn:aws:s3:::b{i}"), prefix)
            })
            .collect();
        let mut journal = Journal::default();
        let _ = journal.record(&record("FAKE1", Some("Allow"), &needs));
        assert_eq!(journal.entries()[0].authorized, needs);
    }

    #[test]
    fn the_oldest_entry_makes_room_and_needs_outlive_it() {
        let mut journal = Journal::default();
        let needs = [Need::new("s3:GetObject", "arn:aws:s3:::b/k", None)];
        for i in 0..CAPACITY + 2 {
            let id = format!("FAKE{i}");
            let evicted = journal.record(&record(&id, Some("Allow"), &needs));
            assert_eq!(evicted.0.is_some(), i >= CAPACITY, "at {i}");
        }
        let entries = journal.entries();
        assert_eq!(entries.len(), CAPACITY);
        assert_eq!(entries[0].request_id, "FAKE2");
        journal.clear();
        assert!(journal.entries().is_empty());
        assert_eq!(
            journal.observed("arn:aws:iam::111122223333:user/alice"),
            needs.to_vec()
        );
        journal.reset();
        assert!(journal
            .observed("arn:aws:iam::111122223333:user/alice")
            .is_empty());
    }
}
