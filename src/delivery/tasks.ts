/** @module What travels on the delivery queue: small pointers, never payloads. */

export type QueueTask =
  /** Create the message's events and hand them to their webhooks. */
  | { kind: "fanout"; messageId: string }
  /** Re-send a webhook's failed events created in a window, as of `asOf`. */
  | { kind: "recover"; webhookId: string; since: string; until: string; asOf: string };
