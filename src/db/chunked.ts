/** @module Splitting lists for D1, which allows 100 bound parameters a statement. */

/** Ids a statement binds at most; well under D1's limit. */
const CHUNK = 40;

export function chunked<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
