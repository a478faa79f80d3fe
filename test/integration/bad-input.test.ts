import { describe, expect, test } from "vitest";
import { api, createApplication, createWebhook } from "../helpers/api";
import { eventually } from "../helpers/eventually";

/** Every bad answer is problem+json with the status in the body too. */
function expectProblem(
  res: { status: number; body: any; headers: Headers },
  status: number,
  path?: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  if (path !== undefined) expect(res.body.errors.map((e: any) => e.path)).toContain(path);
}

async function countApplications(): Promise<number> {
  const res = await api("GET", "/v1/applications?limit=100");
  return res.body.data.length;
}

describe("bad input gets a 4xx problem and stores nothing", () => {
  test("missing or bad tokens are 401", async () => {
    expectProblem(await api("GET", "/v1/applications", undefined, { token: null }), 401);
    expectProblem(await api("GET", "/v1/applications", undefined, { token: "nope" }), 401);
    expectProblem(
      await api("GET", "/v1/applications", undefined, {
        token: "",
        headers: { authorization: "Basic Zm9vOmJhcg==" },
      }),
      401,
    );
    const before = await countApplications();
    expectProblem(
      await api(
        "POST",
        "/v1/applications",
        { name: "x" },
        { token: "test-admin-token-but-longer" },
      ),
      401,
    );
    expect(await countApplications()).toBe(before);
  });

  test("malformed JSON is 400 and names where, never quoting the body", async () => {
    for (const raw of ['{"name": "x", whsec_SECRETPASTEDHERE}', "whsec_SECRETPASTEDHERE", '{"name": "x",']) {
      const res = await api("POST", "/v1/applications", undefined, {
        raw,
        headers: { "content-type": "application/json" },
      });
      expectProblem(res, 400);
      expect(res.body.detail).toMatch(/^The request body is not valid JSON( \(at character \d+\))?\.$/);
      expect(JSON.stringify(res.body)).not.toContain("SECRET");
    }
    const located = await api("POST", "/v1/applications", undefined, {
      raw: '{"name": "x", oops}',
      headers: { "content-type": "application/json" },
    });
    expect(located.body.detail).toBe("The request body is not valid JSON (at character 14).");
  });

  test("malformed JSON is 400, a non-JSON body 415, an oversized body 413", async () => {
    const before = await countApplications();
    expectProblem(
      await api("POST", "/v1/applications", undefined, {
        raw: '{"name": "x",',
        headers: { "content-type": "application/json" },
      }),
      400,
    );
    expectProblem(
      await api("POST", "/v1/applications", undefined, {
        raw: "name=x",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
    );
    expectProblem(
      await api("POST", "/v1/applications", undefined, {
        raw: '{"name":"x"}',
        headers: { "content-type": "text/plain" },
      }),
      415,
    );
    expectProblem(await api("POST", "/v1/applications", undefined, { raw: '{"name":"x"}' }), 415);
    const huge = JSON.stringify({ name: "x", metadata: { blob: "a".repeat(300_000) } });
    expectProblem(
      await api("POST", "/v1/applications", undefined, {
        raw: huge,
        headers: { "content-type": "application/json" },
      }),
      413,
    );
    expectProblem(
      await api("POST", "/v1/applications", undefined, {
        raw: "\xff\xfe",
        headers: { "content-type": "application/json" },
      }),
      400,
    );
    expect(await countApplications()).toBe(before);
  });

  test("wrong types and unknown fields are 422 naming the field", async () => {
    const before = await countApplications();
    expectProblem(await api("POST", "/v1/applications", { name: 42 }), 422, "name");
    expectProblem(await api("POST", "/v1/applications", { name: "" }), 422, "name");
    expectProblem(
      await api("POST", "/v1/applications", { name: "ok", webhook_limit: "ten" }),
      422,
      "webhook_limit",
    );
    expectProblem(await api("POST", "/v1/applications", { name: "ok", colour: "red" }), 422);
    expectProblem(await api("POST", "/v1/applications", []), 422);
    expectProblem(await api("POST", "/v1/applications", "just a string"), 422);
    expectProblem(await api("POST", "/v1/applications", null), 422);
    expect(await countApplications()).toBe(before);
  });

  test("webhook settings are checked field by field", async () => {
    const app = await createApplication();
    const good = { application_id: app.id, url: "https://example.com/h" };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url: "not a url" }, "url"],
      [{ url: "ftp://example.com/x" }, "url"],
      [{ url: "https://user:pass@example.com/" }, "url"],
      [{ timeout_ms: 999 }, "timeout_ms"],
      [{ timeout_ms: 30_001 }, "timeout_ms"],
      [{ retry_policy: { schedule_seconds: Array(101).fill(1) } }, "retry_policy.schedule_seconds"],
      [
        { retry_policy: { strategy: "fixed", interval_seconds: 0, max_attempts: 3 } },
        "retry_policy",
      ],
      [{ retry_policy: { strategy: "sometimes" } }, "retry_policy"],
      [{ ordering: "lifo" }, "ordering"],
      [{ max_in_flight: 0 }, "max_in_flight"],
      [{ rate_limit_per_second: -1 }, "rate_limit_per_second"],
      [{ payload_format: "xml" }, "payload_format"],
      [{ event_types: ["ok", "ok"] }, "event_types"],
      [{ event_types: ["has space"] }, "event_types.0"],
      [{ headers: { "content-type": "text/plain" } }, "headers.content-type"],
      [{ headers: { "webhook-id": "forged" } }, "headers.webhook-id"],
      [{ headers: { "x-ok": "line\r\nbreak" } }, "headers.x-ok"],
      [{ secret: "not-a-secret" }, "secret"],
      [{ application_id: "not-a-uuid" }, "application_id"],
    ];
    for (const [override, path] of cases) {
      const res = await api("POST", "/v1/webhooks", { ...good, ...override });
      expectProblem(res, 422);
      expect(res.body.errors.map((e: any) => e.path).join(" ")).toContain(path.split(".")[0]);
    }
    const list = await api("GET", `/v1/webhooks?application_id=${app.id}`);
    expect(list.body.data).toHaveLength(0);
    expectProblem(
      await api("POST", "/v1/webhooks", { ...good, application_id: crypto.randomUUID() }),
      404,
    );
  });

  test("webhook headers are RFC 9110 fields, named in the error, unique regardless of case", async () => {
    const app = await createApplication();
    const hook = await createWebhook(app.id, "https://example.com/h");
    const refused: Array<[Record<string, string>, string]> = [
      [{ "X-Foo": "\u0001" }, "headers.X-Foo"],
      [{ "X-Foo": "b\u000bc" }, "headers.X-Foo"],
      [{ "X-Foo": "a\u007fb" }, "headers.X-Foo"],
      [{ "X-Foo": "tab\tinside ok", "X-Bar": " leading" }, "headers.X-Bar"],
      [{ "X-Foo": "trailing\t" }, "headers.X-Foo"],
      [{ "X-Foo": "line\nbreak" }, "headers.X-Foo"],
      [{ "X-Foo": "nul\u0000" }, "headers.X-Foo"],
      [{ "X-Foo": "snow \u2603" }, "headers.X-Foo"],
      [{ "X Foo": "v" }, "headers.X Foo"],
      [{ "X-Foo:": "v" }, "headers.X-Foo:"],
      [{ "": "v" }, "headers."],
      [{ "X-Foo": "a", "x-foo": "b" }, "headers.x-foo"],
      [{ "X-Api-Key": "a", "X-API-KEY": "b" }, "headers.X-API-KEY"],
    ];
    for (const [headers, path] of refused) {
      for (const [method, url, body] of [
        ["POST", "/v1/webhooks", { application_id: app.id, url: "https://example.com/h", headers }],
        ["PATCH", `/v1/webhooks/${hook.id}`, { headers }],
      ] as const) {
        const res = await api(method, url, body);
        expectProblem(res, 422);
        expect(res.body.errors.map((e: any) => e.path), `${method} ${JSON.stringify(headers)}`).toEqual([path]);
      }
    }
    const list = await api("GET", `/v1/webhooks?application_id=${app.id}`);
    expect(list.body.data).toHaveLength(1);
    expect((await api("GET", `/v1/webhooks/${hook.id}`)).body.headers).toEqual({});
    const accepted = { "X-Foo": "a b\tc", "X-Empty": "", "X-Obs": "caf\u00e9", "x-other": "~!#" };
    const ok = await api("PATCH", `/v1/webhooks/${hook.id}`, { headers: accepted });
    expect(ok.status).toBe(200);
    expect(ok.body.headers).toEqual(accepted);
  });

  test("a whsec_ secret with whitespace inside is 422 on create and rotate: no Standard Webhooks library loads it", async () => {
    const app = await createApplication();
    const hook = await createWebhook(app.id, "https://example.com/h");
    const good = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY";
    for (const secret of [
      "whsec_QUJD REVGR0hJSktMTU5PUFFSU1RVVldY",
      "whsec_QUJDREVGR0hJSktMTU5P\nUFFSU1RVVldY",
      "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\t",
      " whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
    ]) {
      const created = await api("POST", "/v1/webhooks", { application_id: app.id, url: "https://example.com/h", secret });
      expectProblem(created, 422, "secret");
      expectProblem(await api("POST", `/v1/webhooks/${hook.id}/secret/rotate`, { secret }), 422, "secret");
    }
    expect((await api("GET", `/v1/webhooks?application_id=${app.id}`)).body.data).toHaveLength(1);
    expect((await api("GET", `/v1/webhooks/${hook.id}/secret`)).body.previous_secret_expires_at).toBeNull();
    expect((await api("POST", `/v1/webhooks/${hook.id}/secret/rotate`, { secret: good })).body.secret).toBe(good);
  });

  test("a static header named __proto__ (or constructor, prototype) is 422, never dropped", async () => {
    const app = await createApplication();
    const hook = await createWebhook(app.id, "https://example.com/h");
    // Raw JSON: in an object literal, __proto__ would set the prototype instead of a key.
    const raw = (method: string, path: string, body: string) =>
      api(method, path, undefined, { raw: body, headers: { "content-type": "application/json" } });
    for (const name of ["__proto__", "constructor", "prototype", "Constructor"]) {
      const headers = `{"X-Ok":"1","${name}":"x"}`;
      const created = await raw("POST", "/v1/webhooks", `{"application_id":"${app.id}","url":"https://example.com/h","headers":${headers}}`);
      expectProblem(created, 422, `headers.${name}`);
      expectProblem(await raw("PATCH", `/v1/webhooks/${hook.id}`, `{"headers":${headers}}`), 422, `headers.${name}`);
    }
    expect((await api("GET", `/v1/webhooks?application_id=${app.id}`)).body.data).toHaveLength(1);
    expect((await api("GET", `/v1/webhooks/${hook.id}`)).body.headers).toEqual({});
  });

  test("recover windows are instants within the years 0000 to 9999 UTC", async () => {
    const app = await createApplication();
    const hook = await createWebhook(app.id, "https://example.com/h");
    const recover = (body: Record<string, string>) =>
      api("POST", `/v1/webhooks/${hook.id}/recover`, body);
    for (const [body, path] of [
      [{ since: "9999-12-31T23:59:59-23:59" }, "since"], // 10000-01-01T23:58:59Z
      [{ since: "2026-01-01T00:00:00Z", until: "9999-12-31T23:59:59-00:01" }, "until"],
      [{ since: "0000-01-01T00:00:00+00:01" }, "since"], // the year -1 in UTC
    ] as const) {
      const res = await recover(body);
      expectProblem(res, 422);
      expect(res.body.errors.map((e: any) => e.path)).toEqual([path]);
    }
    // The last instant there is, and the first: a valid window, however it is written.
    const widest = await recover({ since: "0000-01-01T00:00:00Z", until: "9999-12-31T23:59:59+00:00" });
    expect(widest.status).toBe(202);
    expect(widest.body).toMatchObject({
      since: "0000-01-01T00:00:00.000Z",
      until: "9999-12-31T23:59:59.000Z",
    });
    // Compared as instants: 10:00+02:00 is 08:00Z, before 09:00Z.
    const offset = await recover({ since: "2026-05-01T10:00:00+02:00", until: "2026-05-01T09:00:00Z" });
    expect(offset.status).toBe(202);
    expect(offset.body).toMatchObject({ since: "2026-05-01T08:00:00.000Z" });
    const reversed = await recover({ since: "2026-05-01T09:00:00Z", until: "2026-05-01T10:00:00+02:00" });
    expectProblem(reversed, 422);
    expect(reversed.body.errors[0].path).toBe("until");
  });

  test("a URL too long once normalised is refused on PATCH too, and nothing changes", async () => {
    const app = await createApplication();
    const hook = await createWebhook(app.id, "https://example.com/h");
    const res = await api("PATCH", `/v1/webhooks/${hook.id}`, {
      url: `https://example.com/${"é".repeat(1000)}`,
    });
    expectProblem(res, 422);
    expect(res.body.errors[0].path).toBe("url");
    expect((await api("GET", `/v1/webhooks/${hook.id}`)).body.url).toBe("https://example.com/h");
  });

  test("ids are accepted in uppercase, as the same resource", async () => {
    const app = await createApplication();
    const APP = app.id.toUpperCase();
    const created = await api("POST", "/v1/webhooks", {
      application_id: APP,
      url: "https://example.com/h",
    });
    expect(created.status).toBe(201);
    expect(created.body.application_id).toBe(app.id);
    const HOOK = String(created.body.id).toUpperCase();
    const message = await api("POST", "/v1/messages", {
      application_id: APP,
      event_type: "case.test",
      payload: {},
    });
    expect(message.status).toBe(202);
    expect(message.body.application_id).toBe(app.id);
    const MESSAGE = String(message.body.id).toUpperCase();
    // Readable once fan-out has recorded it.
    await eventually(async () => expect((await api("GET", `/v1/messages/${message.body.id}`)).status).toBe(200));
    for (const path of [
      `/v1/applications/${APP}`,
      `/v1/webhooks/${HOOK}`,
      `/v1/webhooks?application_id=${APP}`,
      `/v1/webhooks/${HOOK}/secret`,
      `/v1/messages/${MESSAGE}`,
      `/v1/events?webhook_id=${HOOK}`,
    ]) {
      expect((await api("GET", path)).status, path).toBe(200);
    }
    expect((await api("GET", `/v1/applications/${APP}`)).body.id).toBe(app.id);
    expect((await api("GET", `/v1/webhooks?application_id=${APP}`)).body.data).toHaveLength(1);
    expect((await api("PATCH", `/v1/webhooks/${HOOK}`, { name: "upper" })).body.name).toBe("upper");
    // A confined key reaches its own application by either spelling.
    const key = await api("POST", "/v1/api-keys", { name: "k", scope: "reader", application_id: APP });
    expect(key.status).toBe(201);
    expect(key.body.application_id).toBe(app.id);
    expect((await api("GET", `/v1/applications/${APP}`, undefined, { token: key.body.key })).status).toBe(200);
  });

  test("messages: missing payload, bad event types, bad ids", async () => {
    const app = await createApplication();
    expectProblem(
      await api("POST", "/v1/messages", { application_id: app.id, event_type: "a.b" }),
      422,
      "payload",
    );
    expectProblem(
      await api("POST", "/v1/messages", { application_id: app.id, event_type: "", payload: {} }),
      422,
      "event_type",
    );
    expectProblem(
      await api("POST", "/v1/messages", { application_id: app.id, event_type: "a b", payload: {} }),
      422,
      "event_type",
    );
    expectProblem(
      await api("POST", "/v1/messages", { application_id: 7, event_type: "a.b", payload: {} }),
      422,
      "application_id",
    );
    expectProblem(
      await api("POST", "/v1/messages", {
        application_id: app.id,
        event_type: "a.b",
        payload: {},
        resource: { type: "x" },
      }),
      422,
      "resource.id",
    );
    expectProblem(await api("GET", "/v1/messages/not-a-uuid"), 422, "id");
    expectProblem(await api("GET", `/v1/messages/${crypto.randomUUID()}`), 404);
  });

  test("a payload nested deeper than 64 levels is 422 naming payload, before anything is stored", async () => {
    const app = await createApplication();
    const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    const raw = (body: string) =>
      api("POST", "/v1/messages", undefined, { raw: body, headers: { "content-type": "application/json" } });
    const single = (levels: number, key: string) =>
      raw(`{"application_id":"${app.id}","event_type":"deep","idempotency_key":"${key}","payload":${nested(levels)}}`);
    const key = `deep-${crypto.randomUUID()}`;
    // The case (about 2,600 levels, a 5 KB body) and far past it.
    for (const levels of [65, 2_600, 20_000]) {
      const refused = await single(levels, key);
      expectProblem(refused, 422, "payload");
      expect(refused.body.errors[0].message).toContain("64");
    }
    const batch = await api("POST", "/v1/messages/batch", undefined, {
      raw: `{"messages":[{"application_id":"${app.id}","event_type":"deep","payload":${nested(2_600)}},{"application_id":"${app.id}","event_type":"deep","payload":${nested(64)}}]}`,
      headers: { "content-type": "application/json" },
    });
    expect(batch.status).toBe(200);
    expect(batch.body.data.map((e: { status: number }) => e.status)).toEqual([422, 202]);
    expect(batch.body.data[0].error.errors.map((e: { path: string }) => e.path)).toEqual(["payload"]);
    // Nothing was stored under the key: it still takes a first message, which reads back whole.
    const accepted = await single(64, key);
    expect(accepted.status).toBe(202);
    const read = await eventually(async () => {
      const res = await api("GET", `/v1/messages/${accepted.body.id}`);
      expect(res.status).toBe(200);
      return res;
    });
    expect(JSON.stringify(read.body.payload)).toBe(nested(64));
    expect((await single(64, key)).status).toBe(200);
  });

  test("unknown routes and ids are 404 problems; action routes take no body or an object", async () => {
    expectProblem(await api("GET", "/v1/nothing-here"), 404);
    expectProblem(await api("GET", `/v1/webhooks/${crypto.randomUUID()}`), 404);
    expectProblem(await api("POST", `/v1/events/${crypto.randomUUID()}/retry`), 404);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, "https://example.com/h");
    expectProblem(await api("POST", `/v1/webhooks/${webhook.id}/test`, [1, 2]), 422);
    expectProblem(await api("POST", `/v1/webhooks/${webhook.id}/test`, { surprise: true }), 422);
    expectProblem(await api("GET", `/v1/events?webhook_id=${webhook.id}&limit=0`), 422, "limit");
    expectProblem(await api("GET", `/v1/events?webhook_id=${webhook.id}&limit=101`), 422, "limit");
    expectProblem(
      await api("GET", `/v1/events?webhook_id=${webhook.id}&delivery_status=lost`),
      422,
      "delivery_status",
    );
  });

  test("unicode names survive the round trip", async () => {
    const app = await createApplication({
      name: "Café ☕ — 東京 🚀",
      metadata: { ключ: "значение" },
    });
    const got = await api("GET", `/v1/applications/${app.id}`);
    expect(got.body.name).toBe("Café ☕ — 東京 🚀");
    expect(got.body.metadata).toEqual({ ключ: "значение" });
  });
});

describe("webhook URLs in production settings", () => {
  test("private and metadata destinations are 422 naming url, and nothing is stored", async () => {
    const { env } = await import("cloudflare:workers");
    const { createApp } = await import("../../src/app");
    const { makeDeps } = await import("../../src/deps");
    const production = createApp((e) => {
      const deps = makeDeps(e);
      return { ...deps, settings: { ...deps.settings, allowPrivateUrls: false } };
    });
    const app = await createApplication();
    const post = (url: string) =>
      production.request(
        "/v1/webhooks",
        {
          method: "POST",
          headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
          body: JSON.stringify({ application_id: app.id, url }),
        },
        env,
      );
    for (const url of [
      "http://example.com/h",
      "https://10.0.0.1/h",
      "https://169.254.169.254/",
      "https://[::ffff:127.0.0.1]/",
      "https://example.com:22/",
    ]) {
      const res = await post(url);
      expect(res.status, url).toBe(422);
      const body = (await res.json()) as any;
      expect(body.errors[0].path).toBe("url");
    }
    expect((await api("GET", `/v1/webhooks?application_id=${app.id}`)).body.data).toHaveLength(0);
    expect((await post("https://example.com/hooks")).status).toBe(201);
  });
});
