// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { FormField } from "./form-field";

describe("FormField", () => {
  it("labels the input and ties hint and error to it", () => {
    const field = new FormField({ name: "snmp.community", label: "Community", value: "", hint: "The read community." });
    document.body.replaceChildren(field.element);
    const input = document.querySelector("input")!;
    expect(document.querySelector("label")!.getAttribute("for")).toBe(input.id);
    expect(input.name).toBe("snmp.community");
    const described = input.getAttribute("aria-describedby")!.split(" ");
    expect(described).toHaveLength(2);

    field.setError("Enter the SNMP community.");
    const error = document.getElementById(described[1]!)!;
    expect(error.textContent).toBe("Enter the SNMP community.");
    expect(error.hidden).toBe(false);
    expect(input.getAttribute("aria-invalid")).toBe("true");

    field.setError(null);
    expect(error.hidden).toBe(true);
    expect(input.hasAttribute("aria-invalid")).toBe(false);
  });

  it("types numbers as text with a numeric keyboard", () => {
    const field = new FormField({ name: "port", label: "Port", value: "161", type: "number" });
    expect(field.input.getAttribute("type")).toBe("text");
    expect(field.input.getAttribute("inputmode")).toBe("numeric");
    expect(field.value).toBe("161");
  });
});
