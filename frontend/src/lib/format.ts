//! Text for numbers and times shown to people: bit rates (SI, 1000-based), durations, relative times.
//! Pure and locale-independent so tests pin the exact strings; no DOM, no clock reads (callers pass `now`).

/** Shown wherever a value is unknown (null: not measured yet, or a gap). */
export const MISSING = "—";

const BIT_UNITS = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s", "Pbit/s"] as const;

/**
 * Format a rate in bits per second with SI prefixes (1 kbit/s = 1000 bit/s) and three significant
 * digits, trailing zeros dropped: 1500000 -> "1.5 Mbit/s", 1e9 -> "1 Gbit/s", 999 -> "999 bit/s".
 */
export function formatBps(bps: number | null | undefined): string {
  if (bps == null || !Number.isFinite(bps)) return MISSING;
  const sign = bps < 0 ? "-" : "";
  let value = Math.abs(bps);
  let unit = 0;
  // Round first so 999_999 becomes "1 Mbit/s", not "1000 kbit/s".
  while (unit < BIT_UNITS.length - 1 && Number(value.toPrecision(3)) >= 1000) {
    value /= 1000;
    unit += 1;
  }
  const digits = value < 1 && value > 0 ? trimNumber(value.toPrecision(2)) : trimNumber(value.toPrecision(3));
  return `${sign}${digits} ${BIT_UNITS[unit]}`;
}

/** "1.50" -> "1.5", "120" -> "120", "1.00e+3" never happens below 1000 so no exponent handling is needed. */
function trimNumber(text: string): string {
  return String(Number(text));
}

/** Utilisation 0..1 as a percentage with one decimal under 10 %: 0.0234 -> "2.3 %", 0.5 -> "50 %". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio == null || !Number.isFinite(ratio)) return MISSING;
  const pct = ratio * 100;
  const text = pct < 10 ? trimNumber(pct.toFixed(1)) : String(Math.round(pct));
  return `${text} %`;
}

/**
 * A duration in seconds as its two largest units: 45 -> "45 s", 3720 -> "1 h 2 min",
 * 1_000_000 -> "11 d 13 h". Used for uptime and for relative times.
 */
/** A round-trip time: "0.42 ms", "12.3 ms", "250 ms". */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return MISSING;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

export function formatDuration(totalSecs: number | null | undefined): string {
  if (totalSecs == null || !Number.isFinite(totalSecs)) return MISSING;
  const secs = Math.max(0, Math.floor(totalSecs));
  const parts: [number, string][] = [
    [Math.floor(secs / 86_400), "d"],
    [Math.floor((secs % 86_400) / 3600), "h"],
    [Math.floor((secs % 3600) / 60), "min"],
    [secs % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return "0 s";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(" ");
}

/**
 * How long ago `thenSecs` was, seen from `nowSecs` (both Unix seconds): "just now" under 5 s,
 * then "12 s ago", "3 min ago", "2 h 5 min ago", "4 d 2 h ago". A time slightly in the future
 * (clock skew between server and browser) also reads "just now"; further out it reads "in 3 min".
 */
export function formatRelative(thenSecs: number | null | undefined, nowSecs: number): string {
  if (thenSecs == null || !Number.isFinite(thenSecs)) return "never";
  const delta = nowSecs - thenSecs;
  if (Math.abs(delta) < 5) return "just now";
  if (delta < 0) return `in ${formatDuration(-delta)}`;
  // Under an hour, one unit is enough ("3 min ago"); the seconds only add noise.
  if (delta < 60) return `${Math.floor(delta)} s ago`;
  if (delta < 3600) return `${Math.floor(delta / 60)} min ago`;
  return `${formatDuration(delta)} ago`;
}

/** Absolute local date-time for tooltips and titles: "2024-05-01 14:03:27". */
export function formatTimestamp(secs: number | null | undefined): string {
  if (secs == null || !Number.isFinite(secs)) return MISSING;
  const d = new Date(secs * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A count with thousands separators, locale-independent: 69120 -> "69,120". */
export function formatCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return MISSING;
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * When a log entry arrived, short: the time of day ("14:03:27.125") when it is the same local day as
 * `nowSecs`, else the date and time to the second. Logs come in bursts, so milliseconds tell them apart.
 */
export function formatLogTime(secs: number, nowSecs: number): string {
  const full = formatTimestamp(secs);
  if (full === MISSING) return full;
  const ms = String(Math.floor((secs * 1000) % 1000)).padStart(3, "0");
  return full.slice(0, 10) === formatTimestamp(nowSecs).slice(0, 10) ? `${full.slice(11)}.${ms}` : full;
}

/** First line of a sysDescr, cut at `max` characters with an ellipsis: overview cells stay one line. */
export function shortDescription(text: string | null | undefined, max = 60): string {
  if (!text) return "";
  const firstLine = text.split(/\r?\n/, 1)[0]!.trim();
  return firstLine.length > max ? `${firstLine.slice(0, max - 1).trimEnd()}…` : firstLine;
}
