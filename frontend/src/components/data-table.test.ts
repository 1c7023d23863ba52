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

describe("DataTable with row details", () => {
  function makeDetailed() {
    const table = new DataTable<Row, never>({
      caption: "Things",
      columns: [
        { label: "Name", cell: (r) => html`<a href="/x">${r.name}</a>` },
        { label: "Rate", cell: (r) => html`${r.bps}` },
      ],
      details: { key: (r) => r.name, label: (r) => `Details of ${r.name}`, render: (r) => html`<p class="d">about ${r.name}</p>` },
    });
    document.body.replaceChildren(table.element);
    return table;
  }
  const toggle = (name: string) => document.querySelector<HTMLButtonElement>(`button.row-toggle[data-row-key="${name}"]`)!;

  it("gives each row a named toggle button, closed at first", () => {
    makeDetailed().setRows([{ name: "a", bps: 1 }, { name: "b", bps: 2 }]);
    expect(document.querySelectorAll("thead th")).toHaveLength(3);
    expect(toggle("a").getAttribute("aria-expanded")).toBe("false");
    expect(toggle("a").getAttribute("aria-label")).toBe("Details of a");
    expect(document.querySelector(".detail-row")).toBeNull();
  });

  it("opens and closes the detail under its row, and keeps it open across redraws", () => {
    const table = makeDetailed();
    table.setRows([{ name: "a", bps: 1 }, { name: "b", bps: 2 }]);
    toggle("a").click();
    expect(toggle("a").getAttribute("aria-expanded")).toBe("true");
    const detail = document.getElementById(toggle("a").getAttribute("aria-controls")!)!;
    expect(detail.textContent).toBe("about a");
    expect(detail.previousElementSibling!.getAttribute("data-row-key")).toBe("a");
    expect(detail.querySelector("td")!.getAttribute("colspan")).toBe("3");

    toggle("a").focus();
    table.setRows([{ name: "new", bps: 0 }, { name: "a", bps: 1 }, { name: "b", bps: 2 }]);
    expect(toggle("a").getAttribute("aria-expanded")).toBe("true");
    expect(document.querySelectorAll(".detail-row")).toHaveLength(1);
    expect(document.activeElement).toBe(toggle("a"));

    toggle("a").click();
    expect(document.querySelector(".detail-row")).toBeNull();
    expect(toggle("a").getAttribute("aria-expanded")).toBe("false");
  });

  it("opens a row clicked outside its links, not one whose link was clicked", () => {
    makeDetailed().setRows([{ name: "a", bps: 1 }]);
    document.querySelector<HTMLElement>("tbody a")!.addEventListener("click", (e) => e.preventDefault());
    document.querySelector<HTMLElement>("tbody a")!.click();
    expect(document.querySelector(".detail-row")).toBeNull();
    document.querySelectorAll<HTMLElement>("tbody td")[2]!.click();
    expect(document.querySelector(".detail-row")).not.toBeNull();
  });
});

describe("DataTable, virtual", () => {
  const rows = Array.from({ length: 2001 }, (_, i) => ({ name: `dev-${i}`, bps: i }));
  function virtual() {
    const table = new DataTable<Row, "name" | "bps">({
      caption: "Devices",
      columns: [
        { sort: "name", label: "Name", width: "10rem", cell: (r) => html`<a href="/x">${r.name}</a>` },
        { label: "Rate", cell: (r) => html`${r.bps}` },
      ],
      emptyRow: () => html`Nothing`,
      virtual: true,
    });
    document.body.append(table.element);
    return table;
  }

  it("draws a bounded window of rows and announces the whole list", () => {
    const table = virtual();
    table.setRows(rows);
    const drawn = table.element.querySelectorAll("tbody tr:not(.spacer)");
    expect(drawn.length).toBeGreaterThan(10);
    expect(drawn.length).toBeLessThan(100);
    expect(table.element.querySelector("table")?.getAttribute("aria-rowcount")).toBe("2002");
    expect(drawn[0]?.getAttribute("aria-rowindex")).toBe("2");
    expect(drawn[0]?.textContent).toContain("dev-0");
    const [top, bottom] = table.element.querySelectorAll<HTMLElement>("tr.spacer > td");
    expect(top?.style.height).toBe("0px");
    expect(bottom?.style.height).toBe(`${(2001 - drawn.length) * 30}px`);
    expect(table.element.querySelector("th")?.style.width).toBe("10rem");
    table.element.remove();
  });

  it("shows the empty row when nothing matches, and the new rows when they change", () => {
    const table = virtual();
    table.setRows(rows);
    table.setRows([]);
    expect(table.element.querySelector("tbody")?.textContent).toBe("Nothing");
    table.setRows(rows.slice(5, 7));
    expect([...table.element.querySelectorAll("tbody tr:not(.spacer)")].map((r) => r.textContent)).toEqual(["dev-55", "dev-66"]);
    table.element.remove();
  });

  it("redraws new rows in the same window by replacing only the cells that changed", () => {
    const table = virtual();
    table.setRows(rows);
    const before = [...table.element.querySelectorAll("tbody tr:not(.spacer)")];
    const link = before[3]?.querySelector("a");
    table.setRows(rows.map((r, i) => (i === 3 ? { ...r, bps: 999 } : r)));
    const after = [...table.element.querySelectorAll("tbody tr:not(.spacer)")];
    expect(after).toHaveLength(before.length);
    expect(after[3]).toBe(before[3]);
    expect(after[3]?.querySelector("a")).toBe(link);
    expect(after[3]?.textContent).toBe("dev-3999");
    expect(after[4]?.textContent).toBe("dev-44");
    // Other rows in the same window (a new sort): every cell shows the new row.
    table.setRows([...rows].reverse());
    expect(table.element.querySelector("tbody tr:not(.spacer)")?.textContent).toBe("dev-20002000");
    table.element.remove();
  });
});
