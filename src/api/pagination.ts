/** @module Cursor pagination: `limit`, an opaque `cursor`, and the list envelope. */
import { z } from "@hono/zod-openapi";
import { fromBase64Url, toBase64Url } from "../lib/crypto";
import { unprocessable } from "../lib/errors";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const limitSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(50)
  .openapi({ description: "Page size, 1–100.", example: 50 });

const cursorSchema = z
  .string()
  .max(200)
  .optional()
  .openapi({ description: "Opaque cursor from the previous page's next_cursor." });

export const paginationQuery = { limit: limitSchema, cursor: cursorSchema };

/** Cursors wrap the last key seen; opaque so that the key can change later. */
export function encodeCursor(key: string): string {
  return toBase64Url(encoder.encode(JSON.stringify({ k: key })));
}

/** The key inside a cursor, or undefined when the cursor is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(decoder.decode(fromBase64Url(cursor)));
    if (parsed && typeof parsed === "object" && "k" in parsed) {
      const key = (parsed as { k: unknown }).k;
      if (typeof key === "string") return key;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export function listSchema<T extends z.ZodTypeAny>(item: T, name: string) {
  return z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      next_cursor: z.string().nullable(),
    })
    .openapi(name);
}

/**
 * The list envelope for a page fetched with `limit + 1` rows: the extra row
 * only tells that there is a next page.
 */
export function toList<R, O>(
  rows: R[],
  limit: number,
  toObject: (row: R) => O,
  keyOf: (row: R) => string,
) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    object: "list" as const,
    data: page.map(toObject),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}

/**
 * One page of a list route: the cursor read back into its key, `page` asked
 * for rows after it (the services fetch `limit + 1`, the extra row only
 * telling that there is more), and the list envelope, whose cursor wraps the
 * key of the last row shown. Keys are row ids unless `keys` says otherwise
 * (attempts page by attempt number).
 */
export async function paginate<R extends { id: string }, O, K = string | undefined>(
  query: { cursor?: string | undefined; limit: number },
  page: (after: K, limit: number) => Promise<R[]>,
  toObject: (row: R) => O,
  keys: { keyOf: (row: R) => string; read: (cursor: string | undefined) => K } = {
    keyOf: (row) => row.id,
    read: readCursor as (cursor: string | undefined) => K,
  },
) {
  const rows = await page(keys.read(query.cursor), query.limit);
  return toList(rows, query.limit, toObject, keys.keyOf);
}

/** The key inside `cursor`; a cursor we did not issue is a 422 naming the field. */
export function readCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  const key = decodeCursor(cursor);
  if (key === undefined) {
    throw unprocessable([{ path: "cursor", message: "Not a cursor issued by this API." }]);
  }
  return key;
}
