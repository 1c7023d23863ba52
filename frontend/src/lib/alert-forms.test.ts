import { describe, expect, it } from "vitest";
import type { AlertChannelView, AlertRuleView, MaintenanceWindowView } from "../api/alerts";
import { channelBody, channelForm, emptyChannelForm, emptyRuleForm, emptyWindowForm, KIND_FIELDS, ruleBody, ruleForm, RULE_KINDS, scopeBody, windowBody, windowForm, type RuleForm } from "./alert-forms";

const form = (over: Partial<RuleForm>): RuleForm => ({ ...emptyRuleForm(), name: "r", ...over });

describe("rule form to API body, per kind", () => {
  it("offers all eight kinds", () => {
    expect(RULE_KINDS.map(([k]) => k).sort()).toEqual(Object.keys(KIND_FIELDS).sort());
    expect(RULE_KINDS).toHaveLength(8);
  });

  it("sends only the kind's own fields", () => {
    const filled = { thresholdPercent: "80", thresholdPerSec: "5", lossPercent: "50", rttAvgMs: "150", maxSeverity: "3", pattern: "LINK" };
    const bodies = Object.fromEntries(RULE_KINDS.map(([kind]) => [kind, ruleBody(form({ kind, ...filled }), false)]));
    const extra = (kind: string) => {
      const b = bodies[kind]!;
      if (!b.ok) throw new Error(b.message);
      const { name: _n, kind: _k, scope: _s, channelIds: _c, enabled: _e, forSecs: _f, recoverySecs: _r, reminderMins: _m, ...rest } = b.body;
      return rest;
    };
    expect(extra("device_unreachable")).toEqual({});
    expect(extra("device_snmp_down")).toEqual({});
    expect(extra("interface_down")).toEqual({});
    expect(extra("reboot")).toEqual({});
    expect(extra("utilization")).toEqual({ thresholdPercent: 80 });
    expect(extra("error_rate")).toEqual({ thresholdPerSec: 5 });
    expect(extra("ping")).toEqual({ lossPercent: 50, rttAvgMs: 150 });
    expect(extra("log_match")).toEqual({ maxSeverity: 3, pattern: "LINK" });
  });

  it("names the field in error", () => {
    const field = (over: Partial<RuleForm>) => {
      const b = ruleBody(form(over), false);
      return b.ok ? null : b.field;
    };
    expect(field({ name: " " })).toBe("name");
    expect(field({ kind: "utilization" })).toBe("thresholdPercent");
    expect(field({ kind: "error_rate", thresholdPerSec: "-1" })).toBe("thresholdPerSec");
    expect(field({ kind: "ping" })).toBe("lossPercent");
    expect(field({ kind: "ping", rttAvgMs: "20" })).toBeNull();
    expect(field({ kind: "log_match" })).toBe("pattern");
    expect(field({ kind: "log_match", maxSeverity: "9" })).toBe("maxSeverity");
    expect(field({ forSecs: "1.5" })).toBe("forSecs");
    expect(field({ scopeMode: "tags", scopeList: " , " })).toBe("scope");
  });

  it("leaves the kind out of a change and reads a rule back into the form", () => {
    const rule = { id: "1a2b3c4d", name: "Lossy", kind: "ping", createdAt: 1, scope: { tags: ["edge", "paris"] }, channelIds: ["5e1f0a2b"], forSecs: 120, recoverySecs: 60, flapChanges: 4, flapWindowMins: 10, reminderMins: 0, enabled: true, lossPercent: 50 } as AlertRuleView;
    const back = ruleForm(rule);
    expect(back).toMatchObject({ scopeMode: "tags", scopeList: "edge, paris", lossPercent: "50", rttAvgMs: "" });
    const body = ruleBody(back, true);
    expect(body.ok && body.body).toEqual({ name: "Lossy", scope: { tags: ["edge", "paris"] }, channelIds: ["5e1f0a2b"], enabled: true, forSecs: 120, recoverySecs: 60, reminderMins: 0, lossPercent: 50 });
  });

  it("builds each scope form", () => {
    expect(scopeBody("all", "x")).toEqual({ ok: true, body: { all: true } });
    expect(scopeBody("devices", "3f9a2c1b, 77aa01c3")).toEqual({ ok: true, body: { deviceIds: ["3f9a2c1b", "77aa01c3"] } });
    expect(scopeBody("tags", "core edge")).toEqual({ ok: true, body: { tags: ["core", "edge"] } });
  });
});

describe("channel form", () => {
  it("creates with the type and its fields", () => {
    const b = channelBody({ ...emptyChannelForm(), name: "NOC", url: "http://127.0.0.1:9/hook", secret: "s3" }, false);
    expect(b.ok && b.body).toEqual({ name: "NOC", type: "webhook", url: "http://127.0.0.1:9/hook", secret: "s3" });
    const mail = channelBody({ ...emptyChannelForm(), type: "email", name: "m", smtpHost: "smtp", from: "a@b.c", to: "x@y.z, w@y.z" }, false);
    expect(mail.ok && mail.body).toMatchObject({ type: "email", smtpPort: 587, tls: "starttls", to: ["x@y.z", "w@y.z"] });
    expect(mail.ok && "password" in mail.body).toBe(false);
  });

  it("keeps secrets write-only: a channel read back has none, and an empty one is left out of a change", () => {
    const view = { id: "5e1f0a2b", type: "webhook", name: "NOC", createdAt: 1, url: "http://h/x", secretSet: true, headerNames: [] } as AlertChannelView;
    const back = channelForm(view);
    expect(back.secret).toBe("");
    const b = channelBody(back, true);
    expect(b.ok && b.body).toEqual({ name: "NOC", url: "http://h/x" });
    const slack = channelForm({ id: "1", type: "slack", name: "s", createdAt: 1, urlSet: true } as AlertChannelView);
    expect(slack.url).toBe("");
    expect(channelBody(slack, true)).toEqual({ ok: true, body: { name: "s" } });
    expect(channelBody(slack, false)).toMatchObject({ ok: false, field: "url" });
  });
});

describe("maintenance window form", () => {
  it("builds one-off windows in UTC and weekly ones, and reads them back", () => {
    const once = windowBody({ ...emptyWindowForm(), name: "up", from: "2026-12-05T22:00", to: "2026-12-06T02:00" });
    expect(once.ok && once.body).toEqual({ name: "up", scope: { all: true }, schedule: { type: "one_off", from: 1796508000, to: 1796522400 } });
    const weekly = windowBody({ ...emptyWindowForm(), name: "w", type: "weekly", days: ["sat", "sun"], start: "22:30", durationMins: "180", scopeMode: "devices", scopeList: "3f9a2c1b" });
    expect(weekly.ok && weekly.body).toEqual({ name: "w", scope: { deviceIds: ["3f9a2c1b"] }, schedule: { type: "weekly", days: ["sat", "sun"], start: "22:30", durationMins: 180 } });
    const view = { id: "7b8c9d0e", name: "up", createdAt: 1, active: false, scope: { all: true }, schedule: { type: "one_off", from: 1796508000, to: 1796522400 } } as MaintenanceWindowView;
    expect(windowForm(view)).toMatchObject({ from: "2026-12-05T22:00", to: "2026-12-06T02:00" });
  });

  it("names what is wrong", () => {
    const field = (b: ReturnType<typeof windowBody>) => (b.ok ? null : b.field);
    expect(field(windowBody({ ...emptyWindowForm(), name: "x", from: "2026-12-05T22:00", to: "2026-12-05T21:00" }))).toBe("to");
    expect(field(windowBody({ ...emptyWindowForm(), name: "x", type: "weekly" }))).toBe("days");
    expect(field(windowBody({ ...emptyWindowForm(), name: "x", type: "weekly", days: ["mon"], start: "25:00" }))).toBe("start");
  });
});
