//! API tokens (`/tokens`, admin only): the list (name, role, created by, created, expires, last used), a
//! form to create one (name, role, optional expiry) and "Revoke…" with a confirm dialog. A new token is
//! shown once, in a box with a copy button and a warning, until the person dismisses it or leaves the
//! page: the server keeps only its hash and cannot show it again.

import { createToken, listTokens, revokeToken, type NewTokenView, type TokenView } from "../api/auth";
import { type Role } from "../api/client";
import { type Column } from "../components/data-table";
import { h, html } from "../components/dom";
import { FormField } from "../components/form-field";
import { FormShell } from "../components/form-shell";
import { ListPage } from "../components/list-page";
import { ROLE_SUMMARY, TOKEN_ROLES } from "../lib/access";
import { formatRelative, formatTimestamp } from "../lib/format";
import { EXPIRY_CHOICES, expiresAtFor, isExpired } from "../lib/token-expiry";
import type { ViewContext } from "../router";

function columns(): Column<TokenView, never>[] {
  const now = () => Date.now() / 1000;
  return [
    { label: "Name", cell: (t) => html`<strong>${t.name}</strong>` },
    { label: "Role", cell: (t) => html`<span class="role-badge">${t.role}</span>` },
    { label: "Created by", className: "optional", cell: (t) => html`${t.createdBy}` },
    { label: "Created", className: "optional", cell: (t) => html`${formatTimestamp(t.createdAt)}` },
    {
      label: "Expires",
      cell: (t) =>
        t.expiresAt == null ? html`never` : html`<span class="${isExpired(t.expiresAt, now()) ? "error-text" : ""}">${isExpired(t.expiresAt, now()) ? "expired " : ""}${formatTimestamp(t.expiresAt)}</span>`,
    },
    { label: "Last used", cell: (t) => html`<span title="${formatTimestamp(t.lastUsedAt)}">${formatRelative(t.lastUsedAt, now())}</span>` },
    { label: "Actions", className: "num", cell: (t) => html`<button type="button" class="button danger-outline" data-action="revoke" data-token="${t.id}">Revoke…</button>` },
  ];
}

export function tokensView(ctx: ViewContext): void {
  ctx.setTitle("API tokens");
  const shown = h("div", { class: "new-token-slot" });
  const list: ListPage<TokenView> = new ListPage<TokenView>({
    caption: "API tokens",
    columns: columns(),
    loadingText: "Loading tokens…",
    empty: () => h("div", {}, h("p", { class: "empty-title" }, "No API tokens"), h("p", {}, "Create one above for a script or a generated client.")),
    fetch: listTokens,
    signal: ctx.signal,
    rowAttr: "token",
    rowId: (t) => t.id,
    actions: {
      revoke: async (token, button) => {
        const revoked = await list.confirmThen(
          button,
          {
            title: `Revoke ${token.name}?`,
            body: `Scripts using ${token.name} (${token.role}) are refused from their next request. This cannot be undone: a new token would have a new secret.`,
            confirmLabel: "Revoke token",
            busyLabel: "Revoking…",
            action: () => revokeToken(token.id),
          },
          `Revoked ${token.name}.`,
        );
        // A token just shown and now revoked is of no use to copy.
        if (revoked && shown.dataset.tokenId === token.id) clearShown();
      },
    },
  });

  const clearShown = () => {
    shown.replaceChildren();
    delete shown.dataset.tokenId;
  };
  const form = createForm(ctx, (created) => {
    list.say("");
    shown.dataset.tokenId = created.id;
    shown.replaceChildren(newTokenBox(created, clearShown));
    shown.querySelector<HTMLElement>("input")?.focus();
    void list.load();
  });

  ctx.root.append(
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, "API tokens"), h("p", { class: "muted" }, "For scripts and generated clients: send ", h("code", {}, "Authorization: Bearer vgt_…"), ". A token acts with its role.")),
    ),
    form,
    shown,
    list.status,
    list.view.element,
  );
  void list.load();
}

function createForm(ctx: ViewContext, created: (token: NewTokenView) => void): HTMLElement {
  const fields = {
    name: new FormField({ name: "name", label: "Name", value: "", required: true, placeholder: "backup-script", hint: "What uses it, so you know what breaks when you revoke it." }),
    role: new FormField({ name: "role", label: "Role", value: "viewer", type: "select", choices: TOKEN_ROLES.map((r) => [r, r] as const) }),
    expiry: new FormField({ name: "expiresAt", label: "Expires", value: "90d", type: "select", choices: EXPIRY_CHOICES }),
  };
  const roleHint = h("p", { class: "field-hint" }, ROLE_SUMMARY.viewer);
  fields.role.input.addEventListener("change", () => (roleHint.textContent = ROLE_SUMMARY[fields.role.value as Role]));
  const form = new FormShell({
    titleId: "new-token-title",
    title: "Create a token",
    submitLabel: "Create token",
    className: "admin-form",
    // The server names only the name; role and expiry are choices.
    fields: { name: fields.name },
    content: [h("div", { class: "field-row" }, fields.name.element, h("div", {}, fields.role.element, roleHint), fields.expiry.element)],
  });
  form.onSubmit(async () => {
    const name = fields.name.value.trim();
    fields.name.setError(name ? null : "Give the token a name.");
    if (!name) return fields.name.focus();
    const token = await form.send(() => {
      const expiresAt = expiresAtFor(fields.expiry.value, Date.now() / 1000);
      return createToken({ name, role: fields.role.value as Role, ...(expiresAt !== undefined ? { expiresAt } : {}) }, ctx.signal);
    });
    if (!token) return;
    fields.name.input.value = "";
    created(token);
  });
  return form.element;
}

/** The token, shown this once: a read-only field, a copy button, the warning and a way to dismiss it. */
function newTokenBox(token: NewTokenView, dismiss: () => void): HTMLElement {
  const input = h("input", { type: "text", readonly: true, value: token.token, "aria-label": `The token ${token.name}`, id: "new-token-value", spellcheck: "false", autocomplete: "off" });
  const copyState = h("span", { class: "muted", role: "status" });
  const copy = h("button", { type: "button", class: "button primary" }, "Copy");
  copy.addEventListener("click", async () => {
    input.select();
    try {
      // The clipboard API needs a secure context (HTTPS or localhost); else the selection is left to copy.
      await navigator.clipboard.writeText(token.token);
      copyState.textContent = "Copied.";
    } catch {
      copyState.textContent = "Copy it by hand: it is selected.";
    }
  });
  return h(
    "section",
    { class: "new-token", "aria-labelledby": "new-token-shown" },
    h("h2", { id: "new-token-shown" }, `Token ${token.name} created`),
    h("p", {}, h("strong", {}, "Copy it now: Vigie shows it only this once."), " It is stored hashed and cannot be shown again; if it is lost, revoke it and create another."),
    h("div", { class: "token-line" }, input, copy),
    copyState,
    h("p", {}, h("button", { type: "button", class: "button", onclick: dismiss }, "I have copied it")),
  );
}
