/**
 * Issue #17, defects 1, 4 and 5: concurrent requests that race on a limit, a
 * unique value or a vanishing parent are the client's problem (404, 409),
 * never a 500, and a limit holds however many creates arrive at once. Each
 * race runs 20 requests at once and is repeated.
 */
import { describe, expect, inject, test } from "vitest";
import { api, createApplication } from "../helpers/api";

const receiverUrl = inject("receiverUrl");
const ROUNDS = 3;
const AT_ONCE = 20;

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe("races are answered as the client's problem", () => {
  test("20 concurrent webhook creates on webhook_limit 2: exactly 2 × 201, the rest 409", async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const app = await createApplication({ webhook_limit: 2 });
      const statuses = await Promise.all(
        Array.from({ length: AT_ONCE }, (_, i) =>
          api("POST", "/v1/webhooks", {
            application_id: app.id,
            url: `${receiverUrl}/limit/${round}/${i}`,
          }).then((res) => res.status),
        ),
      );
      expect(tally(statuses), `round ${round}`).toEqual({ 201: 2, 409: AT_ONCE - 2 });
      const listed = await api("GET", `/v1/webhooks?application_id=${app.id}`);
      expect(listed.body.data).toHaveLength(2);
    }
  });

  test("20 concurrent application creates with one uid: one 201, the rest 409", async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const uid = `race-${crypto.randomUUID()}`;
      const answers = await Promise.all(
        Array.from({ length: AT_ONCE }, (_, i) =>
          api("POST", "/v1/applications", { name: `racer ${i}`, uid }),
        ),
      );
      expect(tally(answers.map((a) => a.status)), `round ${round}`).toEqual({
        201: 1,
        409: AT_ONCE - 1,
      });
      for (const answer of answers.filter((a) => a.status === 409)) {
        expect(answer.body.detail).toContain(uid);
      }
    }
  });

  test("20 concurrent PATCHes to one uid on different applications: one 200, the rest 409", async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const uid = `race-${crypto.randomUUID()}`;
      const apps = await Promise.all(Array.from({ length: AT_ONCE }, () => createApplication()));
      const statuses = await Promise.all(
        apps.map((app) => api("PATCH", `/v1/applications/${app.id}`, { uid }).then((r) => r.status)),
      );
      expect(tally(statuses), `round ${round}`).toEqual({ 200: 1, 409: AT_ONCE - 1 });
    }
  });

  test("webhook creates racing the application's delete: 201 or 404, never 500", async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const app = await createApplication({ webhook_limit: 100 });
      const creates = Array.from({ length: AT_ONCE }, (_, i) =>
        api("POST", "/v1/webhooks", {
          application_id: app.id,
          url: `${receiverUrl}/gone/${round}/${i}`,
          secret: "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
        }).then((res) => res.status),
      );
      const remove = api("DELETE", `/v1/applications/${app.id}`).then((res) => res.status);
      const [deleted, ...statuses] = await Promise.all([remove, ...creates]);
      expect(deleted).toBe(200);
      for (const status of statuses) expect([201, 404], `round ${round}`).toContain(status);
      const after = await api("POST", "/v1/webhooks", {
        application_id: app.id,
        url: `${receiverUrl}/gone/after`,
      });
      expect(after.status).toBe(404);
    }
  });

  test("API key creates racing the application's delete: 201 or 404, never 500", async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const app = await createApplication();
      const creates = Array.from({ length: AT_ONCE }, (_, i) =>
        api("POST", "/v1/api-keys", {
          name: `racer ${i}`,
          scope: "publisher",
          application_id: app.id,
        }).then((res) => res.status),
      );
      const remove = api("DELETE", `/v1/applications/${app.id}`).then((res) => res.status);
      const [deleted, ...statuses] = await Promise.all([remove, ...creates]);
      expect(deleted).toBe(200);
      for (const status of statuses) expect([201, 404], `round ${round}`).toContain(status);
    }
  });
});
