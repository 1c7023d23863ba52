//! The rollup line: one bucket (5 minutes or an hour) of every interface of a device, as written
//! to `devices/<id>/rollup/<tier>/<date>.jsonl` — one array per field in `ifIndex` order, like
//! the raw samples line. One file per device and tier rather than per interface: a device's
//! 5-minute bucket is one append, not one per interface.
//!
//! A traffic query wants one interface out of those lines; `rollup_pick` reads only its values
//! and skips the others without converting them. Sealed files hold the lines in a compact shape
//! ([`RollupLine::sealed`]) that both read as the same line.

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
/// read and export as they are. Sealed files hold the compact shape ([`RollupLine::sealed`]):
/// `overAverage` names the maximum columns written as their excess over the same bucket's
/// average.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RollupColumns {
    timestamp: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    over_average: Vec<MaxColumn>,
    if_index: Vec<u32>,
    in_bps: Vec<Rate>,
    out_bps: Vec<Rate>,
    in_bps_max: Vec<Rate>,
    out_bps_max: Vec<Rate>,
    samples: Vec<u32>,
}

/// A maximum column, as `overAverage` names it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(super) enum MaxColumn {
    #[serde(rename = "inBpsMax")]
    In,
    #[serde(rename = "outBpsMax")]
    Out,
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
            v if is_whole(v) => s.serialize_i64(v as i64),
            v => s.serialize_f64(v),
        }
    }
}

fn is_whole(v: f64) -> bool {
    v.fract() == 0.0 && v.abs() < MAX_WHOLE
}

impl From<RollupLine> for RollupColumns {
    fn from(line: RollupLine) -> Self {
        let b = &line.buckets;
        let column = |pick: fn(&Bucket) -> f64| b.iter().map(|x| Rate(pick(x))).collect();
        RollupColumns {
            timestamp: line.timestamp,
            over_average: Vec::new(),
            if_index: b.iter().map(|x| x.if_index).collect(),
            in_bps: column(|x| x.in_bps),
            out_bps: column(|x| x.out_bps),
            in_bps_max: column(|x| x.in_bps_max),
            out_bps_max: column(|x| x.out_bps_max),
            samples: b.iter().map(|x| x.samples).collect(),
        }
    }
}

impl RollupLine {
    /// The line as a sealed file holds it: a maximum column written as its excess over the
    /// bucket's average (`max − avg`, a smaller number) when every value of both is whole and no
    /// maximum is below its average (so that `avg + excess` gives it back exactly; otherwise the
    /// column is written whole). Reads back as the same line.
    pub fn sealed(&self) -> String {
        let mut c = RollupColumns::from(self.clone());
        let pairs = [(MaxColumn::In, &mut c.in_bps_max, &c.in_bps), (MaxColumn::Out, &mut c.out_bps_max, &c.out_bps)];
        for (name, max, avg) in pairs {
            if !max.is_empty() && max.iter().zip(avg).all(|(m, a)| is_whole(m.0) && is_whole(a.0) && m.0 >= a.0) {
                max.iter_mut().zip(avg).for_each(|(m, a)| m.0 -= a.0);
                c.over_average.push(name);
            }
        }
        serde_json::to_string(&c).expect("rollup lines serialize")
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
        let over = |name| c.over_average.contains(&name);
        let (over_in, over_out) = (over(MaxColumn::In), over(MaxColumn::Out));
        let buckets = (0..n)
            .map(|i| Bucket {
                if_index: c.if_index[i],
                in_bps: c.in_bps[i].0,
                out_bps: c.out_bps[i].0,
                in_bps_max: max_of(c.in_bps_max[i].0, c.in_bps[i].0, over_in),
                out_bps_max: max_of(c.out_bps_max[i].0, c.out_bps[i].0, over_out),
                samples: c.samples[i],
            })
            .collect();
        Ok(RollupLine { timestamp: c.timestamp, buckets })
    }
}

/// A maximum as read: `value` itself, or the average plus `value` when its column is written as
/// the excess over the average. One function for the whole read and one interface's.
pub(super) fn max_of(value: f64, avg: f64, over_average: bool) -> f64 {
    if over_average {
        avg + value
    } else {
        value
    }
}

fn ragged(n: usize) -> String {
    format!("every column must have {n} values, one per ifIndex")
}

/// A line of three interfaces, two polls each, added out of order, for the tests.
#[cfg(test)]
pub(super) fn example_line() -> RollupLine {
    let mut line = RollupLine { timestamp: 1_795_611_600, buckets: Vec::new() };
    for (i, if_index) in [7, 1, 3].into_iter().enumerate() {
        line.add(i, if_index, 8000.0, 4000.0);
        line.add(i, if_index, 8025.0 + f64::from(if_index), 3980.0);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_lines_are_columns_and_read_back_the_same() {
        let line = example_line();
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

    /// Sealed lines read back as the plain ones, whatever their values: whole or with tenths,
    /// a maximum below its average (hand-edited), values near 2^53, interfaces missing from one
    /// line and new in the next.
    #[test]
    fn a_sealed_line_reads_back_as_the_plain_line() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(19);
        let mut shapes = [0usize; 2];
        for _ in 0..5_000 {
            let mut line = RollupLine { timestamp: rng.random_range(0..2_000_000_000), buckets: Vec::new() };
            for if_index in 1..rng.random_range(1..20u32) {
                if rng.random_bool(0.2) {
                    continue; // an interface without a rate in this bucket
                }
                let mut rate = || match rng.random_range(0..6) {
                    0 => 0.0,
                    1 => rng.random_range(0..1_000_000u64) as f64,
                    2 => rng.random_range(0..100_000_000u64) as f64 / 10.0,
                    3 => MAX_WHOLE - rng.random_range(1..1_000u64) as f64,
                    4 => rng.random_range(0.0..1e12),
                    _ => rng.random_range(0..400_000_000_000u64) as f64,
                };
                let (in_bps, out_bps) = (rate(), rate());
                let (in_bps_max, out_bps_max) = (rate(), rate());
                let mut b = Bucket { if_index, in_bps, out_bps, in_bps_max, out_bps_max, samples: 1 };
                if rng.random_bool(0.7) {
                    // As the store writes them: maxima at least the averages.
                    (b.in_bps_max, b.out_bps_max) = (b.in_bps_max.max(b.in_bps), b.out_bps_max.max(b.out_bps));
                }
                b.samples = rng.random_range(1..13);
                line.buckets.push(b);
            }
            if rng.random_bool(0.5) {
                line.round();
            }
            let sealed = line.sealed();
            shapes[usize::from(sealed.contains("overAverage"))] += 1;
            let read: RollupLine = serde_json::from_str(&sealed).unwrap();
            let plain: RollupLine = serde_json::from_str(&serde_json::to_string(&line).unwrap()).unwrap();
            // (`plain`, not `line`: serde_json reads some floats 1 ulp off, the same in both.)
            assert_eq!(read, plain, "{sealed}");
        }
        assert!(shapes.iter().all(|n| *n > 1_000), "both shapes tried: {shapes:?}");
        // As the store writes them: whole rates, maxima over the averages.
        let sealed = example_line().sealed();
        assert_eq!(
            sealed,
            r#"{"timestamp":1795611600,"overAverage":["inBpsMax","outBpsMax"],"ifIndex":[1,3,7],"inBps":[8013,8014,8016],"outBps":[3990,3990,3990],"inBpsMax":[13,14,16],"outBpsMax":[10,10,10],"samples":[2,2,2]}"#
        );
        // A name overAverage does not know makes the line unreadable, as any bad value does.
        let unknown = sealed.replace(r#"["inBpsMax","outBpsMax"]"#, r#"["inBps"]"#);
        assert!(serde_json::from_str::<RollupLine>(&unknown).is_err());
    }
}
