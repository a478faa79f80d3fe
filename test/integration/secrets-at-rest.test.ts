/**
 * SPEC §7.4: webhook secrets and private keys are stored sealed (AES-256-GCM,
 * the row id as associated data) under RELAY_ENCRYPTION_KEY; the previous key
 * still opens them; a value that is not sealed is not read (nothing ever
 * stored one); without a usable key the API answers 503 and nothing is
 * delivered. Key rotation end to end, and a scan of the state files:
 * test/e2e/trust.test.ts.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, inject, test, vi } from "vitest";
import { createApp } from "../../src/app";
import { makeDeps } from "../../src/deps";
import type { Settings } from "../../src/env";
import { secretBox } from "../../src/security/secrets-at-rest";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";
import { inObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");
const CURRENT = env.RELAY_ENCRYPTION_KEY!;
const OTHER = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));

/** Calls the app with some settings changed (the Worker's own entry keeps the test key). */
function appWith(settings: Partial<Settings>) {
  const app = createApp((e) => {
    const deps = makeDeps(e);
    return { ...deps, settings: { ...deps.settings, ...settings } };
  });
  return async (method: string, path: string, body?: unknown) => {
    const res = await app.request(
      path,
      {
        method,
        headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      env,
    );
    return { status: res.status, body: (await res.json()) as any };
  };
}

async function stored(id: string) {
  return (await env.DB.prepare(
    "SELECT secret, previous_secret, private_key, previous_private_key FROM webhooks WHERE id = ?",
  )
    .bind(id)
    .first<Record<string, string | null>>())!;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("secrets at rest", () => {
  test("secrets and private keys, current and previous, are stored sealed; the answers show the secret in clear", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, `${receiverUrl}/hooks/sealed`, { signature_scheme: "v1+v1a" });
    const rotated = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`);
    const row = await stored(webhook.id);
    for (const value of Object.values(row)) expect(value).toMatch(/^enc1:[A-Za-z0-9+/]+=*$/);
    expect(JSON.stringify(row)).not.toMatch(/whsec_|whsk_/);
    expect((await api("GET", `/v1/webhooks/${webhook.id}/secret`)).body.secret).toBe(rotated.body.secret);
    expect(rotated.body.secret).toMatch(/^whsec_/);
  });

  test("without a usable key every API call is 503; health still answers", async () => {
    const missing = appWith({ encryptionKey: null });
    const short = appWith({ encryptionKey: btoa("sixteen bytes!!!") });
    const badPrevious = appWith({ encryptionKeyPrevious: "not base64 at all" });
    for (const call of [missing, short, badPrevious]) {
      const res = await call("GET", "/v1/applications");
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(/RELAY_ENCRYPTION_KEY/);
      expect(JSON.stringify(res.body)).not.toContain(CURRENT);
    }
    expect((await missing("GET", "/v1/health")).status).toBe(200);
  });

  test("a wrong key is 503 where a secret is read, and the previous key still opens it", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, `${receiverUrl}/hooks/wrong-key`, { signature_scheme: "v1+v1a" });
    const wrong = await appWith({ encryptionKey: OTHER })("GET", `/v1/webhooks/${webhook.id}/secret`);
    expect(wrong.status).toBe(503);
    expect(JSON.stringify(wrong.body)).not.toMatch(/whsec_|whsk_/);
    const rotatedKey = appWith({ encryptionKey: OTHER, encryptionKeyPrevious: CURRENT });
    const read = await rotatedKey("GET", `/v1/webhooks/${webhook.id}/secret`);
    expect(read.status).toBe(200);
    expect(read.body.secret).toBe(webhook.secret);
  });

  test("a sealed value moved to another row does not open there (the row id is bound in)", async () => {
    const app = await createApplication();
    const a = await createWebhook(app.id, `${receiverUrl}/hooks/a`);
    const b = await createWebhook(app.id, `${receiverUrl}/hooks/b`);
    await env.DB.prepare("UPDATE webhooks SET secret = (SELECT secret FROM webhooks WHERE id = ?) WHERE id = ?")
      .bind(a.id, b.id)
      .run();
    expect((await api("GET", `/v1/webhooks/${b.id}/secret`)).status).toBe(503);
    expect((await api("GET", `/v1/webhooks/${a.id}/secret`)).body.secret).toBe(a.secret);
    // reencrypt leaves such a row as it is, and rewrites the others.
    const before = await stored(b.id);
    expect((await api("POST", "/v1/maintenance", { reencrypt: true })).status).toBe(200);
    expect(await stored(b.id)).toEqual(before);
    await env.DB.prepare("DELETE FROM webhooks WHERE id = ?").bind(b.id).run();
  });

  test("with a key that opens nothing, no delivery is made, signed or not", async () => {
    const app = await createApplication();
    const hook = newHook(receiverUrl);
    const webhook = await createWebhook(app.id, hook.url, { signature_scheme: "v1+v1a" });
    // The object starts with another key, as after a deploy that changed it without the previous one.
    await inObject(webhook.id, (instance) => {
      instance.deps = { ...instance.deps, settings: { ...instance.deps.settings, encryptionKey: OTHER } };
    });
    const logged: string[] = [];
    for (const level of ["log", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
      });
    }
    const message = await publish(app.id, "never.sent", { n: 1 });
    // The attempt was prepared and refused: it sent nothing, and it is held
    // for a try half a minute on, nothing earlier.
    await eventually(async () => expect(logged.join("\n")).toContain("preparing an attempt failed"));
    expect((await hook.received()).requests).toHaveLength(0);
    const events = await listEvents(webhook.id);
    const held = events.find((e) => e.message_id === message.id)!;
    expect(held.delivery_status).toBe("pending");
    expect(held.delivery_attempts).toBe(0);
    expect(Date.parse(held.next_attempt_at)).toBeGreaterThan(Date.now() + 20_000);
    const failure = logged.find((line) => line.includes("preparing an attempt failed"))!;
    expect(JSON.parse(failure)).toMatchObject({ error_class: "UnreadableSecretError" });
    expect(logged.join("\n")).not.toMatch(/whsec_|whsk_/);
  });

  test("after the key is lost and replaced, a rotation drops the secrets no key opens, and delivery resumes", async () => {
    const app = await createApplication();
    const hook = newHook(receiverUrl);
    const webhook = await createWebhook(app.id, hook.url, { signature_scheme: "v1+v1a" });
    // Sealed under a key the relay no longer has: what a lost RELAY_ENCRYPTION_KEY leaves behind.
    const lost = secretBox({ ...makeDeps(env).settings, encryptionKey: OTHER, encryptionKeyPrevious: null });
    await env.DB.prepare("UPDATE webhooks SET secret = ?, private_key = ? WHERE id = ?")
      .bind(
        await lost.seal(webhook.id, "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"),
        await lost.seal(webhook.id, "whsk_unreadable"),
        webhook.id,
      )
      .run();
    expect((await api("GET", `/v1/webhooks/${webhook.id}/secret`)).status).toBe(503);

    const rotated = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    expect(await stored(webhook.id)).toMatchObject({ previous_secret: null, previous_private_key: null });
    const secret = await api("GET", `/v1/webhooks/${webhook.id}/secret`);
    expect(secret.body).toMatchObject({ secret: rotated.body.secret, previous_secret_expires_at: null });

    await publish(app.id, "after.rotation", { n: 1 });
    const [request] = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(1);
      return requests;
    });
    // Signed with the new secret and key alone.
    expect(request!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(rotated.body.secret).verify(request!.body, request!.headers)).toEqual({ n: 1 });
  });

  test("a secret stored in clear is not read: 503 where it is read, and reencrypt leaves it", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, `${receiverUrl}/hooks/clear`);
    const clear = `whsec_${btoa("a secret that was never sealed!!")}`;
    await env.DB.prepare("UPDATE webhooks SET secret = ?, previous_secret = NULL WHERE id = ?")
      .bind(clear, webhook.id)
      .run();
    const read = await api("GET", `/v1/webhooks/${webhook.id}/secret`);
    expect(read.status).toBe(503);
    expect(JSON.stringify(read.body)).not.toMatch(/whsec_/);
    const run = await api("POST", "/v1/maintenance", { reencrypt: true });
    expect(run.status).toBe(200);
    expect((await stored(webhook.id)).secret).toBe(clear);
    expect((await api("POST", "/v1/maintenance", {})).body.reencrypted).toBeUndefined();
    await env.DB.prepare("DELETE FROM webhooks WHERE id = ?").bind(webhook.id).run();
  });
});
