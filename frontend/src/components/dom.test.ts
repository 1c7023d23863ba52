// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";
import { escapeHtml, h, html } from "./dom";

describe("html", () => {
  it("escapes interpolated text", () => {
    const name = `<img src=x onerror="alert(1)">&'`;
    expect(html`<td>${name}</td>`.value).toBe("<td>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;</td>");
  });
  it("inserts nested markup and arrays as they are, and drops null and false", () => {
    const rows = ["a", "b"].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${rows}${null}${false}${undefined}${0}</ul>`.value).toBe("<ul><li>a</li><li>b</li>0</ul>");
  });
  it("escapes all five characters", () => expect(escapeHtml(`&<>"'`)).toBe("&amp;&lt;&gt;&quot;&#39;"));
});

describe("h", () => {
  it("builds an element with attributes, listeners and children", () => {
    const onclick = vi.fn();
    const button = h("button", { type: "button", disabled: false, "aria-pressed": true, onclick }, "Save", null);
    expect(button.outerHTML).toBe('<button type="button" aria-pressed="">Save</button>');
    button.click();
    expect(onclick).toHaveBeenCalledOnce();
  });
});
