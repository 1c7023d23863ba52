//! Import and export of the device list (`/devices/import`, operators): choose a CSV or JSON file, see
//! how many devices it holds and its first rows, confirm, then see the server's report: every device added,
//! or nothing added and each refused row with its line and column. Export links download the list without
//! secrets, as CSV or JSON (the server's `GET /devices/export`).

import { API_BASE, ApiError, session } from "../api/client";
import type { components } from "../api/schema";
import { h } from "../components/dom";
import { href } from "../lib/route";
import type { ViewContext } from "../router";

type ImportReport = components["schemas"]["ImportReport"];

/** Larger files are refused by the server (64 KiB); say so before sending. */
const MAX_BYTES = 64 * 1024;
const PREVIEW_ROWS = 5;

/** The file as the server will read it: its media type and, for the preview, its first rows. */
export function describeFile(name: string, text: string): { contentType: string; rows: number; preview: string[] } {
  const json = name.toLowerCase().endsWith(".json") || text.trimStart().startsWith("[");
  if (json) {
    let rows = 0;
    try {
      const list: unknown = JSON.parse(text);
      rows = Array.isArray(list) ? list.length : 0;
    } catch {
      rows = 0;
    }
    return { contentType: "application/json", rows, preview: [] };
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  return { contentType: "text/csv", rows: Math.max(0, lines.length - 1), preview: lines.slice(0, PREVIEW_ROWS + 1) };
}

async function sendImport(text: string, contentType: string, signal: AbortSignal): Promise<{ status: number; report: ImportReport }> {
  const headers: Record<string, string> = { "Content-Type": contentType, Accept: "application/json" };
  if (session.csrfToken) headers["X-CSRF-Token"] = session.csrfToken;
  const response = await fetch(`${API_BASE}/devices/import`, { method: "POST", body: text, headers, credentials: "same-origin", signal });
  const body: unknown = await response.json().catch(() => null);
  if (body && typeof body === "object" && "errors" in body) return { status: response.status, report: body as ImportReport };
  const error = body as { code?: string; message?: string } | null;
  throw new ApiError(response.status, error?.code ?? "bad_response", error?.message ?? `The server answered ${response.status}.`);
}

function reportTable(report: ImportReport): HTMLElement {
  return h(
    "table",
    { class: "data-table" },
    h("caption", {}, "Refused rows"),
    h("thead", {}, h("tr", {}, h("th", {}, "Line"), h("th", {}, "Field"), h("th", {}, "Reason"))),
    h("tbody", {}, ...report.errors.map((e) => h("tr", {}, h("td", { class: "num" }, String(e.line)), h("td", {}, h("code", {}, e.field || "(row)")), h("td", {}, e.reason)))),
  );
}

export function deviceImportView(ctx: ViewContext): void {
  ctx.setTitle("Import devices");
  const input = h("input", { type: "file", id: "import-file", accept: ".csv,.json,text/csv,application/json" });
  const preview = h("div", { class: "import-preview" });
  const result = h("div", { class: "import-result", role: "status" });
  let chosen: { text: string; contentType: string } | null = null;

  const confirm = h("button", { type: "button", class: "button primary", disabled: true }, "Import");
  input.addEventListener("change", async () => {
    chosen = null;
    confirm.disabled = true;
    preview.replaceChildren();
    result.replaceChildren();
    const file = input.files?.[0];
    if (!file) return;
    if (file.size > MAX_BYTES) {
      preview.append(h("p", { class: "error-text" }, `${file.name} is ${Math.ceil(file.size / 1024)} KiB: an import takes at most 64 KiB (about 500 devices). Split the file.`));
      return;
    }
    const text = await file.text();
    const described = describeFile(file.name, text);
    chosen = { text, contentType: described.contentType };
    confirm.disabled = false;
    confirm.textContent = `Import ${described.rows} device${described.rows === 1 ? "" : "s"}`;
    preview.append(
      h("p", {}, `${file.name}: ${described.rows} device${described.rows === 1 ? "" : "s"} (${described.contentType === "text/csv" ? "CSV" : "JSON"}). Every row is checked first; if any is wrong, none is added.`),
      described.preview.length ? h("pre", { class: "import-lines" }, described.preview.join("\n")) : "",
    );
  });

  confirm.addEventListener("click", async () => {
    if (!chosen) return;
    confirm.disabled = true;
    result.replaceChildren(h("p", { class: "muted" }, "Importing…"));
    try {
      const { status, report } = await sendImport(chosen.text, chosen.contentType, ctx.signal);
      if (status === 201) {
        result.replaceChildren(h("p", { class: "success-text" }, `${report.added} device${report.added === 1 ? "" : "s"} added.`), h("a", { href: href.overview() }, "See the devices"));
        chosen = null;
      } else {
        result.replaceChildren(h("p", { class: "error-text" }, `Nothing was added: ${report.errors.length} row${report.errors.length === 1 ? " is" : "s are"} wrong. Fix the file and choose it again.`), reportTable(report));
        confirm.disabled = false;
      }
    } catch (err) {
      result.replaceChildren(h("p", { class: "error-text" }, err instanceof Error ? err.message : String(err)));
      confirm.disabled = false;
    }
  });

  ctx.root.append(
    h("div", { class: "page-head" }, h("h1", {}, "Import devices")),
    h(
      "p",
      {},
      "A CSV file with a header row (name, host, port, version, community, user, securityLevel, authProtocol, authPassword, privProtocol, privPassword, contextName, pollIntervalSecs, timeoutMs, retries, pingIntervalSecs, parentId, tags; only host is required, tags separated by spaces) or a JSON list of devices.",
    ),
    h("div", { class: "field" }, h("label", { for: "import-file" }, "File"), input),
    preview,
    h("div", { class: "form-actions" }, confirm),
    result,
    h("h2", {}, "Export"),
    h(
      "p",
      {},
      "The device list in the same format, without communities or passwords: ",
      h("a", { href: `${API_BASE}/devices/export?format=csv`, download: "vigie-devices.csv" }, "CSV"),
      " · ",
      h("a", { href: `${API_BASE}/devices/export?format=json`, download: "vigie-devices.json" }, "JSON"),
    ),
  );
}
