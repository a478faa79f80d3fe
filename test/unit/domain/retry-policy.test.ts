import { describe, expect, test } from "vitest";
import { WEBHOOK_DEFAULTS } from "../../../src/api/webhooks/defaults";
import {
  maxAttempts,
  nextDelayMs,
  parseRetryAfter,
  type RetryPolicy,
  retryDelaySeconds,
} from "../../../src/domain/retry-policy";

/** Every wait the policy produces for an event with its own max_attempts. */
function schedule(policy: RetryPolicy): number[] {
  const waits: number[] = [];
  for (let made = 1; made < maxAttempts(policy); made++)
    waits.push(retryDelaySeconds(policy, made)!);
  return waits;
}

describe("retry policies", () => {
  test("the default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 8 attempts over about 28 hours", () => {
    const DEFAULT_RETRY_POLICY = WEBHOOK_DEFAULTS.retry_policy;
    expect(maxAttempts(DEFAULT_RETRY_POLICY)).toBe(8);
    const waits = schedule(DEFAULT_RETRY_POLICY);
    expect(waits).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    const hours = waits.reduce((a, b) => a + b, 0) / 3600;
    expect(hours).toBeGreaterThan(27);
    expect(hours).toBeLessThan(29);
  });

  test("schedule_seconds: each entry is the wait before the next retry", () => {
    const policy = { schedule_seconds: [1, 2, 60] };
    expect(maxAttempts(policy)).toBe(4);
    expect(schedule(policy)).toEqual([1, 2, 60]);
  });

  test("an empty schedule means one attempt and no retry", () => {
    expect(maxAttempts({ schedule_seconds: [] })).toBe(1);
    expect(retryDelaySeconds({ schedule_seconds: [] }, 1)).toBeNull();
  });

  test("fixed: Bitpowr's hourly retries for 72 hours", () => {
    const policy: RetryPolicy = { strategy: "fixed", interval_seconds: 3600, max_attempts: 73 };
    const waits = schedule(policy);
    expect(waits).toHaveLength(72);
    expect(new Set(waits)).toEqual(new Set([3600]));
    expect(waits.reduce((a, b) => a + b, 0)).toBe(72 * 3600);
  });

  test("exponential: grows by the multiplier and stops at the maximum interval", () => {
    const policy: RetryPolicy = {
      strategy: "exponential",
      initial_interval_seconds: 60,
      multiplier: 2,
      max_interval_seconds: 600,
      max_attempts: 7,
    };
    expect(schedule(policy)).toEqual([60, 120, 240, 480, 600, 600]);
  });

  test("jitter only shortens a wait, by at most 10 %", () => {
    const policy = { schedule_seconds: [100] };
    expect(nextDelayMs(policy, 1, () => 0)).toBe(100_000);
    expect(nextDelayMs(policy, 1, () => 0.999999)).toBe(90_000);
    for (let i = 0; i < 200; i++) {
      const d = nextDelayMs(policy, 1, Math.random)!;
      expect(d).toBeGreaterThanOrEqual(90_000);
      expect(d).toBeLessThanOrEqual(100_000);
    }
  });

  test("Retry-After is a lower bound that jitter never undercuts", () => {
    const policy = { schedule_seconds: [5] };
    expect(nextDelayMs(policy, 1, () => 0.5, 120)).toBe(120_000);
    expect(nextDelayMs(policy, 1, () => 0, 2)).toBe(5_000);
  });

  test("Retry-After parses delta seconds and HTTP dates, and is capped at a day", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    expect(parseRetryAfter("30", now)).toBe(30);
    expect(parseRetryAfter("Sun, 22 Nov 2026 12:01:00 GMT", now)).toBe(60);
    expect(parseRetryAfter("Sun, 22 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("9999999", now)).toBe(86_400);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
