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
pub(super) const KEY_TIMESERIES: u8 = 1 << 3 | 2;
const KEY_LABEL: u8 = 1 << 3 | 2;
pub(super) const KEY_SAMPLE: u8 = 2 << 3 | 2;
const KEY_NAME: u8 = 1 << 3 | 2;
const KEY_VALUE: u8 = 2 << 3 | 2;
pub(super) const KEY_SAMPLE_VALUE: u8 = 1 << 3 | 1;
pub(super) const KEY_SAMPLE_TIMESTAMP: u8 = 2 << 3;

/// The labels of one series but its name, encoded once as protobuf `Label` fields and written
/// as they are into every series that carries them (an interface's ~15 series per poll share
/// one): the labels that sort before `__name__` and those after, empty values left out.
#[derive(Debug, Default, Clone)]
pub struct EncodedLabels {
    pub(super) before_name: Vec<u8>,
    pub(super) after_name: Vec<u8>,
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
pub(super) const NAME_LABEL: &str = "__name__";

/// One `Label` field: key, length, name, value.
pub(super) fn label(name: &str, value: &str, buf: &mut Vec<u8>) {
    buf.push(KEY_LABEL);
    varint(label_len(name, value) as u64, buf);
    string(KEY_NAME, name, buf);
    string(KEY_VALUE, value, buf);
}

pub(super) fn label_len(name: &str, value: &str) -> usize {
    nested(name.len()) + nested(value.len())
}

/// The bytes of a length-delimited field of `len` bytes: key, length, contents.
pub(super) fn nested(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

fn string(key: u8, text: &str, buf: &mut Vec<u8>) {
    buf.push(key);
    varint(text.len() as u64, buf);
    buf.extend_from_slice(text.as_bytes());
}

pub(super) fn varint(mut value: u64, buf: &mut Vec<u8>) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

pub(super) fn varint_len(value: u64) -> usize {
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
    use super::*;

    #[test]
    fn varint_lengths_match_what_is_written() {
        for value in [0u64, 1, 127, 128, 16_383, 16_384, 1 << 35, u64::MAX] {
            let mut buf = Vec::new();
            varint(value, &mut buf);
            assert_eq!(buf.len(), varint_len(value), "{value}");
        }
    }
}
