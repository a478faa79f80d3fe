import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  parseEventTypes,
  parseFilter,
  parseHeaders,
  parseJsonBox,
  parseSchedule,
  parseStatusCodes,
  toggleEventType,
} from "../../../dashboard/src/form-parsers";

describe("the webhook form's parsers", () => {
  test("headers: one “Name: value” per line; blank lines skipped; values may hold colons", () => {
    expect(parseHeaders("x-env: live\r\n\n  x-url: https://a.example:8443/x  \n")).toEqual({
      "x-env": "live",
      "x-url": "https://a.example:8443/x",
    });
    expect(parseHeaders("")).toEqual({});
    expect(parseHeaders("x-empty:")).toEqual({ "x-empty": "" });
  });

  test("headers: a line without a name says which line", () => {
    expect(() => parseHeaders("x-a: 1\nno colon here")).toThrow("Header line 2");
    expect(() => parseHeaders(": value")).toThrow("Header line 1");
  });

  test("event types: commas or white space, no repeats, order kept", () => {
    expect(parseEventTypes("a.created, b.paid  c.done\na.created,,")).toEqual([
      "a.created",
      "b.paid",
      "c.done",
    ]);
    expect(parseEventTypes("  ")).toEqual([]);
  });

  test("a type ticked in the catalog picker is added once, at the end; unticked, it goes; the rest stays", () => {
    expect(toggleEventType("", "order.paid", true)).toBe("order.paid");
    expect(toggleEventType("a.created  x.custom", "order.paid", true)).toBe("a.created, x.custom, order.paid");
    expect(toggleEventType("order.paid, a.created", "order.paid", true)).toBe("a.created, order.paid");
    expect(toggleEventType("a.created, order.paid, x.custom", "order.paid", false)).toBe("a.created, x.custom");
    expect(toggleEventType("order.paid", "order.paid", false)).toBe("");
    expect(toggleEventType("a.created", "order.paid", false)).toBe("a.created");
  });

  test("ticking and unticking any type leaves the other types as they were, in order", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 8 }), name, (types, picked) => {
        const text = types.join(", ");
        const others = types.filter((type) => type !== picked);
        expect(parseEventTypes(toggleEventType(text, picked, true))).toEqual([...others, picked]);
        expect(parseEventTypes(toggleEventType(text, picked, false))).toEqual(others);
      }),
    );
  });

  test("schedule: whole seconds only, and the message names the bad part", () => {
    expect(parseSchedule("5, 300 1800")).toEqual([5, 300, 1800]);
    expect(parseSchedule("")).toEqual([]);
    expect(() => parseSchedule("5, 1.5")).toThrow("“1.5”");
    expect(() => parseSchedule("-1")).toThrow("“-1”");
    expect(() => parseSchedule("5m")).toThrow("“5m”");
  });

  test("any list of whole seconds, however joined, reads back as itself", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 30 * 86_400 })),
        fc.constantFrom(",", " ", ", ", "\n"),
        (seconds, separator) => {
          expect(parseSchedule(seconds.join(separator))).toEqual(seconds);
        },
      ),
    );
  });

  test("status codes: commas or white space, no repeats, 0 for no response; others say which", () => {
    expect(parseStatusCodes("500, 502 0\n500")).toEqual([500, 502, 0]);
    expect(parseStatusCodes("  ")).toEqual([]);
    for (const bad of ["600", "-1", "5xx", "1.5"]) {
      expect(() => parseStatusCodes(`500 ${bad}`)).toThrow(`“${bad}”`);
    }
  });
});

describe("parseJsonBox", () => {
  test("empty or null is nothing; any other JSON value is itself", () => {
    expect(parseJsonBox(" \n", "Schema")).toBeNull();
    expect(parseJsonBox("null", "Schema")).toBeNull();
    expect(parseJsonBox('{"type": "object"}', "Schema")).toEqual({ type: "object" });
    expect(parseJsonBox("false", "Schema")).toBe(false);
    expect(parseJsonBox("[1, 2]", "Example")).toEqual([1, 2]);
  });

  test("text that is not JSON names the box", () => {
    expect(() => parseJsonBox("{type: object}", "Schema")).toThrow(/^Schema: not valid JSON \(/);
    expect(() => parseJsonBox("{", "Example")).toThrow(/^Example: not valid JSON/);
  });
});

describe("parseFilter", () => {
  test("empty or null is no filter; an object is the filter", () => {
    expect(parseFilter("  ")).toBeNull();
    expect(parseFilter("null")).toBeNull();
    expect(parseFilter('{"payload.a": {"$gt": 1}}')).toEqual({ "payload.a": { $gt: 1 } });
  });

  test("bad JSON, and a filter the relay would refuse, name what is wrong", () => {
    expect(() => parseFilter("{")).toThrow(/not valid JSON/);
    expect(() => parseFilter('{"payload.a": {"$gt": true}}')).toThrow(/at payload\.a\.\$gt/);
    expect(() => parseFilter("[1]")).toThrow(/JSON object/);
  });
});
