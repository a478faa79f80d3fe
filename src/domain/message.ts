/**
 * @module A message's names on its way from the API to D1, one per stage:
 * `NewMessage` (validated, not yet accepted) → `Message` (accepted by its
 * ingest shard: it has an id) → `QueuedMessage` (the same on the delivery
 * queue, its payload perhaps left behind) → `MessageRow` (recorded by the
 * consumer, src/storage/messages.ts, with the webhooks it went to).
 */

/** A message to publish, validated; `payload` is its JSON text exactly as sent. */
export type NewMessage = {
  applicationId: string;
  eventType: string;
  payload: string;
  idempotencyKey: string | null;
  resource: { type: string; id: string } | null;
};

/** An accepted message, as its ingest shard holds it until the consumer has recorded it. */
export type Message = {
  id: string;
  applicationId: string;
  eventType: string;
  /** The JSON text exactly as published. */
  payload: string;
  idempotencyKey: string | null;
  resourceType: string | null;
  resourceId: string | null;
  createdAt: string;
  /** The API request that published it, for the logs. */
  requestId: string;
  /** The ingest object that holds it until the consumer confirms it is recorded. */
  shard: string;
};

/**
 * A message on the delivery queue. Its payload is left out (null) when it
 * would not fit a queue message, and then read from the ingest object that
 * holds it.
 */
export type QueuedMessage = Omit<Message, "payload"> & { payload: string | null };

/** A message as recorded: its row in a history shard (or the archive), its payload from R2. */
export type MessageRow = Omit<Message, "requestId" | "shard"> & {
  /** The webhooks it was fanned out to: its events' ids derive from them (src/domain/event-ids.ts). */
  webhookIds: string[];
};
