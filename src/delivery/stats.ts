/**
 * @module Per-webhook delivery statistics kept by its Durable Object as hourly
 * rollups: a stats query reads at most 25 small rows however long the
 * history is. Latency percentiles come from a log-scale histogram
 * (buckets 2^(1/4) apart, so any percentile is within about 10 %).
 */

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

export type WebhookStats = {
  object: "webhook_stats";
  webhook_id: string;
  window_hours: number;
  /** Events that finished in the window, and events waiting now. */
  counts: { success: number; failed: number; pending: number; retrying: number };
  /** Finished events that succeeded, 0–1; null when none finished. */
  success_rate: number | null;
  attempts: number;
  latency_ms: { p50: number | null; p95: number | null };
};
