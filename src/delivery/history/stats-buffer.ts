/**
 * @module The webhook object's hourly stats: attempts are added up in memory
 * and written at most every few seconds, one row per hour whatever the number
 * of attempts. Approximate by design: a crash loses at most the last few
 * seconds of stats, never an event.
 */
import type { WebhookStats } from "../../domain/webhook-stats";
import { HOUR_MS } from "../../lib/time";
import {
  emptyHistogram,
  type HourStats,
  latencyBucket,
  STATS_WINDOW_HOURS,
  summariseStats,
} from "./stats";

/** Buffered hours are written at most this often. */
const FLUSH_MS = 5_000;

/** Where the rollups are kept: the webhook object's storage (src/delivery/webhook-object/webhook-store.ts). */
export type StatsStore = {
  /** The stored histogram of `hour`, if the hour has a row. */
  statsHistogram(hour: number): number[] | null;
  /** Adds counts to `hour`'s row (made if missing) and sets its histogram. */
  addStats(hour: number, add: Omit<HourStats, "histogram">, histogram: number[]): void;
  deleteStatsBefore(hour: number): void;
  clearStats(): void;
  /** The stored hours after `hour`. */
  statsAfter(hour: number): [number, HourStats][];
};

export class StatsBuffer {
  private readonly buffer = new Map<number, HourStats>();
  private flushedAt = 0;

  constructor(private readonly store: StatsStore) {}

  /** Adds one attempt to its hour; `finished` says how it ended its event, if it did. */
  add(at: number, durationMs: number, finished: "success" | "failed" | null): void {
    const hour = Math.floor(at / HOUR_MS);
    const stats = this.buffer.get(hour) ?? {
      attempts: 0,
      succeeded: 0,
      failed: 0,
      histogram: emptyHistogram(),
    };
    stats.attempts += 1;
    if (finished === "success") stats.succeeded += 1;
    if (finished === "failed") stats.failed += 1;
    const bucket = latencyBucket(durationMs);
    stats.histogram[bucket] = (stats.histogram[bucket] ?? 0) + 1;
    this.buffer.set(hour, stats);
    if (Date.now() - this.flushedAt > FLUSH_MS) this.flush();
  }

  /** Writes the buffered hours, one row each, and drops hours long out of the window. */
  flush(): void {
    this.flushedAt = Date.now();
    for (const [hour, { histogram: added, ...counts }] of this.buffer) {
      const histogram = this.store.statsHistogram(hour) ?? emptyHistogram();
      added.forEach((n, i) => {
        histogram[i] = (histogram[i] ?? 0) + n;
      });
      this.store.addStats(hour, counts, histogram);
      this.store.deleteStatsBefore(hour - 2 * STATS_WINDOW_HOURS);
    }
    this.buffer.clear();
  }

  clear(): void {
    this.store.clearStats();
    this.buffer.clear();
  }

  /** The last 24 hours from the stored rollups and the buffer; `waiting` counts what is held now. */
  summarise(
    webhookId: string,
    now: number,
    waiting: { pending: number; retrying: number },
  ): WebhookStats {
    const nowHour = Math.floor(now / HOUR_MS);
    const rollups = [...this.store.statsAfter(nowHour - STATS_WINDOW_HOURS), ...this.buffer];
    return summariseStats(webhookId, rollups, nowHour, waiting);
  }
}
