/**
 * @module Event type schemas (JSON Schema 2020-12): judged once when written,
 * compiled once per isolate, applied to each payload published under the
 * type. The validator is @cfworker/json-schema, which interprets schemas:
 * Workers refuse code generation (`new Function`, `eval`), which Ajv and
 * its kin need. Pure: no I/O.
 *
 * A schema is the operator's, a payload the publisher's; neither may hang an
 * isolate or cause a 500. What bounds the work:
 * - a schema is at most SCHEMA_MAX_BYTES of JSON and SCHEMA_MAX_DEPTH deep;
 * - every `$ref` resolves inside the schema (nothing is fetched), and no
 *   `$ref` (or `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`,
 *   `dependentSchemas`) leads back to itself without moving into the
 *   payload: such a loop never ends;
 * - patterns match in linear time (src/catalog/linear-regexp.ts);
 * - a payload is checked in at most VALIDATION_STEPS steps: a step is one
 *   subschema applied to one value, plus one per KiB of its `enum` and
 *   `const` (about what comparing against them costs). Recursive schemas that branch (`anyOf` of two `$ref`s to the
 *   root, say) would otherwise take time exponential in the payload's depth;
 * - a payload nested too deeply for the validator's recursion is refused.
 */
import { dereference, format, type OutputUnit, type Schema, Validator, validate } from "@cfworker/json-schema";
import type { RE2JS } from "re2js";
import type { FieldError } from "../lib/errors";
import { compileLinear, withLinearRegExp } from "./linear-regexp";
import { META_SCHEMA } from "./meta-schema";

/** At most this many bytes of JSON text (UTF-8). */
export const SCHEMA_MAX_BYTES = 65_536;
/** At most this deep: the schema is depth 1, each object or array inside it one more. */
export const SCHEMA_MAX_DEPTH = 64;
/** At most this many steps to check one payload. */
export const VALIDATION_STEPS = 100_000;
/** At most this many problems are reported for one document. */
const MAX_REPORTED = 10;
/** The `$schema` values accepted: 2020-12, or none (which means 2020-12 here). */
const DIALECTS = new Set([
  "https://json-schema.org/draft/2020-12/schema",
  "https://json-schema.org/draft/2020-12/schema#",
]);

// cfworker's `url` format (not a 2020-12 format, an extension of its own) is
// a regex that backtracks exponentially ("http://" and 28 letters and "!"
// take a second); WHATWG's parser says the same thing in linear time.
format.url = (text: string) => {
  try {
    return ["http:", "https:", "ftp:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
};

/** A schema ready to apply: the validator's lookup of its subschemas, and its patterns compiled. */
export type CompiledSchema = {
  root: Schema | boolean;
  lookup: Record<string, Schema | boolean>;
  patterns: ReadonlyMap<string, RE2JS>;
};

const metaValidator = new Validator(META_SCHEMA, "2020-12", true);

/**
 * A schema's JSON text compiled, or the problems that keep it from being
 * one, each naming the part under `schema`. Compiling works on its own
 * parse of the text: the validator marks the objects it is given.
 */
export function compileSchema(text: string): CompiledSchema | FieldError[] {
  if (new TextEncoder().encode(text).byteLength > SCHEMA_MAX_BYTES) {
    return [problem("", `must be at most ${SCHEMA_MAX_BYTES} bytes of JSON`)];
  }
  const root = JSON.parse(text) as Schema | boolean;
  if (depthOf(root) > SCHEMA_MAX_DEPTH) {
    return [problem("", `must nest at most ${SCHEMA_MAX_DEPTH} levels deep`)];
  }
  const meta = metaValidator.validate(root);
  if (!meta.valid) {
    return reported(meta.errors).map((e) =>
      problem(pointerOf(e.instanceLocation), `not a valid JSON Schema 2020-12: ${e.error}`),
    );
  }
  if (typeof root === "boolean") return { root, lookup: dereference(root), patterns: new Map() };
  if (root.$schema !== undefined && !DIALECTS.has(root.$schema)) {
    return [problem("/$schema", "only JSON Schema 2020-12 is supported")];
  }
  let lookup: Record<string, Schema | boolean>;
  try {
    lookup = dereference(root);
  } catch (error) {
    // A duplicate or malformed `$id`: the message names the URI, which is the schema's own text.
    return [problem("", (error as Error).message.slice(0, 300))];
  }
  const nodes = subschemas(lookup);
  const problems = [...nodes.flatMap((node) => nodeProblems(node, lookup)), ...loopProblems(nodes, lookup)];
  if (problems.length > 0) return problems.slice(0, MAX_REPORTED);
  const patterns = new Map<string, RE2JS>();
  for (const node of nodes) {
    for (const source of patternsOf(node)) patterns.set(source, compileLinear(source) as RE2JS);
    meter(node);
  }
  return { root, lookup, patterns };
}

/**
 * A document's problems against the schema, each with a pointer into the
 * document; `field` names it in the paths (a published `payload`, an event
 * type's `example`).
 */
export function payloadProblems(
  compiled: CompiledSchema,
  payload: unknown,
  field: "payload" | "example" = "payload",
): FieldError[] {
  stepsLeft = VALIDATION_STEPS;
  let errors: OutputUnit[];
  try {
    errors = withLinearRegExp(compiled.patterns, () =>
      validate(payload, compiled.root, "2020-12", compiled.lookup, true).errors,
    );
  } catch (error) {
    if (error instanceof StepsExhausted) {
      return [{ path: field, pointer: "", message: `takes more than ${VALIDATION_STEPS} steps to check against the event type's schema` }];
    }
    // The validator recurses once per level of the payload (RangeError), and
    // names each property in a URI (URIError on a lone surrogate).
    if (error instanceof RangeError) {
      return [{ path: field, pointer: "", message: "is nested too deeply to check against the event type's schema" }];
    }
    if (error instanceof URIError) {
      return [{ path: field, pointer: "", message: "has a property name that is not well-formed Unicode" }];
    }
    throw error;
  }
  return reported(errors).map((e) => {
    const pointer = pointerOf(e.instanceLocation);
    return { path: dotted(field, pointer), pointer, message: briefly(e.error) };
  });
}

// ---------- judging a schema ----------

function problem(pointer: string, message: string): FieldError {
  return { path: dotted("schema", pointer), pointer, message };
}

/** How deep a JSON value nests, without recursion (the schema may be deep; the stack is not). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > SCHEMA_MAX_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Every object subschema once: the validator's lookup names each, some twice (`$anchor`). */
function subschemas(lookup: Record<string, Schema | boolean>): Schema[] {
  const nodes = new Set<Schema>();
  for (const node of Object.values(lookup)) if (typeof node === "object") nodes.add(node);
  return [...nodes];
}

/** Where a subschema is, as a JSON Pointer into its schema document (or `$id` resource). */
function locationOf(node: Schema): string {
  const uri = node.__absolute_uri__ ?? "";
  const hash = uri.indexOf("#");
  return hash < 0 ? "" : pointerOf(uri.slice(hash));
}

function patternsOf(node: Schema): string[] {
  const patterns = typeof node.pattern === "string" ? [node.pattern] : [];
  return [...patterns, ...Object.keys(node.patternProperties ?? {})];
}

function nodeProblems(node: Schema, lookup: Record<string, Schema | boolean>): FieldError[] {
  const at = locationOf(node);
  const problems: FieldError[] = [];
  for (const keyword of ["$dynamicRef", "$recursiveRef"]) {
    if (node[keyword] !== undefined) {
      problems.push(problem(`${at}/${keyword}`, "is not supported: use $ref"));
    }
  }
  if (node.$ref !== undefined && lookup[node.__absolute_ref__ ?? node.$ref] === undefined) {
    problems.push(problem(`${at}/$ref`, "does not resolve within the schema (nothing is fetched)"));
  }
  for (const source of patternsOf(node)) {
    const compiled = compileLinear(source);
    if (typeof compiled === "string") {
      const where = source === node.pattern ? `${at}/pattern` : `${at}/patternProperties`;
      problems.push(problem(where, `${JSON.stringify(source)} cannot be matched in linear time (no lookaround or backreferences): ${briefly(compiled)}`));
    }
  }
  return problems;
}

/** The subschemas applied to the same value as `node`: a loop through these never ends. */
function inPlace(node: Schema, lookup: Record<string, Schema | boolean>): unknown[] {
  const next: unknown[] = [node.not, node.if, node.then, node.else];
  if (node.$ref !== undefined) next.push(lookup[node.__absolute_ref__ ?? node.$ref]);
  for (const keyword of ["allOf", "anyOf", "oneOf"] as const) next.push(...(node[keyword] ?? []));
  for (const keyword of ["dependentSchemas", "dependencies"] as const) {
    next.push(...Object.values((node[keyword] ?? {}) as Record<string, unknown>));
  }
  return next.filter((n) => typeof n === "object" && n !== null && !Array.isArray(n));
}

/** A loop of subschemas applied in place, reported where it closes. */
function loopProblems(nodes: Schema[], lookup: Record<string, Schema | boolean>): FieldError[] {
  const state = new Map<Schema, "open" | "done">();
  for (const start of nodes) {
    if (state.has(start)) continue;
    // Depth-first without recursion: each frame is a node and what is left of its successors.
    const stack: { node: Schema; next: Schema[] }[] = [{ node: start, next: inPlace(start, lookup) as Schema[] }];
    state.set(start, "open");
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const child = top.next.pop();
      if (child === undefined) {
        state.set(top.node, "done");
        stack.pop();
      } else if (state.get(child) === "open") {
        return [problem(locationOf(top.node), "leads back to itself without moving into the payload (via $ref or a combinator): it would never finish")];
      } else if (!state.has(child)) {
        state.set(child, "open");
        stack.push({ node: child, next: inPlace(child, lookup) as Schema[] });
      }
    }
  }
  return [];
}

// ---------- applying a schema ----------

class StepsExhausted extends Error {}

/** Steps left for the payload being checked; validation is synchronous, so one counter serves. */
let stepsLeft = 0;

/**
 * Counts a step each time the validator applies `node`. The validator has no
 * hook for it, but reads `$ref` first on every application of a subschema,
 * so that read becomes a getter. What `enum` and `const` make it compare
 * costs steps too.
 */
function meter(node: Schema): void {
  const ref = node.$ref;
  const comparing = JSON.stringify([node.enum ?? null, node.const ?? null]).length;
  const cost = 1 + Math.floor(comparing / 1024);
  Object.defineProperty(node, "$ref", {
    configurable: true,
    enumerable: false,
    get() {
      stepsLeft -= cost;
      if (stepsLeft < 0) throw new StepsExhausted();
      return ref;
    },
  });
}

// ---------- reporting ----------

const COMBINATORS = new Set(["anyOf", "oneOf", "not"]);

/**
 * The errors worth reporting: the validator reports each failing subschema
 * and, above it, each keyword that led there. Keep the deepest, except that
 * a failed `anyOf`, `oneOf` or `not` is reported as itself, not as the
 * failures of its branches.
 */
function reported(errors: OutputUnit[]): OutputUnit[] {
  const under = (e: OutputUnit, above: OutputUnit) => e.keywordLocation.startsWith(`${above.keywordLocation}/`);
  return errors
    .filter((e) => COMBINATORS.has(e.keyword) || !errors.some((o) => under(o, e)))
    .filter((e) => !errors.some((o) => COMBINATORS.has(o.keyword) && under(e, o)))
    .slice(0, MAX_REPORTED);
}

/**
 * The validator's `#/a%20b/0` as the JSON Pointer `/a b/0`: it writes
 * pointers as URI fragments (encodeURI, then `#` as `%23`).
 */
function pointerOf(fragment: string): string {
  return decodeURI(fragment.replace(/^#/, "").replaceAll("%23", "#"));
}

/** `payload` and `/items/0/sku` as `payload.items.0.sku`, the dotted path every 422 uses. */
function dotted(field: string, pointer: string): string {
  if (pointer === "") return field;
  const segments = pointer.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  return [field, ...segments].join(".");
}

/** A validator message, cut short: `enum` failures quote the whole enum. */
function briefly(message: string): string {
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
