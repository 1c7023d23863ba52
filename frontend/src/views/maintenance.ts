//! Maintenance windows (`/alerts/maintenance`): the list (active now or not), and one form to add a
//! window or change one: one-off (from, to) or weekly (days, start, duration), all in UTC, over every
//! device, a list of devices or tags. Removing asks first. Viewers see the list only.

import { createWindow, deleteWindow, listWindows, updateWindow, type MaintenanceWindowView } from "../api/alerts";
import { ApiError, isAbort, session } from "../api/client";
import { AsyncView, errorMessage } from "../components/async-view";
import { confirmDialog } from "../components/confirm-dialog";
import { DataTable, type Column } from "../components/data-table";
import { h, html } from "../components/dom";
import { FormField } from "../components/form-field";
import { can } from "../lib/access";
import { describeSchedule, describeScope, emptyWindowForm, WEEKDAYS, windowBody, windowForm, type WindowForm } from "../lib/alert-forms";
import type { ViewContext } from "../router";
import { scopeFields } from "./alert-scope";
import { alertTabs } from "./alert-tabs";

export function maintenanceView(ctx: ViewContext): void {
  ctx.setTitle("Maintenance windows");
  const mayEdit = can(session.current?.role, "manageAlerts");
  let windows: MaintenanceWindowView[] = [];
  const status = h("p", { class: "muted", role: "status" });
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
  const table = new DataTable<MaintenanceWindowView, never>({ caption: "Maintenance windows", columns });
  const view = new AsyncView<MaintenanceWindowView[]>({
    loadingText: "Loading windows…",
    isEmpty: (rows) => rows.length === 0,
    empty: () => h("div", {}, h("p", { class: "empty-title" }, "No maintenance windows"), h("p", {}, "While a window is active, incidents of the devices it covers are marked and nobody is told.")),
    render: (rows, container) => {
      if (!container.firstChild) container.append(table.element);
      table.setRows(rows);
    },
    retry: () => void load(),
  });
  const load = async () => {
    if (!windows.length) view.loading();
    try {
      windows = await listWindows(ctx.signal);
      view.data(windows);
    } catch (err) {
      if (!isAbort(err)) view.error(err);
    }
  };
  const editor = mayEdit
    ? windowEditor((saved, verb) => {
        status.textContent = `${verb} window ${saved.name}.`;
        void load();
      })
    : null;
  table.element.addEventListener("click", async (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-action]");
    const window_ = windows.find((w) => w.id === button?.dataset.window);
    if (!button || !window_) return;
    if (button.dataset.action === "edit") return editor?.edit(window_);
    const removed = await confirmDialog({
      title: `Delete window ${window_.name}?`,
      body: "Its devices' incidents are announced again from now on.",
      confirmLabel: "Delete window",
      busyLabel: "Deleting…",
      action: () => deleteWindow(window_.id),
    });
    if (!removed) return button.focus();
    status.textContent = `Deleted window ${window_.name}.`;
    void load();
  });
  ctx.root.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Maintenance windows"), h("p", { class: "muted" }, "Times are UTC. A window silences notifications and marks incidents; it does not stop polling."))),
    alertTabs("maintenance"),
    editor?.element ?? "",
    status,
    view.element,
  );
  void load();
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
  const formError = h("div", { class: "form-error", role: "alert", hidden: true });
  const title = h("h2", { id: "window-form-title" }, "Add a window");
  const submit = h("button", { type: "submit", class: "button primary" }, "Add window");
  const cancel = h("button", { type: "button", class: "button", hidden: true }, "Cancel");
  const form = h(
    "form",
    { class: "admin-form alert-form", novalidate: true, "aria-labelledby": "window-form-title" },
    title,
    formError,
    h("div", { class: "field-row" }, fields.name.element, fields.type.element),
    h("div", { class: "field-row" }, fields.from.element, fields.to.element),
    days,
    h("div", { class: "field-row" }, fields.start.element, fields.durationMins.element),
    scope.element,
    h("div", { class: "form-actions" }, submit, cancel),
  );
  const fill = (values: WindowForm) => {
    fields.name.input.value = values.name;
    fields.type.input.value = values.type;
    fields.from.input.value = values.from;
    fields.to.input.value = values.to;
    fields.start.input.value = values.start;
    fields.durationMins.input.value = values.durationMins;
    for (const box of days.querySelectorAll<HTMLInputElement>("input")) box.checked = values.days.includes(box.value as WindowForm["days"][number]);
    scope.set(values.scopeMode, values.scopeList);
    for (const field of Object.values(allFields)) field.setError(null);
    daysError.hidden = true;
    formError.hidden = true;
    show();
  };
  const reset = () => {
    editing = null;
    fill(emptyWindowForm());
    title.textContent = "Add a window";
    submit.textContent = "Add window";
    cancel.hidden = true;
  };
  cancel.addEventListener("click", reset);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
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
      allFields[built.field]?.setError(built.message);
      return allFields[built.field]?.focus();
    }
    submit.disabled = true;
    try {
      const w = editing ? await updateWindow(editing.id, built.body) : await createWindow(built.body);
      const verb = editing ? "Saved" : "Added";
      reset();
      saved(w, verb);
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
  show();
  return {
    element: form,
    edit(w: MaintenanceWindowView) {
      editing = w;
      fill(windowForm(w));
      title.textContent = `Change window ${w.name}`;
      submit.textContent = "Save window";
      cancel.hidden = false;
      form.scrollIntoView({ block: "start" });
      fields.name.focus();
    },
  };
}
