/**
 * @module Collaborators that request handlers, the consumer and the Durable
 * Object receive instead of reaching for globals, so tests can pin the clock,
 * randomness and outbound fetch.
 */
import { createDb, type Db } from "./db/client";
import type { QueueTask } from "./delivery/tasks";
import type { WebhookDO } from "./delivery/webhook-do";
import { type Env, readSettings, type Settings } from "./env";
import { uuidv7 } from "./lib/ids";
import { jsonLogger, type Logger } from "./lib/log";

export type Deps = {
  db: Db;
  settings: Settings;
  queue: Queue<QueueTask>;
  webhookObjects: DurableObjectNamespace<WebhookDO>;
  now: () => Date;
  random: () => number;
  fetch: typeof fetch;
  log: Logger;
  /** Correlates log lines: the API request's id, carried to the deliveries it caused. */
  requestId: string;
};

export function makeDeps(env: Env, requestId: string = uuidv7()): Deps {
  return {
    db: createDb(env.DB),
    settings: readSettings(env),
    queue: env.DELIVERY_QUEUE,
    webhookObjects: env.WEBHOOK_DO,
    now: () => new Date(),
    random: Math.random,
    fetch: (input, init) => fetch(input, init),
    log: jsonLogger,
    requestId,
  };
}
