/**
 * Property: whatever arrives at a write route — random or hostile bodies,
 * headers, ids, query strings, URLs and tokens (portal links' among them) —
 * the answer is never a 5xx, a refusal is a problem+json whose status
 * matches, a 422 names its fields, and a refused request leaves every table
 * as it was. The write routes come from the OpenAPI document, so a new one
 * is covered without a change here.
 * (Webhook URLs alone get their own property in hostile-urls.test.ts.)
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, inject, test } from "vitest";
import { ADMIN_TOKEN, api, createApplication, createWebhook } from "../../helpers/api";
import { newHook } from "../../helpers/hooks";
import { drainedThrough } from "../../helpers/drain";
import { hostileStrings, hostileUrls, printable, rowCounts } from "./hostile";
import { createLink, createTenants, type Tenants, UNKNOWN_KEY } from "./tenants";

const receiverUrl = inject("receiverUrl");
/**
 * Attacks per write operation: 20 × the 22 write routes is 440 requests, a
 * fresh draw each run; 30 took the suite to most of CI's 15 minutes.
 */
const RUNS = 20;

type Fixtures = {
  tenants: Tenants;
  /** An admin and a reader portal link of appW, so that a customer's token reaches deep validation. */
  links: string[];
  /** Webhooks are created here; nothing is ever published to it. */
  appW: string;
  /** Messages are published here; it has no webhooks, so nothing fans out behind our back. */
  appP: string;
  /** Delivers to the loopback receiver; its URL is never changed. */
  webhook: string;
  /** A second webhook, for PATCH to do what it likes with. */
  patchable: string;
  /** An event type of the catalog, for PATCH to do what it likes with; nothing is published under it. */
  eventType: string;
  hookUrl: string;
  event: string;
};

type Operation = { method: string; path: string; fields: string[] };

/** A body each route accepts, so that one or two hostile fields reach deep validation. */
function validBody(op: Operation, fixtures: Fixtures): Record<string, unknown> {
  const bodies: Record<string, Record<string, unknown>> = {
    "POST /v1/api-keys": { name: "k", scope: "reader", application_id: fixtures.appW },
    "POST /v1/applications": { name: "hostile" },
    "PATCH /v1/applications/{id}": { name: "renamed" },
    "POST /v1/webhooks": { application_id: fixtures.appW, url: fixtures.hookUrl },
    "PATCH /v1/webhooks/{id}": { name: "patched" },
    "POST /v1/webhooks/{id}/recover": { since: new Date(Date.now() - 3_600_000).toISOString() },
    "POST /v1/webhooks/{id}/filter/test": { event_type: "a.b", payload: { n: 1 } },
    "POST /v1/messages": { application_id: fixtures.appP, event_type: "a.b", payload: { n: 1 } },
    "POST /v1/event-types": { name: "hostile.type", schema: { type: "object" }, example: { n: 1 } },
    "PATCH /v1/event-types/{name}": { description: "patched" },
  };
  return bodies[`${op.method} ${op.path}`] ?? {};
}

type Attack = {
  id: string;
  query: string;
  body: { kind: "text"; text: string } | { kind: "bytes"; bytes: Uint8Array } | { kind: "none" };
  headers: Record<string, string>;
  token: string | null;
};

const uuid = fc.uuid();

/** Schemas meant to hang or crash a validator (test/unit/catalog/json-schema.test.ts has each on its own). */
const hostileSchemas = fc.constantFrom<unknown>(
  { $ref: "#" },
  { $defs: { a: { anyOf: [{ $ref: "#/$defs/a" }] } }, $ref: "#/$defs/a" },
  { anyOf: [{ items: { $ref: "#" } }, { items: { $ref: "#" } }, false] },
  { $ref: "https://example.com/schema.json" },
  { $dynamicRef: "#meta" },
  { pattern: "^(a+)+$" },
  { pattern: "^(?=a)(a)\\1$" },
  { patternProperties: { "(x+x+)+y": { type: "string" } } },
  { format: "url" },
  { enum: Array.from({ length: 5_000 }, (_, i) => i) },
  { enum: Array.from({ length: 20_000 }, (_, i) => `value-${i}`) },
  JSON.parse(`${'{"items":'.repeat(500)}{}${"}".repeat(500)}`),
  { type: "strnig" },
  { minimum: "1" },
  true,
  false,
);
const timestamps = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer(),
  hostileStrings,
);

/** Any JSON value, with hostile strings and the odd number mixed in. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileStrings },
  { weight: 1, arbitrary: hostileUrls },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1.5, 2 ** 53 + 1),
  },
  { weight: 1, arbitrary: uuid },
);

function fieldValue(field: string, fixtures: Fixtures, op: Operation): fc.Arbitrary<unknown> {
  const known = (() => {
    if (field === "url") return hostileUrls;
    if (field === "application_id") {
      const own = op.path.startsWith("/v1/messages") ? fixtures.appP : fixtures.appW;
      return fc.oneof(fc.constant(own), uuid);
    }
    if (field === "since" || field === "until") return timestamps;
    if (field === "schema") return hostileSchemas;
    if (field === "scope") return fc.constantFrom("admin", "publisher", "reader");
    if (field === "allowed_ips") {
      return fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), printable(50)), {
        maxLength: 3,
      });
    }
    return undefined;
  })();
  return known ? fc.oneof({ weight: 3, arbitrary: known }, hostileValue) : hostileValue;
}

function bodies(op: Operation, fixtures: Fixtures): fc.Arbitrary<Attack["body"]> {
  const text = (a: fc.Arbitrary<string>) => a.map((t) => ({ kind: "text" as const, text: t }));
  const base = validBody(op, fixtures);
  // A valid body with up to two fields replaced, dropped or added.
  const field = fc.oneof(
    { weight: 4, arbitrary: op.fields.length ? fc.constantFrom(...op.fields) : fc.constant("x") },
    { weight: 1, arbitrary: fc.oneof(hostileStrings, printable(20)) },
  );
  const structured = fc
    .array(
      field.chain((name) =>
        fc
          .oneof(fieldValue(name, fixtures, op), fc.constant(undefined))
          .map((value) => [name, value] as const),
      ),
      { maxLength: 2 },
    )
    .map((pairs) => JSON.stringify({ ...base, ...Object.fromEntries(pairs) }));
  return fc.oneof(
    { weight: 6, arbitrary: text(structured) },
    {
      weight: 2,
      arbitrary: text(fc.jsonValue().map((v) => JSON.stringify(v))),
    },
    { weight: 1, arbitrary: text(fc.string({ maxLength: 200 })) },
    {
      weight: 1,
      arbitrary: text(
        fc.constantFrom(
          '{"__proto__": {"scope": "admin"}, "constructor": {"prototype": {"x": 1}}}',
          `${"[".repeat(5000)}${"]".repeat(5000)}`,
          `{"a":${'{"a":'.repeat(2000)}1${"}".repeat(2001)}`,
          '{"name": "x", "name": "y"}',
          '{"name": "\\ud800"}',
          "\ufeff{}",
          "{}{}",
          "[]",
          "null",
          "0",
          '"str"',
          `{"name": "${"x".repeat(270_000)}"}`,
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((bytes) => ({ kind: "bytes" as const, bytes })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "none" as const }) },
  );
}

function headers(): fc.Arbitrary<Record<string, string>> {
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant("application/json") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "application/json; charset=utf-8",
        "application/json; charset=utf-16",
        "application/vnd.api+json",
        "application/problem+json",
        "APPLICATION/JSON",
        "application/jsonx",
        "text/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
      ),
    },
    { weight: 1, arbitrary: printable(60) },
  );
  const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), printable(60));
  const name = fc.stringMatching(/^x-[a-z0-9-]{1,20}$/);
  const optional = <T>(a: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, a);
  return fc
    .record({
      "content-type": fc.oneof({ weight: 8, arbitrary: contentType }, fc.constant(undefined)),
      "idempotency-key": optional(printable(300)),
      "cf-connecting-ip": optional(address),
      "x-forwarded-for": optional(address),
      extra: fc.dictionary(name, printable(100), { maxKeys: 3 }),
    })
    .map(({ extra, ...known }) => {
      const all: Record<string, string> = { ...extra };
      for (const [k, v] of Object.entries(known)) if (v !== undefined) all[k] = v;
      return all;
    });
}

function tokens(fixtures: Fixtures): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(ADMIN_TOKEN) },
    { weight: 1, arbitrary: fc.constantFrom(...Object.values(fixtures.tenants.keys)) },
    // A customer's portal link, either scope, on the application the write routes work on.
    { weight: 1, arbitrary: fc.constantFrom(...fixtures.links) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constant(null),
        fc.constant(UNKNOWN_KEY),
        fc.constant(`${ADMIN_TOKEN}x`),
        fc.stringMatching(/^hr_[A-Za-z0-9_-]{43}$/),
        printable(80).filter((t) => t.trim() !== ""),
      ),
    },
  );
}

function ids(op: Operation, fixtures: Fixtures): fc.Arbitrary<string> {
  // Existing ids where a success is harmless; never for DELETE, which would
  // remove the fixtures the other runs rely on.
  const existing: Record<string, string[]> = {
    "PATCH /v1/applications/{id}": [fixtures.appW, fixtures.appP],
    "PATCH /v1/webhooks/{id}": [fixtures.patchable],
    "POST /v1/webhooks/{id}/secret/rotate": [fixtures.webhook, fixtures.patchable],
    "POST /v1/webhooks/{id}/test": [fixtures.webhook],
    "POST /v1/webhooks/{id}/recover": [fixtures.webhook, fixtures.patchable],
    "POST /v1/webhooks/{id}/filter/test": [fixtures.webhook, fixtures.patchable],
    "POST /v1/events/{id}/retry": [fixtures.event],
    "PATCH /v1/event-types/{name}": [fixtures.eventType],
  };
  const own = existing[`${op.method} ${op.path}`] ?? [];
  const hostile = fc.oneof(
    uuid,
    hostileStrings.map(encodeURIComponent),
    printable(40).map(encodeURIComponent),
  );
  return own.length
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...own) }, hostile)
    : hostile;
}

function queries(fixtures: Fixtures): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant("") },
    { weight: 1, arbitrary: fc.constant(`?webhook_id=${fixtures.webhook}`) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom("webhook_id", "limit", "cursor", "application_id"),
          fc.oneof(hostileStrings, uuid),
        )
        .map(([k, v]) => `?${k}=${encodeURIComponent(v)}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("?%zz", "?webhook_id=%E0%A4%A", "?a=1&a=2", "?="),
    },
  );
}

// ---------- sending and judging ----------

async function send(op: Operation, attack: Attack): Promise<Response> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(attack.headers)) headers.set(k, v);
  if (attack.token !== null) headers.set("authorization", `Bearer ${attack.token}`);
  const body =
    attack.body.kind === "text"
      ? attack.body.text
      : attack.body.kind === "bytes"
        ? attack.body.bytes
        : undefined;
  const path = op.path.replace("{id}", attack.id).replace("{name}", attack.id);
  return exports.default.fetch(`http://relay.test${path}${attack.query}`, {
    method: op.method,
    headers,
    body,
  });
}

/**
 * The row counts once whatever earlier requests started has gone through:
 * messages and events are written behind the queue, after the answer. Only
 * the messages' application and the two webhooks that are ever sent
 * anything (by test, retry, recover or replay) can have something on its way.
 */
async function settledRowCounts(fixtures: Fixtures) {
  await drainedThrough([fixtures.appP], [fixtures.webhook, fixtures.patchable]);
  return rowCounts();
}

/** Set once a request was accepted: it may have started a delivery, whose rows land after its answer. */
let accepted = true;

async function judge(op: Operation, attack: Attack, fixtures: Fixtures): Promise<void> {
  // After a refusal nothing is on its way (a refusal starts nothing): no need to wait.
  const before = accepted ? await settledRowCounts(fixtures) : await rowCounts();
  const res = await send(op, attack);
  const text = await res.text();
  const where = `${op.method} ${op.path} -> ${res.status} ${text.slice(0, 300)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(200);
  expect(res.status, where).toBeLessThan(500);
  accepted = res.status < 400;
  if (accepted) return;
  expect(res.headers.get("content-type"), where).toBe("application/problem+json");
  const problem = JSON.parse(text);
  expect(problem.status, where).toBe(res.status);
  expect(typeof problem.detail, where).toBe("string");
  if (res.status === 422) {
    expect(problem.errors.length, where).toBeGreaterThan(0);
    for (const e of problem.errors) expect(typeof e.path, where).toBe("string");
  }
  expect(await rowCounts(), `${where}: a refused request stored something`).toEqual(before);
}

// ---------- the suite ----------

/** Every write operation in the document, with its request body's field names. */
async function writeOperations(): Promise<Operation[]> {
  const doc = (await api("GET", "/openapi.json", undefined, { token: null })).body;
  const resolve = (schema: any): any =>
    schema?.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema;
  const fieldsOf = (schema: any): string[] => {
    const s = resolve(schema);
    if (!s) return [];
    const variants = [s, ...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])].map(resolve);
    return [...new Set(variants.flatMap((v: any) => Object.keys(v?.properties ?? {})))];
  };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, any>)) {
    for (const [method, operation] of Object.entries(methods as Record<string, any>)) {
      if (!["post", "put", "patch", "delete"].includes(method)) continue;
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        fields: fieldsOf(schema),
      });
    }
  }
  return operations;
}

async function createFixtures(): Promise<Fixtures> {
  const tenants = await createTenants();
  const appW = (await createApplication({ webhook_limit: 1000 })).id;
  const appP = (await createApplication()).id;
  const url = newHook(receiverUrl).url;
  const webhook = (await createWebhook(appW, url)).id;
  const patchable = (await createWebhook(appW, url, { enabled: false })).id;
  const test = await api("POST", `/v1/webhooks/${webhook}/test`);
  const links = [
    (await createLink(appW, { scope: "admin" })).token,
    (await createLink(appW, { scope: "reader" })).token,
  ];
  const eventType = `hostile.${crypto.randomUUID().slice(0, 8)}`;
  await api("POST", "/v1/event-types", { name: eventType });
  return { tenants, links, appW, appP, webhook, patchable, eventType, hookUrl: url, event: test.body.id };
}

describe("hostile input at every write route", () => {
  let operations: Operation[];
  let fixtures: Fixtures;

  beforeAll(async () => {
    operations = await writeOperations();
    fixtures = await createFixtures();
  }, 60_000);

  test("the document lists the write routes SPEC §4 names", () => {
    const names = operations.map((op) => `${op.method} ${op.path}`);
    for (const route of [
      "POST /v1/api-keys",
      "DELETE /v1/api-keys/{id}",
      "POST /v1/applications",
      "PATCH /v1/webhooks/{id}",
      "POST /v1/messages",
      "POST /v1/events/{id}/retry",
      "POST /v1/event-types",
      "PATCH /v1/event-types/{name}",
      "DELETE /v1/event-types/{name}",
    ]) {
      expect(names).toContain(route);
    }
  });

  test("no 5xx, a problem for every refusal, nothing stored from one", async () => {
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            id: ids(op, fixtures),
            query: queries(fixtures),
            body: bodies(op, fixtures),
            headers: headers(),
            token: tokens(fixtures),
          }),
          (attack) => judge(op, attack, fixtures),
        ),
        { numRuns: RUNS },
      );
    }
  }, 600_000);
});
