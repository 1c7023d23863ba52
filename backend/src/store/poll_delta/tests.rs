//! Round trips of the samples lines: deltas and derived rates read back the same rows.

use super::*;

fn sample(
    if_index: u32,
    hc: Option<(u64, u64)>,
    small: Option<(u64, u64)>,
    bps: Option<(f64, f64)>,
) -> InterfaceSample {
    InterfaceSample {
        if_index,
        hc_in_octets: hc.map(|c| c.0),
        hc_out_octets: hc.map(|c| c.1),
        in_octets_32: small.map(|c| c.0),
        out_octets_32: small.map(|c| c.1),
        in_bps: bps.map(|b| b.0),
        out_bps: bps.map(|b| b.1),
    }
}

/// Lines as the plain file holds them (rates whole), through the encoder and back; each
/// sealed line is, byte for byte, what serde writes for the same [`DeltaLine`].
fn round_trip(lines: &[PollLine]) -> Vec<String> {
    let plain: Vec<PollLine> = lines.iter().map(|l| serde_json::from_str(&l.to_json()).unwrap()).collect();
    let mut encoder = Encoder::default();
    let sealed: Vec<String> = plain.iter().map(|l| encoder.line(l)).collect();
    for text in &sealed {
        let parsed: DeltaLine = serde_json::from_str(text).expect(text);
        assert_eq!(&serde_json::to_string(&parsed).unwrap(), text);
    }
    let mut decoder = Decoder::default();
    let back: Vec<PollLine> = sealed.iter().map(|t| decoder.line(t.as_bytes()).expect(t)).collect();
    assert_eq!(back, plain);
    sealed
}

#[test]
fn deltas_and_derived_rates_read_back_the_same_rows() {
    let big = 18_446_744_073_000_000_000u64; // 20 digits, near the 64-bit wrap
    let t0 = 1_795_611_861.204;
    let line = |dt: f64, ifs: Vec<InterfaceSample>| PollLine { timestamp: t0 + dt, sys_up_time: 100, interfaces: ifs };
    let lines = vec![
        line(0.0, vec![sample(1, Some((big, 5)), None, None), sample(2, None, Some((4_000_000_000, 7)), None)]),
        // 60.013 s later: rates follow from the deltas.
        line(
            60.013,
            vec![
                sample(
                    1,
                    Some((big + 75_000_000, 1_005)),
                    None,
                    Some((75_000_000.0 * 8.0 / 60.013, 1000.0 * 8.0 / 60.013)),
                ),
                sample(2, None, Some((4_000_001_000, 8)), Some((1000.0 * 8.0 / 60.013, 8.0 / 60.013))),
            ],
        ),
        // The 64-bit counter wraps, the 32-bit one too (the poller's rates, not derivable);
        // interface 3 is new, interface 2 has a null.
        line(
            120.0,
            vec![
                sample(1, Some((1_000, 2_000)), None, Some((1234.0, 5678.0))),
                sample(2, None, Some((10, 9)), None),
                sample(3, Some((42, 43)), None, None),
            ],
        ),
        // Interface 2 is gone, 1 resets (a gap), 3 has a rate.
        line(
            180.0,
            vec![sample(1, Some((0, 0)), None, None), sample(3, Some((42 + 750, 43)), None, Some((100.0, 0.0)))],
        ),
        // Interfaces reordered.
        line(
            240.0,
            vec![
                sample(3, Some((42 + 1500, 43)), None, Some((100.0, 0.0))),
                sample(1, Some((7_500, 750)), None, Some((1000.0, 100.0))),
            ],
        ),
    ];
    let sealed = round_trip(&lines);
    assert!(!sealed[0].contains("deltas") && sealed[0].contains("18446744073000000000"), "{}", sealed[0]);
    assert!(sealed[1].contains(r#""deltas":["ifHCInOctets","ifHCOutOctets","ifInOctets","ifOutOctets"]"#));
    assert!(sealed[1].contains(r#""derived":["inBps","outBps"]"#) && !sealed[1].contains("inBps\":["), "{}", sealed[1]);
    assert!(sealed[1].contains(r#""ifHCInOctets":[75000000,null]"#), "{}", sealed[1]);
    assert!(sealed[2].contains(r#""inBps":[1234,null,null]"#), "the poller's wrap rate is kept: {}", sealed[2]);
    assert!(sealed[2].contains(r#""ifHCInOctets":[-18446744073074999000,null,42]"#), "{}", sealed[2]);
    assert!(sealed[4].contains(r#""derived":["inBps","outBps"]"#), "{}", sealed[4]);
}

#[test]
fn a_delta_line_without_its_predecessor_is_unreadable_not_misread() {
    let mut encoder = Encoder::default();
    let a = PollLine { timestamp: 1.0, sys_up_time: 1, interfaces: vec![sample(1, Some((10, 10)), None, None)] };
    let b = PollLine { timestamp: 61.0, sys_up_time: 1, interfaces: vec![sample(1, Some((20, 20)), None, None)] };
    let (_, second) = (encoder.line(&a), encoder.line(&b));
    assert!(Decoder::default().line(second.as_bytes()).is_none());
    assert!(Decoder::default().line(&second.as_bytes()[..10]).is_none(), "torn");
}

#[test]
fn an_unreadable_line_breaks_the_chain_until_the_next_absolute_line() {
    let mut encoder = Encoder::default();
    let at = |k: u64| PollLine {
        timestamp: 60.0 * k as f64,
        sys_up_time: 100,
        interfaces: vec![sample(1, Some((1000 * k, 10 * k)), None, None)],
    };
    let lines: Vec<PollLine> = (0..4).map(at).collect();
    let text: Vec<String> = lines[..3].iter().map(|l| encoder.line(l)).collect();
    encoder.restart();
    let absolute = encoder.line(&lines[3]);
    let mut decoder = Decoder::default();
    assert_eq!(decoder.line(text[0].as_bytes()).as_ref(), Some(&lines[0]));
    assert!(decoder.line(&text[1].as_bytes()[..30]).is_none(), "torn");
    assert!(decoder.line(text[2].as_bytes()).is_none(), "its delta has no line before it");
    assert_eq!(decoder.line(absolute.as_bytes()).as_ref(), Some(&lines[3]));
}

#[test]
fn a_lines_head_tells_its_timestamp_and_whether_it_depends_on_the_one_before() {
    let mut encoder = Encoder::default();
    let at = |timestamp: f64, octets: u64| PollLine {
        timestamp,
        sys_up_time: 100,
        interfaces: vec![sample(1, Some((octets, 0)), None, None)],
    };
    let (a, b) = (encoder.line(&at(60.25, 10)), encoder.line(&at(120.5, 20)));
    assert_eq!((head(a.as_bytes()), head(b.as_bytes())), (Some((60_250, false)), Some((120_500, true))));
    for other in
        [r#"{"sysUpTime":1,"timestamp":60.0}"#, r#"{"timestamp":60.0,"sysUp"#, r#"{"timestamp":x,"sysUpTime":1}"#]
    {
        assert_eq!(head(other.as_bytes()), None, "{other}");
    }
}
