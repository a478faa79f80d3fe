/**
 * @module One HTTP attempt: POST, bounded by a timeout, redirects not followed,
 * at most 4 KiB of the answer kept. Never throws: every outcome is a result.
 */
import { parseRetryAfter } from "../../domain/retry-policy";
import type { Deadlines } from "./deadlines";

export const RESPONSE_BODY_LIMIT = 4096;

export type AttemptRequest = {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
};

export type AttemptResult = {
  /** 0 when no response arrived. */
  httpStatusCode: number;
  durationMs: number;
  responseBody: string;
  /** Empty on success. */
  errorMessage: string;
  /** Seconds from Retry-After on a 429 or 503, else null. */
  retryAfterSeconds: number | null;
};

export function isSuccess(result: AttemptResult): boolean {
  return result.httpStatusCode >= 200 && result.httpStatusCode < 300 && !result.errorMessage;
}

/**
 * Sends the attempt. Success is a 2xx status within the timeout (SPEC §5):
 * once the status is in, the body is only an excerpt for the history, read
 * until the same deadline and cut there, so a slow body never turns a 2xx
 * into a failure.
 */
export async function sendAttempt(
  request: AttemptRequest,
  fetchFn: typeof fetch,
  now: () => Date,
  deadlines: Deadlines,
): Promise<AttemptResult> {
  const started = Date.now();
  const deadline = deadlines.start(request.timeoutMs);
  const elapsed = () => Date.now() - started;
  try {
    let response: Response;
    try {
      response = await fetchFn(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal: deadline.signal,
      });
    } catch (error) {
      return {
        httpStatusCode: 0,
        durationMs: elapsed(),
        responseBody: "",
        errorMessage: deadline.timedOut()
          ? `timeout: no response within ${request.timeoutMs} ms`
          : `connection error: ${errorText(error)}`,
        retryAfterSeconds: null,
      };
    }
    const responseBody = await readPrefix(response, RESPONSE_BODY_LIMIT);
    const status = response.status;
    const ok = status >= 200 && status < 300;
    const retryAfter =
      status === 429 || status === 503
        ? parseRetryAfter(response.headers.get("retry-after"), now())
        : null;
    return {
      httpStatusCode: status,
      durationMs: elapsed(),
      responseBody,
      errorMessage: ok ? "" : describeStatus(status, response.headers.get("location")),
      retryAfterSeconds: retryAfter,
    };
  } finally {
    deadline.release();
  }
}

function describeStatus(status: number, location: string | null): string {
  if (status >= 300 && status < 400) {
    return `HTTP ${status}: redirects are not followed${location ? "" : " (no location)"}`;
  }
  return `HTTP ${status}`;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 300) || "request failed";
}

/**
 * Reads at most `limit` bytes of the body as text, cut at a character
 * boundary so that the text is at most `limit` bytes of UTF-8, and drops the
 * rest unread. Never throws: a body cut short (the deadline, a reset) keeps
 * what arrived before.
 */
async function readPrefix(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  // The common answer is short and says so: read it whole, no stream loop.
  // Not when encoded: fetch decodes, and the length told is the encoded one.
  const length = response.headers.get("content-length");
  if (length !== null && Number(length) <= limit && !response.headers.has("content-encoding")) {
    return fitUtf8(await response.text().catch(() => ""), limit);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  try {
    // One byte past the limit tells whether the cut falls inside a character.
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // Cut short: what arrived is the excerpt.
  } finally {
    // Only a body left unread needs cancelling; each await here costs a turn of the runtime.
    if (ended) reader.releaseLock();
    else await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(size, limit + 1));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, all.length - offset);
    all.set(part, offset);
    offset += part.length;
    if (offset >= all.length) break;
  }
  let end = Math.min(size, limit);
  // Back off over continuation bytes (10xxxxxx): the character they belong to does not fit.
  if (size > limit) while (end > 0 && (all[end]! & 0xc0) === 0x80) end -= 1;
  return fitUtf8(new TextDecoder().decode(all.subarray(0, end)), limit);
}

/** `text` cut at a code point so that its UTF-8 is at most `limit` bytes (invalid input decodes to 3-byte U+FFFD). */
export function fitUtf8(text: string, limit: number): string {
  // A UTF-16 unit encodes to at most 3 bytes.
  if (text.length * 3 <= limit) return text;
  const { read } = new TextEncoder().encodeInto(text, new Uint8Array(limit));
  return text.slice(0, read);
}
