//! Entry point: styles, the page table and the router. Pages used at start-up are bundled with it; the
//! interface graph (and Chart.js with it) is loaded on first use so the overview stays light.

import "./styles.css";
import { Router, type ViewTable } from "./router";
import { deviceView } from "./views/device";
import { deviceFormView } from "./views/device-form";
import { logsView } from "./views/logs";
import { notFoundView } from "./views/not-found";
import { overviewView } from "./views/overview";

const views: ViewTable = {
  overview: async () => overviewView,
  newDevice: async () => deviceFormView,
  editDevice: async () => deviceFormView,
  logs: async () => logsView,
  device: async () => deviceView,
  interface: async () => (await import("./views/interface-graph")).interfaceGraphView,
  notFound: async () => notFoundView,
};

const main = document.getElementById("main");
if (!main) throw new Error("index.html has no <main id=main>");
new Router(main, views).start();
