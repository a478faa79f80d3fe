import { describe, expect, inject, test } from "vitest";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";
import { inObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");
const closedPortUrl = inject("closedPortUrl");

async function settled(webhookId: string, status: string | string[]) {
  const wanted = Array.isArray(status) ? status : [status];
  return eventually(async () => {
    const [event] = await listEvents(webhookId);
    expect(wanted).toContain(event?.delivery_status);
    return event!;
  });
}

/** Seconds between the first attempt's start and the scheduled next attempt. */
async function firstWait(webhookId: string): Promise<number> {
  const event = await settled(webhookId, "retrying");
  const attempts = await api("GET", `/v1/events/${event.id}/attempts`);
  const started = Date.parse(attempts.body.data[0].started_at);
  return (Date.parse(event.next_attempt_at) - started) / 1000;
}

describe("retry policies on a failing endpoint", () => {
  const cases = [
    { name: "default schedule", policy: undefined, wait: 5 },
    { name: "schedule_seconds", policy: { schedule_seconds: [42, 7] }, wait: 42 },
    {
      name: "fixed (Bitpowr)",
      policy: { strategy: "fixed", interval_seconds: 3600, max_attempts: 73 },
      wait: 3600,
    },
    {
      name: "exponential",
      policy: {
        strategy: "exponential",
        initial_interval_seconds: 90,
        multiplier: 3,
        max_interval_seconds: 86_400,
        max_attempts: 20,
      },
      wait: 90,
    },
  ];
  for (const c of cases) {
    test(`${c.name}: the next attempt is scheduled ${c.wait} s out, less at most 10 % jitter`, async () => {
      const hook = newHook(receiverUrl);
      await hook.script({ otherwise: { status: 500 } });
      const app = await createApplication();
      const webhook = await createWebhook(
        app.id,
        hook.url,
        c.policy ? { retry_policy: c.policy } : {},
      );
      await publish(app.id, "x.y", {});
      const wait = await firstWait(webhook.id);
      expect(wait).toBeLessThanOrEqual(c.wait + 1);
      expect(wait).toBeGreaterThanOrEqual(c.wait * 0.9 - 1);
      const [event] = await listEvents(webhook.id);
      expect(event!.max_attempts).toBe(
        c.policy && "max_attempts" in c.policy ? c.policy.max_attempts : c.policy ? 3 : 8,
      );
    });
  }

  test("Retry-After on a 429 pushes the next attempt out at least that far", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 429, headers: { "retry-after": "7200" } } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [1] },
    });
    await publish(app.id, "x.y", {});
    expect(await firstWait(webhook.id)).toBeGreaterThanOrEqual(7200);
  });

  test("Retry-After on a 503 as an HTTP date", async () => {
    const hook = newHook(receiverUrl);
    const at = new Date(Date.now() + 3 * 3600_000).toUTCString();
    await hook.script({ otherwise: { status: 503, headers: { "retry-after": at } } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [1] },
    });
    await publish(app.id, "x.y", {});
    const wait = await firstWait(webhook.id);
    expect(wait).toBeGreaterThan(3 * 3600 - 5);
    expect(wait).toBeLessThan(3 * 3600 + 5);
  });

  test("a failed attempt is stored in the webhook's object within a second, with its attempt", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ responses: [{ status: 500 }], otherwise: { status: 200 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { strategy: "fixed", interval_seconds: 3_600, max_attempts: 3 },
    });
    await publish(app.id, "x.y", { n: 1 });
    const event = await settled(webhook.id, "retrying");
    // Written by the object's own timer: no other write comes to carry it.
    const stored = await eventually(
      () =>
        inObject(webhook.id, (_instance, state) => {
          const waiting = state.storage.sql.exec("SELECT state FROM waiting").toArray();
          const inbox = state.storage.sql.exec("SELECT seq FROM inbox").toArray();
          expect(waiting).toHaveLength(1);
          expect(inbox).toHaveLength(0);
          return JSON.parse(String(waiting[0]!.state));
        }),
      3_000,
    );
    expect(stored).toMatchObject({ eventId: event.id, attempts: 1, httpStatusCode: 500 });
    expect(stored.attemptLog).toHaveLength(1);
  });

  test("a failing endpoint is retried until it answers 2xx", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({
      responses: [{ status: 500 }, { status: 502 }],
      otherwise: { status: 204 },
    });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [0, 0, 0] },
    });
    await publish(app.id, "x.y", { n: 1 });
    const event = await settled(webhook.id, "success");
    expect(event.delivery_attempts).toBe(3);
    const { requests } = await hook.received();
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([event.id]));
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    const attempts = await api("GET", `/v1/events/${event.id}/attempts`);
    expect(attempts.body.data.map((a: any) => a.http_status_code)).toEqual([500, 502, 204]);
  });

  test("410 Gone fails the event at once and disables the webhook (gone)", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 410 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    await publish(app.id, "x.y", {});
    const event = await settled(webhook.id, "failed");
    expect(event.delivery_attempts).toBe(1);
    expect(event.http_status_code).toBe(410);
    const after = await api("GET", `/v1/webhooks/${webhook.id}`);
    expect(after.body.enabled).toBe(false);
    expect(after.body.disabled_reason).toBe("gone");
    // A disabled webhook receives nothing more: once a sentinel webhook of the
    // same application has the next message, the gone one still has only one.
    const sentinel = newHook(receiverUrl);
    await createWebhook(app.id, sentinel.url);
    await publish(app.id, "x.y", { again: true });
    await eventually(async () => expect((await sentinel.received()).requests).toHaveLength(1));
    expect((await hook.received()).requests).toHaveLength(1);
  });

  test("a timeout gives http_status_code 0 and says it timed out", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 200, delayMs: 3000 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      timeout_ms: 1000,
      retry_policy: { schedule_seconds: [] },
    });
    await publish(app.id, "x.y", {});
    const event = await settled(webhook.id, "failed");
    expect(event.http_status_code).toBe(0);
    expect(event.error_message).toMatch(/timeout/i);
  });

  test("a 2xx whose body comes slowly is a success: the status came within the timeout", async () => {
    const hook = newHook(receiverUrl);
    // Headers at once, then a byte every 500 ms: the body takes 5 s, the timeout is 1 s.
    await hook.script({ otherwise: { status: 200, body: "0123456789", dripMs: 500 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { timeout_ms: 1000 });
    await publish(app.id, "x.y", {});
    const event = await settled(webhook.id, ["success", "retrying", "failed"]);
    expect(event).toMatchObject({ delivery_status: "success", delivery_attempts: 1, http_status_code: 200, error_message: "" });
    const [attempt] = (await api("GET", `/v1/events/${event.id}/attempts`)).body.data;
    // What arrived before the deadline, cut there.
    expect("0123456789".startsWith(attempt.response_body)).toBe(true);
    expect(attempt.response_body.length).toBeLessThan(10);
    expect(attempt.duration_ms).toBeLessThan(3000);
    expect((await hook.received()).requests).toHaveLength(1);
  });

  test("a hung attempt times out on time while its webhook's object keeps taking requests", async () => {
    const hook = newHook(receiverUrl);
    // The first request hangs far past the timeout; the rest are answered at once.
    await hook.script({ responses: [{ status: 200, delayMs: 20_000 }], otherwise: { status: 200 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      timeout_ms: 1000,
      retry_policy: { schedule_seconds: [] },
    });
    const hung = await publish(app.id, "x.y", { n: 0 });
    // Its attempt is the first request, the one that hangs.
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(1));
    const started = Date.now();
    // A publish (a hand-over with each queue batch) and a read of the object's
    // events, one after another, until the hung event is settled.
    let published = 1;
    let event: Record<string, any> | undefined;
    while (!event && Date.now() - started < 10_000) {
      await publish(app.id, "x.y", { n: published++ });
      event = (await listEvents(webhook.id)).find(
        (e) => e.message_id === hung.id && e.delivery_status !== "pending",
      );
    }
    expect(event).toMatchObject({ delivery_status: "failed", http_status_code: 0 });
    expect(event!.error_message).toMatch(/timeout/i);
    // Settled well before the receiver would have answered; the messages behind it arrive too.
    expect(Date.now() - started).toBeLessThan(10_000);
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(published));
  });

  test("a refused connection gives http_status_code 0 and says so", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, `${closedPortUrl}/hook`, {
      retry_policy: { schedule_seconds: [] },
    });
    await publish(app.id, "x.y", {});
    const event = await settled(webhook.id, "failed");
    expect(event.http_status_code).toBe(0);
    expect(event.error_message).toMatch(/connection/i);
    expect(event.error_message).not.toMatch(/timeout/i);
  });

  test("a redirect is not followed and counts as a failure", async () => {
    const target = newHook(receiverUrl);
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 302, headers: { location: target.url } } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [] },
    });
    await publish(app.id, "x.y", {});
    const event = await settled(webhook.id, "failed");
    expect(event.http_status_code).toBe(302);
    expect((await target.received()).requests).toHaveLength(0);
  });
});
