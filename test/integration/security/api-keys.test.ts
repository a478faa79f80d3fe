import { env } from "cloudflare:workers";
import { describe, expect, test } from "vitest";
import { createApp } from "../../../src/app";
import { makeDeps } from "../../../src/deps";
import type { Settings } from "../../../src/env";
import { sha256Hex } from "../../../src/lib/crypto";
import { ADMIN_TOKEN, api, createApplication } from "../../helpers/api";
import { eventually } from "../../helpers/eventually";
import { drained } from "../../helpers/drain";
import { recordedMessageCount } from "../../helpers/history";
import { createKey } from "./tenants";

async function countKeys(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM api_keys").first<{
    n: number;
  }>();
  return row!.n;
}

async function lastUsedAt(id: string): Promise<string | null> {
  const row = await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?")
    .bind(id)
    .first<{ last_used_at: string | null }>();
  return row!.last_used_at;
}

/** An app with some settings changed, called without going through the Worker's entry. */
function appWith(settings: Partial<Settings>, bindings: Record<string, unknown> = {}) {
  const app = createApp((e) => {
    const deps = makeDeps(e);
    return { ...deps, settings: { ...deps.settings, ...settings } };
  });
  // The Rate Limiting binding, if wrangler.toml declares one, is left out: these
  // tests exercise the in-isolate limiter with their own small limit.
  const testEnv = { ...env, API_RATE_LIMITER: undefined, ...bindings };
  return async (
    method: string,
    path: string,
    options: { token?: string; address?: string; body?: unknown } = {},
  ) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token ?? ADMIN_TOKEN}`,
    };
    if (options.address) headers["cf-connecting-ip"] = options.address;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const res = await app.request(
      path,
      {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      },
      testEnv,
    );
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as any,
    };
  };
}

describe("API keys", () => {
  test("the key is shown once, stored as its SHA-256, and works at once", async () => {
    const app = await createApplication();
    const created = await api("POST", "/v1/api-keys", {
      name: "billing backend",
      scope: "reader",
      application_id: app.id,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: "api_key",
      name: "billing backend",
      scope: "reader",
      application_id: app.id,
      allowed_ips: null,
      last_used_at: null,
      key: expect.stringMatching(/^hr_[A-Za-z0-9_-]{43}$/),
    });
    const { id, key } = created.body;
    expect(created.body.key_prefix).toBe(key.slice(0, 11));

    const stored = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first();
    expect(stored!.key_hash).toBe(await sha256Hex(key));
    expect(JSON.stringify(stored)).not.toContain(key);

    const listed = await api("GET", `/v1/api-keys?application_id=${app.id}`);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).not.toHaveProperty("key");
    expect(listed.body.data[0]).not.toHaveProperty("key_hash");
    expect(JSON.stringify(listed.body)).not.toContain(key);

    const read = await api("GET", `/v1/applications/${app.id}`, undefined, {
      token: key,
    });
    expect(read.status).toBe(200);
  });

  test("last_used_at is written on use, then at most once a minute", async () => {
    const app = await createApplication();
    const { id, key } = await createKey({
      name: "k",
      scope: "reader",
      application_id: app.id,
    });
    expect(await lastUsedAt(id)).toBeNull();
    await api("GET", `/v1/applications/${app.id}`, undefined, { token: key });
    const first = await eventually(async () => {
      const at = await lastUsedAt(id);
      expect(at).not.toBeNull();
      return at!;
    });
    await api("GET", `/v1/applications/${app.id}`, undefined, { token: key });
    await api("GET", `/v1/applications/${app.id}`, undefined, { token: key });
    expect(await lastUsedAt(id)).toBe(first);

    const twoMinutesAgo = new Date(Date.now() - 120_000).toISOString();
    await env.DB.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
      .bind(twoMinutesAgo, id)
      .run();
    await api("GET", `/v1/applications/${app.id}`, undefined, { token: key });
    await eventually(async () => expect(await lastUsedAt(id)).not.toBe(twoMinutesAgo));
    const listed = await api("GET", `/v1/api-keys?application_id=${app.id}`);
    expect(listed.body.data[0].last_used_at).toBe(await lastUsedAt(id));
  });

  test("a deleted key, or one whose application is deleted, is refused at once", async () => {
    const app = await createApplication();
    const one = await createKey({
      name: "a",
      scope: "reader",
      application_id: app.id,
    });
    const two = await createKey({
      name: "b",
      scope: "reader",
      application_id: app.id,
    });
    expect((await api("DELETE", `/v1/api-keys/${one.id}`)).body).toEqual({
      object: "api_key",
      id: one.id,
      deleted: true,
    });
    expect((await api("GET", "/v1/applications", undefined, { token: one.key })).status).toBe(401);
    expect((await api("DELETE", `/v1/api-keys/${one.id}`)).status).toBe(404);
    expect((await api("GET", "/v1/applications", undefined, { token: two.key })).status).toBe(200);
    await api("DELETE", `/v1/applications/${app.id}`);
    expect((await api("GET", "/v1/applications", undefined, { token: two.key })).status).toBe(401);
  });

  test("bad input is a 422 naming the field, an unknown application a 404, and nothing is stored", async () => {
    const app = await createApplication();
    const before = await countKeys();
    const good = { name: "k", scope: "reader", application_id: app.id };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "" }, "name"],
      [{ name: 7 }, "name"],
      [{ scope: "owner" }, "scope"],
      [{ scope: undefined }, "scope"],
      [{ application_id: "app_1" }, "application_id"],
      [{ allowed_ips: [] }, "allowed_ips"],
      [{ allowed_ips: "203.0.113.0/24" }, "allowed_ips"],
      [{ allowed_ips: ["203.0.113.0/33"] }, "allowed_ips.0"],
      [{ allowed_ips: ["10.0.0.1", "2001:db8::/129"] }, "allowed_ips.1"],
      [{ allowed_ips: ["010.0.0.1"] }, "allowed_ips.0"],
      [{ allowed_ips: ["example.com"] }, "allowed_ips.0"],
      [{ key: `hr_${"A".repeat(43)}` }, ""],
      [{ key_hash: "00" }, ""],
    ];
    for (const [override, path] of cases) {
      const res = await api("POST", "/v1/api-keys", { ...good, ...override });
      expect(res.status, JSON.stringify(override)).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      if (path) expect(res.body.errors.map((e: any) => e.path)).toContain(path);
    }
    const missing = await api("POST", "/v1/api-keys", {
      ...good,
      application_id: crypto.randomUUID(),
    });
    expect(missing.status).toBe(404);
    expect(await countKeys()).toBe(before);
  });

  test("a confined admin key manages keys of its own application only", async () => {
    const a = await createApplication();
    const b = await createApplication();
    const admin = await createKey({
      name: "a admin",
      scope: "admin",
      application_id: a.id,
    });
    const ofB = await createKey({
      name: "b reader",
      scope: "reader",
      application_id: b.id,
    });
    const unconfined = await createKey({ name: "global", scope: "reader" });
    const as = { token: admin.key };

    const before = await countKeys();
    expect((await api("POST", "/v1/api-keys", { name: "x", scope: "admin" }, as)).status).toBe(403);
    expect(
      (await api("POST", "/v1/api-keys", { name: "x", scope: "admin", application_id: b.id }, as))
        .status,
    ).toBe(404);
    expect(await countKeys()).toBe(before);
    const own = await api(
      "POST",
      "/v1/api-keys",
      { name: "x", scope: "publisher", application_id: a.id },
      as,
    );
    expect(own.status).toBe(201);

    const listed = await api("GET", "/v1/api-keys?limit=100", undefined, as);
    expect(listed.body.data.map((k: any) => k.application_id)).toEqual([a.id, a.id]);
    expect((await api("GET", `/v1/api-keys?application_id=${b.id}`, undefined, as)).status).toBe(
      404,
    );
    expect((await api("DELETE", `/v1/api-keys/${ofB.id}`, undefined, as)).status).toBe(404);
    expect((await api("DELETE", `/v1/api-keys/${unconfined.id}`, undefined, as)).status).toBe(404);
    expect((await api("DELETE", `/v1/api-keys/${own.body.id}`, undefined, as)).status).toBe(200);
    await api("DELETE", `/v1/api-keys/${unconfined.id}`);
  });
});

describe("IP allowlists", () => {
  test("a key with allowed_ips is accepted from those ranges only, IPv4 and IPv6", async () => {
    const app = await createApplication();
    const { key } = await createKey({
      name: "pinned",
      scope: "reader",
      application_id: app.id,
      allowed_ips: ["203.0.113.0/24", "2001:db8::/32", "192.0.2.1"],
    });
    const from = async (address?: string) =>
      (
        await api("GET", `/v1/applications/${app.id}`, undefined, {
          token: key,
          headers: address === undefined ? {} : { "cf-connecting-ip": address },
        })
      ).status;
    for (const address of [
      "203.0.113.9",
      " 203.0.113.9 ",
      "::ffff:203.0.113.9",
      "2001:db8::1",
      "2001:DB8:ffff::abcd",
      "192.0.2.1",
    ]) {
      expect(await from(address), address).toBe(200);
    }
    for (const address of [
      undefined,
      "",
      "198.51.100.7",
      "192.0.2.2",
      "2001:db9::1",
      "203.0.114.1",
      "not an address",
      "203.0.113.9, 198.51.100.7",
    ]) {
      const status = await from(address);
      expect(status, String(address)).toBe(403);
    }
  });

  test("RELAY_ADMIN_ALLOWED_IPS restricts the admin token, and only the admin token", async () => {
    const application = await createApplication();
    const { key } = await createKey({
      name: "k",
      scope: "reader",
      application_id: application.id,
    });
    const call = appWith({
      adminAllowedIps: ["203.0.113.0/24", "2001:db8::/32"],
    });
    expect((await call("GET", "/v1/applications", { address: "203.0.113.200" })).status).toBe(200);
    expect((await call("GET", "/v1/applications", { address: "2001:db8::7" })).status).toBe(200);
    const refused = await call("GET", "/v1/applications", {
      address: "198.51.100.7",
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect((await call("GET", "/v1/applications")).status).toBe(403);
    expect(
      (
        await call("GET", "/v1/applications", {
          token: key,
          address: "198.51.100.7",
        })
      ).status,
    ).toBe(200);

    // A malformed setting fails closed for the admin token.
    const broken = appWith({ adminAllowedIps: ["203.0.113.0/24", "everyone"] });
    const res = await broken("GET", "/v1/applications", {
      address: "203.0.113.200",
    });
    expect(res.status).toBe(503);
    expect(res.body.detail).toContain("RELAY_ADMIN_ALLOWED_IPS");
  });
});

describe("minted keys stay within the minting key's allowlist", () => {
  test("an admin key with allowed_ips mints keys inside its ranges only", async () => {
    const application = await createApplication();
    const { key: admin } = await createKey({
      name: "pinned admin",
      scope: "admin",
      allowed_ips: ["203.0.113.0/24", "2001:db8::/32"],
    });
    const mint = (allowed_ips?: string[] | null) =>
      api(
        "POST",
        "/v1/api-keys",
        {
          name: "minted",
          scope: "publisher",
          application_id: application.id,
          ...(allowed_ips === undefined ? {} : { allowed_ips }),
        },
        { token: admin, headers: { "cf-connecting-ip": "203.0.113.9" } },
      );
    for (const shed of [undefined, null, ["0.0.0.0/0"], ["203.0.0.0/16"], ["198.51.100.7"],
      ["203.0.113.0/25", "2001:db9::/32"], ["2001::/16"], ["::/0"]]) {
      const res = await mint(shed);
      expect(res.status, JSON.stringify(shed)).toBe(403);
      expect(res.body.detail).toContain("allowed_ips");
    }
    for (const inside of [["203.0.113.0/24"], ["203.0.113.128/25", "2001:db8:1::/48"], ["203.0.113.7"],
      ["::ffff:203.0.113.0/120"], ["2001:db8::1"]]) {
      expect((await mint(inside)).status, JSON.stringify(inside)).toBe(201);
    }
  });

  test("the admin token under RELAY_ADMIN_ALLOWED_IPS mints keys inside those ranges only", async () => {
    const call = appWith({ adminAllowedIps: ["203.0.113.0/24"] });
    const mint = (body: Record<string, unknown>) =>
      call("POST", "/v1/api-keys", {
        address: "203.0.113.9",
        body: { name: "minted", scope: "reader", ...body },
      });
    expect((await mint({})).status).toBe(403);
    expect((await mint({ allowed_ips: ["198.51.100.0/24"] })).status).toBe(403);
    expect((await mint({ allowed_ips: ["203.0.113.64/26"] })).status).toBe(201);
    // Without the setting the admin token mints as before.
    expect((await appWith({})("POST", "/v1/api-keys", { body: { name: "free", scope: "reader" } })).status).toBe(201);
  });
});

describe("per-key rate limits", () => {
  test("a key over its limit gets 429 with Retry-After; other keys and the admin token do not", async () => {
    const app = await createApplication();
    const noisy = await createKey({
      name: "noisy",
      scope: "reader",
      application_id: app.id,
    });
    const quiet = await createKey({
      name: "quiet",
      scope: "reader",
      application_id: app.id,
    });
    const call = appWith({ rateLimitPerMinute: 3 });
    const path = `/v1/applications/${app.id}`;
    for (let i = 0; i < 3; i++)
      expect((await call("GET", path, { token: noisy.key })).status).toBe(200);
    const limited = await call("GET", path, { token: noisy.key });
    // Unless the minute turned just now, in which case the window is fresh.
    if (limited.status !== 200) {
      expect(limited.status).toBe(429);
      expect(limited.headers.get("content-type")).toBe("application/problem+json");
      expect(limited.body).toMatchObject({
        status: 429,
        title: "Too Many Requests",
      });
      const retryAfter = Number(limited.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    expect((await call("GET", path, { token: quiet.key })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call("GET", path)).status).toBe(200);
  });

  test("a refused request stores nothing, and 0 switches limits off", async () => {
    const app = await createApplication();
    const publisher = await createKey({
      name: "p",
      scope: "publisher",
      application_id: app.id,
    });
    const call = appWith({ rateLimitPerMinute: 1 });
    const body = { application_id: app.id, event_type: "a.b", payload: {} };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await call("POST", "/v1/messages", { token: publisher.key, body })).status);
    }
    const accepted = statuses.filter((s) => s === 202).length;
    expect(statuses.filter((s) => s === 429).length).toBe(4 - accepted);
    expect(accepted).toBeLessThanOrEqual(2); // 1 per window; at most one window boundary
    // Messages are recorded behind the queue: once everything accepted has
    // gone through, the accepted ones are there and no more.
    await drained(app.id);
    expect(await recordedMessageCount(app.id)).toBe(accepted);

    const unlimited = appWith({ rateLimitPerMinute: 0 });
    for (let i = 0; i < 5; i++) {
      expect(
        (
          await unlimited("POST", "/v1/messages", {
            token: publisher.key,
            body,
          })
        ).status,
      ).toBe(202);
    }
  });

  test("with the Cloudflare binding, its answer decides", async () => {
    const app = await createApplication();
    const { key } = await createKey({
      name: "k",
      scope: "reader",
      application_id: app.id,
    });
    const seen: string[] = [];
    const binding = {
      limit: async ({ key }: { key: string }) => {
        seen.push(key);
        return { success: false };
      },
    };
    const call = appWith({ rateLimitPerMinute: 600 }, { API_RATE_LIMITER: binding });
    const res = await call("GET", `/v1/applications/${app.id}`, { token: key });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^api-key:/);
  });
});
