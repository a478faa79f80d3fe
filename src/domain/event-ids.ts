/**
 * @module An event's id, derived from its message and webhook. Fan-out that
 * runs twice names the same event the same way without asking D1 (no unique
 * index to pay for), and the id leads back to its message: its first 64 bits
 * are the message id's (time and sequence), the rest a hash of the pair. It
 * stays a UUIDv7 that sorts by publication time.
 */
import { toHex } from "../lib/crypto";

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

/** The id range in which an event's message id lies (ids sharing its prefix). */
export function messageIdRange(eventId: string): { from: string; to: string } {
  const prefix = eventId.slice(0, MESSAGE_PREFIX_LENGTH);
  // "-" (0x2d) follows the prefix in every id; "." (0x2e) sorts just after it.
  return { from: `${prefix}-`, to: `${prefix}.` };
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
