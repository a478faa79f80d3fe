/**
 * @module The queue consumer. Fan-out tasks of a batch are handled together
 * (one hand-over per webhook); every task is acked once done, or retried with
 * a growing delay, independently of the others.
 */
import type { Deps } from "../deps";
import { usage } from "../lib/usage";
import { fanOutBatch } from "./publish";
import { recoverWebhook } from "./recover";
import type { FanoutTask, QueueTask, RecoverTask } from "./tasks";

export async function consumeBatch(batch: MessageBatch<QueueTask>, deps: Deps): Promise<void> {
  const fanouts = batch.messages.filter((m): m is Message<FanoutTask> => m.body.kind === "fanout");
  const recovers = batch.messages.filter(
    (m): m is Message<RecoverTask> => m.body.kind === "recover",
  );
  const done = await fanOutBatch(
    deps,
    fanouts.map((m) => m.body),
  ).catch((error) => {
    deps.log("error", "fan-out failed", { error: String(error) });
    return new Set<string>();
  });
  for (const message of fanouts) settle(message, done.has(message.body.messageId), deps);
  await Promise.all(
    recovers.map(async (message) => {
      try {
        await recoverWebhook(deps, message.body);
        settle(message, true, deps);
      } catch (error) {
        deps.log("error", "queue task failed", { task: message.body.kind, error: String(error) });
        settle(message, false, deps);
      }
    }),
  );
}

function settle(message: Message<QueueTask>, ok: boolean, deps: Deps): void {
  // Billed: the read that delivered it, and the delete that an ack is.
  usage.queueOperations += ok ? 2 : 1;
  if (ok) {
    message.ack();
    return;
  }
  deps.log("warn", "queue task retried", { task: message.body.kind, attempts: message.attempts });
  message.retry({ delaySeconds: Math.min(2 ** message.attempts, 300) });
}
