/** The client's retry rules with a scripted fetch: what is retried, how long it waits, what is not. */
import { describe, expect, test } from "vitest";
import { HookrelayClient } from "../src/client";
import { HookrelayError } from "../src/errors";

const APP = "01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00";
const MESSAGE = {
  object: "message",
  id: "01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d01",
  application_id: APP,
  event_type: "order.paid",
  payload: {},
  idempotency_key: "k",
  resource: null,
  created_at: "2026-11-22T15:37:13.123Z",
};

function problem(status: number, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ type: "about:blank", title: "t", status, detail: "d" }), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

function scripted(answers: (() => Response)[]) {
  const requests: Request[] = [];
  const waits: number[] = [];
  const client = new HookrelayClient({
    baseUrl: "http://relay.test/",
    token: "t",
    idempotencyKey: () => "made-here",
    sleep: async (ms) => {
      waits.push(ms);
    },
    fetch: async (request) => {
      requests.push(request.clone());
      const next = answers.shift();
      if (!next) throw new Error("no more answers scripted");
      return next();
    },
  });
  return { client, requests, waits };
}

const ok = () => new Response(JSON.stringify(MESSAGE), { status: 202, headers: { "content-type": "application/json" } });
const networkError = () => {
  throw new TypeError("fetch failed");
};

describe("retries", () => {
  test("publish retries 503, 429 and network errors with one idempotency key, honouring Retry-After", async () => {
    const { client, requests, waits } = scripted([
      () => problem(503),
      networkError,
      () => problem(429, { "retry-after": "7" }),
      ok,
    ]);
    const message = await client.messages.publish({ application_id: APP, event_type: "order.paid", payload: {} });
    expect(message.id).toBe(MESSAGE.id);
    const keys = await Promise.all(requests.map(async (r) => (await r.json()).idempotency_key));
    expect(keys).toEqual(["made-here", "made-here", "made-here", "made-here"]);
    expect(requests[0]!.headers.get("authorization")).toBe("Bearer t");
    expect(requests[0]!.url).toBe("http://relay.test/v1/messages");
    expect(waits).toHaveLength(3);
    expect(waits[2]).toBeGreaterThanOrEqual(7000);
  });

  test("a caller's own idempotency key is kept", async () => {
    const { client, requests } = scripted([() => problem(502), ok]);
    await client.messages.publish({
      application_id: APP,
      event_type: "order.paid",
      payload: {},
      idempotency_key: "mine",
    });
    const keys = await Promise.all(requests.map(async (r) => (await r.json()).idempotency_key));
    expect(keys).toEqual(["mine", "mine"]);
  });

  test("gives up after the attempts allowed, with the last problem", async () => {
    const { client, requests } = scripted([() => problem(503), () => problem(503), () => problem(503), () => problem(503)]);
    const error = await client.applications.get(APP).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HookrelayError);
    expect((error as HookrelayError).status).toBe(503);
    expect(requests).toHaveLength(4);
  });

  test("4xx other than 408/429 is final, and writes without an idempotency key are never retried", async () => {
    const refused = scripted([() => problem(422)]);
    await expect(refused.client.messages.publish({ application_id: APP, event_type: "x", payload: 1 })).rejects.toThrow(
      HookrelayError,
    );
    expect(refused.requests).toHaveLength(1);

    const create = scripted([() => problem(503)]);
    await expect(create.client.applications.create({ name: "a" })).rejects.toThrow(HookrelayError);
    expect(create.requests).toHaveLength(1);
  });

  test("a non-problem error body still becomes a HookrelayError", async () => {
    const { client } = scripted([() => new Response("<html>bad gateway</html>", { status: 400 })]);
    const error = (await client.health().catch((e: unknown) => e)) as HookrelayError;
    expect(error.problem).toMatchObject({ status: 400 });
  });
});
