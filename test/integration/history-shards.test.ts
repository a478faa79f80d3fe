/**
 * History over several shards (SPEC §8.1, issue #29): an application's
 * history of one slot is in one shard, its slots spread over the shards by
 * the routing rule, and the events API lists it as one history, ordered,
 * filtered and paged across them; an event read by id finds its shard. An
 * event written again in a later slot (a manual retry's outcome) shows as
 * its latest copy, in lists, filters and selections.
 */
import { describe, expect, inject, test } from "vitest";
import type { EventRow } from "../../src/domain/event";
import { attemptIdFor, eventIdFor } from "../../src/domain/event-ids";
import type { MessageRow } from "../../src/domain/message";
import { uuidv7 } from "../../src/lib/ids";
import { toRfc3339 } from "../../src/lib/time";
import { hexOf } from "../../src/storage/codec";
import { writeEvents } from "../../src/storage/events";
import { recordMessages } from "../../src/storage/messages";
import { slotOf } from "../../src/storage/layout";
import { shardOf } from "../../src/storage/store";
import { api, createApplication, createWebhook, listAllEvents } from "../helpers/api";
import { historyStore } from "../helpers/history";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");
const MINUTE = 60_000;

/** Events 40 minutes apart over the last 16 hours: five 4-hour slots. */
const TIMES = Array.from({ length: 24 }, (_, k) => Date.now() - k * 40 * MINUTE).reverse();

/** An application whose slots of TIMES are routed to more than one shard. */
async function applicationOverShards() {
  const store = historyStore();
  for (let tries = 0; tries < 20; tries++) {
    const app = await createApplication();
    const shards = new Set(TIMES.map((t) => shardOf(store, app.id, slotOf(t)).name));
    if (shards.size > 1) return app;
  }
  throw new Error("no application spread over the shards in 20 tries");
}

function eventRow(webhookId: string, messageId: string, id: string, at: number, n: number, status: "success" | "failed"): EventRow {
  const code = status === "success" ? 200 : 500;
  return {
    webhookId,
    id,
    messageId,
    type: n % 2 === 0 ? "a" : "b",
    deliveryStatus: status,
    deliveryAttempts: 1,
    maxAttempts: 1,
    httpStatusCode: code,
    errorMessage: status === "success" ? "" : "HTTP 500",
    nextAttemptAt: null,
    attemptLog: [
      {
        id: attemptIdFor(id, 1, at + 10),
        attempt: 1,
        startedAt: toRfc3339(at + 10),
        durationMs: 5,
        httpStatusCode: code,
        responseBody: status === "success" ? "ok" : "no",
        errorMessage: status === "success" ? "" : "HTTP 500",
      },
    ],
    createdAt: toRfc3339(at),
    updatedAt: toRfc3339(at + 100),
  };
}

/** History written as time went by: each message and event in the slot of its time. */
async function seed(applicationId: string, webhookId: string) {
  const rows: EventRow[] = [];
  for (const [n, at] of TIMES.entries()) {
    const store = { ...historyStore(), clock: () => at };
    const message: MessageRow = {
      id: uuidv7(at),
      applicationId,
      eventType: n % 2 === 0 ? "a" : "b",
      payload: JSON.stringify({ n }),
      idempotencyKey: `key-${n}`,
      resourceType: null,
      resourceId: null,
      createdAt: toRfc3339(at),
      webhookIds: [webhookId],
    };
    expect((await recordMessages(store, [message])).refused).toEqual([]);
    const row = eventRow(webhookId, message.id, await eventIdFor(message.id, webhookId), at, n, n % 3 === 0 ? "failed" : "success");
    await writeEvents(store, applicationId, [row]);
    rows.push(row);
  }
  return rows;
}

/** Rows each shard holds of the webhook. */
async function rowsPerShard(webhookId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const shard of historyStore().shards) {
    counts[shard.name] = 0;
    for (let i = 0; i < 8; i++) {
      const row = await shard.d1.prepare(`SELECT count(*) AS n FROM events_${i} WHERE webhook = unhex(?)`).bind(hexOf(webhookId)).first<{ n: number }>();
      counts[shard.name]! += row!.n;
    }
  }
  return counts;
}

describe("history over shards", () => {
  test("an application's history in several shards is one ordered, filtered, paged stream", async () => {
    const app = await applicationOverShards();
    const webhook = await createWebhook(app.id, newHook(receiverUrl).url);
    const rows = await seed(app.id, webhook.id);

    const perShard = await rowsPerShard(webhook.id);
    expect(Object.values(perShard).filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(Object.values(perShard).reduce((a, b) => a + b, 0)).toBe(TIMES.length);

    const newestFirst = [...rows].sort((a, b) => (a.id < b.id ? 1 : -1));
    const all = await listAllEvents(`webhook_id=${webhook.id}&limit=5`);
    expect(all.map((e) => e.id)).toEqual(newestFirst.map((r) => r.id));
    expect(all[0]).toEqual({
      object: "event",
      id: newestFirst[0]!.id,
      webhook_id: webhook.id,
      message_id: newestFirst[0]!.messageId,
      type: newestFirst[0]!.type,
      delivery_status: newestFirst[0]!.deliveryStatus,
      delivery_attempts: 1,
      max_attempts: 1,
      http_status_code: newestFirst[0]!.httpStatusCode,
      error_message: newestFirst[0]!.errorMessage,
      next_attempt_at: null,
      created_at: newestFirst[0]!.createdAt,
      updated_at: newestFirst[0]!.updatedAt,
    });
    const failed = await listAllEvents(`webhook_id=${webhook.id}&limit=3&delivery_status=failed`);
    expect(failed.map((e) => e.id)).toEqual(newestFirst.filter((r) => r.deliveryStatus === "failed").map((r) => r.id));
    const typeB = await listAllEvents(`webhook_id=${webhook.id}&limit=4&type=b`);
    expect(typeB.map((e) => e.id)).toEqual(newestFirst.filter((r) => r.type === "b").map((r) => r.id));

    // Read by id, its webhook found through its message, whichever shard each is in.
    for (const row of [rows[0]!, rows[rows.length - 1]!]) {
      const one = await api("GET", `/v1/events/${row.id}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(all.find((e) => e.id === row.id));
      const attempts = await api("GET", `/v1/events/${row.id}/attempts`);
      expect(attempts.body.data).toEqual([
        {
          object: "attempt",
          id: row.attemptLog[0]!.id,
          event_id: row.id,
          attempt: 1,
          started_at: row.attemptLog[0]!.startedAt,
          duration_ms: 5,
          http_status_code: row.httpStatusCode,
          response_body: row.attemptLog[0]!.responseBody,
          error_message: row.errorMessage,
          created_at: row.attemptLog[0]!.startedAt,
        },
      ]);
      const message = await api("GET", `/v1/messages/${row.messageId}`);
      expect(message.status).toBe(200);
      expect(message.body.events.map((e: { id: string }) => e.id)).toEqual([row.id]);
      expect(message.body.payload).toEqual({ n: rows.indexOf(row) });
    }
  });

  test("an event written again in a later slot shows as its latest copy in lists, filters and selections", async () => {
    const app = await applicationOverShards();
    const webhook = await createWebhook(app.id, newHook(receiverUrl).url);
    const rows = await seed(app.id, webhook.id);
    const failedBefore = rows.filter((r) => r.deliveryStatus === "failed");
    // The oldest failed event, retried by hand and delivered, its outcome written now.
    const retried = failedBefore[0]!;
    const now = Date.now();
    await writeEvents(historyStore(), app.id, [
      {
        ...retried,
        deliveryStatus: "success",
        deliveryAttempts: 2,
        maxAttempts: 2,
        httpStatusCode: 200,
        errorMessage: "",
        attemptLog: [
          ...retried.attemptLog,
          {
            id: attemptIdFor(retried.id, 2, now),
            attempt: 2,
            startedAt: toRfc3339(now),
            durationMs: 3,
            httpStatusCode: 200,
            responseBody: "ok",
            errorMessage: "",
          },
        ],
        updatedAt: toRfc3339(now + 3),
      },
    ]);

    const all = await listAllEvents(`webhook_id=${webhook.id}&limit=7`);
    expect(all).toHaveLength(TIMES.length);
    expect(all.find((e) => e.id === retried.id)).toMatchObject({ delivery_status: "success", delivery_attempts: 2 });
    const failed = await listAllEvents(`webhook_id=${webhook.id}&limit=2&delivery_status=failed`);
    expect(failed.map((e) => e.id).sort()).toEqual(failedBefore.slice(1).map((r) => r.id).sort());
    const one = await api("GET", `/v1/events/${retried.id}?webhook_id=${webhook.id}`);
    expect(one.body).toMatchObject({ delivery_status: "success", delivery_attempts: 2, max_attempts: 2 });
    expect((await api("GET", `/v1/events/${retried.id}/attempts`)).body.data.map((a: any) => a.attempt)).toEqual([1, 2]);

    const since = toRfc3339(TIMES[0]! - MINUTE);
    const dry = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { since, delivery_status: ["failed"], dry_run: true });
    expect(dry.body.matched).toBe(failedBefore.length - 1);
    const both = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { since, dry_run: true });
    expect(both.body.matched).toBe(TIMES.length);
  });
});
