/**
 * @module The API client: every call the dashboard makes, with the token as
 * `Authorization: Bearer` (never in a URL) and failures as {@link ApiError}
 * carrying the problem+json `detail`.
 */
import type { Application, ApplicationList } from "../../src/api/applications/schemas";
import type { Problem } from "../../src/api/common";
import type { AttemptList, DeliveryEvent, DeliveryStatus, EventList } from "../../src/api/events/schemas";
import type { MessageWithEvents } from "../../src/api/messages/schemas";
import type { PortalLinkList } from "../../src/api/portal-links/schemas";
import type { CreateReplayInput, Replay, ReplayDryRun } from "../../src/api/replays/schemas";
import type {
  CreateWebhookInput,
  Recovery,
  UpdateWebhookInput,
  Webhook,
  WebhookJwks,
  WebhookList,
  WebhookSecret,
  WebhookStats,
  WebhookWithSecret,
} from "../../src/api/webhooks/schemas";

/** The webhook settings the dashboard's form sends, on create and on update. */
export type WebhookInput = Omit<CreateWebhookInput, "application_id" | "secret">;

/** A failed call: the problem the API answered, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: { path: string; message: string }[];

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
  }
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Problem).status === "number" &&
    typeof (value as Problem).title === "string"
  );
}

export type EventFilter = {
  webhookId: string;
  status?: DeliveryStatus | undefined;
  type?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
};

export type Client = ReturnType<typeof createClient>;

/**
 * A client for one token. `onUnauthorized` runs on any 401, so that a revoked
 * or mistyped token ends the session wherever the call was made.
 */
export function createClient(token: string, onUnauthorized: (error: ApiError) => void = () => {}) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      accept: "application/json",
      authorization: `Bearer ${token}`,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      throw new ApiError({
        type: "about:blank",
        title: "Network error",
        status: 0,
        detail: "Could not reach the relay. Check your connection and try again.",
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = new ApiError(
        isProblem(parsed)
          ? parsed
          : {
              type: "about:blank",
              title: response.statusText || "Error",
              status: response.status,
              detail: `The relay answered ${response.status} ${response.statusText}.`.trim(),
            },
      );
      if (response.status === 401) onUnauthorized(error);
      throw error;
    }
    return parsed as T;
  }

  const query = (params: Record<string, string | number | undefined>) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params))
      if (value !== undefined && value !== "") search.set(key, String(value));
    const text = search.toString();
    return text ? `?${text}` : "";
  };
  const id = encodeURIComponent;

  return {
    listApplications: (cursor?: string, limit = 50) =>
      call<ApplicationList>("GET", `/v1/applications${query({ cursor, limit })}`),
    getApplication: (applicationId: string) =>
      call<Application>("GET", `/v1/applications/${id(applicationId)}`),
    createApplication: (input: { name: string; uid?: string; webhook_limit?: number }) =>
      call<Application>("POST", "/v1/applications", input),
    listPortalLinks: (applicationId: string, cursor?: string) =>
      call<PortalLinkList>(
        "GET",
        `/v1/applications/${id(applicationId)}/portal-links${query({ cursor, limit: 100 })}`,
      ),
    revokePortalLink: (linkId: string) =>
      call<{ deleted: true }>("DELETE", `/v1/portal-links/${id(linkId)}`),

    listWebhooks: (applicationId: string, cursor?: string) =>
      call<WebhookList>(
        "GET",
        `/v1/webhooks${query({ application_id: applicationId, cursor, limit: 100 })}`,
      ),
    getWebhook: (webhookId: string) => call<Webhook>("GET", `/v1/webhooks/${id(webhookId)}`),
    createWebhook: (applicationId: string, input: WebhookInput) =>
      call<WebhookWithSecret>("POST", "/v1/webhooks", {
        application_id: applicationId,
        ...input,
      }),
    updateWebhook: (webhookId: string, input: UpdateWebhookInput) =>
      call<Webhook>("PATCH", `/v1/webhooks/${id(webhookId)}`, input),
    deleteWebhook: (webhookId: string) =>
      call<{ deleted: true }>("DELETE", `/v1/webhooks/${id(webhookId)}`),
    getSecret: (webhookId: string) =>
      call<WebhookSecret>("GET", `/v1/webhooks/${id(webhookId)}/secret`),
    rotateSecret: (webhookId: string) =>
      call<WebhookSecret>("POST", `/v1/webhooks/${id(webhookId)}/secret/rotate`, {}),
    getJwks: (webhookId: string) => call<WebhookJwks>("GET", `/v1/webhooks/${id(webhookId)}/jwks`),
    listClientCertificates: () =>
      call<{ object: "list"; data: string[] }>("GET", "/v1/tls-client-certificates"),
    sendTest: (webhookId: string) =>
      call<DeliveryEvent>("POST", `/v1/webhooks/${id(webhookId)}/test`, {}),
    recover: (webhookId: string, since: string) =>
      call<Recovery>("POST", `/v1/webhooks/${id(webhookId)}/recover`, { since }),
    replayDryRun: (webhookId: string, input: Omit<CreateReplayInput, "dry_run">) =>
      call<ReplayDryRun>("POST", `/v1/webhooks/${id(webhookId)}/replay`, { ...input, dry_run: true }),
    replay: (webhookId: string, input: Omit<CreateReplayInput, "dry_run">) =>
      call<Replay>("POST", `/v1/webhooks/${id(webhookId)}/replay`, input),
    getReplay: (replayId: string) => call<Replay>("GET", `/v1/replays/${id(replayId)}`),
    stats: (webhookId: string) =>
      call<WebhookStats>("GET", `/v1/webhooks/${id(webhookId)}/stats`),

    listEvents: (filter: EventFilter) =>
      call<EventList>(
        "GET",
        `/v1/events${query({
          webhook_id: filter.webhookId,
          delivery_status: filter.status,
          type: filter.type,
          cursor: filter.cursor,
          limit: filter.limit,
        })}`,
      ),
    getEvent: (eventId: string, webhookId: string) =>
      call<DeliveryEvent>(
        "GET",
        `/v1/events/${id(eventId)}${query({ webhook_id: webhookId })}`,
      ),
    retryEvent: (eventId: string, webhookId: string) =>
      call<DeliveryEvent>(
        "POST",
        `/v1/events/${id(eventId)}/retry${query({ webhook_id: webhookId })}`,
        {},
      ),
    listAttempts: (eventId: string, cursor?: string) =>
      call<AttemptList>(
        "GET",
        `/v1/events/${id(eventId)}/attempts${query({ cursor, limit: 100 })}`,
      ),
    getMessage: (messageId: string) => call<MessageWithEvents>("GET", `/v1/messages/${id(messageId)}`),
  };
}
