//! The SNMPv3 message (RFC 3412 §6) with USM security parameters (RFC 3414 §2.4), both ways:
//! msgGlobalData, msgSecurityParameters, and msgData as a plaintext scoped PDU or an encrypted
//! one. Parsing borrows the datagram and never panics; writing reports where the
//! authentication parameters sit so that the caller can sign the finished message.

use crate::snmp::ber::{self, tag, BerError, Header, Pdu, Reader};

/// msgVersion of SNMPv3 and msgSecurityModel of USM.
pub const VERSION_3: i64 = 3;
pub const SECURITY_MODEL_USM: i64 = 3;
/// msgFlags bits.
pub const FLAG_AUTH: u8 = 0x01;
pub const FLAG_PRIV: u8 = 0x02;
pub const FLAG_REPORTABLE: u8 = 0x04;
/// The largest message we accept, announced as msgMaxSize.
pub const MAX_MESSAGE_SIZE: i64 = 65_507;

/// USM's part of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecurityParameters<'a> {
    pub engine_id: &'a [u8],
    pub boots: u32,
    pub time: u32,
    pub user: &'a [u8],
    pub auth: &'a [u8],
    pub privacy: &'a [u8],
}

/// A parsed SNMPv3 message.
#[derive(Debug, Clone, Copy)]
pub struct V3Message<'a> {
    pub msg_id: i64,
    pub max_size: i64,
    pub flags: u8,
    pub usm: SecurityParameters<'a>,
    /// Where msgAuthenticationParameters' contents start in the datagram.
    pub auth_at: usize,
    /// The scoped PDU's whole TLV, or the encryptedPDU's contents when `flags` has [`FLAG_PRIV`].
    pub data: &'a [u8],
}

impl V3Message<'_> {
    pub fn is_encrypted(&self) -> bool {
        self.flags & FLAG_PRIV != 0
    }

    pub fn is_authenticated(&self) -> bool {
        self.flags & FLAG_AUTH != 0
    }
}

/// Whether `packet` announces SNMPv3 (its version field is 3), without parsing further.
pub fn is_v3(packet: &[u8]) -> bool {
    let mut outer = Reader::new(packet);
    outer.enter(tag::SEQUENCE).and_then(|mut m| m.integer()).is_ok_and(|v| v == VERSION_3)
}

fn unsigned_31(value: i64) -> Result<u32, BerError> {
    u32::try_from(value).ok().filter(|v| *v <= i32::MAX as u32).ok_or(BerError::IntegerTooLong { len: 8 })
}

pub fn parse(packet: &[u8]) -> Result<V3Message<'_>, BerError> {
    let mut outer = Reader::new(packet);
    let mut message = outer.enter(tag::SEQUENCE)?;
    if !outer.is_empty() {
        return Err(BerError::TrailingBytes { extra: packet.len() - outer.offset() });
    }
    let version_at = message.offset();
    if message.integer()? != VERSION_3 {
        return Err(BerError::UnexpectedTag { found: tag::INTEGER, at: version_at });
    }
    let mut global = message.enter(tag::SEQUENCE)?;
    let msg_id = global.integer()?;
    let max_size = global.integer()?;
    let flags_at = global.offset();
    let flags = match global.expect(tag::OCTET_STRING)?.contents {
        [flags] => *flags,
        _ => return Err(BerError::BadLength { at: flags_at }),
    };
    let model_at = global.offset();
    if global.integer()? != SECURITY_MODEL_USM {
        return Err(BerError::UnexpectedTag { found: tag::INTEGER, at: model_at });
    }
    let security = message.expect(tag::OCTET_STRING)?.contents;
    let base = packet.as_ptr() as usize;
    let mut usm = Reader::new(security).enter(tag::SEQUENCE)?;
    let engine_id = usm.expect(tag::OCTET_STRING)?.contents;
    let boots = unsigned_31(usm.integer()?)?;
    let time = unsigned_31(usm.integer()?)?;
    let user = usm.expect(tag::OCTET_STRING)?.contents;
    let auth = usm.expect(tag::OCTET_STRING)?.contents;
    let privacy = usm.expect(tag::OCTET_STRING)?.contents;
    let auth_at = auth.as_ptr() as usize - base;
    let data = if flags & FLAG_PRIV != 0 {
        message.expect(tag::OCTET_STRING)?.contents
    } else {
        let start = message.offset();
        message.expect(tag::SEQUENCE)?;
        packet.get(start..message.offset()).ok_or(BerError::Truncated { at: start })?
    };
    if !message.is_empty() {
        return Err(BerError::TrailingBytes { extra: packet.len() - message.offset() });
    }
    let usm = SecurityParameters { engine_id, boots, time, user, auth, privacy };
    Ok(V3Message { msg_id, max_size, flags, usm, auth_at, data })
}

/// A scoped PDU: the context and the PDU.
#[derive(Debug, Clone, Copy)]
pub struct ScopedPdu<'a> {
    pub context_engine_id: &'a [u8],
    pub context_name: &'a [u8],
    pub pdu: Pdu<'a>,
}

/// Parses a scoped PDU; bytes after it (DES padding) are ignored.
pub fn parse_scoped_pdu(bytes: &[u8]) -> Result<ScopedPdu<'_>, BerError> {
    let mut scoped = Reader::new(bytes).enter(tag::SEQUENCE)?;
    let context_engine_id = scoped.expect(tag::OCTET_STRING)?.contents;
    let context_name = scoped.expect(tag::OCTET_STRING)?.contents;
    let pdu = ber::parse_pdu(&mut scoped)?;
    Ok(ScopedPdu { context_engine_id, context_name, pdu })
}

/// Appends a scoped PDU (a whole TLV) around `header`'s PDU fields and encoded `varbinds`.
pub fn write_scoped_pdu(
    out: &mut Vec<u8>,
    context_engine_id: &[u8],
    context_name: &[u8],
    header: &Header<'_>,
    varbinds: &[u8],
) {
    let len = ber::tlv_len(context_engine_id.len()) + ber::tlv_len(context_name.len()) + header.pdu_len(varbinds.len());
    ber::write_header(out, tag::SEQUENCE, len);
    ber::write_bytes(out, tag::OCTET_STRING, context_engine_id);
    ber::write_bytes(out, tag::OCTET_STRING, context_name);
    header.write_pdu(out, varbinds);
}

/// What the header of an outgoing message says; the authentication parameters are written
/// as `auth_len` zeros, to be signed in place.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub msg_id: i64,
    pub flags: u8,
    pub engine_id: &'a [u8],
    pub boots: u32,
    pub time: u32,
    pub user: &'a [u8],
    pub auth_len: usize,
    pub privacy: &'a [u8],
}

/// Writes a whole message into `out` (cleared first) around `data`: a scoped PDU TLV, or the
/// encrypted bytes of one when `flags` has [`FLAG_PRIV`]. Answers where the authentication
/// parameters start.
pub fn write(out: &mut Vec<u8>, m: &Outgoing<'_>, data: &[u8]) -> usize {
    let global_len = ber::integer_tlv_len(m.msg_id)
        + ber::integer_tlv_len(MAX_MESSAGE_SIZE)
        + ber::tlv_len(1)
        + ber::integer_tlv_len(SECURITY_MODEL_USM);
    let usm_len = ber::tlv_len(m.engine_id.len())
        + ber::integer_tlv_len(i64::from(m.boots))
        + ber::integer_tlv_len(i64::from(m.time))
        + ber::tlv_len(m.user.len())
        + ber::tlv_len(m.auth_len)
        + ber::tlv_len(m.privacy.len());
    let data_len = if m.flags & FLAG_PRIV != 0 { ber::tlv_len(data.len()) } else { data.len() };
    let total =
        ber::integer_tlv_len(VERSION_3) + ber::tlv_len(global_len) + ber::tlv_len(ber::tlv_len(usm_len)) + data_len;
    out.clear();
    ber::write_header(out, tag::SEQUENCE, total);
    ber::write_integer(out, tag::INTEGER, VERSION_3);
    ber::write_header(out, tag::SEQUENCE, global_len);
    ber::write_integer(out, tag::INTEGER, m.msg_id);
    ber::write_integer(out, tag::INTEGER, MAX_MESSAGE_SIZE);
    ber::write_bytes(out, tag::OCTET_STRING, &[m.flags]);
    ber::write_integer(out, tag::INTEGER, SECURITY_MODEL_USM);
    ber::write_header(out, tag::OCTET_STRING, ber::tlv_len(usm_len));
    ber::write_header(out, tag::SEQUENCE, usm_len);
    ber::write_bytes(out, tag::OCTET_STRING, m.engine_id);
    ber::write_integer(out, tag::INTEGER, i64::from(m.boots));
    ber::write_integer(out, tag::INTEGER, i64::from(m.time));
    ber::write_bytes(out, tag::OCTET_STRING, m.user);
    ber::write_header(out, tag::OCTET_STRING, m.auth_len);
    let auth_at = out.len();
    out.resize(auth_at + m.auth_len, 0);
    ber::write_bytes(out, tag::OCTET_STRING, m.privacy);
    if m.flags & FLAG_PRIV != 0 {
        ber::write_bytes(out, tag::OCTET_STRING, data);
    } else {
        out.extend_from_slice(data);
    }
    auth_at
}

/// The OID of a Report's first varbind (a usmStats or snmp* counter), if it has one.
pub fn report_oid(pdu: &Pdu<'_>) -> Option<Vec<u32>> {
    let (oid, _) = pdu.varbinds.clone().next()?.ok()?;
    let mut arcs = Vec::new();
    ber::decode_oid(oid, &mut arcs).ok()?;
    Some(arcs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get_request(varbinds: &[u8]) -> Vec<u8> {
        let header = Header { version: 3, community: b"", pdu_type: tag::GET, request_id: 77, field_a: 0, field_b: 0 };
        let mut scoped = Vec::new();
        write_scoped_pdu(&mut scoped, b"engine", b"ctx", &header, varbinds);
        scoped
    }

    #[test]
    fn a_plain_message_round_trips() {
        let mut varbinds = Vec::new();
        ber::write_varbind(&mut varbinds, &[6, 3, 0x2b, 6, 1], &[tag::NULL, 0]);
        let scoped = get_request(&varbinds);
        let outgoing = Outgoing {
            msg_id: 12_345,
            flags: FLAG_AUTH | FLAG_REPORTABLE,
            engine_id: b"engine",
            boots: 3,
            time: 1_000_000,
            user: b"alice",
            auth_len: 12,
            privacy: b"",
        };
        let mut packet = Vec::new();
        let auth_at = write(&mut packet, &outgoing, &scoped);
        let message = parse(&packet).unwrap();
        assert_eq!((message.msg_id, message.flags, message.auth_at), (12_345, 5, auth_at));
        assert_eq!(message.max_size, MAX_MESSAGE_SIZE);
        let expected = SecurityParameters {
            engine_id: b"engine",
            boots: 3,
            time: 1_000_000,
            user: b"alice",
            auth: &[0; 12],
            privacy: b"",
        };
        assert_eq!(message.usm, expected);
        let scoped = parse_scoped_pdu(message.data).unwrap();
        assert_eq!((scoped.context_engine_id, scoped.context_name), (&b"engine"[..], &b"ctx"[..]));
        assert_eq!((scoped.pdu.pdu_type, scoped.pdu.request_id), (tag::GET, 77));
        assert_eq!(report_oid(&scoped.pdu), Some(vec![1, 3, 6, 1]));
        for cut in 0..packet.len() {
            assert!(parse(&packet[..cut]).is_err(), "a message cut at {cut} must not parse");
        }
    }

    #[test]
    fn an_encrypted_message_carries_its_bytes_and_padding_is_ignored() {
        let outgoing = Outgoing {
            msg_id: 1,
            flags: 7,
            engine_id: b"e",
            boots: 0,
            time: 0,
            user: b"u",
            auth_len: 24,
            privacy: &[9; 8],
        };
        let mut packet = Vec::new();
        write(&mut packet, &outgoing, &[1, 2, 3]);
        let message = parse(&packet).unwrap();
        assert!(message.is_encrypted() && message.is_authenticated());
        assert_eq!((message.data, message.usm.privacy), (&[1u8, 2, 3][..], &[9u8; 8][..]));
        let mut padded = get_request(&[]);
        padded.extend_from_slice(&[0; 5]);
        assert_eq!(parse_scoped_pdu(&padded).unwrap().pdu.request_id, 77);
    }

    #[test]
    fn other_versions_and_models_are_refused() {
        assert!(!is_v3(&[0x30, 3, 2, 1, 1]));
        assert!(is_v3(&[0x30, 3, 2, 1, 3]));
        assert!(parse(&[0x30, 3, 2, 1, 1]).is_err());
        assert!(parse(&[]).is_err());
    }
}
