/**
 * The drain signal for tests inside workerd: what proves that something did
 * NOT happen, instead of a sleep that is slow and passes when it is merely
 * late. Drained: the applications' ingest objects hold no message the
 * consumer has not recorded (so every event is in its webhook's object), and
 * every webhook of theirs holds no event (each outcome is written to D1) and
 * no operational event it has not published. Whatever was accepted before
 * the call has then been delivered, or settled, and recorded.
 *
 * Not covered: queue tasks that are not messages (recover, replay pages),
 * which tests wait for by what they change.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { allIngestShards } from "../../src/ingest/shards";
import { eventually } from "./eventually";
import { webhookObject } from "./objects";

async function webhooksOf(applicationIds: string[]): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT id FROM webhooks WHERE application_id IN (SELECT value FROM json_each(?))",
  )
    .bind(JSON.stringify(applicationIds))
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Messages the application's ingest objects hold that the consumer has not recorded yet. */
export async function unconfirmed(applicationId: string): Promise<number> {
  let count = 0;
  for (const shard of allIngestShards(applicationId)) {
    count += await env.INGEST_DO.get(env.INGEST_DO.idFromName(shard)).unconfirmedCount();
  }
  return count;
}

/** Operational events (SPEC §7.7) the webhook's object keeps until they are published. */
function unpublished(webhookId: string): Promise<number> {
  return runInDurableObject(
    webhookObject(webhookId),
    (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM operational").one().n,
  );
}

/**
 * Resolves once everything the applications accepted has gone through: see
 * the module. Checked upstream first (ingest, then webhooks), and the whole
 * way twice, so that an operational event published into another of the
 * applications is followed to its delivery too.
 */
export async function drained(...applicationIds: string[]): Promise<void> {
  await drainedThrough(applicationIds, await webhooksOf(applicationIds));
}

/**
 * As {@link drained}, for the applications' ingest objects and the webhooks
 * named (when most of the applications' webhooks can receive nothing).
 */
export async function drainedThrough(applicationIds: string[], webhookIds: string[]): Promise<void> {
  await eventually(async () => {
    for (let round = 0; round < 2; round++) {
      for (const applicationId of applicationIds) {
        expect(await unconfirmed(applicationId), `application ${applicationId} unrecorded`).toBe(0);
      }
      for (const webhookId of webhookIds) {
        expect(await webhookObject(webhookId).heldCount(), `webhook ${webhookId} holds`).toBe(0);
        expect(await unpublished(webhookId), `webhook ${webhookId} operational events`).toBe(0);
      }
    }
  });
}
