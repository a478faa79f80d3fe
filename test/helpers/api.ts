/** Calling the Worker's API from tests inside workerd, through its real fetch handler. */
import { exports } from "cloudflare:workers";

export const ADMIN_TOKEN = "test-admin-token";

export type ApiResponse<T = any> = { status: number; body: T; headers: Headers };

export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  options: { token?: string | null; headers?: Record<string, string>; raw?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined = options.raw;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] ??= "application/json";
  }
  const res = await exports.default.fetch(`http://relay.test${path}`, {
    method,
    headers,
    body: payload,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Non-JSON answers (the docs page) stay text.
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export async function createApplication(overrides: Record<string, unknown> = {}) {
  const res = await api("POST", "/v1/applications", {
    name: `app ${crypto.randomUUID()}`,
    ...overrides,
  });
  if (res.status !== 201)
    throw new Error(`createApplication: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; [k: string]: unknown };
}

export async function createWebhook(
  applicationId: string,
  url: string,
  overrides: Record<string, unknown> = {},
) {
  const res = await api("POST", "/v1/webhooks", {
    application_id: applicationId,
    url,
    ...overrides,
  });
  if (res.status !== 201)
    throw new Error(`createWebhook: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; secret: string; [k: string]: unknown };
}

export async function publish(
  applicationId: string,
  eventType: string,
  payload: unknown,
  extra: Record<string, unknown> = {},
) {
  const res = await api("POST", "/v1/messages", {
    application_id: applicationId,
    event_type: eventType,
    payload,
    ...extra,
  });
  if (res.status !== 202) throw new Error(`publish: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; [k: string]: unknown };
}

export async function listEvents(webhookId: string, query = "") {
  const res = await api("GET", `/v1/events?webhook_id=${webhookId}${query}`);
  if (res.status !== 200) throw new Error(`listEvents: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as Array<Record<string, any>>;
}

/** Every page of an events list (`query` after `/v1/events?`), following its cursor. */
export async function listAllEvents(query: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const res: ApiResponse = await api("GET", `/v1/events?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (res.status !== 200) throw new Error(`listAllEvents: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return out;
}
