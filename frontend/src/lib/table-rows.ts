//! Sorting and filtering of table rows (devices, interfaces), and how a sort is written in the URL
//! (`?sort=name`, `?sort=-inBps` for descending). Pure; the views decide which keys exist.

export type SortDir = "asc" | "desc";
export interface SortState<K extends string> {
  key: K;
  dir: SortDir;
}
/** What a row offers to sort on; null sorts last in both directions ("unknown" is never the top talker). */
export type SortValue = string | number | null;

// Numeric collation so "Gi0/2" sorts before "Gi0/10", and case-insensitive.
const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** Two sort values in `sort`'s direction (+1 ascending, -1 descending), nulls last either way. */
function compareValues(a: SortValue, b: SortValue, factor: number): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return factor * (a - b);
  return factor * collator.compare(String(a), String(b));
}

/** A sorted copy of `rows`; stable, so equal rows keep their order. */
export function sortRows<T, K extends string>(
  rows: readonly T[],
  sort: SortState<K>,
  valueOf: (row: T, key: K) => SortValue,
): T[] {
  const factor = sort.dir === "asc" ? 1 : -1;
  const keyed = rows.map((row) => ({ row, value: valueOf(row, sort.key) }));
  keyed.sort((a, b) => compareValues(a.value, b.value, factor));
  return keyed.map((k) => k.row);
}

/**
 * Sorts `rows` again in place after their values changed (live rates under a rate sort): no copy, no
 * new object, and a nearly sorted list sorts in close to one pass. Equal rows are ordered by `tie`
 * (the order `sortRows` was given, e.g. ifIndex), so the result is the one `sortRows` gives.
 */
export function resortRows<T, K extends string>(
  rows: T[],
  sort: SortState<K>,
  valueOf: (row: T, key: K) => SortValue,
  tie: (a: T, b: T) => number,
): void {
  const factor = sort.dir === "asc" ? 1 : -1;
  rows.sort((a, b) => compareValues(valueOf(a, sort.key), valueOf(b, sort.key), factor) || tie(a, b));
}

/**
 * Rows matching every whitespace-separated word of `query` (case-insensitive substring) in at least one
 * of the texts `textsOf` gives for the row. An empty query keeps all rows.
 */
export function filterRows<T>(rows: readonly T[], query: string, textsOf: (row: T) => readonly (string | null | undefined)[]): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows.slice();
  return rows.filter((row) => {
    const haystack = textsOf(row)
      .filter((t): t is string => typeof t === "string" && t.length > 0)
      .join("\n")
      .toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

/** Read `?sort=` ("key" or "-key"); unknown keys give the fallback. */
export function parseSort<K extends string>(text: string | null, keys: readonly K[], fallback: SortState<K>): SortState<K> {
  if (!text) return fallback;
  const desc = text.startsWith("-");
  const key = (desc ? text.slice(1) : text) as K;
  return keys.includes(key) ? { key, dir: desc ? "desc" : "asc" } : fallback;
}

export function sortToParam<K extends string>(sort: SortState<K>): string {
  return sort.dir === "desc" ? `-${sort.key}` : sort.key;
}

/**
 * The sort after a click on column `key`: the same column flips direction; another column starts in
 * `firstDir` (descending suits rates, so the busiest come first).
 */
export function nextSort<K extends string>(current: SortState<K>, key: K, firstDir: SortDir): SortState<K> {
  if (current.key === key) return { key, dir: current.dir === "asc" ? "desc" : "asc" };
  return { key, dir: firstDir };
}
