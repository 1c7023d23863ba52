// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { AsyncView } from "./async-view";
import { h } from "./dom";

function make() {
  const render = vi.fn((data: string[], container: HTMLElement) => {
    container.textContent = data.join(",");
  });
  const retry = vi.fn();
  const view = new AsyncView<string[]>({
    render,
    retry,
    isEmpty: (d) => d.length === 0,
    empty: () => h("p", {}, "No devices yet"),
    loadingText: "Loading devices…",
  });
  document.body.replaceChildren(view.element);
  return { view, render, retry };
}

describe("AsyncView", () => {
  it("walks through loading, data, empty and error", () => {
    const { view, render } = make();
    view.loading();
    expect(view.state).toBe("loading");
    expect(view.element.textContent).toContain("Loading devices…");
    expect(view.element.getAttribute("aria-busy")).toBe("true");

    view.data(["a", "b"]);
    expect(view.state).toBe("data");
    expect(view.element.textContent).toBe("a,b");
    expect(view.element.hasAttribute("aria-busy")).toBe(false);
    expect(render).toHaveBeenCalledTimes(1);

    view.data([]);
    expect(view.state).toBe("empty");
    expect(view.element.textContent).toContain("No devices yet");
  });

  it("shows the server's message and a retry button when nothing was shown yet", () => {
    const { view, retry } = make();
    view.loading();
    view.error(new ApiError(404, "device_not_found", "No device with id d9"));
    expect(view.state).toBe("error");
    expect(view.element.textContent).toContain("Not found");
    expect(view.element.textContent).toContain("No device with id d9.");
    view.element.querySelector("button")!.click();
    expect(retry).toHaveBeenCalledOnce();
  });

  it("keeps the data under a notice when a refresh fails", () => {
    const { view } = make();
    view.data(["a"]);
    view.loading();
    expect(view.element.classList.contains("is-busy")).toBe(true);
    view.error(new ApiError(0, "network_error", "Cannot reach the Vigie server."));
    expect(view.state).toBe("data");
    expect(view.element.textContent).toContain("a");
    expect(view.element.textContent).toContain("Could not refresh: Cannot reach the Vigie server.");
    view.data(["b"]);
    expect(view.element.querySelector<HTMLElement>(".async-notice")!.hidden).toBe(true);
  });

  it("reuses the same container for every render", () => {
    const { view, render } = make();
    view.data(["a"]);
    view.data(["b"]);
    expect(render.mock.calls[0]![1]).toBe(render.mock.calls[1]![1]);
  });
});
