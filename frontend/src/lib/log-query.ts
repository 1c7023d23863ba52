//! The filters of the log views: source, minimum severity, text and time range; how they live in the URL
//! (`?source=trap&minSeverity=4&q=link&range=1h`, or `&from=&to=` in Unix seconds, `&live=1`), the API
//! query they make, and whether an entry pushed by the event stream passes them (the live tail).
//! Severity names follow syslog. Pure: the current time is always passed in.

import type { LogEntryView } from "../api/client";

/** Every source the API has (`audit`: who logged in, changed a user, a token or a device). */
export const LOG_SOURCES = ["syslog", "trap", "event", "audit"] as const;
export type LogSource = (typeof LOG_SOURCES)[number];
// A source the API adds and this list lacks fails the type check here.
type MissingSource = Exclude<LogEntryView["source"], LogSource>;
export const ALL_SOURCES_LISTED: [MissingSource] extends [never] ? true : never = true;

/** Syslog's short keywords by severity, 0 (most severe) to 7. */
export const SEVERITY_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;
/** The same in words, for titles and the filter. */
export const SEVERITY_WORDS = ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"] as const;

/** The name of a severity, or `sev N` for a value outside 0..7 (never hidden). */
export function severityName(severity: number): string {
  return SEVERITY_NAMES[severity] ?? `sev ${severity}`;
}

/** Colour family of a severity's badge; the badge's text says the severity too. */
export function severityTone(severity: number): "critical" | "error" | "warning" | "notice" | "quiet" {
  if (severity <= 2) return "critical";
  if (severity === 3) return "error";
  if (severity === 4) return "warning";
  if (severity === 5) return "notice";
  return "quiet";
}

export const LOG_RANGE_PRESETS = ["15m", "1h", "24h", "7d", "all"] as const;
export type LogRangePreset = (typeof LOG_RANGE_PRESETS)[number];
export const LOG_RANGE_LABELS: Record<LogRangePreset, string> = {
  "15m": "Last 15 minutes",
  "1h": "Last hour",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  all: "All time",
};
const RANGE_SECS: Record<Exclude<LogRangePreset, "all">, number> = { "15m": 900, "1h": 3600, "24h": 86_400, "7d": 7 * 86_400 };

export type LogRange = { kind: "preset"; preset: LogRangePreset } | { kind: "custom"; from: number; to: number };

export interface LogFilters {
  source: LogSource | null;
  /** Keep entries at least this severe (0..7); null keeps all. */
  minSeverity: number | null;
  /** Case-insensitive substring of the message, app name or host name; "" for none. */
  q: string;
  range: LogRange;
  /** Prepend new entries from the event stream. Only with a preset range: a custom one ends in the past. */
  live: boolean;
}

export const DEFAULT_LOG_FILTERS: LogFilters = { source: null, minSeverity: null, q: "", range: { kind: "preset", preset: "all" }, live: false };

const isSource = (v: string | null): v is LogSource => v !== null && (LOG_SOURCES as readonly string[]).includes(v);
const isRangePreset = (v: string | null): v is LogRangePreset => v !== null && (LOG_RANGE_PRESETS as readonly string[]).includes(v);
const secs = (text: string | null) => (text !== null && /^\d{1,12}$/.test(text) ? Number(text) : null);

/** Filters from a query string; anything unreadable falls back to its default, so a mangled link still opens. */
export function parseLogFilters(query: URLSearchParams): LogFilters {
  const source = query.get("source");
  const sev = query.get("minSeverity");
  const from = secs(query.get("from"));
  const to = secs(query.get("to"));
  const preset = query.get("range");
  const range: LogRange =
    from !== null && to !== null && from < to
      ? { kind: "custom", from, to }
      : { kind: "preset", preset: isRangePreset(preset) ? preset : "all" };
  return {
    source: isSource(source) ? source : null,
    minSeverity: sev !== null && /^[0-7]$/.test(sev) ? Number(sev) : null,
    q: (query.get("q") ?? "").trim(),
    range,
    live: query.get("live") === "1" && range.kind === "preset",
  };
}

/** The URL parameters of `filters`, for `withParams`: defaults are removed so links stay short. */
export function logFilterParams(filters: LogFilters): Record<string, string | null> {
  const { range } = filters;
  return {
    source: filters.source,
    minSeverity: filters.minSeverity === null ? null : String(filters.minSeverity),
    q: filters.q || null,
    range: range.kind === "preset" && range.preset !== "all" ? range.preset : null,
    from: range.kind === "custom" ? String(range.from) : null,
    to: range.kind === "custom" ? String(range.to) : null,
    live: filters.live && range.kind === "preset" ? "1" : null,
  };
}

/** A stable text of the filters that change what the server answers (not `live`), to tell a change apart. */
export function filtersKey(filters: LogFilters): string {
  const { live: _live, ...rest } = filters;
  return JSON.stringify(rest);
}

export interface LogApiQuery {
  source?: LogSource;
  minSeverity?: number;
  q?: string;
  from?: number;
  to?: number;
  limit?: number;
  cursor?: number;
}

/** The query of `GET /logs` for these filters at `nowSecs`; a preset window has no end, so new entries count. */
export function toLogApiQuery(filters: LogFilters, nowSecs: number, limit: number, cursor: number | null = null): LogApiQuery {
  const query: LogApiQuery = { limit };
  if (filters.source) query.source = filters.source;
  if (filters.minSeverity !== null) query.minSeverity = filters.minSeverity;
  if (filters.q) query.q = filters.q;
  const { range } = filters;
  if (range.kind === "custom") {
    query.from = range.from;
    query.to = range.to;
  } else if (range.preset !== "all") {
    query.from = Math.floor(nowSecs) - RANGE_SECS[range.preset];
  }
  if (cursor !== null) query.cursor = cursor;
  return query;
}

/** What the live tail needs of an entry. */
export interface FilterableEntry {
  source: string;
  severity: number;
  receivedAt: number;
  message: string;
  appName?: string | null;
  hostname?: string | null;
}

/** Whether the server would have answered `entry` for these filters: the same rules, applied in the browser. */
export function matchesFilters(entry: FilterableEntry, filters: LogFilters, nowSecs: number): boolean {
  if (filters.source && entry.source !== filters.source) return false;
  if (filters.minSeverity !== null && entry.severity > filters.minSeverity) return false;
  if (filters.q) {
    const needle = filters.q.toLowerCase();
    const texts = [entry.message, entry.appName, entry.hostname];
    if (!texts.some((t) => typeof t === "string" && t.toLowerCase().includes(needle))) return false;
  }
  const { range } = filters;
  if (range.kind === "custom") return entry.receivedAt >= range.from && entry.receivedAt <= range.to;
  if (range.preset !== "all") return entry.receivedAt >= Math.floor(nowSecs) - RANGE_SECS[range.preset];
  return true;
}

/** "Last hour", "All time", or the custom window through `format`. */
export function describeLogRange(range: LogRange, format: (secs: number) => string): string {
  return range.kind === "custom" ? `${format(range.from)} – ${format(range.to)}` : LOG_RANGE_LABELS[range.preset];
}
