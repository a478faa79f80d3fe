/**
 * Batch publish survives a crash: five batches of 100 accepted (200, every
 * item 202), the whole process group SIGKILLed at once, before fan-out could
 * take them from the local queue, and a restart on the same state. Every
 * accepted item is delivered, duplicates only with the same webhook-id.
 */
import { expect, test } from "vitest";
import { eventually } from "../helpers/eventually";
import { useRelay } from "../helpers/rig";
import { relayApi } from "../helpers/server";

const BATCHES = 5;
const PER_BATCH = 100;
const rig = useRelay();

test("every item of batches accepted just before a SIGKILL is delivered after the restart", async () => {
  const api = relayApi(rig.relay);
  const hook = rig.hook();
  const app = (await api.call("POST", "/v1/applications", { name: "batch crash" })).body;
  expect((await api.call("POST", "/v1/webhooks", { application_id: app.id, url: hook.url })).status).toBe(201);

  const answers = await Promise.all(
    Array.from({ length: BATCHES }, (_, b) =>
      api.call("POST", "/v1/messages/batch", {
        messages: Array.from({ length: PER_BATCH }, (_, j) => ({
          application_id: app.id,
          event_type: "batch.crash",
          payload: { i: b * PER_BATCH + j },
        })),
      }),
    ),
  );
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    expect(answer.body.data.every((e: { status: number }) => e.status === 202)).toBe(true);
  }
  await rig.killAndRestart();
  const { requests } = await eventually(
    async () => {
      const received = await hook.received();
      expect(new Set(received.requests.map((r) => JSON.parse(r.body).i)).size).toBe(BATCHES * PER_BATCH);
      return received;
    },
    120_000,
    500,
  );
  const payloadsById = new Map<string, Set<number>>();
  for (const r of requests) {
    const id = r.headers["webhook-id"]!;
    payloadsById.set(id, (payloadsById.get(id) ?? new Set()).add(JSON.parse(r.body).i));
  }
  expect(payloadsById.size).toBe(BATCHES * PER_BATCH);
  for (const payloads of payloadsById.values()) expect(payloads.size).toBe(1);
});
