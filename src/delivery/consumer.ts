/**
 * @module The queue consumer: each task is acked once done, or retried with a
 * growing delay, independently of the others in its batch.
 */
import type { Deps } from "../deps";
import { fanOut } from "./publish";
import { recoverWebhook } from "./recover";
import type { QueueTask } from "./tasks";

export async function consumeBatch(batch: MessageBatch<QueueTask>, deps: Deps): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await runTask(deps, message.body);
        message.ack();
      } catch (error) {
        deps.log("error", "queue task failed", {
          task: message.body.kind,
          attempts: message.attempts,
          error: String(error),
        });
        message.retry({ delaySeconds: Math.min(2 ** message.attempts, 300) });
      }
    }),
  );
}

export async function runTask(deps: Deps, task: QueueTask): Promise<void> {
  switch (task.kind) {
    case "fanout":
      return fanOut(deps, task.messageId);
    case "recover":
      return recoverWebhook(deps, task);
  }
}
