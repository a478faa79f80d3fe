/**
 * @module An event's id, derived from its message and webhook. Fan-out that
 * runs twice names the same event the same way without asking D1 (no unique
 * index to pay for), and the id leads back to its message: its first 64 bits
 * are the message id's (time and sequence), the rest a hash of the pair. It
 * stays a UUIDv7 that sorts by publication time.
 */
import { toHex } from "../lib/crypto";
import { fnv1a } from "../lib/hash";

/** The message-id prefix an event id shares with its message: `tttttttt-tttt-7sss`. */
export const MESSAGE_PREFIX_LENGTH = 18;

const encoder = new TextEncoder();

export async function eventIdFor(messageId: string, webhookId: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(`${messageId}/${webhookId}`)),
  );
  // RFC 9562's variant bits, as in the message id.
  digest[0] = 0x80 | (digest[0]! & 0x3f);
  const hex = toHex(digest.subarray(0, 8));
  return `${messageId.slice(0, MESSAGE_PREFIX_LENGTH)}-${hex.slice(0, 4)}-${hex.slice(4)}`;
}

/** The ids an event's message may have: those sharing its prefix, from `from` to `to` included. */
export function messageIdRange(eventId: string): { from: string; to: string } {
  const prefix = eventId.slice(0, MESSAGE_PREFIX_LENGTH);
  return { from: `${prefix}-0000-000000000000`, to: `${prefix}-ffff-ffffffffffff` };
}

/** The (webhook, event id) keys of a message's events: one per webhook it went to. */
export function eventKeysOf(message: {
  id: string;
  webhookIds: string[] | null;
}): Promise<{ webhookId: string; id: string }[]> {
  return Promise.all(
    (message.webhookIds ?? []).map(async (webhookId) => ({
      webhookId,
      id: await eventIdFor(message.id, webhookId),
    })),
  );
}

/**
 * An attempt's id, from its event, number and start: a UUIDv7 of the
 * start's millisecond, the same whenever it is worked out, so that an
 * attempt log keeps no ids (src/storage/codec.ts).
 */
export function attemptIdFor(eventId: string, attempt: number, startedMs: number): string {
  const time = Math.max(0, Math.floor(startedMs)).toString(16).padStart(12, "0");
  const seq = (attempt & 0xfff).toString(16).padStart(3, "0");
  const text = `${eventId}/${attempt}`;
  const high = fnv1a(text);
  const low = fnv1a(text, 0x01000193);
  // RFC 9562's variant bits, as in every id the relay makes.
  const variant = ((high >>> 16) & 0x3fff) | 0x8000;
  const rest = `${(high & 0xffff).toString(16).padStart(4, "0")}${low.toString(16).padStart(8, "0")}`;
  return `${time.slice(0, 8)}-${time.slice(8)}-7${seq}-${variant.toString(16)}-${rest}`;
}
