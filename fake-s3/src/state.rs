//! Shared server state: IAM, storage, the clock, the journal and fault injection. Locks are
//! short-lived and never held across an await; a poisoned lock is recovered, not unwrapped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use time::OffsetDateTime;

use crate::identity::Iam;
use crate::storage::Storage;

/// Limits AWS applies, configurable for tests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Access points per account per region (AWS: 10,000).
    pub access_points_per_region: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            access_points_per_region: 10_000,
            max_body_bytes: 5 * 1024 * 1024 * 1024,
        }
    }
}

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
    pub authorized: Vec<crate::enforcement::Need>,
}

fn rfc3339<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    let text = t
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}

/// The journal's entries and, per principal, every authorization its requests needed since the
/// last reset (kept apart from the entries, which a test may clear or which may roll over).
#[derive(Debug, Default)]
struct Journal {
    entries: VecDeque<JournalEntry>,
    observed: HashMap<String, HashSet<crate::enforcement::Need>>,
}

/// Shared state behind the server.
#[derive(Debug)]
pub struct State {
    pub region: String,
    iam: RwLock<Iam>,
    storage: RwLock<Storage>,
    /// A fixed time set by tests; the system clock otherwise.
    clock: Mutex<Option<OffsetDateTime>>,
    /// Whether `clock` holds a time: every request reads the clock several times, and without a
    /// fixed time (the usual case) that needs no lock.
    clock_fixed: AtomicBool,
    journal: Mutex<Journal>,
    pub limits: Limits,
    pub faults: crate::faults::Faults,
    /// The server's setting, which [`State::reset`] keeps.
    pub enforcement: crate::enforcement::Enforcement,
    /// Whether the fake answers as Ceph RGW: fixed when the server is built, and read on every
    /// request, so it is kept here rather than behind the IAM lock.
    ceph: bool,
    requests: AtomicU64,
    /// Identities and storage as the server started, for [`State::reset`].
    initial: (Iam, Storage),
}

impl crate::auth::Keys for State {
    fn key(&self, access_key_id: &str) -> Option<std::sync::Arc<crate::identity::KeyEntry>> {
        self.iam().key(access_key_id).cloned()
    }

    fn caller(
        &self,
        entry: &crate::identity::KeyEntry,
        now: OffsetDateTime,
    ) -> Result<crate::identity::Caller, crate::error::AwsError> {
        self.iam().caller(entry, now)
    }

    fn ceph_dialect(&self) -> bool {
        self.ceph
    }
}

/// How many journal entries are kept.
pub const JOURNAL_CAPACITY: usize = 100_000;

fn recover<T>(r: Result<T, std::sync::PoisonError<T>>) -> T {
    r.unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    /// New state for `region`.
    pub fn new(region: &str, iam: Iam, storage: Storage, limits: Limits) -> Self {
        State {
            region: region.to_owned(),
            clock: Mutex::new(None),
            clock_fixed: AtomicBool::new(false),
            journal: Mutex::new(Journal::default()),
            limits,
            faults: crate::faults::Faults::default(),
            enforcement: crate::enforcement::Enforcement::Hard,
            ceph: iam.ceph_dialect,
            requests: AtomicU64::new(0),
            initial: (iam.clone(), storage.clone()),
            iam: RwLock::new(iam),
            storage: RwLock::new(storage),
        }
    }

    /// Back to how the server started: identities and buckets as configured (sessions, users,
    /// buckets and objects made since are gone), the journal empty, the system clock, no faults.
    /// A test suite sharing one server empties it between tests this way.
    pub fn reset(&self) {
        *self.iam_mut() = self.initial.0.clone();
        *self.storage_mut() = self.initial.1.clone();
        self.set_time(None);
        let mut journal = recover(self.journal.lock());
        journal.entries.clear();
        journal.observed.clear();
        drop(journal);
        self.faults.configure(crate::faults::FaultConfig::default());
    }

    /// Whether the fake answers as Ceph RGW 16.2 (the Ceph dialect).
    pub fn ceph(&self) -> bool {
        self.ceph
    }

    pub fn iam(&self) -> RwLockReadGuard<'_, Iam> {
        recover(self.iam.read())
    }

    pub fn iam_mut(&self) -> RwLockWriteGuard<'_, Iam> {
        recover(self.iam.write())
    }

    pub fn storage(&self) -> RwLockReadGuard<'_, Storage> {
        recover(self.storage.read())
    }

    pub fn storage_mut(&self) -> RwLockWriteGuard<'_, Storage> {
        recover(self.storage.write())
    }

    /// The fake's current time.
    pub fn now(&self) -> OffsetDateTime {
        if !self.clock_fixed.load(Ordering::Acquire) {
            return OffsetDateTime::now_utc();
        }
        recover(self.clock.lock()).unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// The fixed time, if tests set one.
    pub fn fixed_time(&self) -> Option<OffsetDateTime> {
        *recover(self.clock.lock())
    }

    /// Fixes the clock (`None` returns to the system clock).
    pub fn set_time(&self, t: Option<OffsetDateTime>) {
        let mut clock = recover(self.clock.lock());
        *clock = t;
        self.clock_fixed.store(t.is_some(), Ordering::Release);
    }

    /// A new request id.
    pub fn next_request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        // `FAKE` and 16 upper-case hex digits, written without the formatting machinery.
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut id = String::with_capacity(20);
        id.push_str("FAKE");
        for shift in (0..16).rev() {
            id.push(char::from(HEX[((n >> (shift * 4)) & 0xf) as usize]));
        }
        id
    }

    /// Records a decision.
    pub fn record(&self, entry: JournalEntry) {
        let mut j = recover(self.journal.lock());
        if !entry.authorized.is_empty() {
            let seen = match j.observed.get_mut(&entry.principal) {
                Some(seen) => seen,
                None => j.observed.entry(entry.principal.clone()).or_default(),
            };
            for need in &entry.authorized {
                if !seen.contains(need) {
                    seen.insert(need.clone());
                }
            }
        }
        let evicted = if j.entries.len() == JOURNAL_CAPACITY {
            j.entries.pop_front()
        } else {
            None
        };
        j.entries.push_back(entry);
        drop(j);
        // Freed after the lock is released: the oldest entry's strings are long out of cache,
        // and every other request waits for this lock.
        drop(evicted);
    }

    /// The journal, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        recover(self.journal.lock())
            .entries
            .iter()
            .cloned()
            .collect()
    }

    /// Empties the journal (what each principal needed is kept until [`State::reset`]).
    pub fn clear_journal(&self) {
        recover(self.journal.lock()).entries.clear();
    }

    /// Every authorization `principal`'s requests needed since the last reset. A role's ARN
    /// gathers what every session of the role needed (`arn:aws:sts::ACCOUNT:assumed-role/NAME/…`),
    /// since the role is what a policy is attached to.
    pub fn observed(&self, principal: &str) -> Vec<crate::enforcement::Need> {
        let journal = recover(self.journal.lock());
        let sessions = policy_eval::arn::Arn::parse(principal)
            .filter(|a| a.service == "iam")
            .and_then(|a| {
                let name = a.resource.strip_prefix("role/")?.rsplit('/').next()?;
                Some(format!("arn:aws:sts::{}:assumed-role/{name}/", a.account))
            });
        let mut out: HashSet<crate::enforcement::Need> = HashSet::new();
        for (who, needs) in &journal.observed {
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

    #[test]
    fn request_ids_count_up_in_sixteen_hex_digits() {
        let state = State::new(
            "us-east-1",
            Iam::default(),
            Storage::default(),
            Limits::default(),
        );
        assert_eq!(state.next_request_id(), "FAKE0000000000000001");
        state.requests.store(0xABCDEF0123456788, Ordering::Relaxed);
        assert_eq!(state.next_request_id(), "FAKEABCDEF0123456789");
    }

    #[test]
    fn a_fixed_clock_holds_until_released() {
        let state = State::new(
            "us-east-1",
            Iam::default(),
            Storage::default(),
            Limits::default(),
        );
        let t = time::macros::datetime!(2030-01-02 03:04:05 UTC);
        state.set_time(Some(t));
        assert_eq!(state.now(), t);
        state.set_time(None);
        assert!(state.now() > t - time::Duration::days(3650));
        assert_ne!(state.now(), t);
    }
}
