//! The samples files kept open between appends (one per device directory, see
//! [`super::files::Appender::append_kept`]), bounded: past `max_open`, the least recently used
//! are closed (down to seven eighths of it, so that a fleet larger than the bound does not look
//! through them at every append), whatever the fleet's size. A device whose file was closed
//! opens it again at its next append (counted: `/status` shows `storage.samplesFilesReopened`).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Samples files kept open by default: a few thousand, well below the usual hard limit on
/// descriptors, and enough that a fleet of that many devices never reopens one.
pub const DEFAULT_MAX_OPEN: usize = 2048;

/// A file kept open for its owner (a device's directory), taken out while it is written.
pub struct Kept {
    pub owner: Arc<Path>,
    /// Which of the owner's files it is (the start of its segment).
    pub segment: i64,
    pub file: File,
    /// Its length: the owner is its only writer, so no `fstat` per append is needed.
    pub len: u64,
}

/// An owner's directory as the key of the open files: compared whole, hashed by its last bytes
/// (a device's directory ends with its id). `Path`'s own hash walks every byte and its
/// comparison every component: they were a visible share of each poll's append.
struct Owner(Arc<Path>);

/// What an owner is looked up by: its directory's bytes.
trait OwnerBytes {
    fn bytes(&self) -> &[u8];
}

impl OwnerBytes for Owner {
    fn bytes(&self) -> &[u8] {
        self.0.as_os_str().as_encoded_bytes()
    }
}

/// An owner looked up (no `Arc` made for it).
struct OwnerRef<'a>(&'a Path);

impl OwnerBytes for OwnerRef<'_> {
    fn bytes(&self) -> &[u8] {
        self.0.as_os_str().as_encoded_bytes()
    }
}

/// Bytes hashed at the end of an owner's directory: a device id is 16 or more.
const OWNER_HASHED_BYTES: usize = 24;

impl Hash for dyn OwnerBytes + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let bytes = self.bytes();
        state.write(&bytes[bytes.len().saturating_sub(OWNER_HASHED_BYTES)..]);
    }
}

impl PartialEq for dyn OwnerBytes + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for dyn OwnerBytes + '_ {}

impl Hash for Owner {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn OwnerBytes).hash(state)
    }
}

impl PartialEq for Owner {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Owner {}

impl<'a> Borrow<dyn OwnerBytes + 'a> for Owner {
    fn borrow(&self) -> &(dyn OwnerBytes + 'a) {
        self
    }
}

/// Hashes an owner's bytes a word at a time (FxHash's step, and its final rotation so that the
/// low bits the table indexes by are mixed too): owners are directories Vigie names, nothing an
/// outsider picks, and SipHash's rounds were a visible share of each append.
#[derive(Default)]
struct OwnerHasher(u64);

impl Hasher for OwnerHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// The open files, each with when it was last used.
#[derive(Default)]
struct Open {
    /// Owner → (segment, file, length, when it was last used).
    files: HashMap<Owner, (i64, File, u64, u64), BuildHasherDefault<OwnerHasher>>,
    clock: u64,
}

impl Open {
    /// Closes the least recently used files down to seven eighths of `max_open` (at least one
    /// kept): past the bound, the map is looked through once every `max_open / 8` new files,
    /// not at every append.
    fn close_least_used(&mut self, max_open: usize) {
        let keep = max_open - max_open / 8;
        let Some(excess) = self.files.len().checked_sub(keep).filter(|n| *n > 0) else { return };
        let mut used: Vec<u64> = self.files.values().map(|(.., used)| *used).collect();
        let (_, last_closed, _) = used.select_nth_unstable(excess - 1);
        let last_closed = *last_closed;
        self.files.retain(|_, (.., used)| *used > last_closed);
    }
}

/// A bounded set of open append handles, one per owner. The lock covers the maps only: a
/// file is taken out while it is written.
pub struct KeptFiles {
    open: Mutex<Open>,
    max_open: AtomicUsize,
    reopened: AtomicU64,
}

impl Default for KeptFiles {
    fn default() -> Self {
        KeptFiles { open: Mutex::default(), max_open: AtomicUsize::new(DEFAULT_MAX_OPEN), reopened: AtomicU64::new(0) }
    }
}

impl KeptFiles {
    /// Sets the bound (at least 1); files past it are closed at the next [`KeptFiles::put`].
    pub fn set_max_open(&self, max_open: usize) {
        self.max_open.store(max_open.max(1), Ordering::Relaxed);
    }

    pub fn max_open(&self) -> usize {
        self.max_open.load(Ordering::Relaxed)
    }

    /// How many are open now.
    pub fn open_count(&self) -> usize {
        self.open.lock().expect("kept files lock").files.len()
    }

    /// Appends that had to open again a file that already existed (closed by the bound, by a
    /// failed write, or by a restart).
    pub fn reopened(&self) -> u64 {
        self.reopened.load(Ordering::Relaxed)
    }

    pub fn note_reopened(&self) {
        self.reopened.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes out the file kept for `owner`.
    pub fn take(&self, owner: &Path) -> Option<Kept> {
        let mut open = self.open.lock().expect("kept files lock");
        let (owner, (segment, file, len, _)) = open.files.remove_entry(&OwnerRef(owner) as &dyn OwnerBytes)?;
        Some(Kept { owner: owner.0, segment, file, len })
    }

    /// Keeps a file open for its owner, closing the least recently used past the bound.
    pub fn put(&self, kept: Kept) {
        let max_open = self.max_open();
        let mut open = self.open.lock().expect("kept files lock");
        open.clock += 1;
        let used = open.clock;
        let Kept { owner, segment, file, len } = kept;
        open.files.insert(Owner(owner), (segment, file, len, used));
        if open.files.len() > max_open {
            open.close_least_used(max_open);
        }
    }

    /// Closes the files kept for owners below `dir` (all of them are looked at: for a device
    /// removed, not for every seal).
    pub fn forget_below(&self, dir: &Path) {
        let mut open = self.open.lock().expect("kept files lock");
        open.files.retain(|d, _| !d.0.starts_with(dir));
    }
}

#[cfg(test)]
mod tests {
    use crate::device::DeviceConfig;
    use crate::snmp::if_mib::{CounterBits, CounterRow, InterfaceInfo};
    use crate::store::{now_secs, InterfaceReading, PollRecord, Retention, Store};

    use super::{Kept, KeptFiles};
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    #[test]
    fn past_the_bound_the_least_recently_used_are_closed_down_to_seven_eighths() {
        let kept = KeptFiles::default();
        kept.set_max_open(16);
        let owner = |n: usize| PathBuf::from(format!("/data/devices/d{n}"));
        let put = |n: usize| {
            let file = std::fs::File::open("/dev/null").unwrap();
            kept.put(Kept { owner: Arc::from(owner(n).as_path()), segment: 0, file, len: 0 })
        };
        (0..16).for_each(put);
        assert_eq!(kept.open_count(), 16);
        let used_again = kept.take(&owner(0)).unwrap(); // d0 used again: d1 is now the least recent
        kept.put(used_again);
        put(16);
        assert_eq!(kept.open_count(), 14, "16 - 16 / 8");
        let open = |n: usize| kept.take(Path::new(&owner(n))).is_some();
        assert_eq!([1, 2, 3].map(open), [false; 3], "the three least recently used closed");
        assert_eq!([0, 4, 15, 16].map(open), [true; 4]);
        kept.forget_below(Path::new("/data/devices"));
        assert_eq!(kept.open_count(), 0);
    }

    #[test]
    fn a_store_bounded_to_four_open_files_keeps_every_poll_of_twenty_devices() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        store.set_max_open_samples_files(4);
        let ids: Vec<_> = (0..20)
            .map(|d| store.add_device(DeviceConfig::v2c(&format!("r{d}"), "127.0.0.1", 2000 + d, "public")).unwrap().id)
            .collect();
        // Five polls within one hour (an hour boundary would seal and start new files).
        let start = (now_secs() - 7200).div_euclid(3600) * 3600 + 60;
        for k in 0..5 {
            for id in &ids {
                let counters = CounterRow::octets(1, 1000 * k as u64, 0, CounterBits::Bits64);
                let record = PollRecord {
                    at_ms: (start + 60 * k) * 1000,
                    duration_ms: 1,
                    uptime_ticks: 100,
                    system: None,
                    inventory: (k == 0).then(|| vec![InterfaceInfo::ethernet(1)]),
                    interfaces: vec![InterfaceReading::traffic(counters, None, None)],
                    agent_addr: None,
                };
                store.record_poll(id, record).unwrap();
                assert!(store.storage_status().samples_files_open <= 4);
            }
        }
        for id in &ids {
            let read = store.counters(&id.0, 1, start, start + 600).unwrap();
            let octets: Vec<Option<u64>> = read.iter().map(|p| p.hc_in_octets).collect();
            assert_eq!(octets, [0, 1000, 2000, 3000, 4000].map(Some), "device {id:?}");
        }
        let status = store.storage_status();
        assert_eq!((status.samples_files_open, status.samples_files_max_open), (4, 4));
        assert!(status.samples_files_reopened >= 4 * 16, "{status:?}");
    }
}
