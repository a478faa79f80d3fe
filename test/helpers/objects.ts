/**
 * Reaching a webhook's Durable Object from a test: its stub, its instance, a
 * movable clock; and what the objects still hold, the drain signals that
 * prove something did not happen.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { WebhookDO } from "../../src/delivery/webhook-do";
import { allIngestShards } from "../../src/ingest/shards";

export function webhookObject(webhookId: string) {
  return env.WEBHOOK_DO.get(env.WEBHOOK_DO.idFromName(webhookId));
}

/** Runs `fn` inside the webhook's object, with the instance typed as ours. */
export function inObject<R>(
  webhookId: string,
  fn: (instance: WebhookDO, state: DurableObjectState) => R | Promise<R>,
): Promise<R> {
  return runInDurableObject(webhookObject(webhookId), (instance, state) =>
    fn(instance as unknown as WebhookDO, state),
  );
}

/** Moves the object's clock `offsetMs` ahead of real time, as if that much time had passed. */
export function advanceClock(webhookId: string, offsetMs: number): Promise<void> {
  return inObject(webhookId, (instance) => {
    instance.deps = { ...instance.deps, now: () => new Date(Date.now() + offsetMs) };
  });
}

export function alarmAt(webhookId: string): Promise<number | null> {
  return inObject(webhookId, (_instance, state) => state.storage.getAlarm());
}

/** Operational events the webhook's object keeps until they are settled (published, counted or dropped). */
export function operationalPending(webhookId: string): Promise<number> {
  return inObject(webhookId, (_instance, state) =>
    Number(state.storage.sql.exec("SELECT count(*) AS n FROM operational").one().n),
  );
}

/**
 * Messages of the application that its ingest objects accepted and the
 * consumer has not yet recorded: 0 once every one was handed to its
 * webhooks' objects (a confirmed row loses its body within a second).
 */
export async function ingestPending(applicationId: string): Promise<number> {
  let pending = 0;
  for (const shard of allIngestShards(applicationId)) {
    const stub = env.INGEST_DO.get(env.INGEST_DO.idFromName(shard));
    pending += await runInDurableObject(stub, (_instance, state) =>
      Number(state.storage.sql.exec("SELECT count(*) AS n FROM outbox WHERE body IS NOT NULL").one().n),
    );
  }
  return pending;
}
