//! Reading a plain samples line back, fast: a seal reads every line of a device's hour, and
//! serde's generic path (seven column vectors, then the interfaces) was the largest part of a
//! seal's CPU. [`read_poll_line`] reads a line as [`PollLine::write_json`] writes it (keys in
//! their order, no spaces, integers or `null`) straight into the interfaces; any other shape
//! (spaces, keys in another order, a line edited by hand) goes to serde as before. A fast path,
//! never a second format: both read the same lines the same way, or the line is unreadable.

use super::poll_line::{InterfaceSample, PollLine, OPTIONAL_COLUMNS};

/// The line `bytes` holds, or `None` if it is unreadable (torn, corrupt, ragged).
pub fn read_poll_line(bytes: &[u8]) -> Option<PollLine> {
    read_written(bytes).or_else(|| serde_json::from_slice(bytes).ok())
}

/// The line, if it is exactly as [`PollLine::write_json`] writes it.
fn read_written(bytes: &[u8]) -> Option<PollLine> {
    let mut text = Text { bytes, at: 0 };
    text.eat(br#"{"timestamp":"#)?;
    let timestamp = text.timestamp()?;
    text.eat(br#","sysUpTime":"#)?;
    let sys_up_time = u32::try_from(text.integer()?).ok()?;
    text.eat(br#","ifIndex":["#)?;
    let mut interfaces = Vec::with_capacity(text.values_ahead());
    while let Some(if_index) = text.next_value(interfaces.is_empty())? {
        interfaces.push(InterfaceSample::empty(u32::try_from(if_index?).ok()?));
    }
    for (name, _, put) in OPTIONAL_COLUMNS {
        if !text.eat_key(name) {
            continue;
        }
        for (k, sample) in interfaces.iter_mut().enumerate() {
            put(sample, text.next_value(k == 0)??);
        }
        text.next_value(interfaces.is_empty())?.is_none().then_some(())?; // the column's `]`
    }
    text.eat(b"}")?;
    // Its newline (lines are read with it), or any whitespace, as serde allows after a value.
    let end = &bytes[text.at..];
    end.iter().all(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t')).then_some(PollLine {
        timestamp,
        sys_up_time,
        interfaces,
    })
}

/// The line being read, and where.
struct Text<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Text<'_> {
    /// How many values the array ahead holds at most (room for the interfaces, reserved once).
    fn values_ahead(&self) -> usize {
        let rest = &self.bytes[self.at..];
        let end = rest.iter().position(|b| *b == b']').unwrap_or(rest.len());
        1 + rest[..end].iter().filter(|b| **b == b',').count()
    }

    /// Steps over `expected` if the text goes on with it.
    fn eat(&mut self, expected: &[u8]) -> Option<()> {
        self.bytes[self.at..].starts_with(expected).then(|| self.at += expected.len())
    }

    /// Steps over `,"name":[` if the text goes on with it.
    fn eat_key(&mut self, name: &str) -> bool {
        let rest = &self.bytes[self.at..];
        let key = name.as_bytes();
        let found =
            rest.starts_with(b",\"") && rest[2..].starts_with(key) && rest[2 + key.len()..].starts_with(b"\":[");
        if found {
            self.at += key.len() + 5;
        }
        found
    }

    /// The timestamp, read by serde_json itself (a float, read exactly as serde reads it).
    fn timestamp(&mut self) -> Option<f64> {
        let rest = &self.bytes[self.at..];
        let len = rest.iter().position(|b| !matches!(b, b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'))?;
        let value = serde_json::from_slice::<f64>(&rest[..len]).ok()?;
        self.at += len;
        Some(value)
    }

    /// A whole number as JSON writes it: digits, no leading zero, at most `u64::MAX`.
    fn integer(&mut self) -> Option<u64> {
        let rest = &self.bytes[self.at..];
        let (mut value, mut len) = (0u64, 0);
        while let Some(digit) = rest.get(len).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9) {
            value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
            len += 1;
        }
        if len == 0 || (len > 1 && rest[0] == b'0') || rest.get(len).is_some_and(|b| matches!(b, b'.' | b'e' | b'E')) {
            return None;
        }
        self.at += len;
        Some(value)
    }

    /// The next value of an array (after its `[`): `Some(Some(Some(v)))` a number,
    /// `Some(Some(None))` a `null`, `Some(None)` the array's end (its `]` stepped over), `None`
    /// anything else. `first`: no comma before it.
    fn next_value(&mut self, first: bool) -> Option<Option<Option<u64>>> {
        if self.eat(b"]").is_some() {
            return Some(None);
        }
        if !first {
            self.eat(b",")?;
        }
        if self.eat(b"null").is_some() {
            return Some(Some(None));
        }
        Some(Some(Some(self.integer()?)))
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    /// A line of random interfaces, columns and values, as the poller makes them.
    fn random_line(rng: &mut rand::rngs::StdRng) -> PollLine {
        let n = rng.random_range(0..60usize);
        let value = |rng: &mut rand::rngs::StdRng, kept: bool| match rng.random_range(0..10) {
            _ if !kept => None,
            0 => None,
            1 => Some(u64::MAX - rng.random_range(0..3)),
            2 => Some(0),
            3..=5 => Some(rng.random_range(0..100_000)),
            _ => Some(rng.random::<u64>() >> rng.random_range(0..64)),
        };
        let columns: [bool; 6] = std::array::from_fn(|_| rng.random_bool(0.7));
        let interfaces = (0..n)
            .map(|k| InterfaceSample {
                if_index: if rng.random_bool(0.05) { u32::MAX } else { k as u32 * 3 + 1 },
                hc_in_octets: value(rng, columns[0]),
                hc_out_octets: value(rng, columns[1]),
                in_octets_32: value(rng, columns[2]).map(|v| v & 0xffff_ffff),
                out_octets_32: value(rng, columns[3]).map(|v| v & 0xffff_ffff),
                in_bps: value(rng, columns[4]).map(|v| (v >> 11) as f64),
                out_bps: value(rng, columns[5]).map(|v| (v >> 11) as f64),
            })
            .collect();
        let timestamp = rng.random_range(0..4_000_000_000_000i64) as f64 / 1000.0;
        PollLine { timestamp, sys_up_time: rng.random(), interfaces }
    }

    /// Every line written reads back through the fast path as serde reads it, and so does
    /// every way of spoiling one: each prefix (a torn line), each byte changed to another that
    /// JSON may hold there, spaces added.
    #[test]
    fn the_fast_path_reads_what_serde_reads() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        let serde = |bytes: &[u8]| serde_json::from_slice::<PollLine>(bytes).ok();
        let mut fast_reads = 0;
        for round in 0..3_000 {
            let line = random_line(&mut rng);
            // As files are read: with the newline.
            let text = line.with_text(<[u8]>::to_vec);
            assert_eq!(read_written(&text).as_ref(), Some(&line), "{}", String::from_utf8_lossy(&text));
            assert_eq!(serde(&text).as_ref(), Some(&line));
            let mut spoiled = text.clone();
            if round % 3 == 0 {
                spoiled.truncate(rng.random_range(0..text.len()));
            } else if round % 3 == 1 {
                let at = rng.random_range(0..text.len());
                spoiled[at] = *b"0123456789,]}[\"nul -.e".get(rng.random_range(0..22)).unwrap();
            } else {
                let at = rng.random_range(0..text.len());
                spoiled.insert(at, b' ');
            }
            let read = read_poll_line(&spoiled);
            assert_eq!(read, serde(&spoiled), "{}", String::from_utf8_lossy(&spoiled));
            fast_reads += usize::from(read_written(&spoiled).is_some());
        }
        assert!(fast_reads > 100, "spoiled lines that still read fast (a digit for a digit): {fast_reads}");
    }

    #[test]
    fn lines_of_another_shape_are_read_by_serde() {
        let written = r#"{"timestamp":1795611861.204,"sysUpTime":100,"ifIndex":[3,7],"ifHCInOctets":[1,null],"inBps":[8000,null]}"#;
        let line = read_written(written.as_bytes()).unwrap();
        assert_eq!(line.interfaces[1].if_index, 7);
        assert_eq!((line.interfaces[0].hc_in_octets, line.interfaces[0].in_bps), (Some(1), Some(8000.0)));
        for other in [
            // Keys in another order, spaces, an unknown key: serde reads them.
            r#"{"sysUpTime":100,"timestamp":1795611861.204,"ifIndex":[3,7],"ifHCInOctets":[1,null],"inBps":[8000,null]}"#,
            r#"{ "timestamp": 1795611861.204, "sysUpTime": 100, "ifIndex": [3, 7], "ifHCInOctets": [1, null], "inBps": [8000, null] }"#,
            r#"{"timestamp":1795611861.204,"sysUpTime":100,"ifIndex":[3,7],"inBps":[8000,null],"ifHCInOctets":[1,null]}"#,
        ] {
            assert!(read_written(other.as_bytes()).is_none(), "{other}");
            assert_eq!(read_poll_line(other.as_bytes()).as_ref(), Some(&line), "{other}");
        }
        for unreadable in [
            r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[1,2],"inBps":[5]}"#,
            r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[1],"inBps":[5,6]}"#,
            r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[01]}"#,
            r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[1.0]}"#,
            r#"{"timestamp":1.0,"sysUpTime":4294967296,"ifIndex":[1]}"#,
            r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[1],"inBps":[18446744073709551616]}"#,
            r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[null]}"#,
            r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[1,]}"#,
        ] {
            assert_eq!(read_poll_line(unreadable.as_bytes()), None, "{unreadable}");
        }
    }
}
