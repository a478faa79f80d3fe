/**
 * @module Per-webhook delivery statistics kept by its Durable Object as hourly
 * rollups: a stats query reads at most 25 small rows however long the
 * history is. Latency percentiles come from a log-scale histogram
 * (buckets 2^(1/4) apart, so any percentile is within about 10 %).
 */
import type { WebhookStats } from "../../domain/webhook-stats";
import { HOUR_MS, toRfc3339 } from "../../lib/time";

export const STATS_WINDOW_HOURS = 24;
const BUCKETS = 80;
const STEPS_PER_DOUBLING = 4;

/** The histogram bucket of a duration in ms: 0 for < 1 ms, then log-scale. */
export function latencyBucket(ms: number): number {
  if (ms < 1) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(ms) * STEPS_PER_DOUBLING));
}

/** A representative duration for a bucket: the geometric middle of its range. */
export function bucketMidpoint(bucket: number): number {
  if (bucket === 0) return 0;
  return Math.round(2 ** ((bucket - 1 + 0.5) / STEPS_PER_DOUBLING));
}

export function emptyHistogram(): number[] {
  return new Array<number>(BUCKETS).fill(0);
}

/** The duration below which `fraction` of the recorded attempts fall, or null with none. */
export function percentile(histogram: number[], fraction: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(total * fraction));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    if (seen >= rank) return bucketMidpoint(i);
  }
  return null;
}

/** One hour's rollup: attempts, events finished either way, and the latency histogram. */
export type HourStats = { attempts: number; succeeded: number; failed: number; histogram: number[] };

/**
 * Attempts of one hour by outcome: `success` and `failed` finished their
 * event, `retrying` failed with another attempt to come.
 */
export type HourCounts = { hour: string; success: number; failed: number; retrying: number };


/**
 * The stats of the {@link STATS_WINDOW_HOURS} hours ending with `nowHour`
 * from hourly rollups, given as [hour, rollup] pairs; an hour may come more
 * than once (its stored row and its unflushed part), and its parts add up.
 */
export function summariseStats(
  webhookId: string,
  rollups: [number, HourStats][],
  nowHour: number,
  waiting: { pending: number; retrying: number },
): WebhookStats {
  const fromHour = nowHour - STATS_WINDOW_HOURS + 1;
  const histogram = emptyHistogram();
  const byHour = new Map<number, Omit<HourStats, "histogram">>();
  for (const [hour, part] of rollups) {
    if (hour < fromHour || hour > nowHour) continue;
    const sum = byHour.get(hour) ?? { attempts: 0, succeeded: 0, failed: 0 };
    sum.attempts += part.attempts;
    sum.succeeded += part.succeeded;
    sum.failed += part.failed;
    part.histogram.forEach((n, i) => {
      histogram[i] = (histogram[i] ?? 0) + n;
    });
    byHour.set(hour, sum);
  }
  const hourly: HourCounts[] = [];
  let attempts = 0;
  let success = 0;
  let failed = 0;
  for (let hour = fromHour; hour <= nowHour; hour++) {
    const sum = byHour.get(hour) ?? { attempts: 0, succeeded: 0, failed: 0 };
    attempts += sum.attempts;
    success += sum.succeeded;
    failed += sum.failed;
    hourly.push({
      hour: toRfc3339(hour * HOUR_MS),
      success: sum.succeeded,
      failed: sum.failed,
      retrying: sum.attempts - sum.succeeded - sum.failed,
    });
  }
  return {
    object: "webhook_stats",
    webhook_id: webhookId,
    window_hours: STATS_WINDOW_HOURS,
    counts: { success, failed, ...waiting },
    success_rate: success + failed === 0 ? null : success / (success + failed),
    attempts,
    latency_ms: { p50: percentile(histogram, 0.5), p95: percentile(histogram, 0.95) },
    hourly,
  };
}
