import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fromBase64, toBase64 } from "../../../src/lib/crypto";

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
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (bytes) => {
        const text = toBase64(bytes);
        expect(text).toBe(byteByByte(bytes));
        expect(fromBase64(text)).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });
});
