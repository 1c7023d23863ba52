//! `<data-dir>/alert-rules.json`, `maintenance-windows.json` and `incidents.json` (open incidents
//! and the recent resolved ones): whole JSON documents with a format version, replaced
//! atomically. Alerting owns what they mean; this only reads and writes them.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{io_error, replace, StoreError};
use crate::alerts::incident::Incident;
use crate::alerts::maintenance::Window;
use crate::alerts::rule::Rule;

const FORMAT_VERSION: u32 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Versioned<T> {
    version: u32,
    items: Vec<T>,
}

#[derive(Serialize)]
struct VersionedRef<'a, T> {
    version: u32,
    items: &'a [T],
}

/// The incidents as of the last write.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentsRecord {
    pub open: Vec<Incident>,
    /// Newest first.
    pub recent: Vec<Incident>,
}

pub struct AlertFiles {
    dir: PathBuf,
}

impl AlertFiles {
    pub fn new(data_dir: &Path) -> AlertFiles {
        AlertFiles { dir: data_dir.to_path_buf() }
    }

    pub fn load_rules(&self) -> Result<Vec<Rule>, StoreError> {
        self.load("alert-rules.json")
    }

    pub fn save_rules(&self, rules: &[Rule]) -> Result<(), StoreError> {
        self.save("alert-rules.json", rules)
    }

    pub fn load_windows(&self) -> Result<Vec<Window>, StoreError> {
        self.load("maintenance-windows.json")
    }

    pub fn save_windows(&self, windows: &[Window]) -> Result<(), StoreError> {
        self.save("maintenance-windows.json", windows)
    }

    pub fn load_incidents(&self) -> Result<IncidentsRecord, StoreError> {
        let path = self.dir.join("incidents.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Corrupt { path: path.clone(), reason: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IncidentsRecord::default()),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    pub fn save_incidents(&self, record: &IncidentsRecord) -> Result<(), StoreError> {
        let path = self.dir.join("incidents.json");
        let bytes = serde_json::to_vec(record).expect("incidents serialize");
        replace::write_atomic(&path, &bytes).map_err(io_error(&path))
    }

    fn load<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<T>, StoreError> {
        let path = self.dir.join(name);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&path)(e)),
        };
        let file: Versioned<T> = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt { path: path.clone(), reason: e.to_string() })?;
        if file.version != FORMAT_VERSION {
            let reason = format!("format version {} is not {FORMAT_VERSION}", file.version);
            return Err(StoreError::Corrupt { path, reason });
        }
        Ok(file.items)
    }

    fn save<T: Serialize>(&self, name: &str, items: &[T]) -> Result<(), StoreError> {
        let path = self.dir.join(name);
        let bytes =
            serde_json::to_vec_pretty(&VersionedRef { version: FORMAT_VERSION, items }).expect("records serialize");
        replace::write_atomic(&path, &bytes).map_err(io_error(&path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::{RuleId, RuleKind, RuleSettings, Scope};

    #[test]
    fn rules_round_trip_and_a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let files = AlertFiles::new(dir.path());
        assert!(files.load_rules().unwrap().is_empty());
        let rule = Rule {
            id: RuleId("0000000a".into()),
            name: "Uplinks busy".into(),
            created_at: 1,
            kind: RuleKind::Utilization { threshold_percent: 80.0 },
            scope: Scope::Tags(vec!["core".into()]),
            settings: RuleSettings::default(),
            channel_ids: vec![],
        };
        files.save_rules(std::slice::from_ref(&rule)).unwrap();
        assert_eq!(files.load_rules().unwrap(), vec![rule]);
    }
}
