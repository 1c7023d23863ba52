//! Alert rules (`/alerts/rules`): the list, and one form to add a rule or change one, whose fields
//! switch with the kind (thresholds for utilization and errors, loss and RTT for ping, severity and
//! pattern for log entries), with the scope (all / devices / tags) and the channels to tell. Removing
//! asks first. Viewers see the list only.

import { createRule, deleteRule, listChannels, listRules, updateRule, type AlertChannelView, type AlertRuleView } from "../api/alerts";
import { session } from "../api/client";
import { type Column } from "../components/data-table";
import { h, html } from "../components/dom";
import { FormField } from "../components/form-field";
import { FormShell } from "../components/form-shell";
import { ListPage } from "../components/list-page";
import { can } from "../lib/access";
import { describeScope, emptyRuleForm, KIND_FIELDS, ruleBody, ruleForm, RULE_KINDS, type KindField, type RuleForm } from "../lib/alert-forms";
import type { ViewContext } from "../router";
import { alertTabs } from "./alert-tabs";
import { scopeFields } from "./alert-scope";

const KIND_LABEL = new Map(RULE_KINDS);

function kindDetail(r: AlertRuleView): string {
  const parts = [
    r.thresholdPercent != null ? `≥ ${r.thresholdPercent} % of speed` : "",
    r.thresholdPerSec != null ? `≥ ${r.thresholdPerSec}/s` : "",
    r.lossPercent != null ? `loss ≥ ${r.lossPercent} %` : "",
    r.rttAvgMs != null ? `RTT ≥ ${r.rttAvgMs} ms` : "",
    r.maxSeverity != null ? `severity ≤ ${r.maxSeverity}` : "",
    r.pattern ? `/${r.pattern}/` : "",
  ];
  return parts.filter(Boolean).join(", ");
}

export function alertRulesView(ctx: ViewContext): void {
  ctx.setTitle("Alert rules");
  const mayEdit = can(session.current?.role, "manageAlerts");
  let channels: AlertChannelView[] = [];
  const columns: Column<AlertRuleView, never>[] = [
    { label: "Name", cell: (r) => html`<strong>${r.name}</strong>${r.enabled ? "" : html` <span class="incident-mark">disabled</span>`}` },
    { label: "Kind", cell: (r) => html`${KIND_LABEL.get(r.kind) ?? r.kind} <span class="muted">${kindDetail(r)}</span>` },
    { label: "Scope", className: "optional", cell: (r) => html`${describeScope(r.scope)}` },
    { label: "For / recovery", className: "optional", cell: (r) => html`${r.forSecs} s / ${r.recoverySecs} s` },
    { label: "Channels", cell: (r) => html`${r.channelIds.map((id) => channels.find((c) => c.id === id)?.name ?? id).join(", ") || "none"}` },
  ];
  if (mayEdit) {
    columns.push({
      label: "Actions",
      className: "num",
      cell: (r) => html`<button type="button" class="button" data-action="edit" data-rule="${r.id}">Edit</button> <button type="button" class="button danger-outline" data-action="delete" data-rule="${r.id}">Delete…</button>`,
    });
  }
  const list: ListPage<AlertRuleView> = new ListPage<AlertRuleView>({
    caption: "Alert rules",
    columns,
    loadingText: "Loading rules…",
    empty: () => h("div", {}, h("p", { class: "empty-title" }, "No alert rules"), h("p", {}, mayEdit ? "Add one above: incidents open when its condition holds." : "An operator adds them.")),
    fetch: async (signal) => {
      const [rules, all] = await Promise.all([listRules(signal), listChannels(signal)]);
      channels = all;
      editor?.setChannels(channels);
      return rules;
    },
    signal: ctx.signal,
    rowAttr: "rule",
    rowId: (r) => r.id,
    actions: {
      edit: (rule) => editor?.edit(rule),
      delete: (rule, button) => list.confirmDelete(button, "rule", rule.name, "Its open incidents resolve without notifications. This cannot be undone.", () => deleteRule(rule.id)),
    },
  });
  const editor = mayEdit
    ? ruleEditor((saved, verb) => {
        list.say(`${verb} rule ${saved.name}.`);
        void list.load();
      })
    : null;

  ctx.root.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Alert rules"), h("p", { class: "muted" }, "A rule opens an incident when its condition has held for its duration, and resolves it when it has been false for the recovery delay."))),
    alertTabs("alertRules"),
    editor?.element ?? "",
    list.status,
    list.view.element,
  );
  void list.load();
}

const FIELD_LABELS: Record<KindField, [string, string]> = {
  thresholdPercent: ["Utilization at least (%)", "In or out traffic, as a percentage of the interface speed."],
  thresholdPerSec: ["Errors or discards at least (per second)", "In or out, errors or discards."],
  lossPercent: ["Echo loss at least (%)", "Of a round's echoes (3 per round): 34 is one lost, 100 all."],
  rttAvgMs: ["Average round-trip time at least (ms)", "A round nobody answered has no time: loss tells of it."],
  maxSeverity: ["Severity at most (0–7)", "0 emergency … 3 error … 7 debug: entries at least this severe."],
  pattern: ["Message matches (regular expression)", "Rust regex syntax, e.g. LINK-3-UPDOWN."],
};

/** The add/change form: fields by kind, scope, channels. */
function ruleEditor(saved: (rule: AlertRuleView, verb: string) => void) {
  let editing: AlertRuleView | null = null;
  const f = emptyRuleForm();
  const fields = {
    name: new FormField({ name: "name", label: "Name", value: "", required: true, placeholder: "Core down" }),
    kind: new FormField({ name: "kind", label: "Kind", value: f.kind, type: "select", choices: RULE_KINDS }),
    forSecs: new FormField({ name: "forSecs", label: "For (seconds)", value: f.forSecs, type: "number", hint: "How long the condition holds before an incident opens. Log entries and reboots open at once." }),
    recoverySecs: new FormField({ name: "recoverySecs", label: "Recovery (seconds)", value: f.recoverySecs, type: "number", hint: "How long it is false before the incident resolves." }),
    reminderMins: new FormField({ name: "reminderMins", label: "Remind every (minutes)", value: f.reminderMins, type: "number", hint: "0: no reminders. Acknowledging stops them." }),
  };
  const kindFields = Object.fromEntries(
    (Object.keys(FIELD_LABELS) as KindField[]).map((k) => [k, new FormField({ name: k, label: FIELD_LABELS[k][0], value: "", type: k === "pattern" ? "text" : "number", hint: FIELD_LABELS[k][1] })]),
  ) as Record<KindField, FormField>;
  const scope = scopeFields("rule");
  const enabled = h("input", { type: "checkbox", id: "rule-enabled", checked: true });
  const channelBox = h("fieldset", { class: "channel-choices" }, h("legend", {}, "Channels to tell"));
  const allFields: Record<string, FormField> = { ...fields, ...kindFields, scope: scope.field };
  const showKind = () => {
    const kind = fields.kind.value as RuleForm["kind"];
    for (const [k, field] of Object.entries(kindFields)) field.element.hidden = !KIND_FIELDS[kind].includes(k as KindField);
  };
  fields.kind.input.addEventListener("change", showKind);
  const form = new FormShell({
    titleId: "rule-form-title",
    title: "Add a rule",
    submitLabel: "Add rule",
    className: "admin-form alert-form",
    fields: allFields,
    cancel: () => reset(),
    content: [
      h("div", { class: "field-row" }, fields.name.element, fields.kind.element),
      h("div", { class: "field-row" }, ...Object.values(kindFields).map((k) => k.element)),
      scope.element,
      h("div", { class: "field-row" }, fields.forSecs.element, fields.recoverySecs.element, fields.reminderMins.element),
      channelBox,
      h("p", {}, h("label", { for: "rule-enabled", class: "choice" }, enabled, " Enabled")),
    ],
  });
  const reset = () => {
    editing = null;
    fill(emptyRuleForm());
    form.setMode("Add a rule", "Add rule", false);
    fields.kind.input.disabled = false;
  };
  const fill = (values: RuleForm) => {
    fields.name.input.value = values.name;
    fields.kind.input.value = values.kind;
    fields.forSecs.input.value = values.forSecs;
    fields.recoverySecs.input.value = values.recoverySecs;
    fields.reminderMins.input.value = values.reminderMins;
    for (const k of Object.keys(kindFields) as KindField[]) kindFields[k].input.value = values[k];
    scope.set(values.scopeMode, values.scopeList);
    enabled.checked = values.enabled;
    for (const box of channelBox.querySelectorAll<HTMLInputElement>("input")) box.checked = values.channelIds.includes(box.value);
    form.clearErrors();
    showKind();
  };
  form.onSubmit(async () => {
    const values: RuleForm = {
      name: fields.name.value,
      kind: fields.kind.value as RuleForm["kind"],
      ...scope.get(),
      channelIds: [...channelBox.querySelectorAll<HTMLInputElement>("input:checked")].map((b) => b.value),
      forSecs: fields.forSecs.value,
      recoverySecs: fields.recoverySecs.value,
      reminderMins: fields.reminderMins.value,
      enabled: enabled.checked,
      ...(Object.fromEntries(Object.entries(kindFields).map(([k, field]) => [k, field.value])) as Record<KindField, string>),
    };
    const built = ruleBody(values, editing !== null);
    if (!built.ok) return form.fieldError(allFields[built.field], built.message);
    const id = editing?.id;
    const rule = await form.send(() => (id !== undefined ? updateRule(id, built.body) : createRule(built.body)));
    if (!rule) return;
    const verb = id !== undefined ? "Saved" : "Added";
    reset();
    saved(rule, verb);
  });
  showKind();
  return {
    element: form.element,
    setChannels(list: AlertChannelView[]) {
      const checked = new Set([...channelBox.querySelectorAll<HTMLInputElement>("input:checked")].map((b) => b.value));
      channelBox.replaceChildren(
        h("legend", {}, "Channels to tell"),
        ...(list.length
          ? list.map((c) => h("label", { class: "choice" }, h("input", { type: "checkbox", name: "channelIds", value: c.id, checked: checked.has(c.id) }), ` ${c.name} (${c.type})`))
          : [h("p", { class: "muted" }, "No channels yet: incidents open without notifications.")]),
      );
    },
    edit(rule: AlertRuleView) {
      editing = rule;
      fill(ruleForm(rule));
      form.setMode(`Change rule ${rule.name}`, "Save rule", true);
      fields.kind.input.disabled = true;
      form.element.scrollIntoView({ block: "start" });
      fields.name.focus();
    },
  };
}
