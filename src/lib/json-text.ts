/**
 * @module JSON source text, kept exact. JSON.parse and JSON.stringify change
 * what they pass through: 12345678901234567890123 becomes
 * 1.2345678901234568e+22, 1e400 becomes null, -0 becomes 0. A published
 * payload must reach the receiver byte for byte (SPEC §5), so the relay
 * takes the payload's own text out of the request body instead of
 * re-serialising the parsed value. Pure: no I/O, no Workers APIs.
 */

/** A JSON value carried as its exact source text. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** The text to store for a value: its source text when known, else JSON.stringify's. */
export function jsonTextOf(value: unknown): string {
  return value instanceof JsonText ? value.text : JSON.stringify(value);
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && WHITESPACE.has(text[at]!)) at += 1;
  return at;
}

/** The index just past the string literal that opens at `at` (a `"`). */
function skipString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i += 1) {
    const c = text[i];
    if (c === "\\") i += 1; // the escaped character, whatever it is, is not the end
    else if (c === '"') return i + 1;
  }
  throw new SyntaxError("unterminated string");
}

/** The index just past the JSON value that starts at `at`. */
function skipValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return skipString(text, at);
  if (first === "{" || first === "[") {
    // Brackets nest; strings are skipped whole, so a "}" inside one is not counted.
    let depth = 0;
    for (let i = at; i < text.length; i += 1) {
      const c = text[i];
      if (c === '"') {
        i = skipString(text, i) - 1;
      } else if (c === "{" || c === "[") {
        depth += 1;
      } else if (c === "}" || c === "]") {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
    }
    throw new SyntaxError("unterminated structure");
  }
  // A number or true, false, null: it runs up to the next delimiter.
  let i = at;
  while (i < text.length && !WHITESPACE.has(text[i]!) && !",}]".includes(text[i]!)) i += 1;
  if (i === at) throw new SyntaxError(`no value at ${at}`);
  return i;
}

/**
 * The exact source text of member `name` of the JSON object `text`, or
 * undefined when the object has no such member. `text` must be valid JSON
 * (the body middleware has parsed it already). Keys are compared decoded, so
 * `"p\u0061yload"` is `payload`; when a key repeats, the last one wins, as
 * in JSON.parse.
 *
 * @example
 * memberText('{"payload": {"amount": 1e400} }', "payload") // '{"amount": 1e400}'
 */
export function memberText(text: string, name: string): string | undefined {
  let at = skipWhitespace(text, 0);
  if (text[at] !== "{") return undefined;
  at = skipWhitespace(text, at + 1);
  let found: string | undefined;
  while (at < text.length && text[at] !== "}") {
    const keyEnd = skipString(text, at);
    const key = JSON.parse(text.slice(at, keyEnd)) as string;
    at = skipWhitespace(text, keyEnd);
    if (text[at] !== ":") throw new SyntaxError(`expected ":" at ${at}`);
    const start = skipWhitespace(text, at + 1);
    const end = skipValue(text, start);
    if (key === name) found = text.slice(start, end);
    at = skipWhitespace(text, end);
    if (text[at] === ",") at = skipWhitespace(text, at + 1);
  }
  return found;
}

/**
 * The exact source text of each element of the JSON array `text` (valid
 * JSON), in order; an empty list when `text` is not an array.
 *
 * @example
 * elementTexts('[{"a": 1e400}, 2]') // ['{"a": 1e400}', "2"]
 */
export function elementTexts(text: string): string[] {
  let at = skipWhitespace(text, 0);
  if (text[at] !== "[") return [];
  at = skipWhitespace(text, at + 1);
  const elements: string[] = [];
  while (at < text.length && text[at] !== "]") {
    const end = skipValue(text, at);
    elements.push(text.slice(at, end));
    at = skipWhitespace(text, end);
    if (text[at] === ",") at = skipWhitespace(text, at + 1);
  }
  return elements;
}

/**
 * How deeply the JSON text `text` (valid JSON) nests: 0 for a scalar, 1 for
 * `[]` or `{"a": 1}`, and so on. Counted over the text, without recursion, so
 * that any depth is measured safely.
 *
 * @example
 * nestingDepth('{"a": [1, {"b": "]"}]}') // 3
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') i = skipString(text, i) - 1;
    else if (c === "{" || c === "[") deepest = Math.max(deepest, ++depth);
    else if (c === "}" || c === "]") depth -= 1;
  }
  return deepest;
}

type RawJson = (text: string) => unknown;
type SourceContext = { source?: string } | undefined;

/**
 * JSON.parse, except that a number whose text JavaScript would change
 * (beyond 2^53, beyond double range, -0, a long fraction) comes back as
 * `JSON.rawJSON(text)`, which JSON.stringify writes out as that text again.
 * Where the runtime lacks source text access it is plain JSON.parse.
 */
export function parseKeepingNumbers(text: string): unknown {
  const rawJson = (JSON as unknown as { rawJSON?: RawJson }).rawJSON;
  if (!rawJson) return JSON.parse(text);
  const reviver = (_key: string, value: unknown, context?: SourceContext) =>
    typeof value === "number" &&
    context?.source !== undefined &&
    JSON.stringify(value) !== context.source
      ? rawJson(context.source)
      : value;
  return JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown);
}
