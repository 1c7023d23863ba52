//! Remote-write protocol 1.0 on the wire: a protobuf `prometheus.WriteRequest` (only its
//! `timeseries` field) compressed with snappy's block format. A series' labels but its name are
//! encoded once ([`EncodedLabels`]) and copied as bytes into each series that shares them, so
//! no series is built as an owned message nor sorted; the tests decode the result with prost's
//! derived messages and compare.
//!
//! ```text
//! message WriteRequest { repeated TimeSeries timeseries = 1; }
//! message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//! message Label        { string name = 1; string value = 2; }
//! message Sample       { double value = 1; int64 timestamp = 2; }
//! ```

/// The headers every remote-write request carries (protocol 1.0).
pub const CONTENT_TYPE: &str = "application/x-protobuf";
pub const CONTENT_ENCODING: &str = "snappy";
pub const VERSION_HEADER: (&str, &str) = ("X-Prometheus-Remote-Write-Version", "0.1.0");

/// Field keys: field number << 3 | wire type (2 = length-delimited, 1 = 64-bit, 0 = varint).
const KEY_TIMESERIES: u8 = 1 << 3 | 2;
const KEY_LABEL: u8 = 1 << 3 | 2;
const KEY_SAMPLE: u8 = 2 << 3 | 2;
const KEY_NAME: u8 = 1 << 3 | 2;
const KEY_VALUE: u8 = 2 << 3 | 2;
const KEY_SAMPLE_VALUE: u8 = 1 << 3 | 1;
const KEY_SAMPLE_TIMESTAMP: u8 = 2 << 3;

/// The labels of one series but its name, encoded once as protobuf `Label` fields and written
/// as they are into every series that carries them (an interface's ~15 series per poll share
/// one): the labels that sort before `__name__` and those after, empty values left out.
#[derive(Debug, Default)]
pub struct EncodedLabels {
    before_name: Vec<u8>,
    after_name: Vec<u8>,
}

impl EncodedLabels {
    /// Encodes `labels`, sorted by name (bytewise, as Prometheus sorts them) and without
    /// `__name__`, in place of what was there (the buffers are kept: no allocation once warm).
    pub fn set<'a>(&mut self, labels: impl IntoIterator<Item = (&'a str, &'a str)>) {
        self.before_name.clear();
        self.after_name.clear();
        for (name, value) in labels.into_iter().filter(|(_, v)| !v.is_empty()) {
            let buf = if name < NAME_LABEL { &mut self.before_name } else { &mut self.after_name };
            label(name, value, buf);
        }
    }
}

/// The label holding a series' name.
const NAME_LABEL: &str = "__name__";

/// Builds one `WriteRequest`, one series at a time.
#[derive(Default)]
pub struct WriteRequest {
    buf: Vec<u8>,
    series: usize,
}

impl WriteRequest {
    /// Appends the series `name` with `labels` and one sample. A negative timestamp is sent
    /// as 0.
    pub fn push(&mut self, name: &str, labels: &EncodedLabels, value: f64, timestamp_ms: i64) {
        let timestamp = timestamp_ms.max(0) as u64;
        let sample_len = 1 + 8 + 1 + varint_len(timestamp);
        let series_len = labels.before_name.len()
            + nested(label_len(NAME_LABEL, name))
            + labels.after_name.len()
            + nested(sample_len);
        self.buf.reserve(nested(series_len));
        self.buf.push(KEY_TIMESERIES);
        varint(series_len as u64, &mut self.buf);
        self.buf.extend_from_slice(&labels.before_name);
        label(NAME_LABEL, name, &mut self.buf);
        self.buf.extend_from_slice(&labels.after_name);
        self.buf.push(KEY_SAMPLE);
        varint(sample_len as u64, &mut self.buf);
        self.buf.push(KEY_SAMPLE_VALUE);
        self.buf.extend_from_slice(&value.to_le_bytes());
        self.buf.push(KEY_SAMPLE_TIMESTAMP);
        varint(timestamp, &mut self.buf);
        self.series += 1;
    }

    /// Series pushed so far.
    pub fn len(&self) -> usize {
        self.series
    }

    pub fn is_empty(&self) -> bool {
        self.series == 0
    }

    /// Starts over, keeping the buffer.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.series = 0;
    }

    /// The request's protobuf bytes, uncompressed.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The request as sent (snappy's block format), written into `out` (its buffer kept).
    pub fn compress_into(&self, encoder: &mut snap::raw::Encoder, out: &mut Vec<u8>) {
        out.resize(snap::raw::max_compress_len(self.buf.len()), 0);
        let len = encoder.compress(&self.buf, out).expect("a request is far below snappy's 4 GiB limit");
        out.truncate(len);
    }

    /// The request as sent: snappy's block format.
    pub fn compressed(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.compress_into(&mut snap::raw::Encoder::new(), &mut out);
        out
    }
}

/// One `Label` field: key, length, name, value.
fn label(name: &str, value: &str, buf: &mut Vec<u8>) {
    buf.push(KEY_LABEL);
    varint(label_len(name, value) as u64, buf);
    string(KEY_NAME, name, buf);
    string(KEY_VALUE, value, buf);
}

fn label_len(name: &str, value: &str) -> usize {
    nested(name.len()) + nested(value.len())
}

/// The bytes of a length-delimited field of `len` bytes: key, length, contents.
fn nested(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

fn string(key: u8, text: &str, buf: &mut Vec<u8>) {
    buf.push(key);
    varint(text.len() as u64, buf);
    buf.extend_from_slice(text.as_bytes());
}

fn varint(mut value: u64, buf: &mut Vec<u8>) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

fn varint_len(value: u64) -> usize {
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(test)]
pub mod decoded {
    //! The reference messages (prost's derive, written by hand: there is no protoc here).

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WriteRequest {
        #[prost(message, repeated, tag = "1")]
        pub timeseries: Vec<TimeSeries>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TimeSeries {
        #[prost(message, repeated, tag = "1")]
        pub labels: Vec<Label>,
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Label {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub value: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Sample {
        #[prost(double, tag = "1")]
        pub value: f64,
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
    }

    /// Decompresses and decodes a request as a receiver would.
    pub fn decode(body: &[u8]) -> WriteRequest {
        let raw = snap::raw::Decoder::new().decompress_vec(body).expect("snappy block format");
        prost::Message::decode(raw.as_slice()).expect("a WriteRequest")
    }
}

#[cfg(test)]
mod tests {
    use super::decoded::{decode, Label, Sample, TimeSeries};
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
        let decoded = decode(&request.compressed());
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
        let mut reused = Vec::from([1u8; 3]);
        request.compress_into(&mut snap::raw::Encoder::new(), &mut reused);
        assert_eq!(reused, request.compressed(), "compressing into a used buffer replaces it");
        request.clear();
        assert!(request.is_empty() && request.bytes().is_empty());
    }

    #[test]
    fn varint_lengths_match_what_is_written() {
        for value in [0u64, 1, 127, 128, 16_383, 16_384, 1 << 35, u64::MAX] {
            let mut buf = Vec::new();
            varint(value, &mut buf);
            assert_eq!(buf.len(), varint_len(value), "{value}");
        }
    }
}
