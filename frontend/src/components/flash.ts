//! One-shot messages that survive a navigation ("Device added", "Device removed"): queued by the page
//! that acts, shown by the next page the router mounts, read out by screen readers.

import { h } from "./dom";

let pending: string | null = null;

export function queueFlash(message: string): void {
  pending = message;
}

/** The queued message as a status element, or null; the queue is emptied. */
export function takeFlash(): HTMLElement | null {
  if (pending === null) return null;
  const message = pending;
  pending = null;
  const close = h("button", { type: "button", class: "flash-close", "aria-label": "Dismiss" }, "×");
  const element = h("div", { class: "flash", role: "status" }, h("span", {}, message), close);
  close.addEventListener("click", () => element.remove());
  return element;
}
