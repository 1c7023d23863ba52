//! ICMP reachability against a host that really vanishes: a network namespace whose link the
//! test cuts and restores (see `netns`), over IPv4 and IPv6.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use vigie::reach::{IcmpMode, Pinger, ProbePlan};

use crate::netns::{self, NetnsHost};

const PLAN: ProbePlan = ProbePlan { echoes: 3, gap: Duration::from_millis(50), timeout: Duration::from_millis(500) };

/// Probes `addr` until its answering matches `answers` (a link coming up can take a moment).
async fn until(pinger: &Pinger, addr: IpAddr, answers: bool) -> vigie::reach::EchoRound {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let round = pinger.probe(addr, &PLAN).await.expect("a socket for this family");
        if round.answered() == answers || Instant::now() > deadline {
            return round;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_host_that_vanishes_stops_answering_and_comes_back() {
    if !netns::available() {
        eprintln!("skipped: network namespaces need root");
        return;
    }
    let host = NetnsHost::create();
    let pinger = Pinger::open();
    for addr in [host.host_v4, host.host_v6] {
        assert!(!matches!(pinger.mode(addr), IcmpMode::Unavailable { .. }), "{addr}: {:?}", pinger.mode(addr));
        let round = until(&pinger, addr, true).await;
        assert_eq!((round.sent, round.received), (3, 3), "{addr} answers every echo: {round:?}");
        assert!(round.rtt_avg_ms.is_some());
    }

    host.cut();
    for addr in [host.host_v4, host.host_v6] {
        let round = pinger.probe(addr, &PLAN).await.unwrap();
        assert_eq!((round.sent, round.received), (3, 0), "{addr} is gone: {round:?}");
        assert_eq!(round.loss_percent(), 100.0);
    }

    host.restore();
    for addr in [host.host_v4, host.host_v6] {
        let round = until(&pinger, addr, true).await;
        assert_eq!(round.received, 3, "{addr} is back: {round:?}");
    }
}
