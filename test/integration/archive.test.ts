/**
 * The archive round trip (SPEC §8.1, issue #29): history past the hot
 * window leaves its shard for R2, and every answer stays the same (the
 * events list with its filters and cursor, an event, its attempts, a message
 * with its payload and events); recover and replay reach archived events;
 * retention removes them, objects and all. Archiving and retention run as
 * the cron would run them that much later.
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import { makeDeps } from "../../src/deps";
import { DAY_MS, toRfc3339 } from "../../src/lib/time";
import { purgeHistory } from "../../src/maintenance/retention";
import { archiveDue } from "../../src/storage/upkeep";
import { api, createApplication, createWebhook, listAllEvents, publish } from "../helpers/api";
import { drained } from "../helpers/drain";
import { eventually } from "../helpers/eventually";
import { historyStore, recordedEventCount, recordedMessageCount } from "../helpers/history";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");

/** What a client can read of the webhook's history, through every route that reads it. */
async function everythingReadable(webhookId: string, messageIds: string[]) {
  const events = await listAllEvents(`webhook_id=${webhookId}&limit=2`);
  return {
    events,
    failed: await listAllEvents(`webhook_id=${webhookId}&limit=1&delivery_status=failed`),
    typed: await listAllEvents(`webhook_id=${webhookId}&type=odd`),
    each: await Promise.all(events.map(async (e) => (await api("GET", `/v1/events/${e.id}`)).body)),
    attempts: await Promise.all(events.map(async (e) => (await api("GET", `/v1/events/${e.id}/attempts`)).body)),
    messages: await Promise.all(messageIds.map(async (id) => (await api("GET", `/v1/messages/${id}`)).body)),
  };
}

async function archivedObjects(webhookId: string): Promise<{ key: string }[]> {
  const { results } = await env.DB.prepare("SELECT key FROM archive_objects WHERE owner = ?").bind(webhookId).all<{ key: string }>();
  return results;
}

describe("the archive", () => {
  test("moved to R2 and read back the same; recover and replay reach it; retention removes it", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ responses: [{ status: 500, body: "down" }], otherwise: { status: 200, body: "ok" } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { retry_policy: { schedule_seconds: [] } });
    const since = toRfc3339(Date.now() - 1000);
    const messages = [];
    for (let n = 0; n < 5; n++) messages.push(await publish(app.id, n % 2 ? "odd" : "even", { n, big: 2 ** 60 + 1 }));
    await drained(app.id);
    const before = await everythingReadable(
      webhook.id,
      messages.map((m) => m.id),
    );
    expect(before.events).toHaveLength(5);
    expect(before.failed).toHaveLength(1);
    expect(before.messages[0].payload).toEqual({ n: 0, big: 2 ** 60 + 1 });

    // Two days on, the cron archives every slot past the hot window.
    expect(await archiveDue(historyStore(), Date.now() + 2 * DAY_MS, Date.now() + 30_000)).toBeGreaterThan(0);
    expect(await recordedEventCount(webhook.id)).toBe(0);
    expect(await recordedMessageCount(app.id)).toBe(0);
    const objects = await archivedObjects(webhook.id);
    expect(objects.length).toBeGreaterThan(0);
    expect(await everythingReadable(webhook.id, messages.map((m) => m.id))).toEqual(before);
    const storage = (await api("GET", "/v1/operations/storage")).body;
    expect(storage.archive.objects).toBeGreaterThanOrEqual(objects.length);

    // Recover re-sends the archived failed event; its new outcome is the one shown.
    const recovered = await api("POST", `/v1/webhooks/${webhook.id}/recover`, { since });
    expect(recovered.body.count).toBe(1);
    const failedId = before.failed[0].id;
    await eventually(async () => {
      const one = await api("GET", `/v1/events/${failedId}`);
      expect(one.body).toMatchObject({ delivery_status: "success", delivery_attempts: 2 });
    });
    expect(await listAllEvents(`webhook_id=${webhook.id}&delivery_status=failed`)).toEqual([]);
    const attempts = (await api("GET", `/v1/events/${failedId}/attempts`)).body.data;
    expect(attempts.map((a: any) => [a.attempt, a.http_status_code, a.response_body])).toEqual([
      [1, 500, "down"],
      [2, 200, "ok"],
    ]);

    // A replay of the window selects the archived events too, and sends each once more.
    const dry = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { since, dry_run: true });
    expect(dry.body.matched).toBe(5);
    const replay = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { since, event_types: ["odd"] });
    expect(replay.body.matched).toBe(2);
    await eventually(async () => {
      expect((await api("GET", `/v1/replays/${replay.body.id}`)).body).toMatchObject({ status: "done", queued: 2 });
    });
    await drained(app.id);
    const bodies = (await hook.received()).requests.map((r) => JSON.parse(r.body).n);
    expect(bodies.sort()).toEqual([0, 0, 1, 1, 2, 3, 3, 4]);

    // Past retention, everything goes: the archive's objects, their index, the payloads.
    await purgeHistory({ ...makeDeps(env), now: () => new Date(Date.now() + 31 * DAY_MS) });
    expect(await listAllEvents(`webhook_id=${webhook.id}`)).toEqual([]);
    expect((await api("GET", `/v1/messages/${messages[0]!.id}`)).status).toBe(404);
    expect(await archivedObjects(webhook.id)).toEqual([]);
    for (const { key } of objects) expect(await env.HISTORY_BUCKET.head(key)).toBeNull();
    const payloads = await env.HISTORY_BUCKET.list({ prefix: "payloads/" });
    expect(payloads.objects).toEqual([]);
  });
});
