//! Shared server state: IAM, storage, the clock, the journal ([`crate::journal`]) and fault injection. Locks are
//! short-lived and never held across an await; a poisoned lock is recovered, not unwrapped.

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
    journal: Mutex<crate::journal::Journal>,
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
            journal: Mutex::new(crate::journal::Journal::default()),
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
        recover(self.journal.lock()).reset();
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

    /// Records a request in the journal.
    pub fn record(&self, entry: &crate::journal::Record<'_>) {
        let evicted = recover(self.journal.lock()).record(entry);
        drop(evicted);
    }

    /// The journal, oldest first.
    pub fn journal(&self) -> Vec<crate::journal::JournalEntry> {
        recover(self.journal.lock()).entries()
    }

    /// Empties the journal (what each principal needed is kept until [`State::reset`]).
    pub fn clear_journal(&self) {
        recover(self.journal.lock()).clear();
    }

    /// Every authorization `principal`'s requests needed since the last reset (see
    /// [`crate::journal::Journal::observed`]).
    pub fn observed(&self, principal: &str) -> Vec<crate::enforcement::Need> {
        recover(self.journal.lock()).observed(principal)
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
