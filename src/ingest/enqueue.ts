/**
 * @module Accepted messages onto the delivery queue, as few queue messages
 * as fit its limits: a batch publish of 100 messages is one queue message
 * (three queue operations) when it fits, whatever shards hold its messages.
 */
import type { Message, QueuedMessage } from "../domain/message";
import type { QueueTask } from "../domain/tasks";

/** A queue message carries at most this much JSON (the queue's limit is 128 KB). */
const QUEUE_MESSAGE_CHARS = 96 * 1024;
/** A payload bigger than this travels by reference: the consumer reads it from its ingest object. */
const INLINE_PAYLOAD_CHARS = 64 * 1024;
/** sendBatch takes at most 100 messages and 256 KB. */
const TASKS_PER_SEND = 2;

/** The publish tasks that carry these messages; `again` marks a re-send. */
export function publishTasks(messages: Message[], again = false): QueueTask[] {
  const tasks: QueueTask[] = [];
  // A single publish needs no measuring: one message is one task.
  const only = messages.length === 1 ? messages[0]! : null;
  if (only && only.payload.length <= INLINE_PAYLOAD_CHARS) {
    return [{ kind: "publish", messages: [only], ...(again ? { again } : {}) }];
  }
  let current: QueuedMessage[] = [];
  let size = 0;
  const flush = () => {
    if (current.length > 0) tasks.push({ kind: "publish", messages: current, ...(again ? { again } : {}) });
    current = [];
    size = 0;
  };
  for (const message of messages) {
    const travelling: QueuedMessage =
      message.payload.length > INLINE_PAYLOAD_CHARS
        ? { ...message, payload: null }
        : message;
    const chars = JSON.stringify(travelling).length;
    if (current.length > 0 && size + chars > QUEUE_MESSAGE_CHARS) flush();
    current.push(travelling);
    size += chars;
  }
  flush();
  return tasks;
}

/** Sends the messages to the queue (a few queue messages per call at most). */
export async function sendToQueue(
  queue: Queue<QueueTask>,
  messages: Message[],
  again = false,
): Promise<void> {
  const tasks = publishTasks(messages, again);
  for (let i = 0; i < tasks.length; i += TASKS_PER_SEND) {
    await queue.sendBatch(tasks.slice(i, i + TASKS_PER_SEND).map((body) => ({ body })));
  }
}
