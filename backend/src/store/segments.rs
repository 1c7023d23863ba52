//! Time-segmented files: a series is cut into files named by the UTC date their segment starts
//! (`2026-11-25.jsonl`, and `2026-11-25.jsonl.zst` once sealed), so retention deletes whole
//! files and a query opens only the files its range overlaps.

use std::path::{Path, PathBuf};

pub const DAY_SECS: i64 = 86_400;

/// The file for the segment holding `ts`.
pub fn path_for(dir: &Path, ts: i64, segment_secs: i64) -> PathBuf {
    dir.join(format!("{}.jsonl", civil_date(ts.div_euclid(segment_secs) * segment_secs)))
}

/// The segment files in `dir` that may hold data in `[from, to]`, oldest first.
pub fn overlapping(dir: &Path, from: i64, to: i64, segment_secs: i64) -> Vec<PathBuf> {
    let mut found: Vec<(i64, PathBuf)> =
        list(dir).into_iter().filter(|(start, _)| *start <= to && start + segment_secs > from).collect();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// Deletes the segment files in `dir` that end before `cutoff`, plain and sealed; answers how
/// many bytes went.
pub fn delete_before(dir: &Path, cutoff: i64, segment_secs: i64) -> u64 {
    let mut freed = 0;
    for (start, path) in list_files(dir) {
        if start + segment_secs <= cutoff {
            freed += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if let Err(e) = std::fs::remove_file(&path) {
                log::warn!("cannot delete expired segment {}: {e}", path.display());
            }
        }
    }
    freed
}

/// The segments in `dir`, each once, named by its plain file (`<date>.jsonl`) whether it has
/// one, a sealed one (`<date>.jsonl.zst`, see [`super::seal`]) or both.
fn list(dir: &Path) -> Vec<(i64, PathBuf)> {
    let mut found: Vec<(i64, PathBuf)> = list_files(dir)
        .into_iter()
        .map(|(start, path)| match path.to_str().and_then(|p| p.strip_suffix(".zst")) {
            Some(plain) => (start, PathBuf::from(plain)),
            None => (start, path),
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

fn list_files(dir: &Path) -> Vec<(i64, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name();
            let name = name.to_str()?;
            let date = name.strip_suffix(".jsonl").or_else(|| name.strip_suffix(".jsonl.zst"))?;
            Some((parse_civil_date(date)?, e.path()))
        })
        .collect()
}

/// `YYYY-MM-DD` of a Unix time (UTC), by Howard Hinnant's civil-from-days algorithm.
pub fn civil_date(ts: i64) -> String {
    let z = ts.div_euclid(DAY_SECS) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Unix time of midnight UTC of a `YYYY-MM-DD` date (days-from-civil).
pub fn parse_civil_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * DAY_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(1_728_318_841), "2024-10-07");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
        for ts in [0, 951_782_400, 1_728_259_200, 4_102_444_800] {
            assert_eq!(parse_civil_date(&civil_date(ts)), Some(ts));
        }
        assert_eq!(parse_civil_date("2026-13-01"), None);
    }

    #[test]
    fn retention_deletes_whole_expired_segments_only() {
        let dir = tempfile::tempdir().unwrap();
        for day in 0..4 {
            std::fs::write(path_for(dir.path(), day * DAY_SECS + 5, DAY_SECS), "x\n").unwrap();
        }
        assert_eq!(overlapping(dir.path(), DAY_SECS + 1, 2 * DAY_SECS, DAY_SECS).len(), 2);
        assert_eq!(delete_before(dir.path(), 2 * DAY_SECS + 10, DAY_SECS), 4);
        assert_eq!(overlapping(dir.path(), 0, 10 * DAY_SECS, DAY_SECS).len(), 2);
    }
}
