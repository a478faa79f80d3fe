/**
 * Event type schemas, in workerd: what a schema may be, hostile ones among
 * them (deep, huge, looping, branching, catastrophic patterns), and what a
 * payload's problems look like. Each hostile case must answer, quickly
 * enough for the test's timeout, with the problem it names.
 */
import { describe, expect, test } from "vitest";
import {
  type CompiledSchema,
  compileSchema,
  payloadProblems,
  SCHEMA_MAX_BYTES,
  SCHEMA_MAX_DEPTH,
  VALIDATION_STEPS,
} from "../../../src/catalog/json-schema";

function compiled(schema: unknown): CompiledSchema {
  const result = compileSchema(JSON.stringify(schema));
  if (Array.isArray(result)) throw new Error(`refused: ${JSON.stringify(result)}`);
  return result;
}

const check = (schema: unknown, payload: unknown) => payloadProblems(compiled(schema), payload);
/** A schema's problems; none when it compiles. */
function refusal(schema: unknown) {
  const result = compileSchema(JSON.stringify(schema));
  return Array.isArray(result) ? result : [];
}

const ORDER = {
  type: "object",
  required: ["id", "amount"],
  properties: {
    id: { type: "string", pattern: "^ord_[a-z0-9]+$" },
    amount: { type: "integer", minimum: 1 },
    currency: { enum: ["NGN", "USD"] },
    items: { type: "array", items: { type: "object", properties: { sku: { type: "string" } } } },
  },
};

describe("a payload against its schema", () => {
  test("a matching payload has no problems", () => {
    expect(check(ORDER, { id: "ord_1", amount: 5, currency: "NGN", items: [{ sku: "a" }] })).toEqual([]);
  });

  test("each problem points into the payload (JSON Pointer) and names the field (dotted)", () => {
    expect(check(ORDER, { id: "ord_1", amount: 5, items: [{ sku: 7 }] })).toEqual([
      { path: "payload.items.0.sku", pointer: "/items/0/sku", message: expect.stringContaining("string") },
    ]);
    expect(check(ORDER, { id: "ord_1" })).toEqual([
      { path: "payload", pointer: "", message: expect.stringContaining("amount") },
    ]);
    expect(check(ORDER, { id: "nope", amount: 0 })[0]).toMatchObject({ pointer: "/id", path: "payload.id" });
  });

  test("pointers escape / and ~ (RFC 6901) and keep what a URI fragment would encode", () => {
    const schema = { additionalProperties: { type: "string" } };
    for (const key of ["a/b", "a~b", "a b", "#x", "%23", "é", "?&="]) {
      const [problem] = check(schema, { [key]: 1 });
      const escaped = key.replaceAll("~", "~0").replaceAll("/", "~1");
      expect(problem, key).toMatchObject({ pointer: `/${escaped}`, path: `payload.${key}` });
    }
  });

  test("a failed anyOf is reported as itself, not as its branches", () => {
    const problems = check({ properties: { n: { anyOf: [{ type: "string" }, { type: "integer" }] } } }, { n: 1.5 });
    expect(problems).toEqual([
      { path: "payload.n", pointer: "/n", message: expect.stringContaining("subschemas") },
    ]);
  });

  test("a huge enum's failure is reported briefly", () => {
    const values = Array.from({ length: 5_000 }, (_, i) => i);
    const [problem] = check({ enum: values }, -1);
    expect(problem!.message.length).toBeLessThanOrEqual(201);
  });

  test("a property name that is not well-formed Unicode is a problem, not a crash", () => {
    const payload = JSON.parse('{"\\ud800": 1}');
    expect(check({ additionalProperties: { type: "string" } }, payload)).toEqual([
      { path: "payload", pointer: "", message: expect.stringContaining("Unicode") },
    ]);
  });
});

describe("what a schema may be", () => {
  test("any JSON Schema 2020-12 document, boolean ones included", () => {
    for (const schema of [true, false, {}, ORDER, { $schema: "https://json-schema.org/draft/2020-12/schema", type: "string" }]) {
      expect(refusal(schema), JSON.stringify(schema)).toEqual([]);
    }
  });

  test("not a schema: the part that is wrong is named", () => {
    expect(refusal({ type: "strnig" })[0]).toMatchObject({ path: "schema.type", pointer: "/type" });
    expect(refusal({ properties: { a: { minimum: "1" } } })[0]).toMatchObject({
      path: "schema.properties.a.minimum",
      pointer: "/properties/a/minimum",
    });
    expect(refusal({ required: "id" })[0]!.path).toBe("schema.required");
    expect(refusal(5)[0]!.path).toBe("schema");
    expect(refusal({ pattern: "[" })[0]!.path).toBe("schema.pattern");
  });

  test("another dialect is refused rather than misread", () => {
    expect(refusal({ $schema: "http://json-schema.org/draft-07/schema#" })[0]!.path).toBe("schema.$schema");
  });

  test("references resolve inside the schema; $dynamicRef and $recursiveRef are refused", () => {
    expect(refusal({ $ref: "#/$defs/missing" })[0]!.path).toBe("schema.$ref");
    expect(refusal({ $ref: "https://example.com/schema.json" })[0]!.path).toBe("schema.$ref");
    expect(refusal({ properties: { a: { $dynamicRef: "#meta" } } })[0]!.path).toBe("schema.properties.a.$dynamicRef");
    expect(refusal({ $recursiveRef: "#" })[0]!.path).toBe("schema.$recursiveRef");
    expect(refusal({ $defs: { a: { type: "string" } }, $ref: "#/$defs/a" })).toEqual([]);
  });

  test("too large or too deep is refused before anything else reads it", () => {
    const huge = { enum: Array.from({ length: 20_000 }, (_, i) => `value-${i}`) };
    expect(refusal(huge)).toEqual([
      { path: "schema", pointer: "", message: `must be at most ${SCHEMA_MAX_BYTES} bytes of JSON` },
    ]);
    // Written as text: JSON.stringify itself overflows Node's stack at this depth.
    const deep = `${'{"items":'.repeat(5_000)}{"type":"string"}${"}".repeat(5_000)}`;
    expect(compileSchema(deep)).toEqual([
      { path: "schema", pointer: "", message: `must nest at most ${SCHEMA_MAX_DEPTH} levels deep` },
    ]);
  });
});

describe("hostile schemas neither hang nor crash", () => {
  test("a $ref loop that never moves into the payload is refused", () => {
    for (const schema of [
      { $ref: "#" },
      { allOf: [{ $ref: "#" }] },
      { $defs: { a: { $ref: "#/$defs/b" }, b: { anyOf: [{ $ref: "#/$defs/a" }] } }, $ref: "#/$defs/a" },
      { $defs: { a: { not: { $ref: "#/$defs/a" } } }, properties: { x: { $ref: "#/$defs/a" } } },
      { dependentSchemas: { a: { $ref: "#" } } },
      { if: { $ref: "#" } },
    ]) {
      expect(refusal(schema)[0], JSON.stringify(schema)).toMatchObject({
        message: expect.stringContaining("never finish"),
      });
    }
  });

  test("a recursive schema that moves into the payload is a schema like any other", () => {
    const tree = { type: "object", properties: { children: { type: "array", items: { $ref: "#" } } } };
    expect(check(tree, { children: [{ children: [] }, { children: [{ children: "x" }] }] })).toEqual([
      { path: "payload.children.1.children.0.children", pointer: "/children/1/children/0/children", message: expect.any(String) },
    ]);
  });

  test("a recursive schema that branches runs out of steps instead of taking exponential time", () => {
    const branching = { anyOf: [{ items: { $ref: "#" } }, { items: { $ref: "#" } }, false] };
    let payload: unknown = 1;
    for (let i = 0; i < 40; i++) payload = [payload];
    expect(check(branching, payload)).toEqual([
      { path: "payload", pointer: "", message: `takes more than ${VALIDATION_STEPS} steps to check against the event type's schema` },
    ]);
  });

  test("a payload too deep for the validator's recursion is refused", () => {
    const nested = { type: ["array", "integer"], items: { $ref: "#" } };
    const payload = JSON.parse(`${"[".repeat(100_000)}1${"]".repeat(100_000)}`);
    expect(check(nested, payload)).toEqual([
      { path: "payload", pointer: "", message: expect.stringMatching(/nested too deeply|steps/) },
    ]);
  });

  test("a huge enum costs steps by its size: many values against it run out, one is quick", () => {
    const schema = { items: { enum: Array.from({ length: 8_000 }, (_, i) => i) } };
    expect(check(schema, [1, 2, 3])).toEqual([]);
    // Every value matches, at the far end of the enum: each comparison runs through it.
    expect(check(schema, Array.from({ length: 10_000 }, () => 7_999))[0]!.message).toContain("steps");
  });

  test("catastrophic patterns match in linear time", () => {
    const evil = "a".repeat(50_000) + "!";
    for (const schema of [
      { pattern: "^(a+)+$" },
      { pattern: "^(a|a)*$" },
      { pattern: "^(\\w+\\s?)*$" },
      { pattern: "a*a*a*a*a*a*b" },
    ]) {
      expect(check(schema, evil), schema.pattern).toEqual([
        { path: "payload", pointer: "", message: "String does not match pattern." },
      ]);
    }
    const properties = { patternProperties: { "^(a+)+$": { type: "integer" } }, additionalProperties: false };
    expect(check(properties, { [evil]: 1 }).length).toBeGreaterThan(0);
    expect(check(properties, { aaa: 1 })).toEqual([]);
  });

  test("patterns a linear-time engine cannot match are refused when written", () => {
    expect(refusal({ pattern: "^(?=a)a$" })[0]!.path).toBe("schema.pattern");
    expect(refusal({ pattern: "^(a)\\1$" })[0]!.path).toBe("schema.pattern");
    expect(refusal({ patternProperties: { "(?<!x)y": true } })[0]!.path).toBe("schema.patternProperties");
  });

  test("format checks that backtrack are replaced: url answers at once", () => {
    const schema = { format: "url" };
    // The library's own regex takes longer than this test's timeout on this one.
    expect(check(schema, `http://${"a".repeat(40)}!`)).toEqual([]);
    expect(check(schema, "https://example.com/x")).toEqual([]);
    expect(check(schema, "example.com")).toHaveLength(1);
  });

  test("the global RegExp is the built-in one again after a check", () => {
    check({ pattern: "^a$" }, "b");
    expect(new RegExp("^(?=a)a$").test("a")).toBe(true);
  });
});
