/** @module What travels on the delivery queue: small pointers, never payloads. */

export type QueueTask =
  /** Create the message's events and hand them to their webhooks. */
  | { kind: "fanout"; messageId: string; requestId?: string }
  /** Re-send a webhook's failed events created in a window. */
  | { kind: "recover"; webhookId: string; since: string; until: string };

export type FanoutTask = Extract<QueueTask, { kind: "fanout" }>;
export type RecoverTask = Extract<QueueTask, { kind: "recover" }>;
