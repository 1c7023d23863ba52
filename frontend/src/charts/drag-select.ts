//! Drag across the plot to zoom: draws a selection band over the canvas while the pointer moves and
//! reports the selected time span when it is released. Works with mouse, pen and horizontal touch drags
//! (vertical swipes still scroll the page). Escape cancels. Keyboard users have the from/to inputs.

import { h } from "../components/dom";
import type { TrafficChart } from "./traffic-chart";

/** Drags narrower than this are clicks (they keep the tooltip behaviour). */
const MIN_DRAG_PX = 8;

export function attachDragSelect(
  canvas: HTMLCanvasElement,
  chart: () => TrafficChart | null,
  onSelect: (fromMs: number, toMs: number) => void,
  signal: AbortSignal,
): void {
  const band = h("div", { class: "drag-band", hidden: true, "aria-hidden": "true" });
  canvas.parentElement!.append(band);
  canvas.style.touchAction = "pan-y";
  let startX: number | null = null;

  const localX = (event: PointerEvent) => event.clientX - canvas.getBoundingClientRect().left;
  const clamp = (x: number) => {
    const area = chart()?.plotArea;
    return area ? Math.min(area.right, Math.max(area.left, x)) : x;
  };
  const cancel = () => {
    startX = null;
    band.hidden = true;
  };

  canvas.addEventListener(
    "pointerdown",
    (event) => {
      const area = chart()?.plotArea;
      const x = localX(event);
      if (event.button !== 0 || !area || x < area.left || x > area.right) return;
      startX = x;
      canvas.setPointerCapture(event.pointerId);
    },
    { signal },
  );
  canvas.addEventListener(
    "pointermove",
    (event) => {
      const area = chart()?.plotArea;
      if (startX === null || !area) return;
      const x = clamp(localX(event));
      if (Math.abs(x - startX) < MIN_DRAG_PX) return;
      band.hidden = false;
      band.style.left = `${canvas.offsetLeft + Math.min(startX, x)}px`;
      band.style.width = `${Math.abs(x - startX)}px`;
      band.style.top = `${canvas.offsetTop + area.top}px`;
      band.style.height = `${area.bottom - area.top}px`;
    },
    { signal },
  );
  canvas.addEventListener(
    "pointerup",
    (event) => {
      const instance = chart();
      if (startX === null || !instance) return cancel();
      const x = clamp(localX(event));
      const from = Math.min(startX, x);
      const to = Math.max(startX, x);
      cancel();
      if (to - from >= MIN_DRAG_PX) onSelect(instance.timeAt(from), instance.timeAt(to));
    },
    { signal },
  );
  canvas.addEventListener("pointercancel", cancel, { signal });
  document.addEventListener("keydown", (event) => event.key === "Escape" && cancel(), { signal });
}
