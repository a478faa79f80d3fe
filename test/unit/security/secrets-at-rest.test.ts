import { describe, expect, test } from "vitest";
import { resealed, SignerCache } from "../../../src/delivery/attempt/credentials";
import type { Settings } from "../../../src/env";
import {
  encryptionKeyProblem,
  type SecretBox,
  secretBox,
  UnreadableSecretError,
} from "../../../src/security/secrets-at-rest";

const key = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));
const settings = (encryptionKey: string | null, encryptionKeyPrevious: string | null = null) =>
  ({ encryptionKey, encryptionKeyPrevious }) as Settings;

describe("secrets at rest", () => {
  test("sealed values open under their row only, and never hold the plaintext", async () => {
    const box = secretBox(settings(key(1)));
    const sealed = await box.seal("row-a", "whsec_c2VjcmV0");
    expect(sealed).toMatch(/^enc1:[A-Za-z0-9+/]+=*$/);
    expect(sealed).not.toContain("whsec_");
    expect(await box.seal("row-a", "whsec_c2VjcmV0")).not.toBe(sealed);
    expect(await box.open("row-a", sealed)).toEqual({ value: "whsec_c2VjcmV0", current: true });
    await expect(box.open("row-b", sealed)).rejects.toBeInstanceOf(UnreadableSecretError);
    const flipped = `enc1:${btoa(String.fromCharCode(...Uint8Array.from(atob(sealed.slice(5)), (c, i) => (i === 20 ? c.charCodeAt(0) ^ 1 : c.charCodeAt(0)))))}`;
    await expect(box.open("row-a", flipped)).rejects.toBeInstanceOf(UnreadableSecretError);
  });

  test("the previous key still opens, flagged not current; a value never sealed does not open", async () => {
    const old = await secretBox(settings(key(2))).seal("row", "whsk_b2xk");
    const current = await secretBox(settings(key(3))).seal("row", "whsec_Y2xlYXI=");
    const rotated = secretBox(settings(key(3), key(2)));
    expect(await rotated.open("row", old)).toEqual({ value: "whsk_b2xk", current: false });
    await expect(rotated.open("row", "whsec_Y2xlYXI=")).rejects.toBeInstanceOf(UnreadableSecretError);
    await expect(secretBox(settings(key(3))).open("row", old)).rejects.toBeInstanceOf(UnreadableSecretError);

    const row = { id: "row", secret: current, previousSecret: null, privateKey: old, previousPrivateKey: null };
    const changes = (await resealed(rotated, row))!;
    expect(Object.keys(changes)).toEqual(["privateKey"]);
    expect(await resealed(rotated, { ...row, ...changes })).toBeNull();
  });

  test("a missing or malformed key is a 503 problem that names the setting", () => {
    expect(encryptionKeyProblem(settings(key(1)))).toBeNull();
    expect(encryptionKeyProblem(settings(null))).toMatch(/RELAY_ENCRYPTION_KEY is not set/);
    expect(encryptionKeyProblem(settings(btoa("short")))).toMatch(/32 bytes/);
    expect(encryptionKeyProblem(settings(key(1), "%%%"))).toMatch(/RELAY_ENCRYPTION_KEY_PREVIOUS/);
    expect(() => secretBox(settings(null))).toThrow(expect.objectContaining({ status: 503 }));
  });

  test("the signer is built once per webhook version and rotation state, not per attempt", async () => {
    const real = secretBox(settings(key(4)));
    let opened = 0;
    const counting: SecretBox = {
      seal: real.seal,
      open: (rowId, stored) => {
        opened += 1;
        return real.open(rowId, stored);
      },
    };
    const row = {
      id: "w1",
      signatureScheme: "v1+v1a" as const,
      secret: await real.seal("w1", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
      previousSecret: await real.seal("w1", "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"),
      previousSecretExpiresAt: "2026-01-02T00:00:00.000Z",
      publicKey: null,
      privateKey: null,
      previousPublicKey: null,
      previousPrivateKey: null,
      previousKeyExpiresAt: null,
    };
    const cache = new SignerCache();
    const during = new Date("2026-01-01T12:00:00Z");
    const first = await cache.get(row, during, () => counting);
    for (let i = 0; i < 10; i++) expect(await cache.get(row, during, () => counting)).toBe(first);
    expect(opened).toBe(2);
    expect((await first("e", 1, "{}")).split(" ")).toHaveLength(2);
    // The overlap ends: one rebuild, with the current secret alone.
    const after = await cache.get(row, new Date("2026-01-02T00:00:01Z"), () => counting);
    expect(opened).toBe(3);
    expect((await after("e", 1, "{}")).split(" ")).toHaveLength(1);
    // A new version (rotation, reencrypt): rebuilt once more.
    await cache.get({ ...row, secret: await real.seal("w1", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") }, during, () => counting);
    expect(opened).toBe(5);
  });
});
