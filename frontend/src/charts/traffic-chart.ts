//! Thin Chart.js wrapper for the traffic graph: create, update in place, destroy. Everything it draws
//! comes from the pure `toChartData` and `chartOptions` (src/lib), which carry the tests. Only the
//! Chart.js parts the graph uses are registered, to keep the lazily loaded chunk small.

import {
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  TimeScale,
  Tooltip,
  type ChartOptions,
} from "chart.js";
import "chartjs-adapter-date-fns";
import type { TrafficChartData, XY } from "../lib/traffic-data";

Chart.register(LineController, LineElement, PointElement, LinearScale, TimeScale, Tooltip, Legend, Filler);

export class TrafficChart {
  private readonly chart: Chart<"line", XY[]>;

  constructor(canvas: HTMLCanvasElement, data: TrafficChartData, options: ChartOptions<"line">) {
    this.chart = new Chart(canvas, { type: "line", data, options });
    this.markPoints();
  }

  /** Exposes how many "In" points are drawn as `data-points` on the canvas, for the end-to-end test. */
  private markPoints(): void {
    const points = this.chart.data.datasets[0]?.data.filter((p) => p.y !== null).length ?? 0;
    this.chart.canvas.dataset.points = String(points);
  }

  /** Replace data and/or options and redraw without animation; the canvas and its listeners stay. */
  update(data?: TrafficChartData, options?: ChartOptions<"line">): void {
    if (data) this.chart.data = data;
    if (options) this.chart.options = options;
    this.chart.update("none");
    this.markPoints();
  }

  /** The plot area in canvas CSS pixels (inside the axes). */
  get plotArea(): { left: number; right: number; top: number; bottom: number } {
    return this.chart.chartArea;
  }

  /** The time (epoch ms) under a horizontal position in canvas CSS pixels. */
  timeAt(x: number): number {
    return this.chart.scales.x!.getValueForPixel(x) ?? Number.NaN;
  }

  destroy(): void {
    this.chart.destroy();
  }
}
