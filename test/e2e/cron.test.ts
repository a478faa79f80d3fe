/**
 * The cron runs under `npm start` as it does on Cloudflare: the Worker's
 * scheduled handler, every minute (here every 2 s, RELAY_CRON_INTERVAL_MS),
 * beside the dashboard and the API, and nobody calls POST /v1/maintenance.
 * Messages accepted just before a SIGKILL never reached the queue, which
 * lives in memory: the cron's boot run ("@restart") has every ingest object
 * send again what it holds unconfirmed (src/maintenance/sweep.ts), with no call
 * to the maintenance route.
 */
import { expect, test } from "vitest";
import { eventually } from "../helpers/eventually";
import { useRelay } from "../helpers/rig";
import { relayApi } from "../helpers/server";

const BURST = 20;
const rig = useRelay({ RELAY_CRON_INTERVAL_MS: "2000" });

test("the cron runs every minute, and messages a crash stranded before the queue are sent again", async () => {
  const api = relayApi(rig.relay);
  const hook = rig.hook();
  const app = (await api.call("POST", "/v1/applications", { name: "cron test" })).body;
  const webhook = await api.call("POST", "/v1/webhooks", { application_id: app.id, url: hook.url });
  expect(webhook.status).toBe(201);

  // The queue waits up to 1 s to fill a batch: a kill right after the 202s
  // leaves the burst in its ingest objects and nowhere else.
  const published = await Promise.all(
    Array.from({ length: BURST }, (_, i) => api.publish(app.id, "cron.test", { i })),
  );
  const relay = await rig.killAndRestart();
  const restarted = relayApi(relay);

  // The dashboard is served by the same runtime.
  const page = await fetch(`${relay.url}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  await page.body?.cancel();

  await eventually(
    async () => {
      const delivered = new Set(
        (await hook.received()).requests.map((r) => JSON.parse(r.body).i as number),
      );
      expect(delivered.size).toBe(BURST);
    },
    90_000,
    500,
  );
  await eventually(async () => expect(await countUnrecorded(restarted, published)).toBe(0), 30_000, 500);
  // The boot run sent the stranded messages again; the minute's runs go on;
  // no one asked for either over the API.
  await eventually(
    () => expect(relay.output().match(/"msg":"maintenance","time":"[^"]+","after_restart":false/g)?.length).toBeGreaterThan(2),
    30_000,
    500,
  );
  const output = relay.output();
  expect(output).toMatch(/"msg":"maintenance","time":"[^"]+","after_restart":true,"requeued":[1-9]/);
  expect(output).not.toContain("/v1/maintenance");
});

/** Messages accepted but not yet recorded (readable once fan-out has recorded them). */
async function countUnrecorded(api: ReturnType<typeof relayApi>, ids: string[]) {
  let count = 0;
  for (const id of ids) {
    const res = await api.call("GET", `/v1/messages/${id}`);
    if (res.status === 404) count += 1;
    else expect(res.body.events).toHaveLength(1);
  }
  return count;
}
