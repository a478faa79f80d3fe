import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { SlidingWindow } from "../../../../src/delivery/policy/rate-limit";

describe("rate_limit_per_second as a sliding window", () => {
  test("no limit grants everything", () => {
    const window = new SlidingWindow();
    expect(window.take(null, 50, 0)).toBe(50);
    expect(window.waitMs(null, 0)).toBe(0);
  });

  test("grants up to the limit per second, says how long to wait, and frees slots a second later", () => {
    const window = new SlidingWindow();
    expect(window.take(2, 5, 0)).toBe(2);
    expect(window.take(2, 1, 500)).toBe(0);
    expect(window.waitMs(2, 500)).toBe(500);
    expect(window.take(2, 1, 999)).toBe(0);
    expect(window.take(2, 5, 1000)).toBe(2);
    expect(window.waitMs(2, 1000)).toBe(1000);
  });

  test("whatever the requests, no second ever holds more than the limit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 12 })), {
          maxLength: 80,
        }),
        (limit, steps) => {
          const window = new SlidingWindow();
          const starts: number[] = [];
          let now = 0;
          for (const [gap, wanted] of steps) {
            now += gap;
            const granted = window.take(limit, wanted, now);
            expect(granted).toBeLessThanOrEqual(wanted);
            for (let i = 0; i < granted; i++) starts.push(now);
            // What waitMs promises: after that long, a send may start.
            const wait = window.waitMs(limit, now);
            if (wait > 0 && window.take(limit, 1, now + wait) === 1) {
              now += wait;
              starts.push(now);
            } else {
              expect(wait).toBe(0);
            }
          }
          for (const t of starts) {
            expect(starts.filter((s) => s >= t && s < t + 1000).length).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});
