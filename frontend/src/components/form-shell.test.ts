// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { FormField } from "./form-field";
import { FormShell } from "./form-shell";

function make(clearOnInput?: boolean) {
  const name = new FormField({ name: "name", label: "Name", value: "" });
  const url = new FormField({ name: "url", label: "URL", value: "" });
  const cancel = vi.fn();
  const form = new FormShell({ titleId: "thing-title", title: "Add a thing", submitLabel: "Add thing", className: "admin-form thing-form", fields: { name, url }, cancel, content: [name.element, url.element], clearOnInput });
  document.body.replaceChildren(form.element);
  return { form, name, url, cancel };
}

describe("FormShell", () => {
  it("frames the fields: title, form error, submit and a hidden Cancel", () => {
    const { form, cancel } = make();
    const el = form.element;
    expect(el.className).toBe("admin-form thing-form");
    expect(el.getAttribute("aria-labelledby")).toBe("thing-title");
    expect(el.querySelector("h2#thing-title")!.textContent).toBe("Add a thing");
    expect(el.querySelector(".form-error")!.hasAttribute("hidden")).toBe(true);
    expect(el.querySelector(".form-actions button[type=submit]")!.textContent).toBe("Add thing");
    expect(form.cancel!.hidden).toBe(true);

    form.setMode("Change thing x", "Save thing", true);
    expect(form.title.textContent).toBe("Change thing x");
    expect(form.submit.textContent).toBe("Save thing");
    expect(form.cancel!.hidden).toBe(false);
    form.cancel!.click();
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it("puts a refusal on the field the server names, else above the form", async () => {
    const { form, name } = make();
    const result = await form.send(() => Promise.reject(new ApiError(400, "invalid", "Name taken", "name")));
    expect(result).toBeUndefined();
    expect(name.element.textContent).toContain("Name taken.");
    expect(document.activeElement).toBe(name.input);
    expect(form.error.hidden).toBe(true);

    await form.send(() => Promise.reject(new ApiError(500, "internal", "Disk full")));
    expect(form.error.hidden).toBe(false);
    expect(form.error.textContent).toBe("Disk full.");
    expect(form.submit.disabled).toBe(false);

    form.clearErrors();
    expect(form.error.hidden).toBe(true);
    expect(name.input.getAttribute("aria-invalid")).not.toBe("true");
  });

  it("disables submit while sending and resolves the result; an abort is silent", async () => {
    const { form } = make();
    let release!: (v: string) => void;
    const sending = form.send(() => new Promise<string>((r) => (release = r)));
    expect(form.submit.disabled).toBe(true);
    release("ok");
    expect(await sending).toBe("ok");
    expect(form.submit.disabled).toBe(false);

    await form.send(() => Promise.reject(new DOMException("left", "AbortError")));
    expect(form.error.hidden).toBe(true);
  });

  it("maps a refusal with the page's own rule", async () => {
    const { form, name } = make();
    await form.send(() => Promise.reject(new ApiError(409, "duplicate", "Exists")), (err) => (err.code === "duplicate" ? "name" : err.field));
    expect(name.element.textContent).toContain("Exists.");
  });

  it("hides the form error on submit and clears a field's error once edited, unless told not to", () => {
    const { form, name } = make();
    const submitted = vi.fn();
    form.onSubmit(submitted);
    form.error.hidden = false;
    form.element.requestSubmit();
    expect(submitted).toHaveBeenCalledTimes(1);
    expect(form.error.hidden).toBe(true);

    form.fieldError(name, "Give it a name.");
    name.input.dispatchEvent(new Event("input", { bubbles: true }));
    expect(name.element.textContent).not.toContain("Give it a name.");

    const kept = make(false);
    kept.form.fieldError(kept.name, "Give it a name.");
    kept.name.input.dispatchEvent(new Event("input", { bubbles: true }));
    expect(kept.name.element.textContent).toContain("Give it a name.");
  });
});
