//! `<data-dir>/notify/outbox/<delivery-id>.json`: one file per pending notification delivery
//! (mode 0600, written atomically), so that a delivery survives a restart or a crash. A file is
//! rewritten after each failed attempt and removed once the delivery is made or given up.

use std::path::{Path, PathBuf};

use super::{io_error, replace, StoreError};
use crate::notify::outbox::PendingRecord;

#[derive(Clone)]
pub struct OutboxDir {
    dir: PathBuf,
}

impl OutboxDir {
    pub fn new(data_dir: &Path) -> OutboxDir {
        OutboxDir { dir: data_dir.join("notify").join("outbox") }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes (or rewrites) one delivery.
    pub fn write(&self, record: &PendingRecord) -> Result<(), StoreError> {
        let path = self.path(&record.id);
        let bytes = serde_json::to_vec(record).expect("a delivery serializes");
        replace::write_atomic(&path, &bytes).map_err(io_error(&path))
    }

    /// Removes one delivery's file (a missing one is fine).
    pub fn remove(&self, id: &str) -> Result<(), StoreError> {
        let path = self.path(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    /// Every pending delivery, oldest first. A file that cannot be read (not Vigie's, or hurt
    /// by something else) is renamed `*.corrupt`, logged, and left out.
    pub fn load(&self) -> Result<Vec<PendingRecord>, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(io_error(&self.dir))?;
        replace::remove_stale_temps(&self.dir);
        let mut records = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io_error(&self.dir))? {
            let path = entry.map_err(io_error(&self.dir))?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let read = std::fs::read(&path).map_err(|e| e.to_string());
            match read.and_then(|bytes| serde_json::from_slice::<PendingRecord>(&bytes).map_err(|e| e.to_string())) {
                Ok(record) if path.file_stem().is_some_and(|s| *s == *record.id) => records.push(record),
                Ok(_) => set_aside(&path, "its name is not its delivery's id"),
                Err(reason) => set_aside(&path, &reason),
            }
        }
        records.sort_by_key(|r| r.seq);
        Ok(records)
    }
}

fn set_aside(path: &Path, reason: &str) {
    let aside = path.with_extension("corrupt");
    log::error!(
        "The pending notification {} cannot be read ({reason}); it is kept as {} and will not be sent.",
        path.display(),
        aside.display()
    );
    let _ = std::fs::rename(path, aside);
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::notify::{ChannelId, Notification, NotifyEvent};

    #[test]
    fn deliveries_survive_in_private_files_and_a_bad_one_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = OutboxDir::new(dir.path());
        assert!(outbox.load().unwrap().is_empty());
        let notification = Notification {
            event: NotifyEvent::Open,
            incident: serde_json::Map::new(),
            summary: "s".into(),
            detail: "d".into(),
        };
        let records: Vec<PendingRecord> = (1..=3)
            .map(|seq| {
                PendingRecord::new(format!("{seq:016x}"), seq, ChannelId("0000000a".into()), notification.clone(), 5)
            })
            .collect();
        for r in records.iter().rev() {
            outbox.write(r).unwrap();
        }
        outbox.remove(&records[1].id).unwrap();
        outbox.remove(&records[1].id).unwrap();
        std::fs::write(outbox.dir().join("ffff.json"), b"{\"torn").unwrap();
        assert_eq!(outbox.load().unwrap(), vec![records[0].clone(), records[2].clone()]);
        assert!(outbox.dir().join("ffff.corrupt").exists());
        let mode =
            std::fs::metadata(outbox.dir().join(format!("{}.json", records[0].id))).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
