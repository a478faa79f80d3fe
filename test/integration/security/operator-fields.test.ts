/**
 * Issue #17, defect 6: `uid` and `webhook_limit` are the operator's fields. A
 * key confined to one application may not set them (403), and its answer is
 * the same whether or not another tenant holds the uid it asks for.
 */
import { describe, expect, test } from "vitest";
import { api, createApplication } from "../../helpers/api";
import { createKey } from "./tenants";

describe("a confined admin key and the operator's fields", () => {
  test("may not change uid or webhook_limit, and learns nothing of other tenants' uids", async () => {
    const a = await createApplication({ uid: `a-${crypto.randomUUID()}`, webhook_limit: 2 });
    const b = await createApplication({ uid: `b-${crypto.randomUUID()}` });
    const { key } = await createKey({ name: "tenant", scope: "admin", application_id: a.id });
    const patch = (body: unknown) => api("PATCH", `/v1/applications/${a.id}`, body, { token: key });

    const taken = await patch({ uid: b.uid });
    const free = await patch({ uid: `free-${crypto.randomUUID()}` });
    expect(taken.status).toBe(403);
    expect(free.status).toBe(403);
    expect(taken.body.detail).toBe(free.body.detail);
    expect(JSON.stringify(taken.body)).not.toContain(String(b.uid));

    expect((await patch({ webhook_limit: 1000 })).status).toBe(403);
    expect((await patch({ name: "renamed", webhook_limit: 2 })).status).toBe(403);
    const unchanged = await api("GET", `/v1/applications/${a.id}`);
    expect(unchanged.body).toMatchObject({ uid: a.uid, webhook_limit: 2 });
    expect(unchanged.body.name).not.toBe("renamed");

    // What is the tenant's own stays the tenant's to change.
    const renamed = await patch({ name: "renamed", metadata: { plan: "pro" } });
    expect(renamed.status).toBe(200);
    // The operator still may.
    expect((await api("PATCH", `/v1/applications/${a.id}`, { webhook_limit: 5 })).status).toBe(200);
  });
});
