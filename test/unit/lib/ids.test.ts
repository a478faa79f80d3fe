import { describe, expect, it } from "vitest";
import { uuidv7, uuidv7Floor } from "../../../src/lib/ids";

const FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuidv7", () => {
  it("has the RFC 9562 form, version 7 and variant 10", () => {
    for (let i = 0; i < 1000; i++) expect(uuidv7()).toMatch(FORM);
  });

  it("carries its millisecond in the first 48 bits", () => {
    // Later than any id made so far: ids never go back in time within an isolate.
    const ms = Date.UTC(2040, 11, 1, 23, 59, 59, 123);
    const id = uuidv7(ms);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(ms);
    expect(id > uuidv7Floor(ms)).toBe(true);
    expect(id < uuidv7Floor(ms + 1)).toBe(true);
  });

  it("strictly increases within one millisecond and across them", () => {
    const ms = Date.UTC(2050, 0, 1);
    const ids = [
      ...Array.from({ length: 3000 }, () => uuidv7(ms)),
      ...Array.from({ length: 10 }, (_, i) => uuidv7(ms + 10 + i)),
    ];
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
