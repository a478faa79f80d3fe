/**
 * A SIGKILL while outcomes wait for their batched history write: five
 * webhooks, a receiver that fails a tenth of first attempts, the whole process
 * group killed mid-delivery, restarted on the same state. Every accepted
 * message reaches every webhook, and every event ends up recorded as
 * delivered, with its attempts; duplicates carry the same webhook-id.
 */
import { expect, test } from "vitest";
import { eventually } from "../helpers/eventually";
import type { Hook } from "../helpers/hooks";
import { useRelay } from "../helpers/rig";
import { relayApi } from "../helpers/server";

const MESSAGES = 100;
const WEBHOOKS = 5;
const rig = useRelay();

test("a SIGKILL between attempts and their history write loses no delivery and no history", async () => {
  let api = relayApi(rig.relay);
  const app = (await api.call("POST", "/v1/applications", { name: "history crash" })).body;
  const hooks: Hook[] = [];
  const webhookIds: string[] = [];
  for (let w = 0; w < WEBHOOKS; w++) {
    const hook = rig.hook();
    // Every tenth request fails: about a tenth of first attempts, retried a second later.
    await hook.script({
      responses: Array.from({ length: MESSAGES }, (_, i) => ({ status: i % 10 === 9 ? 500 : 200, delayMs: 20 })),
      otherwise: { status: 200 },
    });
    hooks.push(hook);
    const webhook = (
      await api.call("POST", "/v1/webhooks", {
        application_id: app.id,
        url: hook.url,
        retry_policy: { schedule_seconds: [1, 1, 1, 1, 1] },
      })
    ).body;
    webhookIds.push(webhook.id);
  }

  for (let i = 0; i < MESSAGES; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) => api.publish(app.id, "crash.history", { i: i + j })),
    );
  }
  const receivedCount = async () =>
    (await Promise.all(hooks.map((h) => h.received()))).reduce((n, r) => n + r.requests.length, 0);
  // Deliveries under way, outcomes buffered for their flush: pull the plug.
  await eventually(async () => expect(await receivedCount()).toBeGreaterThan(WEBHOOKS * 10), 60_000, 20);
  const beforeKill = await receivedCount();
  api = relayApi(await rig.killAndRestart());

  let deliveries = 0;
  for (const hook of hooks) {
    const { requests } = await eventually(
      async () => {
        const received = await hook.received();
        const ok = received.requests.filter((_, n) => n % 10 !== 9 || n >= MESSAGES);
        expect(new Set(ok.map((r) => JSON.parse(r.body).i)).size).toBe(MESSAGES);
        return received;
      },
      120_000,
      500,
    );
    deliveries += requests.length;
    const payloadsById = new Map<string, Set<number>>();
    for (const r of requests) {
      const id = r.headers["webhook-id"]!;
      payloadsById.set(id, (payloadsById.get(id) ?? new Set()).add(JSON.parse(r.body).i));
    }
    // One webhook-id per message, whatever was sent twice.
    expect(payloadsById.size).toBe(MESSAGES);
    for (const payloads of payloadsById.values()) expect(payloads.size).toBe(1);
  }

  // The history: every event delivered, with its attempts on record.
  for (const webhookId of webhookIds) {
    const events = await eventually(
      async () => {
        const page = await api.call("GET", `/v1/events?webhook_id=${webhookId}&limit=100`);
        expect(page.body.data).toHaveLength(MESSAGES);
        expect(page.body.data.every((e: any) => e.delivery_status === "success")).toBe(true);
        return page.body.data as { id: string; delivery_attempts: number }[];
      },
      60_000,
      500,
    );
    for (const event of events.slice(0, 10)) {
      const attempts = await api.call("GET", `/v1/events/${event.id}/attempts`);
      expect(attempts.body.data.length).toBeGreaterThanOrEqual(1);
      expect(attempts.body.data.at(-1).http_status_code).toBe(200);
    }
  }
  console.log(
    `history crash test: ${MESSAGES} messages x ${WEBHOOKS} webhooks, ${beforeKill} received before SIGKILL, ${deliveries} deliveries in all`,
  );
});
