/**
 * @module The queue consumer. Fan-out tasks of a batch are handled together
 * (one hand-over per webhook); every task is acked once done, or retried with
 * a growing delay, independently of the others.
 */
import type { Deps } from "../deps";
import { fanOutBatch } from "./publish";
import { recoverWebhook } from "./recover";
import type { QueueTask } from "./tasks";

export async function consumeBatch(batch: MessageBatch<QueueTask>, deps: Deps): Promise<void> {
  const fanouts = batch.messages.filter((m) => m.body.kind === "fanout");
  const others = batch.messages.filter((m) => m.body.kind !== "fanout");
  const ids = fanouts.map((m) => (m.body as Extract<QueueTask, { kind: "fanout" }>).messageId);
  const done = await fanOutBatch(deps, ids).catch((error) => {
    deps.log("error", "fan-out failed", { error: String(error) });
    return new Set<string>();
  });
  fanouts.forEach((message, i) => settle(message, done.has(ids[i]!), deps));
  await Promise.all(
    others.map(async (message) => {
      try {
        await runTask(deps, message.body);
        settle(message, true, deps);
      } catch (error) {
        deps.log("error", "queue task failed", { task: message.body.kind, error: String(error) });
        settle(message, false, deps);
      }
    }),
  );
}

function settle(message: Message<QueueTask>, ok: boolean, deps: Deps): void {
  if (ok) {
    message.ack();
    return;
  }
  deps.log("warn", "queue task retried", { task: message.body.kind, attempts: message.attempts });
  message.retry({ delaySeconds: Math.min(2 ** message.attempts, 300) });
}

export async function runTask(deps: Deps, task: QueueTask): Promise<void> {
  switch (task.kind) {
    case "fanout":
      await fanOutBatch(deps, [task.messageId]);
      return;
    case "recover":
      return recoverWebhook(deps, task);
  }
}
