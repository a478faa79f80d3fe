import { Webhook } from "standardwebhooks";
import { describe, expect, test } from "vitest";
import {
  createSigner,
  generateKeyPair,
  generateSecret,
  isValidSecret,
  publicJwk,
} from "../../../../src/delivery/attempt/signing";

/** The `webhook-signature` header for these secrets (v1 only). */
async function signatureHeader(secrets: string[], id: string, ts: number, body: string) {
  return (await createSigner({ secrets, privateKeys: [] }))(id, ts, body);
}

async function ed25519Verifies(publicKey: string, content: string, signature: string) {
  const raw = Uint8Array.from(atob(publicKey.slice(5)), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  const bytes = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  return crypto.subtle.verify("Ed25519", key, bytes, new TextEncoder().encode(content));
}

describe("Standard Webhooks signing", () => {
  test("a receiver using the standardwebhooks package accepts our signature", async () => {
    const secret = generateSecret();
    const body = JSON.stringify({ hello: "wörld", n: 1 });
    const ts = Math.floor(Date.now() / 1000);
    const signature = await signatureHeader([secret], "evt_1", ts, body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const verified = new Webhook(secret).verify(body, {
      "webhook-id": "evt_1",
      "webhook-timestamp": String(ts),
      "webhook-signature": signature,
    });
    expect(verified).toEqual({ hello: "wörld", n: 1 });
  });

  test("during a rotation both secrets verify; the new signature comes first", async () => {
    const next = generateSecret();
    const previous = generateSecret();
    const ts = Math.floor(Date.now() / 1000);
    const header = await signatureHeader([next, previous], "evt_2", ts, "{}");
    const parts = header.split(" ");
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(await signatureHeader([next], "evt_2", ts, "{}"));
    for (const secret of [next, previous]) {
      expect(() =>
        new Webhook(secret).verify("{}", {
          "webhook-id": "evt_2",
          "webhook-timestamp": String(ts),
          "webhook-signature": header,
        }),
      ).not.toThrow();
    }
    expect(() =>
      new Webhook(generateSecret()).verify("{}", {
        "webhook-id": "evt_2",
        "webhook-timestamp": String(ts),
        "webhook-signature": header,
      }),
    ).toThrow();
  });

  test("secrets must be whsec_ with 24 to 64 key bytes", () => {
    expect(isValidSecret(generateSecret())).toBe(true);
    expect(isValidSecret(`whsec_${btoa("x".repeat(32))}`)).toBe(true);
    expect(isValidSecret("whsec_short")).toBe(false);
    expect(isValidSecret(`sk_${btoa("x".repeat(32))}`)).toBe(false);
    expect(isValidSecret("whsec_!!!not-base64!!!")).toBe(false);
    // atob() skips whitespace; the Standard Webhooks library does not, so neither may we.
    const key = btoa("x".repeat(24));
    const spaced = `whsec_${key.slice(0, 16)} ${key.slice(16)}`;
    expect(isValidSecret(`whsec_${key}`)).toBe(true);
    expect(() => new Webhook(spaced)).toThrow();
    expect(isValidSecret(spaced)).toBe(false);
    expect(isValidSecret(`whsec_${btoa("x".repeat(32))}\n`)).toBe(false);
  });

  test("v1a: whsk_/whpk_ key pairs; each private key signs, after every v1 signature, in order", async () => {
    const [next, previous] = [await generateKeyPair(), await generateKeyPair()];
    expect(next.privateKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(next.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const secret = generateSecret();
    const sign = await createSigner({
      secrets: [secret],
      privateKeys: [next.privateKey, previous.privateKey],
    });
    const header = await sign("evt_3", 1_700_000_000, '{"a":1}');
    const parts = header.split(" ");
    expect(parts.map((p) => p.split(",")[0])).toEqual(["v1", "v1a", "v1a"]);
    const content = 'evt_3.1700000000.{"a":1}';
    expect(await ed25519Verifies(next.publicKey, content, parts[1]!.slice(4))).toBe(true);
    expect(await ed25519Verifies(previous.publicKey, content, parts[2]!.slice(4))).toBe(true);
    expect(await ed25519Verifies(next.publicKey, content, parts[2]!.slice(4))).toBe(false);
    expect(await ed25519Verifies(next.publicKey, `${content} `, parts[1]!.slice(4))).toBe(false);
  });

  test("the JWK of a public key: OKP/Ed25519, base64url x, RFC 7638 thumbprint as kid", async () => {
    // RFC 8037 appendix A.2's public key; A.3 gives its thumbprint.
    const x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const raw = atob(x.replace(/-/g, "+").replace(/_/g, "/"));
    const publicKey = `whpk_${btoa(raw)}`;
    expect(await publicJwk(publicKey)).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      x,
      kid: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
      use: "sig",
      alg: "EdDSA",
    });
  });
});
