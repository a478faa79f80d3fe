/** @module What travels on the delivery queue. */
import type { QueuedMessage } from "./message";

export type QueueTask =
  /** Fan out accepted messages (of any shards: a batch publish travels as one). */
  | {
      kind: "publish";
      messages: QueuedMessage[];
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
