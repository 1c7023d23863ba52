//! The entries a log view holds, newest first, and how pages and live entries join them. Ids only grow
//! on the server, so order by id is order of arrival, a union by id never shows an entry twice, and the
//! `cursor` for older entries is always the id of the oldest one held. Pure.

export interface LogList<T extends { id: number }> {
  /** Newest (highest id) first, no id twice. */
  entries: T[];
  /** Pass as `cursor` to get older entries; null when the oldest held is the oldest there is. */
  nextCursor: number | null;
}

/** The live tail keeps at most this many rows; older ones are dropped and can be loaded again. */
export const MAX_LIVE_ROWS = 1000;

function union<T extends { id: number }>(a: readonly T[], b: readonly T[]): T[] {
  const byId = new Map<number, T>();
  for (const e of a) byId.set(e.id, e);
  for (const e of b) if (!byId.has(e.id)) byId.set(e.id, e);
  return [...byId.values()].sort((x, y) => y.id - x.id);
}

/** Keep the newest `max`; what is dropped stays reachable through the cursor. */
function capped<T extends { id: number }>(entries: T[], nextCursor: number | null, max: number): LogList<T> {
  if (entries.length <= max) return { entries, nextCursor };
  const kept = entries.slice(0, max);
  return { entries: kept, nextCursor: kept[kept.length - 1]!.id };
}

/** New entries from the event stream, on top; the oldest beyond `max` go. */
export function prependLive<T extends { id: number }>(list: LogList<T>, incoming: readonly T[], max = MAX_LIVE_ROWS): LogList<T> {
  if (incoming.length === 0) return list;
  return capped(union(list.entries, incoming), list.nextCursor, max);
}

/** The answer of a "Load older" request (`cursor` = list.nextCursor) added at the bottom. */
export function appendOlder<T extends { id: number }>(list: LogList<T>, page: LogList<T>): LogList<T> {
  return { entries: union(list.entries, page.entries), nextCursor: page.nextCursor };
}

/**
 * The first page fetched again after the stream was down (tab hidden, reconnection): what came meanwhile
 * goes on top. When even the oldest of a full page is newer than anything held, entries between them
 * may be missing: the page replaces the list rather than leave a silent hole.
 */
export function catchUp<T extends { id: number }>(list: LogList<T>, firstPage: LogList<T>, max = MAX_LIVE_ROWS): LogList<T> {
  const newestHeld = list.entries[0]?.id ?? -Infinity;
  const oldestFetched = firstPage.entries[firstPage.entries.length - 1]?.id;
  const gap = firstPage.nextCursor !== null && oldestFetched !== undefined && oldestFetched > newestHeld;
  if (gap || list.entries.length === 0) return firstPage;
  return capped(union(list.entries, firstPage.entries), list.nextCursor, max);
}
