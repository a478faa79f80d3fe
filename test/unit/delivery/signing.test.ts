import { Webhook } from "standardwebhooks";
import { describe, expect, test } from "vitest";
import { generateSecret, isValidSecret, signatureHeader } from "../../../src/delivery/signing";

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
  });
});
