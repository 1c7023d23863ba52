//! A modal confirmation (native <dialog>: focus trap, Escape and backdrop handled by the browser) that
//! runs its action while open, so a failure is shown where the person is looking.

import { errorMessage } from "./async-view";
import { h } from "./dom";

export interface ConfirmOptions {
  title: string;
  body: string;
  confirmLabel: string;
  busyLabel: string;
  /** Inputs the action reads (a new password, say), drawn under the body. */
  content?: Node;
  /** "danger" (the default) for what cannot be undone; "primary" for an ordinary change. */
  tone?: "danger" | "primary";
  /** Runs on confirm; the dialog stays open and shows the error if it throws. */
  action: () => Promise<void>;
}

/** Resolves true once the action succeeded, false if the person cancelled. */
export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const error = h("p", { class: "field-error", role: "alert", hidden: true });
    const cancel = h("button", { type: "button", class: "button" }, "Cancel");
    const confirm = h("button", { type: "submit", class: `button ${options.tone ?? "danger"}` }, options.confirmLabel);
    const form = h(
      "form",
      { method: "dialog" },
      h("h2", { id: "confirm-title" }, options.title),
      h("p", { id: "confirm-body" }, options.body),
      options.content ?? null,
      error,
      h("div", { class: "dialog-actions" }, cancel, confirm),
    );
    const dialog = h("dialog", { class: "confirm-dialog", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-body" }, form);
    let succeeded = false;

    cancel.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      confirm.disabled = true;
      cancel.disabled = true;
      confirm.textContent = options.busyLabel;
      error.hidden = true;
      try {
        await options.action();
        succeeded = true;
        dialog.close();
      } catch (err) {
        error.textContent = errorMessage(err);
        error.hidden = false;
        confirm.disabled = false;
        cancel.disabled = false;
        confirm.textContent = options.confirmLabel;
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(succeeded);
    });
    document.body.append(dialog);
    dialog.showModal();
    // A destructive action never has the default focus; an input to fill in has it.
    const input = options.content instanceof Element ? options.content.querySelector<HTMLElement>("input, select") : null;
    (input ?? cancel).focus();
  });
}
