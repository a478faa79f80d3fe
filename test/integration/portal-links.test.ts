/**
 * Expiring API keys and portal links (SPEC §7.8): expiry at the instant, a
 * link confined to its application and scope and to a customer's reach (its
 * webhooks and their history, never keys, links, the application record,
 * publishing or certificates), revocation at once and leaving nothing
 * behind, the list of live links, who may create links, and bad input.
 */
import { env } from "cloudflare:workers";
import { describe, expect, test } from "vitest";
import { createApp } from "../../src/app";
import { makeDeps } from "../../src/deps";
import { sha256Hex } from "../../src/lib/crypto";
import { purgeHistory } from "../../src/maintenance/retention";
import { ADMIN_TOKEN, api, createApplication, createWebhook } from "../helpers/api";
import { createKey, createLink, linkToken as tokenOf } from "./security/tenants";

/** The Worker's app on a clock the test sets, so an expiry can be met to the millisecond. */
function appAt(clock: { now: number }) {
  const app = createApp((e) => ({ ...makeDeps(e), now: () => new Date(clock.now) }));
  const testEnv = { ...env, API_RATE_LIMITER: undefined };
  return async (method: string, path: string, token: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await app.request(
      path,
      { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
      testEnv,
    );
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };
}

async function countWebhooks(applicationId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM webhooks WHERE application_id = ?")
    .bind(applicationId)
    .first<{ n: number }>();
  return row!.n;
}

async function countKeys(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM api_keys").first<{ n: number }>();
  return row!.n;
}

describe("expiring API keys", () => {
  test("a key works until expires_at and is a 401 problem from that instant", async () => {
    const app = await createApplication();
    const expiresAt = new Date(Date.now() + 3_600_000);
    const created = await createKey({
      name: "temporary",
      scope: "reader",
      application_id: app.id,
      // Any offset is accepted and stored in UTC.
      expires_at: expiresAt.toISOString().replace("Z", "+00:00"),
    });
    expect(created.expires_at).toBe(expiresAt.toISOString());
    const listed = await api("GET", `/v1/api-keys?application_id=${app.id}`);
    expect(listed.body.data[0].expires_at).toBe(expiresAt.toISOString());

    const clock = { now: expiresAt.getTime() - 1 };
    const call = appAt(clock);
    expect((await call("GET", `/v1/applications/${app.id}`, created.key)).status).toBe(200);
    clock.now = expiresAt.getTime();
    const expired = await call("GET", `/v1/applications/${app.id}`, created.key);
    expect(expired.status).toBe(401);
    expect(expired.headers.get("content-type")).toBe("application/problem+json");
    expect(expired.body).toMatchObject({ status: 401, detail: "The token has expired." });
    // A key without expires_at never expires.
    const forever = await createKey({ name: "forever", scope: "reader", application_id: app.id });
    expect(forever.expires_at).toBeNull();
    clock.now = Date.parse("9999-01-01T00:00:00Z");
    expect((await call("GET", `/v1/applications/${app.id}`, forever.key)).status).toBe(200);
  });

  test("expires_at must be a future time; a refused key is not stored", async () => {
    const before = await countKeys();
    for (const expires_at of [new Date(Date.now() - 1000).toISOString(), "tomorrow", 1234]) {
      const res = await api("POST", "/v1/api-keys", { name: "k", scope: "reader", expires_at });
      expect(res.status).toBe(422);
      expect(new Set(res.body.errors.map((e: { path: string }) => e.path))).toEqual(
        new Set(["expires_at"]),
      );
    }
    expect(await countKeys()).toBe(before);
  });

  test("a key that expires may mint only keys that expire no later", async () => {
    const app = await createApplication();
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    const parent = await createKey({
      name: "parent",
      scope: "admin",
      application_id: app.id,
      expires_at: expiresAt,
    });
    const mint = (expires_at?: string) =>
      api(
        "POST",
        "/v1/api-keys",
        { name: "child", scope: "reader", application_id: app.id, expires_at },
        { token: parent.key },
      );
    expect((await mint()).status).toBe(403);
    expect((await mint(new Date(Date.parse(expiresAt) + 1).toISOString())).status).toBe(403);
    expect((await mint(expiresAt)).status).toBe(201);
  });
});

describe("portal links", () => {
  test("a link opens the dashboard with a key confined to its application and scope", async () => {
    const mine = await createApplication();
    const theirs = await createApplication();
    const started = Date.now();
    const res = await api("POST", `/v1/applications/${mine.id}/portal-links`, {});
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "portal_link",
      id: expect.any(String),
      application_id: mine.id,
      scope: "admin",
      url: expect.stringMatching(/^http:\/\/relay\.test\/#token=hr_[A-Za-z0-9_-]{43}$/),
    });
    const expiresMs = Date.parse(res.body.expires_at);
    expect(expiresMs).toBeGreaterThanOrEqual(started + 3_600_000);
    expect(expiresMs).toBeLessThanOrEqual(Date.now() + 3_600_000);
    const token = tokenOf(res.body.url);

    // Stored as a hash, like any key, and not listed among the API keys.
    const stored = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?")
      .bind(res.body.id)
      .first();
    expect(stored!.key_hash).toBe(await sha256Hex(token));
    expect(JSON.stringify(stored)).not.toContain(token);
    const keys = await api("GET", `/v1/api-keys?application_id=${mine.id}`);
    expect(keys.body.data).toEqual([]);

    // A Bearer token within its application: sees it alone, not the other.
    const list = await api("GET", "/v1/applications", undefined, { token });
    expect(list.body.data.map((a: { id: string }) => a.id)).toEqual([mine.id]);
    expect((await api("GET", `/v1/applications/${theirs.id}`, undefined, { token })).status).toBe(404);
    const hook = { application_id: mine.id, url: "http://127.0.0.1:9/hook" };
    expect((await api("POST", "/v1/webhooks", hook, { token })).status).toBe(201);
    expect(
      (await api("POST", "/v1/webhooks", { ...hook, application_id: theirs.id }, { token })).status,
    ).toBe(404);
    // It cannot outlive itself through a key of its own.
    const mint = await api(
      "POST",
      "/v1/api-keys",
      { name: "escape", scope: "admin", application_id: mine.id },
      { token },
    );
    expect(mint.status).toBe(403);

    // A reader link reads and may change nothing.
    const reader = tokenOf((await createLink(mine.id, { scope: "reader", ttl_seconds: 60 })).url);
    expect((await api("GET", `/v1/applications/${mine.id}`, undefined, { token: reader })).status).toBe(200);
    expect((await api("POST", "/v1/webhooks", hook, { token: reader })).status).toBe(403);
  });

  test("a link expires at its instant and is revoked at once", async () => {
    const app = await createApplication();
    const link = await createLink(app.id, { ttl_seconds: 120 });
    const token = tokenOf(link.url);
    const clock = { now: Date.parse(link.expires_at) - 1 };
    const call = appAt(clock);
    expect((await call("GET", `/v1/applications/${app.id}`, token)).status).toBe(200);
    clock.now += 1;
    const expired = await call("GET", `/v1/applications/${app.id}`, token);
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toBe("This portal link has expired.");

    const other = await createLink(app.id);
    const otherToken = tokenOf(other.url);
    expect((await api("GET", `/v1/applications/${app.id}`, undefined, { token: otherToken })).status).toBe(200);
    // Not an API key: that route does not know it.
    expect((await api("DELETE", `/v1/api-keys/${other.id}`)).status).toBe(404);
    const revoked = await api("DELETE", `/v1/portal-links/${other.id}`);
    expect(revoked.body).toEqual({ object: "portal_link", id: other.id, deleted: true });
    const refused = await api("GET", `/v1/applications/${app.id}`, undefined, { token: otherToken });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect((await api("DELETE", `/v1/portal-links/${other.id}`)).status).toBe(404);
  });

  test("a confined admin key makes links for its own application only; other scopes none", async () => {
    const a = await createApplication();
    const b = await createApplication();
    const adminA = await createKey({ name: "a", scope: "admin", application_id: a.id });
    const readerA = await createKey({ name: "r", scope: "reader", application_id: a.id });
    const publisherA = await createKey({ name: "p", scope: "publisher", application_id: a.id });
    const adminB = await createKey({ name: "b", scope: "admin", application_id: b.id });
    const create = (app: string, token: string) =>
      api("POST", `/v1/applications/${app}/portal-links`, {}, { token });

    expect((await create(b.id, adminA.key)).status).toBe(404);
    expect((await create(a.id, readerA.key)).status).toBe(403);
    expect((await create(a.id, publisherA.key)).status).toBe(403);
    const own = await create(a.id, adminA.key);
    expect(own.status).toBe(201);
    expect((await create("01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00", ADMIN_TOKEN)).status).toBe(404);
    // Another application's admin cannot revoke it; its own can.
    expect((await api("DELETE", `/v1/portal-links/${own.body.id}`, undefined, { token: adminB.key })).status).toBe(404);
    expect((await api("DELETE", `/v1/portal-links/${own.body.id}`, undefined, { token: readerA.key })).status).toBe(403);
    expect((await api("DELETE", `/v1/portal-links/${own.body.id}`, undefined, { token: adminA.key })).status).toBe(200);
  });

  test("a link made by a key that expires sooner expires with it; a restricted key's link keeps the restriction", async () => {
    const app = await createApplication();
    const soon = new Date(Date.now() + 300_000).toISOString();
    const parent = await createKey({
      name: "short",
      scope: "admin",
      application_id: app.id,
      expires_at: soon,
    });
    const link = await createLink(app.id, { ttl_seconds: 86_400 }, parent.key);
    expect(link.expires_at).toBe(soon);

    const restricted = await createKey({
      name: "office",
      scope: "admin",
      application_id: app.id,
      allowed_ips: ["203.0.113.0/24"],
    });
    const fromOffice = { "cf-connecting-ip": "203.0.113.5" };
    const res = await api(
      "POST",
      `/v1/applications/${app.id}/portal-links`,
      {},
      { token: restricted.key, headers: fromOffice },
    );
    expect(res.status).toBe(201);
    const token = tokenOf(res.body.url);
    const read = (headers: Record<string, string>) =>
      api("GET", `/v1/applications/${app.id}`, undefined, { token, headers });
    expect((await read({ "cf-connecting-ip": "198.51.100.7" })).status).toBe(403);
    expect((await read(fromOffice)).status).toBe(200);
  });

  test("retention removes portal links a day after they expired, and no API key", async () => {
    const app = await createApplication();
    const link = await createLink(app.id, { ttl_seconds: 60 });
    const key = await createKey({
      name: "expiring",
      scope: "reader",
      application_id: app.id,
      expires_at: link.expires_at,
    });
    const exists = async (id: string) =>
      (await env.DB.prepare("SELECT 1 AS one FROM api_keys WHERE id = ?").bind(id).first()) !== null;
    const at = (ms: number) => ({ ...makeDeps(env), now: () => new Date(ms) });
    const dayAfter = Date.parse(link.expires_at) + 86_400_000;
    await purgeHistory(at(dayAfter - 1));
    expect(await exists(link.id)).toBe(true);
    await purgeHistory(at(dayAfter + 1));
    expect(await exists(link.id)).toBe(false);
    expect(await exists(key.id)).toBe(true);
  });

  test("revoking a link leaves nothing working: a link mints neither links nor keys", async () => {
    // Issue #27, point 1, as the issue tells it.
    const app = await createApplication();
    const webhook = await createWebhook(app.id, "http://127.0.0.1:9/hook");
    const link = await createLink(app.id, { ttl_seconds: 86_400 });
    const token = tokenOf(link.url);
    const before = await countKeys();

    const minted = await api("POST", `/v1/applications/${app.id}/portal-links`, {}, { token });
    expect(minted.status).toBe(403);
    expect(minted.headers.get("content-type")).toBe("application/problem+json");
    const key = await api(
      "POST",
      "/v1/api-keys",
      { name: "escape", scope: "admin", application_id: app.id, expires_at: link.expires_at },
      { token },
    );
    expect(key.status).toBe(403);
    expect(await countKeys()).toBe(before);
    const listed = await api("GET", `/v1/applications/${app.id}/portal-links`);
    expect(listed.body.data.map((l: { id: string }) => l.id)).toEqual([link.id]);
    expect((await api("GET", `/v1/api-keys?application_id=${app.id}`)).body.data).toEqual([]);

    // The link works until the admin deletes it; then nothing it touched answers to it.
    expect((await api("GET", `/v1/webhooks/${webhook.id}/secret`, undefined, { token })).status).toBe(200);
    expect((await api("DELETE", `/v1/portal-links/${link.id}`)).status).toBe(200);
    expect((await api("GET", `/v1/webhooks/${webhook.id}/secret`, undefined, { token })).status).toBe(401);
    expect((await api("GET", `/v1/applications/${app.id}/portal-links`)).body.data).toEqual([]);
    expect(await countKeys()).toBe(before - 1);
  });

  test("the list shows the live links only, newest first, paged, never a token", async () => {
    const app = await createApplication();
    const other = await createApplication();
    const short = await createLink(app.id, { ttl_seconds: 60 });
    const reader = await createLink(app.id, { scope: "reader", ttl_seconds: 600 });
    const revoked = await createLink(app.id);
    const newest = await createLink(app.id, { ttl_seconds: 86_400 });
    await createLink(other.id);
    expect((await api("DELETE", `/v1/portal-links/${revoked.id}`)).status).toBe(200);

    const all = await api("GET", `/v1/applications/${app.id}/portal-links`);
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      object: "list",
      data: [newest, reader, short].map((l) => ({
        object: "portal_link",
        id: l.id,
        application_id: app.id,
        scope: l.scope,
        expires_at: l.expires_at,
        created_at: l.created_at,
      })),
      next_cursor: null,
    });
    expect(JSON.stringify(all.body)).not.toMatch(/hr_|token|url/);

    // Paged like any list.
    const first = await api("GET", `/v1/applications/${app.id}/portal-links?limit=2`);
    expect(first.body.data.map((l: { id: string }) => l.id)).toEqual([newest.id, reader.id]);
    const rest = await api(
      "GET",
      `/v1/applications/${app.id}/portal-links?limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(rest.body.data.map((l: { id: string }) => l.id)).toEqual([short.id]);
    expect(rest.body.next_cursor).toBeNull();

    // From its expiry on, a link is not listed.
    const clock = { now: Date.parse(short.expires_at) };
    const later = await appAt(clock)("GET", `/v1/applications/${app.id}/portal-links`, ADMIN_TOKEN);
    expect(later.body.data.map((l: { id: string }) => l.id)).toEqual([newest.id, reader.id]);

    // Admin keys within reach list them; other keys and links may not.
    const adminA = await createKey({ name: "a", scope: "admin", application_id: app.id });
    const adminB = await createKey({ name: "b", scope: "admin", application_id: other.id });
    const readerA = await createKey({ name: "r", scope: "reader", application_id: app.id });
    const list = (token: string) =>
      api("GET", `/v1/applications/${app.id}/portal-links`, undefined, { token });
    expect((await list(adminA.key)).body.data).toHaveLength(3);
    expect((await list(adminB.key)).status).toBe(404);
    expect((await list(readerA.key)).status).toBe(403);
    expect((await list(tokenOf(newest.url))).status).toBe(403);
    expect((await api("GET", "/v1/applications/01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00/portal-links")).status).toBe(404);
  });

  test("a link has a customer's reach: its webhooks, not the provider's application, keys, publishing or certificates", async () => {
    // Issue #27, point 2.
    const app = await createApplication({ metadata: { plan: "pro" } });
    const link = await createLink(app.id);
    const token = tokenOf(link.url);
    const as = (method: string, path: string, body?: unknown) => api(method, path, body, { token });
    const publisher = await createKey({ name: "backend", scope: "publisher", application_id: app.id });
    const keysBefore = await countKeys();

    expect((await as("PATCH", `/v1/applications/${app.id}`, { metadata: { plan: "free-forever" } })).status).toBe(403);
    expect((await as("DELETE", `/v1/applications/${app.id}`)).status).toBe(403);
    const publish = { application_id: app.id, event_type: "forged", payload: { n: 1 } };
    expect((await as("POST", "/v1/messages", publish)).status).toBe(403);
    expect((await as("POST", "/v1/messages/batch", { messages: [publish] })).status).toBe(403);
    expect((await as("GET", `/v1/api-keys?application_id=${app.id}`)).status).toBe(403);
    expect((await as("POST", "/v1/api-keys", { name: "k", scope: "reader", application_id: app.id })).status).toBe(403);
    expect((await as("DELETE", `/v1/api-keys/${publisher.id}`)).status).toBe(403);
    expect((await as("DELETE", `/v1/portal-links/${link.id}`)).status).toBe(403);
    expect((await as("GET", "/v1/tls-client-certificates")).status).toBe(403);
    // Nothing of it happened.
    const stored = await api("GET", `/v1/applications/${app.id}`);
    expect(stored.body.metadata).toEqual({ plan: "pro" });
    expect(await countKeys()).toBe(keysBefore);
    const message = { application_id: app.id, event_type: "real", payload: {} };
    expect((await api("POST", "/v1/messages", message, { token: publisher.key })).status).toBe(202);

    // Its own webhooks it manages, but never with the provider's certificate.
    const url = "http://127.0.0.1:9/hook";
    const before = await countWebhooks(app.id);
    const withCert = await as("POST", "/v1/webhooks", {
      application_id: app.id,
      url,
      tls_client_certificate: "TEST_CLIENT_CERT",
    });
    expect(withCert.status).toBe(403);
    expect(withCert.headers.get("content-type")).toBe("application/problem+json");
    // Not even a name that is not bound: a 422 there would tell which names are.
    expect(
      (await as("POST", "/v1/webhooks", { application_id: app.id, url, tls_client_certificate: "NOPE" })).status,
    ).toBe(403);
    expect(await countWebhooks(app.id)).toBe(before);
    const own = await as("POST", "/v1/webhooks", { application_id: app.id, url, tls_client_certificate: null });
    expect(own.status).toBe(201);
    expect((await as("PATCH", `/v1/webhooks/${own.body.id}`, { tls_client_certificate: "TEST_CLIENT_CERT" })).status).toBe(403);
    expect((await api("GET", `/v1/webhooks/${own.body.id}`)).body.tls_client_certificate).toBeNull();

    // One the provider set up with its certificate: the link sees the name, keeps
    // it as it is (a form sends every field), but may neither clear it nor move the webhook.
    const mtls = await createWebhook(app.id, url, { tls_client_certificate: "TEST_CLIENT_CERT" });
    const seen = await as("GET", `/v1/webhooks/${mtls.id}`);
    expect(seen.body.tls_client_certificate).toBe("TEST_CLIENT_CERT");
    const kept = await as("PATCH", `/v1/webhooks/${mtls.id}`, {
      name: "renamed by the customer",
      url,
      tls_client_certificate: "TEST_CLIENT_CERT",
    });
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ name: "renamed by the customer", tls_client_certificate: "TEST_CLIENT_CERT" });
    expect((await as("PATCH", `/v1/webhooks/${mtls.id}`, { tls_client_certificate: null })).status).toBe(403);
    expect((await as("PATCH", `/v1/webhooks/${mtls.id}`, { url: "http://127.0.0.2:9/elsewhere" })).status).toBe(403);
    expect((await api("GET", `/v1/webhooks/${mtls.id}`)).body).toMatchObject({
      url,
      tls_client_certificate: "TEST_CLIENT_CERT",
    });
    // The provider itself may move it.
    expect((await api("PATCH", `/v1/webhooks/${mtls.id}`, { url: "http://127.0.0.2:9/elsewhere" })).status).toBe(200);
  });

  test("bad input is a 422 naming the field, and nothing is stored", async () => {
    const app = await createApplication();
    const before = await countKeys();
    const cases: Array<[unknown, string]> = [
      [{ ttl_seconds: 59 }, "ttl_seconds"],
      [{ ttl_seconds: 86_401 }, "ttl_seconds"],
      [{ ttl_seconds: 1.5 }, "ttl_seconds"],
      [{ ttl_seconds: "3600" }, "ttl_seconds"],
      [{ scope: "publisher" }, "scope"],
      [{ scope: null }, "scope"],
      [{ url: "https://evil.example" }, "body"],
    ];
    for (const [body, path] of cases) {
      const res = await api("POST", `/v1/applications/${app.id}/portal-links`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    }
    expect((await api("POST", `/v1/applications/not-an-id/portal-links`, {})).status).toBe(422);
    expect((await api("DELETE", `/v1/portal-links/not-an-id`)).status).toBe(422);
    expect(await countKeys()).toBe(before);
    // No body at all is the defaults.
    const res = await api("POST", `/v1/applications/${app.id}/portal-links`);
    expect(res.status).toBe(201);
    expect(res.body.scope).toBe("admin");
  });
});
