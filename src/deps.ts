/**
 * @module Collaborators that request handlers, the consumer and the Durable
 * Object receive instead of reaching for globals, so tests can pin the clock,
 * randomness and outbound fetch.
 */
import { createDb, type Db } from "./db/client";
import { meterD1 } from "./db/metered";
import type { QueueTask } from "./domain/tasks";
import {
  boundCertificates,
  boundShards,
  type ClientCertificates,
  type Env,
  readSettings,
  type Settings,
} from "./env";
import { uuidv7 } from "./lib/ids";
import { createLogger, type Logger } from "./lib/log";
import { DAY_MS } from "./lib/time";
import { usage } from "./lib/usage";
import { meterR2 } from "./storage/metered-r2";
import type { HistoryStore } from "./storage/store";

export type Deps = {
  db: Db;
  /** Where history is kept: the shards, the R2 bucket (src/storage/). */
  history: HistoryStore;
  settings: Settings;
  queue: Queue<QueueTask>;
  webhookObjects: Env["WEBHOOK_DO"];
  ingestObjects: Env["INGEST_DO"];
  now: () => Date;
  random: () => number;
  fetch: typeof fetch;
  log: Logger;
  /** The mTLS certificate bindings webhooks may deliver through, by name. */
  clientCertificates: ClientCertificates;
  /** Correlates log lines: the API request's id, carried to the deliveries it caused. */
  requestId: string;
};

/**
 * The Durable Object that serialises webhook `id`'s deliveries: one per
 * webhook, addressed by its id as name, so every caller reaches the same one.
 */
export function webhookObject(deps: Pick<Deps, "webhookObjects">, id: string) {
  return deps.webhookObjects.get(deps.webhookObjects.idFromName(id));
}

/** What an isolate's requests share: building the drizzle client alone costs more than routing a publish. */
const shared = new WeakMap<Env, Omit<Deps, "requestId">>();

export function makeDeps(env: Env, requestId: string = uuidv7()): Deps {
  let base = shared.get(env);
  if (!base) {
    const settings = readSettings(env);
    base = {
      db: createDb(meterD1(env.DB, usage.d1)),
      history: historyStore(env, settings),
      settings,
      queue: meterQueue(env.DELIVERY_QUEUE),
      webhookObjects: env.WEBHOOK_DO,
      ingestObjects: env.INGEST_DO,
      now: () => new Date(),
      random: Math.random,
      fetch: (input, init) => fetch(input, init),
      log: createLogger(settings.logLevel),
      clientCertificates: boundCertificates(env, settings.mtlsCertificates),
    };
    shared.set(env, base);
  }
  return { ...base, requestId };
}

/** The history store of these bindings and settings, every binding metered. */
function historyStore(env: Env, settings: Settings): HistoryStore {
  return {
    shards: boundShards(env, settings).map((s) => ({ ...s, d1: meterD1(s.d1, usage.history) })),
    bucket: meterR2(env.HISTORY_BUCKET, usage.r2),
    main: meterD1(env.DB, usage.d1),
    hotMs: settings.hotHistoryMs,
    retentionMs: settings.retentionDays * DAY_MS,
    clock: () => Date.now(),
  };
}

/** Counts queue writes (one operation per message) on their way out. */
function meterQueue(queue: Queue<QueueTask>): Queue<QueueTask> {
  return {
    send: (body, options) => {
      usage.queueOperations += 1;
      return queue.send(body, options);
    },
    sendBatch: (messages, options) => {
      usage.queueOperations += [...messages].length;
      return queue.sendBatch(messages, options);
    },
    metrics: () => queue.metrics(),
  } as Queue<QueueTask>;
}

/** The ingest object of an application shard (src/ingest/shards.ts). */
export function ingestObject(deps: Pick<Deps, "ingestObjects">, shard: string) {
  return deps.ingestObjects.get(deps.ingestObjects.idFromName(shard));
}
