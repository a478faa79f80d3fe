/**
 * Storage visible and bounded (SPEC §8.1, issue #29): GET
 * /v1/operations/storage answers per shard and for the archive; a shard past
 * 80 % of its limit fires `storage.near_limit`, once a day; a shard that is
 * full or failing refuses its tenants' publishes with 503 before anything is
 * accepted, while other tenants' publishes go on; a history write that a
 * failing shard refuses is kept and written once it answers again.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, test } from "vitest";
import { createApp } from "../../src/app";
import { makeDeps } from "../../src/deps";
import { alertNearLimits } from "../../src/maintenance/storage-alerts";
import { bytesSeen, probe } from "../../src/storage/health";
import { slotOf } from "../../src/storage/layout";
import { type HistoryShard, type HistoryStore, shardOf } from "../../src/storage/store";
import { ADMIN_TOKEN, api, createApplication, createWebhook, listEvents } from "../helpers/api";
import { drained, unconfirmed } from "../helpers/drain";
import { eventually } from "../helpers/eventually";
import { historyStore, recordedEventCount, recordedMessageCount } from "../helpers/history";
import { newHook } from "../helpers/hooks";
import { inObject } from "../helpers/objects";
import { createKey } from "./security/tenants";

const receiverUrl = inject("receiverUrl");

/** An application whose history goes to `shard` now and in the next slot. */
async function applicationOn(shard: string) {
  const store = historyStore();
  for (let tries = 0; tries < 40; tries++) {
    const app = await createApplication();
    const slot = slotOf(Date.now());
    if ([slot, slot + 1].every((s) => shardOf(store, app.id, s).name === shard)) return app;
  }
  throw new Error(`no application routed to ${shard} in 40 tries`);
}

/** A shard whose every call fails, as a D1 outage would. */
function failing(shard: HistoryShard): HistoryShard {
  const outage = () => {
    throw new Error("D1_ERROR: simulated outage");
  };
  return { ...shard, d1: { prepare: outage, batch: async () => outage(), exec: async () => outage() } as unknown as D1Database };
}

/** The history store with one shard replaced. */
function withShard(name: string, change: (shard: HistoryShard) => HistoryShard): HistoryStore {
  const store = historyStore();
  return { ...store, shards: store.shards.map((s) => (s.name === name ? change(s) : s)) };
}

/** The API, on deps whose history store is `history`. */
function apiWith(history: HistoryStore) {
  const app = createApp((e, requestId) => ({ ...makeDeps(e, requestId), history }));
  return async (path: string, body: unknown) => {
    const res = await app.request(
      path,
      {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      },
      env,
    );
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };
}

describe("a shard that cannot keep history", () => {
  for (const [why, change] of [
    ["failing", failing],
    ["full", (shard: HistoryShard) => ({ ...shard, limitBytes: 1 })],
  ] as const) {
    test(`${why}: its tenants' publishes get 503 before acceptance, other tenants' go on`, async () => {
      const hook = newHook(receiverUrl);
      const refused = await applicationOn("HISTORY_1");
      const served = await applicationOn("HISTORY_0");
      await createWebhook(refused.id, hook.url);
      const fine = await createWebhook(served.id, hook.url);
      const post = apiWith(withShard("HISTORY_1", change));

      const res = await post("/v1/messages", { application_id: refused.id, event_type: "t", payload: { n: 1 } });
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("retry-after")).toBe("10");
      expect(res.body).toMatchObject({ type: "https://hookrelay.dev/problems/history-unavailable", status: 503 });
      expect(res.body.detail).toContain(`HISTORY_1: ${why}`);

      const batch = await post("/v1/messages/batch", {
        messages: [
          { application_id: refused.id, event_type: "t", payload: { n: 2 } },
          { application_id: served.id, event_type: "t", payload: { n: 3 } },
        ],
      });
      expect(batch.body.data.map((e: { status: number }) => e.status)).toEqual([503, 202]);
      expect(batch.body.data[0].error.status).toBe(503);
      expect((await post("/v1/messages", { application_id: served.id, event_type: "t", payload: { n: 4 } })).status).toBe(202);

      // Nothing of the refused tenant was accepted; the other's went through and was recorded.
      await drained(served.id, refused.id);
      expect(await unconfirmed(refused.id)).toBe(0);
      expect(await recordedMessageCount(refused.id)).toBe(0);
      expect(await recordedMessageCount(served.id)).toBe(2);
      expect(await listEvents(fine.id)).toHaveLength(2);
      expect((await hook.received()).requests.map((r) => JSON.parse(r.body).n).sort()).toEqual([3, 4]);
    });
  }

  test("a webhook's history refused by a failing shard is kept, then written once it answers", async () => {
    const hook = newHook(receiverUrl);
    const app = await applicationOn("HISTORY_0");
    const webhook = await createWebhook(app.id, hook.url);
    const down = withShard("HISTORY_0", failing);
    await inObject(webhook.id, (o) => {
      o.deps = { ...o.deps, history: down };
    });
    for (let n = 0; n < 3; n++) {
      expect((await api("POST", "/v1/messages", { application_id: app.id, event_type: "t", payload: { n } })).status).toBe(202);
    }
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(3));
    // Delivered, not yet recorded: the object holds the outcomes while the shard fails.
    expect(await inObject(webhook.id, (o) => o.heldCount())).toBe(3);
    expect(await recordedEventCount(webhook.id)).toBe(0);
    await inObject(webhook.id, (o) => {
      o.deps = makeDeps(env);
    });
    await drained(app.id);
    expect(await recordedEventCount(webhook.id)).toBe(3);
    const events = await listEvents(webhook.id);
    expect(events.map((e) => e.delivery_status)).toEqual(["success", "success", "success"]);
    expect((await hook.received()).requests).toHaveLength(3);
  });
});

describe("storage, visible", () => {
  test("GET /v1/operations/storage: each shard's rows, bytes and limit, and the archive; operators only", async () => {
    const res = await api("GET", "/v1/operations/storage");
    expect(res.status).toBe(200);
    expect(res.body.databases.map((d: { name: string }) => d.name)).toEqual(["HISTORY_0", "HISTORY_1"]);
    for (const db of res.body.databases) {
      expect(db).toEqual({ name: db.name, rows: expect.any(Number), bytes: expect.any(Number), limit_bytes: 10_000_000_000 });
      expect(db.bytes).toBeGreaterThan(0);
    }
    expect(res.body.archive).toEqual({ objects: expect.any(Number), bytes: expect.any(Number) });
    const app = await createApplication();
    const confined = await createKey({ name: "confined", scope: "admin", application_id: app.id });
    expect((await api("GET", "/v1/operations/storage", undefined, { token: confined.key })).status).toBe(403);
  });

  test("storage.near_limit fires for a shard past 80 % of its limit, once a day", async () => {
    const uid = `ops-${crypto.randomUUID()}`;
    const ops = await createApplication({ uid });
    const hook = newHook(receiverUrl);
    const opsWebhook = await createWebhook(ops.id, hook.url);
    const store = historyStore();
    // The shard the operations application's history does not go to, made 85 % full.
    const slot = slotOf(Date.now());
    const target = store.shards.find((s) => s.name !== shardOf(store, ops.id, slot).name)!;
    await probe(store, target);
    const limit = Math.floor(bytesSeen(target) / 0.85);
    const deps = {
      ...makeDeps(env),
      settings: { ...makeDeps(env).settings, operationsApplication: uid },
      history: withShard(target.name, (s) => ({ ...s, limitBytes: limit })),
    };
    expect(await alertNearLimits(deps)).toBe(1);
    expect(await alertNearLimits(deps)).toBe(1);
    await drained(ops.id);
    const received = (await hook.received()).requests.map((r) => new Webhook(opsWebhook.secret).verify(r.body, r.headers) as any);
    expect(received).toEqual([
      {
        type: "storage.near_limit",
        timestamp: expect.any(String),
        data: { database: target.name, used_bytes: expect.any(Number), limit_bytes: limit },
      },
    ]);
    expect(received[0].data.used_bytes).toBeGreaterThanOrEqual(limit * 0.8);
  });
});
