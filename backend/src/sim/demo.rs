//! The devices of `vigie serve --demo`: five agents a newcomer can watch at once. Registering
//! them in the store is the app's wiring; this module only says what they are.

use super::model::{AgentSpec, Behaviour};

/// Demo devices are recognised in the store by this name prefix.
pub const NAME_PREFIX: &str = "demo-";

/// A 48-port switch, an 8-port router, a 32-bit-only old switch, a switch that reboots every
/// 10 minutes, and a dead device.
pub fn agents() -> Vec<AgentSpec> {
    vec![
        AgentSpec {
            sys_descr: "Vigie demo: access switch, 48 x 1G".into(),
            rate_bps: 40e6,
            seed: 11,
            ..AgentSpec::new("demo-switch", 48)
        },
        AgentSpec {
            sys_descr: "Vigie demo: edge router, 8 x 10G".into(),
            rate_bps: 1.5e9,
            speed_bps: 10_000_000_000,
            seed: 12,
            if_name_prefix: "xe-0/0/".into(),
            ..AgentSpec::new("demo-router", 8)
        },
        AgentSpec {
            sys_descr: "Vigie demo: old switch, 24 x 100M, 32-bit counters only".into(),
            hc: false,
            rate_bps: 20e6,
            speed_bps: 100_000_000,
            seed: 13,
            if_name_prefix: "Fa0/".into(),
            ..AgentSpec::new("demo-old-switch", 24)
        },
        AgentSpec {
            sys_descr: "Vigie demo: flaky switch, reboots every 10 minutes".into(),
            reboot_every_secs: Some(600),
            rate_bps: 25e6,
            seed: 14,
            ..AgentSpec::new("demo-flaky-switch", 12)
        },
        AgentSpec {
            sys_descr: "Vigie demo: unreachable device".into(),
            behaviour: Behaviour::Dead,
            seed: 15,
            ..AgentSpec::new("demo-dead", 4)
        },
    ]
}
