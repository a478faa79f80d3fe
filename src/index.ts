/** @module Entry point: wires the API, the queue consumer, the cron and the Durable Object. */
import { createApp } from "./app";
import { consumeBatch } from "./delivery/consumer";
import { makeDeps } from "./deps";
import type { QueueTask } from "./domain/tasks";
import type { Env } from "./env";
import { usage } from "./lib/usage";
import { runMaintenance } from "./maintenance/run";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<QueueTask>, env: Env) {
    usage.workerRequests += 1;
    await consumeBatch(batch, makeDeps(env));
  },
  async scheduled(controller: ScheduledController, env: Env) {
    usage.workerRequests += 1;
    // "@restart": npm start's first run after a restart; its local queue started empty.
    await runMaintenance(makeDeps(env), { afterRestart: controller.cron === "@restart" });
  },
} satisfies ExportedHandler<Env, QueueTask>;

export { WebhookDO } from "./delivery/webhook-object/webhook-do";
export { IngestDO } from "./ingest/ingest-do";
