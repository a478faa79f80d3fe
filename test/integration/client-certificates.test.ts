/**
 * SPEC §7.3: two-way TLS. A webhook's `tls_client_certificate` names an
 * [[mtls_certificates]] binding; deliveries go through that binding's fetch.
 * mTLS bindings have no local form (Miniflare proxies them to Cloudflare), so
 * vitest.config.ts binds a stand-in Worker as TEST_CLIENT_CERT that fetches
 * the request as given and marks it; RELAY_MTLS_CERTIFICATES lists it (and
 * MISSING_CERT, which has no binding).
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import { createApp } from "../../src/app";
import { makeDeps } from "../../src/deps";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";
import { inObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");

async function webhookCount(applicationId: string): Promise<number> {
  return (await env.DB.prepare("SELECT count(*) AS n FROM webhooks WHERE application_id = ?")
    .bind(applicationId)
    .first<{ n: number }>())!.n;
}

describe("two-way TLS", () => {
  test("the bound certificates are listed; names that are not bound are 422 and store nothing", async () => {
    const list = await api("GET", "/v1/tls-client-certificates");
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ object: "list", data: ["TEST_CLIENT_CERT"] });

    const app = await createApplication();
    const url = `${receiverUrl}/hooks/refused`;
    for (const name of ["NOPE", "MISSING_CERT", "DB", "WEBHOOK_DO", "ASSETS", ""]) {
      const res = await api("POST", "/v1/webhooks", { application_id: app.id, url, tls_client_certificate: name });
      expect(res.status, name).toBe(422);
      expect(res.body.errors[0].path).toBe("tls_client_certificate");
    }
    expect(await webhookCount(app.id)).toBe(0);
    const webhook = await createWebhook(app.id, url);
    const patched = await api("PATCH", `/v1/webhooks/${webhook.id}`, { tls_client_certificate: "NOPE" });
    expect(patched.status).toBe(422);
    expect((await api("GET", `/v1/webhooks/${webhook.id}`)).body.tls_client_certificate).toBeNull();
  });

  test("deliveries go through the named binding and nowhere else", async () => {
    const app = await createApplication();
    const hook = newHook(receiverUrl);
    const webhook = await createWebhook(app.id, hook.url, { tls_client_certificate: "TEST_CLIENT_CERT" });
    expect(webhook.tls_client_certificate).toBe("TEST_CLIENT_CERT");
    let plainFetches = 0;
    await inObject(webhook.id, (instance) => {
      instance.deps = {
        ...instance.deps,
        fetch: (input, init) => {
          plainFetches += 1;
          return fetch(input, init);
        },
      };
    });
    await publish(app.id, "mtls.one", { n: 1 });
    await publish(app.id, "mtls.two", { n: 2 });
    const requests = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(2);
      return requests;
    });
    for (const request of requests) {
      expect(request.headers["x-client-certificate"]).toBe("TEST_CLIENT_CERT");
      expect(request.headers["webhook-signature"]).toMatch(/^v1,/);
    }
    expect(plainFetches).toBe(0);

    // Back to no certificate: plain fetch again, no mark.
    await api("PATCH", `/v1/webhooks/${webhook.id}`, { tls_client_certificate: null });
    await publish(app.id, "mtls.three", { n: 3 });
    const plain = await eventually(async () => {
      const { requests: all } = await hook.received();
      expect(all).toHaveLength(3);
      return all[2]!;
    });
    expect(plain.headers["x-client-certificate"]).toBeUndefined();
    expect(plainFetches).toBe(1);
  });

  test("timeouts and no-redirects still hold through the binding", async () => {
    const app = await createApplication();
    const hook = newHook(receiverUrl);
    await hook.script({
      responses: [
        { status: 302, headers: { location: `${receiverUrl}/hooks/elsewhere` } },
        { delayMs: 3_000 },
      ],
    });
    const webhook = await createWebhook(app.id, hook.url, {
      tls_client_certificate: "TEST_CLIENT_CERT",
      timeout_ms: 1_000,
      retry_policy: { schedule_seconds: [] },
    });
    await publish(app.id, "mtls.redirect", {});
    await publish(app.id, "mtls.slow", {});
    const events = await eventually(async () => {
      const list = await listEvents(webhook.id);
      expect(list).toHaveLength(2);
      for (const e of list) expect(e.delivery_status).toBe("failed");
      return list;
    }, 30_000);
    const messages = events.map((e) => e.error_message).sort();
    expect(messages[0]).toMatch(/^HTTP 302: redirects are not followed/);
    expect(messages[1]).toBe("timeout: no response within 1000 ms");
    const { requests } = await hook.received();
    // The redirect was not followed: nothing reached /hooks/elsewhere through this bucket.
    expect(requests).toHaveLength(2);
    expect(requests.every((r) => r.headers["x-client-certificate"] === "TEST_CLIENT_CERT")).toBe(true);
  });

  test("URL safety holds whatever the certificate", async () => {
    const strict = createApp((e) => {
      const deps = makeDeps(e);
      return { ...deps, settings: { ...deps.settings, allowPrivateUrls: false } };
    });
    const app = await createApplication();
    const res = await strict.request(
      "/v1/webhooks",
      {
        method: "POST",
        headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
        body: JSON.stringify({
          application_id: app.id,
          url: "http://127.0.0.1:9/hook",
          tls_client_certificate: "TEST_CLIENT_CERT",
        }),
      },
      env,
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).errors[0].path).toBe("url");
    expect(await webhookCount(app.id)).toBe(0);
  });

  test("listing the certificates takes an admin key", async () => {
    const app = await createApplication();
    const reader = await api("POST", "/v1/api-keys", { name: "r", scope: "reader", application_id: app.id });
    const res = await api("GET", "/v1/tls-client-certificates", undefined, { token: reader.body.key });
    expect(res.status).toBe(403);
  });
});
