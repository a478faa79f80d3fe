/** @module What travels on the delivery queue. */

/**
 * An accepted message as it travels from ingest to fan-out. `payload` is the
 * JSON text exactly as published; it is left out (null) when it would not fit
 * a queue message, and then read from the ingest object that holds it.
 */
export type AcceptedMessage = {
  id: string;
  applicationId: string;
  eventType: string;
  payload: string | null;
  idempotencyKey: string | null;
  resourceType: string | null;
  resourceId: string | null;
  createdAt: string;
  /** The API request that published it, for the logs. */
  requestId: string;
  /** The ingest object that holds it until the consumer confirms it is recorded. */
  shard: string;
};

export type QueueTask =
  /** Fan out accepted messages (of any shards: a batch publish travels as one). */
  | {
      kind: "publish";
      messages: AcceptedMessage[];
      /**
       * Sent again (by the ingest object, or redelivered by the queue): some
       * of its messages may be recorded already, so fan-out checks first.
       */
      again?: boolean;
    }
  /** Re-send a webhook's failed events created in a window. */
  | { kind: "recover"; webhookId: string; since: string; until: string }
  /**
   * One page of a replay (SPEC §7.6): the events after `after` that its
   * selection matches, then a task for the next page. Its selection and
   * progress are in its D1 row.
   */
  | { kind: "replay"; replayId: string; after: string };

export type PublishTask = Extract<QueueTask, { kind: "publish" }>;
export type RecoverTask = Extract<QueueTask, { kind: "recover" }>;
export type ReplayTask = Extract<QueueTask, { kind: "replay" }>;
