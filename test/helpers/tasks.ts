/** Queue tasks as ingest sends them, for tests that drive fan-out directly. */
import type { Message, QueuedMessage } from "../../src/domain/message";
import type { PublishTask } from "../../src/domain/tasks";
import { uuidv7 } from "../../src/lib/ids";

/** A message as ingest accepts it (uuidv7 ids: fifo follows their order). */
export function accepted(applicationId: string, eventType: string, payload: unknown = {}): Message {
  return {
    id: uuidv7(),
    applicationId,
    eventType,
    payload: JSON.stringify(payload),
    idempotencyKey: null,
    resourceType: null,
    resourceId: null,
    createdAt: new Date().toISOString(),
    requestId: "test",
    shard: `${applicationId}/0`,
  };
}

export function publishTask(messages: QueuedMessage[]): PublishTask {
  return { kind: "publish", messages };
}
