use std::sync::Arc;

use super::*;
use crate::sim::mib::Shape;
use crate::sim::model::AgentSpec;
use crate::sim::traffic::mix;

const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const IF_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
const IF_HC_IN: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6];
const IF_X_LAST: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 19];

fn model(interfaces: u32) -> AgentModel {
    AgentModel::new(AgentSpec::new("test-agent", interfaces), Arc::new(Shape::new(interfaces, true)))
}

fn request(community: &str, pdu_type: u8, a: i64, b: i64, oids: &[&[u32]]) -> Vec<u8> {
    let mut varbinds = Vec::new();
    for oid in oids {
        let mut contents = Vec::new();
        ber::encode_oid_contents(oid, &mut contents);
        let mut tlv = Vec::new();
        ber::write_bytes(&mut tlv, tag::OID, &contents);
        ber::write_varbind(&mut varbinds, &tlv, &[tag::NULL, 0]);
    }
    let header =
        Header { version: 1, community: community.as_bytes(), pdu_type, request_id: 42, field_a: a, field_b: b };
    let mut packet = Vec::new();
    ber::write_message(&mut packet, &header, &varbinds);
    packet
}

struct Reply {
    error_status: i64,
    varbinds: Vec<(Vec<u32>, u8, Vec<u8>)>,
    len: usize,
}

fn ask(model: &AgentModel, packet: &[u8]) -> Result<Reply, Dropped> {
    let (mut scratch, mut reply) = (Scratch::default(), Vec::new());
    let answered = respond(model, packet, &model.moment(), &mut scratch, &mut reply)?;
    let message = ber::parse_message(&reply).expect("the reply parses");
    assert_eq!((message.pdu_type, message.request_id), (tag::RESPONSE, 42));
    let varbinds: Vec<_> = message
        .varbinds
        .map(|vb| {
            let (oid, value) = vb.expect("a varbind parses");
            let mut arcs = Vec::new();
            ber::decode_oid(oid, &mut arcs).unwrap();
            (arcs, value.tag, value.contents.to_vec())
        })
        .collect();
    assert_eq!(answered.varbinds, varbinds.len());
    Ok(Reply { error_status: message.field_a, varbinds, len: reply.len() })
}

fn oid(prefix: &[u32], more: &[u32]) -> Vec<u32> {
    [prefix, more].concat()
}

#[test]
fn get_answers_values_and_the_right_exceptions() {
    let model = model(4);
    let reply = ask(
        &model,
        &request(
            "public",
            tag::GET,
            0,
            0,
            &[SYS_UP_TIME, &oid(IF_DESCR, &[3]), &oid(IF_DESCR, &[9]), &[1, 3, 6, 1, 2, 1, 1, 9, 0], &[1, 3]],
        ),
    )
    .unwrap();
    let tags: Vec<u8> = reply.varbinds.iter().map(|v| v.1).collect();
    assert_eq!(
        tags,
        [tag::TIME_TICKS, tag::OCTET_STRING, tag::NO_SUCH_INSTANCE, tag::NO_SUCH_OBJECT, tag::NO_SUCH_OBJECT]
    );
    assert_eq!(reply.varbinds[1].2, b"ge-0/0/3");
    assert_eq!(reply.varbinds[2].0, oid(IF_DESCR, &[9]), "exceptions echo the requested name");
}

#[test]
fn getnext_walks_the_whole_view_in_order_then_ends() {
    let model = model(3);
    let mut at = vec![1, 3];
    let mut seen = 0;
    loop {
        let reply = ask(&model, &request("public", tag::GET_NEXT, 0, 0, &[&at])).unwrap();
        let (next, value_tag, _) = reply.varbinds.into_iter().next().unwrap();
        if value_tag == tag::END_OF_MIB_VIEW {
            assert_eq!(next, at, "endOfMibView repeats the requested name");
            break;
        }
        assert!(next > at, "{next:?} after {at:?}");
        assert_eq!(next, model.shape.oid(seen));
        at = next;
        seen += 1;
    }
    assert_eq!(seen, model.shape.len());
}

#[test]
fn getbulk_honours_non_repeaters_and_repetitions() {
    let model = model(4);
    let reply =
        ask(&model, &request("public", tag::GET_BULK, 1, 3, &[&[1, 3, 6, 1, 2, 1, 1], IF_DESCR, IF_HC_IN])).unwrap();
    let names: Vec<Vec<u32>> = reply.varbinds.iter().map(|v| v.0.clone()).collect();
    let mut expected = vec![oid(&[1, 3, 6, 1, 2, 1, 1], &[1, 0])];
    for row in 1..=3 {
        expected.push(oid(IF_DESCR, &[row]));
        expected.push(oid(IF_HC_IN, &[row]));
    }
    assert_eq!(names, expected);
    assert_eq!(reply.varbinds[2].1, tag::COUNTER64);
}

#[test]
fn getbulk_past_the_end_answers_end_of_mib_view_once_per_repeater() {
    let model = model(2);
    let reply = ask(&model, &request("public", tag::GET_BULK, 0, 10, &[&oid(IF_X_LAST, &[1]), &[2, 1]])).unwrap();
    let got: Vec<(Vec<u32>, u8)> = reply.varbinds.iter().map(|v| (v.0.clone(), v.1)).collect();
    assert_eq!(
        got,
        vec![
            (oid(IF_X_LAST, &[2]), tag::TIME_TICKS),
            (vec![2, 1], tag::END_OF_MIB_VIEW),
            (oid(IF_X_LAST, &[2]), tag::END_OF_MIB_VIEW),
            (vec![2, 1], tag::END_OF_MIB_VIEW),
        ],
        "then it stops early: every repeater has reached the end"
    );
    let none = ask(&model, &request("public", tag::GET_BULK, 5, -3, &[SYS_UP_TIME])).unwrap();
    assert_eq!(none.varbinds.len(), 1, "non-repeaters capped to the varbinds, negative repetitions are 0");
}

#[test]
fn big_getbulks_are_cut_at_whole_repetitions_under_the_limit() {
    let model = model(4000);
    let reply = ask(&model, &request("public", tag::GET_BULK, 0, 100_000, &[IF_DESCR, IF_HC_IN])).unwrap();
    assert!(reply.len <= MAX_REPLY_BYTES, "{} bytes", reply.len);
    assert!(reply.len > MAX_REPLY_BYTES - 100, "filled: {} bytes", reply.len);
    assert_eq!(reply.varbinds.len() % 2, 0, "whole repetitions only");
    let get = ask(&model, &request("public", tag::GET, 0, 0, &vec![SYS_UP_TIME; 700])).unwrap();
    assert_eq!((get.error_status, get.varbinds.len()), (TOO_BIG, 0), "a GET that does not fit is tooBig");
}

#[test]
fn a_capped_agent_answers_fewer_repetitions_and_tells_a_get_that_cannot_fit() {
    let spec = AgentSpec { max_reply_bytes: 1472, ..AgentSpec::new("capped", 48) };
    let capped = AgentModel::new(spec, Arc::new(Shape::new(48, true)));
    let bulk = request("public", tag::GET_BULK, 1, 48, &[SYS_UP_TIME, IF_DESCR, IF_HC_IN]);
    let reply = ask(&capped, &bulk).unwrap();
    assert!(reply.len <= 1472 && reply.len > 1472 - 120, "filled to the cap: {} bytes", reply.len);
    assert_eq!(reply.error_status, 0);
    assert_eq!((reply.varbinds.len() - 1) % 2, 0, "the non-repeater, then whole repetitions only");
    assert!(reply.varbinds.len() < 1 + 2 * 48, "fewer repetitions than asked");
    let uncapped = ask(&model(48), &bulk).unwrap();
    assert_eq!(uncapped.varbinds.len(), 1 + 2 * 48, "the default limit holds all of them");
    // A GET of 100 sysUpTime varbinds (~1,700 bytes answered) fits 8,000 bytes, not 1,472.
    let get = request("public", tag::GET, 0, 0, &vec![SYS_UP_TIME; 100]);
    assert_eq!(ask(&model(48), &get).unwrap().varbinds.len(), 100);
    let too_big = ask(&capped, &get).unwrap();
    assert_eq!((too_big.error_status, too_big.varbinds.len()), (TOO_BIG, 0));
    assert!(too_big.len < 100, "tooBig comes with no varbinds");
}

#[test]
fn wrong_community_other_versions_and_sets_get_no_answer() {
    let model = model(1);
    assert_eq!(ask(&model, &request("private", tag::GET, 0, 0, &[SYS_UP_TIME])).err(), Some(Dropped::WrongCommunity));
    assert_eq!(
        ask(&model, &request("public", tag::SET, 0, 0, &[SYS_UP_TIME])).err(),
        Some(Dropped::Unsupported(tag::SET))
    );
    let mut v1 = request("public", tag::GET, 0, 0, &[SYS_UP_TIME]);
    v1[4] = 0; // the version's only byte
    assert_eq!(ask(&model, &v1).err(), Some(Dropped::Version(0)));
}

#[test]
fn garbage_never_panics() {
    let model = model(4);
    let (mut scratch, mut reply) = (Scratch::default(), Vec::new());
    let at = model.moment();
    let valid = request("public", tag::GET_BULK, 1, 5, &[SYS_UP_TIME, IF_DESCR, IF_HC_IN]);
    let mut state = 12345u64;
    let mut answered = 0;
    for round in 0..20_000u64 {
        state = mix(state ^ round);
        let packet: Vec<u8> = match round % 4 {
            // Pure noise, sometimes starting like a message.
            0 => (0..state % 200).map(|k| mix(state ^ k) as u8).collect(),
            1 => {
                let mut p: Vec<u8> = (0..state % 120).map(|k| mix(state ^ k) as u8).collect();
                p.splice(0..0, [0x30, (state % 256) as u8, 0x02, 0x01, 0x01]);
                p
            }
            // A valid request cut short.
            2 => valid[..(state as usize) % valid.len()].to_vec(),
            // A valid request with a few bytes changed.
            _ => {
                let mut p = valid.clone();
                for k in 0..1 + state % 4 {
                    let i = (mix(state ^ k) as usize) % p.len();
                    p[i] = mix(state ^ k ^ 0xff) as u8;
                }
                p
            }
        };
        if respond(&model, &packet, &at, &mut scratch, &mut reply).is_ok() {
            answered += 1;
            assert!(ber::parse_message(&reply).is_ok());
        }
    }
    assert!(answered > 0, "some mutated requests are still valid");
}
