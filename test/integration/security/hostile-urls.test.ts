/**
 * Property: a webhook URL in any spelling — random web URLs, every IPv4 and
 * IPv6 notation, other schemes, credentials, odd ports, metadata hosts — is
 * never a 5xx; a refusal names `url` and stores nothing; and with production
 * settings, whatever is accepted is https without credentials.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../../../src/app";
import { makeDeps } from "../../../src/deps";
import { ADMIN_TOKEN, api, createApplication } from "../../helpers/api";
import { hostileUrls, rowCounts } from "./hostile";

describe("hostile webhook URLs", () => {
  let applicationId: string;

  beforeAll(async () => {
    applicationId = (await createApplication({ webhook_limit: 1000 })).id;
  });

  test("whatever the spelling, no 5xx, and a refusal stores nothing and names url", async () => {
    await fc.assert(
      fc.asyncProperty(hostileUrls, async (url) => {
        const before = await rowCounts();
        const res = await api("POST", "/v1/webhooks", { application_id: applicationId, url });
        expect(res.status, url).toBeLessThan(500);
        if (res.status === 201) return;
        expect(await rowCounts()).toEqual(before);
        if (res.status === 422) {
          expect(res.body.errors.map((e: any) => e.path).join(" "), url).toMatch(/url/);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  test("with production settings, what is accepted is https without credentials", async () => {
    const production = createApp((e) => {
      const deps = makeDeps(e);
      return { ...deps, settings: { ...deps.settings, allowPrivateUrls: false } };
    });
    await fc.assert(
      fc.asyncProperty(hostileUrls, async (url) => {
        const before = await rowCounts();
        const res = await production.request(
          "/v1/webhooks",
          {
            method: "POST",
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
            body: JSON.stringify({ application_id: applicationId, url }),
          },
          env,
        );
        expect(res.status, url).toBeLessThan(500);
        const body = (await res.json()) as any;
        if (res.status !== 201) {
          expect(await rowCounts()).toEqual(before);
          return;
        }
        const stored = new URL(body.url);
        expect(stored.protocol, url).toBe("https:");
        expect(stored.username + stored.password, url).toBe("");
        expect(body.url.length, url).toBeLessThanOrEqual(2048);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  test("in production, names that resolve to private addresses are a 422 naming url, at create and at PATCH", async () => {
    // Issue #27, point 4: the names it was shown with, and their kin.
    const production = createApp((e) => {
      const deps = makeDeps(e);
      return { ...deps, settings: { ...deps.settings, allowPrivateUrls: false } };
    });
    const call = async (method: string, path: string, body: unknown) => {
      const res = await production.request(
        path,
        {
          method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        },
        env,
      );
      return { status: res.status, body: (await res.json()) as any };
    };
    const created = await call("POST", "/v1/webhooks", {
      application_id: applicationId,
      url: "https://hooks.example.com/a",
    });
    expect(created.status).toBe(201);
    for (const url of [
      "https://127.0.0.1.nip.io/hook",
      "https://localtest.me/hook",
      "https://localhost.localdomain/hook",
      "https://kubernetes.default.svc/hook",
      "https://app-10-0-0-1.sslip.io/hook",
      "https://db.svc.cluster.local/hook",
      "https://intranet/hook",
    ]) {
      const before = await rowCounts();
      for (const [method, path, body] of [
        ["POST", "/v1/webhooks", { application_id: applicationId, url }],
        ["PATCH", `/v1/webhooks/${created.body.id}`, { url }],
      ] as const) {
        const res = await call(method, path, body);
        expect(res.status, `${method} ${url}`).toBe(422);
        expect(res.body.errors.map((e: { path: string }) => e.path), url).toEqual(["url"]);
      }
      expect(await rowCounts()).toEqual(before);
    }
    expect((await api("GET", `/v1/webhooks/${created.body.id}`)).body.url).toBe("https://hooks.example.com/a");
  });
});
