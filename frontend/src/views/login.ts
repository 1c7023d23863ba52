//! Login (`/login?next=/devices/3f9a`): username and password. On success the person goes on to `next`
//! (checked by lib/access.ts `safeNext`), or first to the password change when the server says the
//! password is an initial or reset one. Wrong credentials, too many attempts (with the wait the server
//! asked for) and an unreachable server are said above the form. A person already signed in goes on at once.

import { login } from "../api/auth";
import { ApiError, isAbort, session } from "../api/client";
import { errorMessage } from "../components/async-view";
import { h } from "../components/dom";
import { FormField } from "../components/form-field";
import { safeNext } from "../lib/access";
import { href } from "../lib/route";
import type { ViewContext } from "../router";

export function loginView(ctx: ViewContext): void {
  ctx.setTitle("Log in");
  const next = safeNext(ctx.query.get("next"));
  const goOn = (mustChangePassword: boolean) => ctx.navigate(mustChangePassword ? href.changePassword(next) : next, { replace: true });
  if (session.current) return goOn(session.current.mustChangePassword);

  const username = new FormField({ name: "username", label: "Username", value: "", required: true, autocomplete: "username" });
  const password = new FormField({ name: "password", label: "Password", value: "", type: "password", required: true, autocomplete: "current-password" });
  const formError = h("div", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
  const submit = h("button", { type: "submit", class: "button primary" }, "Log in");

  const showError = (message: string) => {
    formError.textContent = message;
    formError.hidden = false;
  };

  const form = h("form", { class: "login-form", novalidate: true }, formError, username.element, password.element, h("div", { class: "form-actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
    username.setError(username.value.trim() ? null : "Enter your username.");
    password.setError(password.value ? null : "Enter your password.");
    if (!username.value.trim()) return username.focus();
    if (!password.value) return password.focus();

    submit.disabled = true;
    submit.textContent = "Logging in…";
    try {
      const current = await login({ username: username.value.trim(), password: password.value }, ctx.signal);
      goOn(current.mustChangePassword);
    } catch (err) {
      if (isAbort(err)) return;
      submit.disabled = false;
      submit.textContent = "Log in";
      if (err instanceof ApiError && err.status === 401) {
        // The server gives one answer for an unknown user and a wrong password, and so does this page.
        showError("Wrong username or password.");
        password.input.value = "";
        password.focus();
      } else {
        showError(errorMessage(err));
        formError.focus();
        // Trying again before the wait is over would only be refused (and count as another attempt).
        const wait = err instanceof ApiError ? err.retryAfterSecs : null;
        if (wait !== null) {
          submit.disabled = true;
          const timer = setTimeout(() => (submit.disabled = false), wait * 1000);
          ctx.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
        }
      }
    }
  });

  ctx.root.append(
    h(
      "div",
      { class: "auth-page" },
      h("h1", {}, "Log in to Vigie"),
      next !== "/" ? h("p", { class: "muted" }, "Log in to open the page you asked for.") : null,
      form,
      h("p", { class: "field-hint" }, "First start: the user is admin and the password is in the file initial-admin-password of the data directory (also printed once in Vigie's log)."),
    ),
  );
  username.focus();
}
