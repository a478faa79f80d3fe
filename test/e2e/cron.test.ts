/**
 * The cron runs under `npm start` as it does on Cloudflare: the Worker's
 * scheduled handler, every minute (here every 2 s, RELAY_CRON_INTERVAL_MS),
 * beside the dashboard and the API, and nobody calls POST /v1/maintenance.
 * Messages accepted just before a SIGKILL never reached the queue, which
 * lives in memory; with the boot run of the cron skipped
 * (RELAY_SKIP_RESTART_CRON), only the minute's sweep can find them, once
 * they are 30 s old (src/delivery/sweep.ts), and it does.
 */
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { newHook } from "../helpers/hooks";
import { type Receiver, startReceiver } from "../helpers/receiver";
import { type Relay, relayApi, startRelay } from "../helpers/server";

const BURST = 20;
const CRON = { RELAY_CRON_INTERVAL_MS: "2000" };
let receiver: Receiver;
let relay: Relay | undefined;

beforeAll(async () => {
  receiver = await startReceiver();
});

afterAll(async () => {
  await relay?.stop();
  await receiver.close();
});

test("the minute's cron re-enqueues messages a crash stranded before the queue", async () => {
  relay = await startRelay({ env: CRON });
  const api = relayApi(relay);
  const hook = newHook(receiver.url);
  const app = (await api.call("POST", "/v1/applications", { name: "cron test" })).body;
  const webhook = await api.call("POST", "/v1/webhooks", { application_id: app.id, url: hook.url });
  expect(webhook.status).toBe(201);

  // The queue waits up to 1 s to fill a batch: a kill right after the 202s
  // leaves the burst in D1 and nowhere else.
  const published = await Promise.all(
    Array.from({ length: BURST }, (_, i) => api.publish(app.id, "cron.test", { i })),
  );
  await relay.kill("SIGKILL");

  relay = await startRelay({
    persistTo: relay.persistTo,
    token: relay.token,
    env: { ...CRON, RELAY_SKIP_RESTART_CRON: "true" },
  });
  const restarted = relayApi(relay);

  // The dashboard is served by the same runtime.
  const page = await fetch(`${relay.url}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  await page.body?.cancel();

  // Stranded: accepted, but no event for the webhook yet.
  const strandedAtStart = await countWithoutEvents(restarted, published);
  expect(strandedAtStart).toBeGreaterThan(0);

  await vi.waitFor(
    async () => {
      const delivered = new Set(
        (await hook.received()).requests.map((r) => JSON.parse(r.body).i as number),
      );
      expect(delivered.size).toBe(BURST);
    },
    { timeout: 90_000, interval: 500 },
  );
  expect(await countWithoutEvents(restarted, published)).toBe(0);
  // The sweep said what it did, and no one asked for it over the API.
  const output = relay.output();
  expect(output).toMatch(/"msg":"sweep".*"requeued":[1-9]/);
  expect(output).not.toContain("/v1/maintenance");
});

async function countWithoutEvents(api: ReturnType<typeof relayApi>, ids: string[]) {
  let count = 0;
  for (const id of ids) {
    const res = await api.call("GET", `/v1/messages/${id}`);
    expect(res.status).toBe(200);
    if (res.body.events.length === 0) count += 1;
  }
  return count;
}
