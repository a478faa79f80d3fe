import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import worker from "../../src/index";
import { createApplication, createWebhook, eventually, listEvents } from "../helpers/api";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");

describe("the cron sweep", () => {
  test("a message accepted but never enqueued (its queue message lost) is delivered by the sweep", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    // As if the API stored the message and then the process died before the queue had it.
    const id = crypto.randomUUID();
    await env.DB.prepare(
      "INSERT INTO messages (id, application_id, event_type, payload, created_at) VALUES (?, ?, 'lost.message', '{\"n\":1}', ?)",
    )
      .bind(id, app.id, new Date(Date.now() - 60_000).toISOString())
      .run();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env);
    await eventually(async () => expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("success"));
    expect((await hook.received()).requests.map((r) => JSON.parse(r.body))).toEqual([{ n: 1 }]);
  });
});
