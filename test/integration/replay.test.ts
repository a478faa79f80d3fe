/**
 * Filtered replay (SPEC §7.6): the dry run counts exactly what the replay then
 * attempts (statuses, types, codes, both window edges), a replay of several
 * pages goes behind the queue to `done`, a disabled webhook is 409, bad input 422.
 * History is seeded through the storage layer, as the consumer and the
 * webhook's object write it, so that thousands of events cost no deliveries
 * to set up (pending and retrying events are never recorded: their objects hold them).
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import { createDb } from "../../src/db/client";
import { insertReplay } from "../../src/db/queries/replays";
import { REPLAY_PAGE, replayPage } from "../../src/delivery/fan-out/replay";
import { makeDeps } from "../../src/deps";
import type { DeliveryStatus, EventRow } from "../../src/domain/event";
import type { MessageRow } from "../../src/domain/message";
import { eventIdFor } from "../../src/domain/event-ids";
import { uuidv7 } from "../../src/lib/ids";
import { toRfc3339 } from "../../src/lib/time";
import { purgeHistory } from "../../src/maintenance/retention";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { drained } from "../helpers/drain";
import { eventually } from "../helpers/eventually";
import { seedHistory } from "../helpers/history";
import { newHook } from "../helpers/hooks";
import { inObject, restartObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");
const db = createDb(env.DB);

type Seed = { name: string; type: string; status: DeliveryStatus; code: number; at: number };

/** Recorded history: a message and its event per seed, one attempt made. Returns event ids by name. */
async function seed(applicationId: string, webhookId: string, seeds: Seed[]) {
  const ids = new Map<string, string>();
  const messages: MessageRow[] = [];
  const rows: EventRow[] = [];
  for (const s of seeds) {
    const messageId = uuidv7(s.at);
    const id = await eventIdFor(messageId, webhookId);
    ids.set(s.name, id);
    const at = toRfc3339(s.at);
    messages.push({
      id: messageId,
      applicationId,
      eventType: s.type,
      payload: JSON.stringify({ seed: s.name }),
      idempotencyKey: null,
      resourceType: null,
      resourceId: null,
      createdAt: at,
      webhookIds: [webhookId],
    });
    rows.push({
      webhookId,
      id,
      messageId,
      type: s.type,
      deliveryStatus: s.status,
      deliveryAttempts: 1,
      maxAttempts: 1,
      httpStatusCode: s.code,
      errorMessage: s.status === "success" ? "" : `HTTP ${s.code}`,
      nextAttemptAt: null,
      attemptLog: [],
      createdAt: at,
      updatedAt: at,
    });
  }
  await seedHistory(messages, [
    { applicationId, rows: rows.filter((r) => r.deliveryStatus === "success" || r.deliveryStatus === "failed") },
  ]);
  return ids;
}

async function replayDone(id: string) {
  return eventually(async () => {
    const res = await api("GET", `/v1/replays/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("done");
    return res.body;
  }, 120_000);
}

const T = Date.parse("2026-11-02T10:00:00.000Z");
const SINCE = toRfc3339(T);
const UNTIL = toRfc3339(T + 3000);

/** Around a window [T, T+3s]: its edges, just outside them, and every status. */
const LAYOUT: Seed[] = [
  { name: "at-since", type: "a", status: "failed", code: 500, at: T },
  { name: "success", type: "a", status: "success", code: 200, at: T + 1000 },
  { name: "no-response", type: "b", status: "failed", code: 0, at: T + 2000 },
  { name: "at-until", type: "a", status: "failed", code: 503, at: T + 3000 },
  { name: "before", type: "a", status: "failed", code: 500, at: T - 1 },
  { name: "after", type: "a", status: "failed", code: 500, at: T + 3001 },
  { name: "retrying", type: "a", status: "retrying", code: 500, at: T + 1500 },
  { name: "pending", type: "a", status: "pending", code: 0, at: T + 1600 },
];

describe("replay", () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ["the window, both edges in; pending and retrying left out", {}, ["at-since", "success", "no-response", "at-until"]],
    ["failed only", { delivery_status: ["failed"] }, ["at-since", "no-response", "at-until"]],
    ["one event type", { event_types: ["a"] }, ["at-since", "success", "at-until"]],
    ["last HTTP status 500 or none", { http_status_codes: [500, 0] }, ["at-since", "no-response"]],
    [
      "all filters together",
      { delivery_status: ["failed", "success"], event_types: ["a", "b"], http_status_codes: [503, 200] },
      ["success", "at-until"],
    ],
  ];

  test.each(cases)("dry run and replay select the same events: %s", async (_, filters, expected) => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 200 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { retry_policy: { schedule_seconds: [] } });
    const ids = await seed(app.id, webhook.id, LAYOUT);
    const body = { since: SINCE, until: UNTIL, ...filters };

    const dry = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { ...body, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      object: "replay",
      dry_run: true,
      webhook_id: webhook.id,
      since: SINCE,
      until: UNTIL,
      matched: expected.length,
    });
    expect(await api("GET", `/v1/events?webhook_id=${webhook.id}&limit=100`)).toMatchObject({
      body: { data: expect.not.arrayContaining([expect.objectContaining({ delivery_attempts: 2 })]) },
    });
    expect((await hook.received()).requests).toHaveLength(0);

    const started = await api("POST", `/v1/webhooks/${webhook.id}/replay`, body);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      object: "replay",
      id: expect.any(String),
      matched: expected.length,
      status: "running",
      queued: 0,
    });
    const done = await replayDone(started.body.id);
    expect(done).toMatchObject({ matched: expected.length, queued: expected.length });

    // Exactly the selected events got one more attempt, and reached the receiver.
    const wanted = new Set(expected.map((name) => ids.get(name)!));
    await eventually(async () => {
      const events = await listEvents(webhook.id, "&limit=100");
      const again = events.filter((e) => e.delivery_attempts === 2);
      expect(new Set(again.map((e) => e.id))).toEqual(wanted);
      expect(again.every((e) => e.delivery_status === "success")).toBe(true);
    });
    const received = (await hook.received()).requests.map((r) => r.headers["webhook-id"]);
    expect(new Set(received)).toEqual(wanted);
    expect(received).toHaveLength(wanted.size);
  });

  test("a replay of several pages goes page by page behind the queue and reaches done", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 200 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [] },
      max_in_flight: 100,
    });
    const base = Date.now() - 3_600_000;
    // Five full pages and one more event: six tasks, each sent by the one before it.
    const total = 5 * REPLAY_PAGE + 1;
    const seeds: Seed[] = Array.from({ length: total }, (_, i) => ({
      name: String(i),
      type: i % 2 ? "order.paid" : "order.created",
      status: "failed",
      code: 500,
      at: base + i,
    }));
    for (let i = 0; i < seeds.length; i += 1000) await seed(app.id, webhook.id, seeds.slice(i, i + 1000));
    const since = toRfc3339(base);

    const dry = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { since, dry_run: true });
    expect(dry.body.matched).toBe(total);
    const started = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { since });
    expect(started.status).toBe(202);
    expect(started.body.matched).toBe(total);
    const done = await replayDone(started.body.id);
    expect(done).toMatchObject({ matched: total, queued: total });
    // Every one of them reaches the receiver, once: the pages are handed
    // over (done), and the webhook's object has attempted all it was given.
    await drained(app.id);
    const { requests } = await hook.received();
    expect(requests).toHaveLength(total);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(total);
  }, 600_000);

  test("a page task sent twice counts once; one that arrives before its page is recorded waits", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 200 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    const ids = await seed(app.id, webhook.id, LAYOUT);
    const at = toRfc3339(Date.now());
    const selection = {
      since: SINCE,
      until: UNTIL,
      deliveryStatuses: ["success", "failed"] as DeliveryStatus[],
      eventTypes: null,
      httpStatusCodes: null,
    };
    // Recorded as the route records it, but its first task is ours to run.
    const replay = await insertReplay(db, {
      id: uuidv7(),
      webhookId: webhook.id,
      applicationId: app.id,
      selection,
      matched: 4,
      status: "running",
      createdAt: at,
      updatedAt: at,
    });
    const deps = makeDeps(env);
    const first = { kind: "replay" as const, replayId: replay.id, after: "" };
    // A task for a later page, before this one's progress: not yet.
    expect(await replayPage(deps, { ...first, after: ids.get("success")! }, 2)).toBe(false);
    // The first page (2 events); its next task goes to the real queue and finishes the rest.
    expect(await replayPage(deps, first, 2)).toBe(true);
    // The same task again: already done, nothing counted twice.
    expect(await replayPage(deps, first, 2)).toBe(true);
    const done = await replayDone(replay.id);
    expect(done).toMatchObject({ queued: 4, status: "done" });
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(4));
  });

  test("a disabled webhook is 409; an unknown webhook or replay 404", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, newHook(receiverUrl).url);
    await api("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: false });
    const since = toRfc3339(Date.now() - 60_000);
    for (const dry_run of [true, false]) {
      const res = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { since, dry_run });
      expect(res.status).toBe(409);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    const unknown = "01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00";
    expect((await api("POST", `/v1/webhooks/${unknown}/replay`, { since })).status).toBe(404);
    expect((await api("GET", `/v1/replays/${unknown}`)).status).toBe(404);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM replays WHERE webhook_id = ?")
      .bind(webhook.id)
      .first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });

  test("nothing matched: the replay is done at once; retention removes it in time", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, newHook(receiverUrl).url);
    const res = await api("POST", `/v1/webhooks/${webhook.id}/replay`, {
      since: "2000-01-01T00:00:00Z",
      until: "2000-01-02T00:00:00Z",
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ matched: 0, queued: 0, status: "done" });
    // Finished replays go with the history, after RELAY_RETENTION_DAYS.
    const later = (days: number) => ({
      ...makeDeps(env),
      now: () => new Date(Date.now() + days * 86_400_000),
    });
    await purgeHistory(later(29));
    expect((await api("GET", `/v1/replays/${res.body.id}`)).status).toBe(200);
    await purgeHistory(later(31));
    expect((await api("GET", `/v1/replays/${res.body.id}`)).status).toBe(404);
  });

  test("bad input is a 422 naming the field, and nothing is stored", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, newHook(receiverUrl).url);
    const since = "2026-11-02T10:00:00Z";
    const cases: Array<[unknown, string]> = [
      [{}, "since"],
      [{ since: "yesterday" }, "since"],
      [{ since, until: "2026-11-02T09:59:59Z" }, "until"],
      [{ since, delivery_status: ["nope"] }, "delivery_status.0"],
      [{ since, delivery_status: [] }, "delivery_status"],
      [{ since, event_types: [""] }, "event_types.0"],
      [{ since, event_types: "order.paid" }, "event_types"],
      [{ since, http_status_codes: [600] }, "http_status_codes.0"],
      [{ since, http_status_codes: [1.5] }, "http_status_codes.0"],
      [{ since, dry_run: "yes" }, "dry_run"],
      [{ since, everything: true }, "body"],
    ];
    for (const [body, path] of cases) {
      const res = await api("POST", `/v1/webhooks/${webhook.id}/replay`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM replays WHERE webhook_id = ?")
      .bind(webhook.id)
      .first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });

  test("replayed events waiting behind an open circuit show their last answer and when they can go", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 500, body: "down" } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { max_in_flight: 1, retry_policy: { schedule_seconds: [] } });
    const since = toRfc3339(Date.now() - 1000);
    for (let i = 0; i < 5; i++) await publish(app.id, "behind.circuit", { i });
    // Five failures: each event failed for good, and the circuit is open.
    await eventually(async () => {
      const events = await listEvents(webhook.id);
      expect(events.filter((e) => e.delivery_status === "failed")).toHaveLength(5);
      expect(await inObject(webhook.id, (o) => o.circuitState().openUntil)).not.toBeNull();
    });
    const openUntil = (await inObject(webhook.id, (o) => o.circuitState().openUntil))!;

    const replay = await api("POST", `/v1/webhooks/${webhook.id}/replay`, { since });
    expect(replay.status).toBe(202);
    await replayDone(replay.body.id);
    // The object is evicted while the circuit cools down, and read back from its storage.
    await restartObject(webhook.id);
    const events = await listEvents(webhook.id);
    expect(events).toHaveLength(5);
    for (const event of events) {
      expect(event).toMatchObject({
        delivery_status: "retrying",
        delivery_attempts: 1,
        max_attempts: 2,
        http_status_code: 500,
        error_message: "HTTP 500",
      });
      expect(Date.parse(event.next_attempt_at)).toBe(openUntil);
    }
    expect((await hook.received()).requests).toHaveLength(5);
  });
});
