/**
 * Issue #26, defect 1: a settled event stays settled. The webhook's object
 * keeps, for every event it holds, whether it is still waiting or settled,
 * so no re-read of its storage (a restart or an eviction while the circuit
 * cools down, an alarm, a disable) brings a settled event back, and the
 * events behind a stuck one still go out.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import { fanOut } from "../../src/delivery/fan-out/fan-out";
import { makeDeps } from "../../src/deps";
import { api, createApplication, createWebhook, listEvents } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { recordedEventCount, unrecordMessage } from "../helpers/history";
import { newHook } from "../helpers/hooks";
import { advanceClock, inObject, restartObject, webhookObject } from "../helpers/objects";
import { accepted, publishTask } from "../helpers/tasks";

const receiverUrl = inject("receiverUrl");

/** How many of the webhook's events the history has recorded: the outcomes flushed. */
const recordedCount = recordedEventCount;

/** Requests per webhook-id, as the receiver got them. */
function perEvent(requests: { headers: Record<string, string> }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(r.headers["webhook-id"]!, (counts.get(r.headers["webhook-id"]!) ?? 0) + 1);
  return counts;
}

describe("a settled event is never sent again", () => {
  test("the issue's reproduction: 12 items, a circuit that cycles, restarts between: each item sent once", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ when: [{ bodyIncludes: '"fail":true', response: { status: 500 } }] });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      max_in_flight: 1,
      retry_policy: { schedule_seconds: [] },
    });
    const batch = await api("POST", "/v1/messages/batch", {
      messages: Array.from({ length: 12 }, (_, i) => ({
        application_id: app.id,
        event_type: "settled.test",
        payload: { i, fail: i >= 5 },
      })),
    });
    expect(batch.status).toBe(200);

    // 5 successes, 5 failures open the circuit; 2 wait behind it.
    await eventually(async () => {
      const events = await listEvents(webhook.id);
      expect(events.filter((e) => e.delivery_status === "success")).toHaveLength(5);
      expect(events.filter((e) => e.delivery_status === "failed")).toHaveLength(5);
    });
    expect(await inObject(webhook.id, (o) => o.circuitState().openUntil)).not.toBeNull();

    // Twice: the object is evicted while the circuit cools down (30 s, then 60 s after a
    // failed probe), then its alarm sends the next probe.
    for (const later of [31_000, 31_000 + 61_000]) {
      await restartObject(webhook.id);
      await advanceClock(webhook.id, later);
      await runDurableObjectAlarm(webhookObject(webhook.id));
    }

    const { requests } = await eventually(async () => {
      const received = await hook.received();
      expect(received.requests.length).toBeGreaterThanOrEqual(12);
      return received;
    });
    const sent = requests.map((r) => (JSON.parse(r.body) as { i: number }).i);
    expect(sent.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await eventually(async () => expect(await inObject(webhook.id, (o) => o.heldCount())).toBe(0));
    const events = await listEvents(webhook.id);
    expect(events).toHaveLength(12);
    expect(events.filter((e) => e.delivery_status === "success")).toHaveLength(5);
    expect(events.filter((e) => e.delivery_status === "failed")).toHaveLength(7);
    for (const event of events) expect(event.delivery_attempts).toBe(1);
    expect((await hook.received()).requests).toHaveLength(12);
  });

  test("a restart re-sends what was in flight, not what had settled in the same hand-over", async () => {
    const hook = newHook(receiverUrl);
    // Ten answered at once; then two hang, in flight when the object restarts.
    await hook.script({
      responses: Array.from({ length: 10 }, () => ({ status: 200 })),
      otherwise: { status: 200, delayMs: 60_000 },
    });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { max_in_flight: 2, timeout_ms: 30_000 });
    const batch = await api("POST", "/v1/messages/batch", {
      messages: Array.from({ length: 20 }, (_, i) => ({ application_id: app.id, event_type: "crash.bound", payload: { i } })),
    });
    expect(batch.status).toBe(200);
    // The ten outcomes are in D1, and two more attempts hang.
    await eventually(async () => {
      expect(await recordedCount(webhook.id)).toBe(10);
      expect((await hook.received()).requests).toHaveLength(12);
    });

    await restartObject(webhook.id);
    await hook.script({ otherwise: { status: 200 } });
    await runDurableObjectAlarm(webhookObject(webhook.id));
    await eventually(async () => {
      expect(await recordedCount(webhook.id)).toBe(20);
      expect(await inObject(webhook.id, (o) => o.heldCount())).toBe(0);
    });
    const counts = perEvent((await hook.received()).requests);
    expect(counts.size).toBe(20);
    // Sent twice: only the two that were in flight when it restarted.
    expect([...counts.values()].filter((n) => n > 1)).toEqual([2, 2]);
  });

  test("a hand-over repeated after the object forgot a settled event sends nothing again", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    const task = publishTask([accepted(app.id, "settled.test", { once: true })]);
    await fanOut(makeDeps(env), [task]);
    await eventually(async () => {
      expect(await recordedCount(webhook.id)).toBe(1);
      expect(await inObject(webhook.id, (o) => o.heldCount())).toBe(0);
    });
    // As if the consumer had died before recording the message: its task comes again,
    // to an object that has restarted since and remembers nothing of the event.
    await unrecordMessage(task.messages[0]!.id);
    await restartObject(webhook.id);
    expect([...(await fanOut(makeDeps(env), [{ ...task, again: true }]))]).toEqual([task.messages[0]!.id]);
    await runDurableObjectAlarm(webhookObject(webhook.id));
    expect(await inObject(webhook.id, (o) => o.heldCount())).toBe(0);
    expect((await hook.received()).requests).toHaveLength(1);
    expect((await listEvents(webhook.id))[0]).toMatchObject({ delivery_status: "success", delivery_attempts: 1 });
  });
});
