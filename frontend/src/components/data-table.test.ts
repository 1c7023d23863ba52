// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";
import { DataTable } from "./data-table";
import { html } from "./dom";

interface Row {
  name: string;
  bps: number;
}

function make() {
  const onSort = vi.fn();
  const table = new DataTable<Row, "name" | "bps">({
    caption: "Things",
    columns: [
      { sort: "name", label: "Name", cell: (r) => html`<a href="/x">${r.name}</a>` },
      { sort: "bps", label: "Rate", firstDir: "desc", className: "num", cell: (r) => html`${r.bps}` },
      { label: "Note", cell: () => html`-` },
    ],
    onSort,
    emptyRow: () => html`Nothing matches.`,
  });
  document.body.replaceChildren(table.element);
  return { table, onSort };
}

describe("DataTable", () => {
  it("renders every row in one pass, escaping cell text", () => {
    const { table } = make();
    const rows = Array.from({ length: 400 }, (_, i) => ({ name: `<b>if${i}</b>`, bps: i }));
    table.setRows(rows);
    expect(document.querySelectorAll("tbody tr")).toHaveLength(400);
    expect(document.querySelector("tbody a")!.textContent).toBe("<b>if0</b>");
    expect(document.querySelector("tbody b")).toBeNull();
  });

  it("reports header clicks through one delegated listener", () => {
    const { onSort } = make();
    document.querySelector<HTMLButtonElement>('button[data-sort="bps"]')!.click();
    expect(onSort).toHaveBeenCalledWith("bps", "desc");
    expect(document.querySelectorAll("th button")).toHaveLength(2);
  });

  it("marks the sorted column for assistive technology", () => {
    const { table } = make();
    table.setSort({ key: "bps", dir: "desc" });
    expect(document.querySelector('th[data-key="bps"]')!.getAttribute("aria-sort")).toBe("descending");
    expect(document.querySelector('th[data-key="name"]')!.hasAttribute("aria-sort")).toBe(false);
    table.setSort({ key: "name", dir: "asc" });
    expect(document.querySelector('th[data-key="name"]')!.getAttribute("aria-sort")).toBe("ascending");
    expect(document.querySelector('th[data-key="bps"]')!.hasAttribute("aria-sort")).toBe(false);
  });

  it("shows the empty row when nothing matches", () => {
    const { table } = make();
    table.setRows([]);
    expect(document.querySelector("tbody")!.textContent).toBe("Nothing matches.");
    expect(document.querySelector("tbody td")!.getAttribute("colspan")).toBe("3");
  });
});
