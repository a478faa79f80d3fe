/**
 * @module The webhook object's hourly stats: attempts are added up in memory
 * and written at most every few seconds, one row per hour whatever the number
 * of attempts. Approximate by design: a crash loses at most the last few
 * seconds of stats, never an event.
 */
import type { WebhookStats } from "../../api/webhooks/schemas";
import { HOUR_MS } from "../../lib/time";
import {
  emptyHistogram,
  type HourStats,
  latencyBucket,
  STATS_WINDOW_HOURS,
  summariseStats,
} from "./stats";
import type { SqlRunner } from "../../db/object-sql";

/** Buffered hours are written at most this often. */
const FLUSH_MS = 5_000;

export class StatsBuffer {
  private readonly buffer = new Map<number, HourStats>();
  private flushedAt = 0;

  constructor(private readonly run: SqlRunner) {
    run(`CREATE TABLE IF NOT EXISTS stats (
      hour INTEGER PRIMARY KEY,
      attempts INTEGER NOT NULL,
      succeeded INTEGER NOT NULL,
      failed INTEGER NOT NULL,
      histogram TEXT NOT NULL
    )`);
  }

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
    for (const [hour, add] of this.buffer) {
      const stored = this.run<{ histogram: string }>(
        "SELECT histogram FROM stats WHERE hour = ?",
        hour,
      )[0];
      const histogram = stored ? (JSON.parse(stored.histogram) as number[]) : emptyHistogram();
      add.histogram.forEach((n, i) => {
        histogram[i] = (histogram[i] ?? 0) + n;
      });
      this.run(
        `INSERT INTO stats (hour, attempts, succeeded, failed, histogram) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hour) DO UPDATE SET attempts = attempts + excluded.attempts,
           succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
           histogram = excluded.histogram`,
        hour,
        add.attempts,
        add.succeeded,
        add.failed,
        JSON.stringify(histogram),
      );
      this.run("DELETE FROM stats WHERE hour < ?", hour - 2 * STATS_WINDOW_HOURS);
    }
    this.buffer.clear();
  }

  clear(): void {
    this.run("DELETE FROM stats");
    this.buffer.clear();
  }

  /** The last 24 hours from the stored rollups and the buffer; `waiting` counts what is held now. */
  summarise(
    webhookId: string,
    now: number,
    waiting: { pending: number; retrying: number },
  ): WebhookStats {
    const nowHour = Math.floor(now / HOUR_MS);
    const stored = this.run<{
      hour: number;
      attempts: number;
      succeeded: number;
      failed: number;
      histogram: string;
    }>(
      "SELECT hour, attempts, succeeded, failed, histogram FROM stats WHERE hour > ?",
      nowHour - STATS_WINDOW_HOURS,
    );
    const rollups: [number, HourStats][] = [
      ...stored.map(({ hour, histogram, ...counts }): [number, HourStats] => [
        hour,
        { ...counts, histogram: JSON.parse(histogram) as number[] },
      ]),
      ...this.buffer,
    ];
    return summariseStats(webhookId, rollups, nowHour, waiting);
  }
}
