//! The BER subset SNMP v1, v2c and v3 need, both ways: parse a message without copying (tags, lengths,
//! integers, OIDs) and write one into a reusable buffer. Every read is bounds-checked and
//! returns [`BerError`] on bad input: nothing here may panic, whatever the bytes. The poller's
//! client and the simulator's agents both speak through it.

/// Universal and SNMP application tags.
pub mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    pub const IP_ADDRESS: u8 = 0x40;
    pub const COUNTER32: u8 = 0x41;
    pub const GAUGE32: u8 = 0x42;
    pub const TIME_TICKS: u8 = 0x43;
    pub const COUNTER64: u8 = 0x46;
    pub const NO_SUCH_OBJECT: u8 = 0x80;
    pub const NO_SUCH_INSTANCE: u8 = 0x81;
    pub const END_OF_MIB_VIEW: u8 = 0x82;
    pub const GET: u8 = 0xA0;
    pub const GET_NEXT: u8 = 0xA1;
    pub const RESPONSE: u8 = 0xA2;
    pub const SET: u8 = 0xA3;
    pub const GET_BULK: u8 = 0xA5;
    pub const INFORM: u8 = 0xA6;
    pub const TRAP_V2: u8 = 0xA7;
    pub const REPORT: u8 = 0xA8;
}

/// SNMP limits OIDs to 128 sub-identifiers (RFC 2578 §3.5).
pub const MAX_OID_ARCS: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BerError {
    #[error("truncated at byte {at}")]
    Truncated { at: usize },
    #[error("unexpected tag 0x{found:02x} at byte {at}")]
    UnexpectedTag { found: u8, at: usize },
    #[error("unsupported length form at byte {at}")]
    BadLength { at: usize },
    #[error("integer of {len} bytes does not fit")]
    IntegerTooLong { len: usize },
    #[error("malformed object identifier")]
    BadOid,
    #[error("{extra} bytes after the message")]
    TrailingBytes { extra: usize },
}

/// One TLV: its tag and contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub contents: &'a [u8],
}

/// A cursor over BER bytes. `at` counts from the start of the packet, for error messages.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.bytes
    }

    /// Where the next TLV starts, counted from the start of the packet.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// The next TLV, any tag (single-byte tags only, definite lengths only).
    pub fn any(&mut self) -> Result<Tlv<'a>, BerError> {
        let start = self.at;
        let truncated = BerError::Truncated { at: start };
        let (&tag, rest) = self.bytes.split_first().ok_or(truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(BerError::UnexpectedTag { found: tag, at: start });
        }
        let (&first, mut rest) = rest.split_first().ok_or(truncated)?;
        let mut header = 2;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return Err(BerError::BadLength { at: start + 1 });
            }
            let len = rest[..count].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            rest = &rest[count..];
            header += count;
            len
        };
        if rest.len() < len {
            return Err(truncated);
        }
        let (contents, rest) = rest.split_at(len);
        self.bytes = rest;
        self.at = start + header + len;
        Ok(Tlv { tag, contents })
    }

    /// The next TLV, which must carry `expected`.
    pub fn expect(&mut self, expected: u8) -> Result<Tlv<'a>, BerError> {
        let at = self.at;
        let tlv = self.any()?;
        if tlv.tag != expected {
            return Err(BerError::UnexpectedTag { found: tlv.tag, at });
        }
        Ok(tlv)
    }

    /// A reader over the contents of the next TLV tagged `expected`.
    pub fn enter(&mut self, expected: u8) -> Result<Reader<'a>, BerError> {
        let before = self.at;
        let tlv = self.expect(expected)?;
        let header = self.at - before - tlv.contents.len();
        Ok(Reader { bytes: tlv.contents, at: before + header })
    }

    pub fn integer(&mut self) -> Result<i64, BerError> {
        decode_integer(self.expect(tag::INTEGER)?.contents)
    }

    /// The next varbind if it is in the short form every counter walk's varbinds take (each
    /// length a single byte, the value filling the rest of its SEQUENCE exactly), read with
    /// one bounds check; `None`, the reader untouched, for anything else, which
    /// [`Iterator::next`] then reads (or refuses) as always. A walk's reply holds hundreds of
    /// these: the general reader checks each TLV's tag and length on its own.
    #[inline]
    pub fn next_short_varbind(&mut self) -> Option<(&'a [u8], Tlv<'a>)> {
        let &[tag::SEQUENCE, len, tag::OID, oid_len, ref rest @ ..] = self.bytes else { return None };
        if len >= 0x80 || oid_len >= 0x80 {
            return None;
        }
        let body = rest.get(..usize::from(len).checked_sub(2)?)?;
        let (oid, value) = body.split_at_checked(usize::from(oid_len))?;
        let &[value_tag, value_len, ref contents @ ..] = value else { return None };
        if value_tag & 0x1f == 0x1f || value_len >= 0x80 || contents.len() != usize::from(value_len) {
            return None;
        }
        self.bytes = &rest[body.len()..];
        self.at += 2 + body.len() + 2;
        Some((oid, Tlv { tag: value_tag, contents }))
    }
}

/// A two's-complement INTEGER of 1 to 8 bytes.
pub fn decode_integer(contents: &[u8]) -> Result<i64, BerError> {
    if contents.is_empty() || contents.len() > 8 {
        return Err(BerError::IntegerTooLong { len: contents.len() });
    }
    let sign = if contents[0] & 0x80 != 0 { -1i64 } else { 0 };
    Ok(contents.iter().fold(sign, |acc, &b| (acc << 8) | i64::from(b)))
}

/// An unsigned value (Counter32, Gauge32, TimeTicks, Counter64): up to 8 bytes, or 9 with a
/// leading zero.
pub fn decode_unsigned(contents: &[u8]) -> Result<u64, BerError> {
    let digits = match contents {
        [0, rest @ ..] if rest.len() == 8 => rest,
        _ if !contents.is_empty() && contents.len() <= 8 => contents,
        _ => return Err(BerError::IntegerTooLong { len: contents.len() }),
    };
    Ok(digits.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Decodes OID contents into `out` (cleared first).
pub fn decode_oid(contents: &[u8], out: &mut Vec<u32>) -> Result<(), BerError> {
    out.clear();
    let mut value: u64 = 0;
    let mut fresh = true;
    for &b in contents {
        if fresh && b == 0x80 {
            return Err(BerError::BadOid); // non-minimal sub-identifier
        }
        value = (value << 7) | u64::from(b & 0x7f);
        fresh = false;
        if value > u64::from(u32::MAX) + 80 {
            return Err(BerError::BadOid);
        }
        if b & 0x80 == 0 {
            if out.is_empty() {
                let first = (value / 40).min(2);
                out.push(first as u32);
                out.push(u32::try_from(value - first * 40).map_err(|_| BerError::BadOid)?);
            } else {
                out.push(u32::try_from(value).map_err(|_| BerError::BadOid)?);
            }
            if out.len() > MAX_OID_ARCS {
                return Err(BerError::BadOid);
            }
            value = 0;
            fresh = true;
        }
    }
    if !fresh || out.is_empty() {
        return Err(BerError::BadOid);
    }
    Ok(())
}

/// Decodes contents that hold exactly one sub-identifier (e.g. what follows a column's OID
/// in a row's OID); `None` if they hold none, several, or one that does not fit in 32 bits.
pub fn decode_single_arc(contents: &[u8]) -> Option<u32> {
    let (last, init) = contents.split_last()?;
    if last & 0x80 != 0 || init.iter().any(|b| b & 0x80 == 0) || init.first() == Some(&0x80) || contents.len() > 5 {
        return None;
    }
    u32::try_from(contents.iter().fold(0u64, |acc, &b| (acc << 7) | u64::from(b & 0x7f))).ok()
}

/// The parts of an SNMP message this agent reads; varbinds are parsed lazily.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub version: i64,
    pub community: &'a [u8],
    pub pdu_type: u8,
    pub request_id: i64,
    /// error-status, or non-repeaters in a GETBULK.
    pub field_a: i64,
    /// error-index, or max-repetitions in a GETBULK.
    pub field_b: i64,
    pub varbinds: Reader<'a>,
}

impl<'a> Message<'a> {
    /// The header of a Response to this message, without errors.
    pub fn response_header(&self) -> Header<'a> {
        Header {
            version: self.version,
            community: self.community,
            pdu_type: tag::RESPONSE,
            request_id: self.request_id,
            field_a: 0,
            field_b: 0,
        }
    }
}

pub fn parse_message(packet: &[u8]) -> Result<Message<'_>, BerError> {
    let mut outer = Reader::new(packet);
    let mut message = outer.enter(tag::SEQUENCE)?;
    if !outer.is_empty() {
        return Err(BerError::TrailingBytes { extra: outer.bytes.len() });
    }
    let version = message.integer()?;
    let community = message.expect(tag::OCTET_STRING)?.contents;
    let Pdu { pdu_type, request_id, field_a, field_b, varbinds } = parse_pdu(&mut message)?;
    Ok(Message { version, community, pdu_type, request_id, field_a, field_b, varbinds })
}

/// A PDU of the GET / Response family (any context-class constructed tag); varbinds are read
/// lazily.
#[derive(Debug, Clone, Copy)]
pub struct Pdu<'a> {
    pub pdu_type: u8,
    pub request_id: i64,
    /// error-status, or non-repeaters in a GETBULK.
    pub field_a: i64,
    /// error-index, or max-repetitions in a GETBULK.
    pub field_b: i64,
    pub varbinds: Reader<'a>,
}

/// Reads the next PDU from `reader`.
pub fn parse_pdu<'a>(reader: &mut Reader<'a>) -> Result<Pdu<'a>, BerError> {
    let pdu_at = reader.at;
    let pdu_tlv = reader.clone().any()?;
    if pdu_tlv.tag & 0xe0 != 0xa0 {
        return Err(BerError::UnexpectedTag { found: pdu_tlv.tag, at: pdu_at });
    }
    let mut pdu = reader.enter(pdu_tlv.tag)?;
    let request_id = pdu.integer()?;
    let field_a = pdu.integer()?;
    let field_b = pdu.integer()?;
    let varbinds = pdu.enter(tag::SEQUENCE)?;
    Ok(Pdu { pdu_type: pdu_tlv.tag, request_id, field_a, field_b, varbinds })
}

impl<'a> Iterator for Reader<'a> {
    /// One varbind: the OID's contents and the value.
    type Item = Result<(&'a [u8], Tlv<'a>), BerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.is_empty() {
            return None;
        }
        let item = self.enter(tag::SEQUENCE).and_then(|mut vb| {
            let oid = vb.expect(tag::OID)?.contents;
            let value = vb.any()?;
            Ok((oid, value))
        });
        if item.is_err() {
            self.bytes = &[]; // stop after the first error
        }
        Some(item)
    }
}

// ---- writing ----

/// Bytes taken by the length of `len` contents.
pub fn length_len(len: usize) -> usize {
    match len {
        0..=0x7f => 1,
        0x80..=0xff => 2,
        0x100..=0xffff => 3,
        _ => 4,
    }
}

/// Bytes taken by a whole TLV with `len` contents.
pub fn tlv_len(len: usize) -> usize {
    1 + length_len(len) + len
}

pub fn write_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xffff => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        _ => out.extend_from_slice(&[0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]),
    }
}

/// The minimal two's-complement contents of a signed integer: (buffer, first used byte).
fn signed_digits(value: i64) -> ([u8; 8], usize) {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    (bytes, start)
}

pub fn write_integer(out: &mut Vec<u8>, tag: u8, value: i64) {
    let (bytes, start) = signed_digits(value);
    write_header(out, tag, 8 - start);
    out.extend_from_slice(&bytes[start..]);
}

pub fn integer_tlv_len(value: i64) -> usize {
    2 + 8 - signed_digits(value).1
}

/// An unsigned application value (Counter32, Gauge32, TimeTicks, Counter64).
pub fn write_unsigned(out: &mut Vec<u8>, tag: u8, value: u64) {
    let bytes = value.to_be_bytes();
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(7);
    if bytes[start] & 0x80 != 0 {
        write_header(out, tag, 9 - start);
        out.push(0);
    } else {
        write_header(out, tag, 8 - start);
    }
    out.extend_from_slice(&bytes[start..]);
}

pub fn write_bytes(out: &mut Vec<u8>, tag: u8, contents: &[u8]) {
    write_header(out, tag, contents.len());
    out.extend_from_slice(contents);
}

/// Appends the contents (no tag or length) of the OID `arcs`; at least two arcs, first 0 to 2.
pub fn encode_oid_contents(arcs: &[u32], out: &mut Vec<u8>) {
    for value in sub_identifiers(arcs) {
        match value {
            // Most arcs (all of IF-MIB's but the interfaces' indexes) are one byte.
            0..0x80 => out.push(value as u8),
            _ => push_base128(out, value),
        }
    }
}

/// `a == b`, for the short slices of an OID's encoding: 8 to 16 bytes (a column's, in IF-MIB)
/// are compared as two words that may overlap, not by a call to `memcmp`, which costs more
/// than the comparison at these lengths (once per varbind of a walk).
#[inline]
pub fn same_short_bytes(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    if !(8..=16).contains(&len) {
        return a == b;
    }
    let word = |bytes: &[u8], at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_ne_bytes(word)
    };
    word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8)
}

/// Whether `contents` (an OID's encoding) is that of `arcs`; compared as it is encoded, with no
/// buffer.
pub fn oid_contents_equal(contents: &[u8], arcs: &[u32]) -> bool {
    let mut left = contents;
    for value in sub_identifiers(arcs) {
        let (bytes, len) = base128(value);
        match left.strip_prefix(&bytes[..len]) {
            Some(rest) => left = rest,
            None => return false,
        }
    }
    left.is_empty()
}

/// The sub-identifiers an OID's arcs are encoded as: the first two arcs make one.
fn sub_identifiers(arcs: &[u32]) -> impl Iterator<Item = u64> + '_ {
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (u64::from(*a) * 40 + u64::from(*b), rest),
        [a] => (u64::from(*a) * 40, &[][..]),
        [] => (0, &[][..]),
    };
    std::iter::once(first).chain(rest.iter().map(|&arc| u64::from(arc)))
}

/// Appends one sub-identifier in base 128.
pub fn push_base128(out: &mut Vec<u8>, value: u64) {
    let (bytes, len) = base128(value);
    out.extend_from_slice(&bytes[..len]);
}

/// One sub-identifier in base 128: its bytes, and how many there are.
fn base128(value: u64) -> ([u8; 10], usize) {
    let groups = (1..10).take_while(|i| value >> (7 * i) != 0).count();
    let mut bytes = [0u8; 10];
    for (at, i) in (1..=groups).rev().enumerate() {
        bytes[at] = 0x80 | ((value >> (7 * i)) & 0x7f) as u8;
    }
    bytes[groups] = (value & 0x7f) as u8;
    (bytes, groups + 1)
}

/// The fixed fields of a message, written around a ready varbind list by [`write_message`].
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    pub version: i64,
    pub community: &'a [u8],
    pub pdu_type: u8,
    pub request_id: i64,
    pub field_a: i64,
    pub field_b: i64,
}

impl Header<'_> {
    fn pdu_contents_len(&self, varbinds_len: usize) -> usize {
        integer_tlv_len(self.request_id)
            + integer_tlv_len(self.field_a)
            + integer_tlv_len(self.field_b)
            + tlv_len(varbinds_len)
    }

    fn message_contents_len(&self, varbinds_len: usize) -> usize {
        integer_tlv_len(self.version) + tlv_len(self.community.len()) + tlv_len(self.pdu_contents_len(varbinds_len))
    }

    /// Size of the PDU alone (tag, length and contents) around `varbinds_len` bytes of varbinds.
    pub fn pdu_len(&self, varbinds_len: usize) -> usize {
        tlv_len(self.pdu_contents_len(varbinds_len))
    }

    /// Appends the PDU alone (no version, no community), as an SNMPv3 scoped PDU holds it.
    pub fn write_pdu(&self, out: &mut Vec<u8>, varbinds: &[u8]) {
        write_header(out, self.pdu_type, self.pdu_contents_len(varbinds.len()));
        write_integer(out, tag::INTEGER, self.request_id);
        write_integer(out, tag::INTEGER, self.field_a);
        write_integer(out, tag::INTEGER, self.field_b);
        write_bytes(out, tag::SEQUENCE, varbinds);
    }

    /// Size of the whole message around `varbinds_len` bytes of encoded varbinds.
    pub fn message_len(&self, varbinds_len: usize) -> usize {
        tlv_len(self.message_contents_len(varbinds_len))
    }
}

/// Writes a whole message into `out` (cleared first) around the encoded `varbinds`.
pub fn write_message(out: &mut Vec<u8>, header: &Header<'_>, varbinds: &[u8]) {
    out.clear();
    write_header(out, tag::SEQUENCE, header.message_contents_len(varbinds.len()));
    write_integer(out, tag::INTEGER, header.version);
    write_bytes(out, tag::OCTET_STRING, header.community);
    header.write_pdu(out, varbinds);
}

/// Appends one varbind: `oid_tlv` is an encoded OID TLV, `value_tlv` an encoded value TLV.
pub fn write_varbind(out: &mut Vec<u8>, oid_tlv: &[u8], value_tlv: &[u8]) {
    write_header(out, tag::SEQUENCE, oid_tlv.len() + value_tlv.len());
    out.extend_from_slice(oid_tlv);
    out.extend_from_slice(value_tlv);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`same_short_bytes`] answers what `==` does, at every length and wherever they differ.
    #[test]
    fn short_bytes_compare_as_equality_does() {
        for len in 0..=20usize {
            let a: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            assert!(same_short_bytes(&a, &a.clone()), "{len} bytes");
            if let Some(shorter) = len.checked_sub(1) {
                assert!(!same_short_bytes(&a, &a[..shorter]), "{len} bytes and one fewer");
            }
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x80;
                assert!(!same_short_bytes(&a, &b), "{len} bytes, differing at {at}");
            }
        }
    }

    fn oid_tlv(arcs: &[u32]) -> Vec<u8> {
        let mut contents = Vec::new();
        encode_oid_contents(arcs, &mut contents);
        let mut out = Vec::new();
        write_bytes(&mut out, tag::OID, &contents);
        out
    }

    #[test]
    fn integers_round_trip_in_minimal_form() {
        for v in [0i64, 1, 127, 128, 255, 256, -1, -128, -129, i32::MAX.into(), i32::MIN.into(), i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_integer(&mut out, tag::INTEGER, v);
            assert_eq!(out.len(), integer_tlv_len(v));
            let tlv = Reader::new(&out).expect(tag::INTEGER).unwrap();
            assert_eq!(decode_integer(tlv.contents).unwrap(), v, "{v}");
        }
        let mut out = Vec::new();
        write_integer(&mut out, tag::INTEGER, 128);
        assert_eq!(out, [2, 2, 0, 128]);
    }

    #[test]
    fn unsigned_values_round_trip() {
        for v in [0u64, 127, 128, 0xffff_ffff, 1 << 32, u64::MAX, u64::MAX - 4] {
            let mut out = Vec::new();
            write_unsigned(&mut out, tag::COUNTER64, v);
            let tlv = Reader::new(&out).expect(tag::COUNTER64).unwrap();
            assert_eq!(decode_unsigned(tlv.contents).unwrap(), v);
        }
        let mut out = Vec::new();
        write_unsigned(&mut out, tag::COUNTER32, 0xffff_ffff);
        assert_eq!(out, [0x41, 5, 0, 0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn oids_round_trip() {
        let cases: [&[u32]; 4] =
            [&[1, 3, 6, 1, 2, 1, 1, 3, 0], &[1, 3, 6, 1, 4, 1, 8072, 3, 2, 10], &[0, 0], &[2, 999, u32::MAX, 128, 127]];
        for arcs in cases {
            let tlv = oid_tlv(arcs);
            let mut decoded = Vec::new();
            let contents = Reader::new(&tlv).expect(tag::OID).unwrap().contents;
            decode_oid(contents, &mut decoded).unwrap();
            assert_eq!(decoded, arcs);
            assert!(oid_contents_equal(contents, arcs));
            assert!(!oid_contents_equal(&contents[..contents.len() - 1], arcs), "a prefix is another OID");
            assert!(arcs.len() < 3 || !oid_contents_equal(contents, &arcs[..arcs.len() - 1]), "so is a longer one");
        }
        assert_eq!(oid_tlv(&[1, 3, 6, 1, 2, 1, 1, 3, 0]), [6, 8, 0x2b, 6, 1, 2, 1, 1, 3, 0]);
        let mut out = Vec::new();
        assert_eq!(decode_oid(&[0x2b, 0x86], &mut out), Err(BerError::BadOid), "unfinished arc");
        assert_eq!(decode_oid(&[0x2b, 0x80, 0x01], &mut out), Err(BerError::BadOid), "non-minimal arc");
        assert_eq!(decode_oid(&[0x2b, 0x90, 0x80, 0x80, 0x80, 0x80, 0], &mut out), Err(BerError::BadOid));
    }

    #[test]
    fn single_arcs_decode_and_anything_else_is_refused() {
        for arc in [0u32, 1, 127, 128, 16_383, 16_384, u32::MAX] {
            let mut contents = Vec::new();
            push_base128(&mut contents, u64::from(arc));
            assert_eq!(decode_single_arc(&contents), Some(arc), "{arc}");
        }
        for bad in
            [&[][..], &[1, 2], &[0x81], &[0x80, 1], &[0x90, 0x80, 0x80, 0x80, 0], &[0x81, 0x80, 0x80, 0x80, 0x80, 0]]
        {
            assert_eq!(decode_single_arc(bad), None, "{bad:?}");
        }
    }

    /// Varbinds of every form: the short reader reads those it takes as the general one does,
    /// leaves the others (long lengths, a SEQUENCE with bytes after its value, a truncated or
    /// malformed varbind) to it, and both end in the same place.
    #[test]
    fn short_varbinds_read_as_the_general_reader_reads_them() {
        let oid = oid_tlv(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 200]);
        let mut good = Vec::new();
        write_varbind(&mut good, &oid, &[tag::COUNTER64, 2, 1, 2]);
        write_varbind(&mut good, &oid, &[tag::END_OF_MIB_VIEW, 0]);
        write_varbind(&mut good, &oid, &[tag::OCTET_STRING, 0x81, 1, b'x']);
        let mut long_text = vec![tag::OCTET_STRING, 0x81, 200];
        long_text.extend_from_slice(&[b'y'; 200]);
        write_varbind(&mut good, &oid, &long_text);
        let mut trailing = oid.clone();
        trailing.extend_from_slice(&[tag::INTEGER, 1, 7, tag::NULL, 0]);
        write_bytes(&mut good, tag::SEQUENCE, &trailing);
        write_varbind(&mut good, &oid, &[tag::INTEGER, 1, 0xff]);
        let mut cases: Vec<Vec<u8>> = (0..=good.len()).map(|cut| good[..cut].to_vec()).collect();
        for bad in [&[0x30, 4, 6, 0, 0x1f, 0][..], &[0x30, 4, 6, 1, 0x2b, 5], &[0x30, 3, 5, 0, 5], &[0x31, 2, 5, 0]] {
            let mut case = good[..oid.len() + 6].to_vec();
            case.extend_from_slice(bad);
            cases.push(case);
        }
        for bytes in cases {
            let general: Vec<_> = Reader::new(&bytes).collect();
            let (mut reader, mut both) = (Reader::new(&bytes), Vec::new());
            loop {
                match reader.next_short_varbind() {
                    Some(varbind) => {
                        assert_eq!(reader.offset(), bytes.len() - reader.remaining().len());
                        both.push(Ok(varbind));
                    }
                    None => match reader.next() {
                        Some(varbind) => both.push(varbind),
                        None => break,
                    },
                }
            }
            assert_eq!(both, general, "{bytes:?}");
        }
    }

    #[test]
    fn long_lengths_round_trip() {
        for len in [0usize, 127, 128, 255, 256, 65_535, 65_536] {
            let contents = vec![7u8; len];
            let mut out = Vec::new();
            write_bytes(&mut out, tag::OCTET_STRING, &contents);
            assert_eq!(out.len(), tlv_len(len));
            assert_eq!(Reader::new(&out).any().unwrap().contents.len(), len);
        }
    }

    #[test]
    fn a_message_round_trips() {
        let mut varbinds = Vec::new();
        write_varbind(&mut varbinds, &oid_tlv(&[1, 3, 6, 1, 2, 1, 1, 5, 0]), &[tag::NULL, 0]);
        write_varbind(&mut varbinds, &oid_tlv(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 10]), &[tag::NULL, 0]);
        let header = Header {
            version: 1,
            community: b"public",
            pdu_type: tag::GET_BULK,
            request_id: 0x7fff_fff0,
            field_a: 1,
            field_b: 25,
        };
        let mut packet = Vec::new();
        write_message(&mut packet, &header, &varbinds);
        assert_eq!(packet.len(), header.message_len(varbinds.len()));
        let message = parse_message(&packet).unwrap();
        assert_eq!(
            (message.version, message.community, message.pdu_type, message.request_id),
            (1, &b"public"[..], tag::GET_BULK, 0x7fff_fff0)
        );
        assert_eq!((message.field_a, message.field_b), (1, 25));
        let oids: Vec<Vec<u32>> = message
            .varbinds
            .map(|vb| {
                let mut arcs = Vec::new();
                decode_oid(vb.unwrap().0, &mut arcs).unwrap();
                arcs
            })
            .collect();
        assert_eq!(oids, vec![vec![1, 3, 6, 1, 2, 1, 1, 5, 0], vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 10]]);
        for cut in 0..packet.len() {
            assert!(parse_message(&packet[..cut]).is_err(), "a packet cut at {cut} must not parse");
        }
    }
}
