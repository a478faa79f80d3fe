/**
 * @module The webhook form's text fields as the API's values: pure, so that
 * they are unit-tested without a browser (test/unit/dashboard/). A bad entry
 * throws an Error whose message the form shows as it is.
 */
import { type Filter, filterProblems } from "../../src/delivery/filter";

/** Text such as "x-env: live" per line → a headers object; a bad line throws. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`Header line ${index + 1} needs the form “Name: value”.`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** "a.created, b.paid c.done" → ["a.created", "b.paid", "c.done"], without repeats. */
export function parseEventTypes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/**
 * The event types box with `name` added (last) or taken out, as a box of the
 * catalog picker is ticked; what else was typed stays as it was.
 */
export function toggleEventType(text: string, name: string, chosen: boolean): string {
  const types = parseEventTypes(text).filter((type) => type !== name);
  if (chosen) types.push(name);
  return types.join(", ");
}

/** "5, 300, 1800" → [5, 300, 1800]; anything but whole seconds throws. */
export function parseSchedule(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  return parts.map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`Retry schedule: “${part}” is not a whole number of seconds.`);
    return value;
  });
}

/**
 * A box of JSON (a filter, an event type's schema or example) → its value,
 * or null when empty (or `null`); text that is not JSON throws, naming the box.
 */
export function parseJsonBox(text: string, label: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${label}: not valid JSON (${(error as Error).message}).`, { cause: error });
  }
}

/**
 * The filter box's JSON → a filter, or null when empty. Checked with the
 * relay's own rules (src/delivery/filter.ts), so a mistake is named before
 * saving, at the same path the API would name.
 */
export function parseFilter(text: string): Filter | null {
  const value = parseJsonBox(text, "Filter");
  if (value === null) return null;
  const [problem] = filterProblems(value);
  if (problem) throw new Error(`Filter${problem.path ? ` at ${problem.path}` : ""}: ${problem.message}.`);
  return value as Filter;
}

/** "500, 502 0" → [500, 502, 0], without repeats; anything but an HTTP status (or 0: no response) throws. */
export function parseStatusCodes(text: string): number[] {
  const parts = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  return parts.map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 0 || value > 599)
      throw new Error(`HTTP status: “${part}” is not a status code (100–599, or 0 for no response).`);
    return value;
  });
}
