//! The poller feed's shapes: a shard's devices with their credentials.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which share of the devices a poller asks for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// `I/N`: shard I of N (rendezvous hashing of device ids, FNV-1a 64 over `"<id>/<i>"`).
    #[param(example = "0/2")]
    pub shard: String,
}

/// The devices of one shard, with their credentials.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollerFeed {
    /// The shard asked for, `I/N`.
    #[schema(example = "0/2")]
    pub shard: String,
    /// Each device as `POST /devices/import` takes it (`name`, `host`, `port`, `snmp` with its
    /// community or SNMPv3 passwords, `pollIntervalSecs`, `timeoutMs`, `retries`,
    /// `pingIntervalSecs`, `parentId`, `tags`), plus `id` and `createdAt`. Ordered by id.
    #[schema(value_type = Vec<Object>)]
    pub devices: Vec<serde_json::Value>,
}
