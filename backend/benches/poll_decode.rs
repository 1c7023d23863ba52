//! The poller thread's CPU for one steady poll, without the network: a recorded reply of the
//! simulator (48 interfaces, the probe and the 7 counter columns in one GETBULK) answered by a
//! scripted session, then read by `poll_once` (request written, reply decoded, counter rows)
//! and rated by `PollMemory::rate`. Prints ns per varbind and µs per poll, best and median of
//! several batches; asserts nothing. Timed in the thread's CPU time, so that
//! a loaded machine's waits are not counted (its caches' misses still are).
//!
//! `cargo bench -p vigie --bench poll_decode` (`POLL_DECODE_POLLS`, default 20,000 per batch).

use std::sync::Arc;

use vigie::poller::memory::PollMemory;
use vigie::poller::poll::{poll_once, PollPlan};
use vigie::sim::mib::Shape;
use vigie::sim::responder::{respond, Scratch};
use vigie::sim::{AgentModel, AgentSpec};
use vigie::snmp::ber::{self, tag, Header};
use vigie::snmp::if_mib::COUNTER_COLUMNS;
use vigie::snmp::system::Probe;
use vigie::snmp::Session;

const INTERFACES: u32 = 48;
const BATCHES: usize = 7;

/// The simulator's answer to a steady poll's first GETBULK, whole (no size cap), and how many
/// varbinds it holds.
fn recorded_reply() -> (Vec<u8>, usize) {
    let spec = AgentSpec { max_reply_bytes: 65_000, ..AgentSpec::new("r1", INTERFACES) };
    let model = AgentModel::new(spec, Arc::new(Shape::new(INTERFACES, true)));
    let mut varbinds = Vec::new();
    let scalars = Probe::OIDS.iter().map(|oid| &oid[..oid.len() - 1]);
    for oid in scalars.chain(COUNTER_COLUMNS.iter().copied()) {
        let mut contents = Vec::new();
        ber::encode_oid_contents(oid, &mut contents);
        let mut oid_tlv = Vec::new();
        ber::write_bytes(&mut oid_tlv, tag::OID, &contents);
        ber::write_varbind(&mut varbinds, &oid_tlv, &[tag::NULL, 0]);
    }
    let header = Header {
        version: 1,
        community: b"public",
        pdu_type: tag::GET_BULK,
        request_id: 1,
        field_a: Probe::OIDS.len() as i64,
        field_b: i64::from(INTERFACES) + 1,
    };
    let mut request = Vec::new();
    ber::write_message(&mut request, &header, &varbinds);
    let mut reply = Vec::new();
    let answered = respond(&model, &request, &model.moment_at(3600.0), &mut Scratch::default(), &mut reply)
        .expect("the simulator answers");
    (reply, answered.varbinds)
}

/// The CPU time this thread has used, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`: exact, where
/// the thread's `schedstat` only moves at the scheduler's ticks, 4 ms apart).
fn thread_cpu_ns() -> u64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for the call to fill.
    let failed = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0;
    assert!(!failed, "the thread's CPU clock");
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

fn main() {
    let polls: usize = std::env::var("POLL_DECODE_POLLS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let (reply, varbinds) = recorded_reply();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let plan = PollPlan { known_if_number: Some(INTERFACES), ..PollPlan::default() };
    let mut batches = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let mut session = Session::scripted(vec![reply.clone(); polls + 1]);
        let mut memory = PollMemory::default();
        // The first poll warms the walk's buffers and the memory of each interface.
        let warm = runtime.block_on(poll_once(&mut session, &plan)).expect("a steady poll");
        assert_eq!(warm.counters.len(), INTERFACES as usize);
        memory.rate(warm);
        let started = thread_cpu_ns();
        for _ in 0..polls {
            let outcome = runtime.block_on(poll_once(&mut session, &plan)).expect("a steady poll");
            std::hint::black_box(memory.rate(outcome));
        }
        batches.push((thread_cpu_ns() - started) as f64 / polls as f64);
    }
    batches.sort_by(f64::total_cmp);
    let (best, median) = (batches[0], batches[BATCHES / 2]);
    println!(
        "steady poll decoded and rated ({INTERFACES} interfaces, {varbinds} varbinds in one reply of {} bytes, \
         {polls} polls x {BATCHES} batches):",
        reply.len()
    );
    println!(
        "  best {:.1} us a poll, {:.1} ns a varbind; median {:.1} us, {:.1} ns",
        best / 1000.0,
        best / varbinds as f64,
        median / 1000.0,
        median / varbinds as f64
    );
}
