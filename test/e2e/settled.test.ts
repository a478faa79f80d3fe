/**
 * Issue #26, defect 1, black-box: the reproduction on the relay as
 * `npm start` runs it. A webhook with max_in_flight 1 and no retries, a
 * receiver that answers 500 to payloads with `"fail": true`, one batch of 12.
 * Its circuit opens after items 5–9 fail and the object is evicted while it
 * cools down (workerd evicts an idle object after 10 s); when the cooldown
 * ends, the next item goes as the probe, and nothing settled comes back.
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { newHook } from "../helpers/hooks";
import { type Receiver, startReceiver } from "../helpers/receiver";
import { type Relay, relayApi, startRelay } from "../helpers/server";

let relay: Relay | undefined;
let receiver: Receiver | undefined;

beforeAll(async () => {
  [relay, receiver] = await Promise.all([startRelay(), startReceiver()]);
});

afterAll(async () => {
  await relay?.stop();
  await receiver?.close();
  if (relay?.persistTo.startsWith(tmpdir())) await rm(relay.persistTo, { recursive: true, force: true });
});

test("after the circuit's first cooldown, item 10 is the probe and items 0–9 were each sent once", async () => {
  const api = relayApi(relay!);
  const hook = newHook(receiver!.url);
  await hook.script({ when: [{ bodyIncludes: '"fail":true', response: { status: 500 } }] });
  const app = (await api.call("POST", "/v1/applications", { name: "settled e2e" })).body;
  const webhook = (
    await api.call("POST", "/v1/webhooks", {
      application_id: app.id,
      url: hook.url,
      max_in_flight: 1,
      retry_policy: { schedule_seconds: [] },
    })
  ).body;
  const batch = await api.call("POST", "/v1/messages/batch", {
    messages: Array.from({ length: 12 }, (_, i) => ({
      application_id: app.id,
      event_type: "settled.e2e",
      payload: { i, fail: i >= 5 },
    })),
  });
  expect(batch.status).toBe(200);

  const sent = async () =>
    (await hook.received()).requests.map((r) => (JSON.parse(r.body) as { i: number }).i);
  // Until item 10 arrives (the circuit's 30 s cooldown), or something arrives twice.
  const seen = await vi.waitFor(
    async () => {
      const items = await sent();
      if (new Set(items).size === items.length) expect(items).toContain(10);
      return items;
    },
    { timeout: 75_000, interval: 500 },
  );
  expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  const events = (await api.call("GET", `/v1/events?webhook_id=${webhook.id}&limit=100`)).body.data as {
    delivery_status: string;
    delivery_attempts: number;
    next_attempt_at: string | null;
  }[];
  const byStatus = (status: string) => events.filter((e) => e.delivery_status === status);
  expect(byStatus("success")).toHaveLength(5);
  // Item 10's failure reopened the circuit: item 11 waits for the next probe, due in the future.
  await vi.waitFor(async () => {
    const now = (await api.call("GET", `/v1/events?webhook_id=${webhook.id}&limit=100`)).body.data as typeof events;
    expect(now.filter((e) => e.delivery_status === "failed")).toHaveLength(6);
  });
  const [waiting] = byStatus("pending");
  expect(waiting?.delivery_attempts).toBe(0);
  expect(Date.parse(waiting!.next_attempt_at!)).toBeGreaterThan(Date.now());
  expect(await sent()).toHaveLength(11);
});
