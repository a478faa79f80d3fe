import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  bucketMidpoint,
  emptyHistogram,
  type HourStats,
  latencyBucket,
  percentile,
  STATS_WINDOW_HOURS,
  summariseStats,
} from "../../../../src/delivery/history/stats";
import { HOUR_MS } from "../../../../src/lib/time";

function hour(attempts: number, succeeded: number, failed: number, latencies: number[] = []): HourStats {
  const histogram = emptyHistogram();
  for (const ms of latencies) histogram[latencyBucket(ms)]! += 1;
  return { attempts, succeeded, failed, histogram };
}

describe("latency histogram", () => {
  test("buckets: under 1 ms, then four per doubling, capped", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.9)).toBe(0);
    expect(latencyBucket(1)).toBe(1);
    expect(latencyBucket(2)).toBe(5);
    expect(latencyBucket(4)).toBe(9);
    expect(latencyBucket(1e12)).toBe(emptyHistogram().length - 1);
    expect(bucketMidpoint(0)).toBe(0);
  });

  test("a bucket's midpoint is within 10 % of any duration in it (the module's promise)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 500_000 }), (ms) => {
        const mid = bucketMidpoint(latencyBucket(ms));
        expect(Math.abs(mid - ms) / ms).toBeLessThanOrEqual(0.1);
      }),
    );
  });

  test("percentiles: null with nothing recorded, ordered, and near the data", () => {
    expect(percentile(emptyHistogram(), 0.5)).toBeNull();
    const h = hour(0, 0, 0, [...Array(90).fill(100), ...Array(10).fill(2000)]).histogram;
    expect(percentile(h, 0.5)).toBe(bucketMidpoint(latencyBucket(100)));
    expect(percentile(h, 0.95)).toBe(bucketMidpoint(latencyBucket(2000)));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 50 }), (ms) => {
        const histogram = hour(0, 0, 0, ms).histogram;
        expect(percentile(histogram, 0.5)!).toBeLessThanOrEqual(percentile(histogram, 0.95)!);
      }),
    );
  });
});

describe("summariseStats", () => {
  const now = 500_000; // hours since the epoch

  test("24 hours, oldest first; parts of one hour add up; hours outside the window are left out", () => {
    const stats = summariseStats(
      "wh",
      [
        [now, hour(3, 1, 1, [10, 20, 30])],
        [now, hour(2, 1, 0, [40, 50])],
        [now - 5, hour(4, 0, 2)],
        [now - STATS_WINDOW_HOURS, hour(100, 100, 0)],
        [now + 1, hour(100, 0, 100)],
      ],
      now,
      { pending: 7, retrying: 3 },
    );
    expect(stats.hourly).toHaveLength(STATS_WINDOW_HOURS);
    expect(stats.hourly[0]!.hour).toBe(new Date((now - STATS_WINDOW_HOURS + 1) * HOUR_MS).toISOString());
    expect(stats.hourly.at(-1)).toEqual({
      hour: new Date(now * HOUR_MS).toISOString(),
      success: 2,
      failed: 1,
      retrying: 2,
    });
    expect(stats.hourly.at(-6)).toEqual({
      hour: new Date((now - 5) * HOUR_MS).toISOString(),
      success: 0,
      failed: 2,
      retrying: 2,
    });
    expect(stats).toMatchObject({
      object: "webhook_stats",
      webhook_id: "wh",
      window_hours: STATS_WINDOW_HOURS,
      counts: { success: 2, failed: 3, pending: 7, retrying: 3 },
      success_rate: 2 / 5,
      attempts: 9,
    });
    expect(stats.latency_ms.p50).toBe(bucketMidpoint(latencyBucket(30)));
  });

  test("nothing finished: no success rate and no latency", () => {
    const stats = summariseStats("wh", [], now, { pending: 0, retrying: 0 });
    expect(stats.success_rate).toBeNull();
    expect(stats.latency_ms).toEqual({ p50: null, p95: null });
    expect(stats.attempts).toBe(0);
  });
});
