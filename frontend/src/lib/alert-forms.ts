//! The alert forms' text fields to and from API bodies: a rule (whose fields depend on its kind), a
//! scope (all / devices / tags), a channel (secrets write-only: an empty secret field keeps the one
//! set) and a maintenance window (one-off or weekly, in UTC). Each builder answers the body or the
//! first field in error with its message, named as the form names it. Pure.

import type { AlertChannelPatch, AlertChannelView, AlertRuleBody, AlertRuleKind, AlertRuleView, ChannelType, MaintenanceWindowBody, MaintenanceWindowView, ScopeRecord, Weekday } from "../api/alerts";

export type Built<T> = { ok: true; body: T } | { ok: false; field: string; message: string };
const fail = <T>(field: string, message: string): Built<T> => ({ ok: false, field, message });

export const RULE_KINDS: readonly (readonly [AlertRuleKind, string])[] = [
  ["device_unreachable", "Device unreachable"],
  ["device_snmp_down", "Device SNMP down"],
  ["interface_down", "Interface down"],
  ["utilization", "Utilization"],
  ["error_rate", "Errors and discards"],
  ["ping", "Ping loss or RTT"],
  ["log_match", "Log entry"],
  ["reboot", "Reboot"],
];

/** The fields of each kind, beside the common ones. */
export const KIND_FIELDS: Record<AlertRuleKind, readonly KindField[]> = {
  device_unreachable: [],
  device_snmp_down: [],
  interface_down: [],
  utilization: ["thresholdPercent"],
  error_rate: ["thresholdPerSec"],
  ping: ["lossPercent", "rttAvgMs"],
  log_match: ["maxSeverity", "pattern"],
  reboot: [],
};
export type KindField = "thresholdPercent" | "thresholdPerSec" | "lossPercent" | "rttAvgMs" | "maxSeverity" | "pattern";

export type ScopeMode = "all" | "devices" | "tags";

/** A rule form's values, as typed. */
export interface RuleForm {
  name: string;
  kind: AlertRuleKind;
  scopeMode: ScopeMode;
  /** Device ids or tags, separated by commas or spaces. */
  scopeList: string;
  channelIds: string[];
  forSecs: string;
  recoverySecs: string;
  reminderMins: string;
  enabled: boolean;
  thresholdPercent: string;
  thresholdPerSec: string;
  lossPercent: string;
  rttAvgMs: string;
  maxSeverity: string;
  pattern: string;
}

export function emptyRuleForm(): RuleForm {
  return { name: "", kind: "device_unreachable", scopeMode: "all", scopeList: "", channelIds: [], forSecs: "60", recoverySecs: "60", reminderMins: "0", enabled: true, thresholdPercent: "", thresholdPerSec: "", lossPercent: "", rttAvgMs: "", maxSeverity: "", pattern: "" };
}

const text = (n: number | null | undefined): string => (n == null ? "" : String(n));

export function ruleForm(rule: AlertRuleView): RuleForm {
  const scope = scopeForm(rule.scope);
  return {
    name: rule.name,
    kind: rule.kind,
    ...scope,
    channelIds: [...rule.channelIds],
    forSecs: String(rule.forSecs),
    recoverySecs: String(rule.recoverySecs),
    reminderMins: String(rule.reminderMins),
    enabled: rule.enabled,
    thresholdPercent: text(rule.thresholdPercent),
    thresholdPerSec: text(rule.thresholdPerSec),
    lossPercent: text(rule.lossPercent),
    rttAvgMs: text(rule.rttAvgMs),
    maxSeverity: text(rule.maxSeverity),
    pattern: rule.pattern ?? "",
  };
}

export function scopeForm(scope: ScopeRecord): { scopeMode: ScopeMode; scopeList: string } {
  if (scope.deviceIds) return { scopeMode: "devices", scopeList: scope.deviceIds.join(", ") };
  if (scope.tags) return { scopeMode: "tags", scopeList: scope.tags.join(", ") };
  return { scopeMode: "all", scopeList: "" };
}

export function scopeBody(mode: ScopeMode, list: string): Built<ScopeRecord> {
  if (mode === "all") return { ok: true, body: { all: true } };
  const items = list.split(/[\s,]+/).filter(Boolean);
  if (!items.length) return fail("scope", mode === "devices" ? "List at least one device." : "List at least one tag.");
  return { ok: true, body: mode === "devices" ? { deviceIds: items } : { tags: items } };
}

/** A whole number in a text field; null when it is not one. */
function whole(value: string): number | null {
  return /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : null;
}

function positive(value: string): number | null {
  const n = Number(value.trim());
  return value.trim() !== "" && Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * The body to create a rule (`editing` false) or to change one (true: `kind` is left out, the server
 * refuses to change it). Only the kind's own fields are sent: a field of another kind is refused.
 */
export function ruleBody(form: RuleForm, editing: boolean): Built<AlertRuleBody> {
  const name = form.name.trim();
  if (!name) return fail("name", "Give the rule a name.");
  const scope = scopeBody(form.scopeMode, form.scopeList);
  if (!scope.ok) return scope;
  const body: AlertRuleBody = { name, scope: scope.body, channelIds: form.channelIds, enabled: form.enabled };
  if (!editing) body.kind = form.kind;
  for (const field of ["forSecs", "recoverySecs", "reminderMins"] as const) {
    const n = whole(form[field]);
    if (n === null) return fail(field, "A whole number, 0 or more.");
    body[field] = n;
  }
  const fields = KIND_FIELDS[form.kind];
  for (const field of fields) {
    const raw = form[field].trim();
    if (field === "pattern") {
      if (raw) body.pattern = form.pattern;
    } else if (field === "maxSeverity") {
      if (raw === "") continue;
      const n = whole(raw);
      if (n === null || n > 7) return fail(field, "0 (emergency) to 7 (debug).");
      body.maxSeverity = n;
    } else if (raw !== "") {
      const n = positive(raw);
      if (n === null) return fail(field, "A number above 0.");
      body[field] = n;
    }
  }
  if (form.kind === "utilization" && body.thresholdPercent == null) return fail("thresholdPercent", "Required: the percentage of the interface speed.");
  if (form.kind === "error_rate" && body.thresholdPerSec == null) return fail("thresholdPerSec", "Required: errors or discards per second.");
  if (form.kind === "ping" && body.lossPercent == null && body.rttAvgMs == null) return fail("lossPercent", "Give a loss, an average round-trip time, or both.");
  if (form.kind === "log_match" && body.maxSeverity == null && body.pattern == null) return fail("pattern", "Give a severity, a pattern, or both.");
  return { ok: true, body };
}

/** A channel form's values, as typed; secrets are empty unless the person types a new one. */
export interface ChannelForm {
  type: ChannelType;
  name: string;
  url: string;
  secret: string;
  smtpHost: string;
  smtpPort: string;
  tls: "starttls" | "tls" | "none";
  username: string;
  password: string;
  from: string;
  to: string;
  program: string;
  args: string;
  timeoutSecs: string;
}

export function emptyChannelForm(): ChannelForm {
  return { type: "webhook", name: "", url: "", secret: "", smtpHost: "", smtpPort: "587", tls: "starttls", username: "", password: "", from: "", to: "", program: "", args: "", timeoutSecs: "30" };
}

/** The form of a channel as the API shows it: its secrets are not known, only whether they are set. */
export function channelForm(channel: AlertChannelView): ChannelForm {
  const form = { ...emptyChannelForm(), type: channel.type, name: channel.name };
  switch (channel.type) {
    case "webhook":
      return { ...form, url: channel.url };
    case "slack":
      return form;
    case "email":
      return { ...form, smtpHost: channel.smtpHost, smtpPort: String(channel.smtpPort), tls: channel.tls, username: channel.username ?? "", from: channel.from, to: channel.to.join(", ") };
    case "command":
      return { ...form, program: channel.program, args: channel.args.join(" "), timeoutSecs: String(channel.timeoutSecs) };
  }
}

/** Whether the channel has each secret set (shown as "set"; never read back). */
export function secretsSet(channel: AlertChannelView | null): { secret: boolean; url: boolean; password: boolean } {
  return {
    secret: channel?.type === "webhook" && channel.secretSet,
    url: channel?.type === "slack" && channel.urlSet,
    password: channel?.type === "email" && channel.passwordSet,
  };
}

/**
 * The body to create a channel (`editing` false) or to change one: when editing, an empty secret field
 * (webhook secret, Slack URL, SMTP password) is left out, so the secret already set is kept.
 */
export function channelBody(form: ChannelForm, editing: boolean): Built<AlertChannelPatch> {
  const name = form.name.trim();
  if (!name) return fail("name", "Give the channel a name.");
  const body: AlertChannelPatch = editing ? { name } : { name, type: form.type };
  switch (form.type) {
    case "webhook":
      if (!form.url.trim()) return fail("url", "The URL to POST to.");
      body.url = form.url.trim();
      if (form.secret) body.secret = form.secret;
      break;
    case "slack":
      if (form.url.trim()) body.url = form.url.trim();
      else if (!editing) return fail("url", "The incoming webhook's URL.");
      break;
    case "email": {
      if (!form.smtpHost.trim()) return fail("smtpHost", "The SMTP server.");
      const port = whole(form.smtpPort);
      if (port === null || port < 1 || port > 65535) return fail("smtpPort", "A port, 1 to 65535.");
      const to = form.to.split(/[\s,]+/).filter(Boolean);
      if (!form.from.trim()) return fail("from", "The sender's address.");
      if (!to.length) return fail("to", "At least one address.");
      Object.assign(body, { smtpHost: form.smtpHost.trim(), smtpPort: port, tls: form.tls, from: form.from.trim(), to });
      if (form.username.trim()) body.username = form.username.trim();
      if (form.password) body.password = form.password;
      break;
    }
    case "command": {
      if (!form.program.trim()) return fail("program", "The program's absolute path.");
      const timeout = whole(form.timeoutSecs);
      if (timeout === null || timeout < 1 || timeout > 600) return fail("timeoutSecs", "1 to 600 seconds.");
      Object.assign(body, { program: form.program.trim(), args: form.args.split(/\s+/).filter(Boolean), timeoutSecs: timeout });
      break;
    }
  }
  return { ok: true, body };
}

export const WEEKDAYS: readonly Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** A maintenance window form's values; times are UTC (`YYYY-MM-DDTHH:MM` and `HH:MM`). */
export interface WindowForm {
  name: string;
  scopeMode: ScopeMode;
  scopeList: string;
  type: "one_off" | "weekly";
  from: string;
  to: string;
  days: Weekday[];
  start: string;
  durationMins: string;
}

export function emptyWindowForm(): WindowForm {
  return { name: "", scopeMode: "all", scopeList: "", type: "one_off", from: "", to: "", days: [], start: "22:00", durationMins: "120" };
}

/** `YYYY-MM-DDTHH:MM` in UTC from Unix seconds, and back (null when it is not one). */
export const utcInput = (secs: number): string => new Date(secs * 1000).toISOString().slice(0, 16);
export function fromUtcInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const ms = Date.parse(`${value}:00Z`);
  return Number.isNaN(ms) ? null : ms / 1000;
}

export function windowForm(w: MaintenanceWindowView): WindowForm {
  const form = { ...emptyWindowForm(), name: w.name, ...scopeForm(w.scope) };
  const s = w.schedule;
  if (s.type === "one_off") return { ...form, type: "one_off", from: utcInput(s.from), to: utcInput(s.to) };
  return { ...form, type: "weekly", days: [...s.days], start: s.start, durationMins: String(s.durationMins) };
}

export function windowBody(form: WindowForm): Built<MaintenanceWindowBody> {
  const name = form.name.trim();
  if (!name) return fail("name", "Give the window a name.");
  const scope = scopeBody(form.scopeMode, form.scopeList);
  if (!scope.ok) return scope;
  if (form.type === "one_off") {
    const from = fromUtcInput(form.from);
    const to = fromUtcInput(form.to);
    if (from === null) return fail("from", "A start, as YYYY-MM-DDTHH:MM UTC.");
    if (to === null || to <= from) return fail("to", "An end after the start.");
    return { ok: true, body: { name, scope: scope.body, schedule: { type: "one_off", from, to } } };
  }
  if (!form.days.length) return fail("days", "Pick at least one day.");
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(form.start)) return fail("start", "A time as HH:MM (UTC).");
  const duration = whole(form.durationMins);
  if (duration === null || duration < 1) return fail("durationMins", "Minutes, 1 or more.");
  return { ok: true, body: { name, scope: scope.body, schedule: { type: "weekly", days: form.days, start: form.start, durationMins: duration } } };
}

/** One line describing a window's schedule. */
export function describeSchedule(w: MaintenanceWindowView): string {
  const s = w.schedule;
  if (s.type === "one_off") return `${utcInput(s.from).replace("T", " ")} to ${utcInput(s.to).replace("T", " ")} UTC`;
  return `every ${s.days.join(", ")} at ${s.start} UTC for ${s.durationMins} min`;
}

export function describeScope(scope: ScopeRecord): string {
  if (scope.deviceIds) return `devices ${scope.deviceIds.join(", ")}`;
  if (scope.tags) return `tags ${scope.tags.join(", ")}`;
  return "all devices";
}
