//! SNMP values as Vigie uses them, decoded straight from a reply's bytes.

use super::ber::{self, tag, BerError, Tlv};
use super::Oid;

/// Opaque (RFC 2578 §7.1.9): bytes we keep as they are.
const OPAQUE: u8 = 0x44;
/// Unsigned32 sent with its own tag by some agents; the same as Gauge32 for us.
const UINTEGER32: u8 = 0x47;

/// A decoded SNMP value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Integer(i32),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Counter64(u64),
    Bytes(Vec<u8>),
    ObjectId(Oid),
    IpAddress(std::net::Ipv4Addr),
}

impl Value {
    /// Any unsigned or non-negative integer value, widened.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Integer(v) => u64::try_from(v).ok(),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => Some(u64::from(v)),
            Value::Counter64(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(v) => Some(i64::from(v)),
            _ => self.as_u64().and_then(|v| i64::try_from(v).ok()),
        }
    }

    /// Text for display; invalid UTF-8 is replaced, not rejected (devices send Latin-1 too).
    pub fn as_text(&self) -> String {
        match self {
            Value::Bytes(bytes) => String::from_utf8_lossy(bytes).trim_end_matches('\0').to_string(),
            Value::ObjectId(oid) => oid.to_string(),
            Value::IpAddress(ip) => ip.to_string(),
            other => other.as_i64().map(|v| v.to_string()).unwrap_or_default(),
        }
    }

    /// The value in a varbind, or `None` for the exceptions (noSuchObject, noSuchInstance,
    /// endOfMibView) and NULL. Numbers allocate nothing.
    #[inline]
    pub fn decode(tlv: Tlv<'_>) -> Result<Option<Value>, BerError> {
        match Value::number(tlv) {
            Some(value) => Ok(Some(value)),
            None => Value::decode_any(tlv),
        }
    }

    /// A poll's values, in their usual lengths, without the general checks (every length here
    /// fits its type): what [`Value::decode`] answers for them; `None` for any other value.
    /// Answers a plain `Option`, so that a caller's loop moves no `Result` around per varbind.
    #[inline]
    pub fn number(tlv: Tlv<'_>) -> Option<Value> {
        let digits = tlv.contents;
        Some(match (tlv.tag, digits.len()) {
            (tag::COUNTER64, 1..=8) => Value::Counter64(big_endian(digits)),
            (tag::COUNTER32, 1..=4) => Value::Counter32(big_endian(digits) as u32),
            (tag::INTEGER, 1..=4) => {
                let sign = if digits[0] & 0x80 != 0 { -1i32 } else { 0 };
                Value::Integer(digits.iter().fold(sign, |acc, &b| (acc << 8) | i32::from(b)))
            }
            _ => return None,
        })
    }

    /// [`Value::decode`] of any value.
    fn decode_any(tlv: Tlv<'_>) -> Result<Option<Value>, BerError> {
        let small = |contents: &[u8]| -> Result<u32, BerError> {
            let v = ber::decode_unsigned(contents)?;
            u32::try_from(v).map_err(|_| BerError::IntegerTooLong { len: contents.len() })
        };
        let value = match tlv.tag {
            tag::INTEGER => {
                let v = ber::decode_integer(tlv.contents)?;
                Value::Integer(i32::try_from(v).map_err(|_| BerError::IntegerTooLong { len: tlv.contents.len() })?)
            }
            tag::COUNTER32 => Value::Counter32(small(tlv.contents)?),
            tag::GAUGE32 | UINTEGER32 => Value::Gauge32(small(tlv.contents)?),
            tag::TIME_TICKS => Value::TimeTicks(small(tlv.contents)?),
            tag::COUNTER64 => Value::Counter64(ber::decode_unsigned(tlv.contents)?),
            tag::OCTET_STRING | OPAQUE => Value::Bytes(tlv.contents.to_vec()),
            tag::IP_ADDRESS => {
                let octets: [u8; 4] = tlv.contents.try_into().map_err(|_| BerError::BadLength { at: 0 })?;
                Value::IpAddress(octets.into())
            }
            tag::OID => {
                let mut arcs = Vec::new();
                ber::decode_oid(tlv.contents, &mut arcs)?;
                Value::ObjectId(Oid(arcs))
            }
            tag::NULL | tag::NO_SUCH_OBJECT | tag::NO_SUCH_INSTANCE | tag::END_OF_MIB_VIEW => return Ok(None),
            found => return Err(BerError::UnexpectedTag { found, at: 0 }),
        };
        Ok(Some(value))
    }
}

/// Up to 8 bytes of an unsigned number, most significant first.
#[inline]
fn big_endian(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Option<Value>, BerError> {
        Value::decode(ber::Reader::new(bytes).any()?)
    }

    #[test]
    fn every_type_vigie_reads_decodes() {
        assert_eq!(decode(&[0x02, 1, 0xff]), Ok(Some(Value::Integer(-1))));
        assert_eq!(decode(&[0x41, 5, 0, 0xff, 0xff, 0xff, 0xff]), Ok(Some(Value::Counter32(u32::MAX))));
        assert_eq!(decode(&[0x42, 1, 7]), Ok(Some(Value::Gauge32(7))));
        assert_eq!(decode(&[0x47, 1, 7]), Ok(Some(Value::Gauge32(7))));
        assert_eq!(decode(&[0x43, 2, 1, 0]), Ok(Some(Value::TimeTicks(256))));
        let max64 = [0x46, 9, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decode(&max64), Ok(Some(Value::Counter64(u64::MAX))));
        assert_eq!(decode(&[0x04, 2, b'h', b'i']), Ok(Some(Value::Bytes(b"hi".to_vec()))));
        assert_eq!(decode(&[0x40, 4, 127, 0, 0, 1]), Ok(Some(Value::IpAddress([127, 0, 0, 1].into()))));
        assert_eq!(decode(&[0x06, 3, 0x2b, 6, 1]), Ok(Some(Value::ObjectId(Oid(vec![1, 3, 6, 1])))));
        for exception in [0x05, 0x80, 0x81, 0x82] {
            assert_eq!(decode(&[exception, 0]), Ok(None));
        }
    }

    /// The short paths of [`Value::decode`] answer what the general one does, at every length.
    #[test]
    fn numbers_decode_as_the_general_path_decodes_them() {
        for tag in [tag::INTEGER, tag::COUNTER32, tag::COUNTER64, tag::GAUGE32] {
            for len in 0..=10 {
                for fill in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                    let mut contents = vec![fill; len];
                    if let Some(first) = contents.first_mut() {
                        *first ^= 0x80;
                    }
                    for contents in [&contents[..], &[fill; 10][..len]] {
                        let tlv = Tlv { tag, contents };
                        assert_eq!(Value::decode(tlv), Value::decode_any(tlv), "{tag:#x} {contents:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn values_out_of_range_are_errors() {
        assert!(decode(&[0x41, 5, 1, 0, 0, 0, 0]).is_err(), "Counter32 above 2^32");
        assert!(decode(&[0x02, 5, 1, 0, 0, 0, 0]).is_err(), "INTEGER above 2^31");
        assert!(decode(&[0x40, 3, 1, 2, 3]).is_err(), "IpAddress of 3 bytes");
        assert!(decode(&[0x46, 0]).is_err(), "empty Counter64");
        assert!(decode(&[0x30, 0]).is_err(), "a SEQUENCE is no value");
    }
}
