//! Agents that misbehave on purpose, one planted fault each, as buggy or hostile agents do in
//! the field: the test fleet Vigie's poller must survive. Each fault rewrites (or replaces) the
//! honest reply [`super::responder`] built, so the honest path stays as it is.

use std::time::Duration;

use crate::snmp::ber::{self, tag, Header};

/// How long a [`Misbehave::Slow`] agent takes to answer: past a one-second timeout, within a
/// retry's.
pub const SLOW_ANSWER: Duration = Duration::from_millis(1_500);

/// The system group's OID prefix; its objects but sysUpTime are hidden by
/// [`Misbehave::PartialSystem`].
const SYSTEM: &[u32] = &[1, 3, 6, 1, 2, 1, 1];
const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// The conceptual rows of ifTable and ifXTable: a column's OID is one of these and one arc.
const TABLE_ENTRIES: [&[u32]; 2] = [&[1, 3, 6, 1, 2, 1, 2, 2, 1], &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1]];

/// One planted fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Misbehave {
    /// GET replies carry one NULL varbind more than asked.
    ExtraVarbinds,
    /// GETBULK replies never reach the end of a column: rows go on with growing indexes.
    EndlessColumns,
    /// GETBULK replies repeat the first OID asked in every varbind.
    RepeatedOids,
    /// Replies are random bytes.
    Garbage,
    /// Replies carry another request id than the request's.
    WrongRequestIds,
    /// Replies come after [`SLOW_ANSWER`].
    Slow,
    /// Replies claim a length of about 2 GB.
    HugeLengths,
    /// The system group hides everything but sysUpTime (noSuchObject).
    PartialSystem,
}

impl Misbehave {
    pub const ALL: [Misbehave; 8] = [
        Misbehave::ExtraVarbinds,
        Misbehave::EndlessColumns,
        Misbehave::RepeatedOids,
        Misbehave::Garbage,
        Misbehave::WrongRequestIds,
        Misbehave::Slow,
        Misbehave::HugeLengths,
        Misbehave::PartialSystem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Misbehave::ExtraVarbinds => "extra-varbinds",
            Misbehave::EndlessColumns => "endless-columns",
            Misbehave::RepeatedOids => "repeated-oids",
            Misbehave::Garbage => "garbage",
            Misbehave::WrongRequestIds => "wrong-request-ids",
            Misbehave::Slow => "slow",
            Misbehave::HugeLengths => "huge-lengths",
            Misbehave::PartialSystem => "partial-system",
        }
    }

    /// Rewrites the honest `reply` to `request` with this fault; answers how long to wait before
    /// sending it. `dice` is a random number for the faults that need one.
    pub fn apply(self, request: &[u8], reply: &mut Vec<u8>, dice: u64) -> Duration {
        match self {
            Misbehave::Garbage => {
                let len = 20 + (dice % 200) as usize;
                reply.clear();
                reply.extend((0..len).map(|i| super::traffic::mix(dice ^ i as u64) as u8));
            }
            Misbehave::HugeLengths => {
                // SEQUENCE of 0x7fff_fff0 bytes, then what the honest reply held.
                let honest = std::mem::take(reply);
                reply.extend_from_slice(&[tag::SEQUENCE, 0x84, 0x7f, 0xff, 0xff, 0xf0]);
                reply.extend_from_slice(honest.get(2..).unwrap_or_default());
            }
            Misbehave::Slow => return SLOW_ANSWER,
            _ => {
                if let Some(rewritten) = rewrite(self, request, reply) {
                    *reply = rewritten;
                }
            }
        }
        Duration::ZERO
    }
}

/// The faults that need the messages decoded: a new reply, or `None` to keep the honest one.
fn rewrite(mode: Misbehave, request: &[u8], reply: &[u8]) -> Option<Vec<u8>> {
    let asked = ber::parse_message(request).ok()?;
    let honest = ber::parse_message(reply).ok()?;
    let mut header = Header { field_a: honest.field_a, field_b: honest.field_b, ..honest.response_header() };
    let mut varbinds = Vec::new();
    match mode {
        Misbehave::WrongRequestIds => {
            header.request_id = honest.request_id.wrapping_add(1);
            copy_varbinds(honest.varbinds, &mut varbinds).ok()?;
        }
        Misbehave::ExtraVarbinds if asked.pdu_type == tag::GET => {
            copy_varbinds(honest.varbinds, &mut varbinds).ok()?;
            write_varbind(&mut varbinds, SYS_UP_TIME, &[tag::NULL, 0]);
        }
        Misbehave::PartialSystem => {
            for varbind in honest.varbinds {
                let (oid, value) = varbind.ok()?;
                let mut arcs = Vec::new();
                ber::decode_oid(oid, &mut arcs).ok()?;
                if arcs.starts_with(SYSTEM) && arcs != SYS_UP_TIME {
                    write_varbind(&mut varbinds, &arcs, &[tag::NO_SUCH_OBJECT, 0]);
                } else {
                    let mut value_tlv = Vec::new();
                    ber::write_bytes(&mut value_tlv, value.tag, value.contents);
                    write_varbind(&mut varbinds, &arcs, &value_tlv);
                }
            }
        }
        Misbehave::EndlessColumns | Misbehave::RepeatedOids if asked.pdu_type == tag::GET_BULK => {
            bulk(mode, &asked, &mut varbinds)?;
        }
        _ => return None,
    }
    let mut out = Vec::new();
    ber::write_message(&mut out, &header, &varbinds);
    Some(out)
}

/// A GETBULK reply of the faulty kind: each repeater's column goes on forever (endless), or
/// every varbind names the first OID asked (repeated). Non-repeaters get sysUpTime.
fn bulk(mode: Misbehave, asked: &ber::Message<'_>, varbinds: &mut Vec<u8>) -> Option<()> {
    let mut oids = Vec::new();
    for varbind in asked.varbinds {
        let (oid, _) = varbind.ok()?;
        let mut arcs = Vec::new();
        ber::decode_oid(oid, &mut arcs).ok()?;
        oids.push(arcs);
    }
    let non_repeaters = usize::try_from(asked.field_a).ok()?.min(oids.len());
    let repetitions = usize::try_from(asked.field_b).ok()?.clamp(1, 50);
    let counter = [tag::COUNTER32, 1, 7];
    for _ in 0..non_repeaters {
        write_varbind(varbinds, SYS_UP_TIME, &[tag::TIME_TICKS, 1, 42]);
    }
    let repeaters = &mut oids[non_repeaters..];
    for _ in 0..repetitions {
        for oid in repeaters.iter_mut() {
            if mode == Misbehave::EndlessColumns {
                next_row(oid)?;
            }
            write_varbind(varbinds, oid, &counter);
        }
    }
    Some(())
}

/// Moves a table column's OID to its next row, past any row the agent really has: the column
/// itself goes to row 1, `column.n` to `column.(n + 1)`. Anything else gets `.1` appended.
fn next_row(oid: &mut Vec<u32>) -> Option<()> {
    let column_len = TABLE_ENTRIES.iter().find(|e| oid.starts_with(e) && oid.len() > e.len()).map(|e| e.len() + 1);
    match column_len {
        Some(len) if oid.len() > len => {
            oid.truncate(len + 1);
            let row = oid.last_mut()?;
            *row = row.checked_add(1)?;
        }
        _ => oid.push(1),
    }
    Some(())
}

fn write_varbind(out: &mut Vec<u8>, arcs: &[u32], value_tlv: &[u8]) {
    let mut contents = Vec::new();
    ber::encode_oid_contents(arcs, &mut contents);
    let mut oid_tlv = Vec::new();
    ber::write_bytes(&mut oid_tlv, tag::OID, &contents);
    ber::write_varbind(out, &oid_tlv, value_tlv);
}

fn copy_varbinds(varbinds: ber::Reader<'_>, out: &mut Vec<u8>) -> Result<(), ber::BerError> {
    for varbind in varbinds {
        let (oid, value) = varbind?;
        let mut oid_tlv = Vec::new();
        ber::write_bytes(&mut oid_tlv, tag::OID, oid);
        let mut value_tlv = Vec::new();
        ber::write_bytes(&mut value_tlv, value.tag, value.contents);
        ber::write_varbind(out, &oid_tlv, &value_tlv);
    }
    Ok(())
}
