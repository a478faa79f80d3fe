/** @module Entry point: wires the API, the queue consumer, the cron and the Durable Object. */
import { createApp } from "./app";
import { consumeBatch } from "./delivery/consumer";
import { BOOT_CRON, sweep } from "./delivery/sweep";
import type { QueueTask } from "./delivery/tasks";
import { makeDeps } from "./deps";
import type { Env } from "./env";
import { usage } from "./lib/usage";
import { purgeHistory } from "./retention";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<QueueTask>, env: Env) {
    usage.workerRequests += 1;
    await consumeBatch(batch, makeDeps(env));
  },
  async scheduled(controller: ScheduledController, env: Env) {
    usage.workerRequests += 1;
    const deps = makeDeps(env);
    const results = await Promise.allSettled([
      sweep(deps, { boot: controller.cron === BOOT_CRON }),
      purgeHistory(deps),
    ]);
    for (const result of results) {
      if (result.status === "rejected") {
        deps.log("error", "cron task failed", { cron: controller.cron, error: String(result.reason) });
      }
    }
  },
} satisfies ExportedHandler<Env, QueueTask>;

export { WebhookDO } from "./delivery/webhook-do";
