/**
 * A history shard that fills up, through SIGKILLs (SPEC §8.1, issue #29):
 * its tenant's publishes are refused with 503 before acceptance while
 * another tenant's, on the other shard, go on; every message accepted
 * before, including those whose history the full shard refused, is
 * delivered and recorded once the shard has room again. The relay's process
 * group is killed twice, each time with history still unwritten.
 */
import { expect, test } from "vitest";
import { shardFor, slotOf } from "../../src/storage/layout";
import { eventually } from "../helpers/eventually";
import { useRelay } from "../helpers/rig";
import { relayApi } from "../helpers/server";

const rig = useRelay();
/** The shards of wrangler.toml, as the routing rule sees them. */
const SHARDS = [
  { name: "HISTORY_0", since: 0 },
  { name: "HISTORY_1", since: 0 },
];
const FULL = { RELAY_HISTORY_SHARD_LIMIT_BYTES: "HISTORY_1=1" };

test("a full shard refuses its tenant before acceptance, the other goes on; nothing accepted is lost through SIGKILLs", async () => {
  let api = relayApi(rig.relay);
  /** An application routed to `shard` now and in the next slot. */
  const applicationOn = async (shard: string) => {
    for (let tries = 0; tries < 40; tries++) {
      const app = (await api.call("POST", "/v1/applications", { name: `on ${shard}` })).body;
      const slot = slotOf(Date.now());
      if ([slot, slot + 1].every((s) => shardFor(SHARDS, app.id, s).name === shard)) return app;
    }
    throw new Error(`no application routed to ${shard}`);
  };
  const served = await applicationOn("HISTORY_0");
  const filling = await applicationOn("HISTORY_1");
  const hooks = { served: rig.hook(), filling: rig.hook() };
  // Slow, so that its outcomes are still being written when the plug is pulled.
  await hooks.filling.script({ otherwise: { status: 200, delayMs: 150 } });
  const webhooks = {
    served: (await api.call("POST", "/v1/webhooks", { application_id: served.id, url: hooks.served.url })).body,
    filling: (await api.call("POST", "/v1/webhooks", { application_id: filling.id, url: hooks.filling.url })).body,
  };
  const accepted = { served: [] as string[], filling: [] as string[] };
  const publish = async (tenant: "served" | "filling", n: number) => {
    const app = tenant === "served" ? served : filling;
    const res = await api.call("POST", "/v1/messages", { application_id: app.id, event_type: "fill", payload: { tenant, n } });
    if (res.status === 202) accepted[tenant].push(res.body.id);
    return res;
  };

  // Both shards have room: everything is accepted; the plug is pulled as the consumer records it.
  for (let n = 0; n < 20; n++) {
    expect((await publish("filling", n)).status).toBe(202);
    expect((await publish("served", n)).status).toBe(202);
  }
  await rig.relay.kill("SIGKILL");

  // HISTORY_1 is full now: its tenant is refused before anything is stored, the other goes on.
  api = relayApi(await rig.restart(FULL));
  for (let n = 20; n < 30; n++) {
    const refused = await publish("filling", n);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ status: 503, type: "https://hookrelay.dev/problems/history-unavailable" });
    expect((await publish("served", n)).status).toBe(202);
  }
  await eventually(async () => {
    for (const [tenant, count] of [["served", 30], ["filling", 20]] as const) {
      const got = new Set((await hooks[tenant].received()).requests.map((r) => JSON.parse(r.body).n));
      expect(got.size).toBe(count);
    }
  }, 60_000);
  // Delivered, but not all of the full shard's tenant's history is written (its 20 messages and 20 events).
  const storage = await api.call("GET", "/v1/operations/storage");
  expect(storage.body.databases.find((d: any) => d.name === "HISTORY_1").rows).toBeLessThan(40);
  // Killed again, with the full shard's tenant's history still waiting to be written.
  await rig.relay.kill("SIGKILL");

  // Room again: everything accepted is delivered and recorded, the refused never were.
  api = relayApi(await rig.restart({}));
  for (const tenant of ["served", "filling"] as const) {
    await eventually(
      async () => {
        const got = new Set((await hooks[tenant].received()).requests.map((r) => JSON.parse(r.body).n));
        expect(got.size).toBe(accepted[tenant].length);
        const events = await api.call("GET", `/v1/events?webhook_id=${webhooks[tenant].id}&limit=100`);
        expect(events.body.data).toHaveLength(accepted[tenant].length);
        expect(events.body.data.every((e: any) => e.delivery_status === "success")).toBe(true);
        for (const id of accepted[tenant]) {
          const message = await api.call("GET", `/v1/messages/${id}`);
          expect(message.status, id).toBe(200);
          expect(message.body.events).toMatchObject([{ delivery_status: "success" }]);
        }
      },
      120_000,
      500,
    );
  }
  expect(accepted.filling).toHaveLength(20);
  expect(accepted.served).toHaveLength(30);
});
