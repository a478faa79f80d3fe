import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import { createApp } from "../../src/app";
import { createDb } from "../../src/db/client";
import { meterD1, newUsage } from "../../src/db/metered";
import type { StatsBuffer } from "../../src/delivery/history/stats-buffer";
import { makeDeps } from "../../src/deps";
import { purgeHistory } from "../../src/maintenance/retention";
import { PARTITIONS } from "../../src/db/history-schema";
import type { EventRow } from "../../src/domain/event";
import { eventIdFor } from "../../src/domain/event-ids";
import type { MessageRow } from "../../src/domain/message";
import { uuidv7 } from "../../src/lib/ids";
import { hexOf } from "../../src/storage/codec";
import { ADMIN_TOKEN, api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { historyStore, seedHistory } from "../helpers/history";
import { newHook } from "../helpers/hooks";
import { inObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");
const DAY_MS = 86_400_000;

/** Deps on a clock `offsetMs` ahead, as the cron would see them then. */
function depsAt(offsetMs: number) {
  return { ...makeDeps(env), now: () => new Date(Date.now() + offsetMs) };
}

describe("retention", () => {
  test("only old history goes: an event still retrying stays in its webhook's object", async () => {
    const ok = newHook(receiverUrl);
    const failing = newHook(receiverUrl);
    const slow = newHook(receiverUrl);
    await failing.script({ otherwise: { status: 500 } });
    await slow.script({ otherwise: { status: 500 } });
    const app = await createApplication();
    const okHook = await createWebhook(app.id, ok.url, { event_types: ["ok"] });
    const failedHook = await createWebhook(app.id, failing.url, {
      event_types: ["bad"],
      retry_policy: { schedule_seconds: [] },
    });
    const retryingHook = await createWebhook(app.id, slow.url, {
      event_types: ["slow"],
      retry_policy: { schedule_seconds: [86_400 * 20] },
    });
    const okMessage = await publish(app.id, "ok", { n: 1 });
    const badMessage = await publish(app.id, "bad", { n: 2 });
    const slowMessage = await publish(app.id, "slow", { n: 3 });
    await eventually(async () => {
      expect((await listEvents(okHook.id))[0]?.delivery_status).toBe("success");
      expect((await listEvents(failedHook.id))[0]?.delivery_status).toBe("failed");
      expect((await listEvents(retryingHook.id))[0]?.delivery_status).toBe("retrying");
    });
    // Within the retention window nothing goes.
    expect(await purgeHistory(depsAt(29 * DAY_MS))).toEqual({ events: 0, messages: 0 });

    const purged = await purgeHistory(depsAt(31 * DAY_MS));
    expect(purged.events).toBeGreaterThanOrEqual(2);
    expect(await listEvents(okHook.id)).toHaveLength(0);
    expect(await listEvents(failedHook.id)).toHaveLength(0);
    expect(await listEvents(retryingHook.id)).toHaveLength(1);
    expect((await api("GET", `/v1/messages/${okMessage.id}`)).status).toBe(404);
    expect((await api("GET", `/v1/messages/${badMessage.id}`)).status).toBe(404);
    // Its message row went with the rest of that age; the event is held, payload and all.
    expect((await api("GET", `/v1/messages/${slowMessage.id}`)).status).toBe(404);
    expect((await listEvents(retryingHook.id))[0]?.delivery_status).toBe("retrying");
  });

  test("one run deletes in bounded batches", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    for (let i = 0; i < 5; i++) await publish(app.id, "bulk", { i });
    await eventually(async () =>
      expect((await listEvents(webhook.id, "&delivery_status=success")).length).toBe(5),
    );
    const first = await purgeHistory(depsAt(400 * DAY_MS), 1);
    // Ten batches of one at most, whatever else is old in the database.
    expect(first.events).toBeLessThanOrEqual(10);
    expect(first.events).toBeGreaterThan(0);
  });
});

describe("stats", () => {
  test("counts, success rate and latency come from hourly rollups: bounded reads over 10,000 events", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ responses: [{ status: 500 }], otherwise: { status: 200, delayMs: 20 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [] },
    });
    for (let i = 0; i < 4; i++) await publish(app.id, "s", { i });
    await eventually(async () => {
      const res = await api("GET", `/v1/webhooks/${webhook.id}/stats`);
      expect(res.body.counts).toMatchObject({ success: 3, failed: 1, pending: 0, retrying: 0 });
    });
    const real = (await api("GET", `/v1/webhooks/${webhook.id}/stats`)).body;
    expect(real).toMatchObject({
      object: "webhook_stats",
      webhook_id: webhook.id,
      window_hours: 24,
      attempts: 4,
      success_rate: 0.75,
    });
    expect(real.latency_ms.p95).toBeGreaterThanOrEqual(real.latency_ms.p50);
    // Hour by hour: 24 hours ending with this one, which holds all four attempts.
    expect(real.hourly).toHaveLength(24);
    const thisHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    expect(real.hourly.at(-1)).toEqual({ hour: thisHour, success: 3, failed: 1, retrying: 0 });
    expect(real.hourly.slice(0, -1).every((h: any) => h.success + h.failed + h.retrying === 0)).toBe(true);

    // A long history: 10,000 events recorded and their attempts in the rollups.
    const now = Date.now();
    const messages: MessageRow[] = [];
    const rows: EventRow[] = [];
    for (let i = 0; i < 10_000; i++) {
      const at = new Date(now - i * 8000).toISOString();
      const messageId = uuidv7(now - i * 8000);
      messages.push({
        id: messageId,
        applicationId: app.id,
        eventType: "h",
        payload: "{}",
        idempotencyKey: null,
        resourceType: null,
        resourceId: null,
        createdAt: at,
        webhookIds: [webhook.id],
      });
      rows.push({
        webhookId: webhook.id,
        id: await eventIdFor(messageId, webhook.id),
        messageId,
        type: "h",
        deliveryStatus: "success",
        deliveryAttempts: 1,
        maxAttempts: 1,
        httpStatusCode: 200,
        errorMessage: "",
        nextAttemptAt: null,
        attemptLog: [],
        createdAt: at,
        updatedAt: at,
      });
    }
    await seedHistory(messages, [{ applicationId: app.id, rows }]);
    await inObject(webhook.id, (o) => {
      const buffer = (o as unknown as { health: { stats: StatsBuffer } }).health.stats;
      for (let i = 0; i < 10_000; i++)
        buffer.add(now - i * 8000, 50 + (i % 100), i % 10 === 0 ? "failed" : "success");
    });

    const usage = newUsage();
    const app2 = createApp((e) => ({ ...makeDeps(e), db: createDb(meterD1(e.DB, usage)) }));
    const res = await app2.request(
      `/v1/webhooks/${webhook.id}/stats`,
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
      env,
    );
    expect(res.status).toBe(200);
    const stats = (await res.json()) as any;
    // Only attempts of the last 24 hours count: 86,400 s / 8 s = 10,800 > 10,000, so all of them.
    expect(stats.attempts).toBe(10_004);
    // 450 attempts an hour (one every 8 s), a tenth failed; the hours add up to the totals.
    const hours = stats.hourly as { success: number; failed: number; retrying: number }[];
    expect(hours).toHaveLength(24);
    expect(hours.reduce((n, h) => n + h.success + h.failed + h.retrying, 0)).toBe(10_004);
    expect(hours.reduce((n, h) => n + h.failed, 0)).toBe(stats.counts.failed);
    expect(hours[12]).toEqual({ hour: expect.any(String), success: 405, failed: 45, retrying: 0 });
    expect(stats.latency_ms.p50).toBeGreaterThan(80);
    expect(stats.latency_ms.p50).toBeLessThan(120);
    // D1: the webhook row, nothing else.
    expect(usage.queries).toBe(1);
    expect(usage.rowsRead).toBeLessThanOrEqual(2);
    const rowsRead = await inObject(webhook.id, (o) => {
      const before = o.usage().usage.doRowsRead;
      o.stats(webhook.id);
      return o.usage().usage.doRowsRead - before;
    });
    expect(rowsRead).toBeLessThanOrEqual(30);

    // For contrast, counting the same from the event rows reads the whole history.
    let naiveRowsRead = 0;
    for (const shard of historyStore().shards) {
      for (let i = 0; i < PARTITIONS; i++) {
        const naive = await shard.d1
          .prepare(`SELECT count(*) AS n FROM events_${i} WHERE webhook = unhex(?) AND created > ?`)
          .bind(hexOf(webhook.id), now - DAY_MS)
          .run();
        naiveRowsRead += naive.meta.rows_read;
      }
    }
    expect(naiveRowsRead).toBeGreaterThan(5_000);
  });
});
