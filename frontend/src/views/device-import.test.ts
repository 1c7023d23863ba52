import { describe, expect, it } from "vitest";
import { describeFile } from "./device-import";

describe("describeFile", () => {
  it("counts CSV rows under the header and keeps the first lines for the preview", () => {
    const text = "name,host\r\na,192.0.2.1\r\n\r\nb,192.0.2.2\r\n";
    expect(describeFile("list.csv", text)).toEqual({ contentType: "text/csv", rows: 2, preview: ["name,host", "a,192.0.2.1", "b,192.0.2.2"] });
  });

  it("sends a JSON list as JSON and counts its items", () => {
    expect(describeFile("list.json", '[{"host": "a"}, {"host": "b"}]')).toEqual({ contentType: "application/json", rows: 2, preview: [] });
    expect(describeFile("x.txt", ' [{"host": "a"}]').contentType).toBe("application/json");
    expect(describeFile("bad.json", "[not json").rows).toBe(0);
  });
});
