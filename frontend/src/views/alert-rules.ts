//! Alert rules (`/alerts/rules`): the list, and one form to add a rule or change one, whose fields
//! switch with the kind (thresholds for utilization and errors, loss and RTT for ping, severity and
//! pattern for log entries), with the scope (all / devices / tags) and the channels to tell. Removing
//! asks first. Viewers see the list only.

import { createRule, deleteRule, listChannels, listRules, updateRule, type AlertChannelView, type AlertRuleView } from "../api/alerts";
import { ApiError, isAbort, session } from "../api/client";
import { AsyncView, errorMessage } from "../components/async-view";
import { confirmDialog } from "../components/confirm-dialog";
import { DataTable, type Column } from "../components/data-table";
import { h, html } from "../components/dom";
import { FormField } from "../components/form-field";
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
  let rules: AlertRuleView[] = [];
  let channels: AlertChannelView[] = [];
  const status = h("p", { class: "muted", role: "status" });
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
  const table = new DataTable<AlertRuleView, never>({ caption: "Alert rules", columns });
  const view = new AsyncView<AlertRuleView[]>({
    loadingText: "Loading rules…",
    isEmpty: (rows) => rows.length === 0,
    empty: () => h("div", {}, h("p", { class: "empty-title" }, "No alert rules"), h("p", {}, mayEdit ? "Add one above: incidents open when its condition holds." : "An operator adds them.")),
    render: (rows, container) => {
      if (!container.firstChild) container.append(table.element);
      table.setRows(rows);
    },
    retry: () => void load(),
  });
  const load = async () => {
    if (!rules.length) view.loading();
    try {
      [rules, channels] = await Promise.all([listRules(ctx.signal), listChannels(ctx.signal)]);
      editor?.setChannels(channels);
      view.data(rules);
    } catch (err) {
      if (!isAbort(err)) view.error(err);
    }
  };
  const editor = mayEdit
    ? ruleEditor((saved, verb) => {
        status.textContent = `${verb} rule ${saved.name}.`;
        void load();
      })
    : null;

  table.element.addEventListener("click", async (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-action]");
    const rule = rules.find((r) => r.id === button?.dataset.rule);
    if (!button || !rule) return;
    if (button.dataset.action === "edit") return editor?.edit(rule);
    const removed = await confirmDialog({
      title: `Delete rule ${rule.name}?`,
      body: "Its open incidents resolve without notifications. This cannot be undone.",
      confirmLabel: "Delete rule",
      busyLabel: "Deleting…",
      action: () => deleteRule(rule.id),
    });
    if (!removed) return button.focus();
    status.textContent = `Deleted rule ${rule.name}.`;
    void load();
  });

  ctx.root.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Alert rules"), h("p", { class: "muted" }, "A rule opens an incident when its condition has held for its duration, and resolves it when it has been false for the recovery delay."))),
    alertTabs("alertRules"),
    editor?.element ?? "",
    status,
    view.element,
  );
  void load();
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
  const formError = h("div", { class: "form-error", role: "alert", hidden: true });
  const title = h("h2", { id: "rule-form-title" }, "Add a rule");
  const submit = h("button", { type: "submit", class: "button primary" }, "Add rule");
  const cancel = h("button", { type: "button", class: "button", hidden: true }, "Cancel");
  const form = h(
    "form",
    { class: "admin-form alert-form", novalidate: true, "aria-labelledby": "rule-form-title" },
    title,
    formError,
    h("div", { class: "field-row" }, fields.name.element, fields.kind.element),
    h("div", { class: "field-row" }, ...Object.values(kindFields).map((k) => k.element)),
    scope.element,
    h("div", { class: "field-row" }, fields.forSecs.element, fields.recoverySecs.element, fields.reminderMins.element),
    channelBox,
    h("p", {}, h("label", { for: "rule-enabled", class: "choice" }, enabled, " Enabled")),
    h("div", { class: "form-actions" }, submit, cancel),
  );
  const reset = () => {
    editing = null;
    fill(emptyRuleForm());
    title.textContent = "Add a rule";
    submit.textContent = "Add rule";
    cancel.hidden = true;
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
    for (const field of Object.values(allFields)) field.setError(null);
    formError.hidden = true;
    showKind();
  };
  cancel.addEventListener("click", reset);
  form.addEventListener("input", (event) => {
    for (const field of Object.values(allFields)) if (field.input === event.target) field.setError(null);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
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
    if (!built.ok) {
      const field = allFields[built.field];
      field?.setError(built.message);
      return field?.focus();
    }
    submit.disabled = true;
    try {
      const rule = editing ? await updateRule(editing.id, built.body) : await createRule(built.body);
      const verb = editing ? "Saved" : "Added";
      reset();
      saved(rule, verb);
    } catch (err) {
      const field = err instanceof ApiError && err.field ? allFields[err.field] : undefined;
      if (field) {
        field.setError(errorMessage(err));
        field.focus();
      } else {
        formError.textContent = errorMessage(err);
        formError.hidden = false;
      }
    } finally {
      submit.disabled = false;
    }
  });
  showKind();
  return {
    element: form,
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
      title.textContent = `Change rule ${rule.name}`;
      submit.textContent = "Save rule";
      cancel.hidden = false;
      fields.kind.input.disabled = true;
      form.scrollIntoView({ block: "start" });
      fields.name.focus();
    },
  };
}
