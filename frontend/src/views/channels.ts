//! Alert channels (`/alerts/channels`): the list, one form to add a channel or change one (its fields
//! switch with the type: webhook, Slack/Mattermost, email, command), "Send test" showing the result, and
//! removal after a confirmation. Secrets (a webhook's secret, a Slack URL, an SMTP password) are
//! write-only, like communities on the device form: they are shown as "set", never read back, and an
//! empty field keeps the one set.

import { createChannel, deleteChannel, listChannels, testChannel, updateChannel, type AlertChannelView, type NewAlertChannel } from "../api/alerts";
import { session } from "../api/client";
import { errorMessage } from "../components/async-view";
import { type Column } from "../components/data-table";
import { h, html } from "../components/dom";
import { FormField } from "../components/form-field";
import { FormShell } from "../components/form-shell";
import { ListPage } from "../components/list-page";
import { can } from "../lib/access";
import { channelBody, channelForm, emptyChannelForm, secretsSet, type ChannelForm } from "../lib/alert-forms";
import type { ViewContext } from "../router";
import { alertTabs } from "./alert-tabs";

function target(c: AlertChannelView): string {
  switch (c.type) {
    case "webhook":
      return `${c.url}${c.secretSet ? " (signed)" : ""}`;
    case "slack":
      return c.urlHost ? `${c.urlHost} (URL set)` : "URL set";
    case "email":
      return `${c.to.join(", ")} via ${c.smtpHost}:${c.smtpPort}`;
    case "command":
      return [c.program, ...c.args].join(" ");
  }
}

export function channelsView(ctx: ViewContext): void {
  ctx.setTitle("Alert channels");
  const mayEdit = can(session.current?.role, "manageAlerts");
  const columns: Column<AlertChannelView, never>[] = [
    { label: "Name", cell: (c) => html`<strong>${c.name}</strong>` },
    { label: "Type", cell: (c) => html`${c.type}` },
    { label: "Sends to", className: "optional", cell: (c) => html`${target(c)}` },
  ];
  if (mayEdit) {
    columns.push({
      label: "Actions",
      className: "num",
      cell: (c) =>
        html`<button type="button" class="button" data-action="test" data-channel="${c.id}">Send test</button> <button type="button" class="button" data-action="edit" data-channel="${c.id}">Edit</button> <button type="button" class="button danger-outline" data-action="delete" data-channel="${c.id}">Delete…</button>`,
    });
  }
  const list: ListPage<AlertChannelView> = new ListPage<AlertChannelView>({
    caption: "Alert channels",
    columns,
    loadingText: "Loading channels…",
    empty: () => h("div", {}, h("p", { class: "empty-title" }, "No alert channels"), h("p", {}, "Rules tell people through channels: a webhook, Slack or Mattermost, email, or a command.")),
    fetch: listChannels,
    signal: ctx.signal,
    statusClass: "channel-status",
    rowAttr: "channel",
    rowId: (c) => c.id,
    actions: {
      edit: (channel) => editor?.edit(channel),
      test: (channel, button) => sendTest(channel, button, list.status),
      delete: (channel, button) => list.confirmDelete(button, "channel", channel.name, "Rules stop telling it; deliveries waiting for it are given up. This cannot be undone.", () => deleteChannel(channel.id)),
    },
  });
  const editor = mayEdit
    ? channelEditor((saved, verb) => {
        list.say(`${verb} channel ${saved.name}.`);
        void list.load();
      })
    : null;

  ctx.root.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Alert channels"), h("p", { class: "muted" }, "Where notifications go. Each delivery is queued on disk and retried until it gets through."))),
    alertTabs("alertChannels"),
    editor?.element ?? "",
    list.status,
    list.view.element,
  );
  void list.load();
}

/** "Send test": the result (delivered, or why not) in the status line, marked for the e2e. */
async function sendTest(channel: AlertChannelView, button: HTMLButtonElement, status: HTMLElement): Promise<void> {
  button.disabled = true;
  status.textContent = `Sending a test to ${channel.name}…`;
  try {
    const result = await testChannel(channel.id);
    const d = result.delivery;
    status.textContent = result.delivered
      ? `Test delivered to ${channel.name} (attempt ${d.attempts}).`
      : `Test to ${channel.name} failed: ${d.lastError ?? d.state}.${d.nextAttemptAt ? " It is retried." : ""}`;
    status.dataset.result = result.delivered ? "delivered" : "failed";
  } catch (err) {
    status.textContent = errorMessage(err);
    status.dataset.result = "failed";
  } finally {
    button.disabled = false;
  }
}

type TextKey = Exclude<keyof ChannelForm, "type" | "tls">;

function channelEditor(saved: (channel: AlertChannelView, verb: string) => void) {
  let editing: AlertChannelView | null = null;
  const f = emptyChannelForm();
  const type = new FormField({ name: "type", label: "Type", value: f.type, type: "select", choices: [["webhook", "Webhook (signed JSON)"], ["slack", "Slack / Mattermost"], ["email", "Email (SMTP)"], ["command", "Command"]] });
  const tls = new FormField({ name: "tls", label: "TLS", value: f.tls, type: "select", choices: [["starttls", "STARTTLS (587)"], ["tls", "TLS (465)"], ["none", "None (trusted relay)"]] });
  const text = (name: TextKey, label: string, hint?: string, password = false) => new FormField({ name, label, value: f[name], hint, type: password ? "password" : "text", autocomplete: password ? "new-password" : "off" });
  const fields: Record<TextKey, FormField> = {
    name: text("name", "Name"),
    url: text("url", "URL"),
    secret: text("secret", "Signing secret", "HMAC-SHA256 of the body in X-Vigie-Signature. Write-only.", true),
    smtpHost: text("smtpHost", "SMTP server"),
    smtpPort: text("smtpPort", "Port"),
    username: text("username", "Username"),
    password: text("password", "Password", "Write-only.", true),
    from: text("from", "From"),
    to: text("to", "To", "Addresses separated by commas."),
    program: text("program", "Program", "An absolute path inside [notify] command_dir."),
    args: text("args", "Arguments", "Separated by spaces; no shell."),
    timeoutSecs: text("timeoutSecs", "Timeout (seconds)"),
  };
  const BY_TYPE: Record<ChannelForm["type"], (TextKey | "tls")[]> = {
    webhook: ["url", "secret"],
    slack: ["url"],
    email: ["smtpHost", "smtpPort", "tls", "username", "password", "from", "to"],
    command: ["program", "args", "timeoutSecs"],
  };
  const allFields: Record<string, FormField> = { ...fields, type, tls };
  const show = () => {
    const t = type.value as ChannelForm["type"];
    for (const [k, field] of Object.entries(allFields)) if (k !== "name" && k !== "type") field.element.hidden = !BY_TYPE[t].includes(k as TextKey);
    // A Slack URL is its secret: write-only too.
    fields.url.input.setAttribute("type", t === "slack" ? "password" : "text");
    markSecrets();
  };
  const markSecrets = () => {
    const set = secretsSet(editing);
    const mark = (field: FormField, isSet: boolean) => {
      field.input.setAttribute("placeholder", isSet ? "set: leave empty to keep" : "");
    };
    mark(fields.secret, set.secret);
    mark(fields.password, set.password);
    mark(fields.url, set.url);
  };
  type.input.addEventListener("change", show);
  const form = new FormShell({
    titleId: "channel-form-title",
    title: "Add a channel",
    submitLabel: "Add channel",
    className: "admin-form alert-form",
    fields: allFields,
    cancel: () => reset(),
    content: [
      h("div", { class: "field-row" }, fields.name.element, type.element),
      h("div", { class: "field-row" }, fields.url.element, fields.secret.element),
      h("div", { class: "field-row" }, fields.smtpHost.element, fields.smtpPort.element, tls.element),
      h("div", { class: "field-row" }, fields.username.element, fields.password.element),
      h("div", { class: "field-row" }, fields.from.element, fields.to.element),
      h("div", { class: "field-row" }, fields.program.element, fields.args.element, fields.timeoutSecs.element),
    ],
  });
  const fill = (values: ChannelForm) => {
    type.input.value = values.type;
    tls.input.value = values.tls;
    for (const k of Object.keys(fields) as TextKey[]) fields[k].input.value = values[k];
    form.clearErrors();
    show();
  };
  const reset = () => {
    editing = null;
    fill(emptyChannelForm());
    form.setMode("Add a channel", "Add channel", false);
    type.input.disabled = false;
  };
  form.onSubmit(async () => {
    const values = { ...(Object.fromEntries(Object.entries(fields).map(([k, field]) => [k, field.value])) as Record<TextKey, string>), type: type.value as ChannelForm["type"], tls: tls.value as ChannelForm["tls"] };
    const built = channelBody(values, editing !== null);
    if (!built.ok) return form.fieldError(allFields[built.field], built.message);
    const id = editing?.id;
    const channel = await form.send(() => (id !== undefined ? updateChannel(id, built.body) : createChannel(built.body as NewAlertChannel)));
    if (!channel) return;
    const verb = id !== undefined ? "Saved" : "Added";
    reset();
    saved(channel, verb);
  });
  show();
  return {
    element: form.element,
    edit(channel: AlertChannelView) {
      editing = channel;
      fill(channelForm(channel));
      form.setMode(`Change channel ${channel.name}`, "Save channel", true);
      type.input.disabled = true;
      form.element.scrollIntoView({ block: "start" });
      fields.name.focus();
    },
  };
}
