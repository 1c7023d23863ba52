//! Allocations per steady-state poll of one 48-interface device: the walk (`poll_once`), the
//! rates (`PollMemory::rate`) and the store's write (`Store::record_poll_and_settle_in`), each counted on
//! this thread by a counting global allocator. Its own test binary: the allocator counts
//! nothing elsewhere. Prints the counts and asserts a ceiling that catches a regression.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::Ipv4Addr;

use vigie::device::DeviceConfig;
use vigie::device::DeviceId;
use vigie::poller::memory::PollMemory;
use vigie::poller::poll::poll_once;
use vigie::sim::{AgentSpec, Fleet};
use vigie::snmp::{Credentials, Session};
use vigie::store::{DeviceSlot, PollRecord, Retention, Store};

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

/// A device of 48 interfaces polled from this thread, and the store its polls go to.
struct Polled {
    agents: tokio::runtime::Runtime,
    fleet: Fleet,
    polls: tokio::runtime::Runtime,
    session: Session,
    memory: PollMemory,
    store: Store,
    id: DeviceId,
    _dir: tempfile::TempDir,
}

impl Polled {
    fn start() -> Polled {
        Polled::start_with(AgentSpec::new("r1", 48))
    }

    /// A device whose agent is `spec`.
    fn start_with(spec: AgentSpec) -> Polled {
        Polled::start_in(tempfile::tempdir().unwrap(), spec)
    }

    /// A device whose agent is `spec`, polled from this thread, into a store in `dir`.
    fn start_in(dir: tempfile::TempDir, spec: AgentSpec) -> Polled {
        // The agents answer on a runtime of their own threads; the polls run on this one.
        let agents = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let fleet = agents.block_on(Fleet::start(vec![spec], Ipv4Addr::LOCALHOST.into(), 0)).unwrap();
        let addr = fleet.agents()[0].addr;
        let polls = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        vigie::snmp::socket_pool::receive_on_this_thread();
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        let id = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", addr.port(), "public")).unwrap().id;
        let credentials = Credentials::V2c { community: "public".into() };
        let session =
            polls.block_on(Session::open(&addr.ip().to_string(), addr.port(), &credentials, 1000, 1)).unwrap();
        Polled { agents, fleet, polls, session, memory: PollMemory::default(), store, id, _dir: dir }
    }

    fn stop(self) {
        self.agents.block_on(self.fleet.shutdown());
    }
}

/// Replies capped at one Ethernet frame, as many routers do: a 48-interface walk takes ~8.
const CAPPED_BYTES: usize = 1472;

/// Allocations per steady poll of `spec`'s device: the walk, the rates, the store's write.
fn allocations_per_steady_poll(spec: AgentSpec) -> [f64; 3] {
    let mut p = Polled::start_with(spec);
    let slot = p.store.slot(&p.id).unwrap();
    let mut totals = [0u64; 3];
    for k in 0..POLLS + 3 {
        let plan = p.memory.plan(vigie::store::now_ms());
        assert_eq!(plan.walk_inventory, k == 0, "poll {k}: the inventory is walked once");
        let (outcome, walk) = counted(|| p.polls.block_on(poll_once(&mut p.session, &plan)).unwrap());
        assert_eq!(outcome.counters.len(), 48);
        let (rated, rate) = counted(|| p.memory.rate(outcome));
        // As the pollers' store writer records it: through the device's slot, the poll written,
        // the state decided.
        let ((written, _), record) = counted(|| p.store.record_poll_and_settle_in(&slot, rated.record));
        written.unwrap();
        // The first polls warm up what is kept between polls (buffers, open files).
        if k >= 3 {
            for (total, n) in totals.iter_mut().zip([walk, rate, record]) {
                *total += n;
            }
        }
    }
    p.stop();
    totals.map(|n| n as f64 / POLLS as f64)
}

#[test]
fn a_steady_poll_allocates_little() {
    let [walk, rate, record] = allocations_per_steady_poll(AgentSpec::new("r1", 48));
    println!(
        "allocations per steady poll (48 interfaces): walk {walk:.1}, rates {rate:.1}, record {record:.1}, total {:.1}",
        walk + rate + record
    );
    assert_eq!(record, 0.0, "the store's write of a steady poll allocates nothing");
    // Walk 3, rates 1, record 0 a poll (the ceiling catches one allocation more).
    assert!(walk + rate + record < 4.5, "a regression: {walk} + {rate} + {record}");
}

#[test]
fn a_steady_poll_of_a_capped_agent_allocates_little() {
    let spec = AgentSpec { max_reply_bytes: CAPPED_BYTES, ..AgentSpec::new("r1", 48) };
    let [walk, rate, record] = allocations_per_steady_poll(spec);
    println!("allocations per steady poll (48 interfaces, replies capped at {CAPPED_BYTES} bytes): walk {walk:.1}, rates {rate:.1}, record {record:.1}");
    assert_eq!(record, 0.0, "the store's write of a steady poll allocates nothing");
    // Its ~8 requests sent together as one round: no channel per request (walk 9.2 with one
    // each, 4.2 without), nor a list of waiters made for the round (2.2 since).
    assert!(walk + rate < 4.5, "a regression: {walk} + {rate}");
}

/// This thread's user and system CPU time so far, in microseconds.
fn thread_cpu_us() -> (f64, f64) {
    // SAFETY: getrusage fills the struct it is given; RUSAGE_THREAD is this thread's.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_THREAD, &mut usage), 0);
        usage
    };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    (us(usage.ru_utime), us(usage.ru_stime))
}

/// The store writer's CPU per steady poll of a 48-interface device: `record_poll_and_settle`
/// of one real poll's record, again and again a second apart within one hour, into a temporary
/// store. CPU time of this thread (user and system), so that the machine's load matters little.
#[test]
#[ignore = "measurement: cargo test --release -p vigie --test poll_allocations -- --ignored --nocapture"]
fn cpu_per_recorded_poll() {
    const RECORDED: i64 = 3000;
    let mut p = Polled::start();
    let mut steady = None;
    for _ in 0..2 {
        let plan = p.memory.plan(vigie::store::now_ms());
        let outcome = p.polls.block_on(poll_once(&mut p.session, &plan)).unwrap();
        let rated = p.memory.rate(outcome);
        steady = Some(rated.record.clone());
        p.store.record_poll_and_settle(&p.id, rated.record).0.unwrap();
    }
    let steady = steady.unwrap();
    // Within the hour after the next one: one seal at the first poll (warm-up), none after.
    let start_ms = (steady.at_ms.div_euclid(3_600_000) + 1) * 3_600_000;
    let records: Vec<PollRecord> = (0..RECORDED + 10)
        .map(|k| PollRecord { at_ms: start_ms + k * 1000, inventory: None, system: None, ..steady.clone() })
        .collect();
    let mut records = records.into_iter();
    for record in records.by_ref().take(10) {
        p.store.record_poll_and_settle(&p.id, record).0.unwrap();
    }
    let (user, system) = thread_cpu_us();
    let wall = std::time::Instant::now();
    for record in records {
        p.store.record_poll_and_settle(&p.id, record).0.unwrap();
    }
    let wall = wall.elapsed().as_secs_f64() * 1e6 / RECORDED as f64;
    let (user_after, system_after) = thread_cpu_us();
    let (user, system) = ((user_after - user) / RECORDED as f64, (system_after - system) / RECORDED as f64);
    println!(
        "record_poll_and_settle of a 48-interface poll: {:.1} us CPU (user {user:.1}, system {system:.1}), \
         {wall:.1} us wall, over {RECORDED} polls",
        user + system
    );
    p.stop();
}

/// The store writer's CPU per steady poll at fleet scale: 2,000 devices of 48 interfaces, each
/// recorded in turn (as the writer sees them when 2,000 devices are polled together), so that
/// what a poll costs per device (finding it among the others, its cold state and files) is
/// counted. Rounds alternate between the device found by its id (`record_poll_and_settle`, as
/// the writer did before slots) and through its slot (`record_poll_and_settle_in`, as it does).
/// CPU time of this thread per poll. The store is in memory (`/dev/shm` when there is one), so
/// that the disk's share, the same either way, varies less.
#[test]
#[ignore = "measurement: cargo test --release -p vigie --test poll_allocations -- --ignored --nocapture"]
fn cpu_per_recorded_poll_among_2000_devices() {
    const DEVICES: u16 = 2000;
    const ROUNDS: i64 = 22;
    let dir = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap();
    let mut p = Polled::start_in(dir, AgentSpec::new("r1", 48));
    // The first poll walks the inventory (each device's first record), the second is steady.
    let [walked, steady] = [(); 2].map(|()| {
        let plan = p.memory.plan(vigie::store::now_ms());
        let outcome = p.polls.block_on(poll_once(&mut p.session, &plan)).unwrap();
        p.memory.rate(outcome).record
    });
    let configs = (0..DEVICES).map(|k| DeviceConfig::v2c(&format!("d{k}"), "127.0.0.1", 20_000 + k, "public"));
    let ids: Vec<DeviceId> = p.store.add_devices(configs.collect()).ok().unwrap().into_iter().map(|d| d.id).collect();
    let slots: Vec<DeviceSlot> = ids.iter().map(|id| p.store.slot(id).unwrap()).collect();
    // Within the hour after the next one: one seal at each device's first poll (warm-up).
    let start_ms = (steady.at_ms.div_euclid(3_600_000) + 1) * 3_600_000;
    let mut timed = [(0.0, 0.0); 2];
    for round in 0..ROUNDS {
        let base = if round == 0 { &walked } else { &steady };
        let records: Vec<PollRecord> =
            ids.iter().map(|_| PollRecord { at_ms: start_ms + round * 10_000, ..base.clone() }).collect();
        let by_slot = round % 2 == 1;
        let (user, system) = thread_cpu_us();
        for ((id, slot), record) in ids.iter().zip(&slots).zip(records) {
            let written = match by_slot {
                true => p.store.record_poll_and_settle_in(slot, record).0,
                false => p.store.record_poll_and_settle(id, record).0,
            };
            written.unwrap();
        }
        let (user_after, system_after) = thread_cpu_us();
        // The first rounds warm up (open files, each device's first hour).
        if round >= 2 {
            let timed = &mut timed[usize::from(by_slot)];
            *timed = (timed.0 + user_after - user, timed.1 + system_after - system);
        }
    }
    let polls = f64::from(DEVICES) * (ROUNDS - 2) as f64 / 2.0;
    for ((user, system), how) in timed.into_iter().zip(["by id", "through its slot"]) {
        let (user, system) = (user / polls, system / polls);
        println!(
            "record_poll_and_settle among {DEVICES} devices, {how}: {:.2} us CPU (user {user:.2}, system {system:.2}) \
             a poll, over {polls} polls",
            user + system
        );
    }
    p.stop();
}

/// The poller thread's CPU (user and system: the requests' system calls, on loopback the
/// kernel's delivery too) per steady poll of a 48-interface device through its walk and rates,
/// replies uncapped and capped at 1,472 bytes, side by side, several times.
#[test]
#[ignore = "measurement: cargo test --release -p vigie --test poll_allocations -- --ignored --nocapture"]
fn cpu_per_capped_poll() {
    const POLLED: usize = 2_000;
    let capped = AgentSpec { max_reply_bytes: CAPPED_BYTES, ..AgentSpec::new("r1", 48) };
    for _ in 0..3 {
        for (name, spec) in [("uncapped", AgentSpec::new("r1", 48)), ("capped at 1472 B", capped.clone())] {
            // A thread each: a thread's own sockets are received on its first runtime.
            let spent = std::thread::spawn(move || {
                let mut p = Polled::start_with(spec);
                let mut spent = 0.0;
                for k in 0..POLLED + 5 {
                    let plan = p.memory.plan(vigie::store::now_ms());
                    let (user, system) = thread_cpu_us();
                    let outcome = p.polls.block_on(poll_once(&mut p.session, &plan)).unwrap();
                    drop(p.memory.rate(outcome));
                    let (user_after, system_after) = thread_cpu_us();
                    if k >= 5 {
                        spent += user_after - user + system_after - system;
                    }
                }
                p.stop();
                spent / POLLED as f64
            })
            .join()
            .unwrap();
            println!("{name}: {spent:.1} us CPU a poll (walk and rates), over {POLLED} polls");
        }
    }
}
