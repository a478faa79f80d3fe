import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import worker from "../../src/index";
import { api, createApplication, createWebhook, eventually, listEvents } from "../helpers/api";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");

/** As if the API stored the message and then the process died before the queue had it. */
async function strandMessage(applicationId: string, ageMs: number, n: number): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    "INSERT INTO messages (id, application_id, event_type, payload, created_at) VALUES (?, ?, 'lost.message', ?, ?)",
  )
    .bind(id, applicationId, JSON.stringify({ n }), new Date(Date.now() - ageMs).toISOString())
    .run();
  return id;
}

describe("the cron sweep", () => {
  test("a message accepted but never enqueued (its queue message lost) is delivered by the sweep", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    await strandMessage(app.id, 60_000, 1);
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env);
    await eventually(async () => expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("success"));
    expect((await hook.received()).requests.map((r) => JSON.parse(r.body))).toEqual([{ n: 1 }]);
  });

  test("POST /v1/maintenance runs it on demand; after_restart also takes messages too young for the cron", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    await strandMessage(app.id, 0, 2);

    const routine = await api("POST", "/v1/maintenance");
    expect(routine.status).toBe(200);
    expect(routine.body).toMatchObject({ object: "maintenance", woken: 0 });
    expect(await listEvents(webhook.id)).toEqual([]);

    const restart = await api("POST", "/v1/maintenance", { after_restart: true });
    expect(restart.status).toBe(200);
    expect(restart.body.requeued).toBeGreaterThanOrEqual(1);
    expect(restart.body.woken).toBeGreaterThanOrEqual(1);
    expect(restart.body.purged).toEqual({ events: expect.any(Number), messages: expect.any(Number) });
    await eventually(async () => expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("success"));
    expect((await hook.received()).requests.map((r) => JSON.parse(r.body))).toEqual([{ n: 2 }]);
  });

  test("POST /v1/maintenance refuses unknown fields and wrong types, naming the field", async () => {
    const wrongType = await api("POST", "/v1/maintenance", { after_restart: "yes" });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.errors.map((e: { path: string }) => e.path)).toEqual(["after_restart"]);
    const unknown = await api("POST", "/v1/maintenance", { purge_everything: true });
    expect(unknown.status).toBe(422);
  });
});
