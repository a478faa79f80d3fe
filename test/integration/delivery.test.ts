import { Webhook } from "standardwebhooks";
import { describe, expect, inject, test } from "vitest";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");

describe("delivery", () => {
  test("a published message reaches the webhook, signed as Standard Webhooks", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { headers: { "x-tenant": "acme" } });
    const payload = { amount: 1000, currency: "NGN", note: "héllo ✓" };
    const message = await publish(app.id, "charge.success", payload);

    const request = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(1);
      return requests[0]!;
    });
    expect(JSON.parse(request.body)).toEqual(payload);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["user-agent"]).toMatch(/^hookrelay\/\d+\.\d+\.\d+$/);
    expect(request.headers["x-tenant"]).toBe("acme");
    const verified = new Webhook(webhook.secret).verify(request.body, {
      "webhook-id": request.headers["webhook-id"]!,
      "webhook-timestamp": request.headers["webhook-timestamp"]!,
      "webhook-signature": request.headers["webhook-signature"]!,
    });
    expect(verified).toEqual(payload);

    const events = await eventually(async () => {
      const list = await listEvents(webhook.id);
      expect(list[0]?.delivery_status).toBe("success");
      return list;
    });
    expect(events).toHaveLength(1);
    expect(request.headers["webhook-id"]).toBe(events[0]!.id);
    expect(events[0]!.message_id).toBe(message.id);
  });

  test("health answers without a token", async () => {
    const res = await api("GET", "/v1/health", undefined, { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });
});
