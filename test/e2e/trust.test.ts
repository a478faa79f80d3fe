/**
 * Black-box, against a relay started as `npm start` starts it: `v1a`
 * deliveries verified with Node's own crypto.verify against the public key
 * from the API and from the JWKS, `v1+v1a` also with standardwebhooks and
 * svix; then the state directory's D1 and Durable Object SQLite files
 * scanned for secret material; then an encryption key rotation with
 * `reencrypt`, every webhook still delivering.
 */
import { createPublicKey, type KeyObject, randomBytes, verify } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, test } from "vitest";
import { eventually } from "../helpers/eventually";
import type { Hook } from "../helpers/hooks";
import type { RecordedRequest } from "../helpers/receiver-types";
import { useRelay } from "../helpers/rig";

const KEY_1 = randomBytes(32).toString("base64");
const KEY_2 = randomBytes(32).toString("base64");
const SCHEMES = ["v1", "v1a", "v1+v1a"] as const;

const rig = useRelay({ RELAY_ENCRYPTION_KEY: KEY_1 });
/** Every answer's text, to show that no private key ever left the relay. */
const answered: string[] = [];

/** The API on the relay running now, every answer kept in `answered`. */
async function api(method: string, path: string, body?: unknown) {
  const res = await rig.api.call(method, path, body);
  answered.push(JSON.stringify(res.body));
  return res;
}

/** A `whpk_` key as Node's KeyObject, via its JWK. */
function nodeKey(publicKey: string): KeyObject {
  const x = Buffer.from(publicKey.slice("whpk_".length), "base64").toString("base64url");
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
}

function signatures(request: RecordedRequest, version: "v1" | "v1a"): string[] {
  return request.headers["webhook-signature"]!.split(" ")
    .filter((s) => s.startsWith(`${version},`))
    .map((s) => s.slice(version.length + 1));
}

function ed25519Verifies(key: KeyObject, request: RecordedRequest, signature: string, body = request.body) {
  const content = `${request.headers["webhook-id"]}.${request.headers["webhook-timestamp"]}.${body}`;
  return verify(null, Buffer.from(content), key, Buffer.from(signature, "base64"));
}

type Made = { id: string; scheme: (typeof SCHEMES)[number]; hook: Hook; secret: string | null; publicKey: string | null };

async function lastDelivery(made: Made, count: number): Promise<RecordedRequest> {
  return eventually(async () => {
    const { requests } = await made.hook.received();
    expect(requests).toHaveLength(count);
    return requests[count - 1]!;
  });
}

/** Checks a delivery against what the API says verifies it: every signature, every way. */
async function expectVerified(made: Made, request: RecordedRequest, payload: unknown, keys: string[], secrets: string[]) {
  const v1a = signatures(request, "v1a");
  const v1 = signatures(request, "v1");
  expect(v1a).toHaveLength(keys.length);
  expect(v1).toHaveLength(secrets.length);
  for (const [i, key] of keys.entries()) {
    expect(ed25519Verifies(nodeKey(key), request, v1a[i]!)).toBe(true);
    expect(ed25519Verifies(nodeKey(key), request, v1a[i]!, `${request.body} `)).toBe(false);
  }
  for (const secret of secrets) {
    const headers = {
      "webhook-id": request.headers["webhook-id"]!,
      "webhook-timestamp": request.headers["webhook-timestamp"]!,
      "webhook-signature": request.headers["webhook-signature"]!,
    };
    expect(new StandardWebhook(secret).verify(request.body, headers)).toEqual(payload);
    // svix 2 verifies and returns nothing; it throws on a bad signature.
    expect(() => new SvixWebhook(secret).verify(request.body, headers)).not.toThrow();
    expect(() => new SvixWebhook(secret).verify(`${request.body} `, headers)).toThrow();
    expect(() => new StandardWebhook(secret).verify(`${request.body} `, headers)).toThrow();
  }
  if (made.scheme === "v1a") expect(v1).toHaveLength(0);
}

/** The webhooks whose objects logged an attempt they could not prepare (no key opens their secrets). */
function refusedToSign(output: string): Set<string> {
  const ids = new Set<string>();
  for (const line of output.split("\n")) {
    if (!line.includes('"msg":"preparing an attempt failed"')) continue;
    ids.add(JSON.parse(line.slice(line.indexOf("{"))).webhook_id);
  }
  return ids;
}

async function scanState(dir: string, needles: string[]): Promise<{ files: number; found: string[] }> {
  const found: string[] = [];
  let files = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (!/\/(d1|do)\//.test(path)) continue;
    files += 1;
    const bytes = await readFile(path);
    for (const needle of needles) if (bytes.includes(needle)) found.push(`${needle} in ${path}`);
  }
  return { files, found };
}

describe("trust between relay and receiver", () => {
  const made: Made[] = [];
  let applicationId = "";

  test("every scheme's deliveries verify, with Node's crypto against the API's key and the JWKS, and with standardwebhooks and svix", async () => {
    applicationId = (await api("POST", "/v1/applications", { name: "trust" })).body.id;
    for (const scheme of SCHEMES) {
      const hook = rig.hook();
      const res = await api("POST", "/v1/webhooks", {
        application_id: applicationId,
        url: hook.url,
        signature_scheme: scheme,
      });
      expect(res.status).toBe(201);
      made.push({ id: res.body.id, scheme, hook, secret: res.body.secret, publicKey: res.body.public_key });
    }
    await api("POST", "/v1/messages", { application_id: applicationId, event_type: "a.b", payload: { n: 1 } });
    for (const m of made) {
      const request = await lastDelivery(m, 1);
      const keys = m.publicKey ? [m.publicKey] : [];
      await expectVerified(m, request, { n: 1 }, keys, m.secret ? [m.secret] : []);
      // The JWKS's key, as a receiver would fetch it.
      const jwks = (await api("GET", `/v1/webhooks/${m.id}/jwks`)).body.keys;
      expect(jwks).toHaveLength(keys.length);
      for (const [i, jwk] of jwks.entries()) {
        const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: "jwk" });
        expect(ed25519Verifies(key, request, signatures(request, "v1a")[i]!)).toBe(true);
      }
    }
  });

  test("after a rotation old and new keys both sign, new first, and the JWKS lists both", async () => {
    for (const m of made) {
      const rotated = await api("POST", `/v1/webhooks/${m.id}/secret/rotate`);
      expect(rotated.status).toBe(200);
      const keys = rotated.body.public_key ? [rotated.body.public_key, m.publicKey!] : [];
      const secrets = rotated.body.secret ? [rotated.body.secret, m.secret!] : [];
      expect(rotated.body.secret === null).toBe(m.scheme === "v1a");
      expect(rotated.body.public_key === null).toBe(m.scheme === "v1");
      const jwks = (await api("GET", `/v1/webhooks/${m.id}/jwks`)).body.keys;
      expect(jwks.map((k: { x: string }) => k.x)).toEqual(
        keys.map((k) => Buffer.from(k.slice(5), "base64").toString("base64url")),
      );
      m.secret = rotated.body.secret;
      m.publicKey = rotated.body.public_key;
      Object.assign(m, { previous: { keys, secrets } });
    }
    await api("POST", "/v1/messages", { application_id: applicationId, event_type: "a.b", payload: { n: 2 } });
    for (const m of made) {
      const { keys, secrets } = (m as Made & { previous: { keys: string[]; secrets: string[] } }).previous;
      await expectVerified(m, await lastDelivery(m, 2), { n: 2 }, keys, secrets);
    }
    expect(answered.join("\n")).not.toMatch(/whsk_/);
    expect(rig.relay.output()).not.toMatch(/whsk_|whsec_/);
  });

  test("the state files hold no whsec_ or whsk_ material", async () => {
    await rig.relay.stop();
    const scan = await scanState(rig.relay.persistTo, ["whsec_", "whsk_", "whpk_"]);
    expect(scan.files).toBeGreaterThan(2);
    // The public keys are stored in clear: the scan does read the databases.
    expect(scan.found.some((f) => f.startsWith("whpk_"))).toBe(true);
    expect(scan.found.filter((f) => !f.startsWith("whpk_"))).toEqual([]);
  });

  test("a key rotation with reencrypt leaves every webhook delivering", async () => {
    // The new key, the old one as previous: everything still opens.
    await rig.restart({ RELAY_ENCRYPTION_KEY: KEY_2, RELAY_ENCRYPTION_KEY_PREVIOUS: KEY_1 });
    await api("POST", "/v1/messages", { application_id: applicationId, event_type: "a.b", payload: { n: 3 } });
    for (const m of made) expect(signatures(await lastDelivery(m, 3), m.scheme === "v1" ? "v1" : "v1a").length).toBeGreaterThan(0);
    const run = await api("POST", "/v1/maintenance", { reencrypt: true });
    expect(run.status).toBe(200);
    expect(run.body.reencrypted).toBe(made.length);
    expect((await api("POST", "/v1/maintenance", { reencrypt: true })).body.reencrypted).toBe(0);

    // The old key gone: every webhook still delivers, verifiably.
    await rig.restart({ RELAY_ENCRYPTION_KEY: KEY_2 });
    await api("POST", "/v1/messages", { application_id: applicationId, event_type: "a.b", payload: { n: 4 } });
    for (const m of made) {
      const secret = (await api("GET", `/v1/webhooks/${m.id}/secret`)).body;
      expect(secret.secret).toBe(m.secret);
      const request = await lastDelivery(m, 4);
      const v1a = signatures(request, "v1a");
      if (m.publicKey) expect(ed25519Verifies(nodeKey(m.publicKey), request, v1a[0]!)).toBe(true);
      if (m.secret) expect(new StandardWebhook(m.secret).verify(request.body, request.headers)).toEqual({ n: 4 });
    }

    // A key that opens nothing: reading a secret is 503 and nothing is delivered.
    await rig.restart({ RELAY_ENCRYPTION_KEY: KEY_1 });
    expect((await api("GET", `/v1/webhooks/${made[0]!.id}/secret`)).status).toBe(503);
    await api("POST", "/v1/messages", { application_id: applicationId, event_type: "a.b", payload: { n: 5 } });
    // Each webhook's object took the event, tried to sign it and could not:
    // it sent nothing, and holds it for a later try.
    await eventually(() => expect(refusedToSign(rig.relay.output())).toEqual(new Set(made.map((m) => m.id))));
    for (const m of made) expect((await m.hook.received()).requests).toHaveLength(4);
    expect(answered.join("\n")).not.toMatch(/whsk_/);
  });
});
