/**
 * Operational events (SPEC §7.7), end to end: a webhook's object sees the
 * transition, publishes through the ordinary path, and the operations
 * application's webhook (a real loopback receiver) gets each event once,
 * signed, with the documented fields; nothing about the operations
 * application's own webhooks. The setting is given to each webhook's object
 * (as RELAY_OPERATIONS_APPLICATION_ID would be), so other test files are
 * untouched by it.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, test } from "vitest";
import { minuteOf } from "../../src/delivery/operational-events/operational-budget";
import { publishOperational } from "../../src/delivery/operational-events/operations";
import { makeDeps } from "../../src/deps";
import type { OperationalEvent } from "../../src/domain/operational-event";
import type { IngestDO } from "../../src/ingest/ingest-do";
import { DAY_MS, toRfc3339 } from "../../src/lib/time";
import { purgeHistory } from "../../src/maintenance/retention";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { drained } from "../helpers/drain";
import { eventually } from "../helpers/eventually";
import { type Hook, newHook } from "../helpers/hooks";
import {
  advanceClock,
  alarmAt,
  inObject,
  webhookObject,
} from "../helpers/objects";
import { createLink } from "./security/tenants";

const receiverUrl = inject("receiverUrl");

type Received = { type: string; timestamp: string; data: Record<string, unknown> };

/** An operations application (found by its uid or its id) with a webhook on a receiver. */
async function operations() {
  const uid = `ops-${crypto.randomUUID()}`;
  const app = await createApplication({ uid, name: "Relay operations" });
  const hook = newHook(receiverUrl);
  const webhook = await createWebhook(app.id, hook.url);
  return { app, uid, hook, webhook };
}

/** The webhook's object publishes operational events to `setting` (an id or a uid). */
function reportTo(webhookId: string, setting: string): Promise<void> {
  return inObject(webhookId, (instance) => {
    instance.deps = {
      ...instance.deps,
      settings: { ...instance.deps.settings, operationsApplication: setting },
    };
  });
}

/** Operational events the receiver got, checked as signed by the operations webhook's secret. */
async function received(hook: Hook, secret: string): Promise<Received[]> {
  const verifier = new Webhook(secret);
  return (await hook.received()).requests.map(
    (r) => verifier.verify(r.body, r.headers) as Received,
  );
}

function ofType(events: Received[], type: string, webhookId: string): Received[] {
  return events.filter((e) => e.type === type && e.data.webhook_id === webhookId);
}

describe("operational events", () => {
  test("410: webhook.disabled (gone) and event.exhausted, once each", async () => {
    const ops = await operations();
    const app = await createApplication();
    const gone = newHook(receiverUrl);
    await gone.script({ otherwise: { status: 410 } });
    const webhook = await createWebhook(app.id, gone.url);
    await reportTo(webhook.id, ops.uid);

    const message = await publish(app.id, "order.paid", { n: 1 });
    await eventually(async () => {
      const events = await received(ops.hook, ops.webhook.secret);
      expect(ofType(events, "webhook.disabled", webhook.id)).toHaveLength(1);
      expect(ofType(events, "event.exhausted", webhook.id)).toHaveLength(1);
    });
    await drained(app.id, ops.app.id);
    const events = await received(ops.hook, ops.webhook.secret);
    expect(events).toHaveLength(2);
    const [disabled] = ofType(events, "webhook.disabled", webhook.id);
    expect(disabled).toEqual({
      type: "webhook.disabled",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      data: { webhook_id: webhook.id, application_id: app.id, reason: "gone" },
    });
    const [exhausted] = ofType(events, "event.exhausted", webhook.id);
    const [event] = await listEvents(webhook.id);
    expect(exhausted!.data).toEqual({
      event_id: event!.id,
      webhook_id: webhook.id,
      application_id: app.id,
      message_id: message.id,
      http_status_code: 410,
      error_message: event!.error_message,
    });
    // Published like any message: listed on the operations webhook, under its type.
    const listed = await listEvents(ops.webhook.id);
    expect(listed.map((e) => e.type).sort()).toEqual(["event.exhausted", "webhook.disabled"]);
    expect((await api("GET", `/v1/webhooks/${webhook.id}`)).body.disabled_reason).toBe("gone");
  });

  test("the circuit opens (webhook.failing) and closes (webhook.recovered); each event exhausted once", async () => {
    const ops = await operations();
    const app = await createApplication();
    const flaky = newHook(receiverUrl);
    await flaky.script({ otherwise: { status: 500 } });
    // No retries: each event fails for good at its first attempt.
    const webhook = await createWebhook(app.id, flaky.url, { retry_policy: { schedule_seconds: [] } });
    // By id this time.
    await reportTo(webhook.id, ops.app.id);

    const firstAt = Date.now();
    for (let n = 0; n < 5; n++) await publish(app.id, "order.paid", { n });
    await eventually(async () => {
      const events = await received(ops.hook, ops.webhook.secret);
      expect(ofType(events, "webhook.failing", webhook.id)).toHaveLength(1);
      expect(ofType(events, "event.exhausted", webhook.id)).toHaveLength(5);
    });
    const [failing] = ofType(await received(ops.hook, ops.webhook.secret), "webhook.failing", webhook.id);
    expect(failing!.data).toMatchObject({
      webhook_id: webhook.id,
      application_id: app.id,
      consecutive_failures: 5,
    });
    expect(Object.keys(failing!.data).sort()).toEqual(
      ["application_id", "consecutive_failures", "since", "webhook_id"],
    );
    expect(Date.parse(failing!.data.since as string)).toBeGreaterThanOrEqual(firstAt - 1000);
    expect(Date.parse(failing!.data.since as string)).toBeLessThanOrEqual(Date.parse(failing!.timestamp));

    // The cooldown passes, the receiver is back: the probe succeeds and the circuit closes.
    await flaky.script({ otherwise: { status: 200 } });
    await advanceClock(webhook.id, 60_000);
    await publish(app.id, "order.paid", { n: 5 });
    await eventually(async () => {
      const events = await received(ops.hook, ops.webhook.secret);
      expect(ofType(events, "webhook.recovered", webhook.id)).toHaveLength(1);
    });
    await publish(app.id, "order.paid", { n: 6 });
    await eventually(async () => expect((await flaky.received()).requests).toHaveLength(7));
    await drained(app.id, ops.app.id);
    const events = await received(ops.hook, ops.webhook.secret);
    expect(events.map((e) => e.type).sort()).toEqual([
      ...Array(5).fill("event.exhausted"),
      "webhook.failing",
      "webhook.recovered",
    ]);
    expect(ofType(events, "webhook.recovered", webhook.id)[0]!.data).toEqual({
      webhook_id: webhook.id,
      application_id: app.id,
    });
  });

  test("five days without a success: webhook.disabled (failing)", async () => {
    const ops = await operations();
    const app = await createApplication();
    const down = newHook(receiverUrl);
    await down.script({ otherwise: { status: 503 } });
    const webhook = await createWebhook(app.id, down.url, { retry_policy: { schedule_seconds: [] } });
    await reportTo(webhook.id, ops.uid);

    for (let n = 0; n < 5; n++) await publish(app.id, "order.paid", { n });
    await eventually(async () =>
      expect(ofType(await received(ops.hook, ops.webhook.secret), "webhook.failing", webhook.id)).toHaveLength(1),
    );
    // Five days on, the next probe fails too: the webhook is disabled as failing.
    await advanceClock(webhook.id, 5 * 86_400_000 + 60_000);
    await publish(app.id, "order.paid", { n: 5 });
    await eventually(async () => {
      const events = await received(ops.hook, ops.webhook.secret);
      expect(ofType(events, "webhook.disabled", webhook.id).map((e) => e.data)).toEqual([
        { webhook_id: webhook.id, application_id: app.id, reason: "failing" },
      ]);
    });
    await drained(app.id, ops.app.id);
    const events = await received(ops.hook, ops.webhook.secret);
    expect(events.map((e) => e.type).sort()).toEqual([
      ...Array(6).fill("event.exhausted"),
      "webhook.disabled",
      "webhook.failing",
    ]);
    expect((await api("GET", `/v1/webhooks/${webhook.id}`)).body.disabled_reason).toBe("failing");
  });

  test("a manual disable: webhook.disabled (manual), once per disabling", async () => {
    const ops = await operations();
    const app = await createApplication();
    const webhook = await createWebhook(app.id, "https://example.com/h");
    await reportTo(webhook.id, ops.uid);

    expect((await api("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: false })).status).toBe(200);
    // Already disabled: no transition, nothing more.
    expect((await api("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: false })).status).toBe(200);
    await eventually(async () => {
      const events = await received(ops.hook, ops.webhook.secret);
      expect(ofType(events, "webhook.disabled", webhook.id)).toHaveLength(1);
    });
    await drained(app.id, ops.app.id);
    const events = await received(ops.hook, ops.webhook.secret);
    expect(events).toEqual([
      {
        type: "webhook.disabled",
        timestamp: expect.any(String),
        data: { webhook_id: webhook.id, application_id: app.id, reason: "manual" },
      },
    ]);
  });

  test("a publish that fails is kept, and a later alarm publishes it, once", async () => {
    const ops = await operations();
    const app = await createApplication();
    const webhook = await createWebhook(app.id, "https://example.com/h");
    await reportTo(webhook.id, ops.uid);
    // The ingest objects cannot be reached: every publish throws.
    let tries = 0;
    const unreachable = {
      idFromName: (name: string) => env.INGEST_DO.idFromName(name),
      get: () => ({
        accept: () => {
          tries += 1;
          return Promise.reject(new Error("ingest unreachable"));
        },
      }),
    } as unknown as DurableObjectNamespace<IngestDO>;
    await inObject(webhook.id, (instance) => {
      instance.deps = { ...instance.deps, ingestObjects: unreachable };
    });
    const pending = () =>
      inObject(webhook.id, (_i, state) => state.storage.sql.exec("SELECT count(*) AS n FROM operational").one().n);

    expect((await api("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: false })).status).toBe(200);
    // Its publish was tried and refused: the event is kept, for the alarm.
    await eventually(async () => expect(tries).toBeGreaterThan(0));
    expect(await pending()).toBe(1);
    expect(await alarmAt(webhook.id)).not.toBeNull();
    expect((await ops.hook.received()).requests).toHaveLength(0);

    // Reachable again: the alarm publishes it.
    await inObject(webhook.id, (instance) => {
      instance.deps = { ...instance.deps, ingestObjects: env.INGEST_DO };
    });
    await runDurableObjectAlarm(webhookObject(webhook.id));
    await eventually(async () => expect(await pending()).toBe(0));
    await eventually(async () => {
      const events = await received(ops.hook, ops.webhook.secret);
      expect(ofType(events, "webhook.disabled", webhook.id)).toHaveLength(1);
    });
    await drained(app.id, ops.app.id);
    expect((await ops.hook.received()).requests).toHaveLength(1);
  });

  test("nothing about the operations application's own webhooks", async () => {
    const ops = await operations();
    const gone = newHook(receiverUrl);
    await gone.script({ otherwise: { status: 410 } });
    const own = await createWebhook(ops.app.id, gone.url);
    await reportTo(own.id, ops.uid);

    await publish(ops.app.id, "ping", { n: 1 });
    await eventually(async () =>
      expect((await api("GET", `/v1/webhooks/${own.id}`)).body.disabled_reason).toBe("gone"),
    );
    // Its events were settled (dropped), not left to retry.
    await eventually(async () =>
      expect(
        await inObject(own.id, (_i, state) =>
          state.storage.sql.exec("SELECT count(*) AS n FROM operational").one().n,
        ),
      ).toBe(0),
    );
    await drained(ops.app.id);
    const events = (await ops.hook.received()).requests.map((r) => JSON.parse(r.body));
    // The healthy operations webhook got the ping itself, and nothing about its sibling.
    expect(events).toEqual([{ n: 1 }]);
  });

  test("a portal link switching a webhook off and on 10 times: one webhook.disabled a minute", async () => {
    // Issue #27, point 3: with nothing but a customer's link.
    const ops = await operations();
    const app = await createApplication();
    const webhook = await createWebhook(app.id, "https://example.com/h");
    await reportTo(webhook.id, ops.uid);
    const { token } = await createLink(app.id, { scope: "admin" });

    const minutes = new Set<string>();
    for (let n = 0; n < 10; n++) {
      const off = await api("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: false }, { token });
      expect(off.status).toBe(200);
      minutes.add(minuteOf(off.body.updated_at));
      expect((await api("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: true }, { token })).status).toBe(200);
    }
    await drained(app.id, ops.app.id);
    const events = await received(ops.hook, ops.webhook.secret);
    // One for each minute the toggling touched (two if it ran across a minute's turn), not ten.
    expect(minutes.size).toBeLessThanOrEqual(2);
    expect(events).toHaveLength(minutes.size);
    expect(ofType(events, "webhook.disabled", webhook.id).map((e) => e.data)).toEqual(
      [...minutes].map(() => ({ webhook_id: webhook.id, application_id: app.id, reason: "manual" })),
    );
  });

  test("past the bound, an application's events of a minute are counted, then summarised once", async () => {
    const ops = await operations();
    const app = await createApplication();
    const other = await createApplication();
    // A whole minute, on a clock the test sets.
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const at = (ms: number) => {
      const deps = makeDeps(env);
      const settings = { ...deps.settings, operationsApplication: ops.uid, operationalEventsPerMinute: 3 };
      return { ...deps, settings, now: () => new Date(ms) };
    };
    const event = (applicationId: string, n: number, type: OperationalEvent["type"]): OperationalEvent => ({
      key: `hookrelay:${type}:${crypto.randomUUID()}`,
      type,
      timestamp: toRfc3339(minute + n * 1000),
      applicationId,
      data: { webhook_id: crypto.randomUUID(), application_id: applicationId, n },
    });
    const types = ["event.exhausted", "webhook.failing", "event.exhausted", "webhook.disabled", "event.exhausted", "event.exhausted"] as const;
    const flood = types.map((type, n) => event(app.id, n, type));
    const elsewhere = event(other.id, 0, "webhook.disabled");
    const keys = (list: OperationalEvent[]) => new Set(list.map((e) => e.key));

    // During the minute: three published, the other application's one too (counted
    // apart); the fourth carries the summary and waits; the rest are only counted.
    const during = at(minute + 30_000);
    const carrier = flood[3]!;
    const settled = await publishOperational(during, [...flood, elsewhere]);
    expect(new Set(settled)).toEqual(keys([...flood, elsewhere].filter((e) => e !== carrier)));
    expect(await publishOperational(during, [carrier])).toEqual([]);
    // The minute is over: the summary goes in the carrier's stead.
    const after = at(minute + 60_000);
    expect(await publishOperational(after, [carrier])).toEqual([carrier.key]);
    // All of them again: the same places, and nothing is published twice.
    expect(new Set(await publishOperational(after, [...flood, elsewhere]))).toEqual(keys([...flood, elsewhere]));

    await drained(ops.app.id);
    const events = await received(ops.hook, ops.webhook.secret);
    expect(events.filter((e) => e.data.application_id === app.id).map((e) => e.data.n ?? e.type)).toEqual(
      expect.arrayContaining([0, 1, 2, "operational.suppressed"]),
    );
    expect(events).toHaveLength(5);
    const [summary] = events.filter((e) => e.type === "operational.suppressed");
    expect(summary).toEqual({
      type: "operational.suppressed",
      timestamp: toRfc3339(minute + 60_000),
      data: {
        application_id: app.id,
        since: toRfc3339(minute),
        until: toRfc3339(minute + 60_000),
        suppressed: 3,
        types: { "webhook.disabled": 1, "event.exhausted": 2 },
      },
    });
    expect(events.filter((e) => e.data.application_id === other.id)).toHaveLength(1);

    // Retention forgets the tally a day on.
    const tallied = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM operational_tally WHERE application_id = ?")
        .bind(app.id)
        .first<{ n: number }>())!.n;
    expect(await tallied()).toBe(flood.length);
    await purgeHistory(at(minute + DAY_MS - 1));
    expect(await tallied()).toBe(flood.length);
    await purgeHistory(at(minute + DAY_MS + 1));
    expect(await tallied()).toBe(0);
  });

  test("publishing the same transition again delivers nothing twice", async () => {
    const ops = await operations();
    const app = await createApplication();
    const deps = { ...makeDeps(env), settings: { ...makeDeps(env).settings, operationsApplication: ops.uid } };
    const event: OperationalEvent = {
      key: `hookrelay:webhook.disabled:${crypto.randomUUID()}`,
      type: "webhook.disabled",
      timestamp: new Date().toISOString(),
      applicationId: app.id,
      data: { webhook_id: crypto.randomUUID(), application_id: app.id, reason: "failing" },
    };
    expect(await publishOperational(deps, [event])).toEqual([event.key]);
    expect(await publishOperational(deps, [event])).toEqual([event.key]);
    await eventually(async () => expect((await ops.hook.received()).requests).toHaveLength(1));
    await drained(app.id, ops.app.id);
    expect((await ops.hook.received()).requests).toHaveLength(1);

    // Without the setting, or naming no application: settled, nothing published.
    const off = { ...deps, settings: { ...deps.settings, operationsApplication: null } };
    expect(await publishOperational(off, [event])).toEqual([event.key]);
    const unknown = { ...deps, settings: { ...deps.settings, operationsApplication: "no-such-uid" } };
    expect(await publishOperational(unknown, [{ ...event, key: `${event.key}:2` }])).toEqual([`${event.key}:2`]);
  });
});
