import { describe, expect, test } from "vitest";
import { jsonChunks } from "../../../src/lib/json-chunks";

describe("rows as JSON parameters", () => {
  test("chunks stay under the limit and carry every row, in order", () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ i, text: "x".repeat(i * 10) }));
    const chunks = jsonChunks(rows, 2_000);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(2_000);
    expect(chunks.flatMap((c) => JSON.parse(c) as unknown[])).toEqual(rows);
  });

  test("a row larger than the limit still goes, alone", () => {
    const big = { text: "y".repeat(5_000) };
    expect(jsonChunks([{ a: 1 }, big, { b: 2 }], 1_000).map((c) => JSON.parse(c))).toEqual([
      [{ a: 1 }],
      [big],
      [{ b: 2 }],
    ]);
  });

  test("no rows, no chunks", () => {
    expect(jsonChunks([])).toEqual([]);
  });
});
