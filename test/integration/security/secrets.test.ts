/**
 * SPEC §6: secrets and keys never appear in lists, logs or error bodies. Only
 * four answers may carry them: a webhook's create, GET …/secret and rotate,
 * and an API key's create. Everything else, and every log line written while
 * the calls ran, is scanned for the material itself and for its shape.
 */
import { afterEach, beforeEach, describe, expect, inject, test, vi } from "vitest";
import { ADMIN_TOKEN, type ApiResponse, api, createWebhook } from "../../helpers/api";
import { eventually } from "../../helpers/eventually";
import { newHook } from "../../helpers/hooks";
import { createKey, createTenants } from "./tenants";

const receiverUrl = inject("receiverUrl");

const SHAPES = [/whsec_[A-Za-z0-9+/=]{8,}/, /whsk_[A-Za-z0-9+/=]{8,}/, /hr_[A-Za-z0-9_-]{20,}/];

/** Logs show no key prefix (lists may) and no key hash either. */
const LOG_SHAPES = [...SHAPES, /hr_[A-Za-z0-9_-]{4,}/, /\b[0-9a-f]{64}\b/];

let logged: string[] = [];

beforeEach(() => {
  logged = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[level].bind(console);
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
      original(...args);
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

function expectClean(where: string, text: string, secrets: string[], shapes = SHAPES) {
  const shown = secrets.filter((secret) => text.includes(secret)).map((s) => s.slice(0, 8));
  expect(shown, `${where} shows a secret`).toEqual([]);
  const shaped = shapes.flatMap((shape) => text.match(shape) ?? []);
  expect(shaped, `${where} shows key or secret material`).toEqual([]);
}

function dump(res: ApiResponse): string {
  return `${JSON.stringify(res.body)} ${JSON.stringify([...res.headers])}`;
}

describe("secrets stay out of answers and logs", () => {
  test("lists, reads and error bodies carry no webhook secret and no API key", async () => {
    const tenants = await createTenants();
    const hook = newHook(receiverUrl);
    const webhook = await createWebhook(tenants.appA, hook.url);
    const rotated = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    const given = `whsec_${btoa("a chosen secret of 32 bytes!!!!!")}`;
    const chosen = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`, {
      secret: given,
    });
    expect(chosen.status).toBe(200);
    // A webhook that signs with a key pair too, rotated: its private keys must never show.
    const keyed = await createWebhook(tenants.appA, hook.url, { signature_scheme: "v1+v1a" });
    const keyedRotated = await api("POST", `/v1/webhooks/${keyed.id}/secret/rotate`);
    expect(keyedRotated.status).toBe(200);
    const publisher = tenants.keys["publisher key"];
    const published = await api(
      "POST",
      "/v1/messages",
      {
        application_id: tenants.appA,
        event_type: "secret.scan",
        payload: { ok: true },
      },
      { token: publisher },
    );
    expect(published.status).toBe(202);
    const test_ = await api("POST", `/v1/webhooks/${webhook.id}/test`);
    await eventually(async () => {
      const res = await api("GET", `/v1/events/${test_.body.id}`);
      expect(res.body.delivery_status).toBe("success");
    });
    const extra = await createKey({
      name: "scan",
      scope: "admin",
      application_id: tenants.appA,
    });

    const secrets = [
      webhook.secret,
      rotated.body.secret,
      given,
      keyed.secret,
      keyedRotated.body.secret,
      extra.key,
      ADMIN_TOKEN,
      ...Object.values(tenants.keys),
    ];
    const admin = tenants.keys["admin key"];
    const reader = tenants.keys["reader key"];
    const wrongSecret = `whsec_${"x".repeat(10)}`;
    const calls: Array<[string, string, unknown?, Parameters<typeof api>[3]?]> = [
      // lists and reads
      ["GET", "/v1/api-keys?limit=100"],
      ["GET", `/v1/api-keys?application_id=${tenants.appA}`, undefined, { token: admin }],
      ["GET", `/v1/applications/${tenants.appA}/portal-links`, undefined, { token: admin }],
      ["GET", "/v1/applications?limit=100"],
      ["GET", `/v1/applications/${tenants.appA}`, undefined, { token: reader }],
      ["GET", `/v1/webhooks?application_id=${tenants.appA}`],
      ["GET", `/v1/webhooks?application_id=${tenants.appA}`, undefined, { token: reader }],
      ["GET", `/v1/webhooks/${webhook.id}`],
      ["PATCH", `/v1/webhooks/${webhook.id}`, { name: "scanned" }],
      ["GET", `/v1/webhooks/${webhook.id}/stats`],
      ["GET", `/v1/webhooks/${keyed.id}`],
      ["GET", `/v1/webhooks/${keyed.id}/jwks`, undefined, { token: reader }],
      ["PATCH", `/v1/webhooks/${keyed.id}`, { signature_scheme: "v1a" }],
      ["GET", `/v1/messages/${published.body.id}`],
      ["GET", `/v1/events?webhook_id=${webhook.id}`],
      ["GET", `/v1/events/${test_.body.id}`],
      ["GET", `/v1/events/${test_.body.id}/attempts`],
      // errors that hold a secret in the request
      ["POST", `/v1/webhooks/${webhook.id}/secret/rotate`, { secret: wrongSecret }],
      ["POST", "/v1/webhooks", { application_id: tenants.appA, url: "x", secret: given }],
      [
        "POST",
        "/v1/webhooks",
        { application_id: crypto.randomUUID(), url: hook.url, secret: given },
      ],
      ["POST", "/v1/api-keys", { name: "x", scope: "admin", key: extra.key }],
      ["GET", "/v1/applications", undefined, { token: `${extra.key}x` }],
      ["GET", "/v1/applications", undefined, { token: extra.key.slice(0, -1) }],
      ["GET", "/v1/applications", undefined, { token: `${ADMIN_TOKEN}!` }],
      ["GET", `/v1/webhooks/${webhook.id}/secret`, undefined, { token: reader }],
      ["GET", `/v1/webhooks/${webhook.id}/secret`, undefined, { token: publisher }],
      [
        "GET",
        `/v1/webhooks/${webhook.id}/secret`,
        undefined,
        { token: tenants.keys["other app key"] },
      ],
      [
        "GET",
        `/v1/applications/${tenants.appA}`,
        undefined,
        {
          token: tenants.keys["refused address"],
          headers: { "cf-connecting-ip": "198.51.100.7" },
        },
      ],
      [
        "POST",
        "/v1/api-keys",
        undefined,
        {
          raw: `{"key": "${extra.key}"`,
          headers: { "content-type": "application/json" },
        },
      ],
    ];
    for (const [method, path, body, options] of calls) {
      const res = await api(method, path, body, options);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expectClean(`${method} ${path} (${res.status})`, dump(res), secrets.concat(wrongSecret));
    }
    // Delete last, so the scan above saw the key listed.
    expect((await api("DELETE", `/v1/api-keys/${extra.id}`)).status).toBe(200);
    await eventually(async () => {
      const received = await hook.received();
      expect(received.requests.length).toBeGreaterThan(0);
    });
    expectClean("logs", logged.join("\n"), secrets.concat(wrongSecret), LOG_SHAPES);
    expect(logged.length).toBeGreaterThan(0);
  });
});

/**
 * A D1 binding whose inserts fail, as a lost race or a full disk makes them
 * fail: drizzle then throws "Failed query: … params: …", every bound value
 * (signing secret, key hash, key prefix) in its message.
 */
function failingInserts(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") {
        return (query: string) => {
          const statement = target.prepare(query);
          if (!/^\s*insert/i.test(query)) return statement;
          const fail = () =>
            Promise.reject(new Error("D1_ERROR: database or disk is full: SQLITE_FULL"));
          const failing = { bind: () => failing, run: fail, all: fail, raw: fail, first: fail };
          return failing;
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("secrets stay out of the logs when a query fails", () => {
  test("a failed insert logs its class, statement and request id, never its parameters", async () => {
    const { env } = await import("cloudflare:workers");
    const { createApp } = await import("../../../src/app");
    const { makeDeps } = await import("../../../src/deps");
    const { createDb } = await import("../../../src/db/client");
    const broken = createApp((e) => ({ ...makeDeps(e), db: createDb(failingInserts(e.DB)) }));
    const call = (path: string, body: unknown) =>
      broken.request(
        path,
        {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        },
        env,
      );
    const app = (await api("POST", "/v1/applications", { name: "failing inserts" })).body;
    const secret = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY";
    const answers = [
      await call("/v1/webhooks", { application_id: app.id, url: `${receiverUrl}/x`, secret }),
      await call("/v1/api-keys", { name: "doomed", scope: "admin", application_id: app.id }),
      await call("/v1/applications", { name: "doomed", uid: "uid-in-params" }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(500);
      const text = await answer.text();
      expectClean("a 500's body", text, [secret]);
      expect(text).not.toContain("Failed query");
    }
    const errors = logged.filter((line) => line.includes('"unhandled error"'));
    expect(errors).toHaveLength(3);
    const all = logged.join("\n");
    expectClean("logs of failed queries", all, [secret], LOG_SHAPES);
    expect(all).not.toContain("Failed query");
    expect(all).not.toContain("uid-in-params");
    const first = JSON.parse(errors[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      error_class: "DrizzleQueryError",
      error_code: "SQLITE_FULL",
      operation: "insert webhooks",
    });
    expect(first.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(errors[1]!)).toMatchObject({ operation: "insert api_keys" });
  });
});
