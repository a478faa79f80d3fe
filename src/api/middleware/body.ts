/**
 * @module Request bodies before validation: JSON only (415), at most
 * RELAY_MAX_PAYLOAD_BYTES (413), well-formed (400). An empty body on an action
 * route is an empty object. The text read is left in Hono's body cache, so the
 * route's validator does not read the stream again, and as `rawBody` for
 * routes that must keep a member's exact text (lib/json-text.ts).
 */
import { createMiddleware } from "hono/factory";
import { badRequest, payloadTooLarge, unsupportedMediaType } from "../../lib/errors";
import type { AppEnv } from "../context";

/** Routes whose whole body may be larger than one payload: a batch carries up to 100. */
const BODY_LIMIT_MULTIPLES: Record<string, number> = { "/v1/messages/batch": 4 };

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;.*)?$/i;

export const jsonBody = createMiddleware<AppEnv>(async (c, next) => {
  if (!["POST", "PUT", "PATCH"].includes(c.req.method)) return next();
  const limit = c.get("deps").settings.maxPayloadBytes * (BODY_LIMIT_MULTIPLES[c.req.path] ?? 1);
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (declared > limit) throw tooLarge(limit);
  const text = await readLimited(c.req.raw, limit, declared);
  if (text.length === 0) {
    // Action routes accept no body: the validator then reads `{}`, while the
    // media-type gate still sees an empty body that needs no content-type.
    const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
    cache.text = Promise.resolve("{}");
    cache.arrayBuffer = Promise.resolve(new ArrayBuffer(0));
    return next();
  }
  const type = c.req.header("content-type");
  if (!type || !JSON_TYPE.test(type)) {
    throw unsupportedMediaType("The request body must be JSON (content-type: application/json).");
  }
  try {
    JSON.parse(text);
  } catch (error) {
    // Where, never what: the parser's own message quotes the body around the error.
    const at = /at position (\d+)/.exec((error as Error).message);
    throw badRequest(`The request body is not valid JSON${at ? ` (at character ${at[1]})` : ""}.`);
  }
  (c.req.bodyCache as Record<string, Promise<unknown>>).text = Promise.resolve(text);
  // Kept for what must pass through unchanged (a published payload's bytes).
  c.set("rawBody", text);
  await next();
});

function tooLarge(limit: number) {
  return payloadTooLarge(`The request body is larger than ${limit} bytes.`);
}

/** Reads the body as text, giving up with 413 as soon as it passes `limit` bytes. */
async function readLimited(request: Request, limit: number, declared: number): Promise<string> {
  if (!request.body) return "";
  // A declared length within the limit is what the runtime reads, no more:
  // one native read instead of a loop over chunks.
  const all = declared >= 0 ? new Uint8Array(await request.arrayBuffer()) : await readChunks(request.body, limit);
  if (all.byteLength > limit) throw tooLarge(limit);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all).trim();
  } catch {
    throw badRequest("The request body is not valid UTF-8.");
  }
}

/** A body of unknown length, read until its end or until it passes `limit`. */
async function readChunks(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}
