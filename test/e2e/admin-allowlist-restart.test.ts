/**
 * Recovery does not depend on the admin allowlist (issue #17, defect 2):
 * with RELAY_ADMIN_ALLOWED_IPS set, a burst published from an allowed
 * address, then a SIGKILL of the whole process group right after, and a
 * restart on the same state: every message is delivered. The boot run of
 * the cron calls the Worker's scheduled handler, not the admin API, so the
 * allowlist has no say in it.
 */
import { expect, test } from "vitest";
import { eventually } from "../helpers/eventually";
import { useRelay } from "../helpers/rig";
import type { Relay } from "../helpers/server";

const BURST = 200;
const ALLOWLIST = { RELAY_ADMIN_ALLOWED_IPS: "203.0.113.0/24" };
/** Inside the allowlist; the local runtime keeps a CF-Connecting-IP that a client sends. */
const ALLOWED_IP = "203.0.113.7";
const rig = useRelay(ALLOWLIST);
let relay: Relay | undefined;

function call(method: string, path: string, body?: unknown, ip = ALLOWED_IP) {
  return fetch(`${relay!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${relay!.token}`,
      "cf-connecting-ip": ip,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test("a burst accepted under an admin allowlist survives a SIGKILL of the group", async () => {
  relay = rig.relay;
  // The allowlist is in force: the admin token from elsewhere is refused.
  const refused = await call("GET", "/v1/applications", undefined, "198.51.100.1");
  expect(refused.status).toBe(403);
  await refused.body?.cancel();

  const hook = rig.hook();
  const app = await (await call("POST", "/v1/applications", { name: "allowlist" })).json();
  const webhook = await call("POST", "/v1/webhooks", { application_id: app.id, url: hook.url });
  expect(webhook.status).toBe(201);
  await webhook.body?.cancel();

  const statuses = await Promise.all(
    Array.from({ length: BURST }, async (_, i) => {
      const res = await call("POST", "/v1/messages", {
        application_id: app.id,
        event_type: "allowlist.test",
        payload: { i },
      });
      await res.body?.cancel();
      return res.status;
    }),
  );
  expect(statuses.filter((s) => s !== 202)).toEqual([]);
  relay = await rig.killAndRestart();
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
});
