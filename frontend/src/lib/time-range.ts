//! Time windows of the interface graph: the presets, custom from/to, how they live in the URL
//! (`?range=6h` or `?from=…&to=…`, Unix seconds) and how many points to ask the server for.
//! Pure: the current time is always passed in.

export const PRESETS = ["live", "1h", "6h", "24h", "7d", "30d", "1y"] as const;
export type Preset = (typeof PRESETS)[number];

export type TimeRange =
  | { kind: "preset"; preset: Preset }
  | { kind: "custom"; from: number; to: number };

export interface TimeWindow {
  /** Unix seconds, inclusive. */
  from: number;
  /** Unix seconds. */
  to: number;
}

/** Live mode shows (and refetches) the last 15 minutes. */
export const LIVE_WINDOW_SECS = 15 * 60;

const PRESET_SECS: Record<Preset, number> = {
  live: LIVE_WINDOW_SECS,
  "1h": 3600,
  "6h": 6 * 3600,
  "24h": 86_400,
  "7d": 7 * 86_400,
  "30d": 30 * 86_400,
  "1y": 365 * 86_400,
};

export const PRESET_LABELS: Record<Preset, string> = {
  live: "Live",
  "1h": "1 hour",
  "6h": "6 hours",
  "24h": "24 hours",
  "7d": "7 days",
  "30d": "30 days",
  "1y": "1 year",
};

export const DEFAULT_RANGE: TimeRange = { kind: "preset", preset: "1h" };

/** Shortest custom window accepted; a drag-zoom narrower than this is ignored. */
export const MIN_CUSTOM_SECS = 60;

export function isPreset(value: string | null): value is Preset {
  return value !== null && (PRESETS as readonly string[]).includes(value);
}

/**
 * Read the range from a query string. `from`/`to` win over `range` when both are valid
 * integers with from < to; anything unreadable falls back to the default (1 hour) rather than failing,
 * so a mangled shared link still opens a graph.
 */
export function parseRange(query: URLSearchParams): TimeRange {
  const from = parseSecs(query.get("from"));
  const to = parseSecs(query.get("to"));
  if (from !== null && to !== null && to - from >= MIN_CUSTOM_SECS) {
    return { kind: "custom", from, to };
  }
  const preset = query.get("range");
  return isPreset(preset) ? { kind: "preset", preset } : DEFAULT_RANGE;
}

function parseSecs(text: string | null): number | null {
  if (text === null || !/^\d{1,12}$/.test(text)) return null;
  return Number(text);
}

/** The query string (without "?") that `parseRange` reads back to the same range. */
export function rangeToQuery(range: TimeRange): string {
  return range.kind === "preset"
    ? `range=${range.preset}`
    : `from=${Math.floor(range.from)}&to=${Math.floor(range.to)}`;
}

/** The window a range covers at `nowSecs`; presets end now. */
export function resolveWindow(range: TimeRange, nowSecs: number): TimeWindow {
  if (range.kind === "custom") return { from: range.from, to: range.to };
  const to = Math.floor(nowSecs);
  return { from: to - PRESET_SECS[range.preset], to };
}

/**
 * How many points to request for a chart `widthPx` wide: about one per 2 pixels, at least 60 and at
 * most 1500. The server downsamples to this, so long windows stay cheap and a phone asks for fewer.
 */
export function maxPointsFor(widthPx: number): number {
  if (!Number.isFinite(widthPx) || widthPx <= 0) return 600;
  return Math.min(1500, Math.max(60, Math.round(widthPx / 2)));
}

/** Human description of a range for headings: "Last 6 hours", "Live (last 15 minutes)", or from–to. */
export function describeRange(range: TimeRange, format: (secs: number) => string): string {
  if (range.kind === "custom") return `${format(range.from)} – ${format(range.to)}`;
  if (range.preset === "live") return "Live (last 15 minutes)";
  return `Last ${PRESET_LABELS[range.preset]}`;
}

/** Unix seconds -> the value of an `<input type="datetime-local">` in the browser's time zone. */
export function toLocalInputValue(secs: number): string {
  const d = new Date(secs * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of an `<input type="datetime-local">` (local time) -> Unix seconds, or null if empty/invalid. */
export function fromLocalInputValue(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  const secs = date.getTime() / 1000;
  return Number.isFinite(secs) ? Math.floor(secs) : null;
}
