//! A running fleet: one UDP socket and one task per answering agent, a socket and no task for
//! dead ones, no socket for closed ones. Tasks stop on [`Fleet::shutdown`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::mib::Shape;
use super::model::{AgentModel, AgentSpec, Behaviour};
use super::responder::{self, Dropped, Scratch};
use super::traffic::mix;

/// Biggest datagram an agent reads; bigger requests are truncated and fail to parse.
const RECEIVE_BYTES: usize = 65_536;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("agent {name}: cannot bind {addr}: {source}")]
    Bind { name: String, addr: SocketAddr, source: std::io::Error },
    #[error("base port {base} + {agents} agents goes past port 65535")]
    PortRange { base: u16, agents: usize },
    #[error("{0}")]
    Options(String),
}

/// What every agent of a fleet has seen, counted since start.
#[derive(Debug, Default)]
pub struct SimStats {
    pub requests: AtomicU64,
    pub responses: AtomicU64,
    pub varbinds: AtomicU64,
    /// Datagrams that are not well-formed SNMP: counted and dropped.
    pub malformed: AtomicU64,
    /// Wrong communities, and SNMPv3 requests refused without a report.
    pub wrong_community: AtomicU64,
    /// Other versions and PDUs an agent does not answer (SET, SNMPv1, v3).
    pub unsupported: AtomicU64,
    /// Requests dropped on purpose (`loss_percent`).
    pub lost: AtomicU64,
}

impl SimStats {
    pub fn record(&self, outcome: &Result<responder::Answered, Dropped>) {
        let counter = match outcome {
            Ok(answered) => {
                self.varbinds.fetch_add(answered.varbinds as u64, Relaxed);
                &self.responses
            }
            Err(Dropped::Malformed(_)) => &self.malformed,
            Err(Dropped::WrongCommunity | Dropped::Refused) => &self.wrong_community,
            Err(Dropped::Version(_) | Dropped::Unsupported(_)) => &self.unsupported,
        };
        counter.fetch_add(1, Relaxed);
    }
}

/// An agent of a started fleet, as printed and as tests find it.
#[derive(Debug, Clone)]
pub struct StartedAgent {
    pub name: String,
    pub addr: SocketAddr,
    pub interfaces: u32,
    pub hc: bool,
    pub behaviour: Behaviour,
    pub reboot_every_secs: Option<u64>,
    pub misbehave: Option<super::misbehave::Misbehave>,
}

pub struct Fleet {
    agents: Vec<StartedAgent>,
    models: Vec<Option<Arc<AgentModel>>>,
    stats: Arc<SimStats>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    /// Dead agents' sockets: open, never read.
    _silent: Vec<StdUdpSocket>,
}

impl Fleet {
    /// Binds every agent on `ip`: agent i on `base_port + i`, or on an ephemeral port when
    /// `base_port` is 0, and starts serving. Call inside a Tokio runtime.
    pub async fn start(specs: Vec<AgentSpec>, ip: IpAddr, base_port: u16) -> Result<Fleet, SimError> {
        if base_port != 0 && usize::from(base_port) + specs.len() > 65_536 {
            return Err(SimError::PortRange { base: base_port, agents: specs.len() });
        }
        let mut fleet = Fleet {
            agents: Vec::new(),
            models: Vec::new(),
            stats: Arc::new(SimStats::default()),
            cancel: CancellationToken::new(),
            tasks: Vec::new(),
            _silent: Vec::new(),
        };
        let mut shapes: HashMap<(u32, bool), Arc<Shape>> = HashMap::new();
        let mut started: Vec<Option<(SocketAddr, Option<Arc<AgentModel>>)>> = vec![None; specs.len()];
        // Closed agents last: a port released to learn a free number cannot then go to another
        // agent of the fleet.
        let is_closed = |i: &usize| specs[*i].behaviour == Behaviour::Closed;
        let order = (0..specs.len()).filter(|i| !is_closed(i)).chain((0..specs.len()).filter(is_closed));
        for i in order {
            let port = if base_port == 0 { 0 } else { base_port + i as u16 };
            started[i] = Some(fleet.start_agent(&specs[i], SocketAddr::new(ip, port), &mut shapes)?);
        }
        for (spec, (addr, model)) in specs.into_iter().zip(started.into_iter().flatten()) {
            fleet.agents.push(StartedAgent {
                name: spec.name,
                addr,
                interfaces: spec.interfaces,
                hc: spec.hc,
                behaviour: spec.behaviour,
                reboot_every_secs: spec.reboot_every_secs,
                misbehave: spec.misbehave,
            });
            fleet.models.push(model);
        }
        Ok(fleet)
    }

    /// Binds one agent and starts serving it; answers its address and its model (if it answers).
    fn start_agent(
        &mut self,
        spec: &AgentSpec,
        addr: SocketAddr,
        shapes: &mut HashMap<(u32, bool), Arc<Shape>>,
    ) -> Result<(SocketAddr, Option<Arc<AgentModel>>), SimError> {
        let error = |source| SimError::Bind { name: spec.name.clone(), addr, source };
        let bind = || StdUdpSocket::bind(addr).map_err(error);
        match spec.behaviour {
            // No socket: with an ephemeral port, bind one to learn a free number, then close it.
            Behaviour::Closed if addr.port() == 0 => Ok((bind()?.local_addr().map_err(error)?, None)),
            Behaviour::Closed => Ok((addr, None)),
            Behaviour::Dead => {
                let socket = bind()?;
                let local = socket.local_addr().map_err(error)?;
                self._silent.push(socket);
                Ok((local, None))
            }
            Behaviour::Answer => {
                let socket = bind()?;
                let local = socket.local_addr().map_err(error)?;
                socket.set_nonblocking(true).map_err(error)?;
                let socket = UdpSocket::from_std(socket).map_err(error)?;
                let shape = shapes
                    .entry((spec.interfaces, spec.hc))
                    .or_insert_with(|| Arc::new(Shape::new(spec.interfaces, spec.hc)));
                let model = Arc::new(AgentModel::new(spec.clone(), shape.clone()));
                let task = serve(Arc::new(socket), model.clone(), self.stats.clone());
                let cancel = self.cancel.clone();
                self.tasks.push(tokio::spawn(async move {
                    cancel.run_until_cancelled(task).await;
                }));
                Ok((local, Some(model)))
            }
        }
    }

    pub fn agents(&self) -> &[StartedAgent] {
        &self.agents
    }

    pub fn stats(&self) -> &Arc<SimStats> {
        &self.stats
    }

    /// The current in and out rates (bits/s) of an interface of agent `agent`, for tests.
    pub fn rates_bps(&self, agent: usize, if_index: u32) -> Option<(f64, f64)> {
        let model = self.models.get(agent)?.as_ref()?;
        Some(model.rates_bps(if_index, &model.moment()))
    }

    /// Stops every agent and waits for their tasks.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Serves one agent's socket until cancelled.
async fn serve(socket: Arc<UdpSocket>, model: Arc<AgentModel>, stats: Arc<SimStats>) {
    let mut packet = vec![0u8; RECEIVE_BYTES];
    let mut reply = Vec::with_capacity(model.spec.max_reply_bytes);
    let mut scratch = Scratch::default();
    let mut dice = mix(model.spec.seed ^ 0x5eed);
    let latency = Duration::from_millis(model.spec.latency_ms);
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut packet).await else {
            continue; // e.g. ICMP errors reported on the socket
        };
        stats.requests.fetch_add(1, Relaxed);
        if model.spec.loss_percent > 0.0 {
            dice = mix(dice);
            if (dice % 10_000) as f64 / 100.0 < model.spec.loss_percent {
                stats.lost.fetch_add(1, Relaxed);
                continue;
            }
        }
        let outcome = responder::respond(&model, &packet[..len], &model.moment(), &mut scratch, &mut reply);
        stats.record(&outcome);
        if outcome.is_err() {
            continue;
        }
        let mut delay = latency;
        if let Some(fault) = model.spec.misbehave {
            dice = mix(dice);
            delay += fault.apply(&packet[..len], &mut reply, dice);
        }
        if delay.is_zero() {
            let _ = socket.send_to(&reply, peer).await;
        } else {
            let (socket, delayed) = (socket.clone(), reply.clone());
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = socket.send_to(&delayed, peer).await;
            });
        }
    }
}
