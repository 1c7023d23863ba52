//! Vigie's own SNMP engine identity, kept in the data dir (`snmp-engine.json`, mode 0600): an
//! engine ID generated once (RFC 3411 enterprise format, random), and snmpEngineBoots, one more
//! at each start. SNMPv3 INFORM senders localise their keys to this ID, so it must not change.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::replace::write_atomic;
use super::{io_error, StoreError};

const FILE: &str = "snmp-engine.json";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EngineFile {
    /// Hex.
    engine_id: String,
    boots: u32,
}

/// Vigie's engine ID and this run's snmpEngineBoots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEngine {
    pub engine_id: Vec<u8>,
    pub boots: u32,
}

/// Reads the engine of `dir` (making one the first time) and counts this start as a boot.
pub fn start_engine(dir: &Path) -> Result<LocalEngine, StoreError> {
    let path = dir.join(FILE);
    let corrupt = |reason: String| StoreError::Corrupt { path: path.clone(), reason };
    let previous = match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice::<EngineFile>(&bytes).map_err(|e| corrupt(e.to_string()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(&path)(e)),
    };
    let engine = match previous {
        Some(file) => {
            let engine_id =
                decode_hex(&file.engine_id).ok_or_else(|| corrupt("engineId is not 5 to 32 hex bytes".into()))?;
            // RFC 3414 §2.2: boots stays at 2147483647 once reached.
            LocalEngine { engine_id, boots: file.boots.saturating_add(1).min(i32::MAX as u32) }
        }
        None => {
            // 0x80001f88 (net-snmp's enterprise number, the format bit set), 0x05 (octets), 8 random.
            let mut engine_id = vec![0x80, 0x00, 0x1f, 0x88, 0x05];
            engine_id.extend(rand::random::<[u8; 8]>());
            LocalEngine { engine_id, boots: 1 }
        }
    };
    let file =
        EngineFile { engine_id: engine.engine_id.iter().map(|b| format!("{b:02x}")).collect(), boots: engine.boots };
    let bytes = serde_json::to_vec_pretty(&file).map_err(|e| corrupt(e.to_string()))?;
    write_atomic(&path, &bytes).map_err(io_error(&path))?;
    Ok(engine)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !(10..=64).contains(&text.len()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_id_is_kept_and_boots_count_starts() {
        let dir = tempfile::tempdir().unwrap();
        let first = start_engine(dir.path()).unwrap();
        assert_eq!((first.engine_id.len(), first.boots), (13, 1));
        let second = start_engine(dir.path()).unwrap();
        assert_eq!((second.engine_id, second.boots), (first.engine_id, 2));
        std::fs::write(dir.path().join(FILE), "{\"engineId\": \"zz\", \"boots\": 1}").unwrap();
        assert!(matches!(start_engine(dir.path()), Err(StoreError::Corrupt { .. })));
    }
}
