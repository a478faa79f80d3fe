/**
 * @module The queue consumer. Publish tasks of a batch are fanned out together
 * (one hand-over per webhook, one D1 statement for the messages); every task
 * is acked once done, or retried with a growing delay, independently.
 */
import type { Deps } from "../deps";
import type { PublishTask, QueueTask } from "../domain/tasks";
import { describeError } from "../lib/log";
import { usage } from "../lib/usage";
import { fanOut } from "./fan-out/fan-out";
import { recoverWebhook } from "./fan-out/recover";
import { replayPage } from "./fan-out/replay";

export async function consumeBatch(batch: MessageBatch<QueueTask>, deps: Deps): Promise<void> {
  const of = <K extends QueueTask["kind"]>(kind: K) =>
    batch.messages.filter((m): m is Message<Extract<QueueTask, { kind: K }>> => m.body.kind === kind);
  const publishes: Message<PublishTask>[] = of("publish");
  // Tasks handled one by one; each answers whether it is done.
  const singles: (readonly [Message<QueueTask>, () => Promise<boolean>])[] = [
    ...of("recover").map((m) => [m, () => recoverWebhook(deps, m.body).then(() => true)] as const),
    ...of("replay").map((m) => [m, () => replayPage(deps, m.body)] as const),
  ];
  const done = await fanOut(
    deps,
    publishes.map((m) => (m.attempts > 1 ? { ...m.body, again: true } : m.body)),
  ).catch((error: unknown) => {
    deps.log("error", "fan-out failed", { ...describeError(error) });
    return new Set<string>();
  });
  for (const message of publishes) {
    settle(message, message.body.messages.every((m) => done.has(m.id)), deps);
  }
  await Promise.all(
    singles.map(async ([message, handle]) => {
      try {
        settle(message, await handle(), deps);
      } catch (error) {
        deps.log("error", "queue task failed", { task: message.body.kind, ...describeError(error) });
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
