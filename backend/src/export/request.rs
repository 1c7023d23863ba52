//! One `WriteRequest` written straight as a snappy block (see [`super::snappy`]), series by
//! series; the protobuf it decompresses to is the one [`super::proto`] describes.

use super::proto::{
    label, label_len, nested, varint, varint_len, EncodedLabels, KEY_SAMPLE, KEY_SAMPLE_TIMESTAMP, KEY_SAMPLE_VALUE,
    KEY_TIMESERIES, NAME_LABEL,
};
use super::snappy::{Block, MAX_OFFSET};

/// Builds one `WriteRequest`, one series at a time, compressed as it goes (see
/// [`super::snappy`]): what a series repeats of what was written before is written as a copy
/// (its name's field and its sample as the last series of that name wrote them, when they are
/// the same; its labels when they are the set of the series before, or the part of a new set
/// it shares with the set before; its timestamp), the rest as literal bytes. No protobuf is
/// held uncompressed and nothing is searched for: writing a series costs a few copies.
#[derive(Default)]
pub struct WriteRequest {
    block: Block,
    series: usize,
    /// Per series name, what its last series wrote where.
    heads: Vec<Head>,
    /// Where the search for the next series' name starts: series come in the same order
    /// interface after interface, so the next name is mostly the one after the last.
    next_head: usize,
    scratch: Vec<u8>,
    last: Option<Last>,
}

struct Head {
    name: &'static str,
    /// What its last head (key, length, labels before `__name__`, name label) was made of,
    /// to copy it when the next one is the same without writing it first, and where it starts.
    series_len: usize,
    before_name: Vec<u8>,
    len: usize,
    at: usize,
    /// Its sample (value bits, timestamp, length) and where the sample's field starts.
    sample: Option<(u64, u64, usize)>,
    sample_at: usize,
}

/// What the series before wrote where, to copy from it.
struct Last {
    /// Its labels after `__name__` and where they start; its sample's key, length and value
    /// key follow them.
    after_name: Vec<u8>,
    after_name_at: usize,
    sample_len: usize,
    /// Its timestamp, and where that field starts.
    timestamp: u64,
    timestamp_at: usize,
}

impl WriteRequest {
    /// Appends the series `name` with `labels` and one sample. A negative timestamp is sent
    /// as 0.
    pub fn push(&mut self, name: &'static str, labels: &EncodedLabels, value: f64, timestamp_ms: i64) {
        self.push_all(labels, timestamp_ms, [(name, value)]);
    }

    /// Appends one series per name and value of `samples`, all with `labels` and the same
    /// timestamp (an interface's series at one poll): the labels are compared with the series
    /// before once, not once per series. A negative timestamp is sent as 0.
    pub fn push_all(
        &mut self,
        labels: &EncodedLabels,
        timestamp_ms: i64,
        samples: impl IntoIterator<Item = (&'static str, f64)>,
    ) {
        let timestamp = timestamp_ms.max(0) as u64;
        let sample_len = 1 + 8 + 1 + varint_len(timestamp);
        let labels_len = labels.before_name.len() + labels.after_name.len() + nested(sample_len);
        let mut same_labels = false;
        for (name, value) in samples {
            let series_len = labels_len + nested(label_len(NAME_LABEL, name));
            let h = self.head(name, series_len, &labels.before_name);
            let after_name_at = self.block.len();
            let sample_at = after_name_at + labels.after_name.len();
            let sample = (value.to_bits(), timestamp, sample_len);
            let head = &self.heads[h];
            let repeated =
                (head.sample == Some(sample) && sample_at - head.sample_at <= MAX_OFFSET).then_some(head.sample_at);
            same_labels = self.after_name(labels, sample_len, repeated.is_none(), same_labels);
            let timestamp_at = sample_at + 3 + 8;
            self.value_and_timestamp(h, repeated, value, timestamp, timestamp_at);
            debug_assert_eq!(self.block.len(), sample_at + 2 + sample_len);
            (self.heads[h].sample, self.heads[h].sample_at) = (Some(sample), sample_at);
            match &mut self.last {
                Some(last) => {
                    if !same_labels {
                        last.after_name.clone_from(&labels.after_name);
                        same_labels = true;
                    }
                    (last.after_name_at, last.sample_len) = (after_name_at, sample_len);
                    (last.timestamp, last.timestamp_at) = (timestamp, timestamp_at);
                }
                None => {
                    let after_name = labels.after_name.clone();
                    let last = Last { after_name, after_name_at, sample_len, timestamp, timestamp_at };
                    self.last = Some(last);
                    same_labels = true;
                }
            }
            self.series += 1;
        }
    }

    /// Writes a sample's value and timestamp (its head is written, unless `repeated` says
    /// where the same whole sample is: then that is copied).
    fn value_and_timestamp(
        &mut self,
        h: usize,
        repeated: Option<usize>,
        value: f64,
        timestamp: u64,
        timestamp_at: usize,
    ) {
        // The timestamp is copied from the last series of this name when it has it (then the
        // next series' head, copied from the series after that one, goes on the same copy),
        // else from the series before.
        let head = &self.heads[h];
        let same_timestamp = match (head.sample, &self.last) {
            (Some((_, t, _)), _) if t == timestamp => Some(head.sample_at + 3 + 8),
            (_, Some(last)) if last.timestamp == timestamp => Some(last.timestamp_at),
            _ => None,
        };
        let timestamp_len = varint_len(timestamp);
        match (repeated, same_timestamp.filter(|&from| timestamp_at - from <= MAX_OFFSET)) {
            (Some(from), _) => self.block.copy(from, 3 + 8 + 1 + timestamp_len),
            (None, Some(from)) => {
                self.block.literal(&value.to_le_bytes());
                self.block.copy(from, 1 + timestamp_len);
            }
            (None, None) => {
                self.block.literal(&value.to_le_bytes());
                self.scratch.clear();
                self.scratch.push(KEY_SAMPLE_TIMESTAMP);
                varint(timestamp, &mut self.scratch);
                self.block.literal(&self.scratch);
            }
        }
    }

    /// Writes the head of a series of `name` (key, length, labels before `__name__`, name
    /// label): a copy when the last series of `name` wrote the same, which is known from what
    /// it was made of (nothing is written first to compare); answers the name's entry in
    /// `heads`.
    fn head(&mut self, name: &'static str, series_len: usize, before_name: &[u8]) -> usize {
        let at = self.block.len();
        let h = match self.find_head(name) {
            Some(h) => h,
            None => {
                let head = Head {
                    name,
                    series_len: usize::MAX, // never the same: written the first time
                    before_name: Vec::new(),
                    len: 0,
                    at,
                    sample: None,
                    sample_at: 0,
                };
                self.heads.push(head);
                self.heads.len() - 1
            }
        };
        self.next_head = h + 1;
        let head = &mut self.heads[h];
        if head.series_len == series_len && head.before_name == before_name && at - head.at <= MAX_OFFSET {
            self.block.copy(head.at, head.len);
        } else {
            self.scratch.clear();
            self.scratch.push(KEY_TIMESERIES);
            varint(series_len as u64, &mut self.scratch);
            self.scratch.extend_from_slice(before_name);
            label(NAME_LABEL, name, &mut self.scratch);
            self.block.literal(&self.scratch);
            head.series_len = series_len;
            head.before_name.clear();
            head.before_name.extend_from_slice(before_name);
            head.len = self.scratch.len();
        }
        head.at = at;
        h
    }

    /// The entry of `name` in `heads`, searched from where the last one was found.
    fn find_head(&self, name: &'static str) -> Option<usize> {
        let start = self.next_head.min(self.heads.len());
        let (earlier, from_start) = self.heads.split_at(start);
        let found = |heads: &[Head]| heads.iter().position(|h| std::ptr::eq(h.name, name));
        found(from_start).map(|h| start + h).or_else(|| found(earlier))
    }

    /// Writes the labels after `__name__`, then (with `sample_head`) the sample's key, length
    /// and value key: copied from the series before where they are the same, in part where its
    /// set shares a prefix or a suffix with this one (an interface's set with the next
    /// interface's). Answers whether they were the labels of the series before; `known_same`
    /// says so beforehand (the series before was of the same call), then nothing is compared.
    fn after_name(&mut self, labels: &EncodedLabels, sample_len: usize, sample_head: bool, known_same: bool) -> bool {
        let head = [KEY_SAMPLE, sample_len as u8, KEY_SAMPLE_VALUE];
        let tail: &[u8] = if sample_head { &head } else { &[] };
        let ours = labels.after_name.as_slice();
        let block = &mut self.block;
        let at = block.len();
        let Some(last) = self.last.as_ref() else {
            block.literal(ours);
            block.literal(tail);
            return false;
        };
        let theirs = last.after_name.as_slice();
        let whole = known_same || theirs == ours;
        if at - last.after_name_at > MAX_OFFSET {
            block.literal(ours);
            block.literal(tail);
            return whole;
        }
        // What followed their labels was their sample's head: it goes on with ours when equal.
        let tail_follows = sample_head && last.sample_len == sample_len;
        let prefix = if whole { ours.len() } else { ours.iter().zip(theirs).take_while(|(a, b)| a == b).count() };
        let suffix = if whole {
            0
        } else {
            ours[prefix..].iter().rev().zip(theirs[prefix..].iter().rev()).take_while(|(a, b)| a == b).count()
        };
        if prefix >= 4 || (whole && tail_follows && prefix + tail.len() >= 4) {
            let n = prefix + if whole && tail_follows { tail.len() } else { 0 };
            block.copy(last.after_name_at, n);
            if whole {
                if !tail_follows {
                    block.literal(tail);
                }
                return true;
            }
        } else {
            block.literal(&ours[..prefix]);
            if whole {
                block.literal(tail);
                return true;
            }
        }
        block.literal(&ours[prefix..ours.len() - suffix]);
        let suffix_at = last.after_name_at + theirs.len() - suffix;
        let n = suffix + if tail_follows { tail.len() } else { 0 };
        if n >= 4 {
            block.copy(suffix_at, n);
            if !tail_follows {
                block.literal(tail);
            }
        } else {
            block.literal(&ours[ours.len() - suffix..]);
            block.literal(tail);
        }
        false
    }

    /// Series pushed so far.
    pub fn len(&self) -> usize {
        self.series
    }

    pub fn is_empty(&self) -> bool {
        self.series == 0
    }

    /// Starts over, keeping the buffers.
    pub fn clear(&mut self) {
        self.block.clear();
        self.series = 0;
        self.heads.clear();
        self.last = None;
    }

    /// The request as sent (snappy's block format), handed over without a copy; the writer
    /// starts over, empty.
    pub fn finish(&mut self) -> bytes::Bytes {
        let body = self.block.finish();
        self.clear();
        body
    }
}

#[cfg(test)]
mod tests {
    use super::super::proto::decoded::{decode, Label, Sample, TimeSeries};
    use super::*;

    fn label(name: &str, value: &str) -> Label {
        Label { name: name.into(), value: value.into() }
    }

    #[test]
    fn a_request_decodes_with_prost_into_the_series_written() {
        let mut request = WriteRequest::default();
        let long_alias = "a".repeat(300); // a length past one varint byte
        let mut labels = EncodedLabels::default();
        labels.set([("Zone", "b"), ("device", "sw1"), ("ifAlias", &long_alias), ("ifDescr", ""), ("ifIndex", "3")]);
        request.push("ifHCInOctets", &labels, 1.8e19, 1_764_547_200_123);
        request.push("ifHCOutOctets", &labels, 7.0, 1_764_547_200_123);
        labels.set([("device", "sw \"é\"")]);
        request.push("vigie_ping_loss_ratio", &labels, 0.25, 0);
        labels.set([]);
        request.push("sysUpTime", &labels, f64::NAN, -5);
        assert_eq!(request.len(), 4);
        let decoded = decode(&request.finish());
        assert!(request.is_empty(), "finishing starts over");
        assert_eq!(decoded.timeseries.len(), 4);
        let interface_labels = |name| {
            vec![
                label("Zone", "b"),
                label("__name__", name),
                label("device", "sw1"),
                label("ifAlias", &long_alias),
                label("ifIndex", "3"),
            ]
        };
        assert_eq!(
            decoded.timeseries[0],
            TimeSeries {
                labels: interface_labels("ifHCInOctets"),
                samples: vec![Sample { value: 1.8e19, timestamp: 1_764_547_200_123 }],
            },
            "the name sorted in, the empty ifDescr left out"
        );
        assert_eq!(decoded.timeseries[1].labels, interface_labels("ifHCOutOctets"), "the same labels reused");
        assert_eq!(decoded.timeseries[1].samples, vec![Sample { value: 7.0, timestamp: 1_764_547_200_123 }]);
        assert_eq!(
            decoded.timeseries[2].labels,
            [label("__name__", "vigie_ping_loss_ratio"), label("device", "sw \"é\"")],
            "set again: nothing of the labels before"
        );
        assert_eq!(decoded.timeseries[2].samples, vec![Sample { value: 0.25, timestamp: 0 }]);
        assert_eq!(decoded.timeseries[3].labels, [label("__name__", "sysUpTime")]);
        assert!(decoded.timeseries[3].samples[0].value.is_nan());
        assert_eq!(decoded.timeseries[3].samples[0].timestamp, 0, "negative timestamps are sent as 0");
        assert_eq!(decode(&request.finish()), Default::default());
        request.push("sysUpTime", &labels, 1.0, 7);
        assert_eq!(decode(&request.finish()).timeseries[0].labels, [label("__name__", "sysUpTime")], "nothing kept");
    }

    /// The protobuf of one series written plainly, field after field (what the request must
    /// decompress to).
    fn plain(name: &str, labels: &EncodedLabels, value: f64, timestamp: u64, out: &mut Vec<u8>) {
        let mut series = labels.before_name.clone();
        super::label(NAME_LABEL, name, &mut series);
        series.extend_from_slice(&labels.after_name);
        let mut sample = vec![KEY_SAMPLE_VALUE];
        sample.extend_from_slice(&value.to_le_bytes());
        sample.push(KEY_SAMPLE_TIMESTAMP);
        varint(timestamp, &mut sample);
        series.push(KEY_SAMPLE);
        varint(sample.len() as u64, &mut series);
        series.extend_from_slice(&sample);
        out.push(KEY_TIMESERIES);
        varint(series.len() as u64, out);
        out.extend_from_slice(&series);
    }

    #[test]
    fn a_fleet_s_polls_decompress_to_the_plain_protobuf_byte_for_byte_and_compress_well() {
        let names = ["ifHCInOctets", "ifHCOutOctets", "ifInErrors", "ifOperStatus", "vigie_interface_in_bps"];
        let mut request = WriteRequest::default();
        let mut expected = Vec::new();
        let mut sets = Vec::new();
        for device in 0..30 {
            for if_index in 1..=48 {
                let mut labels = EncodedLabels::default();
                let (index, name) = (if_index.to_string(), format!("ge-0/0/{if_index}"));
                let alias = if if_index % 7 == 0 { "uplink to the core".to_string() } else { String::new() };
                let device_name = format!("sw{device}");
                let mut set = vec![("device", device_name.as_str()), ("ifAlias", &alias), ("ifIndex", &index)];
                set.extend([("ifName", name.as_str()), ("instance", "10.0.0.1:1161"), ("site", "lyon")]);
                if device % 3 == 0 {
                    set.insert(0, ("Zone", "b")); // labels before __name__ too
                }
                labels.set(set);
                sets.push(labels);
            }
        }
        for round in 0..3u64 {
            request.clear();
            expected.clear();
            for (i, labels) in sets.iter().enumerate() {
                // Timestamps change by device; one in 50 series of another length.
                let timestamp = if i % 50 == 49 { 5 } else { 1_764_547_200_000 + round * 30_000 + (i / 48) as u64 };
                // Gauges repeat from one interface to the next; counters do not.
                let value = |n: usize| if n >= 3 { (i % 3) as f64 } else { (i * 1000 + n) as f64 * 1.5 };
                let series = names.iter().enumerate().map(|(n, name)| (*name, value(n)));
                if round == 1 {
                    series.for_each(|(name, value)| request.push(name, labels, value, timestamp as i64));
                } else {
                    request.push_all(labels, timestamp as i64, series); // an interface at once
                }
                for (n, name) in names.iter().enumerate() {
                    plain(name, labels, value(n), timestamp, &mut expected);
                }
            }
            let body = request.finish();
            let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
            assert!(raw == expected, "round {round}: the protobuf differs");
            let series = sets.len() * names.len();
            assert_eq!(decode(&body).timeseries.len(), series);
            assert!(body.len() < expected.len() / 4, "{} bytes for {} of protobuf", body.len(), expected.len());
        }
    }
}
