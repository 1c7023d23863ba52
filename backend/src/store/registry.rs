//! The device registry: `devices.json`, the configs of the supervised devices (communities
//! included, so the file is mode 0600). Readers see the list in memory; a change is written to
//! disk first and shown to readers only once written, so a failed write (disk full) changes
//! nothing. An unreadable `devices.json` stops the start: it is the one file that cannot be
//! rebuilt, so it is never overwritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use super::records::{DeviceRecord, DevicesFile, FORMAT_VERSION};
use super::replace;
use super::{now_secs, StoreError};
use crate::device::{Device, DeviceConfig, DeviceId};

pub struct Registry {
    path: PathBuf,
    /// What readers see; the lock is held for memory only.
    devices: RwLock<BTreeMap<DeviceId, Device>>,
    /// Serialises the writers of `devices.json` (API handlers, on blocking threads). It is the
    /// one lock held across disk I/O, and neither readers nor pollers take it.
    writer: Mutex<()>,
    /// Moves on every change of the list, after readers see it: what a reader keeps of a
    /// device's config (see `slot`) is still current while this has not moved.
    generation: AtomicU64,
}

impl Registry {
    /// Reads `path`; a missing file is an empty registry.
    pub fn load(path: &Path) -> Result<Registry, StoreError> {
        let devices = read(path)?.into_iter().map(|d| (d.id.clone(), d)).collect();
        Ok(Registry {
            path: path.to_path_buf(),
            devices: RwLock::new(devices),
            writer: Mutex::new(()),
            generation: AtomicU64::new(0),
        })
    }

    pub fn get(&self, id: &DeviceId) -> Option<Device> {
        self.devices.read().expect("registry lock").get(id).cloned()
    }

    /// Reads one device in place under the read lock (memory only).
    pub fn with<T>(&self, id: &DeviceId, read: impl FnOnce(&Device) -> T) -> Option<T> {
        self.devices.read().expect("registry lock").get(id).map(read)
    }

    /// The count of changes of the list so far (memory only): unchanged, so is every device's
    /// config.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Every device, ordered by id.
    pub fn list(&self) -> Vec<Device> {
        self.devices.read().expect("registry lock").values().cloned().collect()
    }

    pub fn ids(&self) -> Vec<DeviceId> {
        self.devices.read().expect("registry lock").keys().cloned().collect()
    }

    /// Visits every device, ordered by id, under the read lock (memory only).
    pub fn visit<T>(&self, each: impl FnMut(&Device) -> T) -> Vec<T> {
        self.devices.read().expect("registry lock").values().map(each).collect()
    }

    /// Adds a device; nothing changes if it duplicates another's host and port.
    pub fn add(&self, config: DeviceConfig) -> Result<Device, StoreError> {
        self.change(|devices| insert_new(devices, config))
    }

    /// Adds every device or none (one write of the list); on failure, the error names the
    /// position in `configs` of the device refused, when one was.
    pub fn add_all(&self, configs: Vec<DeviceConfig>) -> Result<Vec<Device>, (Option<usize>, StoreError)> {
        let mut refused = None;
        let result = self.change(|devices| {
            let mut added = Vec::with_capacity(configs.len());
            for (i, config) in configs.into_iter().enumerate() {
                refused = Some(i);
                added.push(insert_new(devices, config)?);
            }
            refused = None;
            Ok(added)
        });
        result.map_err(|e| (refused, e))
    }

    /// Replaces a device's config; nothing changes if it would duplicate another device.
    pub fn update(&self, id: &DeviceId, config: DeviceConfig) -> Result<Device, StoreError> {
        self.change(|devices| {
            let old = devices.get(id).ok_or_else(|| super::not_found(id))?;
            check_unique(devices, &config, Some(id))?;
            check_parent(devices, id, &config)?;
            let device = Device { config, ..old.clone() };
            devices.insert(id.clone(), device.clone());
            Ok(device)
        })
    }

    /// Removes a device from the list (its data is the caller's to delete); its children lose
    /// their parent.
    pub fn remove(&self, id: &DeviceId) -> Result<Device, StoreError> {
        self.change(|devices| {
            let removed = devices.remove(id).ok_or_else(|| super::not_found(id))?;
            for child in devices.values_mut().filter(|d| d.config.parent_id.as_ref() == Some(id)) {
                child.config.parent_id = None;
            }
            Ok(removed)
        })
    }

    /// Makes the list exactly `devices` (ids kept: a sharded poller mirrors its primary's share);
    /// answers the devices added or changed, and those removed. The primary validated them.
    pub fn replace_all(&self, devices: Vec<Device>) -> Result<(Vec<Device>, Vec<Device>), StoreError> {
        self.change(|current| {
            let next: BTreeMap<DeviceId, Device> = devices.into_iter().map(|d| (d.id.clone(), d)).collect();
            let removed = current.values().filter(|d| !next.contains_key(&d.id)).cloned().collect();
            let started = next.values().filter(|d| current.get(&d.id) != Some(*d)).cloned().collect();
            *current = next;
            Ok((started, removed))
        })
    }

    /// The devices whose parent is `id` (memory only).
    pub fn children(&self, id: &DeviceId) -> Vec<DeviceId> {
        let devices = self.devices.read().expect("registry lock");
        devices.values().filter(|d| d.config.parent_id.as_ref() == Some(id)).map(|d| d.id.clone()).collect()
    }

    /// Applies `edit` to a copy of the list, writes the copy, then shows it to readers.
    fn change<T>(
        &self,
        edit: impl FnOnce(&mut BTreeMap<DeviceId, Device>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _writer = self.writer.lock().expect("registry writer lock");
        let mut next = self.devices.read().expect("registry lock").clone();
        let answer = edit(&mut next)?;
        let file = DevicesFile { version: FORMAT_VERSION, devices: next.values().map(DeviceRecord::from).collect() };
        let bytes = serde_json::to_vec_pretty(&file).expect("devices serialize");
        replace::write_atomic(&self.path, &bytes).map_err(super::io_error(&self.path))?;
        *self.devices.write().expect("registry lock") = next;
        self.generation.fetch_add(1, Ordering::Release);
        Ok(answer)
    }
}

/// The devices in `path`; a corrupt file is an error naming the file, the line and the reason.
fn read(path: &Path) -> Result<Vec<Device>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(super::io_error(path)(e)),
    };
    let corrupt = |reason: String| StoreError::Corrupt { path: path.to_path_buf(), reason };
    // serde_json's message ends with "at line L column C".
    let file: DevicesFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if file.version != FORMAT_VERSION {
        return Err(corrupt(format!("format version {} is not {FORMAT_VERSION}", file.version)));
    }
    Ok(file.devices.into_iter().map(Device::from).collect())
}

/// The parent must exist, and following parents from `id` must never come back to it.
/// Adds a device under a new random id, unless it duplicates another or its parent is wrong.
fn insert_new(devices: &mut BTreeMap<DeviceId, Device>, config: DeviceConfig) -> Result<Device, StoreError> {
    check_unique(devices, &config, None)?;
    let mut id = DeviceId::random();
    while devices.contains_key(&id) {
        id = DeviceId::random();
    }
    check_parent(devices, &id, &config)?;
    let device = Device { id: id.clone(), created_at: now_secs(), config };
    devices.insert(id, device.clone());
    Ok(device)
}

fn check_parent(devices: &BTreeMap<DeviceId, Device>, id: &DeviceId, config: &DeviceConfig) -> Result<(), StoreError> {
    let Some(parent) = &config.parent_id else { return Ok(()) };
    let mut next = Some(parent);
    // The chain is at most as long as the list: a longer walk is a loop.
    for _ in 0..=devices.len() {
        let Some(at) = next else { return Ok(()) };
        if at == id {
            return Err(StoreError::ParentCycle { id: id.clone(), parent: parent.clone() });
        }
        let Some(device) = devices.get(at) else {
            return Err(StoreError::ParentNotFound { parent: at.clone() });
        };
        next = device.config.parent_id.as_ref();
    }
    Err(StoreError::ParentCycle { id: id.clone(), parent: parent.clone() })
}

fn check_unique(
    devices: &BTreeMap<DeviceId, Device>,
    config: &DeviceConfig,
    except: Option<&DeviceId>,
) -> Result<(), StoreError> {
    let clash = devices.values().find(|d| {
        Some(&d.id) != except && d.config.port == config.port && d.config.host.eq_ignore_ascii_case(&config.host)
    });
    match clash {
        Some(d) => {
            Err(StoreError::DuplicateDevice { host: config.host.clone(), port: config.port, existing: d.id.clone() })
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::Credentials;

    fn config(name: &str, port: u16) -> DeviceConfig {
        DeviceConfig {
            name: name.into(),
            host: "127.0.0.1".into(),
            port,
            credentials: Credentials::V2c { community: "public".into() },
            poll_interval_secs: 60,
            timeout_ms: 1000,
            retries: 1,
            ..DeviceConfig::v2c("x", "127.0.0.1", 161, "x")
        }
    }

    #[test]
    fn parents_exist_never_loop_and_are_cleared_when_removed() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::load(&dir.path().join("devices.json")).unwrap();
        let core = registry.add(config("core", 161)).unwrap();
        let under = |name: &str, port: u16, parent: &Device| DeviceConfig {
            parent_id: Some(parent.id.clone()),
            ..config(name, port)
        };
        let edge = registry.add(under("edge", 162, &core)).unwrap();
        let leaf = registry.add(under("leaf", 163, &edge)).unwrap();
        let missing = DeviceConfig { parent_id: Some(DeviceId("0badf00d".into())), ..config("x", 164) };
        assert!(matches!(registry.add(missing), Err(StoreError::ParentNotFound { .. })));
        assert!(matches!(registry.update(&core.id, under("core", 161, &leaf)), Err(StoreError::ParentCycle { .. })));
        assert!(matches!(registry.update(&core.id, under("core", 161, &core)), Err(StoreError::ParentCycle { .. })));
        assert_eq!(registry.children(&edge.id), vec![leaf.id.clone()]);
        registry.remove(&edge.id).unwrap();
        assert_eq!(registry.get(&leaf.id).unwrap().config.parent_id, None, "the removed parent is cleared");
    }

    #[test]
    fn a_corrupt_devices_json_names_its_line_and_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.json");
        let registry = Registry::load(&path).unwrap();
        registry.add(config("a", 161)).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.truncate(text.len() / 2); // a torn write by something else than Vigie
        std::fs::write(&path, &text).unwrap();
        let error = Registry::load(&path).err().expect("a corrupt registry stops the start").to_string();
        assert!(error.contains("devices.json") && error.contains(" line "), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "never overwritten");
    }

    #[test]
    fn a_change_that_cannot_be_written_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.json");
        let registry = Registry::load(&path).unwrap();
        let kept = registry.add(config("a", 161)).unwrap();
        // A directory where the temp file's directory should be makes every write fail.
        let broken = Registry { path: dir.path().join("missing/devices.json"), ..Registry::load(&path).unwrap() };
        std::fs::write(dir.path().join("missing"), b"a file, not a directory").unwrap();
        assert!(matches!(broken.add(config("b", 162)), Err(StoreError::Io { .. })));
        assert!(matches!(broken.remove(&kept.id), Err(StoreError::Io { .. })));
        assert_eq!(broken.ids(), vec![kept.id.clone()], "neither the add nor the removal happened");
        assert!(matches!(registry.add(config("c", 161)), Err(StoreError::DuplicateDevice { .. })));
    }

    #[test]
    fn every_snmp_version_survives_a_restart_in_a_file_only_its_owner_reads() {
        use std::os::unix::fs::PermissionsExt;

        use crate::snmp::{AuthProtocol, PrivProtocol, SecurityLevel, UsmCredentials};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.json");
        let registry = Registry::load(&path).unwrap();
        let usm = UsmCredentials {
            user: "monitor".into(),
            level: SecurityLevel::AuthPriv,
            auth_protocol: Some(AuthProtocol::Sha512),
            auth_password: Some("auth-pass-1".into()),
            priv_protocol: Some(PrivProtocol::Aes256c),
            priv_password: Some("priv-pass-1".into()),
            context_name: "vlan-10".into(),
        };
        let no_auth = UsmCredentials {
            level: SecurityLevel::NoAuthNoPriv,
            auth_protocol: None,
            auth_password: None,
            priv_protocol: None,
            priv_password: None,
            context_name: String::new(),
            ..usm.clone()
        };
        let credentials = [
            Credentials::V1 { community: "old-printer".into() },
            Credentials::V2c { community: "public".into() },
            Credentials::V3(usm),
            Credentials::V3(no_auth),
        ];
        for (port, credentials) in (161..).zip(credentials) {
            registry.add(DeviceConfig { credentials, ..config("d", port) }).unwrap();
        }
        assert_eq!(Registry::load(&path).unwrap().list(), registry.list());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""version": "v3""#) && text.contains(r#""securityLevel": "noAuthNoPriv""#), "{text}");
        assert!(!text.contains("null"), "unused fields are left out, not written as null: {text}");
    }

    #[test]
    fn a_devices_json_written_before_snmpv3_loads_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.json");
        // Exactly what Vigie wrote when SNMPv2c was its only version.
        let old = r#"{
  "version": 1,
  "devices": [
    {
      "id": "3f9a2c1b",
      "createdAt": 1764070000,
      "name": "core-sw1",
      "host": "192.0.2.1",
      "port": 161,
      "snmp": {
        "version": "v2c",
        "community": "s3cret"
      },
      "pollIntervalSecs": 60,
      "timeoutMs": 1000,
      "retries": 1
    }
  ]
}"#;
        std::fs::write(&path, old).unwrap();
        let devices = Registry::load(&path).unwrap().list();
        assert_eq!(devices.len(), 1);
        let expected = DeviceConfig::v2c("core-sw1", "192.0.2.1", 161, "s3cret");
        assert_eq!(
            (devices[0].id.0.as_str(), devices[0].created_at, &devices[0].config),
            ("3f9a2c1b", 1764070000, &expected)
        );
        // Written again by today's Vigie, a v2c device reads the same bytes.
        let registry = Registry::load(&path).unwrap();
        registry.update(&devices[0].id, devices[0].config.clone()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), old);
    }
}
