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
  MAX_PING_INTERVAL_SECS,
  MAX_RETRIES,
  MIN_PING_INTERVAL_SECS,
  MAX_TIMEOUT_MS,
  MIN_TIMEOUT_MS,
  MAX_CONTEXT_BYTES,
  MAX_PASSWORD_LEN,
  MAX_USER_BYTES,
  MIN_PASSWORD_LEN,
  SECRET_FIELDS,
  storedSecrets,
} from "../lib/device-input";
import { AUTH_PROTOCOLS, levelUses, PRIV_PROTOCOLS, SECURITY_LEVELS, SNMP_VERSIONS, type AuthProtocol, type PrivProtocol, type SecurityLevel, type SnmpVersion } from "../lib/snmp-labels";
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
    "snmp.version": new FormField({ name: "snmp.version", label: "SNMP version", value: values.version, type: "select", choices: SNMP_VERSIONS }),
    "snmp.community": new FormField({
      name: "snmp.community",
      label: "Community",
      value: values.community,
      type: "password",
      required: mode === "create",
      autocomplete: "new-password",
      hint: mode === "edit" ? "Leave blank to keep the current community." : "The read community configured on the device.",
    }),
    "snmp.user": new FormField({ name: "snmp.user", label: "User", value: values.user, required: true, hint: `The SNMPv3 (USM) user configured on the device, 1 to ${MAX_USER_BYTES} bytes.` }),
    "snmp.securityLevel": new FormField({ name: "snmp.securityLevel", label: "Security level", value: values.securityLevel, type: "select", choices: SECURITY_LEVELS }),
    "snmp.authProtocol": new FormField({ name: "snmp.authProtocol", label: "Authentication protocol", value: values.authProtocol, type: "select", choices: AUTH_PROTOCOLS }),
    "snmp.authPassword": secretField("snmp.authPassword", "Authentication password", mode),
    "snmp.privProtocol": new FormField({ name: "snmp.privProtocol", label: "Privacy protocol", value: values.privProtocol, type: "select", choices: PRIV_PROTOCOLS }),
    "snmp.privPassword": secretField("snmp.privPassword", "Privacy password", mode),
    "snmp.contextName": new FormField({ name: "snmp.contextName", label: "Context", value: values.contextName, hint: `Optional, up to ${MAX_CONTEXT_BYTES} bytes; blank for the default context.` }),
    pollIntervalSecs: new FormField({ name: "pollIntervalSecs", label: "Poll interval (seconds)", value: values.pollIntervalSecs, type: "number", required: true, hint: `1 to ${MAX_POLL_INTERVAL_SECS}.` }),
    timeoutMs: new FormField({ name: "timeoutMs", label: "Timeout (milliseconds)", value: values.timeoutMs, type: "number", hint: `Per attempt, ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}.${mode === "create" ? " Blank for the server default (1000)." : ""}` }),
    retries: new FormField({ name: "retries", label: "Retries", value: values.retries, type: "number", hint: `0 to ${MAX_RETRIES}.${mode === "create" ? " Blank for the server default (1)." : ""}` }),
    pingIntervalSecs: new FormField({ name: "pingIntervalSecs", label: "Ping interval (seconds)", value: values.pingIntervalSecs, type: "number", hint: `ICMP echo rounds: 0 turns them off, else ${MIN_PING_INTERVAL_SECS} to ${MAX_PING_INTERVAL_SECS}.` }),
    parentId: new FormField({ name: "parentId", label: "Parent device id", value: values.parentId, hint: "Optional. When the parent is unreachable, this device is shown unreachable behind it and its alerts are held." }),
    tags: new FormField({ name: "tags", label: "Tags", value: values.tags, hint: "Optional, separated by commas: core, paris. Alert rules and the device list filter on them." }),
  };
}

function secretField(name: "snmp.authPassword" | "snmp.privPassword", label: string, mode: FormMode): FormField {
  const rule = `${MIN_PASSWORD_LEN} to ${MAX_PASSWORD_LEN} characters.`;
  const hint = mode === "edit" ? `${rule} Leave blank to keep the current one; a new protocol needs its password again.` : rule;
  return new FormField({ name, label, value: "", type: "password", required: mode === "create", autocomplete: "new-password", hint });
}

/**
 * Shows the fields the chosen version and security level use (and only those: hidden fields are not
 * validated nor sent), and marks the secrets the server holds with a "set" placeholder.
 */
function showSnmpFields(fields: Record<DeviceField, FormField>, original: DeviceView | null): void {
  const values = readValues(fields);
  const v3 = values.version === "v3";
  const uses = levelUses(values.securityLevel);
  const shown: [DeviceField, boolean][] = [
    ["snmp.community", !v3],
    ["snmp.user", v3],
    ["snmp.securityLevel", v3],
    ["snmp.authProtocol", v3 && uses.auth],
    ["snmp.authPassword", v3 && uses.auth],
    ["snmp.privProtocol", v3 && uses.priv],
    ["snmp.privPassword", v3 && uses.priv],
    ["snmp.contextName", v3],
  ];
  for (const [key, visible] of shown) fields[key].element.hidden = !visible;
  const stored = storedSecrets(values, original);
  for (const key of SECRET_FIELDS) {
    (fields[key].input as HTMLInputElement).placeholder = stored[key] ? "set (leave blank to keep)" : "";
  }
}

function readValues(fields: Record<DeviceField, FormField>): DeviceFormValues {
  return {
    host: fields.host.value,
    name: fields.name.value,
    port: fields.port.value,
    version: fields["snmp.version"].value as SnmpVersion,
    community: fields["snmp.community"].value,
    user: fields["snmp.user"].value,
    securityLevel: fields["snmp.securityLevel"].value as SecurityLevel,
    authProtocol: fields["snmp.authProtocol"].value as AuthProtocol,
    authPassword: fields["snmp.authPassword"].value,
    privProtocol: fields["snmp.privProtocol"].value as PrivProtocol,
    privPassword: fields["snmp.privPassword"].value,
    contextName: fields["snmp.contextName"].value,
    pollIntervalSecs: fields.pollIntervalSecs.value,
    timeoutMs: fields.timeoutMs.value,
    retries: fields.retries.value,
    pingIntervalSecs: fields.pingIntervalSecs.value,
    parentId: fields.parentId.value,
    tags: fields.tags.value,
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
    h(
      "fieldset",
      {},
      h("legend", {}, "SNMP"),
      ...(["snmp.version", "snmp.community", "snmp.user", "snmp.securityLevel", "snmp.authProtocol", "snmp.authPassword", "snmp.privProtocol", "snmp.privPassword", "snmp.contextName"] as const).map((key) => fields[key].element),
      fields.pollIntervalSecs.element,
    ),
    h("details", {}, h("summary", {}, "Timeout and retries"), fields.timeoutMs.element, fields.retries.element),
    h("details", {}, h("summary", {}, "Reachability and tags"), fields.pingIntervalSecs.element, fields.parentId.element, fields.tags.element),
    h("div", { class: "form-actions" }, submit, h("a", { class: "button", href: cancelHref }, "Cancel")),
  );

  showSnmpFields(fields, original);
  // The version and security level choose the SNMP fields; a new protocol asks for its password again.
  form.addEventListener("change", () => showSnmpFields(fields, original));
  // After a first attempt, errors follow the typing so they disappear as soon as they are fixed.
  form.addEventListener("input", () => {
    if (!submitted) return;
    const errors = validateDevice(readValues(fields), original);
    for (const key of DEVICE_FIELDS) fields[key].setError(errors[key]);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submitted = true;
    formError.hidden = true;
    const values = readValues(fields);
    if (showErrors(validateDevice(values, original))) return;

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
