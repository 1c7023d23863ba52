// The access-control checks of the end-to-end test (e2e.mjs runs them in its order): the first login
// with the initial admin password and the forced change; logout and the return to the page asked for;
// what a viewer sees; the users page; a token from the tokens page used by a script and by the
// schema-typed client, then revoked; a restart ending the session under a live page; and, last, the
// wait after too many wrong passwords.
// Each function takes the test's harness `t`: { check, expecting, api, page, base, deviceUrl,
// newPage (a fresh browser context, watched for problems), artifact(name), log, dataDir, vigieOutput,
// restartVigie, apiRelogin }.
import { ApiSession, bearerGet, initialAdminPassword, loadTypedApi, submitLogin, submitPasswordChange } from "./access.mjs";
import { waitFor } from "./processes.mjs";

/** The admin's password after the forced change at first login; the viewer's, set by the test. */
export const ADMIN_PASSWORD = "e2e admin password 1";
const VIEWER_PASSWORD = "e2e viewer password 1";

/** Who opens the app without a session asks GET /session first: that 401 is the way to the login page. */
export const SESSION_401 = { status: 401, method: "GET", path: "/api/v1/session" };

/** Logs in through the page with the initial password, changes it; answers the test's own API session. */
export async function firstLogin(t) {
  const { check, page, base, dataDir, vigieOutput } = t;
  let session = null;
  await check("log in with the initial admin password, change it when asked", async () => {
    const initial = await initialAdminPassword(dataDir);
    if (vigieOutput().split(initial).length > 2) throw new Error("the initial password is in the log more than once");
    await submitLogin(page, "admin", initial);
    await page.waitForURL(`${base}/account/password`);
    await page.getByText("You are using an initial password").waitFor();
    // The navigation is hidden until the password is changed, and every page leads back here.
    if (await page.locator("header nav").isVisible()) throw new Error("the navigation shows before the password is changed");
    await page.goto(`${base}/logs`);
    await page.waitForURL(`${base}/account/password?next=%2Flogs`);
    await submitPasswordChange(page, initial, ADMIN_PASSWORD);
    await page.waitForURL(`${base}/logs`);
    await page.getByText("Your password is changed.").waitFor();
    await page.locator("header").getByRole("link", { name: "Devices" }).click();
    await page.getByText("No devices yet").waitFor();
    const menu = (await page.locator(".user-menu summary").textContent()).replace(/\s+/g, " ").trim();
    if (menu !== "admin admin") throw new Error(`user menu says "${menu}"`);
    for (const name of ["Users", "API tokens", "Add device"]) await page.locator("header").getByRole("link", { name }).waitFor();
    session = new ApiSession(base);
    await session.login("admin", ADMIN_PASSWORD);
  });

  return session;
}

/** Logout and return, a viewer's controls, the users page, a token's life. */
export async function accessChecks(t) {
  const { check, expecting, api, page, base, deviceUrl, newPage, artifact, log } = t;
  await check("log out; the device page asks for a login, then returns to it", async () => {
    await page.goto(deviceUrl);
    await page.locator("h1", { hasText: "127.0.0.1" }).waitFor();
    // Requests the logout cuts short (the event stream, a refresh in flight) may answer 401: expected.
    await expecting({ status: 401, path: /^\/api\/v1\// }, async () => {
      await page.locator(".user-menu summary").click();
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(`${base}/login`);
      await page.getByText("You are logged out.").waitFor();
      if (await page.locator("header nav").isVisible()) throw new Error("the navigation shows after logout");
    });
    const seen = await expecting(SESSION_401, async () => {
      await page.goto(deviceUrl);
      await page.waitForURL((url) => url.pathname === "/login" && url.searchParams.get("next") === new URL(deviceUrl).pathname);
    });
    if (seen !== 1) throw new Error(`expected one 401 from GET /session, saw ${seen}`);
    await submitLogin(page, "admin", ADMIN_PASSWORD);
    await page.waitForURL(deviceUrl);
    await page.locator("h1", { hasText: "127.0.0.1" }).waitFor();
    await page.getByRole("button", { name: "Remove…" }).waitFor();
  });

  await check("a viewer sees no add, edit or remove controls", async () => {
    const created = await api("POST", "/users", { username: "e2e-viewer", password: VIEWER_PASSWORD, role: "viewer" });
    if (created.status !== 201) throw new Error(`POST /users: ${created.status} ${JSON.stringify(created.body)}`);
    const { page: viewer, close } = await newPage();
    try {
      await expecting(SESSION_401, async () => {
        await viewer.goto(deviceUrl);
        await viewer.waitForURL(/\/login\?next=/);
      });
      await submitLogin(viewer, "e2e-viewer", VIEWER_PASSWORD);
      // A password an admin chose must be changed first; then the page asked for follows.
      await viewer.waitForURL((url) => url.pathname === "/account/password");
      await submitPasswordChange(viewer, VIEWER_PASSWORD, `${VIEWER_PASSWORD} changed`);
      await viewer.waitForURL(deviceUrl);
      await viewer.locator("h1", { hasText: "127.0.0.1" }).waitFor();
      await viewer.locator('section[aria-labelledby="system-title"]').waitFor();
      const menu = (await viewer.locator(".user-menu summary").textContent()).replace(/\s+/g, " ").trim();
      if (menu !== "e2e-viewer viewer") throw new Error(`user menu says "${menu}"`);
      const controls = async () => ({
        edit: await viewer.getByRole("link", { name: "Edit", exact: true }).count(),
        remove: await viewer.getByRole("button", { name: "Remove…" }).count(),
        add: await viewer.getByRole("link", { name: /^Add (a )?device$/ }).count(),
        users: await viewer.getByRole("link", { name: "Users" }).count(),
        tokens: await viewer.getByRole("link", { name: "API tokens" }).count(),
      });
      const onDevice = await controls();
      await viewer.locator("header").getByRole("link", { name: "Devices" }).click();
      await viewer.locator("table.data-table a", { hasText: "127.0.0.1" }).waitFor();
      const onOverview = await controls();
      for (const [where, found] of Object.entries({ device: onDevice, overview: onOverview })) {
        if (Object.values(found).some((n) => n !== 0)) throw new Error(`the viewer sees controls on the ${where} page: ${JSON.stringify(found)}`);
      }
      // Typing the address of a page the role cannot use says so instead of showing a form.
      await viewer.goto(`${base}/devices/new`);
      await viewer.getByText("Your role (viewer) cannot do this.").waitFor();
      await viewer.screenshot({ path: artifact("viewer-not-allowed"), fullPage: true });
    } finally {
      await close();
    }
  });

  await check("users page: add a user, refuse a duplicate, change a role, keep the last admin, remove", async () => {
    await page.locator("header").getByRole("link", { name: "Users" }).click();
    await page.waitForURL(`${base}/users`);
    const rowOf = (name) => page.locator("table.data-table tbody tr", { has: page.locator("strong", { hasText: new RegExp(`^${name}$`) }) });
    await rowOf("admin").getByText("(you)").waitFor();
    await rowOf("e2e-viewer").waitFor();
    const add = async (username) => {
      await page.fill("#field-username", username);
      await page.fill("#field-password", "e2e operator password");
      await page.selectOption("#field-role", "operator");
      await page.getByRole("button", { name: "Add user" }).click();
    };
    await add("e2e-operator");
    await page.getByText("Added e2e-operator (operator).").waitFor();
    await rowOf("e2e-operator").locator(".role-badge", { hasText: "operator" }).waitFor();

    const duplicates = await expecting({ status: 409, method: "POST", path: "/api/v1/users" }, async () => {
      await add("e2e-operator");
      await page.locator("#field-username-error").waitFor({ state: "visible" });
    });
    if (duplicates !== 1) throw new Error(`expected one 409 for the duplicate user, saw ${duplicates}`);
    log(`  duplicate user: "${(await page.locator("#field-username-error").textContent()).trim()}"`);

    await rowOf("e2e-operator").getByRole("button", { name: "Change role…" }).click();
    const dialog = page.locator("dialog.confirm-dialog");
    await dialog.locator("select").selectOption("viewer");
    await dialog.getByRole("button", { name: "Change role" }).click();
    await page.getByText("e2e-operator is now viewer.").waitFor();
    await rowOf("e2e-operator").locator(".role-badge", { hasText: "viewer" }).waitFor();

    const lastAdmin = await expecting({ status: 409, method: "DELETE", path: "/api/v1/users/admin" }, async () => {
      await rowOf("admin").getByRole("button", { name: "Remove…" }).click();
      await dialog.getByRole("button", { name: "Remove user" }).click();
      await dialog.locator(".field-error").waitFor({ state: "visible" });
    });
    if (lastAdmin !== 1) throw new Error(`expected one 409 for the last admin, saw ${lastAdmin}`);
    log(`  last admin: "${(await dialog.locator(".field-error").textContent()).trim()}"`);
    await dialog.getByRole("button", { name: "Cancel" }).click();

    await rowOf("e2e-operator").getByRole("button", { name: "Remove…" }).click();
    await dialog.getByRole("button", { name: "Remove user" }).click();
    await page.getByText("Removed e2e-operator").waitFor();
    await waitFor("the removed user's row to go", async () => (await rowOf("e2e-operator").count()) === 0);
    const names = (await api("GET", "/users")).body.map((u) => u.username).sort();
    if (names.join(",") !== "admin,e2e-viewer") throw new Error(`users on the server: ${names.join(",")}`);
  });

  await check("a token from the tokens page works as Bearer and with the typed client, and fails once revoked", async () => {
    await page.locator("header").getByRole("link", { name: "API tokens" }).click();
    await page.waitForURL(`${base}/tokens`);
    await page.getByText("No API tokens").waitFor();
    await page.fill("#field-name", "e2e-script");
    await page.selectOption("#field-role", "viewer");
    await page.getByRole("button", { name: "Create token" }).click();
    const shown = page.locator("#new-token-value");
    await shown.waitFor();
    const token = await shown.inputValue();
    if (!token.startsWith("vgt_")) throw new Error(`the token shown does not start with vgt_: ${token.slice(0, 4)}…`);
    await page.getByText("Vigie shows it only this once").waitFor();
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied.").waitFor();
    if ((await page.evaluate(() => navigator.clipboard.readText())) !== token) throw new Error("the clipboard does not hold the token");
    const row = page.locator("table.data-table tbody tr", { hasText: "e2e-script" });
    await row.waitFor();
    if (!(await row.textContent()).includes("admin")) throw new Error("the token's row does not name its creator");
    if ((await api("GET", "/tokens")).body.some((t) => JSON.stringify(t).includes(token))) throw new Error("GET /tokens shows the token");

    const plain = await bearerGet(base, token, "/devices");
    if (plain.status !== 200 || !plain.body.some((d) => d.host === "127.0.0.1")) throw new Error(`Bearer GET /devices: ${plain.status} ${JSON.stringify(plain.body)}`);
    const { readWithToken } = await loadTypedApi();
    const typed = await readWithToken(base, token);
    if (typed.via !== "token" || typed.role !== "viewer" || !typed.devices.some((d) => d.host === "127.0.0.1")) throw new Error(`typed client: ${JSON.stringify(typed)}`);
    log(`  the token read ${typed.devices.length} device(s) as ${typed.role}, by plain fetch and by the schema-typed client`);

    await row.getByRole("button", { name: "Revoke…" }).click();
    const dialog = page.locator("dialog.confirm-dialog");
    await dialog.getByRole("button", { name: "Revoke token" }).click();
    await page.getByText("Revoked e2e-script.").waitFor();
    await page.getByText("No API tokens").waitFor();
    const after = await bearerGet(base, token, "/devices");
    if (after.status !== 401 || after.body?.code !== "unauthenticated" || !after.wwwAuthenticate) throw new Error(`Bearer GET /devices after revoke: ${after.status} ${JSON.stringify(after.body)}`);
    const refused = await readWithToken(base, token).then(() => null, (err) => err);
    if (refused?.status !== 401) throw new Error(`the typed client was not refused after revoke: ${refused}`);
  });
}

/**
 * Sessions live in the server's memory: a restart ends them. The open page's event stream reconnects,
 * gets a 401, stops, and the login page comes back; after logging in, the page is back, streaming.
 */
export async function restartEndsSessions(t) {
  const { check, expecting, page, base, restartVigie, apiRelogin, log } = t;
  await check("a restart ends the session: the live page's stream gets a 401, the login page returns to it", async () => {
    await page.goto(`${base}/logs?live=1`);
    await page.locator('.log-live-status[data-mode="stream"]').waitFor();
    const refused = [];
    const onResponse = (res) => {
      if (res.status() === 401) refused.push(new URL(res.url()).pathname);
    };
    page.on("response", onResponse);
    const t0 = Date.now();
    // The stream's reconnection, the session check after it, and any refresh in flight answer 401.
    // The stream is cut when the server stops: a broken connection is expected there too.
    await expecting({ status: 401, method: "GET", path: /^\/api\/v1\/(events|session|logs)$/, dropped: /^\/api\/v1\/events$/ }, async () => {
      await restartVigie();
      await page.waitForURL((url) => url.pathname === "/login" && url.searchParams.get("next") === "/logs?live=1", { timeout: 20_000 });
    });
    page.off("response", onResponse);
    log(`  the login page showed ${((Date.now() - t0) / 1000).toFixed(1)} s after the restart began; 401s: ${refused.join(", ")}`);
    if (!refused.includes("/api/v1/events")) throw new Error(`the event stream was not refused: ${refused.join(", ")}`);
    await page.getByText("Your session has ended.").waitFor();
    await submitLogin(page, "admin", ADMIN_PASSWORD);
    await page.waitForURL(`${base}/logs?live=1`);
    await page.locator('.log-live-status[data-mode="stream"]').waitFor();
    await apiRelogin();
  });
}

/** Last of the checks: it locks logins from 127.0.0.1 out for a minute. */
export async function tooManyLogins(t) {
  const { check, expecting, base, newPage, log } = t;
  await check("too many wrong passwords: the login page says how long to wait", async () => {
    const { page: stranger, close } = await newPage();
    try {
      const seen = await expecting({ status: [401, 429], path: /^\/api\/v1\/session$/ }, async () => {
        await stranger.goto(`${base}/login`);
        for (let attempt = 1; attempt <= 10; attempt++) {
          await submitLogin(stranger, "admin", `wrong password ${attempt}`);
          await stranger.getByText("Wrong username or password.").waitFor();
          await stranger.locator('button[type="submit"]:not([disabled])').waitFor();
        }
        await submitLogin(stranger, "admin", ADMIN_PASSWORD);
        const said = stranger.getByText(/^Too many attempts\. Wait \d+ s before trying again\.$/);
        await said.waitFor();
        log(`  after 10 wrong passwords the right one is refused: "${(await said.textContent()).trim()}"`);
        if (!(await stranger.getByRole("button", { name: "Log in" }).isDisabled())) throw new Error("the Log in button is not disabled during the wait");
      });
      if (seen !== 12) throw new Error(`expected 11 answers 401 to the visit and the wrong passwords and one 429, saw ${seen}`);
    } finally {
      await close();
    }
  });
}
