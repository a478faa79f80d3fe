/** lib/crypto's comparison on the Workers runtime's crypto.subtle.timingSafeEqual (not in Node 20). */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { timingSafeEqual } from "../../../src/lib/crypto";

describe("timingSafeEqual", () => {
  test("equal strings, and only those, compare equal; different lengths too, without throwing", () => {
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("token", "token")).toBe(true);
    expect(timingSafeEqual("token", "tokeN")).toBe(false);
    expect(timingSafeEqual("token", "token!")).toBe(false);
    expect(timingSafeEqual("", "x")).toBe(false);
    // Compared as UTF-8 bytes: one character of two bytes is not two of one.
    expect(timingSafeEqual("é", "e\u0301")).toBe(false);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(timingSafeEqual(a, b)).toBe(a === b);
        expect(timingSafeEqual(a, a)).toBe(true);
      }),
    );
  });
});
