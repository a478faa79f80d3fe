/**
 * @module Rows as JSON arrays of bounded size: one D1 parameter (2 MB at
 * most) or one Durable Object SQLite value (2 MB at most) each.
 */

/** Characters of JSON one chunk carries at most: 1.5 MB of UTF-8 at worst, under the 2 MB a value may hold. */
const JSON_PARAM_CHARS = 512 * 1024;

/** The rows as JSON arrays of at most `limit` characters each (one row at least). */
export function jsonChunks(rows: unknown[], limit = JSON_PARAM_CHARS): string[] {
  const chunks: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const row of rows) {
    const json = JSON.stringify(row);
    if (parts.length > 0 && size + json.length + 1 > limit) {
      chunks.push(`[${parts.join(",")}]`);
      parts = [];
      size = 2;
    }
    parts.push(json);
    size += json.length + 1;
  }
  if (parts.length > 0) chunks.push(`[${parts.join(",")}]`);
  return chunks;
}

