//! The two small DOM helpers every view uses: `html` (a tagged template that escapes what it
//! interpolates, for fast one-pass rendering of many rows with innerHTML) and `h` (build one element with
//! attributes, listeners and children). Nothing else in the app writes innerHTML from strings.

/** Markup that is already safe: made by `html`, never from raw user or server text. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/** `html\`<td>${name}</td>\``: strings are escaped, `Html` and arrays of it are inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

export function setHtml(element: Element, markup: Html): void {
  element.innerHTML = markup.value;
}

type Attr = string | number | boolean | null | undefined;
type Attrs = Record<string, Attr | ((event: Event) => void)>;
type Child = Node | string | null | undefined | false;

/**
 * `h("button", {type: "button", class: "primary", onclick: save}, "Save")`. Attributes that are false,
 * null or undefined are left out, true gives an empty attribute; `on*` functions become listeners.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

/** An element holding `markup`, for mixing `html` fragments into `h` trees. */
export function fromHtml(markup: Html): DocumentFragment {
  const template = document.createElement("template");
  template.innerHTML = markup.value;
  return template.content;
}
