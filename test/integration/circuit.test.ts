/**
 * Issue #26, defect 2: a short burst of failures does not stop a webhook for
 * 15 minutes. At the default max_in_flight of 10, ten attempts are in flight
 * when the receiver starts failing; the circuit opens at the fifth failure,
 * and the five that come back failed after it count, but only a failed probe
 * lengthens the cooldown. The receiver is healthy again before the first
 * cooldown ends, so the first probe succeeds and the backlog drains.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { expect, inject, test } from "vitest";
import { INITIAL_COOLDOWN_MS } from "../../src/delivery/policy/circuit";
import { api, createApplication, createWebhook, listEvents } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";
import { advanceClock, inObject, webhookObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");

test("a burst of failures at max_in_flight 10 waits one 30 s cooldown, then the first probe succeeds", async () => {
  const hook = newHook(receiverUrl);
  // The burst: every request fails, slowly enough that ten are in flight at once.
  await hook.script({ otherwise: { status: 500, delayMs: 300 } });
  const app = await createApplication();
  const webhook = await createWebhook(app.id, hook.url);
  const batch = await api("POST", "/v1/messages/batch", {
    messages: Array.from({ length: 20 }, (_, i) => ({ application_id: app.id, event_type: "burst", payload: { i } })),
  });
  expect(batch.status).toBe(200);

  // Open, with every attempt sent answered: those in flight when it opened came back failed too.
  const opened = await eventually(async () => {
    const circuit = await inObject(webhook.id, (o) => o.circuitState());
    expect(circuit.openUntil).not.toBeNull();
    expect(circuit.consecutiveFailures).toBe((await hook.received()).requests.length);
    return circuit;
  });
  expect(opened.consecutiveFailures).toBeGreaterThanOrEqual(10);
  expect(opened.cooldownMs).toBe(INITIAL_COOLDOWN_MS);

  // The receiver recovers; when the first cooldown ends the probe succeeds and everything is delivered.
  await hook.script({ otherwise: { status: 200 } });
  await advanceClock(webhook.id, INITIAL_COOLDOWN_MS + 1_000);
  await runDurableObjectAlarm(webhookObject(webhook.id));
  await eventually(async () => {
    const events = await listEvents(webhook.id);
    expect(events.filter((e) => e.delivery_status === "success")).toHaveLength(20);
  });
  expect(await inObject(webhook.id, (o) => o.circuitState())).toMatchObject({ openUntil: null, consecutiveFailures: 0 });
});
