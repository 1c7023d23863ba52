import { describe, expect, it } from "vitest";
import {
  DEFAULT_LOG_FILTERS,
  describeLogRange,
  filtersKey,
  logFilterParams,
  matchesFilters,
  parseLogFilters,
  severityName,
  severityTone,
  toLogApiQuery,
  type LogFilters,
} from "./log-query";
import { withParams } from "./route";

const NOW = 1_764_075_060;
const entry = { source: "syslog", severity: 3, receivedAt: NOW - 10, message: "Interface Gi0/1 changed state to down", appName: "LINK", hostname: "core-sw1" };
const filters = (changes: Partial<LogFilters>): LogFilters => ({ ...DEFAULT_LOG_FILTERS, ...changes });

describe("severity", () => {
  it("names syslog severities and never hides an unknown one", () => {
    expect([0, 3, 4, 5, 7].map(severityName)).toEqual(["emerg", "err", "warning", "notice", "debug"]);
    expect(severityName(9)).toBe("sev 9");
  });

  it("groups them in colour families", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(severityTone)).toEqual(["critical", "critical", "critical", "error", "warning", "notice", "quiet", "quiet"]);
  });
});

describe("parseLogFilters and logFilterParams", () => {
  it("reads every filter from the URL", () => {
    const f = parseLogFilters(new URLSearchParams("source=trap&minSeverity=4&q=%20link%20&range=1h&live=1"));
    expect(f).toEqual({ source: "trap", minSeverity: 4, q: "link", range: { kind: "preset", preset: "1h" }, live: true });
  });

  it("knows the audit source", () => {
    expect(parseLogFilters(new URLSearchParams("source=audit")).source).toBe("audit");
  });

  it("falls back to the defaults on nonsense", () => {
    expect(parseLogFilters(new URLSearchParams("source=x&minSeverity=8&range=2y&live=yes"))).toEqual(DEFAULT_LOG_FILTERS);
    expect(parseLogFilters(new URLSearchParams("from=200&to=100")).range).toEqual({ kind: "preset", preset: "all" });
  });

  it("reads a custom window, where live tail does not apply", () => {
    const f = parseLogFilters(new URLSearchParams("from=100&to=200&live=1"));
    expect(f.range).toEqual({ kind: "custom", from: 100, to: 200 });
    expect(f.live).toBe(false);
  });

  it("round-trips, leaving defaults out of the URL and keeping other parameters", () => {
    const f = filters({ source: "syslog", minSeverity: 0, q: "a b", range: { kind: "custom", from: 1, to: 2 } });
    const query = withParams(new URLSearchParams("sort=name&range=1h"), logFilterParams(f));
    expect(query.toString()).toBe("sort=name&source=syslog&minSeverity=0&q=a+b&from=1&to=2");
    expect(parseLogFilters(query)).toEqual(f);
    expect(withParams(new URLSearchParams(), logFilterParams(DEFAULT_LOG_FILTERS)).toString()).toBe("");
  });

  it("keys on what the server filters, not on live", () => {
    expect(filtersKey(filters({ live: true }))).toBe(filtersKey(DEFAULT_LOG_FILTERS));
    expect(filtersKey(filters({ q: "x" }))).not.toBe(filtersKey(DEFAULT_LOG_FILTERS));
  });
});

describe("toLogApiQuery", () => {
  it("sends only the filters set, a preset as an open-ended window", () => {
    expect(toLogApiQuery(DEFAULT_LOG_FILTERS, NOW, 100)).toEqual({ limit: 100 });
    expect(toLogApiQuery(filters({ source: "trap", minSeverity: 4, q: "link", range: { kind: "preset", preset: "1h" } }), NOW + 0.7, 50, 1234)).toEqual({
      source: "trap",
      minSeverity: 4,
      q: "link",
      from: NOW - 3600,
      limit: 50,
      cursor: 1234,
    });
    expect(toLogApiQuery(filters({ range: { kind: "custom", from: 10, to: 20 } }), NOW, 100)).toEqual({ from: 10, to: 20, limit: 100 });
  });
});

describe("matchesFilters", () => {
  it("applies source, severity, text and window as the server does", () => {
    expect(matchesFilters(entry, DEFAULT_LOG_FILTERS, NOW)).toBe(true);
    expect(matchesFilters(entry, filters({ source: "trap" }), NOW)).toBe(false);
    expect(matchesFilters(entry, filters({ minSeverity: 3 }), NOW)).toBe(true);
    expect(matchesFilters(entry, filters({ minSeverity: 2 }), NOW)).toBe(false);
    expect(matchesFilters(entry, filters({ q: "gi0/1" }), NOW)).toBe(true);
    expect(matchesFilters(entry, filters({ q: "CORE-SW" }), NOW)).toBe(true);
    expect(matchesFilters(entry, filters({ q: "link" }), NOW)).toBe(true);
    expect(matchesFilters(entry, filters({ q: "bgp" }), NOW)).toBe(false);
    expect(matchesFilters({ ...entry, appName: null, hostname: undefined }, filters({ q: "bgp" }), NOW)).toBe(false);
    expect(matchesFilters(entry, filters({ range: { kind: "preset", preset: "15m" } }), NOW)).toBe(true);
    expect(matchesFilters({ ...entry, receivedAt: NOW - 901 }, filters({ range: { kind: "preset", preset: "15m" } }), NOW)).toBe(false);
    expect(matchesFilters(entry, filters({ range: { kind: "custom", from: NOW - 100, to: NOW - 20 } }), NOW)).toBe(false);
  });
});

describe("describeLogRange", () => {
  it("says the preset or the window", () => {
    expect(describeLogRange({ kind: "preset", preset: "24h" }, String)).toBe("Last 24 hours");
    expect(describeLogRange({ kind: "custom", from: 1, to: 2 }, String)).toBe("1 – 2");
  });
});
