// Access control in the end-to-end test: logging in through the login page (and the forced password
// change), a Node-side API session for the test's own calls (cookie + X-CSRF-Token, as the SPA does), and
// the typed client of e2e/typed-api.ts, which is compiled against the SPA's generated schema.d.ts by
// `npm run build` (tsc) and loaded here by stripping its types with the TypeScript compiler.
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { removeAtExit, waitFor } from "./processes.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** The initial admin password Vigie wrote at first start (the file is 0600; we run as its owner). */
export async function initialAdminPassword(dataDir) {
  const file = join(dataDir, "initial-admin-password");
  return waitFor(`${file}`, async () => readFileSync(file, "utf8").trim() || null, { timeout: 10_000 });
}

/** Fills the login page (the page must be on it) and submits. */
export async function submitLogin(page, username, password) {
  await page.locator("#field-username").waitFor();
  await page.fill("#field-username", username);
  await page.fill("#field-password", password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** On the password-change page: replaces `current` with `next`. */
export async function submitPasswordChange(page, current, next) {
  await page.locator("#field-currentPassword").waitFor();
  await page.fill("#field-currentPassword", current);
  await page.fill("#field-newPassword", next);
  await page.fill("#field-confirmPassword", next);
  await page.getByRole("button", { name: "Change password" }).click();
}

/** A Node-side API client logged in like the SPA: the session cookie, and the CSRF token on changes. */
export class ApiSession {
  constructor(base) {
    this.base = base;
    this.cookie = null;
    this.csrf = null;
  }

  async login(username, password) {
    const res = await fetch(`${this.base}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`API login as ${username}: ${res.status} ${await res.text()}`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("vigie_session="));
    if (!cookie) throw new Error("API login: no vigie_session cookie");
    this.cookie = cookie.split(";")[0];
    this.csrf = (await res.json()).csrfToken;
  }

  async call(method, path, body) {
    const headers = { cookie: this.cookie ?? "" };
    if (body) headers["content-type"] = "application/json";
    if (method !== "GET" && this.csrf) headers["x-csrf-token"] = this.csrf;
    const res = await fetch(`${this.base}/api/v1${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}

/** A plain `Authorization: Bearer` request, as a script would send it. */
export async function bearerGet(base, token, path) {
  const res = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, wwwAuthenticate: res.headers.get("www-authenticate") };
}

/** Loads e2e/typed-api.ts: its types were checked by tsc against schema.d.ts; here they are stripped. */
export async function loadTypedApi() {
  const source = readFileSync(join(here, "typed-api.ts"), "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } });
  const file = join(tmpdir(), `vigie-e2e-typed-api-${process.pid}.mjs`);
  writeFileSync(file, outputText);
  removeAtExit(file);
  return import(pathToFileURL(file).href);
}
