import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { toRfc3339 } from "../../../src/lib/time";

describe("toRfc3339", () => {
  test("writes what toISOString writes, for any time, in any order", () => {
    const instant = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      fc.integer({ min: 1_700_000_000_000, max: 1_700_000_005_000 }),
    );
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) {
          expect(toRfc3339(ms)).toBe(new Date(ms).toISOString());
          expect(toRfc3339(new Date(ms))).toBe(new Date(ms).toISOString());
        }
      }),
    );
  });

  test("edges: the epoch, a second's last millisecond, the year 9999, before 1970", () => {
    for (const ms of [0, 999, 1000, 1_764_662_399_999, 253_402_300_799_999, 253_402_300_800_000, -1, -1001]) {
      expect(toRfc3339(ms)).toBe(new Date(ms).toISOString());
    }
  });

  test("an invalid date throws as toISOString does", () => {
    expect(() => toRfc3339(Number.NaN)).toThrow(RangeError);
    expect(() => toRfc3339(new Date("nope"))).toThrow(RangeError);
  });
});
