//! Users (`/users`, admin only): the list, a form to add one (username, password, role), and per user
//! "Change role…", "Reset password…" and "Remove…", each in a confirm dialog that shows the server's
//! refusal (the last admin cannot be demoted or removed) where the person is looking.
//! An admin who demotes themselves is sent back to the overview; one who removes themselves, to login.

import { createUser, deleteUser, listUsers, loadSession, updateUser, type UserView } from "../api/auth";
import { session, type Role, type UserRole } from "../api/client";
import { confirmDialog } from "../components/confirm-dialog";
import { type Column } from "../components/data-table";
import { h, html } from "../components/dom";
import { FormField } from "../components/form-field";
import { FormShell } from "../components/form-shell";
import { ListPage } from "../components/list-page";
import { can, ROLE_SUMMARY, ROLES } from "../lib/access";
import { formatRelative, formatTimestamp } from "../lib/format";
import { MIN_PASSWORD_CHARS, passwordProblem } from "../lib/password-input";
import { href } from "../lib/route";
import type { ViewContext } from "../router";

const ROLE_CHOICES = ROLES.map((role) => [role, role] as const);
const USERNAME_RULE = /^[A-Za-z0-9._-]{1,64}$/;

function columns(me: string | undefined): Column<UserView, never>[] {
  const now = () => Date.now() / 1000;
  return [
    { label: "Username", cell: (u) => html`<strong>${u.username}</strong>${u.username === me ? html` <span class="muted">(you)</span>` : null}` },
    { label: "Role", cell: (u) => html`<span class="role-badge">${u.role}</span>` },
    { label: "Created", className: "optional", cell: (u) => html`${formatTimestamp(u.createdAt)}` },
    { label: "Last login", cell: (u) => html`<span title="${formatTimestamp(u.lastLoginAt)}">${formatRelative(u.lastLoginAt, now())}</span>` },
    { label: "Password", className: "optional", cell: (u) => html`${u.mustChangePassword ? "must be changed at next login" : "set by the user"}` },
    {
      label: "Actions",
      className: "num",
      cell: (u) => html`<div class="row-actions">
        <button type="button" class="button" data-action="role" data-user="${u.username}">Change role…</button>
        <button type="button" class="button" data-action="password" data-user="${u.username}">Reset password…</button>
        <button type="button" class="button danger-outline" data-action="remove" data-user="${u.username}">Remove…</button>
      </div>`,
    },
  ];
}

export function usersView(ctx: ViewContext): void {
  ctx.setTitle("Users");
  const list: ListPage<UserView> = new ListPage<UserView>({
    caption: "Users",
    columns: columns(session.current?.username),
    loadingText: "Loading users…",
    fetch: listUsers,
    signal: ctx.signal,
    rowAttr: "user",
    rowId: (u) => u.username,
    actions: {
      role: (user, button) => changeRole(user).then((role) => done(button, user, role !== null, `${user.username} is now ${role}.`)),
      password: (user, button) => resetPassword(user).then((ok) => done(button, user, ok, `${user.username} has a new password and must change it at their next login.`)),
      remove: (user, button) => removeUser(user).then((ok) => done(button, user, ok, `Removed ${user.username}; their sessions have ended.`)),
    },
  });

  /** After a change to the signed-in admin's own account, their session may have changed too. */
  const afterChange = async (message: string, username: string): Promise<void> => {
    list.say(message);
    if (username !== session.current?.username) return list.load();
    const current = await loadSession().catch(() => null);
    if (!current) return ctx.navigate(href.login());
    if (!can(current.role, "manageUsers")) return ctx.navigate(href.overview());
    return list.load();
  };

  const done = (button: HTMLButtonElement, user: UserView, ok: boolean, message: string): Promise<void> | void => (ok ? afterChange(message, user.username) : button.focus());

  ctx.root.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Users"), h("p", { class: "muted" }, "People who log in to the web UI. Scripts use API tokens instead."))),
    addUserForm(ctx, (user) => afterChange(`Added ${user.username} (${user.role}). They must change the password at their first login.`, user.username)),
    list.status,
    list.view.element,
  );
  void list.load();
}

function addUserForm(ctx: ViewContext, added: (user: UserView) => void): HTMLElement {
  const fields = {
    username: new FormField({ name: "username", label: "Username", value: "", required: true, autocomplete: "off", hint: "Letters, digits, . _ - (up to 64)." }),
    password: new FormField({ name: "password", label: "Initial password", value: "", type: "password", required: true, autocomplete: "new-password", hint: `At least ${MIN_PASSWORD_CHARS} characters; they change it at first login.` }),
    role: new FormField({ name: "role", label: "Role", value: "viewer", type: "select", choices: ROLE_CHOICES }),
  };
  const roleHint = h("p", { class: "field-hint" }, ROLE_SUMMARY.viewer);
  fields.role.input.addEventListener("change", () => (roleHint.textContent = ROLE_SUMMARY[fields.role.value as Role]));
  const form = new FormShell({
    titleId: "add-user-title",
    title: "Add a user",
    submitLabel: "Add user",
    className: "admin-form",
    // The server names these two; the role is a choice.
    fields: { username: fields.username, password: fields.password },
    content: [h("div", { class: "field-row" }, fields.username.element, fields.password.element, h("div", {}, fields.role.element, roleHint))],
  });
  form.onSubmit(async () => {
    const username = fields.username.value.trim();
    fields.username.setError(USERNAME_RULE.test(username) ? null : "1 to 64 letters, digits, dots, underscores or dashes.");
    fields.password.setError(passwordProblem(fields.password.value));
    if (!USERNAME_RULE.test(username)) return fields.username.focus();
    if (passwordProblem(fields.password.value)) return fields.password.focus();
    const user = await form.send(
      () => createUser({ username, password: fields.password.value, role: fields.role.value as UserRole }, ctx.signal),
      (err) => (err.code === "duplicate_user" ? "username" : err.field),
    );
    if (!user) return;
    form.element.reset();
    fields.role.input.value = "viewer";
    roleHint.textContent = ROLE_SUMMARY.viewer;
    added(user);
  });
  return form.element;
}

/** The new role once changed, null when cancelled. */
async function changeRole(user: UserView): Promise<Role | null> {
  const select = new FormField({ name: "newRole", label: "New role", value: user.role, type: "select", choices: ROLE_CHOICES });
  const ok = await confirmDialog({
    title: `Change the role of ${user.username}`,
    body: `${user.username} is ${user.role} now. The change applies to their next request.`,
    content: select.element,
    tone: "primary",
    confirmLabel: "Change role",
    busyLabel: "Changing…",
    action: async () => {
      await updateUser(user.username, { role: select.value as UserRole });
    },
  });
  return ok ? (select.value as Role) : null;
}

async function resetPassword(user: UserView): Promise<boolean> {
  const password = new FormField({ name: "resetPassword", label: "New password", value: "", type: "password", autocomplete: "new-password", hint: `At least ${MIN_PASSWORD_CHARS} characters. Give it to ${user.username} by a safe way.` });
  return confirmDialog({
    title: `Reset the password of ${user.username}`,
    body: `${user.username} will have to choose their own password at their next login.`,
    content: password.element,
    tone: "primary",
    confirmLabel: "Set password",
    busyLabel: "Setting…",
    action: async () => {
      const problem = passwordProblem(password.value);
      if (problem) throw new Error(problem);
      await updateUser(user.username, { password: password.value });
    },
  });
}

function removeUser(user: UserView): Promise<boolean> {
  return confirmDialog({
    title: `Remove ${user.username}?`,
    body: `${user.username} can no longer log in and their open sessions end at once.`,
    confirmLabel: "Remove user",
    busyLabel: "Removing…",
    action: () => deleteUser(user.username),
  });
}
