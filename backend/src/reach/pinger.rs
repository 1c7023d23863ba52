//! The one ICMP pinger of the process: a socket per address family, opened once, shared by every
//! device's rounds. Rounds started together are one batch: echo k of every round goes out at
//! `start + k × gap` from the batch's one task (one timer per step, not per echo), each echo's
//! send time is kept in the [`EchoTable`] under its sequence number, and whichever batch is
//! waiting drains the sockets and settles the echoes there, for any batch; the batch ends on one
//! last timer, `(echoes - 1) × gap + timeout` after its start, and reads its rounds out.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use super::packet::Seen;
use super::socket::IcmpSocket;
use super::table::{EchoTable, Outcome};
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

/// Echoes of one batch at most (sequence numbers are 16 bits, shared by concurrent batches).
const BATCH_ECHOES_MAX: usize = 16_384;

struct Family {
    socket: Option<IcmpSocket>,
    mode: IcmpMode,
}

impl Family {
    fn open(v6: bool) -> Family {
        match IcmpSocket::open(v6) {
            Ok(socket) => {
                let mode = if socket.is_raw() { IcmpMode::Raw } else { IcmpMode::Datagram };
                Family { socket: Some(socket), mode }
            }
            Err(e) => Family {
                socket: None,
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
    /// The echoes in flight, across every batch.
    table: EchoTable,
}

impl Pinger {
    /// Opens the sockets; a family that cannot be opened is [`IcmpMode::Unavailable`], with the
    /// reason logged once here. Must run inside the tokio runtime that will serve the replies.
    pub fn open() -> Pinger {
        let pinger =
            Pinger { v4: Family::open(false), v6: Family::open(true), ident: rand::random(), table: EchoTable::new() };
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
        self.probe_all(&[addr], plan).await.pop().flatten()
    }

    /// One round to each of `targets`, all started now, as one batch (a very large one as a few
    /// batches side by side); the rounds in `targets`' order, `None` for a family without socket.
    pub async fn probe_all(&self, targets: &[IpAddr], plan: &ProbePlan) -> Vec<Option<EchoRound>> {
        let per_batch = (BATCH_ECHOES_MAX / usize::from(plan.echoes.max(1))).max(1);
        let batches = join_all(targets.chunks(per_batch).map(|chunk| self.batch(chunk, plan))).await;
        batches.into_iter().flatten().collect()
    }

    async fn batch(&self, targets: &[IpAddr], plan: &ProbePlan) -> Vec<Option<EchoRound>> {
        let n = targets.len();
        let echoes = usize::from(plan.echoes);
        // At most BATCH_ECHOES_MAX, or one round of at most u16::MAX echoes.
        let block = self.table.block(u16::try_from(n * echoes).unwrap_or(u16::MAX));
        let start = Instant::now();
        for step in 0..plan.echoes {
            self.receive_until(start + plan.gap * u32::from(step)).await;
            for (round, &to) in targets.iter().enumerate() {
                let Some(socket) = self.family(to).socket.as_ref() else { continue };
                let Ok(index) = u16::try_from(usize::from(step) * n + round) else { continue };
                if !block.sending(index, to) {
                    continue;
                }
                if let Err(e) = socket.send(to, self.ident, block.seq(index)).await {
                    block.failed(index, e.to_string());
                }
            }
        }
        let last = plan.gap * u32::from(plan.echoes.saturating_sub(1));
        self.receive_until(start + last + plan.timeout).await;
        let outcomes = block.finish();
        targets
            .iter()
            .enumerate()
            .map(|(round, &to)| {
                self.family(to).socket.as_ref()?;
                let mine = || (0..echoes).filter_map(|step| outcomes.get(step * n + round));
                let rtts: Vec<Duration> = mine()
                    .filter_map(|o| match o {
                        Outcome::Answered(rtt) if *rtt <= plan.timeout => Some(*rtt),
                        _ => None,
                    })
                    .collect();
                let mut echo_round = EchoRound::from_rtts(plan.echoes, &rtts);
                echo_round.error = mine()
                    .filter_map(|o| match o {
                        Outcome::Failed(why) => Some(why.clone()),
                        _ => None,
                    })
                    .next_back();
                Some(echo_round)
            })
            .collect()
    }

    /// Settles the echoes answered until `at`, for every batch.
    async fn receive_until(&self, at: Instant) {
        let sleep = tokio::time::sleep_until(at);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                biased;
                _ = &mut sleep => return,
                received = self.receive() => {
                    if received.is_err() {
                        // The runtime is going away: nothing more will come.
                        return sleep.await;
                    }
                }
            }
        }
    }

    /// Waits for datagrams on either socket and settles the echoes they answer.
    async fn receive(&self) -> std::io::Result<()> {
        let seen = |seen: Seen| {
            let at = std::time::Instant::now();
            match seen {
                Seen::Reply { from, seq, .. } => self.table.reply(from, seq, at),
                Seen::Error { to, seq, kind, code, .. } => self.table.error(to, seq, kind, code),
            }
        };
        match (&self.v4.socket, &self.v6.socket) {
            (Some(v4), Some(v6)) => tokio::select! {
                r = v4.receive(self.ident, &seen) => r,
                r = v6.receive(self.ident, &seen) => r,
            },
            (Some(only), None) | (None, Some(only)) => only.receive(self.ident, &seen).await,
            (None, None) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_root() -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }

    fn open_or_skip() -> Option<Pinger> {
        let pinger = Pinger::open();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        if matches!(pinger.mode(loopback), IcmpMode::Unavailable { .. }) {
            assert!(!is_root(), "as root a raw ICMP socket must open: {:?}", pinger.mode(loopback));
            eprintln!("skipped: no ICMP socket without root or ping_group_range");
            return None;
        }
        Some(pinger)
    }

    #[tokio::test]
    async fn loopback_answers_every_echo() {
        let Some(pinger) = open_or_skip() else { return };
        let plan = ProbePlan { echoes: 4, gap: Duration::from_millis(10), timeout: Duration::from_secs(5) };
        let round = pinger.probe("127.0.0.1".parse().unwrap(), &plan).await.unwrap();
        assert_eq!((round.sent, round.received, round.error.as_deref()), (4, 4, None));
        assert!(round.rtt_min_ms <= round.rtt_max_ms);
        assert_eq!(pinger.table.len(), 0, "a finished batch leaves nothing in the table");
    }

    #[tokio::test]
    async fn concurrent_rounds_to_one_address_do_not_mix_their_replies() {
        let Some(pinger) = open_or_skip() else { return };
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let plan = ProbePlan { echoes: 3, gap: Duration::from_millis(1), timeout: Duration::from_secs(5) };
        // Twenty batches side by side, and one batch of twenty rounds to the same address.
        let rounds = join_all((0..20).map(|_| pinger.probe(loopback, &plan))).await;
        let batch = pinger.probe_all(&[loopback; 20], &plan).await;
        for round in rounds.into_iter().chain(batch) {
            let round = round.unwrap();
            assert_eq!((round.sent, round.received, round.error), (3, 3, None));
        }
        assert_eq!(pinger.table.len(), 0);
    }
}
