//! Change one's own password (`/account/password?next=`). After a first login with the initial admin
//! password, or a password an admin set, the guard sends every page here until it is changed; the page
//! says why. A wrong current password is the server's 401, shown next to that field (the session stays).

import { changePassword } from "../api/auth";
import { ApiError, isAbort, session } from "../api/client";
import { errorMessage } from "../components/async-view";
import { h } from "../components/dom";
import { queueFlash } from "../components/flash";
import { FormField } from "../components/form-field";
import { safeNext } from "../lib/access";
import { MIN_PASSWORD_CHARS, validatePasswordChange, type PasswordChangeErrors, type PasswordChangeValues } from "../lib/password-input";
import type { ViewContext } from "../router";

export function changePasswordView(ctx: ViewContext): void {
  ctx.setTitle("Change password");
  const forced = session.current?.mustChangePassword ?? false;
  const next = safeNext(ctx.query.get("next"));

  const fields: Record<keyof PasswordChangeValues, FormField> = {
    current: new FormField({ name: "currentPassword", label: forced ? "Initial password" : "Current password", value: "", type: "password", required: true, autocomplete: "current-password" }),
    next: new FormField({ name: "newPassword", label: "New password", value: "", type: "password", required: true, autocomplete: "new-password", hint: `At least ${MIN_PASSWORD_CHARS} characters.` }),
    confirm: new FormField({ name: "confirmPassword", label: "New password again", value: "", type: "password", required: true, autocomplete: "new-password" }),
  };
  const keys = Object.keys(fields) as (keyof PasswordChangeValues)[];
  const formError = h("div", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
  const submit = h("button", { type: "submit", class: "button primary" }, "Change password");
  const values = (): PasswordChangeValues => ({ current: fields.current.value, next: fields.next.value, confirm: fields.confirm.value });
  const showErrors = (errors: PasswordChangeErrors): boolean => {
    for (const key of keys) fields[key].setError(errors[key]);
    const first = keys.find((key) => errors[key]);
    if (first) fields[first].focus();
    return first !== undefined;
  };

  const form = h("form", { novalidate: true }, formError, fields.current.element, fields.next.element, fields.confirm.element, h("div", { class: "form-actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
    const typed = values();
    const errors = validatePasswordChange(typed);
    if (forced && errors.current) errors.current = "Enter the initial password.";
    if (showErrors(errors)) return;
    submit.disabled = true;
    submit.textContent = "Changing…";
    try {
      await changePassword({ currentPassword: typed.current, newPassword: typed.next }, ctx.signal);
      queueFlash("Your password is changed.");
      ctx.navigate(next, { replace: true });
    } catch (err) {
      if (isAbort(err)) return;
      submit.disabled = false;
      submit.textContent = "Change password";
      if (err instanceof ApiError && err.status === 401) {
        showErrors({ current: "This is not your current password." });
      } else if (err instanceof ApiError && err.field === "newPassword") {
        showErrors({ next: errorMessage(err) });
      } else {
        formError.textContent = errorMessage(err);
        formError.hidden = false;
        formError.focus();
      }
    }
  });

  ctx.root.append(
    h(
      "div",
      { class: "auth-page" },
      h("h1", {}, "Change password"),
      forced
        ? h("p", { class: "auth-notice", role: "status" }, "You are using an initial password. Choose your own before going on: the initial one was written to a file and a log.")
        : null,
      form,
    ),
  );
  fields.current.focus();
}
