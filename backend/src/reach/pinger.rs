//! The one ICMP pinger of the process: a socket per address family, opened once, shared by every
//! device's rounds.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use surge_ping::{Client, Config, IcmpPacket, PingIdentifier, PingSequence, SurgeError, ICMP};

use super::EchoRound;

/// How the pinger reaches an address family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IcmpMode {
    /// An unprivileged "ping socket" (allowed by `net.ipv4.ping_group_range`).
    Datagram,
    /// A raw socket (root or `CAP_NET_RAW`).
    Raw,
    /// Neither could be opened: availability falls back to SNMP alone.
    Unavailable { reason: String },
}

impl IcmpMode {
    pub fn name(&self) -> &'static str {
        match self {
            IcmpMode::Datagram => "datagram",
            IcmpMode::Raw => "raw",
            IcmpMode::Unavailable { .. } => "unavailable",
        }
    }
}

/// What one round sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbePlan {
    /// Echo requests per round.
    pub echoes: u16,
    /// Time between two requests of a round.
    pub gap: Duration,
    /// How long each request waits for its reply.
    pub timeout: Duration,
}

impl Default for ProbePlan {
    /// Three echoes 200 ms apart, each given a second: a round ends within 1.4 s.
    fn default() -> ProbePlan {
        ProbePlan { echoes: 3, gap: Duration::from_millis(200), timeout: Duration::from_secs(1) }
    }
}

/// The bytes each echo carries (the reply echoes them back).
const PAYLOAD: &[u8; 32] = b"vigie reachability probe 0123456";

struct Family {
    client: Option<Client>,
    mode: IcmpMode,
}

impl Family {
    fn open(kind: ICMP) -> Family {
        match Client::new(&Config::builder().kind(kind).build()) {
            Ok(client) => {
                let mode = match client.get_socket().get_type() {
                    socket2::Type::DGRAM => IcmpMode::Datagram,
                    _ => IcmpMode::Raw,
                };
                Family { client: Some(client), mode }
            }
            Err(e) => Family {
                client: None,
                mode: IcmpMode::Unavailable {
                    reason: format!(
                        "no ICMP socket could be opened ({e}): allow unprivileged ping sockets \
                         (sysctl net.ipv4.ping_group_range) or give Vigie CAP_NET_RAW"
                    ),
                },
            },
        }
    }
}

/// Sends echo requests to any number of addresses over one socket per family.
pub struct Pinger {
    v4: Family,
    v6: Family,
    /// The identifier of this process's echoes on a raw socket (a ping socket's kernel sets its own).
    ident: u16,
    /// Sequence numbers are unique across every concurrent round, so that two rounds to the same
    /// address never wait for the same reply.
    next_seq: AtomicU16,
}

impl Pinger {
    /// Opens the sockets; a family that cannot be opened is [`IcmpMode::Unavailable`], with the
    /// reason logged once here. Must run inside the tokio runtime that will serve the replies.
    pub fn open() -> Pinger {
        let pinger = Pinger {
            v4: Family::open(ICMP::V4),
            v6: Family::open(ICMP::V6),
            ident: rand::random(),
            next_seq: AtomicU16::new(rand::random()),
        };
        for (family, mode) in [("IPv4", &pinger.v4.mode), ("IPv6", &pinger.v6.mode)] {
            match mode {
                IcmpMode::Unavailable { reason } => {
                    log::warn!("ICMP over {family} is unavailable: {reason}; reachability is judged by SNMP alone.")
                }
                mode => log::info!("ICMP over {family} uses a {} socket.", mode.name()),
            }
        }
        pinger
    }

    /// How `addr`'s family is reached.
    pub fn mode(&self, addr: IpAddr) -> &IcmpMode {
        &self.family(addr).mode
    }

    fn family(&self, addr: IpAddr) -> &Family {
        match addr {
            IpAddr::V4(_) => &self.v4,
            IpAddr::V6(_) => &self.v6,
        }
    }

    /// One round of `plan.echoes` requests to `addr`, `plan.gap` apart, each waiting at most
    /// `plan.timeout`; the round ends within `(echoes - 1) × gap + timeout`. `None` when the
    /// family has no socket.
    pub async fn probe(&self, addr: IpAddr, plan: &ProbePlan) -> Option<EchoRound> {
        let client = self.family(addr).client.as_ref()?;
        let echoes = (0..plan.echoes).map(|i| async move {
            tokio::time::sleep(plan.gap * u32::from(i)).await;
            // A pinger is a handle on the shared socket; each echo takes its own.
            let mut pinger = client.pinger(addr, PingIdentifier(self.ident)).await;
            pinger.timeout(plan.timeout);
            let seq = PingSequence(self.next_seq.fetch_add(1, Ordering::Relaxed));
            match pinger.ping(seq, PAYLOAD).await {
                Ok((packet, rtt)) => match not_a_reply(&packet) {
                    None => Ok(rtt),
                    Some(why) => Err(Some(why)),
                },
                Err(SurgeError::Timeout { .. }) => Err(None),
                Err(e) => Err(Some(e.to_string())),
            }
        });
        let results = join_all(echoes).await;
        let rtts: Vec<Duration> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        let mut round = EchoRound::from_rtts(plan.echoes, &rtts);
        round.error = results.into_iter().rev().find_map(|r| r.err().flatten());
        Some(round)
    }
}

/// Why an answer matched to an echo request is not its reply: `surge-ping` also hands over the
/// ICMP errors that quote the request (e.g. "host unreachable" from our own router when the
/// neighbour does not answer ARP), and those are no sign of life.
fn not_a_reply(packet: &IcmpPacket) -> Option<String> {
    const ECHO_REPLY_V4: u8 = 0;
    const ECHO_REPLY_V6: u8 = 129;
    let (kind, code, reply) = match packet {
        IcmpPacket::V4(p) => (p.get_icmp_type().0, p.get_icmp_code().0, ECHO_REPLY_V4),
        IcmpPacket::V6(p) => (p.get_icmpv6_type().0, p.get_icmpv6_code().0, ECHO_REPLY_V6),
    };
    (kind != reply).then(|| format!("ICMP type {kind} code {code} instead of an echo reply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_root() -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }

    #[tokio::test]
    async fn loopback_answers_every_echo() {
        let pinger = Pinger::open();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        if matches!(pinger.mode(loopback), IcmpMode::Unavailable { .. }) {
            assert!(!is_root(), "as root a raw ICMP socket must open: {:?}", pinger.mode(loopback));
            eprintln!("skipped: no ICMP socket without root or ping_group_range");
            return;
        }
        let plan = ProbePlan { echoes: 4, gap: Duration::from_millis(10), timeout: Duration::from_secs(5) };
        let round = pinger.probe(loopback, &plan).await.unwrap();
        assert_eq!((round.sent, round.received, round.error.as_deref()), (4, 4, None));
        assert!(round.rtt_min_ms <= round.rtt_max_ms);
    }

    #[tokio::test]
    async fn concurrent_rounds_to_one_address_do_not_mix_their_replies() {
        let pinger = Pinger::open();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        if matches!(pinger.mode(loopback), IcmpMode::Unavailable { .. }) {
            assert!(!is_root());
            return;
        }
        let plan = ProbePlan { echoes: 3, gap: Duration::from_millis(1), timeout: Duration::from_secs(5) };
        let rounds = join_all((0..20).map(|_| pinger.probe(loopback, &plan))).await;
        for round in rounds {
            let round = round.unwrap();
            assert_eq!((round.sent, round.received, round.error), (3, 3, None));
        }
    }
}
