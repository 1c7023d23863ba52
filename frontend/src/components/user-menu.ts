//! The header's signed-in part: the navigation links each role may use (links marked
//! `data-requires="<action>"` in index.html are hidden from roles without that action; the whole nav is
//! hidden without a session and while an initial password must be changed) and the user menu (who, role, change password, log out). Redrawn whenever
//! the session changes.

import { logout } from "../api/auth";
import { session, type SessionView } from "../api/client";
import { can, type Action } from "../lib/access";
import { href } from "../lib/route";
import { h } from "./dom";
import { queueFlash } from "./flash";

export function mountHeader(header: HTMLElement, navigate: (url: string) => void): void {
  const nav = header.querySelector<HTMLElement>("nav");
  const slot = header.querySelector<HTMLElement>(".user-menu-slot");
  const draw = (current: SessionView | null) => {
    if (nav) {
      // Until an initial password is changed every page leads to the change: links would only mislead.
      nav.hidden = current === null || current.mustChangePassword;
      for (const link of nav.querySelectorAll<HTMLElement>("[data-requires]")) {
        link.hidden = !can(current?.role, link.dataset.requires as Action);
      }
    }
    slot?.replaceChildren(current ? userMenu(current, navigate) : "");
  };
  session.subscribe(draw);
  draw(session.current);
}

function userMenu(current: SessionView, navigate: (url: string) => void): HTMLElement {
  if (current.via !== "session") {
    // `--auth off` (loopback only) or a token: there is no password to change and nothing to log out of.
    const who = current.via === "local" ? "Local access (authentication off)" : `Token ${current.username}`;
    return h("div", { class: "user-menu" }, h("span", { class: "user-menu-who" }, who, " · ", h("span", { class: "role-badge" }, current.role)));
  }
  const menu = h("details", { class: "user-menu" });
  const close = () => menu.removeAttribute("open");
  const logoutButton = h("button", { type: "button", class: "menu-item" }, "Log out");
  logoutButton.addEventListener("click", async () => {
    logoutButton.disabled = true;
    try {
      await logout();
      queueFlash("You are logged out.");
    } catch {
      // The server may be gone; the session is forgotten here anyway and the cookie is HttpOnly.
      queueFlash("Logged out here; the server could not be reached to end the session.");
    }
    close();
    navigate(href.login());
  });
  menu.append(
    h("summary", { "aria-label": `Account: ${current.username}, ${current.role}` }, h("span", { class: "user-menu-name" }, current.username), " ", h("span", { class: "role-badge" }, current.role)),
    h(
      "div",
      { class: "user-menu-panel" },
      h("p", { class: "muted" }, "Signed in as ", h("strong", {}, current.username), ` (${current.role})`),
      h("a", { class: "menu-item", href: href.changePassword(), onclick: close }, "Change password"),
      logoutButton,
    ),
  );
  return menu;
}
