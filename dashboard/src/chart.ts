/**
 * @module Delivery attempts per hour by outcome over the last 24 hours, from
 * the webhook's stats (hourly rollups kept by its Durable Object, so the
 * chart is complete however busy the webhook), drawn as an inline SVG of
 * stacked bars. No chart library.
 */
import { h, s } from "./dom";
import type { WebhookStats } from "../../clients/typescript/src/client";

const HOUR_MS = 3_600_000;

/** The outcomes stacked in each bar, bottom up. */
const STACK = ["success", "failed", "retrying"] as const;
type Outcome = (typeof STACK)[number];
const LABELS: Record<Outcome, string> = {
  success: "Delivered",
  failed: "Failed",
  retrying: "Failed, retried",
};

export type HourBucket = { start: number; counts: Record<Outcome, number>; total: number };

export function bucketsOf(stats: Pick<WebhookStats, "hourly">): HourBucket[] {
  return stats.hourly.map(({ hour, ...counts }) => ({
    start: Date.parse(hour),
    counts,
    total: counts.success + counts.failed + counts.retrying,
  }));
}

/** A round upper bound for the y axis: 1, 2, 5, 10, 20, 50… */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** The SVG for `buckets`, `width` CSS pixels wide (text stays legible on phones). */
export function chartSvg(buckets: HourBucket[], width: number): SVGSVGElement {
  const height = 180;
  const margin = { top: 10, right: 8, bottom: 24, left: 34 };
  const plotWidth = Math.max(60, width - margin.left - margin.right);
  const plotHeight = height - margin.top - margin.bottom;
  const max = niceMax(Math.max(0, ...buckets.map((b) => b.total)));
  const slot = plotWidth / buckets.length;
  const barWidth = Math.max(2, slot * 0.7);
  const y = (value: number) => margin.top + plotHeight - (value / max) * plotHeight;

  const grid = [0, max / 2, max].filter((v, i, all) => Number.isInteger(v) && all.indexOf(v) === i);
  const svg = s(
    "svg",
    {
      class: "chart-svg",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": `Delivery attempts per hour over the last ${buckets.length} hours`,
    },
    grid.map((value) =>
      s(
        "g",
        { class: "chart-grid" },
        s("line", { x1: margin.left, x2: margin.left + plotWidth, y1: y(value), y2: y(value) }),
        s("text", { x: margin.left - 6, y: y(value) + 4, "text-anchor": "end" }, String(value)),
      ),
    ),
  );

  buckets.forEach((bucket, index) => {
    const x = margin.left + index * slot + (slot - barWidth) / 2;
    const label = `${timeOfDay.format(bucket.start)}–${timeOfDay.format(bucket.start + HOUR_MS)}`;
    const summary =
      bucket.total === 0
        ? "no deliveries"
        : STACK.filter((status) => bucket.counts[status] > 0)
            .map((status) => `${bucket.counts[status]} ${LABELS[status].toLowerCase()}`)
            .join(", ");
    const group = s("g", { class: "chart-bar", "data-hour": new Date(bucket.start).toISOString() });
    group.appendChild(s("title", {}, `${label}: ${summary}`));
    // A transparent full-height target so that the tooltip works on empty hours too.
    group.appendChild(
      s("rect", {
        class: "chart-hit",
        x: margin.left + index * slot,
        y: margin.top,
        width: slot,
        height: plotHeight,
      }),
    );
    let top = y(0);
    for (const status of STACK) {
      const count = bucket.counts[status];
      if (count === 0) continue;
      const barHeight = Math.max(1.5, (count / max) * plotHeight);
      top -= barHeight;
      group.appendChild(
        s("rect", {
          class: `chart-${status}`,
          x,
          y: top,
          width: barWidth,
          height: barHeight,
          rx: Math.min(2, barWidth / 4),
        }),
      );
    }
    svg.appendChild(group);
    // Label every 6th hour, and fewer when the chart is narrow.
    const every = width < 420 ? 8 : 6;
    if ((buckets.length - 1 - index) % every === 0) {
      svg.appendChild(
        s(
          "text",
          { class: "chart-axis", x: x + barWidth / 2, y: height - 6, "text-anchor": "middle" },
          index === buckets.length - 1 ? "now" : timeOfDay.format(bucket.start),
        ),
      );
    }
  });
  svg.appendChild(
    s("line", {
      class: "chart-baseline",
      x1: margin.left,
      x2: margin.left + plotWidth,
      y1: y(0),
      y2: y(0),
    }),
  );
  if (buckets.every((b) => b.total === 0)) {
    svg.appendChild(
      s(
        "text",
        {
          class: "chart-empty",
          x: margin.left + plotWidth / 2,
          y: margin.top + plotHeight / 2,
          "text-anchor": "middle",
        },
        "No deliveries in the last 24 hours",
      ),
    );
  }
  return svg;
}

/** The chart with its legend; redraws itself to fit when its box is resized. */
export function deliveryChart(buckets: HourBucket[]): HTMLElement {
  const totals = Object.fromEntries(
    STACK.map((status) => [status, buckets.reduce((n, b) => n + b.counts[status], 0)]),
  ) as Record<Outcome, number>;
  const plot = h("div", { class: "chart-plot" });
  const legend = h(
    "ul",
    { class: "chart-legend" },
    STACK.map((status) =>
      h(
        "li",
        { dataset: { status } },
        h("span", { class: `swatch swatch-${status}` }),
        `${LABELS[status]} `,
        h("strong", {}, String(totals[status])),
      ),
    ),
  );
  const wrapper = h("figure", { class: "chart" }, plot, h("figcaption", {}, legend));
  let drawnWidth = 0;
  const draw = () => {
    const width = Math.floor(plot.clientWidth) || 640;
    if (width === drawnWidth) return;
    drawnWidth = width;
    plot.replaceChildren(chartSvg(buckets, width));
  };
  new ResizeObserver(draw).observe(plot);
  return wrapper;
}
