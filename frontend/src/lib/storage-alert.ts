//! The overview's storage banner: shown while the server reports recent failed writes (a full
//! disk), so that an operator learns that history is not being kept while live states still are.
//! Pure.

import { formatCount, formatRelative } from "./format";

/** Failures older than this no longer raise the banner (the counter in /status keeps them). */
export const STORAGE_ALERT_WINDOW_SECS = 600;

export interface StorageStatus {
  writeErrors: number;
  lastWriteError?: string | null;
  lastWriteErrorAt?: number | null;
}

/** The banner's text, or null when the last failed write is older than the window (or none). */
export function storageAlert(storage: StorageStatus, nowSecs: number, windowSecs = STORAGE_ALERT_WINDOW_SECS): string | null {
  const at = storage.lastWriteErrorAt;
  if (at == null || nowSecs - at > windowSecs) return null;
  const writes = storage.writeErrors === 1 ? "1 write" : `${formatCount(storage.writeErrors)} writes`;
  const reason = storage.lastWriteError ? `: ${storage.lastWriteError}` : "";
  return `Storage problem: ${writes} failed since start, the last ${formatRelative(at, nowSecs)}${reason}. ` +
    "Polling goes on, but new samples and logs are not being kept until the server can write again.";
}
