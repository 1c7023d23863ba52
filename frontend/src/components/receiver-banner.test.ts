import { describe, expect, it } from "vitest";
import { receiverAlert, type ReceiverStatus } from "./receiver-banner";

const listening: ReceiverStatus = {
  name: "trap_udp", address: "127.0.0.1:1162", state: "listening", error: null, nextRetryAt: null, failedAttempts: 0,
};

describe("receiverAlert", () => {
  it("says nothing while every receiver listens", () => {
    expect(receiverAlert([listening], 1000)).toBeNull();
    expect(receiverAlert([], 1000)).toBeNull();
  });

  it("names each failed receiver, its address, the error and the next try", () => {
    const failed: ReceiverStatus = {
      name: "syslog_udp", address: "127.0.0.1:1514", state: "failed",
      error: "Address already in use (os error 98)", nextRetryAt: 1012, failedAttempts: 2,
    };
    expect(receiverAlert([failed, listening], 1000)).toBe(
      "Syslog over UDP cannot listen on 127.0.0.1:1514 (Address already in use (os error 98)), next try in 12 s. " +
        "Vigie keeps trying; until then nothing is received there.",
    );
  });
});
