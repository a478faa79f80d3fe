/**
 * Nothing accepted is lost: publish a burst to a slow receiver, SIGKILL the
 * relay's whole process group mid-delivery, start it again on the same state,
 * and find every message delivered at least once. Duplicates are allowed, with
 * the same webhook-id, and counted.
 */
import { expect, test } from "vitest";
import { eventually } from "../helpers/eventually";
import { useRelay } from "../helpers/rig";
import { relayApi } from "../helpers/server";

const BURST = 60;
const rig = useRelay();

test("a SIGKILL mid-delivery loses no accepted message", async () => {
  const api = relayApi(rig.relay);
  const hook = rig.hook();
  // Slow enough that the kill lands while most deliveries are queued or in flight.
  await hook.script({ otherwise: { status: 200, delayMs: 250 } });
  const app = (await api.call("POST", "/v1/applications", { name: "crash test" })).body;
  const webhook = (
    await api.call("POST", "/v1/webhooks", {
      application_id: app.id,
      url: hook.url,
      max_in_flight: 2,
      retry_policy: { schedule_seconds: [1, 1, 1, 1, 1] },
    })
  ).body;

  const published = await Promise.all(
    Array.from({ length: BURST }, async (_, i) => {
      const res = await api.call("POST", "/v1/messages", {
        application_id: app.id,
        event_type: "crash.test",
        payload: { i },
      });
      expect(res.status).toBe(202);
      return res.body.id as string;
    }),
  );
  expect(new Set(published).size).toBe(BURST);

  // Let delivery get going, then pull the plug on the whole process group.
  await eventually(async () => expect((await hook.received()).requests.length).toBeGreaterThan(3), 30_000, 50);
  const beforeKill = (await hook.received()).requests.length;
  const restarted = relayApi(await rig.killAndRestart());
  expect(beforeKill).toBeLessThan(BURST);
  await hook.script({ otherwise: { status: 200 } });

  const { requests } = await eventually(
    async () => {
      const received = await hook.received();
      const delivered = new Set(received.requests.map((r) => JSON.parse(r.body).i));
      expect(delivered.size).toBe(BURST);
      return received;
    },
    90_000,
    250,
  );
  const byWebhookId = new Map<string, Set<number>>();
  for (const r of requests) {
    const id = r.headers["webhook-id"]!;
    byWebhookId.set(id, (byWebhookId.get(id) ?? new Set()).add(JSON.parse(r.body).i));
  }
  // A duplicate is the same event again: same webhook-id, same payload.
  expect(byWebhookId.size).toBe(BURST);
  for (const payloads of byWebhookId.values()) expect(payloads.size).toBe(1);
  const duplicates = requests.length - BURST;
  console.log(
    `crash test: ${BURST} messages, ${beforeKill} received before SIGKILL, ${requests.length} deliveries in all, ${duplicates} duplicate(s)`,
  );

  // The history agrees once the relay has recorded everything.
  await eventually(
    async () => {
      const events = await restarted.call(
        "GET",
        `/v1/events?webhook_id=${webhook.id}&limit=100`,
      );
      expect(events.body.data.filter((e: any) => e.delivery_status === "success")).toHaveLength(
        BURST,
      );
    },
    60_000,
    500,
  );
});
