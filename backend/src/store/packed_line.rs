//! A closed rollup line as it waits in memory for its hour: its values are final and are
//! written rounded to whole bits per second ([`RollupLine::round`]), so it is kept as those
//! whole numbers, packed in LEB128 varints (ifIndex as the step from the one before), about 20
//! bytes per interface instead of a 40-byte [`Bucket`]. Unpacking gives back exactly the line
//! the file gets; a line whose values cannot be packed that way (negative, not finite, beyond
//! 2^53) stays as it is, rounded.

use super::query::StoredPoint;
use super::rollup_line::{Bucket, RollupLine, MAX_WHOLE};

/// A closed rollup line, packed when its values allow it.
#[derive(Clone, Debug)]
pub enum ClosedLine {
    Packed { timestamp: i64, bytes: Box<[u8]> },
    Plain(RollupLine),
}

impl ClosedLine {
    pub fn new(mut line: RollupLine) -> ClosedLine {
        match pack(&line.buckets) {
            Some(bytes) => ClosedLine::Packed { timestamp: line.timestamp, bytes },
            None => {
                line.round();
                ClosedLine::Plain(line)
            }
        }
    }

    /// Closes `line`: packs it and empties it, keeping its block for the next line to fill
    /// (one allocation fewer per line closed); when it cannot be packed, takes it whole, rounded.
    pub fn take(line: &mut RollupLine) -> ClosedLine {
        match pack(&line.buckets) {
            Some(bytes) => {
                line.buckets.clear();
                ClosedLine::Packed { timestamp: line.timestamp, bytes }
            }
            None => {
                line.round();
                ClosedLine::Plain(std::mem::take(line))
            }
        }
    }

    pub fn timestamp(&self) -> i64 {
        match self {
            ClosedLine::Packed { timestamp, .. } => *timestamp,
            ClosedLine::Plain(line) => line.timestamp,
        }
    }

    /// The line as written to its file.
    pub fn unpack(&self) -> RollupLine {
        match self {
            ClosedLine::Packed { timestamp, bytes } => {
                RollupLine { timestamp: *timestamp, buckets: Buckets::new(bytes).collect() }
            }
            ClosedLine::Plain(line) => line.clone(),
        }
    }

    pub fn point(&self, if_index: u32) -> Option<StoredPoint> {
        match self {
            ClosedLine::Packed { timestamp, bytes } => {
                Buckets::new(bytes).find(|b| b.if_index == if_index).map(|b| b.point(*timestamp))
            }
            ClosedLine::Plain(line) => line.point(if_index),
        }
    }

    /// Bytes it holds on the heap, for the memory measurements.
    #[cfg(test)]
    pub fn held_bytes(&self) -> usize {
        match self {
            ClosedLine::Packed { bytes, .. } => bytes.len(),
            ClosedLine::Plain(line) => line.buckets.capacity() * std::mem::size_of::<Bucket>(),
        }
    }
}

/// A rate in whole bits per second, as the file will have it; `None` when that is not exact.
fn whole(bps: f64) -> Option<u64> {
    let w = bps.round();
    (0.0..MAX_WHOLE).contains(&w).then_some(w as u64)
}

/// The varints of `buckets`, in a block of exactly their length (shrinking a larger one would
/// leave its tail free between long-lived blocks, for the allocator to hold).
fn pack(buckets: &[Bucket]) -> Option<Box<[u8]>> {
    let mut len = 0;
    each_value(buckets, |value| len += varint_len(value))?;
    let mut bytes = Vec::with_capacity(len);
    each_value(buckets, |value| put(&mut bytes, value))?;
    Some(bytes.into_boxed_slice())
}

/// Calls `f` with each value to pack, in order; `None` if one cannot be packed exactly.
fn each_value(buckets: &[Bucket], mut f: impl FnMut(u64)) -> Option<()> {
    let mut previous = 0u32;
    for b in buckets {
        f(u64::from(b.if_index.checked_sub(previous)?));
        previous = b.if_index;
        for value in [b.in_bps, b.out_bps, b.in_bps_max, b.out_bps_max] {
            f(whole(value)?);
        }
        f(u64::from(b.samples));
    }
    Some(())
}

fn varint_len(value: u64) -> usize {
    (64 - value.leading_zeros() as usize).div_ceil(7).max(1)
}

fn put(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push(value as u8 | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

/// The buckets of packed bytes, in ifIndex order.
struct Buckets<'a> {
    bytes: &'a [u8],
    if_index: u32,
}

impl<'a> Buckets<'a> {
    fn new(bytes: &'a [u8]) -> Buckets<'a> {
        Buckets { bytes, if_index: 0 }
    }

    fn take(&mut self) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        while let Some((&byte, rest)) = self.bytes.split_first() {
            self.bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                break;
            }
        }
        value
    }
}

impl Iterator for Buckets<'_> {
    type Item = Bucket;

    fn next(&mut self) -> Option<Bucket> {
        if self.bytes.is_empty() {
            return None;
        }
        // Packed by `pack` above: the step fits a u32, the rates are exact, samples a u32.
        self.if_index += self.take() as u32;
        let mut rate = || self.take() as f64;
        let (in_bps, out_bps, in_bps_max, out_bps_max) = (rate(), rate(), rate(), rate());
        let samples = self.take() as u32;
        Some(Bucket { if_index: self.if_index, in_bps, out_bps, in_bps_max, out_bps_max, samples })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(values: &[(u32, f64, f64, u32)]) -> RollupLine {
        let buckets = values
            .iter()
            .map(|&(if_index, avg, max, samples)| Bucket {
                if_index,
                in_bps: avg,
                out_bps: avg / 3.0,
                in_bps_max: max,
                out_bps_max: max / 7.0,
                samples,
            })
            .collect();
        RollupLine { timestamp: 1_700_000_100, buckets }
    }

    fn rounded(line: &RollupLine) -> RollupLine {
        let mut line = line.clone();
        line.round();
        line
    }

    #[test]
    fn a_packed_line_writes_the_same_bytes_as_the_line_and_answers_the_same_points() {
        let mut values = vec![(1, 0.0, 0.04, 1), (2, 0.05, 0.15, 5), (7, 1e6 / 3.0, 2e6 / 3.0, 12)];
        // Rates over the whole range, with decimals, up to 400 Gbit/s and 20-digit-counter sizes.
        let mut x = 0.123_456_789_f64;
        for if_index in 10..2_000u32 {
            x = (x * 7.77 + 0.311).fract();
            let avg = x * 10f64.powi((if_index % 12) as i32);
            values.push((if_index * 3, avg, avg * (1.0 + x), if_index % 300 + 1));
        }
        values.push((u32::MAX, 4e11 + 0.05, 4e11 + 0.25, u32::MAX));
        let plain = line(&values);
        let packed = ClosedLine::new(plain.clone());
        let ClosedLine::Packed { bytes, .. } = &packed else { panic!("packed") };
        assert!(bytes.len() < plain.buckets.len() * 32, "{} bytes", bytes.len());
        assert_eq!(serde_json::to_string(&packed.unpack()).unwrap(), serde_json::to_string(&rounded(&plain)).unwrap());
        for &(if_index, ..) in &values {
            let (p, q) = (packed.point(if_index).unwrap(), plain.point(if_index).unwrap());
            let whole = |v: f64| v.round();
            assert_eq!((p.timestamp, p.weight), (q.timestamp, q.weight));
            assert_eq!(
                [p.in_bps, p.out_bps, p.in_bps_max, p.out_bps_max],
                [q.in_bps, q.out_bps, q.in_bps_max, q.out_bps_max].map(whole)
            );
        }
        assert!(packed.point(2_000_000).is_none());
        assert_eq!(packed.timestamp(), plain.timestamp);
    }

    #[test]
    fn a_closed_line_leaves_its_block_for_the_next_one() {
        let mut open = line(&[(1, 5.0, 6.0, 1), (4, 7.0, 8.0, 2)]);
        let (plain, capacity) = (open.clone(), open.buckets.capacity());
        let closed = ClosedLine::take(&mut open);
        assert_eq!(serde_json::to_string(&closed.unpack()).unwrap(), serde_json::to_string(&rounded(&plain)).unwrap());
        assert!(open.buckets.is_empty() && open.buckets.capacity() == capacity);
        let mut odd = line(&[(1, f64::NAN, 6.0, 1)]);
        assert!(matches!(ClosedLine::take(&mut odd), ClosedLine::Plain(_)) && odd.buckets.is_empty());
        for value in [0, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            let mut bytes = Vec::new();
            put(&mut bytes, value);
            assert_eq!(varint_len(value), bytes.len(), "{value}");
        }
    }

    #[test]
    fn a_line_that_cannot_be_packed_exactly_stays_as_it_is() {
        for odd in [-1.0, f64::NAN, f64::INFINITY, 1e18] {
            let plain = line(&[(1, 5.0, 6.0, 1), (2, odd, 6.0, 1)]);
            let closed = ClosedLine::new(plain.clone());
            assert!(matches!(closed, ClosedLine::Plain(_)), "{odd}");
            assert_eq!(format!("{:?}", closed.unpack()), format!("{:?}", rounded(&plain)));
        }
        assert!(ClosedLine::new(line(&[])).unpack().buckets.is_empty());
    }
}
