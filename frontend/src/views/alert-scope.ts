//! The scope part of the rule and maintenance forms: every device, a list of device ids, or tags.

import { h } from "../components/dom";
import { FormField } from "../components/form-field";
import type { ScopeMode } from "../lib/alert-forms";

export function scopeFields(prefix: string) {
  const mode = new FormField({ name: `${prefix}-scope-mode`, label: "Applies to", value: "all", type: "select", choices: [["all", "Every device"], ["devices", "These devices"], ["tags", "Devices with these tags"]] });
  const field = new FormField({ name: "scope", label: "Device ids or tags", value: "", placeholder: "core, edge", hint: "Separated by commas or spaces; device ids are on each device's page." });
  const show = () => (field.element.hidden = mode.value === "all");
  mode.input.addEventListener("change", show);
  show();
  return {
    field,
    element: h("div", { class: "field-row" }, mode.element, field.element),
    get: (): { scopeMode: ScopeMode; scopeList: string } => ({ scopeMode: mode.value as ScopeMode, scopeList: field.value }),
    set(scopeMode: ScopeMode, list: string) {
      mode.input.value = scopeMode;
      field.input.value = list;
      show();
    },
  };
}
