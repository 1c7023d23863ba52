//! Raw sample lines as the samples files hold them, plain and sealed: counters written as
//! deltas from the previous line, and rates left out where they follow from those deltas. A
//! line says which of its columns are deltas (`"deltas"`) and which rate columns were left out
//! (`"derived"`); a line without either is absolute (the layout of [`super::poll_line`]). Every
//! plain file starts with one (and so does the first line after a seal emptied it, after a
//! restart, after a failed write), and so does every sealed frame.
//!
//! Rules, per value (a reader in another language needs only these):
//! - a counter in a `deltas` column is the difference from the previous line's value of the
//!   same `ifIndex` in the same column; where the previous line has no value there (a new
//!   interface, or `null`), it is absolute. `null` stays `null`. Differences may be negative
//!   (a wrap or a reset: the rate column then says what the poller made of it).
//! - a rate column named in `derived` is `round(Δcounter × 8 / Δt)` for each interface whose
//!   counter (`ifHCInOctets`, else `ifInOctets`, likewise out) has a value in both lines and
//!   did not go down, with `Δt` the difference of the timestamps in milliseconds / 1000;
//!   `null` otherwise. The encoder leaves a column out only when that gives back every value
//!   exactly, so readers see the same rows as the poll wrote.
//! - a line that cannot be read (torn by a crash, corrupt) breaks the chain: the delta lines
//!   after it are unreadable until the next absolute line, never misread.

use std::cell::OnceCell;
use std::collections::HashMap;

use serde::Deserialize;

use super::poll_line::{write_column, write_head, write_key, InterfaceSample, PollLine, MAX_BYTES_PER_INTERFACE};

/// A samples line as it is written: one array per column, in `ifIndex` order.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
struct DeltaLine {
    timestamp: f64,
    sys_up_time: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deltas: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    derived: Vec<String>,
    if_index: Vec<u32>,
    #[serde(rename = "ifHCInOctets", default, skip_serializing_if = "Option::is_none")]
    hc_in_octets: Option<Vec<Option<i128>>>,
    #[serde(rename = "ifHCOutOctets", default, skip_serializing_if = "Option::is_none")]
    hc_out_octets: Option<Vec<Option<i128>>>,
    #[serde(rename = "ifInOctets", default, skip_serializing_if = "Option::is_none")]
    in_octets_32: Option<Vec<Option<i128>>>,
    #[serde(rename = "ifOutOctets", default, skip_serializing_if = "Option::is_none")]
    out_octets_32: Option<Vec<Option<i128>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    in_bps: Option<Vec<Option<u64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    out_bps: Option<Vec<Option<u64>>>,
}

type Counter = fn(&InterfaceSample) -> Option<u64>;
type CounterMut = fn(&mut InterfaceSample) -> &mut Option<u64>;

/// The counter columns: name, read, write, and the line's column.
const COUNTERS: [(&str, Counter, CounterMut); 4] = [
    ("ifHCInOctets", |s| s.hc_in_octets, |s| &mut s.hc_in_octets),
    ("ifHCOutOctets", |s| s.hc_out_octets, |s| &mut s.hc_out_octets),
    ("ifInOctets", |s| s.in_octets_32, |s| &mut s.in_octets_32),
    ("ifOutOctets", |s| s.out_octets_32, |s| &mut s.out_octets_32),
];

fn column(line: &mut DeltaLine, c: usize) -> &mut Option<Vec<Option<i128>>> {
    match c {
        0 => &mut line.hc_in_octets,
        1 => &mut line.hc_out_octets,
        2 => &mut line.in_octets_32,
        _ => &mut line.out_octets_32,
    }
}

/// The previous line, with where each `ifIndex` sits in it (found by position first: the
/// interfaces of a device come in the same order poll after poll, so the map is built only for
/// a line whose interfaces moved).
struct Previous {
    line: PollLine,
    position: OnceCell<HashMap<u32, usize>>,
}

impl Previous {
    fn new(line: PollLine) -> Previous {
        Previous { line, position: OnceCell::new() }
    }

    /// Keeps a copy of `line` in `prev`, in the vector it already has.
    fn keep(prev: &mut Option<Previous>, line: &PollLine) {
        match prev {
            Some(p) => {
                p.line.timestamp = line.timestamp;
                p.line.sys_up_time = line.sys_up_time;
                p.line.interfaces.clone_from(&line.interfaces);
                p.position.take();
            }
            None => *prev = Some(Previous::new(line.clone())),
        }
    }

    fn find(&self, i: usize, if_index: u32) -> Option<&InterfaceSample> {
        match self.line.interfaces.get(i) {
            Some(s) if s.if_index == if_index => Some(s),
            _ => {
                let position = self
                    .position
                    .get_or_init(|| self.line.interfaces.iter().enumerate().map(|(i, s)| (s.if_index, i)).collect());
                position.get(&if_index).map(|p| &self.line.interfaces[*p])
            }
        }
    }
}

fn millis(ts: f64) -> i64 {
    (ts * 1000.0).round() as i64
}

/// The rates that follow from two lines' counters for interface `i` of `cur` (see the module
/// rules): (in, out).
fn derived_rates(prev: &Previous, cur: &PollLine, i: usize) -> (Option<u64>, Option<u64>) {
    let s = &cur.interfaces[i];
    let elapsed_ms = millis(cur.timestamp) - millis(prev.line.timestamp);
    let Some(p) = prev.find(i, s.if_index).filter(|_| elapsed_ms > 0) else { return (None, None) };
    let elapsed_secs = elapsed_ms as f64 / 1000.0;
    let rate = |hc: Counter, small: Counter| {
        let (a, b) = match (hc(p), hc(s)) {
            (Some(a), Some(b)) => (a, b),
            _ => (small(p)?, small(s)?),
        };
        let bps = b.checked_sub(a)? as f64 * 8.0 / elapsed_secs;
        Some(bps.round().max(0.0) as u64)
    };
    (rate(COUNTERS[0].1, COUNTERS[2].1), rate(COUNTERS[1].1, COUNTERS[3].1))
}

fn whole(bps: Option<f64>) -> Option<u64> {
    bps.map(|bps| bps.round().max(0.0) as u64)
}

/// Writes a chain of lines (a samples file's, a sealed frame's): the first absolute, the next
/// ones as deltas from the line before. It keeps a copy of the last line written.
#[derive(Default)]
pub struct Encoder {
    prev: Option<Previous>,
}

impl Encoder {
    /// Appends the text of `line` (no newline) to `out`, as deltas from the line before.
    pub fn write(&mut self, line: &PollLine, out: &mut Vec<u8>) {
        write_line(self.prev.as_ref(), line, out);
        Previous::keep(&mut self.prev, line);
    }

    /// Starts a new chain: the next line is written absolute.
    pub fn restart(&mut self) {
        self.prev = None;
    }

    /// Appends the text of `line` (no newline) to `out`, absolute: a chain's first line.
    pub fn write_absolute(line: &PollLine, out: &mut Vec<u8>) {
        write_line(None, line, out);
    }

    /// The text of `line` (no newline).
    #[cfg(test)]
    pub fn line(&mut self, line: &PollLine) -> String {
        let mut out = Vec::new();
        self.write(line, &mut out);
        String::from_utf8(out).expect("samples lines are text")
    }
}

/// Appends the text of `line` (no newline) to `out`, as deltas from `prev` (absolute without):
/// the JSON [`DeltaLine`] would serialize to, written straight from the two lines (no copy of
/// their columns).
fn write_line(prev: Option<&Previous>, line: &PollLine, out: &mut Vec<u8>) {
    let s = &line.interfaces;
    out.reserve(64 + s.len() * MAX_BYTES_PER_INTERFACE);
    let present = COUNTERS.map(|(_, get, _)| s.iter().any(|i| get(i).is_some()));
    let derivable = prev.map_or([false; 2], |p| derivable_rates(p, line));
    write_head(out, line.timestamp, line.sys_up_time);
    if prev.is_some() && present.contains(&true) {
        let names = COUNTERS.iter().zip(present).filter(|(_, p)| *p).map(|((name, _, _), _)| *name);
        write_names(out, "deltas", names);
    }
    if derivable.contains(&true) {
        write_names(out, "derived", RATES.iter().zip(derivable).filter(|(_, d)| *d).map(|((name, _), _)| *name));
    }
    write_column(out, "ifIndex", s.iter().map(|i| Some(i.if_index)));
    for (c, (name, get, _)) in COUNTERS.iter().enumerate() {
        if present[c] {
            let values = s.iter().enumerate().map(|(k, i)| {
                let base = prev.and_then(|p| p.find(k, i.if_index)).and_then(get);
                Some(i128::from(get(i)?) - base.map_or(0, i128::from))
            });
            write_column(out, name, values);
        }
    }
    for (d, (name, get)) in RATES.iter().enumerate() {
        if !derivable[d] && s.iter().any(|i| get(i).is_some()) {
            write_column(out, name, s.iter().map(get));
        }
    }
    out.push(b'}');
}

/// A device's samples file as its writer goes on with it: the encoder, and where the last line
/// it wrote ended (segment, offset). A line is written as deltas only right after that line:
/// a file emptied by a seal, a new day's file, a restart, a failed write or a torn tail start
/// a new chain with an absolute line.
#[derive(Default)]
pub struct Chain {
    encoder: Encoder,
    end: Option<(i64, u64)>,
}

impl Chain {
    /// Writes `line` and its newline to `out`, to go at offset `at` of the file of `segment`.
    pub fn write(&mut self, segment: i64, at: u64, line: &PollLine, out: &mut Vec<u8>) {
        if self.end.take() != Some((segment, at)) {
            self.encoder.restart();
        }
        self.encoder.write(line, out);
        out.push(b'\n');
    }

    /// Notes where the file of `segment` ends after the line's write (`None`: it failed).
    pub fn written(&mut self, segment: i64, end: Option<u64>) {
        self.end = end.map(|end| (segment, end));
    }
}

/// The start of a samples line as [`Encoder`] writes it, read
/// without parsing the rest: its timestamp in milliseconds and whether it depends on the line
/// before (`deltas` or `derived`). `None` for a line that starts any other way (written by
/// hand, torn in its first bytes).
pub fn head(bytes: &[u8]) -> Option<(i64, bool)> {
    let rest = bytes.strip_prefix(br#"{"timestamp":"#)?;
    let comma = rest.iter().position(|&b| b == b',')?;
    let timestamp: f64 = std::str::from_utf8(&rest[..comma]).ok()?.parse().ok()?;
    let rest = rest[comma..].strip_prefix(br#","sysUpTime":"#)?;
    let rest = &rest[rest.iter().take_while(|b| b.is_ascii_digit()).count()..];
    let dependent = rest.starts_with(br#","deltas""#) || rest.starts_with(br#","derived""#);
    (dependent || rest.starts_with(br#","ifIndex""#)).then_some((millis(timestamp), dependent))
}

/// The rate columns: name and read (whole bits per second, as plain lines write them).
const RATES: [(&str, Counter); 2] = [("inBps", |i| whole(i.in_bps)), ("outBps", |i| whole(i.out_bps))];

/// Whether each rate column of `cur` (in, out) follows from its counters and `prev`'s.
fn derivable_rates(prev: &Previous, cur: &PollLine) -> [bool; 2] {
    let mut derivable = [true; 2];
    for (k, s) in cur.interfaces.iter().enumerate() {
        let (i, o) = derived_rates(prev, cur, k);
        derivable[0] &= RATES[0].1(s) == i;
        derivable[1] &= RATES[1].1(s) == o;
        if derivable == [false; 2] {
            break;
        }
    }
    derivable
}

/// `,"key":["a","b"]`.
fn write_names<'a>(out: &mut Vec<u8>, key: &str, names: impl Iterator<Item = &'a str>) {
    write_key(out, key);
    for (n, name) in names.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.push(b'"');
    }
    out.push(b']');
}

/// Reads lines written by [`Encoder`] (or absolute lines of any age) back into [`PollLine`]s.
#[derive(Default)]
pub struct Decoder {
    prev: Option<Previous>,
}

impl Decoder {
    /// The line `bytes` holds, or `None` if it is unreadable (torn, corrupt, or a delta line
    /// with no readable line before it to add to).
    pub fn line(&mut self, bytes: &[u8]) -> Option<PollLine> {
        let line = self.read(bytes);
        match &line {
            Some(line) => Previous::keep(&mut self.prev, line),
            None => self.prev = None,
        }
        line
    }

    fn read(&self, bytes: &[u8]) -> Option<PollLine> {
        let Ok(mut text) = serde_json::from_slice::<DeltaLine>(bytes) else { return None };
        let n = text.if_index.len();
        let is_delta = |name: &str| text.deltas.iter().any(|d| d == name);
        let deltas = [0, 1, 2, 3].map(|c| is_delta(COUNTERS[c].0));
        if deltas.iter().any(|d| *d) && self.prev.is_none() {
            return None;
        }
        let mut interfaces: Vec<InterfaceSample> =
            text.if_index.iter().map(|&if_index| InterfaceSample::empty(if_index)).collect();
        for (c, (_, get, set)) in COUNTERS.iter().enumerate() {
            let Some(values) = column(&mut text, c).take() else { continue };
            if values.len() != n {
                return None;
            }
            for (k, value) in values.into_iter().enumerate() {
                let Some(mut v) = value else { continue };
                if deltas[c] {
                    let base = self.prev.as_ref().and_then(|p| p.find(k, interfaces[k].if_index)).and_then(get);
                    v += base.map_or(0, i128::from);
                }
                *set(&mut interfaces[k]) = Some(u64::try_from(v).ok()?);
            }
        }
        for (values, slot) in [(text.in_bps.take(), 0), (text.out_bps.take(), 1)] {
            if let Some(values) = values {
                if values.len() != n {
                    return None;
                }
                for (k, v) in values.into_iter().enumerate() {
                    let bps = v.map(|v| v as f64);
                    if slot == 0 {
                        interfaces[k].in_bps = bps
                    } else {
                        interfaces[k].out_bps = bps
                    }
                }
            }
        }
        let mut line = PollLine { timestamp: text.timestamp, sys_up_time: text.sys_up_time, interfaces };
        let derive = [is_delta_name(&text.derived, "inBps"), is_delta_name(&text.derived, "outBps")];
        if derive.iter().any(|d| *d) {
            let prev = self.prev.as_ref()?;
            for k in 0..n {
                let (i, o) = derived_rates(prev, &line, k);
                if derive[0] {
                    line.interfaces[k].in_bps = i.map(|v| v as f64);
                }
                if derive[1] {
                    line.interfaces[k].out_bps = o.map(|v| v as f64);
                }
            }
        }
        Some(line)
    }
}

fn is_delta_name(names: &[String], name: &str) -> bool {
    names.iter().any(|d| d == name)
}

#[cfg(test)]
mod tests;
