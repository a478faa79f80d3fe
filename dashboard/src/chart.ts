/**
 * @module Deliveries per hour by status over the last 24 hours: counted in the
 * browser from the events list (newest first, so a few pages reach back a
 * day), drawn as an inline SVG of stacked bars. No chart library.
 */
import type { Client } from "./api";
import { h, s } from "./dom";
import { DELIVERY_STATUSES, type DeliveryEvent, type DeliveryStatus } from "./types";

export const HOURS = 24;
const HOUR_MS = 3_600_000;
/** Pages of 100 events read at most; past that the chart says it is partial. */
export const MAX_PAGES = 5;

export type HourBucket = { start: number; counts: Record<DeliveryStatus, number>; total: number };

const zero = (): Record<DeliveryStatus, number> => ({
  pending: 0,
  retrying: 0,
  success: 0,
  failed: 0,
});

/** The start of the local hour holding `time` (time zones with half hours included). */
export function hourStart(time: number): number {
  const date = new Date(time);
  date.setMinutes(0, 0, 0);
  return date.getTime();
}

/**
 * Counts events by the hour they were created in and their status now. The
 * last bucket is the current hour; events older than the first are left out.
 */
export function bucketByHour(
  events: Pick<DeliveryEvent, "created_at" | "delivery_status">[],
  now: number,
  hours = HOURS,
): HourBucket[] {
  const last = hourStart(now);
  const buckets: HourBucket[] = [];
  for (let i = hours - 1; i >= 0; i--)
    buckets.push({ start: last - i * HOUR_MS, counts: zero(), total: 0 });
  const first = buckets[0]!.start;
  for (const event of events) {
    const time = Date.parse(event.created_at);
    if (!Number.isFinite(time) || time < first || time >= last + HOUR_MS) continue;
    // Hours are not always 3 600 000 ms apart in local time (DST), so search.
    let index = Math.min(hours - 1, Math.floor((time - first) / HOUR_MS));
    while (index > 0 && buckets[index]!.start > time) index -= 1;
    while (index < hours - 1 && buckets[index + 1]!.start <= time) index += 1;
    const bucket = buckets[index]!;
    bucket.counts[event.delivery_status] += 1;
    bucket.total += 1;
  }
  return buckets;
}

export type ChartData = { buckets: HourBucket[]; partial: boolean; events: number };

/** Reads the events of the last 24 hours, at most {@link MAX_PAGES} pages, and buckets them. */
export async function loadChartData(
  client: Client,
  webhookId: string,
  now = Date.now(),
): Promise<ChartData> {
  const since = hourStart(now) - (HOURS - 1) * HOUR_MS;
  const events: DeliveryEvent[] = [];
  let cursor: string | undefined;
  let partial = false;
  for (let page = 0; page < MAX_PAGES; page++) {
    const list = await client.listEvents({ webhookId, cursor, limit: 100 });
    events.push(...list.data);
    const oldest = list.data[list.data.length - 1];
    if (!list.next_cursor || !oldest || Date.parse(oldest.created_at) < since) break;
    cursor = list.next_cursor;
    if (page === MAX_PAGES - 1) partial = true;
  }
  return { buckets: bucketByHour(events, now), partial, events: events.length };
}

/** A round upper bound for the y axis: 1, 2, 5, 10, 20, 50… */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const STACK: DeliveryStatus[] = ["success", "failed", "retrying", "pending"];
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
      "aria-label": `Deliveries per hour over the last ${buckets.length} hours`,
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
            .map((status) => `${bucket.counts[status]} ${status}`)
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
export function deliveryChart(data: ChartData): HTMLElement {
  const totals = zero();
  for (const bucket of data.buckets)
    for (const status of DELIVERY_STATUSES) totals[status] += bucket.counts[status];
  const plot = h("div", { class: "chart-plot" });
  const legend = h(
    "ul",
    { class: "chart-legend" },
    STACK.map((status) =>
      h(
        "li",
        { dataset: { status } },
        h("span", { class: `swatch swatch-${status}` }),
        `${status[0]!.toUpperCase()}${status.slice(1)} `,
        h("strong", {}, String(totals[status])),
      ),
    ),
  );
  const wrapper = h(
    "figure",
    { class: "chart" },
    plot,
    h(
      "figcaption",
      {},
      legend,
      data.partial
        ? h("p", { class: "hint" }, `Counted from the newest ${data.events} events only.`)
        : null,
    ),
  );
  let drawnWidth = 0;
  const draw = () => {
    const width = Math.floor(plot.clientWidth) || 640;
    if (width === drawnWidth) return;
    drawnWidth = width;
    plot.replaceChildren(chartSvg(data.buckets, width));
  };
  new ResizeObserver(draw).observe(plot);
  return wrapper;
}
