//! Turns one request datagram into one response datagram for an agent: GET, GETNEXT and
//! GETBULK with RFC 3416 semantics (noSuchObject / noSuchInstance for GET, endOfMibView past
//! the end of the view, GETBULK repetitions cut to fit the agent's `max_reply_bytes`); for an SNMPv1
//! agent GET and GETNEXT with v1's noSuchName instead of exceptions; SNMPv3 messages go
//! through the agent's [`super::authority`] and come back here as PDUs. Pure: no sockets, no
//! clock reads (the caller passes the moment), buffers reused from one request to the next.

use super::authority::{self, V3Scratch};
use super::model::{AgentModel, AgentVersion, Moment};
use crate::snmp::ber::{self, tag, BerError, Header, Pdu};
use crate::snmp::usm::message as v3;

/// Replies stay under this size unless the agent says otherwise (`--max-reply-bytes`), as real
/// agents cut GETBULK repetitions to their own limit (net-snmp's and many routers' are of this
/// order; many answer no more than one Ethernet datagram, 1,472 bytes).
pub const MAX_REPLY_BYTES: usize = 8000;
/// The version field of SNMPv1 and SNMPv2c messages.
const VERSION_1: i64 = 0;
const VERSION_2C: i64 = 1;
const TOO_BIG: i64 = 1;
const NO_SUCH_NAME: i64 = 2;

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    Malformed(BerError),
    /// Not the agent's SNMP version.
    Version(i64),
    WrongCommunity,
    /// SNMPv3 refused without a Report (the request was not reportable).
    Refused,
    /// SET, or any PDU an agent does not answer.
    Unsupported(u8),
}

impl From<BerError> for Dropped {
    fn from(e: BerError) -> Self {
        Dropped::Malformed(e)
    }
}

/// Buffers kept between requests so that answering allocates nothing once warm.
#[derive(Default)]
pub struct Scratch {
    arcs: Vec<u32>,
    /// Each requested OID: its range in `arcs` and its raw contents' range in the packet.
    requested: Vec<Requested>,
    oid: Vec<u32>,
    cursors: Vec<Cursor>,
    pub(super) varbinds: Vec<u8>,
    value: Vec<u8>,
    text: String,
    pub(super) v3: V3Scratch,
}

#[derive(Clone, Copy)]
struct Requested {
    arcs: (usize, usize),
    raw: (usize, usize),
}

/// Where a GETBULK repeater stands: the next view index to return, or past the end with the
/// name to repeat in endOfMibView.
#[derive(Clone, Copy)]
enum Cursor {
    Next(usize),
    End { name: Name, sent: bool },
}

#[derive(Clone, Copy)]
enum Name {
    View(usize),
    Requested(usize),
}

/// What was answered, for the agent's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    pub varbinds: usize,
}

/// Answers `packet` into `reply`; `Err` when it must be dropped silently.
pub fn respond(
    model: &AgentModel,
    packet: &[u8],
    at: &Moment,
    scratch: &mut Scratch,
    reply: &mut Vec<u8>,
) -> Result<Answered, Dropped> {
    if v3::is_v3(packet) {
        return match &model.authority {
            Some(authority) => authority::respond(model, authority, packet, at, scratch, reply),
            None => Err(Dropped::Version(v3::VERSION_3)),
        };
    }
    let message = ber::parse_message(packet)?;
    let version = match model.spec.version {
        AgentVersion::V1 => VERSION_1,
        AgentVersion::V2c => VERSION_2C,
        AgentVersion::V3(_) => return Err(Dropped::Version(message.version)),
    };
    if message.version != version {
        return Err(Dropped::Version(message.version));
    }
    if message.community != model.spec.community.as_bytes() {
        return Err(Dropped::WrongCommunity);
    }
    let pdu = Pdu {
        pdu_type: message.pdu_type,
        request_id: message.request_id,
        field_a: message.field_a,
        field_b: message.field_b,
        varbinds: message.varbinds,
    };
    let mut header = message.response_header();
    let answered = answer(model, packet, &pdu, at, scratch, &mut header)?;
    ber::write_message(reply, &header, &scratch.varbinds);
    Ok(answered)
}

/// Answers the request `pdu` (read from `buffer`) into `scratch.varbinds`, and sets the error
/// fields of `header`, whose size the reply must fit with.
pub(super) fn answer(
    model: &AgentModel,
    buffer: &[u8],
    pdu: &Pdu<'_>,
    at: &Moment,
    scratch: &mut Scratch,
    header: &mut Header<'_>,
) -> Result<Answered, Dropped> {
    let v1 = matches!(model.spec.version, AgentVersion::V1);
    if !matches!(pdu.pdu_type, tag::GET | tag::GET_NEXT) && (pdu.pdu_type != tag::GET_BULK || v1) {
        return Err(Dropped::Unsupported(pdu.pdu_type));
    }
    scratch.arcs.clear();
    scratch.requested.clear();
    let base = buffer.as_ptr() as usize;
    for varbind in pdu.varbinds {
        let (raw, _) = varbind?;
        ber::decode_oid(raw, &mut scratch.oid)?;
        let start = scratch.arcs.len();
        scratch.arcs.extend_from_slice(&scratch.oid);
        let raw_start = raw.as_ptr() as usize - base;
        scratch.requested.push(Requested { arcs: (start, scratch.oid.len()), raw: (raw_start, raw.len()) });
    }
    scratch.varbinds.clear();
    let fits = match pdu.pdu_type {
        tag::GET => {
            (0..scratch.requested.len()).for_each(|j| get(model, buffer, at, scratch, j));
            header.message_len(scratch.varbinds.len()) <= model.spec.max_reply_bytes
        }
        tag::GET_NEXT => {
            (0..scratch.requested.len()).for_each(|j| get_next(model, buffer, at, scratch, j));
            header.message_len(scratch.varbinds.len()) <= model.spec.max_reply_bytes
        }
        _ => get_bulk(model, buffer, at, scratch, header, pdu.field_a, pdu.field_b),
    };
    let count = if fits { count_varbinds(&scratch.varbinds) } else { 0 };
    if !fits {
        scratch.varbinds.clear();
        header.field_a = TOO_BIG;
    }
    if v1 {
        if let Some(at) = first_exception(&scratch.varbinds) {
            // SNMPv1 (RFC 1157 §4.1.2): noSuchName, its index, and the request's varbinds.
            (header.field_a, header.field_b) = (NO_SUCH_NAME, at as i64 + 1);
            scratch.varbinds.clear();
            scratch.varbinds.extend_from_slice(pdu.varbinds.remaining());
        }
    }
    Ok(Answered { varbinds: count })
}

/// The place of the first varbind holding an exception (noSuchObject, noSuchInstance,
/// endOfMibView), which SNMPv1 cannot carry.
fn first_exception(varbinds: &[u8]) -> Option<usize> {
    ber::Reader::new(varbinds).position(|varbind| {
        varbind.is_ok_and(|(_, value)| {
            matches!(value.tag, tag::NO_SUCH_OBJECT | tag::NO_SUCH_INSTANCE | tag::END_OF_MIB_VIEW)
        })
    })
}

fn count_varbinds(varbinds: &[u8]) -> usize {
    let mut reader = ber::Reader::new(varbinds);
    std::iter::from_fn(|| reader.any().ok()).count()
}

fn requested_arcs(scratch: &Scratch, j: usize) -> &[u32] {
    let (start, len) = scratch.requested[j].arcs;
    &scratch.arcs[start..start + len]
}

/// Appends a varbind named by `name` with the value in `scratch.value`.
fn push(model: &AgentModel, packet: &[u8], scratch: &mut Scratch, name: Name) {
    let Scratch { varbinds, value, requested, .. } = scratch;
    match name {
        Name::View(i) => ber::write_varbind(varbinds, model.shape.encoded_oid(i), value),
        Name::Requested(j) => {
            let (start, len) = requested[j].raw;
            let raw = &packet[start..start + len];
            ber::write_header(varbinds, tag::SEQUENCE, ber::tlv_len(len) + value.len());
            ber::write_bytes(varbinds, tag::OID, raw);
            varbinds.extend_from_slice(value);
        }
    }
}

fn push_view(model: &AgentModel, packet: &[u8], at: &Moment, scratch: &mut Scratch, i: usize) {
    scratch.value.clear();
    model.write_value(model.shape.object(i), at, &mut scratch.value, &mut scratch.text);
    push(model, packet, scratch, Name::View(i));
}

fn push_exception(model: &AgentModel, packet: &[u8], scratch: &mut Scratch, name: Name, exception: u8) {
    scratch.value.clear();
    scratch.value.extend_from_slice(&[exception, 0]);
    push(model, packet, scratch, name);
}

fn get(model: &AgentModel, packet: &[u8], at: &Moment, scratch: &mut Scratch, j: usize) {
    let oid = requested_arcs(scratch, j);
    match model.shape.find(oid) {
        Some(i) => push_view(model, packet, at, scratch, i),
        None => {
            let exception = if model.shape.object_exists(oid) { tag::NO_SUCH_INSTANCE } else { tag::NO_SUCH_OBJECT };
            push_exception(model, packet, scratch, Name::Requested(j), exception);
        }
    }
}

fn get_next(model: &AgentModel, packet: &[u8], at: &Moment, scratch: &mut Scratch, j: usize) {
    match model.shape.next_after(requested_arcs(scratch, j)) {
        Some(i) => push_view(model, packet, at, scratch, i),
        None => push_exception(model, packet, scratch, Name::Requested(j), tag::END_OF_MIB_VIEW),
    }
}

/// GETBULK: non-repeaters as GETNEXT, then repetitions of the others until max-repetitions,
/// until every repeater is past the end, or until the reply would exceed the agent's limit
/// (cut at the last whole repetition). Answers false when even the non-repeaters do not fit.
fn get_bulk(
    model: &AgentModel,
    packet: &[u8],
    at: &Moment,
    scratch: &mut Scratch,
    header: &Header<'_>,
    non_repeaters: i64,
    max_repetitions: i64,
) -> bool {
    let n = scratch.requested.len();
    let non_repeaters = usize::try_from(non_repeaters.max(0)).unwrap_or(usize::MAX).min(n);
    let max_repetitions = usize::try_from(max_repetitions.max(0)).unwrap_or(usize::MAX);
    let fits = |scratch: &Scratch| header.message_len(scratch.varbinds.len()) <= model.spec.max_reply_bytes;
    for j in 0..non_repeaters {
        get_next(model, packet, at, scratch, j);
    }
    if !fits(scratch) {
        return false;
    }
    let mut cursors = std::mem::take(&mut scratch.cursors);
    cursors.clear();
    cursors.extend((non_repeaters..n).map(|j| match model.shape.next_after(requested_arcs(scratch, j)) {
        Some(i) => Cursor::Next(i),
        None => Cursor::End { name: Name::Requested(j), sent: false },
    }));
    for _ in 0..max_repetitions {
        // RFC 3416 §4.2.3: once every repeater has answered endOfMibView, stop early.
        if cursors.iter().all(|c| matches!(c, Cursor::End { sent: true, .. })) {
            break;
        }
        let whole = scratch.varbinds.len();
        for cursor in cursors.iter_mut() {
            match *cursor {
                Cursor::Next(i) => {
                    push_view(model, packet, at, scratch, i);
                    *cursor = if i + 1 < model.shape.len() {
                        Cursor::Next(i + 1)
                    } else {
                        Cursor::End { name: Name::View(i), sent: false }
                    };
                }
                Cursor::End { name, .. } => {
                    push_exception(model, packet, scratch, name, tag::END_OF_MIB_VIEW);
                    *cursor = Cursor::End { name, sent: true };
                }
            }
            if !fits(scratch) {
                break;
            }
        }
        if !fits(scratch) {
            if whole > 0 {
                scratch.varbinds.truncate(whole);
            } else {
                truncate_to_fit(scratch, header, model.spec.max_reply_bytes);
            }
            break;
        }
    }
    scratch.cursors = cursors;
    true
}

/// The first repetition alone is too big: keep its varbinds that fit.
fn truncate_to_fit(scratch: &mut Scratch, header: &Header<'_>, max_reply_bytes: usize) {
    let mut reader = ber::Reader::new(&scratch.varbinds);
    let mut kept = 0;
    while let Ok(tlv) = reader.any() {
        let end = tlv.contents.as_ptr() as usize + tlv.contents.len() - scratch.varbinds.as_ptr() as usize;
        if header.message_len(end) > max_reply_bytes {
            break;
        }
        kept = end;
    }
    scratch.varbinds.truncate(kept);
}

#[cfg(test)]
mod tests;
