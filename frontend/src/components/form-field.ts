//! A labelled form input with a hint and an error message wired for screen readers
//! (aria-describedby, aria-invalid). Used by the device form; errors from the browser's checks and from
//! the server's `field` end up in the same place.

import { h } from "./dom";

export interface FieldOptions {
  /** The JSON path the server uses for this field, e.g. "snmp.community"; also the input's name. */
  name: string;
  label: string;
  value: string;
  type?: "text" | "password" | "number" | "select";
  /** For selects: [value, label] pairs. */
  choices?: readonly (readonly [string, string])[];
  hint?: string;
  required?: boolean;
  placeholder?: string;
  autocomplete?: string;
  inputmode?: "numeric" | "text";
}

export class FormField {
  readonly element: HTMLElement;
  readonly input: HTMLInputElement | HTMLSelectElement;
  private readonly errorText: HTMLElement;

  constructor(readonly options: FieldOptions) {
    const id = `field-${options.name.replace(/\W/g, "-")}`;
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    if (options.type === "select") {
      this.input = h("select", { id, name: options.name });
      for (const [value, label] of options.choices ?? []) this.input.append(h("option", { value }, label));
      this.input.value = options.value;
    } else {
      this.input = h("input", {
        id,
        name: options.name,
        // Numbers are typed as text with a numeric keyboard: type=number would hide bad input from validation.
        type: options.type === "number" ? "text" : (options.type ?? "text"),
        inputmode: options.type === "number" ? "numeric" : options.inputmode,
        value: options.value,
        required: options.required,
        placeholder: options.placeholder,
        autocomplete: options.autocomplete ?? "off",
        spellcheck: "false",
        "aria-describedby": [options.hint ? hintId : "", errorId].filter(Boolean).join(" "),
      });
    }
    this.errorText = h("p", { class: "field-error", id: errorId, hidden: true });
    this.element = h(
      "div",
      { class: "field" },
      h("label", { for: id }, options.label, options.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null),
      this.input,
      options.hint ? h("p", { class: "field-hint", id: hintId }, options.hint) : null,
      this.errorText,
    );
  }

  get value(): string {
    return this.input.value;
  }

  setError(message: string | null | undefined): void {
    this.errorText.hidden = !message;
    this.errorText.textContent = message ?? "";
    this.element.classList.toggle("has-error", Boolean(message));
    if (message) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
  }

  focus(): void {
    this.input.focus();
  }
}
