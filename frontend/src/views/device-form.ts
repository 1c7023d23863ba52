//! Add device (`/devices/new`) and edit device (`/devices/:id/edit`). Input is checked in the browser
//! with the server's rules (lib/device-input.ts); what the server still rejects comes back with a
//! `field` path and is shown under that input. Success opens the device page.

import { ApiError, createDevice, getDevice, isAbort, updateDevice, type DeviceView } from "../api/client";
import { AsyncView, errorMessage } from "../components/async-view";
import { h } from "../components/dom";
import { queueFlash } from "../components/flash";
import { FormField } from "../components/form-field";
import {
  DEVICE_FIELDS,
  fieldMessage,
  initialValues,
  isDeviceField,
  toDevicePatch,
  toNewDevice,
  validateDevice,
  type DeviceField,
  type DeviceFormValues,
  type FieldErrors,
  type FormMode,
  MAX_POLL_INTERVAL_SECS,
  MAX_RETRIES,
  MAX_TIMEOUT_MS,
  MIN_TIMEOUT_MS,
} from "../lib/device-input";
import { href } from "../lib/route";
import type { ViewContext } from "../router";

function buildFields(values: DeviceFormValues, mode: FormMode): Record<DeviceField, FormField> {
  return {
    host: new FormField({ name: "host", label: "Address", value: values.host, required: true, hint: "IP address or DNS name of the SNMP agent.", placeholder: "192.0.2.10 or switch1.example.net" }),
    name: new FormField({
      name: "name",
      label: "Name",
      value: values.name,
      required: mode === "edit",
      hint: mode === "create" ? "Optional; the address is used when left blank." : undefined,
    }),
    port: new FormField({ name: "port", label: "UDP port", value: values.port, type: "number", required: true }),
    "snmp.version": new FormField({ name: "snmp.version", label: "SNMP version", value: values.version, type: "select", choices: [["v2c", "SNMP v2c"]] }),
    "snmp.community": new FormField({
      name: "snmp.community",
      label: "Community",
      value: values.community,
      type: "password",
      required: mode === "create",
      autocomplete: "new-password",
      hint: mode === "edit" ? "Leave blank to keep the current community." : "The read community configured on the device.",
    }),
    pollIntervalSecs: new FormField({ name: "pollIntervalSecs", label: "Poll interval (seconds)", value: values.pollIntervalSecs, type: "number", required: true, hint: `1 to ${MAX_POLL_INTERVAL_SECS}.` }),
    timeoutMs: new FormField({ name: "timeoutMs", label: "Timeout (milliseconds)", value: values.timeoutMs, type: "number", hint: `Per attempt, ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}.${mode === "create" ? " Blank for the server default (1000)." : ""}` }),
    retries: new FormField({ name: "retries", label: "Retries", value: values.retries, type: "number", hint: `0 to ${MAX_RETRIES}.${mode === "create" ? " Blank for the server default (1)." : ""}` }),
  };
}

function readValues(fields: Record<DeviceField, FormField>): DeviceFormValues {
  return {
    host: fields.host.value,
    name: fields.name.value,
    port: fields.port.value,
    version: "v2c",
    community: fields["snmp.community"].value,
    pollIntervalSecs: fields.pollIntervalSecs.value,
    timeoutMs: fields.timeoutMs.value,
    retries: fields.retries.value,
  };
}

function renderForm(ctx: ViewContext, mode: FormMode, original: DeviceView | null): HTMLElement {
  const fields = buildFields(initialValues(original), mode);
  const formError = h("div", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "button primary" }, mode === "create" ? "Add device" : "Save changes");
  const cancelHref = original ? href.device(original.id) : href.overview();
  let submitted = false;

  const showErrors = (errors: FieldErrors): boolean => {
    for (const key of DEVICE_FIELDS) fields[key].setError(errors[key]);
    const first = DEVICE_FIELDS.find((key) => errors[key]);
    if (first) {
      // Advanced fields are folded away: open them so the error is seen.
      fields[first].element.closest("details")?.setAttribute("open", "");
      fields[first].focus();
    }
    return first !== undefined;
  };

  const form = h(
    "form",
    { class: "device-form", novalidate: true },
    formError,
    h("fieldset", {}, h("legend", {}, "Device"), fields.host.element, fields.name.element, fields.port.element),
    h("fieldset", {}, h("legend", {}, "SNMP"), fields["snmp.version"].element, fields["snmp.community"].element, fields.pollIntervalSecs.element),
    h("details", {}, h("summary", {}, "Timeout and retries"), fields.timeoutMs.element, fields.retries.element),
    h("div", { class: "form-actions" }, submit, h("a", { class: "button", href: cancelHref }, "Cancel")),
  );

  // After a first attempt, errors follow the typing so they disappear as soon as they are fixed.
  form.addEventListener("input", () => {
    if (!submitted) return;
    const errors = validateDevice(readValues(fields), mode);
    for (const key of DEVICE_FIELDS) fields[key].setError(errors[key]);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submitted = true;
    formError.hidden = true;
    const values = readValues(fields);
    if (showErrors(validateDevice(values, mode))) return;

    submit.disabled = true;
    submit.textContent = mode === "create" ? "Adding…" : "Saving…";
    try {
      let device: DeviceView;
      if (original) {
        const patch = toDevicePatch(values, original);
        device = Object.keys(patch).length ? await updateDevice(original.id, patch, ctx.signal) : original;
        queueFlash(Object.keys(patch).length ? `Saved ${device.name}.` : "Nothing changed.");
      } else {
        device = await createDevice(toNewDevice(values), ctx.signal);
        queueFlash(`Added ${device.name}. The first poll is on its way.`);
      }
      ctx.navigate(href.device(device.id));
    } catch (err) {
      if (isAbort(err)) return;
      submit.disabled = false;
      submit.textContent = mode === "create" ? "Add device" : "Save changes";
      if (err instanceof ApiError && isDeviceField(err.field)) {
        showErrors({ [err.field]: fieldMessage(err.message, err.field) });
      } else {
        formError.textContent = errorMessage(err);
        formError.hidden = false;
        formError.focus();
      }
    }
  });
  formError.tabIndex = -1;
  return form;
}

export function deviceFormView(ctx: ViewContext): void {
  const route = ctx.route;
  if (route.name === "newDevice") {
    ctx.setTitle("Add device");
    ctx.root.append(
      h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" }, h("a", { href: href.overview() }, "Devices"), h("span", { "aria-hidden": "true" }, " › "), h("span", { "aria-current": "page" }, "Add device")),
      h("h1", {}, "Add device"),
      renderForm(ctx, "create", null),
    );
    return;
  }
  if (route.name !== "editDevice") return;

  ctx.setTitle("Edit device");
  const crumb = h("a", { href: href.device(route.id) }, "Device");
  const heading = h("h1", {}, "Edit device");
  const view = new AsyncView<DeviceView>({
    loadingText: "Loading device…",
    render: (device, container) => {
      ctx.setTitle(`Edit ${device.name}`);
      crumb.textContent = device.name;
      heading.textContent = `Edit ${device.name}`;
      container.replaceChildren(renderForm(ctx, "edit", device));
    },
    retry: () => void load(),
  });
  const load = async () => {
    view.loading();
    try {
      view.data(await getDevice(route.id, ctx.signal));
    } catch (err) {
      if (!isAbort(err)) view.error(err);
    }
  };
  ctx.root.append(
    h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" }, h("a", { href: href.overview() }, "Devices"), h("span", { "aria-hidden": "true" }, " › "), crumb, h("span", { "aria-hidden": "true" }, " › "), h("span", { "aria-current": "page" }, "Edit")),
    heading,
    view.element,
  );
  void load();
}
