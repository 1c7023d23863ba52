import { describe, expect, it } from "vitest";
import { storageAlert } from "./storage-alert";

describe("storageAlert", () => {
  it("names the count, the age and the reason of a recent failure", () => {
    const text = storageAlert({ writeErrors: 12, lastWriteError: "No space left on device (os error 28)", lastWriteErrorAt: 1_000 }, 1_090);
    expect(text).toContain("12 writes failed");
    expect(text).toContain("No space left on device");
    expect(text).toContain("ago");
  });

  it("stays hidden with no failure, or once the last one is older than the window", () => {
    expect(storageAlert({ writeErrors: 0 }, 1_000)).toBeNull();
    expect(storageAlert({ writeErrors: 3, lastWriteError: "x", lastWriteErrorAt: 1_000 }, 1_601)).toBeNull();
    expect(storageAlert({ writeErrors: 1, lastWriteError: null, lastWriteErrorAt: 1_000 }, 1_600)).toMatch(/^Storage problem: 1 write failed/);
  });
});
