//! The tabs above the alert pages: incidents, rules, channels, maintenance windows.

import { h } from "../components/dom";
import { href } from "../lib/route";

const TABS = [
  ["alerts", "Incidents", href.alerts()],
  ["alertRules", "Rules", href.alertRules()],
  ["alertChannels", "Channels", href.alertChannels()],
  ["maintenance", "Maintenance", href.maintenance()],
] as const;

export type AlertTab = (typeof TABS)[number][0];

export function alertTabs(current: AlertTab): HTMLElement {
  return h(
    "nav",
    { class: "tabs alert-tabs", "aria-label": "Alerting" },
    ...TABS.map(([name, label, url]) => h("a", { href: url, "data-tab": name, "aria-current": name === current ? "page" : undefined }, label)),
  );
}
