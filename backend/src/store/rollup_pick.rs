//! One interface's bucket out of a rollup line, plain or sealed, without converting the other
//! interfaces' numbers: what a traffic query reads from the rollup tiers. The line's layout is
//! [`super::rollup_line`]'s.

use super::query::StoredPoint;
use super::rollup_line::{max_of, MaxColumn, RollupLine};

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

/// Reads one interface out of a line in exactly the shape Vigie writes (plain, or sealed with
/// `overAverage`), finding its values by SIMD search for commas instead
/// of converting every value: a year of one interface of a 48-interface device is 8,760 lines
/// of 2 KB, and reading them whole takes several times longer. `ifIndex` must be increasing,
/// every column must have one value per ifIndex and the interface's own values must be valid
/// JSON numbers; the other interfaces' values are checked only for their count. `None`: not
/// that shape.
fn fast_bucket_of(line: &[u8], if_index: u32) -> Option<Option<StoredPoint>> {
    let rest = line.trim_ascii_end().strip_prefix(b"{\"timestamp\":")?;
    let comma = memchr::memchr(b',', rest)?;
    let timestamp: i64 = serde_json::from_slice(&rest[..comma]).ok()?;
    let mut rest = &rest[comma + 1..];
    let mut over = [false; 2];
    if let Some(after) = rest.strip_prefix(b"\"overAverage\":") {
        let (names, after) = array(after)?;
        for name in elements(names) {
            match serde_json::from_slice::<MaxColumn>(name).ok()? {
                MaxColumn::In => over[0] = true,
                MaxColumn::Out => over[1] = true,
            }
        }
        rest = after.strip_prefix(b",")?;
    }
    let (indexes, mut rest) = array(rest.strip_prefix(b"\"ifIndex\":")?)?;
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
        in_bps_max: max_of(values[2], values[0], over[0]),
        out_bps_max: max_of(values[3], values[1], over[1]),
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
    use crate::store::rollup_line::example_line;

    #[test]
    fn one_interface_reads_as_the_whole_line_does() {
        let line = example_line();
        for text in [serde_json::to_string(&line).unwrap(), line.sealed()] {
            for if_index in [1, 3, 7, 2] {
                assert_eq!(bucket_of(text.as_bytes(), if_index).unwrap(), line.point(if_index), "{text}");
                // Plain and sealed lines as the store writes them take the quick way.
                assert_eq!(fast_bucket_of(text.as_bytes(), if_index), Some(line.point(if_index)), "{text}");
            }
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
            // Whole rates (as the store writes them) or not; plain or sealed.
            if rng.random_bool(0.5) {
                line.round();
            }
            let mut text = match rng.random_bool(0.5) {
                true => line.sealed().into_bytes(),
                false => serde_json::to_vec(&line).unwrap(),
            };
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
