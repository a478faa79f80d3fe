/** Payload filters (SPEC §7.5): each operator, nesting, missing paths, type mismatches, limits. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  FILTER_MAX_CONDITIONS,
  type Filter,
  filterProblems,
  matchesFilter,
} from "../../../src/delivery/filter";

const subject = {
  event_type: "order.paid",
  payload: {
    amount: 1500,
    currency: "NGN",
    customer: { id: "c_1", vip: true, note: null },
    items: [
      { sku: "A-1", qty: 2 },
      { sku: "B-2", qty: 1 },
    ],
    tags: ["new", "web"],
    code: "0042",
  },
};

const CASES: [string, Filter, boolean][] = [
  ["event type literal", { event_type: "order.paid" }, true],
  ["event type literal, other", { event_type: "order.refunded" }, false],
  ["number literal", { "payload.amount": 1500 }, true],
  ["string literal vs number", { "payload.amount": "1500" }, false],
  ["null literal matches null", { "payload.customer.note": null }, true],
  ["null literal does not match a missing path", { "payload.customer.missing": null }, false],
  ["object literal: deep equality, any key order", { "payload.items.0": { qty: 2, sku: "A-1" } }, true],
  ["object literal: an extra key is not equal", { "payload.items.0": { sku: "A-1" } }, false],
  ["array literal: whole array, in order", { "payload.tags": ["new", "web"] }, true],
  ["array literal: order matters", { "payload.tags": ["web", "new"] }, false],
  ["no implicit walk into arrays", { "payload.tags": "new" }, false],
  ["array index", { "payload.items.1.sku": "B-2" }, true],
  ["array index past the end", { "payload.items.5.sku": { $exists: true } }, false],
  ["non-numeric segment on an array", { "payload.items.first": { $exists: true } }, false],
  ["leading-zero index is not an index", { "payload.items.01.sku": { $exists: true } }, false],
  ["path through a scalar", { "payload.amount.value": { $exists: true } }, false],
  ["prototype keys are not paths", { "payload.constructor": { $exists: true } }, false],
  ["$eq", { "payload.currency": { $eq: "NGN" } }, true],
  ["$eq with an object operand", { "payload.customer": { $eq: { id: "c_1", vip: true, note: null } } }, true],
  ["$eq missing", { "payload.nope": { $eq: null } }, false],
  ["$ne", { "payload.currency": { $ne: "USD" } }, true],
  ["$ne equal", { "payload.currency": { $ne: "NGN" } }, false],
  ["$ne missing matches", { "payload.nope": { $ne: 1 } }, true],
  ["$in", { "payload.currency": { $in: ["USD", "NGN"] } }, true],
  ["$in absent", { "payload.currency": { $in: ["USD", "EUR"] } }, false],
  ["$in empty", { "payload.currency": { $in: [] } }, false],
  ["$in missing", { "payload.nope": { $in: [null] } }, false],
  ["$nin", { "payload.currency": { $nin: ["USD"] } }, true],
  ["$nin present", { "payload.currency": { $nin: ["NGN"] } }, false],
  ["$nin missing matches", { "payload.nope": { $nin: [1] } }, true],
  ["$gt", { "payload.amount": { $gt: 1000 } }, true],
  ["$gt equal", { "payload.amount": { $gt: 1500 } }, false],
  ["$gte equal", { "payload.amount": { $gte: 1500 } }, true],
  ["$lt", { "payload.amount": { $lt: 1500 } }, false],
  ["$lte equal", { "payload.amount": { $lte: 1500 } }, true],
  ["range", { "payload.amount": { $gt: 1000, $lt: 2000 } }, true],
  ["range, one side fails", { "payload.amount": { $gt: 1000, $lt: 1200 } }, false],
  ["strings compared as strings", { "payload.code": { $gt: "0041" } }, true],
  ["string vs number operand: no match", { "payload.code": { $gt: 10 } }, false],
  ["number vs string operand: no match", { "payload.amount": { $lt: "9" } }, false],
  ["boolean under $gt: no match", { "payload.customer.vip": { $gt: 0 } }, false],
  ["$gt on a missing path", { "payload.nope": { $gt: 0 } }, false],
  ["$lte on a missing path", { "payload.nope": { $lte: 0 } }, false],
  ["$exists true", { "payload.customer.note": { $exists: true } }, true],
  ["$exists false on null", { "payload.customer.note": { $exists: false } }, false],
  ["$exists false on missing", { "payload.customer.nope": { $exists: false } }, true],
  ["several keys: all must match", { event_type: "order.paid", "payload.currency": "USD" }, false],
  ["$and", { $and: [{ "payload.amount": { $gte: 1000 } }, { "payload.currency": "NGN" }] }, true],
  ["$and, one fails", { $and: [{ "payload.amount": { $gte: 1000 } }, { "payload.currency": "USD" }] }, false],
  ["$or", { $or: [{ "payload.currency": "USD" }, { "payload.customer.vip": true }] }, true],
  ["$or, none", { $or: [{ "payload.currency": "USD" }, { "payload.customer.vip": false }] }, false],
  ["$not", { $not: { "payload.currency": "USD" } }, true],
  ["$not of a match", { $not: { "payload.currency": "NGN" } }, false],
  [
    "nested combinators",
    {
      event_type: { $in: ["order.paid", "order.created"] },
      $or: [
        { $and: [{ "payload.amount": { $gt: 10_000 } }] },
        { $not: { $or: [{ "payload.items.0.qty": { $lt: 2 } }, { "payload.customer.vip": false }] } },
      ],
    },
    true,
  ],
  ["empty filter matches everything", {}, true],
  ["empty object literal is a literal", { "payload.customer": {} }, false],
  ["payload root", { payload: { $exists: true } }, true],
];

describe("matchesFilter", () => {
  test.each(CASES)("%s", (_name, filter, expected) => {
    expect(filterProblems(filter)).toEqual([]);
    expect(matchesFilter(filter, subject)).toBe(expected);
  });

  test("a payload that is not an object: paths into it are missing", () => {
    expect(matchesFilter({ "payload.a": { $exists: false } }, { event_type: "x", payload: [1] })).toBe(true);
    expect(matchesFilter({ "payload.0": 7 }, { event_type: "x", payload: [7] })).toBe(true);
    expect(matchesFilter({ payload: "text" }, { event_type: "x", payload: "text" })).toBe(true);
  });
});

describe("filterProblems", () => {
  const PROBLEMS: [string, unknown, string][] = [
    ["not an object", [1], ""],
    ["a string", "payload.a", ""],
    ["a path outside event_type and payload", { "data.a": 1 }, "data.a"],
    ["an empty segment", { "payload..a": 1 }, "payload..a"],
    ["an unknown combinator", { $nor: [] }, "$nor"],
    ["$and not an array", { $and: { "payload.a": 1 } }, "$and"],
    ["$or empty", { $or: [] }, "$or"],
    ["$or item not an object", { $or: [{ "payload.a": 1 }, 3] }, "$or.1"],
    ["$not an array", { $not: [{ "payload.a": 1 }] }, "$not"],
    ["unknown operator", { "payload.a": { $regex: "x" } }, "payload.a.$regex"],
    ["operators mixed with fields", { "payload.a": { $gt: 1, b: 2 } }, "payload.a"],
    ["$in not an array", { "payload.a": { $in: "x" } }, "payload.a.$in"],
    ["$nin not an array", { "payload.a": { $nin: 1 } }, "payload.a.$nin"],
    ["$gt a boolean", { "payload.a": { $gt: true } }, "payload.a.$gt"],
    ["$lte null", { "payload.a": { $lte: null } }, "payload.a.$lte"],
    ["$exists a string", { "payload.a": { $exists: "yes" } }, "payload.a.$exists"],
    ["nested problem", { $or: [{ $not: { "payload.a": { $gte: [] } } }] }, "$or.0.$not.payload.a.$gte"],
    ["too deep", { "payload.a": [[[[[[[[1]]]]]]]] }, ""],
    ["too big", { "payload.a": "x".repeat(4096) }, ""],
    [
      "too many conditions",
      Object.fromEntries(Array.from({ length: FILTER_MAX_CONDITIONS + 1 }, (_, i) => [`payload.f${i}`, i])),
      "",
    ],
  ];

  test.each(PROBLEMS)("%s is refused at its path", (_name, filter, path) => {
    const problems = filterProblems(filter);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.path)).toContain(path);
  });

  test("the limits themselves are allowed", () => {
    const conditions = Object.fromEntries(
      Array.from({ length: FILTER_MAX_CONDITIONS }, (_, i) => [`payload.f${i}`, i]),
    );
    expect(filterProblems(conditions)).toEqual([]);
    // Depth 8: the filter object, then seven more levels.
    expect(filterProblems({ "payload.a": [[[[[[1]]]]]] })).toEqual([]);
    expect(filterProblems({ $or: [{ $and: [{ "payload.a": { $in: [[1]] } }] }] })).toEqual([]);
  });
});

describe("hostile filters", () => {
  const subjects = fc.record({ event_type: fc.string(), payload: fc.jsonValue() });

  /** Filters shaped like real ones, so that evaluation gets deep, and anything JSON at all. */
  const { filter: shaped } = fc.letrec<{ filter: Record<string, unknown>; condition: unknown }>((tie) => ({
    filter: fc.dictionary(
      fc.oneof(
        fc.constantFrom("$and", "$or", "$not", "$nor", "event_type", "payload", "payload.a", "payload.a.0", "payload.__proto__", "payload.constructor"),
        fc.string(),
      ),
      fc.oneof(
        { depthSize: "small" },
        tie("condition"),
        fc.array(tie("filter"), { maxLength: 3 }),
        tie("filter"),
      ),
      { maxKeys: 4 },
    ),
    condition: fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(
        fc.constantFrom("$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$x"),
        fc.jsonValue({ maxDepth: 2 }),
        { minKeys: 1, maxKeys: 3 },
      ),
    ),
  }));

  test("checking never throws; a filter it accepts evaluates without throwing", () => {
    fc.assert(
      fc.property(fc.oneof(shaped, fc.jsonValue()), subjects, (filter, s) => {
        const problems = filterProblems(filter);
        if (problems.length === 0) expect(typeof matchesFilter(filter as Filter, s)).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
  });

  test("evaluation is total even for filters the check would refuse", () => {
    fc.assert(
      fc.property(shaped, subjects, (filter, s) => {
        expect(typeof matchesFilter(filter, s)).toBe("boolean");
      }),
      { numRuns: 1000 },
    );
  });

  test("a very deep filter or payload neither overflows nor hangs", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(filterProblems({ "payload.a": deep })[0]?.message).toMatch(/levels deep/);
    expect(filterProblems(deep)[0]?.path).toBe("");
    // A literal compared with a deep payload: recursion follows the literal.
    expect(matchesFilter({ "payload.a": [[[1]]] }, { event_type: "x", payload: { a: deep } })).toBe(false);
  });
});
