//! The rollup line: one bucket (5 minutes or an hour) of every interface of a device, as written
//! to `devices/<id>/rollup/<tier>/<date>.jsonl` — one array per field in `ifIndex` order, like
//! the raw samples line. One file per device and tier rather than per interface: a device's
//! hour is two appends, not two per interface.
//!
//! A traffic query wants one interface out of those lines; [`bucket_of`] reads only its values
//! and skips the others without converting them.

use serde::{Deserialize, Serialize};

use super::query::StoredPoint;

/// One interface's bucket: average and maximum rates over `samples` polls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub if_index: u32,
    pub in_bps: f64,
    pub out_bps: f64,
    pub in_bps_max: f64,
    pub out_bps_max: f64,
    pub samples: u32,
}

impl Bucket {
    pub fn new(if_index: u32, in_bps: f64, out_bps: f64) -> Bucket {
        Bucket { if_index, in_bps, out_bps, in_bps_max: in_bps, out_bps_max: out_bps, samples: 1 }
    }

    pub fn add(&mut self, in_bps: f64, out_bps: f64) {
        let n = f64::from(self.samples);
        self.in_bps = (self.in_bps * n + in_bps) / (n + 1.0);
        self.out_bps = (self.out_bps * n + out_bps) / (n + 1.0);
        self.in_bps_max = self.in_bps_max.max(in_bps);
        self.out_bps_max = self.out_bps_max.max(out_bps);
        self.samples += 1;
    }

    /// Adds the polls of another bucket of the same interface.
    pub fn merge(&mut self, other: &Bucket) {
        let (n, m) = (f64::from(self.samples), f64::from(other.samples));
        if n + m > 0.0 {
            self.in_bps = (self.in_bps * n + other.in_bps * m) / (n + m);
            self.out_bps = (self.out_bps * n + other.out_bps * m) / (n + m);
        }
        self.in_bps_max = self.in_bps_max.max(other.in_bps_max);
        self.out_bps_max = self.out_bps_max.max(other.out_bps_max);
        self.samples += other.samples;
    }

    pub fn point(&self, timestamp: i64) -> StoredPoint {
        StoredPoint {
            timestamp,
            in_bps: self.in_bps,
            out_bps: self.out_bps,
            in_bps_max: self.in_bps_max,
            out_bps_max: self.out_bps_max,
            weight: self.samples,
        }
    }
}

/// One line of a rollup file: the buckets starting at `timestamp`, in `ifIndex` order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "RollupColumns", try_from = "RollupColumns")]
pub struct RollupLine {
    /// Start of the bucket, Unix seconds.
    pub timestamp: i64,
    pub buckets: Vec<Bucket>,
}

impl RollupLine {
    /// Adds a rate to the interface's bucket, opening it if needed (kept in `ifIndex` order).
    /// `hint` is where the interface was in the previous line: polls list interfaces in the
    /// same order, so the search is usually one comparison.
    pub fn add(&mut self, hint: usize, if_index: u32, in_bps: f64, out_bps: f64) {
        match self.buckets.get_mut(hint) {
            Some(b) if b.if_index == if_index => b.add(in_bps, out_bps),
            _ => match self.buckets.binary_search_by_key(&if_index, |b| b.if_index) {
                Ok(i) => self.buckets[i].add(in_bps, out_bps),
                Err(i) => self.buckets.insert(i, Bucket::new(if_index, in_bps, out_bps)),
            },
        }
    }

    /// Adds the buckets of another line (a finer one within this line's span).
    pub fn merge(&mut self, other: &RollupLine) {
        for bucket in &other.buckets {
            match self.buckets.binary_search_by_key(&bucket.if_index, |b| b.if_index) {
                Ok(i) => self.buckets[i].merge(bucket),
                Err(i) => self.buckets.insert(i, *bucket),
            }
        }
    }

    pub fn point(&self, if_index: u32) -> Option<StoredPoint> {
        let i = self.buckets.binary_search_by_key(&if_index, |b| b.if_index).ok()?;
        Some(self.buckets[i].point(self.timestamp))
    }

    /// Rounds every rate to whole bits per second (half away from zero), as a closed line is
    /// written: the polls' rates are whole already in the raw samples, and a tenth of a bit per
    /// second is nothing a monitor shows (see the README, Storage).
    pub fn round(&mut self) {
        for b in &mut self.buckets {
            for v in [&mut b.in_bps, &mut b.out_bps, &mut b.in_bps_max, &mut b.out_bps_max] {
                *v = v.round();
            }
        }
    }
}

/// A [`RollupLine`] as written: every value as it is, a whole one without a decimal point. The
/// store writes whole bits per second ([`RollupLine::round`]); lines written before with tenths
/// read and export as they are.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RollupColumns {
    timestamp: i64,
    if_index: Vec<u32>,
    in_bps: Vec<Rate>,
    out_bps: Vec<Rate>,
    in_bps_max: Vec<Rate>,
    out_bps_max: Vec<Rate>,
    samples: Vec<u32>,
}

/// Above this, not every whole `f64` is exact in an `i64` conversion's sense: written as a float.
pub(super) const MAX_WHOLE: f64 = (1u64 << 53) as f64;

/// A rate in a rollup column: written as an integer when it is whole (`8013`, not `8013.0`).
#[derive(Clone, Copy, Deserialize)]
#[serde(transparent)]
struct Rate(f64);

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            v if v.fract() == 0.0 && v.abs() < MAX_WHOLE => s.serialize_i64(v as i64),
            v => s.serialize_f64(v),
        }
    }
}

impl From<RollupLine> for RollupColumns {
    fn from(line: RollupLine) -> Self {
        let b = &line.buckets;
        let column = |pick: fn(&Bucket) -> f64| b.iter().map(|x| Rate(pick(x))).collect();
        RollupColumns {
            timestamp: line.timestamp,
            if_index: b.iter().map(|x| x.if_index).collect(),
            in_bps: column(|x| x.in_bps),
            out_bps: column(|x| x.out_bps),
            in_bps_max: column(|x| x.in_bps_max),
            out_bps_max: column(|x| x.out_bps_max),
            samples: b.iter().map(|x| x.samples).collect(),
        }
    }
}

impl TryFrom<RollupColumns> for RollupLine {
    type Error = String;

    fn try_from(c: RollupColumns) -> Result<Self, String> {
        if c.if_index.windows(2).any(|w| w[0] >= w[1]) {
            return Err("ifIndex must be in increasing order".into());
        }
        let n = c.if_index.len();
        let lengths = [c.in_bps.len(), c.out_bps.len(), c.in_bps_max.len(), c.out_bps_max.len(), c.samples.len()];
        if lengths.iter().any(|len| *len != n) {
            return Err(ragged(n));
        }
        let buckets = (0..n)
            .map(|i| Bucket {
                if_index: c.if_index[i],
                in_bps: c.in_bps[i].0,
                out_bps: c.out_bps[i].0,
                in_bps_max: c.in_bps_max[i].0,
                out_bps_max: c.out_bps_max[i].0,
                samples: c.samples[i],
            })
            .collect();
        Ok(RollupLine { timestamp: c.timestamp, buckets })
    }
}

fn ragged(n: usize) -> String {
    format!("every column must have {n} values, one per ifIndex")
}

/// The bucket of `if_index` in a rollup line, with the bucket's start; `None` when the line has
/// no bucket for it. Lines as Vigie writes them are read by [`fast_bucket_of`]; anything else
/// (another key order, spaces, a line edited by hand) by reading the whole line.
pub fn bucket_of(line: &[u8], if_index: u32) -> serde_json::Result<Option<StoredPoint>> {
    match fast_bucket_of(line, if_index) {
        Some(point) => Ok(point),
        None => Ok(serde_json::from_slice::<RollupLine>(line)?.point(if_index)),
    }
}

/// The column names in the order Vigie writes them, after `timestamp` and `ifIndex`.
const COLUMNS: [&[u8]; 5] = [b"inBps", b"outBps", b"inBpsMax", b"outBpsMax", b"samples"];

/// Reads one interface out of a line in exactly the shape Vigie writes, finding its values by
/// SIMD search for commas instead of converting every value: a year of one interface of a
/// 48-interface device is 8,760 lines of 2 KB, and reading them whole takes several times
/// longer. `ifIndex` must be increasing, every column must have one value per ifIndex and the
/// interface's own values must be valid JSON numbers; the other interfaces' values are checked
/// only for their count. `None`: not that shape.
fn fast_bucket_of(line: &[u8], if_index: u32) -> Option<Option<StoredPoint>> {
    let rest = line.trim_ascii_end().strip_prefix(b"{\"timestamp\":")?;
    let comma = memchr::memchr(b',', rest)?;
    let timestamp: i64 = serde_json::from_slice(&rest[..comma]).ok()?;
    let (indexes, mut rest) = array(rest[comma + 1..].strip_prefix(b"\"ifIndex\":")?)?;
    let (mut position, mut n, mut previous) = (None, 0, None);
    for index in elements(indexes) {
        let index = serde_json::from_slice::<u32>(index).ok()?;
        if previous.replace(index).is_some_and(|p| p >= index) {
            return None;
        }
        if index == if_index {
            position = Some(n);
        }
        n += 1;
    }
    let mut values = [0.0f64; 5];
    for (name, value) in COLUMNS.iter().zip(values.iter_mut()) {
        let (body, after) = array(rest.strip_prefix(b",\"")?.strip_prefix(*name)?.strip_prefix(b"\":")?)?;
        let len = if body.is_empty() { 0 } else { memchr::memchr_iter(b',', body).count() + 1 };
        if len != n {
            return None;
        }
        if let Some(p) = position {
            *value = serde_json::from_slice(elements(body).nth(p)?).ok()?;
        }
        rest = after;
    }
    let samples = values[4];
    if rest != b"}" || samples.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&samples) {
        return None;
    }
    Some(position.map(|_| StoredPoint {
        timestamp,
        in_bps: values[0],
        out_bps: values[1],
        in_bps_max: values[2],
        out_bps_max: values[3],
        weight: samples as u32,
    }))
}

/// The array at the start of `bytes` (numbers only: it ends at the first `]`): its body between
/// the brackets, and what follows.
fn array(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let body = bytes.strip_prefix(b"[")?;
    let end = memchr::memchr(b']', body)?;
    Some((&body[..end], &body[end + 1..]))
}

/// The elements of an array's body, found by SIMD search for commas.
fn elements(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b',', body).chain((!body.is_empty()).then_some(body.len()));
    ends.map(move |end| {
        let element = &body[start..end];
        start = end + 1;
        element
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> RollupLine {
        let mut line = RollupLine { timestamp: 1_795_611_600, buckets: Vec::new() };
        for (i, if_index) in [7, 1, 3].into_iter().enumerate() {
            line.add(i, if_index, 8000.0, 4000.0);
            line.add(i, if_index, 8025.0 + f64::from(if_index), 3980.0);
        }
        line
    }

    #[test]
    fn rollup_lines_are_columns_and_read_back_the_same() {
        let line = line();
        let text = serde_json::to_string(&line).unwrap();
        assert_eq!(
            text,
            r#"{"timestamp":1795611600,"ifIndex":[1,3,7],"inBps":[8013,8014,8016],"outBps":[3990,3990,3990],"inBpsMax":[8026,8028,8032],"outBpsMax":[4000,4000,4000],"samples":[2,2,2]}"#
        );
        assert_eq!(serde_json::from_str::<RollupLine>(&text).unwrap(), line);
        assert_eq!(line.point(3).unwrap().in_bps, 8014.0);
        // Lines written with tenths (before whole bits per second) read and write back as they are.
        let tenths = r#"{"timestamp":600,"ifIndex":[1],"inBps":[8012.5],"outBps":[0.1],"inBpsMax":[9100.0],"outBpsMax":[0.2],"samples":[5]}"#;
        let old: RollupLine = serde_json::from_str(tenths).unwrap();
        assert_eq!((old.buckets[0].in_bps, old.buckets[0].out_bps, old.buckets[0].out_bps_max), (8012.5, 0.1, 0.2));
        assert_eq!(serde_json::to_string(&old).unwrap(), tenths.replace("9100.0", "9100"));
        let mut halves = RollupLine { timestamp: 0, buckets: vec![Bucket::new(1, 2.5, 0.5)] };
        halves.buckets[0].add(3.5, 0.49);
        halves.round();
        let b = halves.buckets[0];
        assert_eq!([b.in_bps, b.out_bps, b.in_bps_max, b.out_bps_max], [3.0, 0.0, 4.0, 1.0], "half away from zero");
    }

    #[test]
    fn one_interface_reads_as_the_whole_line_does() {
        let line = line();
        let text = serde_json::to_string(&line).unwrap();
        for if_index in [1, 3, 7, 2] {
            assert_eq!(bucket_of(text.as_bytes(), if_index).unwrap(), line.point(if_index), "ifIndex {if_index}");
        }
        // Another key order (the columns before ifIndex), extra keys, spaces: read the same.
        let reordered = r#"{ "inBps": [1.5, 2], "samples": [3, 4], "note": {"x": [1]}, "outBps": [5, 6],
            "inBpsMax": [7, 8], "outBpsMax": [9, 10], "ifIndex": [4, 9], "timestamp": 600 }"#;
        let whole: RollupLine = serde_json::from_str(reordered).unwrap();
        for if_index in [4, 9, 5] {
            assert_eq!(bucket_of(reordered.as_bytes(), if_index).unwrap(), whole.point(if_index));
        }
    }

    /// Lines as written, then with bytes changed, dropped or cut: wherever the whole line reads,
    /// one interface reads the same out of it, and nothing panics.
    #[test]
    fn one_interface_agrees_with_the_whole_line_on_random_and_damaged_lines() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..3_000 {
            let mut line = RollupLine { timestamp: rng.random_range(-10..2_000_000_000), buckets: Vec::new() };
            let mut if_index = 0;
            for _ in 0..rng.random_range(0..12) {
                if_index += rng.random_range(1..3);
                line.add(0, if_index, rng.random_range(0.0..1e12), rng.random_range(0.0..1e3));
                if rng.random_bool(0.5) {
                    line.add(0, if_index, rng.random_range(0.0..1e12), 0.0);
                }
            }
            let mut text = serde_json::to_vec(&line).unwrap();
            for _ in 0..rng.random_range(0..3) {
                if text.is_empty() {
                    break;
                }
                let at = rng.random_range(0..text.len());
                match rng.random_range(0..3) {
                    0 => {
                        let bytes = b"0123456789,[]{}\":.e-x ";
                        text[at] = bytes[rng.random_range(0..bytes.len())];
                    }
                    1 => drop(text.remove(at)),
                    _ => text.truncate(at),
                }
            }
            let whole = serde_json::from_slice::<RollupLine>(&text);
            for if_index in 0..26 {
                let one = bucket_of(&text, if_index);
                if let Ok(whole) = &whole {
                    assert_eq!(one.unwrap(), whole.point(if_index), "{}", String::from_utf8_lossy(&text));
                }
            }
        }
    }

    #[test]
    fn lines_the_whole_read_refuses_are_refused_for_one_interface_too() {
        let bad = [
            r#"{"timestamp":0,"ifIndex":[1,2],"inBps":[1],"outBps":[1,2],"inBpsMax":[1,2],"outBpsMax":[1,2],"samples":[1,1]}"#,
            r#"{"timestamp":0,"ifIndex":[1,2],"inBps":[1,2,3],"outBps":[1,2],"inBpsMax":[1,2],"outBpsMax":[1,2],"samples":[1,1]}"#,
            r#"{"timestamp":0,"ifIndex":[1,2],"inBps":[1,2],"outBps":[1,2],"inBpsMax":[1,2],"outBpsMax":[1,2]}"#,
            r#"{"ifIndex":[1],"inBps":[1],"outBps":[1],"inBpsMax":[1],"outBpsMax":[1],"samples":[1]}"#,
            r#"{"timestamp":0,"ifIndex":[1],"inBps":["x"],"outBps":[1],"inBpsMax":[1],"outBpsMax":[1],"samples":[1]}"#,
            r#"{"timestamp":0,"ifIndex":[1],"inBps":[1],"outBps":[1],"inBpsMax":[1],"outBpsMax":[1],"samples":[1.5]}"#,
            r#"{"timestamp":0,"ifIndex":[1],"inBps":[1],"outBps":[1],"inBpsMax":[1],"outBpsMax":[1],"samples":[1]} x"#,
            r#"{"timestamp":0,"ifIndex":[1],"inBps":[1],"outBps":[1"#,
        ];
        for text in bad {
            assert!(serde_json::from_str::<RollupLine>(text).is_err(), "whole read accepts {text}");
            assert!(bucket_of(text.as_bytes(), 1).is_err(), "ifIndex 1 read from {text}");
            assert!(!matches!(bucket_of(text.as_bytes(), 2), Ok(Some(_))), "ifIndex 2 read from {text}");
        }
    }
}
