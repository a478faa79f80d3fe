import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeCursor, encodeCursor, readCursor, toList } from "../../../src/api/pagination";
import { ApiError } from "../../../src/lib/errors";

describe("cursors", () => {
  test("any key survives a round trip, in URL-safe characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary-ascii", maxLength: 120 }), (key) => {
        const cursor = encodeCursor(key);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(decodeCursor(cursor)).toBe(key);
        expect(readCursor(cursor)).toBe(key);
      }),
    );
  });

  test("what we did not issue decodes to nothing", () => {
    expect(decodeCursor("not base64!")).toBeUndefined();
    expect(decodeCursor(btoa("[1,2]"))).toBeUndefined();
    expect(decodeCursor(btoa('{"k":1}'))).toBeUndefined();
    expect(decodeCursor(btoa('{"x":"a"}'))).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (text) => {
        // Never throws, whatever arrives in the query string.
        decodeCursor(text);
      }),
    );
  });

  test("readCursor: absent or empty is the first page; a foreign cursor is a 422 naming the field", () => {
    expect(readCursor(undefined)).toBeUndefined();
    expect(readCursor("")).toBeUndefined();
    let thrown: unknown;
    try {
      readCursor("garbage");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(422);
    expect((thrown as ApiError).errors).toEqual([{ path: "cursor", message: expect.any(String) }]);
  });

  test("toList: the extra row only says there is a next page, whose cursor is the last key shown", () => {
    const rows = [{ id: "c" }, { id: "b" }, { id: "a" }];
    const page = toList(rows, 2, (r) => r.id.toUpperCase(), (r) => r.id);
    expect(page).toEqual({ object: "list", data: ["C", "B"], next_cursor: encodeCursor("b") });
    expect(toList(rows, 3, (r) => r.id, (r) => r.id).next_cursor).toBeNull();
    expect(toList([], 3, (r: { id: string }) => r.id, (r) => r.id)).toEqual({
      object: "list",
      data: [],
      next_cursor: null,
    });
  });
});
