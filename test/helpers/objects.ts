/** Reaching a webhook's Durable Object from a test: its stub, its instance, a movable clock. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { WebhookDO } from "../../src/delivery/webhook-object/webhook-do";

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

/**
 * Throws the object's instance away, as an eviction or a crash does: its
 * memory is gone, its storage stays, and the next call builds it again.
 */
export async function restartObject(webhookId: string): Promise<void> {
  const aborted = await inObject(webhookId, (_instance, state) => state.abort("restart")).then(
    () => false,
    () => true,
  );
  if (!aborted) throw new Error("the object was not restarted");
}
