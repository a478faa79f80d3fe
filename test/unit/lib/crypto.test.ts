import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fromBase64, fromBase64Url, toBase64, toBase64Url } from "../../../src/lib/crypto";

/** The plain definition: one character per byte, then btoa. */
function byteByByte(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

describe("base64", () => {
  test("known values", () => {
    expect(toBase64(new TextEncoder().encode("hello"))).toBe("aGVsbG8=");
    expect(toBase64(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe("+/+/");
    expect(toBase64(new Uint8Array())).toBe("");
  });

  test("any bytes, short or longer than one 8 KiB step, encode as byte by byte and decode back", () => {
    const check = (bytes: Uint8Array) => {
      const text = toBase64(bytes);
      expect(text).toBe(byteByByte(bytes));
      expect(fromBase64(text)).toEqual(bytes);
    };
    for (const length of [8191, 8192, 8193, 16_384, 20_000]) {
      check(crypto.getRandomValues(new Uint8Array(length)));
    }
    // size "max": without it fast-check keeps arrays to a few bytes.
    fc.assert(fc.property(fc.uint8Array({ maxLength: 20_000, size: "max" }), check), { numRuns: 50 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), check), { numRuns: 200 });
  });
});

describe("base64url", () => {
  test("URL-safe, unpadded, and read back by fromBase64Url (plain base64 too)", () => {
    expect(toBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe("-_-_");
    expect(toBase64Url(new TextEncoder().encode("a"))).toBe("YQ");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(text)).toEqual(bytes);
        expect(fromBase64Url(toBase64(bytes))).toEqual(bytes);
      }),
    );
  });
});
