//! `vigie serve --demo`: five simulated devices in the same process, registered in the store so
//! that a newcomer sees live graphs within a minute. Wiring between the simulator and the store,
//! which otherwise know nothing of each other.

use crate::device::{DeviceConfig, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS};
use crate::sim::{demo, Fleet, SimError};
use crate::snmp::Credentials;
use crate::store::Store;

/// How often demo devices are polled: often enough for live graphs within a minute.
const DEMO_POLL_INTERVAL_SECS: u32 = 10;

/// Starts the demo agents on free loopback ports and makes sure the store knows them: they are
/// added when the store has no `demo-*` device yet, and their port is updated on later starts
/// (ports are picked anew each time). Devices a user deleted are not added back.
pub async fn start(store: &Store) -> Result<Fleet, SimError> {
    let loopback = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let fleet = Fleet::start(demo::agents(), loopback, 0).await?;
    let stored = store.device_list();
    let first_run = !stored.iter().any(|d| d.config.name.starts_with(demo::NAME_PREFIX));
    for agent in fleet.agents() {
        let host = agent.addr.ip().to_string();
        let port = agent.addr.port();
        let known = stored.iter().find(|d| d.config.name == agent.name);
        let result = match known {
            Some(d) if d.config.host == host && d.config.port == port => Ok(()),
            Some(d) => {
                let config = DeviceConfig { host: host.clone(), port, ..d.config.clone() };
                store.update_device(&d.id.0, config).map(drop)
            }
            None if first_run => store
                .add_device(DeviceConfig {
                    name: agent.name.clone(),
                    host: host.clone(),
                    port,
                    credentials: Credentials::V2c { community: "public".into() },
                    poll_interval_secs: DEMO_POLL_INTERVAL_SECS,
                    timeout_ms: DEFAULT_TIMEOUT_MS,
                    retries: DEFAULT_RETRIES,
                    ..DeviceConfig::v2c(&agent.name, &host, port, "public")
                })
                .map(drop),
            None => continue,
        };
        match result {
            Ok(()) => log::info!("Demo device {} is simulated on udp:{}.", agent.name, agent.addr),
            Err(e) => log::warn!("Demo device {} could not be registered: {e}", agent.name),
        }
    }
    Ok(fleet)
}
