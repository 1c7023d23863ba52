// The device page as the end-to-end test reads it: its interface rows, its graph's points, how long a
// full load takes to draw the interface table, and how the page recovers from an interface list
// answered on the other side of a poll than the device beside it.
import { page } from "./harness.mjs";
import { waitFor } from "./processes.mjs";

/** The interface table's drawn rows (the table is virtual: the spacers are not rows). */
export const ifRows = () => page.locator('section[aria-labelledby="interfaces-title"] table.data-table tbody tr:not(.spacer)');

/** How many points the graph draws (0 while it has none, or no graph is shown). */
export const chartPoints = async () => Number((await page.locator("canvas[data-points]").getAttribute("data-points", { timeout: 1000 }).catch(() => "0")) ?? 0);

/**
 * Loads `url` fully and returns ms from navigation start until the interface table holds `rows` rows
 * (it says so, and draws them, or the first screenful of them: the table is virtual).
 */
export async function deviceReadyMs(url, rows) {
  await page.goto(url);
  return page
    .waitForFunction(
      (n) => {
        const section = document.querySelector('section[aria-labelledby="interfaces-title"]');
        const drawn = section?.querySelectorAll("table.data-table tbody tr:not(.spacer)").length ?? 0;
        return section?.querySelector(".table-meta")?.textContent === `${n} interfaces` && drawn >= Math.min(n, 10) ? performance.now() : null;
      },
      rows,
      { polling: "raf", timeout: 30_000 },
    )
    .then((h) => h.jsonValue());
}

/**
 * The page fetches the device and its interface list side by side. Just after a device is added, the
 * list can be answered before its first poll (empty) and the device after it (its interfaces
 * counted): CI saw that page keep "No interfaces yet" until its minute's check. Replayed here on
 * the device at `url`, polled every second with `rows` interfaces: the page's first list is answered
 * empty, and its `rows` rows must come with the next poll's sample event, from a list fetched again.
 */
export async function listAnsweredBeforePoll(url, rows) {
  const list = /\/api\/v1\/devices\/[^/]+\/interfaces$/;
  let lists = 0;
  const beforePoll = (route) => (lists++ === 0 ? route.fulfill({ status: 200, contentType: "application/json", body: "[]" }) : route.continue());
  await page.route(list, beforePoll);
  try {
    await page.goto(url);
    await page.getByText("No interfaces yet.").waitFor();
    await waitFor(`${rows} interface rows`, async () => (await ifRows().count()) === rows, { timeout: 5_000 });
  } finally {
    await page.unroute(list, beforePoll);
  }
  if (lists < 2) throw new Error(`the interface list was fetched ${lists} time(s): the rows came from elsewhere`);
}
