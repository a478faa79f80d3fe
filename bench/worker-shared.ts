/**
 * @module What the benchmark's bare and floor Workers share: the queue task,
 * the few Workers types they need (bench/ is type-checked with Node's types,
 * tsconfig.node.json, not the Workers' ones), and the consumer's loop.
 */

export type Task = { id: string; body: string; webhooks: number[] };

export type QueueProducer<T> = {
  send(body: T, options?: { delaySeconds?: number }): Promise<unknown>;
};
export type MessageBatch<T> = { messages: readonly { body: T; ack(): void }[] };

/**
 * A failed delivery goes back to the queue for one more try this much
 * later, as the relay's retry policy in the benchmark has it.
 */
const RETRY_SECONDS = 1;

/**
 * POSTs every task of the batch to each of its webhooks' receiver paths
 * with `attempt` (which answers whether it succeeded), all at once, and
 * re-queues each task's failed webhooks. Acks nothing.
 */
export async function deliverBatch(
  batch: MessageBatch<Task>,
  queue: QueueProducer<Task>,
  attempt: (task: Task, webhook: number) => Promise<boolean>,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async ({ body: task }) => {
      const failed: number[] = [];
      await Promise.all(
        task.webhooks.map(async (w) => {
          if (!(await attempt(task, w))) failed.push(w);
        }),
      );
      if (failed.length) {
        await queue.send({ ...task, webhooks: failed }, { delaySeconds: RETRY_SECONDS });
      }
    }),
  );
}
