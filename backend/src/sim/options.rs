//! `vigie sim`: the command-line options, the fleet they describe, and the command itself
//! (start, print each agent's address, serve until SIGINT or SIGTERM, print the counts).

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;

use clap::Args;

use super::fleet::{Fleet, SimError};
use super::model::{AgentSpec, AgentVersion, Behaviour};
use super::traffic::mix;
use crate::secret::Secret;
use crate::snmp::{AuthProtocol, PrivProtocol, SecurityLevel, UsmCredentials};

/// The SNMP version of a simulated fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimVersion {
    V1,
    V2c,
    V3,
}

/// An auth or priv protocol by its API name (`sha256`, `aes`, `aes256c`...).
fn protocol<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|_| format!("unknown protocol '{name}'"))
}

#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Number of agents
    #[arg(long, default_value_t = 1)]
    pub agents: usize,
    /// Interfaces per agent
    #[arg(long, default_value_t = 48)]
    pub interfaces: u32,
    /// Address to serve on (keep it on loopback)
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Agent i listens on UDP base-port + i; 0 picks free ports and prints them
    #[arg(long, default_value_t = 0)]
    pub base_port: u16,
    #[arg(long, default_value = "public")]
    pub community: String,
    /// SNMP version every agent speaks (v1 agents have 32-bit counters only)
    #[arg(long, value_enum, default_value = "v2c")]
    pub snmp_version: SimVersion,
    /// SNMPv3: the agents' one user
    #[arg(long, default_value = "vigie")]
    pub v3_user: String,
    /// SNMPv3: md5, sha, sha224, sha256, sha384 or sha512; none: noAuthNoPriv
    #[arg(long, value_parser = protocol::<AuthProtocol>)]
    pub auth_protocol: Option<AuthProtocol>,
    /// SNMPv3: the auth password (at least 8 characters)
    #[arg(long, env = "VIGIE_SIM_AUTH_PASSWORD", hide_env_values = true)]
    pub auth_password: Option<String>,
    /// SNMPv3: des, aes, aes192, aes256, aes192c or aes256c; none: authNoPriv
    #[arg(long, value_parser = protocol::<PrivProtocol>)]
    pub priv_protocol: Option<PrivProtocol>,
    /// SNMPv3: the priv password (at least 8 characters)
    #[arg(long, env = "VIGIE_SIM_PRIV_PASSWORD", hide_env_values = true)]
    pub priv_password: Option<String>,
    /// Mean traffic per interface and direction, bits per second
    #[arg(long, default_value_t = 10_000_000.0)]
    pub rate_bps: f64,
    /// Speed of every interface, bits per second
    #[arg(long, default_value_t = 1_000_000_000)]
    pub speed_bps: u64,
    /// Delay before each answer, milliseconds
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests dropped at random, percent
    #[arg(long, default_value_t = 0.0)]
    pub loss_percent: f64,
    /// Share of agents that never answer, percent
    #[arg(long, default_value_t = 0.0)]
    pub dead_percent: f64,
    /// Share of agents with no socket at all (ICMP port unreachable), percent
    #[arg(long, default_value_t = 0.0)]
    pub closed_percent: f64,
    /// Share of each agent's interfaces that are up but carry no traffic (counters stay still),
    /// percent; which ones is picked by the seed, the same after a restart
    #[arg(long, default_value_t = 0.0)]
    pub idle_percent: f64,
    /// Every agent reboots every so many seconds (sysUpTime and counters back to 0); 0: never
    #[arg(long, default_value_t = 0)]
    pub reboot_secs: u64,
    /// Share of agents with 32-bit counters only (no ifHC* columns), percent
    #[arg(long, default_value_t = 0.0)]
    pub legacy_percent: f64,
    /// Add one more agent with this many interfaces (e.g. 4000); 0: none
    #[arg(long, default_value_t = 0)]
    pub huge_interfaces: u32,
    /// Faults to plant, one per misbehaving agent, given in turn (e.g. `garbage,slow`)
    #[arg(long, value_enum, value_delimiter = ',')]
    pub misbehave: Vec<super::misbehave::Misbehave>,
    /// Share of answering agents that misbehave when --misbehave is given, percent
    #[arg(long, default_value_t = 100.0)]
    pub misbehave_percent: f64,
    /// Largest reply an agent sends, bytes (a GETBULK answer holds fewer repetitions, a GET that
    /// cannot fit is answered tooBig); 1472 is one Ethernet datagram, as many routers answer
    #[arg(long, default_value_t = super::responder::MAX_REPLY_BYTES as u16, value_parser = clap::value_parser!(u16).range(484..))]
    pub max_reply_bytes: u16,
    /// Seed of every random choice (which agents are dead, interface rates...)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Default for SimArgs {
    fn default() -> Self {
        SimArgs {
            agents: 1,
            interfaces: 48,
            bind: IpAddr::from([127, 0, 0, 1]),
            base_port: 0,
            community: "public".into(),
            snmp_version: SimVersion::V2c,
            v3_user: "vigie".into(),
            auth_protocol: None,
            auth_password: None,
            priv_protocol: None,
            priv_password: None,
            rate_bps: 10e6,
            speed_bps: 1_000_000_000,
            latency_ms: 0,
            loss_percent: 0.0,
            dead_percent: 0.0,
            closed_percent: 0.0,
            idle_percent: 0.0,
            reboot_secs: 0,
            legacy_percent: 0.0,
            huge_interfaces: 0,
            misbehave: Vec::new(),
            misbehave_percent: 100.0,
            max_reply_bytes: super::responder::MAX_REPLY_BYTES as u16,
            seed: 1,
        }
    }
}

/// How many of `total` agents make `percent`, rounded to the nearest.
fn share(total: usize, percent: f64) -> usize {
    ((total as f64 * percent.clamp(0.0, 100.0) / 100.0).round() as usize).min(total)
}

impl SimArgs {
    /// The agents these options describe. Dead, closed and 32-bit-only agents are exact shares,
    /// picked by the seed; the huge agent, if any, comes last and always answers.
    pub fn specs(&self) -> Vec<AgentSpec> {
        let n = self.agents;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| mix(self.seed ^ mix(i as u64)));
        let (dead, closed) = (share(n, self.dead_percent), share(n, self.closed_percent));
        let mut behaviour = vec![Behaviour::Answer; n];
        for (rank, &i) in order.iter().enumerate() {
            if rank < dead {
                behaviour[i] = Behaviour::Dead;
            } else if rank < dead + closed {
                behaviour[i] = Behaviour::Closed;
            }
        }
        let mut legacy_order: Vec<usize> = (0..n).collect();
        legacy_order.sort_by_key(|&i| mix(!self.seed ^ mix(i as u64)));
        let mut hc = vec![true; n];
        for &i in legacy_order.iter().take(share(n, self.legacy_percent)) {
            hc[i] = false;
        }
        let mut specs: Vec<AgentSpec> = (0..n)
            .map(|i| self.spec(format!("sim-{i:04}"), self.interfaces, hc[i], behaviour[i], mix(self.seed) ^ i as u64))
            .collect();
        self.plant_faults(&mut specs);
        if self.huge_interfaces > 0 {
            specs.push(self.spec("sim-huge".into(), self.huge_interfaces, true, Behaviour::Answer, !self.seed));
        }
        specs
    }

    /// Gives the `--misbehave` faults in turn to an exact share of the answering agents, picked
    /// by the seed.
    fn plant_faults(&self, specs: &mut [AgentSpec]) {
        if self.misbehave.is_empty() {
            return;
        }
        let mut answering: Vec<usize> = (0..specs.len()).filter(|&i| specs[i].behaviour == Behaviour::Answer).collect();
        answering.sort_by_key(|&i| mix(self.seed.rotate_left(17) ^ mix(i as u64)));
        let count = share(answering.len(), self.misbehave_percent);
        for (k, &i) in answering.iter().take(count).enumerate() {
            specs[i].misbehave = Some(self.misbehave[k % self.misbehave.len()]);
        }
    }

    /// The version and user every agent has; an error names the option combination refused.
    pub fn agent_version(&self) -> Result<AgentVersion, SimError> {
        let user = match self.snmp_version {
            SimVersion::V1 => return Ok(AgentVersion::V1),
            SimVersion::V2c => return Ok(AgentVersion::V2c),
            SimVersion::V3 => &self.v3_user,
        };
        let password = |password: &Option<String>, name: &str| match password {
            Some(p) if p.chars().count() >= 8 => Ok(Some(Secret::new(p.as_str()))),
            _ => Err(SimError::Options(format!("--{name}-protocol needs --{name}-password of at least 8 characters"))),
        };
        let auth_password = self.auth_protocol.map(|_| password(&self.auth_password, "auth")).transpose()?.flatten();
        let priv_password = self.priv_protocol.map(|_| password(&self.priv_password, "priv")).transpose()?.flatten();
        let level = match (self.auth_protocol, self.priv_protocol) {
            (None, None) => SecurityLevel::NoAuthNoPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
            (None, Some(_)) => return Err(SimError::Options("--priv-protocol needs --auth-protocol".into())),
        };
        if user.is_empty() || user.len() > 32 {
            return Err(SimError::Options("--v3-user must have 1 to 32 bytes".into()));
        }
        Ok(AgentVersion::V3(UsmCredentials {
            user: user.clone(),
            level,
            auth_protocol: self.auth_protocol,
            auth_password,
            priv_protocol: self.priv_protocol,
            priv_password,
            context_name: String::new(),
        }))
    }

    fn spec(&self, name: String, interfaces: u32, hc: bool, behaviour: Behaviour, seed: u64) -> AgentSpec {
        // SNMPv1 has no Counter64: its agents have 32-bit counters only.
        let hc = hc && self.snmp_version != SimVersion::V1;
        AgentSpec {
            hc,
            behaviour,
            version: self.agent_version().unwrap_or(AgentVersion::V2c),
            community: self.community.clone(),
            rate_bps: self.rate_bps,
            speed_bps: self.speed_bps,
            reboot_every_secs: (self.reboot_secs > 0).then_some(self.reboot_secs),
            latency_ms: self.latency_ms,
            loss_percent: self.loss_percent,
            idle_percent: self.idle_percent,
            seed,
            max_reply_bytes: usize::from(self.max_reply_bytes),
            sys_descr: format!(
                "Vigie simulated switch, {interfaces} ports, {} counters",
                if hc { "64-bit" } else { "32-bit" }
            ),
            ..AgentSpec::new(name, interfaces)
        }
    }
}

/// `vigie sim`: serves the fleet until SIGINT or SIGTERM.
pub async fn run(args: SimArgs) -> Result<(), SimError> {
    args.agent_version()?;
    let fleet = Fleet::start(args.specs(), args.bind, args.base_port).await?;
    for agent in fleet.agents() {
        let what = match agent.behaviour {
            Behaviour::Answer => format!(
                "{} interfaces, {}-bit counters{}{}",
                agent.interfaces,
                if agent.hc { 64 } else { 32 },
                agent.reboot_every_secs.map(|s| format!(", reboots every {s} s")).unwrap_or_default(),
                agent.misbehave.map(|m| format!(", misbehaves: {}", m.as_str())).unwrap_or_default()
            ),
            Behaviour::Dead => "dead (never answers)".into(),
            Behaviour::Closed => "closed (no socket)".into(),
        };
        println!("{} udp:{} {}", agent.name, agent.addr, what);
    }
    let speaks = match args.snmp_version {
        SimVersion::V1 => format!("SNMPv1, community '{}'", args.community),
        SimVersion::V2c => format!("SNMPv2c, community '{}'", args.community),
        SimVersion::V3 => format!("SNMPv3, user '{}'", args.v3_user),
    };
    println!("{} agents ready, {speaks}. Stop with Ctrl-C.", fleet.agents().len());
    wait_for_signal().await;
    let stats = fleet.stats().clone();
    fleet.shutdown().await;
    println!(
        "Stopped: {} requests, {} responses, {} varbinds, {} malformed, {} wrong community or refused, {} unsupported, {} lost on purpose.",
        stats.requests.load(Relaxed),
        stats.responses.load(Relaxed),
        stats.varbinds.load(Relaxed),
        stats.malformed.load(Relaxed),
        stats.wrong_community.load(Relaxed),
        stats.unsupported.load(Relaxed),
        stats.lost.load(Relaxed),
    );
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(term) => {
                    term.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_exact_and_the_huge_agent_comes_last() {
        let args = SimArgs {
            agents: 200,
            dead_percent: 10.0,
            closed_percent: 2.0,
            legacy_percent: 25.0,
            huge_interfaces: 4000,
            ..SimArgs::default()
        };
        let specs = args.specs();
        assert_eq!(specs.len(), 201);
        let count = |b| specs.iter().filter(|s| s.behaviour == b).count();
        assert_eq!((count(Behaviour::Dead), count(Behaviour::Closed)), (20, 4));
        assert_eq!(specs.iter().filter(|s| !s.hc).count(), 50);
        let huge = specs.last().unwrap();
        assert_eq!((huge.interfaces, huge.behaviour, huge.hc), (4000, Behaviour::Answer, true));
        assert_eq!(args.specs()[7].seed, specs[7].seed, "the same options give the same fleet");
        let idle = SimArgs { idle_percent: 50.0, ..args.clone() }.specs();
        assert!(idle.iter().all(|s| s.idle_percent == 50.0) && specs.iter().all(|s| s.idle_percent == 0.0));
        let capped = SimArgs { max_reply_bytes: 1472, ..args }.specs();
        assert!(capped.iter().all(|s| s.max_reply_bytes == 1472));
        assert!(specs.iter().all(|s| s.max_reply_bytes == crate::sim::responder::MAX_REPLY_BYTES));
    }

    #[test]
    fn faults_go_in_turn_to_a_share_of_the_answering_agents() {
        use crate::sim::Misbehave::{Garbage, Slow};
        let args = SimArgs {
            agents: 20,
            dead_percent: 50.0,
            misbehave: vec![Garbage, Slow],
            misbehave_percent: 40.0,
            ..SimArgs::default()
        };
        let specs = args.specs();
        let faulty: Vec<&AgentSpec> = specs.iter().filter(|s| s.misbehave.is_some()).collect();
        assert_eq!(faulty.len(), 4, "40 % of the 10 answering agents");
        assert!(faulty.iter().all(|s| s.behaviour == Behaviour::Answer));
        let count = |m| faulty.iter().filter(|s| s.misbehave == Some(m)).count();
        assert_eq!((count(Garbage), count(Slow)), (2, 2));
    }
}
