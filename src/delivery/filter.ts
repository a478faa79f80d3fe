/**
 * @module Payload filters (SPEC §7.5): which messages a webhook wants,
 * besides its event types. A filter is a JSON object; its keys are dotted
 * paths into `{"event_type": …, "payload": …}` (array elements by index) or
 * the combinators `$and`, `$or` (arrays of filters) and `$not` (one filter).
 * A path's value is a literal, compared by deep equality, or an object of
 * operators (`$eq $ne $in $nin $gt $gte $lt $lte $exists`). Pure: checked
 * once when a webhook is written (`filterProblems`), evaluated at fan-out
 * (`matchesFilter`) against a payload parsed once per message.
 *
 * A missing path matches only `$ne`, `$nin` and `$exists: false`. Ordering
 * operators compare numbers with numbers and strings with strings (UTF-16
 * code units); any other pairing does not match. There is no implicit walk
 * into arrays: `{"payload.tags": "a"}` compares the whole value.
 */
import type { FieldError } from "../lib/errors";

/** A filter as stored: a JSON object, checked by `filterProblems`. */
export type Filter = Record<string, unknown>;

/** At most this many bytes of JSON (UTF-8). */
export const FILTER_MAX_BYTES = 4096;
/** At most this deep: the filter object is depth 1, each object or array inside it one more. */
export const FILTER_MAX_DEPTH = 8;
/** At most this many conditions: each literal and each operator on a path counts one. */
export const FILTER_MAX_CONDITIONS = 64;

const ROOTS = new Set(["event_type", "payload"]);
const COMPARISONS = new Set(["$gt", "$gte", "$lt", "$lte"]);
const OPERATORS = new Set(["$eq", "$ne", "$in", "$nin", "$exists", ...COMPARISONS]);

/** The document a filter looks into. */
export type FilterSubject = { event_type: string; payload: unknown };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An object whose keys all start with `$` is a set of operators, not a literal. */
function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith("$"));
}

/** JSON nesting depth of a value: a scalar is 0, `{}` and `[]` are 1. */
function depthOf(value: unknown, limit: number): number {
  if (typeof value !== "object" || value === null) return 0;
  // Past the limit the exact depth does not matter; stop walking.
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, limit - 1));
  return 1 + deepest;
}

/**
 * What is wrong with a filter, each problem at the path (within the filter;
 * "" for the whole) of the offending part; empty when it is valid. Never
 * throws, whatever the value (any JSON a client can send).
 *
 * @example
 * filterProblems({ "payload.amount": { $gt: true } })
 * // [{ path: "payload.amount.$gt", message: "$gt takes a number or a string" }]
 */
export function filterProblems(filter: unknown): FieldError[] {
  if (!isObject(filter)) return [{ path: "", message: "filter must be a JSON object or null" }];
  // Depth first: it bounds every walk after it (JSON.stringify included).
  if (depthOf(filter, FILTER_MAX_DEPTH) > FILTER_MAX_DEPTH)
    return [{ path: "", message: `filter must nest at most ${FILTER_MAX_DEPTH} levels deep` }];
  if (new TextEncoder().encode(JSON.stringify(filter)).length > FILTER_MAX_BYTES)
    return [{ path: "", message: `filter must serialise to at most ${FILTER_MAX_BYTES} bytes` }];
  const problems: FieldError[] = [];
  const conditions = checkClause(filter, "", problems);
  if (problems.length === 0 && conditions > FILTER_MAX_CONDITIONS)
    problems.push({ path: "", message: `filter may hold at most ${FILTER_MAX_CONDITIONS} conditions` });
  return problems;
}

/** `at.key`, or `key` at the top. */
function join(at: string, key: string | number): string {
  return at === "" ? String(key) : `${at}.${key}`;
}

/** Checks one filter object; returns how many conditions it holds. */
function checkClause(clause: Record<string, unknown>, at: string, problems: FieldError[]): number {
  let conditions = 0;
  for (const [key, value] of Object.entries(clause)) {
    const path = join(at, key);
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value) || value.length === 0) {
        problems.push({ path, message: `${key} takes a non-empty array of filter objects` });
        continue;
      }
      value.forEach((item, i) => {
        if (isObject(item)) conditions += checkClause(item, join(path, i), problems);
        else problems.push({ path: join(path, i), message: "must be a filter object" });
      });
    } else if (key === "$not") {
      if (isObject(value)) conditions += checkClause(value, path, problems);
      else problems.push({ path, message: "$not takes one filter object" });
    } else if (key.startsWith("$")) {
      problems.push({ path, message: `unknown combinator ${key}: use $and, $or or $not` });
    } else {
      const pathProblem = checkPath(key);
      if (pathProblem) problems.push({ path, message: pathProblem });
      else conditions += checkCondition(value, path, problems);
    }
  }
  return conditions;
}

function checkPath(key: string): string | null {
  const segments = key.split(".");
  if (!ROOTS.has(segments[0]!))
    return "paths start with event_type or payload (e.g. payload.items.0.sku)";
  if (segments.some((s) => s === "")) return "paths may not have empty segments";
  return null;
}

/** Checks the value of one path: a literal (one condition) or operators (one each). */
function checkCondition(value: unknown, at: string, problems: FieldError[]): number {
  if (!isObject(value) || !Object.keys(value).some((k) => k.startsWith("$"))) return 1;
  if (!isOperatorObject(value)) {
    problems.push({
      path: at,
      message: "mixes operators and fields: use only $ operators, or {\"$eq\": {…}} for a literal object",
    });
    return 0;
  }
  for (const [op, operand] of Object.entries(value)) {
    const path = join(at, op);
    if (!OPERATORS.has(op)) {
      problems.push({ path, message: `unknown operator ${op}` });
    } else if (op === "$in" || op === "$nin") {
      if (!Array.isArray(operand)) problems.push({ path, message: `${op} takes an array of literals` });
    } else if (COMPARISONS.has(op)) {
      if (typeof operand !== "number" && typeof operand !== "string")
        problems.push({ path, message: `${op} takes a number or a string` });
    } else if (op === "$exists") {
      if (typeof operand !== "boolean") problems.push({ path, message: "$exists takes true or false" });
    }
  }
  return Object.keys(value).length;
}

/** The value at a dotted path, or undefined when any step is missing. */
function valueAt(subject: FilterSubject, path: string): unknown {
  let current: unknown = subject;
  for (const segment of path.split(".")) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (isObject(current)) {
      // Own properties only: "constructor" or "__proto__" must not reach the prototype.
      if (!Object.hasOwn(current, segment)) return undefined;
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/**
 * JSON deep equality: objects by their keys regardless of order, arrays
 * element by element. Recursion follows `b`, a filter literal, so it is
 * bounded by the filter's depth however deep the payload is.
 */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(b)) {
    return Array.isArray(a) && a.length === b.length && b.every((item, i) => deepEqual(a[i], item));
  }
  if (isObject(b)) {
    if (!isObject(a)) return false;
    const keys = Object.keys(b);
    return (
      keys.length === Object.keys(a).length &&
      keys.every((k) => Object.hasOwn(a, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

function compare(op: string, actual: unknown, operand: unknown): boolean {
  const comparable =
    (typeof actual === "number" && typeof operand === "number") ||
    (typeof actual === "string" && typeof operand === "string");
  if (!comparable) return false;
  const [a, b] = [actual as number | string, operand as number | string];
  if (op === "$gt") return a > b;
  if (op === "$gte") return a >= b;
  if (op === "$lt") return a < b;
  return a <= b;
}

function matchesOperator(op: string, operand: unknown, actual: unknown): boolean {
  switch (op) {
    case "$eq":
      return actual !== undefined && deepEqual(actual, operand);
    case "$ne":
      return actual === undefined || !deepEqual(actual, operand);
    case "$in":
      return actual !== undefined && Array.isArray(operand) && operand.some((o) => deepEqual(actual, o));
    case "$nin":
      return actual === undefined || (Array.isArray(operand) && !operand.some((o) => deepEqual(actual, o)));
    case "$exists":
      return (actual !== undefined) === (operand === true);
    default:
      return compare(op, actual, operand);
  }
}

/**
 * Whether the subject matches the filter: every key of the object must
 * match. Total: a malformed filter (one that `filterProblems` would refuse)
 * matches nothing rather than throwing.
 */
export function matchesFilter(filter: Filter, subject: FilterSubject): boolean {
  return Object.entries(filter).every(([key, value]) => {
    if (key === "$and")
      return Array.isArray(value) && value.every((f) => isObject(f) && matchesFilter(f, subject));
    if (key === "$or")
      return Array.isArray(value) && value.some((f) => isObject(f) && matchesFilter(f, subject));
    if (key === "$not") return isObject(value) && !matchesFilter(value, subject);
    if (key.startsWith("$")) return false;
    const actual = valueAt(subject, key);
    if (isOperatorObject(value))
      return Object.entries(value).every(([op, operand]) => matchesOperator(op, operand, actual));
    return actual !== undefined && deepEqual(actual, value);
  });
}
