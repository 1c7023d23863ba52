//! Allocations per steady-state poll of one 48-interface device: the walk (`poll_once`), the
//! rates (`PollMemory::rate`) and the store's write (`Store::record_poll`), each counted on
//! this thread by a counting global allocator. Its own test binary: the allocator counts
//! nothing elsewhere. Prints the counts and asserts a ceiling that catches a regression.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::Ipv4Addr;

use vigie::device::DeviceConfig;
use vigie::poller::memory::PollMemory;
use vigie::poller::poll::poll_once;
use vigie::sim::{AgentSpec, Fleet};
use vigie::snmp::{Credentials, Session};
use vigie::store::{Retention, Store};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged; the count is a
// thread-local cell that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note() {
    // `try_with`: the thread's locals may be gone while it ends.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|n| n.set(n.get() + 1));
        }
    });
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations (and reallocations) made on this thread by `f`.
fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    COUNT.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    let out = f();
    COUNTING.with(|on| on.set(false));
    (out, COUNT.with(Cell::get))
}

const POLLS: u64 = 20;

#[test]
fn a_steady_poll_allocates_little() {
    // The agents answer on a runtime of their own threads; the polls run on this one.
    let agents = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let fleet = agents.block_on(Fleet::start(vec![AgentSpec::new("r1", 48)], Ipv4Addr::LOCALHOST.into(), 0)).unwrap();
    let addr = fleet.agents()[0].addr;
    let polls = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    vigie::snmp::socket_pool::receive_on_this_thread();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Retention::default()).unwrap();
    let id = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", addr.port(), "public")).unwrap().id;
    let credentials = Credentials::V2c { community: "public".into() };
    let mut session =
        polls.block_on(Session::open(&addr.ip().to_string(), addr.port(), &credentials, 1000, 1)).unwrap();
    let mut memory = PollMemory::default();
    let mut totals = [0u64; 3];
    for k in 0..POLLS + 3 {
        let plan = memory.plan(vigie::store::now_ms());
        assert_eq!(plan.walk_inventory, k == 0, "poll {k}: the inventory is walked once");
        let (outcome, walk) = counted(|| polls.block_on(poll_once(&mut session, &plan)).unwrap());
        assert_eq!(outcome.counters.len(), 48);
        let (rated, rate) = counted(|| memory.rate(outcome));
        let (written, record) = counted(|| store.record_poll(&id, rated.record));
        written.unwrap();
        // The first polls warm up what is kept between polls (buffers, open files).
        if k >= 3 {
            for (total, n) in totals.iter_mut().zip([walk, rate, record]) {
                *total += n;
            }
        }
    }
    let [walk, rate, record] = totals.map(|n| n as f64 / POLLS as f64);
    println!(
        "allocations per steady poll (48 interfaces): walk {walk:.1}, rates {rate:.1}, record {record:.1}, total {:.1}",
        walk + rate + record
    );
    agents.block_on(fleet.shutdown());
    assert!(walk + rate + record < 5.5, "a regression: {walk} + {rate} + {record}");
}
