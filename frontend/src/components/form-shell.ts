//! The frame of an admin form (add a user, create a token, add or change a rule, a channel, a window):
//! its title, the form-wide error, the submit button (and "Cancel" for forms that also edit), errors
//! cleared as a field is edited, and one way to send: the button disabled meanwhile, a refusal shown on
//! the field the server names or else above the form. The page keeps its fields, checks and API calls.

import { ApiError, isAbort } from "../api/client";
import { errorMessage } from "./async-view";
import { h } from "./dom";
import type { FormField } from "./form-field";

export interface FormShellOptions {
  /** The title's id; the form is labelled by it. */
  titleId: string;
  title: string;
  submitLabel: string;
  /** Classes of the form ("admin-form" and more). */
  className: string;
  /** The form's rows, between the error and the buttons. */
  content: Node[];
  /** The fields an error can land on, by the name the server uses. */
  fields: Record<string, FormField>;
  /** Adds a hidden "Cancel" button, for forms that switch between adding and changing. */
  cancel?: () => void;
  /** Clear a field's error as soon as it is edited (the next submit checks again). Default true. */
  clearOnInput?: boolean;
}

export class FormShell {
  readonly element: HTMLFormElement;
  readonly title: HTMLElement;
  readonly submit: HTMLButtonElement;
  readonly cancel: HTMLButtonElement | null;
  readonly error: HTMLElement;

  constructor(private readonly options: FormShellOptions) {
    this.error = h("div", { class: "form-error", role: "alert", hidden: true });
    this.title = h("h2", { id: options.titleId }, options.title);
    this.submit = h("button", { type: "submit", class: "button primary" }, options.submitLabel);
    this.cancel = options.cancel ? h("button", { type: "button", class: "button", hidden: true }, "Cancel") : null;
    if (options.cancel) this.cancel?.addEventListener("click", options.cancel);
    this.element = h(
      "form",
      { class: options.className, novalidate: true, "aria-labelledby": options.titleId },
      this.title,
      this.error,
      ...options.content,
      h("div", { class: "form-actions" }, this.submit, this.cancel),
    );
    if (options.clearOnInput !== false) {
      this.element.addEventListener("input", (event) => {
        for (const field of Object.values(options.fields)) if (field.input === event.target) field.setError(null);
      });
    }
  }

  /** Runs `submitted` on submit, the form-wide error hidden first. */
  onSubmit(submitted: () => unknown): void {
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      this.error.hidden = true;
      void submitted();
    });
  }

  /**
   * Sends with the submit button disabled. A refusal goes on the field `fieldOf` names (by default the
   * server's `field`), focused, or above the form; an abort (the page was left) is silent. Resolves
   * the result, or undefined when it failed.
   */
  async send<T>(call: () => Promise<T>, fieldOf: (err: ApiError) => string | null | undefined = (err) => err.field): Promise<T | undefined> {
    this.submit.disabled = true;
    try {
      return await call();
    } catch (err) {
      if (!isAbort(err)) this.showError(err, fieldOf);
      return undefined;
    } finally {
      this.submit.disabled = false;
    }
  }

  /** Puts `message` on `field` and focuses it. */
  fieldError(field: FormField | undefined, message: string): void {
    field?.setError(message);
    field?.focus();
  }

  /** Switches the title and button between adding (`editing` false) and changing. */
  setMode(title: string, submitLabel: string, editing: boolean): void {
    this.title.textContent = title;
    this.submit.textContent = submitLabel;
    if (this.cancel) this.cancel.hidden = !editing;
  }

  /** Clears every field's error and the form-wide one. */
  clearErrors(): void {
    for (const field of Object.values(this.options.fields)) field.setError(null);
    this.error.hidden = true;
  }

  private showError(err: unknown, fieldOf: (err: ApiError) => string | null | undefined): void {
    const name = err instanceof ApiError ? fieldOf(err) : null;
    const field = name ? this.options.fields[name] : undefined;
    if (field) return this.fieldError(field, errorMessage(err));
    this.error.textContent = errorMessage(err);
    this.error.hidden = false;
  }
}
