//! The filter bar of the log views: source, minimum severity, text (applied after a short pause in
//! typing), time range (presets, or a custom from–to) and the live tail toggle with its status line.
//! It reports whole `LogFilters`; the panel decides what to reload.

import { h } from "../components/dom";
import { describeLogRange, LOG_RANGE_LABELS, LOG_RANGE_PRESETS, SEVERITY_NAMES, SEVERITY_WORDS, type LogFilters, type LogRangePreset, type LogSource } from "../lib/log-query";
import { formatTimestamp } from "../lib/format";
import { fromLocalInputValue, toLocalInputValue } from "../lib/time-range";

/** Typing pauses this long before the list is reloaded. */
const TEXT_DELAY_MS = 300;

const SOURCE_OPTIONS: [string, string][] = [
  ["", "Any source"],
  ["syslog", "Syslog"],
  ["trap", "SNMP traps"],
  ["event", "Vigie events"],
  ["audit", "Audit (who did what)"],
];

export class LogFilterBar {
  readonly element: HTMLElement;
  /** The live tail's status line (log-tail.ts writes it). */
  readonly liveStatus = h("span", { class: "live-status log-live-status", "aria-live": "polite" });
  private filters: LogFilters;
  private readonly source = h("select", { id: "log-source" });
  private readonly severity = h("select", { id: "log-severity" });
  private readonly text = h("input", { type: "search", id: "log-search", placeholder: "Message, app or host name", autocomplete: "off" });
  private readonly range = h("select", { id: "log-range" });
  private readonly fromInput = h("input", { type: "datetime-local", id: "log-from", required: true });
  private readonly toInput = h("input", { type: "datetime-local", id: "log-to", required: true });
  private readonly customError = h("p", { class: "field-error", role: "alert", hidden: true });
  private readonly customForm: HTMLFormElement;
  private readonly liveButton: HTMLButtonElement;
  private textTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    initial: LogFilters,
    private readonly onChange: (filters: LogFilters) => void,
  ) {
    this.filters = initial;
    for (const [value, label] of SOURCE_OPTIONS) this.source.append(h("option", { value }, label));
    this.severity.append(h("option", { value: "" }, "Any severity"));
    SEVERITY_NAMES.forEach((name, n) => {
      const label = n === 0 ? "emerg only" : n === 7 ? "debug and worse (all)" : `${name} and worse`;
      this.severity.append(h("option", { value: String(n), title: `${SEVERITY_WORDS[n]} (${n}) or more severe` }, label));
    });
    for (const preset of LOG_RANGE_PRESETS) this.range.append(h("option", { value: preset }, LOG_RANGE_LABELS[preset]));
    this.range.append(h("option", { value: "custom" }, "Custom…"));

    this.customForm = h(
      "form",
      { class: "range-custom", hidden: true },
      h("div", { class: "field inline" }, h("label", { for: "log-from" }, "From"), this.fromInput),
      h("div", { class: "field inline" }, h("label", { for: "log-to" }, "To"), this.toInput),
      h("button", { type: "submit", class: "button" }, "Apply"),
      this.customError,
    );
    this.liveButton = h("button", { type: "button", class: "button live-toggle", "aria-pressed": "false", onclick: () => this.toggleLive() }, "Live tail");

    this.source.addEventListener("change", () => this.emit({ source: (this.source.value || null) as LogSource | null }));
    this.severity.addEventListener("change", () => this.emit({ minSeverity: this.severity.value === "" ? null : Number(this.severity.value) }));
    this.text.addEventListener("input", () => {
      clearTimeout(this.textTimer);
      this.textTimer = setTimeout(() => this.emit({ q: this.text.value.trim() }), TEXT_DELAY_MS);
    });
    this.text.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      clearTimeout(this.textTimer);
      this.emit({ q: this.text.value.trim() });
    });
    this.range.addEventListener("change", () => this.onRange());
    this.customForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.applyCustom();
    });

    this.element = h(
      "div",
      { class: "log-filters" },
      h(
        "div",
        { class: "toolbar" },
        h("div", { class: "field inline" }, h("label", { for: "log-source" }, "Source"), this.source),
        h("div", { class: "field inline" }, h("label", { for: "log-severity" }, "Severity"), this.severity),
        h("div", { class: "field inline" }, h("label", { for: "log-search" }, "Text"), this.text),
        h("div", { class: "field inline" }, h("label", { for: "log-range" }, "Time"), this.range),
        h("div", { class: "live-box" }, this.liveButton, this.liveStatus),
      ),
      this.customForm,
    );
    this.set(initial);
  }

  /** Shows `filters` (from the URL) without reporting a change. */
  set(filters: LogFilters): void {
    this.filters = filters;
    this.source.value = filters.source ?? "";
    this.severity.value = filters.minSeverity === null ? "" : String(filters.minSeverity);
    if (document.activeElement !== this.text) this.text.value = filters.q;
    const { range } = filters;
    this.range.value = range.kind === "custom" ? "custom" : range.preset;
    this.range.title = describeLogRange(range, formatTimestamp);
    this.customForm.hidden = range.kind !== "custom";
    if (range.kind === "custom") {
      this.fromInput.value = toLocalInputValue(range.from);
      this.toInput.value = toLocalInputValue(range.to);
    }
    this.liveButton.setAttribute("aria-pressed", String(filters.live));
    this.liveButton.disabled = range.kind === "custom";
    this.liveButton.title = range.kind === "custom" ? "Live tail follows the preset ranges, which end now" : "Add new entries on top as they arrive";
  }

  private emit(changes: Partial<LogFilters>): void {
    const next = { ...this.filters, ...changes };
    if (next.range.kind === "custom") next.live = false;
    this.set(next);
    this.onChange(next);
  }

  private toggleLive(): void {
    this.emit({ live: !this.filters.live });
  }

  private onRange(): void {
    const value = this.range.value;
    if (value !== "custom") {
      this.emit({ range: { kind: "preset", preset: value as LogRangePreset } });
      return;
    }
    // Custom starts from the last hour; nothing is asked until Apply.
    const to = Math.floor(Date.now() / 1000);
    this.fromInput.value = toLocalInputValue(to - 3600);
    this.toInput.value = toLocalInputValue(to);
    this.customForm.hidden = false;
    this.fromInput.focus();
  }

  private applyCustom(): void {
    const from = fromLocalInputValue(this.fromInput.value);
    const to = fromLocalInputValue(this.toInput.value);
    if (from === null || to === null) this.customError.textContent = "Enter both dates and times.";
    else if (to <= from) this.customError.textContent = "“To” must be after “From”.";
    else {
      this.customError.hidden = true;
      this.emit({ range: { kind: "custom", from, to } });
      return;
    }
    this.customError.hidden = false;
  }
}
