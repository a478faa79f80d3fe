import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { jsonTextOf, JsonText, memberText, nestingDepth, parseKeepingNumbers } from "../../../src/lib/json-text";
import { numberText } from "../../helpers/json-arbitraries";

/** JSON whitespace, sometimes none, sometimes a lot. */
const ws = fc
  .array(fc.constantFrom(" ", "\t", "\n", "\r"), { maxLength: 3 })
  .map((chars) => chars.join(""));

/** A character of a string literal: itself, a short escape or a \u escape. */
function escapeChar(c: string, how: number): string {
  const code = c.charCodeAt(0);
  const short: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "/": "\\/" };
  if (how === 0 && code >= 0x20 && c !== '"' && c !== "\\") return c;
  if (how === 1 && short[c]) return short[c];
  const hex = code.toString(16).padStart(4, "0");
  return `\\u${how === 2 ? hex.toUpperCase() : hex}`;
}

/** The source text of a string literal for `value`, escaped at random. */
const stringText = (value: fc.Arbitrary<string>) =>
  value.chain((s) =>
    fc
      .array(fc.integer({ min: 0, max: 2 }), { minLength: s.length, maxLength: s.length })
      // Code unit by code unit: an astral character may come out as a \u surrogate pair.
      .map((hows) => `"${s.split("").map((unit, i) => escapeChar(unit, hows[i]!)).join("")}"`),
  );

const anyString = fc.string({ unit: "binary", maxLength: 12 });

/** The source text of any JSON value, with whitespace and escapes anywhere they may go. */
const { value: valueText } = fc.letrec<{ value: string; member: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberText,
    fc.constantFrom("true", "false", "null"),
    stringText(anyString),
    fc
      .array(fc.tuple(ws, tie("value"), ws), { maxLength: 4 })
      .chain((items) =>
        ws.map((inner) =>
          items.length === 0 ? `[${inner}]` : `[${items.map(([a, v, b]) => a + v + b).join(",")}]`,
        ),
      ),
    fc
      .array(tie("member"), { maxLength: 4 })
      .chain((members) => ws.map((inner) => (members.length === 0 ? `{${inner}}` : `{${members.join(",")}}`))),
  ),
  member: fc
    .tuple(ws, stringText(anyString), ws, ws, tie("value"), ws)
    .map(([a, key, b, c, value, d]) => `${a}${key}${b}:${c}${value}${d}`),
}));

/** Spellings of the key `payload`, some with escapes. */
const payloadKey = stringText(fc.constant("payload"));

describe("memberText", () => {
  test("examples: whitespace, escapes, nesting, duplicates", () => {
    expect(memberText('{"payload":1}', "payload")).toBe("1");
    expect(memberText(' {\n "a" : "}" , "payload" :\t{ "x" : [1, "]", {}] } \n}', "payload")).toBe(
      '{ "x" : [1, "]", {}] }',
    );
    expect(memberText('{"p\\u0061yload": -0, "b": 2}', "payload")).toBe("-0");
    expect(memberText('{"payload": 1, "payload": 1e400}', "payload")).toBe("1e400");
    expect(memberText('{"a": {"payload": 1}}', "payload")).toBeUndefined();
    expect(memberText('{"a": "\\"payload\\": 2"}', "payload")).toBeUndefined();
    expect(memberText('{"payload": "\\\\"}', "payload")).toBe('"\\\\"');
    expect(memberText("{}", "payload")).toBeUndefined();
    expect(memberText("[1]", "payload")).toBeUndefined();
  });

  test("any object: the text of the last `payload` member, the one JSON.parse keeps", () => {
    const member = fc.tuple(
      ws,
      fc.oneof(payloadKey, stringText(anyString)),
      ws,
      ws,
      valueText,
      ws,
    );
    fc.assert(
      fc.property(fc.array(member, { maxLength: 6 }), ws, (members, around) => {
        const text = `${around}{${members.map(([a, key, b, c, value, d]) => `${a}${key}${b}:${c}${value}${d}`).join(",")}}${around}`;
        const payloads = members.filter(([, key]) => JSON.parse(key) === "payload");
        const got = memberText(text, "payload");
        expect(got).toBe(payloads.at(-1)?.[4]);
        if (got !== undefined) expect(JSON.parse(got)).toEqual(JSON.parse(text).payload);
      }),
      { numRuns: 500 },
    );
  });

  test("any value text survives as a payload member byte for byte", () => {
    fc.assert(
      fc.property(valueText, ws, ws, (value, a, b) => {
        expect(memberText(`{${a}"payload"${b}:${a}${value}${b}}`, "payload")).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("parseKeepingNumbers", () => {
  test("numbers JavaScript would change come back as their own text", () => {
    const text = '{"wei":12345678901234567890123,"huge":1e400,"tiny":1e-400,"z":-0,"big":9007199254740993,"f":0.1000000000000000000001,"n":42}';
    expect(JSON.stringify(parseKeepingNumbers(text))).toBe(text);
    expect((parseKeepingNumbers(text) as { n: unknown }).n).toBe(42);
  });

  test("any number text round-trips through parse and stringify", () => {
    fc.assert(
      fc.property(numberText, (n) => {
        expect(JSON.stringify(parseKeepingNumbers(`[${n}]`))).toBe(`[${n}]`);
      }),
    );
  });

  test("jsonTextOf prefers the source text", () => {
    expect(jsonTextOf(new JsonText("1e400"))).toBe("1e400");
    expect(jsonTextOf({ a: 1 })).toBe('{"a":1}');
  });
});

/** The depth of a parsed JSON value, the way nestingDepth counts it in the text. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

describe("nestingDepth", () => {
  test("examples: scalars, brackets inside strings, escapes", () => {
    expect(nestingDepth("1")).toBe(0);
    expect(nestingDepth('"[{"')).toBe(0);
    expect(nestingDepth("[]")).toBe(1);
    expect(nestingDepth('{"a": [1, {"b": "]\\\\"}], "c": {}}')).toBe(3);
    expect(nestingDepth(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)).toBe(100_000);
  });

  test("any JSON value: the depth of what it parses to", () => {
    fc.assert(
      fc.property(fc.json({ depthSize: "large" }), (text) => {
        expect(nestingDepth(text)).toBe(depthOf(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });
});
