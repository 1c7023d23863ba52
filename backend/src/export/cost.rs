//! A measurement, not a test: what remote-write costs per poll of a 48-interface device, step by
//! step, on one thread (`cargo test --release -p vigie --lib export::cost -- --ignored
//! --nocapture`). Prints nanoseconds of the thread's CPU time per series sample (not of the
//! clock: on a loaded machine the clock also counts what other processes took); asserts
//! nothing about time.

use super::encode::{self, Externals};
use super::request::WriteRequest;
use super::series::{self, Accepted, LabelCache};
use crate::device::{Device, DeviceConfig, DeviceId};
use crate::snmp::if_mib::{CounterBits, CounterRow, IfNames, InterfaceInfo};
use crate::store::footprint::thread_cpu_secs;
use crate::store::{DeviceLive, InterfaceLive, InterfaceReading, LatestSample};

const DEVICES: usize = 200;
const INTERFACES: u32 = 48;
const ROUNDS: usize = 20;

fn fleet() -> Vec<(Device, DeviceLive, LabelCache)> {
    (0..DEVICES)
        .map(|d| {
            let config = DeviceConfig::v2c(&format!("sim-{d:04}"), "127.0.0.1", 40_000 + d as u16, "public");
            let device = Device { id: DeviceId(format!("{:08x}", 0xabc0_0000u32 + d as u32)), created_at: 0, config };
            let mut live = DeviceLive::new();
            for i in 1..=INTERFACES {
                let mut info = InterfaceInfo::ethernet(i);
                info.names = IfNames::new(&format!("ge-0/0/{i}"), &format!("GigabitEthernet0/0/{i}"), "");
                // Counters as a fleet has them: different on every interface.
                let seed = (d as u64 * 48 + u64::from(i)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let counters = CounterRow::octets(i, seed >> 20, seed >> 24, CounterBits::Bits64);
                let reading = InterfaceReading::traffic(counters, Some(1.0e6), Some(2.0e6));
                let latest = Some(LatestSample { at_ms: 0, uptime_ticks: 1000, reading });
                live.interfaces.insert(InterfaceLive { info, latest });
            }
            (device, live, LabelCache::default())
        })
        .collect()
}

#[test]
#[ignore = "measurement: run with --release -- --ignored --nocapture"]
fn export_cost_per_series_sample() {
    let mut fleet = fleet();
    let externals = Externals(vec![vec![("site".into(), "lyon".into())]]);
    let (mut accept, mut encode, mut snap_secs) = (0f64, 0f64, 0f64);
    let (mut samples, mut wire, mut raw, mut snap_wire) = (0usize, 0usize, 0usize, 0usize);
    let mut request = WriteRequest::default();
    let mut encoder = snap::raw::Encoder::new();
    let mut body = Vec::new();
    for round in 0..ROUNDS {
        let at_ms = 1_764_547_200_000 + round as i64 * 30_000;
        for (_, live, _) in &mut fleet {
            for interface in live.interfaces.values_mut() {
                let latest = interface.latest.as_mut().unwrap();
                latest.at_ms = at_ms;
                latest.reading.counters.in_octets += 3_750_000 + u64::from(interface.info.if_index) * 7_919;
                latest.reading.counters.out_octets += 1_250_000 + u64::from(interface.info.if_index) * 104_729;
            }
        }
        let started = thread_cpu_secs();
        let batch: Vec<Accepted> = fleet.iter().map(|(d, live, cache)| series::poll(d, live, at_ms, cache)).collect();
        let accepted = thread_cpu_secs() - started;
        let mut requests = Vec::new();
        let started = thread_cpu_secs();
        encode::requests(&batch, 0, &externals, &mut request, |finished| {
            requests.push(finished.body);
            Ok::<(), ()>(())
        })
        .unwrap();
        let encoded = thread_cpu_secs() - started;
        // For comparison: the same protobuf compressed by the snap crate.
        let plain: Vec<Vec<u8>> =
            requests.iter().map(|r| snap::raw::Decoder::new().decompress_vec(r).unwrap()).collect();
        let started = thread_cpu_secs();
        let mut snapped = 0;
        for r in &plain {
            body.resize(snap::raw::max_compress_len(r.len()), 0);
            snapped += encoder.compress(r, &mut body).unwrap();
        }
        let snapped_in = thread_cpu_secs() - started;
        if round > 0 {
            // The first round encodes the label sets: it is the inventory's cost, not a poll's.
            accept += accepted;
            encode += encoded;
            snap_secs += snapped_in;
            samples += batch.iter().map(Accepted::samples).sum::<usize>();
            wire += requests.iter().map(|r| r.len()).sum::<usize>();
            raw += plain.iter().map(Vec::len).sum::<usize>();
            snap_wire += snapped;
        }
    }
    let per = |secs: f64| secs * 1e9 / samples as f64;
    println!(
        "remote-write per series sample ({DEVICES} devices x {INTERFACES} interfaces, {} polls each): accept {:.1} ns, \
         encode and compress {:.1} ns, {:.2} bytes ({:.1} bytes of protobuf); the snap crate on the same protobuf: \
         {:.1} ns, {:.2} bytes",
        ROUNDS - 1,
        per(accept),
        per(encode),
        wire as f64 / samples as f64,
        raw as f64 / samples as f64,
        per(snap_secs),
        snap_wire as f64 / samples as f64
    );
}
