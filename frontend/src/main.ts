//! Entry point: styles, the page table and the router. Pages used at start-up are bundled with it; the
//! interface graph (and Chart.js with it) is loaded on first use so the overview stays light.
//! Before the first page, the server is asked who is signed in; the router's guard then shows the login
//! page, the forced password change or the page asked for, and a 401 from any later request brings the
//! login page back with the current page as the place to return to.

import "./styles.css";
import { loadSession } from "./api/auth";
import { onUnauthenticated, session } from "./api/client";
import { queueFlash } from "./components/flash";
import { mountAlertBadge } from "./components/alert-badge";
import { mountReceiverBanner } from "./components/receiver-banner";
import { mountHeader } from "./components/user-menu";
import { guardRoute } from "./lib/access";
import { href, matchRoute } from "./lib/route";
import { Router, type ViewTable } from "./router";
import { changePasswordView } from "./views/change-password";
import { deviceView } from "./views/device";
import { deviceFormView } from "./views/device-form";
import { loginView } from "./views/login";
import { logsView } from "./views/logs";
import { notFoundView } from "./views/not-found";
import { overviewView } from "./views/overview";

const views: ViewTable = {
  overview: async () => overviewView,
  newDevice: async () => deviceFormView,
  editDevice: async () => deviceFormView,
  importDevices: async () => (await import("./views/device-import")).deviceImportView,
  logs: async () => logsView,
  device: async () => deviceView,
  interface: async () => (await import("./views/interface-graph")).interfaceGraphView,
  login: async () => loginView,
  changePassword: async () => changePasswordView,
  users: async () => (await import("./views/users")).usersView,
  tokens: async () => (await import("./views/tokens")).tokensView,
  alerts: async () => (await import("./views/alerts")).alertsView,
  alertRules: async () => (await import("./views/alert-rules")).alertRulesView,
  alertChannels: async () => (await import("./views/channels")).channelsView,
  maintenance: async () => (await import("./views/maintenance")).maintenanceView,
  notFound: async () => notFoundView,
};

const main = document.getElementById("main");
const header = document.querySelector<HTMLElement>(".app-header");
if (!main || !header) throw new Error("index.html has no <main id=main> or header");
const router = new Router(main, views, (route, here) => guardRoute(route, session.current, here));
mountHeader(header, (url) => router.navigate(url));
const alertsLink = header.querySelector<HTMLElement>('a[data-nav="alerts"]');
if (alertsLink) mountAlertBadge(alertsLink);
mountReceiverBanner(header);

onUnauthenticated(() => {
  if (matchRoute(window.location.pathname).name === "login") return;
  queueFlash("Your session has ended. Log in again to go on where you were.");
  router.navigate(href.login(window.location.pathname + window.location.search), { replace: true });
});

try {
  await loadSession();
} catch {
  // The server cannot be reached: the login page says so when the person tries.
  session.clear();
}
router.start();
