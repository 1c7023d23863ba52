// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { html } from "./dom";
import { ListPage } from "./list-page";

interface Row {
  id: string;
  name: string;
}

function make(fetch: (signal: AbortSignal) => Promise<Row[]>, withEmpty = true) {
  const edit = vi.fn();
  const list: ListPage<Row> = new ListPage<Row>({
    caption: "Things",
    columns: [
      { label: "Name", cell: (r) => html`<strong>${r.name}</strong>` },
      { label: "Actions", cell: (r) => html`<button type="button" data-action="edit" data-thing="${r.id}">Edit</button> <button type="button" data-action="delete" data-thing="${r.id}">Delete…</button>` },
    ],
    loadingText: "Loading things…",
    ...(withEmpty ? { empty: () => document.createTextNode("No things") } : {}),
    fetch,
    signal: new AbortController().signal,
    statusClass: "thing-status",
    rowAttr: "thing",
    rowId: (r) => r.id,
    actions: {
      edit,
      delete: (row, button) => list.confirmDelete(button, "thing", row.name, "Gone for good.", async () => {}),
    },
  });
  document.body.replaceChildren(list.status, list.view.element);
  return { list, edit };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("ListPage", () => {
  it("loads the rows into the table and hands a row button its row", async () => {
    const rows = [
      { id: "a", name: "Alpha" },
      { id: "b", name: "Beta" },
    ];
    const { list, edit } = make(async () => rows);
    const loading = list.load();
    expect(list.view.state).toBe("loading");
    expect(list.view.element.textContent).toContain("Loading things…");
    await loading;
    expect(list.view.state).toBe("data");
    expect(list.rows).toEqual(rows);
    expect([...document.querySelectorAll("tbody strong")].map((s) => s.textContent)).toEqual(["Alpha", "Beta"]);
    expect(list.status.className).toBe("muted thing-status");
    expect(list.status.getAttribute("role")).toBe("status");

    document.querySelector<HTMLButtonElement>("button[data-action=edit][data-thing=b]")!.click();
    expect(edit).toHaveBeenCalledTimes(1);
    expect(edit.mock.calls[0]![0]).toEqual(rows[1]);
    expect(edit.mock.calls[0]![1]).toBe(document.querySelector("button[data-action=edit][data-thing=b]"));
  });

  it("draws the empty state, or an empty table when the page has none", async () => {
    const { list } = make(async () => []);
    await list.load();
    expect(list.view.state).toBe("empty");
    expect(list.view.element.textContent).toContain("No things");

    const bare = make(async () => [], false).list;
    await bare.load();
    expect(bare.view.state).toBe("data");
    expect(bare.view.element.querySelector("table")).not.toBeNull();
  });

  it("shows a failed load with a retry that reads again, and ignores an abort", async () => {
    let calls = 0;
    const { list } = make(async () => {
      calls += 1;
      if (calls === 1) throw new ApiError(500, "internal", "Disk full");
      if (calls === 2) throw new DOMException("left", "AbortError");
      return [{ id: "a", name: "Alpha" }];
    });
    await list.load();
    expect(list.view.state).toBe("error");
    expect(list.view.element.textContent).toContain("Disk full.");
    // An abort means the page was left: nothing is drawn for it.
    await list.load();
    expect(list.view.state).toBe("loading");
    expect(list.view.element.textContent).not.toContain("left");
    list.view.error(new Error("shown again"));
    [...list.view.element.querySelectorAll("button")].find((b) => b.textContent === "Try again")!.click();
    await settle();
    expect(list.view.state).toBe("data");
    expect(calls).toBe(3);
  });

  it("show() draws rows it was given without reading them again", async () => {
    const fetch = vi.fn(async () => [{ id: "a", name: "Alpha" }]);
    const { list } = make(fetch);
    await list.load();
    list.show([{ id: "c", name: "Gamma" }]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(document.querySelector("tbody strong")!.textContent).toBe("Gamma");
  });

  it("deletes after the confirmation, says so and reloads; a cancel gives the focus back", async () => {
    const fetch = vi.fn(async () => [{ id: "a", name: "Alpha" }]);
    const { list } = make(fetch);
    await list.load();
    const button = document.querySelector<HTMLButtonElement>("button[data-action=delete]")!;

    button.click();
    expect(document.querySelector("dialog h2")!.textContent).toBe("Delete thing Alpha?");
    expect(document.querySelector("dialog button[type=submit]")!.textContent).toBe("Delete thing");
    document.querySelector<HTMLButtonElement>("dialog button[type=button]")!.click();
    await settle();
    expect(document.activeElement).toBe(button);
    expect(list.status.textContent).toBe("");
    expect(fetch).toHaveBeenCalledTimes(1);

    button.click();
    document.querySelector<HTMLFormElement>("dialog form")!.requestSubmit();
    await settle();
    await settle();
    expect(list.status.textContent).toBe("Deleted thing Alpha.");
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(document.querySelector("dialog")).toBeNull();
  });
});
