//! Maintenance windows (`/alerts/maintenance`): the list (active now or not), and one form to add a
//! window or change one: one-off (from, to) or weekly (days, start, duration), all in UTC, over every
//! device, a list of devices or tags. Removing asks first. Viewers see the list only.

import { createWindow, deleteWindow, listWindows, updateWindow, type MaintenanceWindowView } from "../api/alerts";
import { session } from "../api/client";
import { type Column } from "../components/data-table";
import { h, html } from "../components/dom";
import { FormField } from "../components/form-field";
import { FormShell } from "../components/form-shell";
import { ListPage } from "../components/list-page";
import { can } from "../lib/access";
import { describeSchedule, describeScope, emptyWindowForm, WEEKDAYS, windowBody, windowForm, type WindowForm } from "../lib/alert-forms";
import type { ViewContext } from "../router";
import { scopeFields } from "./alert-scope";
import { alertTabs } from "./alert-tabs";

export function maintenanceView(ctx: ViewContext): void {
  ctx.setTitle("Maintenance windows");
  const mayEdit = can(session.current?.role, "manageAlerts");
  const columns: Column<MaintenanceWindowView, never>[] = [
    { label: "Name", cell: (w) => html`<strong>${w.name}</strong>${w.active ? html` <span class="incident-mark">active now</span>` : ""}` },
    { label: "When", cell: (w) => html`${describeSchedule(w)}` },
    { label: "Covers", className: "optional", cell: (w) => html`${describeScope(w.scope)}` },
  ];
  if (mayEdit) {
    columns.push({
      label: "Actions",
      className: "num",
      cell: (w) => html`<button type="button" class="button" data-action="edit" data-window="${w.id}">Edit</button> <button type="button" class="button danger-outline" data-action="delete" data-window="${w.id}">Delete…</button>`,
    });
  }
  const list: ListPage<MaintenanceWindowView> = new ListPage<MaintenanceWindowView>({
    caption: "Maintenance windows",
    columns,
    loadingText: "Loading windows…",
    empty: () => h("div", {}, h("p", { class: "empty-title" }, "No maintenance windows"), h("p", {}, "While a window is active, incidents of the devices it covers are marked and nobody is told.")),
    fetch: listWindows,
    signal: ctx.signal,
    rowAttr: "window",
    rowId: (w) => w.id,
    actions: {
      edit: (w) => editor?.edit(w),
      delete: (w, button) => list.confirmDelete(button, "window", w.name, "Its devices' incidents are announced again from now on.", () => deleteWindow(w.id)),
    },
  });
  const editor = mayEdit
    ? windowEditor((saved, verb) => {
        list.say(`${verb} window ${saved.name}.`);
        void list.load();
      })
    : null;
  ctx.root.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Maintenance windows"), h("p", { class: "muted" }, "Times are UTC. A window silences notifications and marks incidents; it does not stop polling."))),
    alertTabs("maintenance"),
    editor?.element ?? "",
    list.status,
    list.view.element,
  );
  void list.load();
}

function windowEditor(saved: (w: MaintenanceWindowView, verb: string) => void) {
  let editing: MaintenanceWindowView | null = null;
  const f = emptyWindowForm();
  const fields = {
    name: new FormField({ name: "name", label: "Name", value: "", required: true, placeholder: "Saturday upgrades" }),
    type: new FormField({ name: "type", label: "Repeats", value: f.type, type: "select", choices: [["one_off", "Once"], ["weekly", "Every week"]] }),
    from: new FormField({ name: "from", label: "From (UTC)", value: "", placeholder: "2026-12-05T22:00", hint: "YYYY-MM-DDTHH:MM" }),
    to: new FormField({ name: "to", label: "To (UTC)", value: "", placeholder: "2026-12-06T02:00" }),
    start: new FormField({ name: "start", label: "Starts at (UTC)", value: f.start, placeholder: "22:00" }),
    durationMins: new FormField({ name: "durationMins", label: "Lasts (minutes)", value: f.durationMins, type: "number" }),
  };
  const days = h("fieldset", { class: "day-choices" }, h("legend", {}, "Days"), ...WEEKDAYS.map((d) => h("label", { class: "choice" }, h("input", { type: "checkbox", name: "days", value: d }), ` ${d}`)));
  const daysError = h("p", { class: "field-error", hidden: true });
  days.append(daysError);
  const scope = scopeFields("window");
  const allFields: Record<string, FormField> = { ...fields, scope: scope.field };
  const show = () => {
    const weekly = fields.type.value === "weekly";
    fields.from.element.hidden = fields.to.element.hidden = weekly;
    fields.start.element.hidden = fields.durationMins.element.hidden = days.hidden = !weekly;
  };
  fields.type.input.addEventListener("change", show);
  const form = new FormShell({
    titleId: "window-form-title",
    title: "Add a window",
    submitLabel: "Add window",
    className: "admin-form alert-form",
    fields: allFields,
    cancel: () => reset(),
    clearOnInput: false,
    content: [
      h("div", { class: "field-row" }, fields.name.element, fields.type.element),
      h("div", { class: "field-row" }, fields.from.element, fields.to.element),
      days,
      h("div", { class: "field-row" }, fields.start.element, fields.durationMins.element),
      scope.element,
    ],
  });
  const fill = (values: WindowForm) => {
    fields.name.input.value = values.name;
    fields.type.input.value = values.type;
    fields.from.input.value = values.from;
    fields.to.input.value = values.to;
    fields.start.input.value = values.start;
    fields.durationMins.input.value = values.durationMins;
    for (const box of days.querySelectorAll<HTMLInputElement>("input")) box.checked = values.days.includes(box.value as WindowForm["days"][number]);
    scope.set(values.scopeMode, values.scopeList);
    form.clearErrors();
    daysError.hidden = true;
    show();
  };
  const reset = () => {
    editing = null;
    fill(emptyWindowForm());
    form.setMode("Add a window", "Add window", false);
  };
  form.onSubmit(async () => {
    daysError.hidden = true;
    const values: WindowForm = {
      name: fields.name.value,
      type: fields.type.value as WindowForm["type"],
      from: fields.from.value.trim(),
      to: fields.to.value.trim(),
      start: fields.start.value.trim(),
      durationMins: fields.durationMins.value,
      days: [...days.querySelectorAll<HTMLInputElement>("input:checked")].map((b) => b.value as WindowForm["days"][number]),
      ...scope.get(),
    };
    const built = windowBody(values);
    if (!built.ok) {
      if (built.field === "days") {
        daysError.textContent = built.message;
        daysError.hidden = false;
        return;
      }
      return form.fieldError(allFields[built.field], built.message);
    }
    const id = editing?.id;
    const w = await form.send(() => (id !== undefined ? updateWindow(id, built.body) : createWindow(built.body)));
    if (!w) return;
    const verb = id !== undefined ? "Saved" : "Added";
    reset();
    saved(w, verb);
  });
  show();
  return {
    element: form.element,
    edit(w: MaintenanceWindowView) {
      editing = w;
      fill(windowForm(w));
      form.setMode(`Change window ${w.name}`, "Save window", true);
      form.element.scrollIntoView({ block: "start" });
      fields.name.focus();
    },
  };
}
