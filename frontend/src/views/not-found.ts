//! The page for URLs the app does not know.

import { h } from "../components/dom";
import { href } from "../lib/route";
import type { ViewContext } from "../router";

export function notFoundView(ctx: ViewContext): void {
  ctx.setTitle("Page not found");
  ctx.root.append(
    h("h1", {}, "Page not found"),
    h("p", {}, "There is nothing at this address. It may come from an old link."),
    h("p", {}, h("a", { href: href.overview() }, "Go to the device list")),
  );
}
