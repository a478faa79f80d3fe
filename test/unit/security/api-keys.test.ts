import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { sha256Hex } from "../../../src/lib/crypto";
import {
  hashApiKey,
  issueApiKey,
  keyPrefix,
  looksLikeApiKey,
} from "../../../src/security/api-keys";
import { bearerToken } from "../../../src/security/auth";

describe("API key material", () => {
  test("hr_ and 32 random bytes in base64url; stored as its SHA-256; prefix too short to use", async () => {
    const { key, hash, prefix } = await issueApiKey();
    expect(key).toMatch(/^hr_[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(await sha256Hex(key));
    expect(hash).not.toContain(key.slice(3));
    expect(prefix).toBe(key.slice(0, 11));
    expect(looksLikeApiKey(key)).toBe(true);
  });

  test("every 32-byte value makes a key that is recognised, and distinct bytes distinct hashes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (a, b) => {
          const first = await issueApiKey(() => a);
          const second = await issueApiKey(() => b);
          expect(looksLikeApiKey(first.key)).toBe(true);
          expect(keyPrefix(first.key)).toBe(first.prefix);
          const same = a.every((byte, i) => byte === b[i]);
          expect(first.hash === second.hash).toBe(same);
        },
      ),
      { numRuns: 50 },
    );
  });

  test("tokens of other shapes are not keys, so they cost no lookup", async () => {
    for (const token of [
      "",
      "hr_",
      "test-admin-token",
      "hr_admin_abc",
      `hr_${"A".repeat(42)}`,
      `hr_${"A".repeat(44)}`,
      `hr_${"A".repeat(42)}=`,
      `hr_${"A".repeat(42)}+`,
      `HR_${"A".repeat(43)}`,
    ]) {
      expect(looksLikeApiKey(token), token).toBe(false);
    }
    expect(await hashApiKey("x")).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("bearerToken", () => {
  test("one visible token after `Bearer`, any case; anything else is no token", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer   abc  ")).toBe("abc");
    for (const header of [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Basic Zm9vOmJhcg==",
      "Bearer a b",
      "Bearerabc",
      "Bearer a\u00e9",
    ]) {
      expect(bearerToken(header), String(header)).toBeNull();
    }
  });
});
