//! One simulated device: what it is ([`AgentSpec`]) and the value of each of its objects at a
//! given moment ([`AgentModel::write_value`]). Interface properties are drawn from the agent's
//! seed and the ifIndex, so nothing is stored per interface and every read is consistent.

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::mib::{Object, Shape};
use super::traffic::{mix, unit, Flow};
use crate::snmp::ber::{self, tag};

/// How an agent treats requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers (subject to latency and loss).
    Answer,
    /// Has a socket but never answers, like a host that drops SNMP.
    Dead,
    /// Has no socket at all: the kernel answers ICMP port unreachable.
    Closed,
}

/// The SNMP version an agent speaks, and how it authenticates.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentVersion {
    /// SNMPv1 with the spec's community: GET and GETNEXT only, no Counter64 (give it `hc: false`).
    V1,
    /// SNMPv2c with the spec's community.
    V2c,
    /// SNMPv3 with this one USM user; communities are refused.
    V3(crate::snmp::UsmCredentials),
}

/// What one simulated agent is.
#[derive(Debug, Clone)]
pub struct AgentSpec {
    /// sysName, and the name printed and used by the demo.
    pub name: String,
    pub sys_descr: String,
    pub interfaces: u32,
    /// Whether the ifHC* (64-bit) columns exist.
    pub hc: bool,
    pub behaviour: Behaviour,
    pub version: AgentVersion,
    pub community: String,
    /// Mean traffic per interface and direction; see [`super::traffic`] for the bounds.
    pub rate_bps: f64,
    pub speed_bps: u64,
    /// Reboot (sysUpTime and counters back to zero) every so many seconds.
    pub reboot_every_secs: Option<u64>,
    pub latency_ms: u64,
    pub loss_percent: f64,
    pub seed: u64,
    /// ifName and ifDescr are this prefix and the ifIndex, e.g. `ge-0/0/7`.
    pub if_name_prefix: String,
    /// A fault planted in every answer (see [`super::misbehave`]); `None` for an honest agent.
    pub misbehave: Option<super::misbehave::Misbehave>,
    /// The largest reply the agent sends, in bytes: a GETBULK answer is cut to fewer
    /// repetitions to fit, a GET that cannot fit is answered `tooBig` (as net-snmp does).
    pub max_reply_bytes: usize,
    /// Share of the interfaces that are up but carry no traffic (their counters stay still),
    /// percent; which ones: [`super::traffic::idle_ports`].
    pub idle_percent: f64,
}

impl AgentSpec {
    /// A 1 Gbit/s switch with 10 Mbit/s per interface, answering to `public`.
    pub fn new(name: impl Into<String>, interfaces: u32) -> AgentSpec {
        AgentSpec {
            name: name.into(),
            sys_descr: format!("Vigie simulated switch, {interfaces} ports"),
            interfaces,
            hc: true,
            behaviour: Behaviour::Answer,
            version: AgentVersion::V2c,
            community: "public".into(),
            rate_bps: 10e6,
            speed_bps: 1_000_000_000,
            reboot_every_secs: None,
            latency_ms: 0,
            loss_percent: 0.0,
            seed: 1,
            if_name_prefix: "ge-0/0/".into(),
            misbehave: None,
            max_reply_bytes: super::responder::MAX_REPLY_BYTES,
            idle_percent: 0.0,
        }
    }
}

/// The net-snmp Linux sysObjectID, which tools recognise.
const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 8072, 3, 2, 10];
const SYS_CONTACT: &str = "noc@example.net";
const SYS_LOCATION: &str = "Simulated rack 1";
const ETHERNET_CSMACD: i64 = 6;
const MTU: i64 = 1500;
/// Share of interfaces that are down (no traffic); ifIndex 1 is always up.
const DOWN_SHARE: f64 = 0.1;

fn is_up(seed: u64, if_index: u32) -> bool {
    if_index == 1 || unit(seed, u64::from(if_index), 100) >= DOWN_SHARE
}

/// One instant as an agent sees it, computed once per request. It remembers the last octet
/// count per direction, as a GETBULK asks for several counters of a row in a row.
#[derive(Debug, Clone)]
pub struct Moment {
    pub now_secs: f64,
    pub boot_secs: f64,
    /// (ifIndex, octets) of the last count read in and out; ifIndex 0: none yet.
    last_octets: Cell<[(u32, u64); 2]>,
}

impl Moment {
    pub fn new(now_secs: f64, boot_secs: f64) -> Moment {
        Moment { now_secs, boot_secs, last_octets: Cell::new([(0, 0); 2]) }
    }

    fn uptime_ticks(&self) -> u64 {
        ((self.now_secs - self.boot_secs).max(0.0) * 100.0) as u64
    }
}

#[derive(Debug, Clone, Copy)]
enum Counter {
    Octets,
    Unicast,
    Multicast,
    Broadcast,
    NonUnicast,
    Discards,
    Errors,
}

/// A running agent's model: its spec, its shared view and its clock.
pub struct AgentModel {
    pub spec: AgentSpec,
    pub shape: Arc<Shape>,
    /// The authoritative USM engine of an SNMPv3 agent.
    pub authority: Option<super::authority::Authority>,
    sys_object_id: Vec<u8>,
    /// Unix seconds at `anchor`; later times are measured with the monotonic clock.
    anchor_unix_secs: f64,
    anchor: Instant,
    /// Reboots happen at `reboot_phase_secs` past each multiple of the period.
    reboot_phase_secs: f64,
    /// The in and out flows of ifIndex i at i - 1: drawn once, as they cost ~30 hashes each.
    flows: Vec<[Flow; 2]>,
}

impl AgentModel {
    pub fn new(spec: AgentSpec, shape: Arc<Shape>) -> AgentModel {
        let mut contents = Vec::new();
        ber::encode_oid_contents(SYS_OBJECT_ID, &mut contents);
        let mut sys_object_id = Vec::new();
        ber::write_bytes(&mut sys_object_id, tag::OID, &contents);
        let anchor_unix_secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let period = spec.reboot_every_secs.unwrap_or(1) as f64;
        let reboot_phase_secs = unit(spec.seed, 0, 7) * period;
        let idle = super::traffic::idle_ports(spec.seed, spec.interfaces, spec.idle_percent);
        let flows = (1..=spec.interfaces)
            .map(|if_index| {
                let flow = |direction| {
                    if is_up(spec.seed, if_index) && !idle[if_index as usize - 1] {
                        Flow::new(spec.seed, if_index, direction, spec.rate_bps, spec.speed_bps)
                    } else {
                        Flow::idle()
                    }
                };
                [flow(0), flow(1)]
            })
            .collect();
        let authority = match &spec.version {
            AgentVersion::V3(user) => Some(super::authority::Authority::new(user, &spec.name)),
            _ => None,
        };
        AgentModel {
            spec,
            shape,
            authority,
            sys_object_id,
            anchor_unix_secs,
            anchor: Instant::now(),
            reboot_phase_secs,
            flows,
        }
    }

    /// Now, and the last (re)boot: the agent's start, or the last reboot since.
    pub fn moment(&self) -> Moment {
        self.moment_at(self.anchor.elapsed().as_secs_f64())
    }

    /// snmpEngineBoots and snmpEngineTime at `at`: one boot more at each simulated reboot.
    pub fn engine_boots_and_time(&self, at: &Moment) -> (u32, u32) {
        let time = (at.now_secs - at.boot_secs).max(0.0) as u32;
        let boots = match self.spec.reboot_every_secs {
            Some(period) if period > 0 && at.boot_secs > self.anchor_unix_secs => {
                let reboots = ((at.boot_secs - self.anchor_unix_secs - self.reboot_phase_secs) / period as f64).round();
                2 + reboots.max(0.0) as u32
            }
            _ => 1,
        };
        (boots, time)
    }

    /// The moment `elapsed_secs` after the agent started.
    pub fn moment_at(&self, elapsed_secs: f64) -> Moment {
        let now_secs = self.anchor_unix_secs + elapsed_secs;
        let boot_secs = match self.spec.reboot_every_secs {
            Some(period) if period > 0 => {
                let period = period as f64;
                let cycles = ((elapsed_secs - self.reboot_phase_secs) / period).floor();
                let last_reboot = self.anchor_unix_secs + self.reboot_phase_secs + cycles * period;
                last_reboot.max(self.anchor_unix_secs)
            }
            _ => self.anchor_unix_secs,
        };
        Moment::new(now_secs, boot_secs)
    }

    fn is_up(&self, if_index: u32) -> bool {
        is_up(self.spec.seed, if_index)
    }

    fn flow(&self, if_index: u32, direction: u64) -> Flow {
        let flows = if_index.checked_sub(1).and_then(|i| self.flows.get(i as usize));
        flows.map_or_else(Flow::idle, |pair| pair[usize::from(direction != 0)])
    }

    fn counter(&self, if_index: u32, direction: u64, counter: Counter, at: &Moment) -> u64 {
        let mut last = at.last_octets.get();
        let slot = usize::from(direction != 0);
        let octets = if last[slot].0 == if_index {
            last[slot].1
        } else {
            let octets = self.flow(if_index, direction).octets(at.boot_secs, at.now_secs);
            last[slot] = (if_index, octets);
            at.last_octets.set(last);
            octets
        };
        let draw = |salt| unit(self.spec.seed, (u64::from(if_index) << 8) | direction, salt);
        match counter {
            Counter::Octets => octets,
            Counter::Unicast => octets / (400 + (draw(30) * 800.0) as u64),
            Counter::Multicast => octets / 40_000,
            Counter::Broadcast => octets / 160_000,
            Counter::NonUnicast => octets / 40_000 + octets / 160_000,
            Counter::Discards => octets / 20_000_000,
            Counter::Errors if draw(31) < 0.2 => octets / 80_000_000,
            Counter::Errors => 0,
        }
    }

    /// Appends the value TLV of `object` at `at` to `out`; `text` is scratch space.
    pub fn write_value(&self, object: Object, at: &Moment, out: &mut Vec<u8>, text: &mut String) {
        let spec = &self.spec;
        text.clear();
        match object {
            Object::System(1) => ber::write_bytes(out, tag::OCTET_STRING, spec.sys_descr.as_bytes()),
            Object::System(2) => out.extend_from_slice(&self.sys_object_id),
            Object::System(3) => ber::write_unsigned(out, tag::TIME_TICKS, at.uptime_ticks() & 0xffff_ffff),
            Object::System(4) => ber::write_bytes(out, tag::OCTET_STRING, SYS_CONTACT.as_bytes()),
            Object::System(5) => ber::write_bytes(out, tag::OCTET_STRING, spec.name.as_bytes()),
            Object::System(_) => ber::write_bytes(out, tag::OCTET_STRING, SYS_LOCATION.as_bytes()),
            Object::IfNumber => ber::write_integer(out, tag::INTEGER, i64::from(spec.interfaces)),
            Object::If(column, if_index) => self.write_if_value(column, if_index, at, out, text),
            Object::IfX(column, if_index) => self.write_if_x_value(column, if_index, at, out, text),
        }
    }

    fn write_name(&self, if_index: u32, out: &mut Vec<u8>, text: &mut String) {
        let _ = write!(text, "{}{}", self.spec.if_name_prefix, if_index);
        ber::write_bytes(out, tag::OCTET_STRING, text.as_bytes());
    }

    fn write_if_value(&self, column: u8, if_index: u32, at: &Moment, out: &mut Vec<u8>, text: &mut String) {
        let c32 = |dir, counter| self.counter(if_index, dir, counter, at) & 0xffff_ffff;
        let status = |admin: bool| {
            let up = self.is_up(if_index);
            let admin_down = !up && unit(self.spec.seed, u64::from(if_index), 101) < 0.5;
            if up || (admin && !admin_down) {
                1
            } else {
                2
            }
        };
        match column {
            1 => ber::write_integer(out, tag::INTEGER, i64::from(if_index)),
            2 => self.write_name(if_index, out, text),
            3 => ber::write_integer(out, tag::INTEGER, ETHERNET_CSMACD),
            4 => ber::write_integer(out, tag::INTEGER, MTU),
            5 => ber::write_unsigned(out, tag::GAUGE32, self.spec.speed_bps.min(u64::from(u32::MAX))),
            6 => {
                let id = mix(self.spec.seed).to_be_bytes();
                let [hi, lo] = (if_index as u16).to_be_bytes();
                ber::write_bytes(out, tag::OCTET_STRING, &[0x02, id[0], id[1], id[2], hi, lo]);
            }
            7 => ber::write_integer(out, tag::INTEGER, status(true)),
            8 => ber::write_integer(out, tag::INTEGER, status(false)),
            9 => ber::write_unsigned(out, tag::TIME_TICKS, 0),
            10 => ber::write_unsigned(out, tag::COUNTER32, c32(0, Counter::Octets)),
            11 => ber::write_unsigned(out, tag::COUNTER32, c32(0, Counter::Unicast)),
            12 => ber::write_unsigned(out, tag::COUNTER32, c32(0, Counter::NonUnicast)),
            13 => ber::write_unsigned(out, tag::COUNTER32, c32(0, Counter::Discards)),
            14 => ber::write_unsigned(out, tag::COUNTER32, c32(0, Counter::Errors)),
            15 => ber::write_unsigned(out, tag::COUNTER32, 0),
            16 => ber::write_unsigned(out, tag::COUNTER32, c32(1, Counter::Octets)),
            17 => ber::write_unsigned(out, tag::COUNTER32, c32(1, Counter::Unicast)),
            18 => ber::write_unsigned(out, tag::COUNTER32, c32(1, Counter::NonUnicast)),
            19 => ber::write_unsigned(out, tag::COUNTER32, c32(1, Counter::Discards)),
            20 => ber::write_unsigned(out, tag::COUNTER32, c32(1, Counter::Errors)),
            21 => ber::write_unsigned(out, tag::GAUGE32, 0),
            _ => out.extend_from_slice(&[tag::OID, 1, 0]), // ifSpecific: 0.0
        }
    }

    fn write_if_x_value(&self, column: u8, if_index: u32, at: &Moment, out: &mut Vec<u8>, text: &mut String) {
        let counter = |dir, counter| self.counter(if_index, dir, counter, at);
        let (kind, dir) = match column {
            2 | 8 => (Counter::Multicast, 0),
            3 | 9 => (Counter::Broadcast, 0),
            4 | 12 => (Counter::Multicast, 1),
            5 | 13 => (Counter::Broadcast, 1),
            6 => (Counter::Octets, 0),
            7 => (Counter::Unicast, 0),
            10 => (Counter::Octets, 1),
            11 => (Counter::Unicast, 1),
            _ => (Counter::Octets, 2), // not a counter
        };
        match column {
            1 => self.write_name(if_index, out, text),
            2..=5 => ber::write_unsigned(out, tag::COUNTER32, counter(dir, kind) & 0xffff_ffff),
            6..=13 => ber::write_unsigned(out, tag::COUNTER64, counter(dir, kind)),
            14 | 17 => ber::write_integer(out, tag::INTEGER, 1),
            15 => ber::write_unsigned(out, tag::GAUGE32, self.spec.speed_bps / 1_000_000),
            16 => ber::write_integer(out, tag::INTEGER, 2),
            18 => {
                if self.is_up(if_index) {
                    let _ = write!(text, "link {} to {}-peer", if_index, self.spec.name);
                }
                ber::write_bytes(out, tag::OCTET_STRING, text.as_bytes());
            }
            _ => ber::write_unsigned(out, tag::TIME_TICKS, 0),
        }
    }

    /// The mean in and out rates of an interface at `at`, in bits per second (0 when down).
    pub fn rates_bps(&self, if_index: u32, at: &Moment) -> (f64, f64) {
        (self.flow(if_index, 0).rate_bps(at.now_secs), self.flow(if_index, 1).rate_bps(at.now_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(model: &AgentModel, object: Object, at: &Moment) -> u64 {
        let mut out = Vec::new();
        model.write_value(object, at, &mut out, &mut String::new());
        ber::decode_unsigned(ber::Reader::new(&out).any().unwrap().contents).unwrap()
    }

    #[test]
    fn counters_grow_and_the_32_bit_view_is_the_64_bit_value_mod_2_32() {
        let spec = AgentSpec { rate_bps: 8e9, speed_bps: 100_000_000_000, ..AgentSpec::new("fast", 2) };
        let model = AgentModel::new(spec, Arc::new(Shape::new(2, true)));
        let mut last = 0;
        for minute in 0..30 {
            let at = model.moment_at(f64::from(minute) * 60.0);
            let hc = value_of(&model, Object::IfX(6, 1), &at);
            let low = value_of(&model, Object::If(10, 1), &at);
            assert!(hc >= last);
            assert_eq!(low, hc % (1 << 32));
            last = hc;
        }
        assert!(last > 1 << 33, "at 1 GB/s the 32-bit view wraps several times in 30 minutes");
    }

    #[test]
    fn idle_ports_are_up_and_their_counters_stay_still() {
        let spec = AgentSpec { idle_percent: 50.0, ..AgentSpec::new("half idle", 48) };
        let idle = crate::sim::traffic::idle_ports(spec.seed, 48, 50.0);
        let model = AgentModel::new(spec, Arc::new(Shape::new(48, true)));
        let (early, late) = (model.moment_at(60.0), model.moment_at(600.0));
        for if_index in (1..=48).filter(|&i| model.is_up(i)) {
            let moved =
                value_of(&model, Object::IfX(6, if_index), &late) > value_of(&model, Object::IfX(6, if_index), &early);
            assert_eq!(moved, !idle[if_index as usize - 1], "ifIndex {if_index}");
            assert_eq!(value_of(&model, Object::If(8, if_index), &late), 1, "ifIndex {if_index} is up");
        }
    }

    #[test]
    fn a_reboot_resets_uptime_and_counters() {
        let spec = AgentSpec { reboot_every_secs: Some(600), ..AgentSpec::new("flaky", 1) };
        let model = AgentModel::new(spec, Arc::new(Shape::new(1, true)));
        let mut drops = 0;
        let (mut last_ticks, mut last_octets) = (0, 0);
        for second in (0..1800).step_by(5) {
            let at = model.moment_at(f64::from(second));
            let ticks = value_of(&model, Object::System(3), &at);
            let octets = value_of(&model, Object::IfX(6, 1), &at);
            assert!(ticks <= 60_000, "uptime never exceeds the period");
            if ticks < last_ticks {
                drops += 1;
                assert!(octets < last_octets, "counters restart with the uptime");
            }
            (last_ticks, last_octets) = (ticks, octets);
        }
        assert_eq!(drops, 3, "three reboots in 30 minutes");
    }
}
