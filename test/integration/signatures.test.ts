/**
 * SPEC §7.2: `v1a` (Ed25519) signatures, the webhook's public key and JWKS,
 * scheme changes and rotation with its 24-hour overlap on the webhook's
 * object clock. Node's own crypto.verify checks deliveries from a real relay
 * in test/e2e/trust.test.ts; here Web Crypto checks which key made which
 * signature.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, test } from "vitest";
import { type Credentials, jwks } from "../../src/delivery/attempt/credentials";
import { api, createApplication, createWebhook, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { type Hook, newHook } from "../helpers/hooks";
import { advanceClock } from "../helpers/objects";
import type { RecordedRequest } from "../helpers/receiver-types";

const receiverUrl = inject("receiverUrl");
const HOUR = 3_600_000;

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The raw 32 bytes of a `whpk_` key. */
function rawPublicKey(publicKey: string): Uint8Array<ArrayBuffer> {
  expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
  const raw = fromBase64(publicKey.slice("whpk_".length));
  expect(raw).toHaveLength(32);
  return raw;
}

/** The v1a signatures of a delivery, in header order. */
function v1aSignatures(request: RecordedRequest): string[] {
  return request.headers["webhook-signature"]!.split(" ")
    .filter((s) => s.startsWith("v1a,"))
    .map((s) => s.slice(4));
}

async function verifies(publicKey: string, request: RecordedRequest, signature: string, body = request.body) {
  const key = await crypto.subtle.importKey("raw", rawPublicKey(publicKey), { name: "Ed25519" }, false, [
    "verify",
  ]);
  const content = `${request.headers["webhook-id"]}.${request.headers["webhook-timestamp"]}.${body}`;
  return crypto.subtle.verify("Ed25519", key, fromBase64(signature), new TextEncoder().encode(content));
}

async function nextDelivery(hook: Hook, count: number): Promise<RecordedRequest> {
  return eventually(async () => {
    const { requests } = await hook.received();
    expect(requests).toHaveLength(count);
    return requests[count - 1]!;
  });
}

async function storedRow(id: string) {
  return env.DB.prepare("SELECT * FROM webhooks WHERE id = ?").bind(id).first<Record<string, string | null>>();
}

describe("v1a signatures", () => {
  test("a v1a webhook has a public key, a JWKS and no HMAC secret; its deliveries verify with it", async () => {
    const app = await createApplication();
    const hook = newHook(receiverUrl);
    const webhook = await createWebhook(app.id, hook.url, { signature_scheme: "v1a" });
    expect(webhook.signature_scheme).toBe("v1a");
    expect(webhook.secret).toBeNull();
    const publicKey = webhook.public_key as string;
    rawPublicKey(publicKey);

    const read = await api("GET", `/v1/webhooks/${webhook.id}`);
    expect(read.body.public_key).toBe(publicKey);
    const secret = await api("GET", `/v1/webhooks/${webhook.id}/secret`);
    expect(secret.body).toMatchObject({ secret: null, public_key: publicKey });
    const keys = await api("GET", `/v1/webhooks/${webhook.id}/jwks`);
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toHaveLength(1);
    const [jwk] = keys.body.keys;
    expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519", use: "sig", alg: "EdDSA" });
    expect(jwk.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const x = jwk.x.replace(/-/g, "+").replace(/_/g, "/");
    expect(fromBase64(x)).toEqual(rawPublicKey(publicKey));

    await publish(app.id, "order.paid", { amount: 1 });
    const request = await nextDelivery(hook, 1);
    const signatures = v1aSignatures(request);
    expect(request.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(signatures).toHaveLength(1);
    expect(fromBase64(signatures[0]!)).toHaveLength(64);
    expect(await verifies(publicKey, request, signatures[0]!)).toBe(true);
    expect(await verifies(publicKey, request, signatures[0]!, request.body.replace("1", "2"))).toBe(false);

    // The private key is stored sealed, never as whsk_ in clear.
    const row = await storedRow(webhook.id);
    expect(row!.private_key).toMatch(/^enc1:/);
    expect(row!.public_key).toBe(publicKey);
  });

  test("v1+v1a signs with both, v1 first; the v1 part verifies with standardwebhooks", async () => {
    const app = await createApplication();
    const hook = newHook(receiverUrl);
    const webhook = await createWebhook(app.id, hook.url, { signature_scheme: "v1+v1a" });
    expect(webhook.secret).toMatch(/^whsec_/);
    await publish(app.id, "order.paid", { both: true });
    const request = await nextDelivery(hook, 1);
    const parts = request.headers["webhook-signature"]!.split(" ");
    expect(parts.map((p) => p.split(",")[0])).toEqual(["v1", "v1a"]);
    expect(new Webhook(webhook.secret).verify(request.body, request.headers)).toEqual({ both: true });
    expect(await verifies(webhook.public_key as string, request, v1aSignatures(request)[0]!)).toBe(true);
  });

  test("PATCH to a scheme creates the keys it needs; back to v1 hides the public key", async () => {
    const app = await createApplication();
    const hook = newHook(receiverUrl);
    const webhook = await createWebhook(app.id, hook.url);
    expect(webhook.public_key).toBeNull();
    expect((await api("GET", `/v1/webhooks/${webhook.id}/jwks`)).body).toEqual({ keys: [] });

    const keyed = await api("PATCH", `/v1/webhooks/${webhook.id}`, { signature_scheme: "v1+v1a" });
    expect(keyed.status).toBe(200);
    const publicKey = keyed.body.public_key as string;
    rawPublicKey(publicKey);
    // The HMAC secret is the one it had.
    expect((await api("GET", `/v1/webhooks/${webhook.id}/secret`)).body.secret).toBe(webhook.secret);
    // The next delivery is signed the new way.
    await publish(app.id, "scheme.changed", { v: 2 });
    const request = await nextDelivery(hook, 1);
    expect(new Webhook(webhook.secret).verify(request.body, request.headers)).toEqual({ v: 2 });
    expect(await verifies(publicKey, request, v1aSignatures(request)[0]!)).toBe(true);

    const plain = await api("PATCH", `/v1/webhooks/${webhook.id}`, { signature_scheme: "v1" });
    expect(plain.body.public_key).toBeNull();
    expect((await api("GET", `/v1/webhooks/${webhook.id}/jwks`)).body).toEqual({ keys: [] });
    // Back again: the same key pair, which receivers may still hold.
    const again = await api("PATCH", `/v1/webhooks/${webhook.id}`, { signature_scheme: "v1a" });
    expect(again.body.public_key).toBe(publicKey);
  });

  test("bad schemes, and a secret for a scheme that signs with none, are 422 and store nothing", async () => {
    const app = await createApplication();
    const count = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM webhooks WHERE application_id = ?")
        .bind(app.id)
        .first<{ n: number }>())!.n;
    const url = `${receiverUrl}/hooks/refused`;
    const bad = await api("POST", "/v1/webhooks", { application_id: app.id, url, signature_scheme: "v2" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("signature_scheme");
    const secret = `whsec_${btoa("a chosen secret of 32 bytes!!!!!")}`;
    const unused = await api("POST", "/v1/webhooks", {
      application_id: app.id,
      url,
      signature_scheme: "v1a",
      secret,
    });
    expect(unused.status).toBe(422);
    expect(unused.body.errors[0].path).toBe("secret");
    expect(await count()).toBe(0);

    const webhook = await createWebhook(app.id, url, { signature_scheme: "v1a" });
    const rotate = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`, { secret });
    expect(rotate.status).toBe(422);
    expect(rotate.body.errors[0].path).toBe("secret");
    expect((await api("GET", `/v1/webhooks/${webhook.id}`)).body.public_key).toBe(webhook.public_key);
    const patched = await api("PATCH", `/v1/webhooks/${webhook.id}`, { signature_scheme: null });
    expect(patched.status).toBe(422);
  });

  test("rotation: old and new keys both sign, new first, for 24 hours; then only the new", async () => {
    const app = await createApplication();
    const hook = newHook(receiverUrl);
    const webhook = await createWebhook(app.id, hook.url, { signature_scheme: "v1+v1a" });
    const oldKey = webhook.public_key as string;
    const rotated = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.public_key as string;
    expect(newKey).not.toBe(oldKey);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    expect(rotated.body.previous_public_key_expires_at).toBe(rotated.body.previous_secret_expires_at);
    expect(Date.parse(rotated.body.previous_public_key_expires_at) - Date.now()).toBeGreaterThan(
      23.9 * HOUR,
    );
    expect((await api("GET", `/v1/webhooks/${webhook.id}`)).body.public_key).toBe(newKey);
    const listed = (await api("GET", `/v1/webhooks/${webhook.id}/jwks`)).body.keys;
    expect(listed).toHaveLength(2);
    const xOf = (key: string) =>
      btoa(String.fromCharCode(...rawPublicKey(key))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(listed.map((k: { x: string }) => k.x)).toEqual([xOf(newKey), xOf(oldKey)]);

    // 23 hours on: both key pairs and both secrets sign, the new ones first.
    await advanceClock(webhook.id, 23 * HOUR);
    await publish(app.id, "order.paid", { hour: 23 });
    const during = await nextDelivery(hook, 1);
    const overlap = v1aSignatures(during);
    expect(overlap).toHaveLength(2);
    expect(await verifies(newKey, during, overlap[0]!)).toBe(true);
    expect(await verifies(oldKey, during, overlap[1]!)).toBe(true);
    expect(await verifies(oldKey, during, overlap[0]!)).toBe(false);
    expect(during.headers["webhook-signature"]!.split(" ").filter((s) => s.startsWith("v1,"))).toHaveLength(2);

    // 25 hours on: the new key alone.
    await advanceClock(webhook.id, 25 * HOUR);
    await publish(app.id, "order.paid", { hour: 25 });
    const after = await nextDelivery(hook, 2);
    const single = v1aSignatures(after);
    expect(single).toHaveLength(1);
    expect(await verifies(newKey, after, single[0]!)).toBe(true);
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
  });

  test("the JWKS lists the previous key until 24 hours after the rotation, not after", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, `${receiverUrl}/hooks/jwks`, { signature_scheme: "v1a" });
    const before = Date.now();
    const rotated = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`);
    const row = (await env.DB.prepare("SELECT * FROM webhooks WHERE id = ?").bind(webhook.id).first())!;
    const credentials: Credentials = {
      id: webhook.id,
      signatureScheme: row.signature_scheme,
      secret: row.secret,
      previousSecret: row.previous_secret,
      previousSecretExpiresAt: row.previous_secret_expires_at,
      publicKey: row.public_key,
      privateKey: row.private_key,
      previousPublicKey: row.previous_public_key,
      previousPrivateKey: row.previous_private_key,
      previousKeyExpiresAt: row.previous_key_expires_at,
    } as Credentials;
    const at = (offset: number) => new Date(before + offset);
    expect((await jwks(credentials, at(23.9 * HOUR))).keys).toHaveLength(2);
    const later = await jwks(credentials, at(24 * HOUR + 60_000));
    expect(later.keys).toHaveLength(1);
    expect(later.keys[0]!.x).toBe(
      (await api("GET", `/v1/webhooks/${webhook.id}/jwks`)).body.keys[0].x,
    );
    expect(rotated.body.public_key).not.toBe(webhook.public_key);
  });

  test("a reader may read the JWKS and the public key, not the secret", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, `${receiverUrl}/hooks/reader`, { signature_scheme: "v1a" });
    const reader = await api("POST", "/v1/api-keys", { name: "r", scope: "reader", application_id: app.id });
    const token = reader.body.key as string;
    const keys = await api("GET", `/v1/webhooks/${webhook.id}/jwks`, undefined, { token });
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toHaveLength(1);
    expect((await api("GET", `/v1/webhooks/${webhook.id}`, undefined, { token })).body.public_key).toBe(
      webhook.public_key,
    );
    expect((await api("GET", `/v1/webhooks/${webhook.id}/secret`, undefined, { token })).status).toBe(403);
  });
});
