/**
 * @module The hookrelay client: one method per route, typed from the
 * OpenAPI document (src/schema.ts, generated) through openapi-fetch, which
 * builds each request from the path's own types. Non-2xx answers throw
 * {@link HookrelayError} carrying the problem+json body; lists page with an
 * async iterator; reads and publishes retry on 408/429/5xx and network
 * errors, publishes always under one idempotency key so that a retry can
 * never deliver an event twice.
 */
import createFetchClient, { type Client } from "openapi-fetch";
import { HookrelayError } from "./errors.js";
import type { components, operations, paths } from "./schema.js";

type Schemas = components["schemas"];
export type Application = Schemas["Application"];
export type Webhook = Schemas["Webhook"];
export type WebhookWithSecret = Schemas["WebhookWithSecret"];
export type WebhookSecret = Schemas["WebhookSecret"];
export type WebhookStats = Schemas["WebhookStats"];
export type WebhookJwks = Schemas["WebhookJwks"];
export type Recovery = Schemas["Recovery"];
export type Message = Schemas["Message"];
export type MessageWithEvents = Schemas["MessageWithEvents"];
export type DeliveryEvent = Schemas["Event"];
export type Attempt = Schemas["Attempt"];
export type ApiKey = Schemas["ApiKey"];
export type ApiKeyWithKey = Schemas["ApiKeyWithKey"];
export type Usage = Schemas["Usage"];
export type Maintenance = Schemas["Maintenance"];
export type Storage = Schemas["Storage"];
export type EventType = Schemas["EventType"];
export type DeletedEventType = Schemas["DeletedEventType"];

export type CreateApplication = Schemas["CreateApplication"];
export type UpdateApplication = Schemas["UpdateApplication"];
export type CreateWebhook = Schemas["CreateWebhook"];
export type UpdateWebhook = Schemas["UpdateWebhook"];
export type PublishMessage = Schemas["PublishMessage"];
export type PublishBatchResult = Schemas["PublishBatchResult"];
export type CreateApiKey = Schemas["CreateApiKey"];
export type RotateSecret = Schemas["RotateSecret"];
export type Recover = Schemas["Recover"];
export type FilterTest = Schemas["FilterTest"];
export type FilterTestResult = Schemas["FilterTestResult"];
export type CreateReplay = Schemas["CreateReplay"];
export type Replay = Schemas["Replay"];
export type ReplayDryRun = Schemas["ReplayDryRun"];
export type PortalLink = Schemas["PortalLink"];
export type ListedPortalLink = Schemas["ListedPortalLink"];
export type CreatePortalLink = Schemas["CreatePortalLink"];
export type CreateEventType = Schemas["CreateEventType"];
export type UpdateEventType = Schemas["UpdateEventType"];
export type RetryPolicy = Schemas["RetryPolicy"];
export type DeliveryStatus = DeliveryEvent["delivery_status"];

type Query<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;
/** A list query without its cursor: the iterators follow the cursor themselves. */
type IterateQuery<Op extends keyof operations> = Omit<Query<Op>, "cursor">;
export type Page<T> = { object: "list"; data: T[]; next_cursor: string | null };
export type Deleted<K extends string> = { object: K; id: string; deleted: true };

export type RetryOptions = {
  /** Tries in all, the first included; 1 turns retries off. Default 4. */
  attempts?: number;
  /** The first wait, doubled on each retry, with jitter. Default 250 ms. */
  baseDelayMs?: number;
  /** No wait is longer, unless the relay's Retry-After asks for more. Default 8 s. */
  maxDelayMs?: number;
};

export type ClientOptions = {
  /** Where the relay runs, e.g. `https://relay.example.com` or `http://localhost:8787`. */
  baseUrl: string;
  /** The admin token or an API key. */
  token: string;
  retry?: RetryOptions;
  /** For tests and other runtimes; the global fetch by default. */
  fetch?: (request: Request) => Promise<Response>;
  /** How to wait between retries; setTimeout by default (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** Source of new idempotency keys; crypto.randomUUID by default. */
  idempotencyKey?: () => string;
};

/** Statuses worth another try: the relay, or something in front of it, was momentarily unable. */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

/** What openapi-fetch answers: data on 2xx, the parsed error body otherwise. */
type Result = { data?: unknown; error?: unknown; response: Response };
type DataOf<R extends Result> = Exclude<R["data"], undefined>;

export class HookrelayClient {
  readonly http: Client<paths>;
  private readonly retry: Required<RetryOptions>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly newKey: () => string;

  constructor(options: ClientOptions) {
    this.http = createFetchClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      headers: { authorization: `Bearer ${options.token}` },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.retry = { attempts: 4, baseDelayMs: 250, maxDelayMs: 8_000, ...options.retry };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.newKey = options.idempotencyKey ?? (() => crypto.randomUUID());
  }

  /** Data of a 2xx, or a HookrelayError; no retries (the call may not be repeatable). */
  private async once<R extends Result>(call: () => Promise<R>): Promise<DataOf<R>> {
    const result = await call();
    if (result.error !== undefined || !result.response.ok) {
      throw new HookrelayError(result.response, result.error);
    }
    return result.data as DataOf<R>;
  }

  /**
   * Like {@link once}, retrying what may be repeated without harm: reads, and
   * publishes (which carry an idempotency key). Waits back off exponentially
   * with jitter and honour the relay's Retry-After.
   */
  private async retrying<R extends Result>(call: () => Promise<R>): Promise<DataOf<R>> {
    const { attempts, baseDelayMs, maxDelayMs } = this.retry;
    for (let attempt = 1; ; attempt += 1) {
      let failure: unknown;
      let waitAtLeastMs = 0;
      try {
        return await this.once(call);
      } catch (error) {
        failure = error;
        if (error instanceof HookrelayError) {
          if (!RETRYABLE.has(error.status)) throw error;
          waitAtLeastMs = (error.retryAfterSeconds ?? 0) * 1000;
        } else if (!(error instanceof TypeError)) {
          // fetch rejects with TypeError on network failure; anything else is a bug to surface.
          throw error;
        }
      }
      if (attempt >= attempts) throw failure;
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      await this.sleep(Math.max(waitAtLeastMs, Math.round(backoff * (0.5 + Math.random() / 2))));
    }
  }

  /** Every item of a list, following `next_cursor` page by page. */
  private async *iterate<T>(page: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const current = await page(cursor);
      yield* current.data;
      cursor = current.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  health(): Promise<{ status: "ok" }> {
    return this.retrying(() => this.http.GET("/v1/health"));
  }

  readonly apiKeys = {
    create: (body: CreateApiKey): Promise<ApiKeyWithKey> =>
      this.once(() => this.http.POST("/v1/api-keys", { body })),
    list: (query: Query<"listApiKeys"> = {}): Promise<Page<ApiKey>> =>
      this.retrying(() => this.http.GET("/v1/api-keys", { params: { query } })),
    iterate: (query: IterateQuery<"listApiKeys"> = {}): AsyncGenerator<ApiKey> =>
      this.iterate((cursor) => this.apiKeys.list({ ...query, cursor })),
    delete: (id: string): Promise<Deleted<"api_key">> =>
      this.once(() => this.http.DELETE("/v1/api-keys/{id}", { params: { path: { id } } })),
  };

  readonly applications = {
    create: (body: CreateApplication): Promise<Application> =>
      this.once(() => this.http.POST("/v1/applications", { body })),
    list: (query: Query<"listApplications"> = {}): Promise<Page<Application>> =>
      this.retrying(() => this.http.GET("/v1/applications", { params: { query } })),
    iterate: (query: IterateQuery<"listApplications"> = {}): AsyncGenerator<Application> =>
      this.iterate((cursor) => this.applications.list({ ...query, cursor })),
    get: (id: string): Promise<Application> =>
      this.retrying(() => this.http.GET("/v1/applications/{id}", { params: { path: { id } } })),
    update: (id: string, body: UpdateApplication): Promise<Application> =>
      this.once(() => this.http.PATCH("/v1/applications/{id}", { params: { path: { id } }, body })),
    delete: (id: string): Promise<Deleted<"application">> =>
      this.once(() => this.http.DELETE("/v1/applications/{id}", { params: { path: { id } } })),
  };

  readonly webhooks = {
    create: (body: CreateWebhook): Promise<WebhookWithSecret> =>
      this.once(() => this.http.POST("/v1/webhooks", { body })),
    list: (query: Query<"listWebhooks"> = {}): Promise<Page<Webhook>> =>
      this.retrying(() => this.http.GET("/v1/webhooks", { params: { query } })),
    iterate: (query: IterateQuery<"listWebhooks"> = {}): AsyncGenerator<Webhook> =>
      this.iterate((cursor) => this.webhooks.list({ ...query, cursor })),
    get: (id: string): Promise<Webhook> =>
      this.retrying(() => this.http.GET("/v1/webhooks/{id}", { params: { path: { id } } })),
    update: (id: string, body: UpdateWebhook): Promise<Webhook> =>
      this.once(() => this.http.PATCH("/v1/webhooks/{id}", { params: { path: { id } }, body })),
    delete: (id: string): Promise<Deleted<"webhook">> =>
      this.once(() => this.http.DELETE("/v1/webhooks/{id}", { params: { path: { id } } })),
    secret: (id: string): Promise<WebhookSecret> =>
      this.retrying(() => this.http.GET("/v1/webhooks/{id}/secret", { params: { path: { id } } })),
    rotateSecret: (id: string, body: RotateSecret = {}): Promise<WebhookSecret> =>
      this.once(() =>
        this.http.POST("/v1/webhooks/{id}/secret/rotate", { params: { path: { id } }, body }),
      ),
    /** The public keys that verify `v1a` signatures, current first (a JWKS). */
    jwks: (id: string): Promise<WebhookJwks> =>
      this.retrying(() => this.http.GET("/v1/webhooks/{id}/jwks", { params: { path: { id } } })),
    /** The relay's mTLS certificate bindings a webhook's `tls_client_certificate` may name. */
    tlsClientCertificates: (): Promise<{ object: "list"; data: string[] }> =>
      this.retrying(() => this.http.GET("/v1/tls-client-certificates")),
    sendTest: (id: string): Promise<DeliveryEvent> =>
      this.once(() => this.http.POST("/v1/webhooks/{id}/test", { params: { path: { id } }, body: {} })),
    stats: (id: string): Promise<WebhookStats> =>
      this.retrying(() => this.http.GET("/v1/webhooks/{id}/stats", { params: { path: { id } } })),
    recover: (id: string, body: Recover): Promise<Recovery> =>
      this.once(() => this.http.POST("/v1/webhooks/{id}/recover", { params: { path: { id } }, body })),
    /** Whether a message would pass the webhook's saved filter; stores nothing, so it may be retried. */
    testFilter: (id: string, body: FilterTest): Promise<FilterTestResult> =>
      this.retrying(() =>
        this.http.POST("/v1/webhooks/{id}/filter/test", { params: { path: { id } }, body }),
      ),
    /** How many events a replay with this selection would send; a dry run, so it may be retried. */
    countReplay: (id: string, body: Omit<CreateReplay, "dry_run">): Promise<ReplayDryRun> =>
      this.retrying(() =>
        this.http.POST("/v1/webhooks/{id}/replay", {
          params: { path: { id } },
          body: { ...body, dry_run: true },
        }),
      ) as Promise<ReplayDryRun>,
    /** Gives each selected event one more attempt, page by page behind the queue; see replays.get. */
    replay: (id: string, body: Omit<CreateReplay, "dry_run">): Promise<Replay> =>
      this.once(() =>
        this.http.POST("/v1/webhooks/{id}/replay", {
          params: { path: { id } },
          body: { ...body, dry_run: false },
        }),
      ) as Promise<Replay>,
  };

  readonly portalLinks = {
    /** A link that opens the dashboard signed in to one application (the URL carries its token once). */
    create: (applicationId: string, body: CreatePortalLink = {}): Promise<PortalLink> =>
      this.once(() =>
        this.http.POST("/v1/applications/{id}/portal-links", { params: { path: { id: applicationId } }, body }),
      ),
    /** The application's links not yet expired or revoked, never their tokens. */
    list: (applicationId: string, query: Query<"listPortalLinks"> = {}): Promise<Page<ListedPortalLink>> =>
      this.retrying(() =>
        this.http.GET("/v1/applications/{id}/portal-links", { params: { path: { id: applicationId }, query } }),
      ),
    iterate: (applicationId: string, query: IterateQuery<"listPortalLinks"> = {}): AsyncGenerator<ListedPortalLink> =>
      this.iterate((cursor) => this.portalLinks.list(applicationId, { ...query, cursor })),
    /** Revokes a link at once. */
    revoke: (id: string): Promise<Deleted<"portal_link">> =>
      this.once(() => this.http.DELETE("/v1/portal-links/{id}", { params: { path: { id } } })),
  };

  readonly replays = {
    /** A replay's progress: `queued` of `matched` handed over, `status` running or done. */
    get: (id: string): Promise<Replay> =>
      this.retrying(() => this.http.GET("/v1/replays/{id}", { params: { path: { id } } })),
  };

  /**
   * The event catalog: every caller reads it; the admin token or an
   * unconfined admin key writes it. A payload published under a type with a
   * schema must match it (a HookrelayError 422 whose errors carry `pointer`).
   */
  readonly eventTypes = {
    create: (body: CreateEventType): Promise<EventType> =>
      this.once(() => this.http.POST("/v1/event-types", { body })),
    list: (query: Query<"listEventTypes"> = {}): Promise<Page<EventType>> =>
      this.retrying(() => this.http.GET("/v1/event-types", { params: { query } })),
    iterate: (query: IterateQuery<"listEventTypes"> = {}): AsyncGenerator<EventType> =>
      this.iterate((cursor) => this.eventTypes.list({ ...query, cursor })),
    get: (name: string): Promise<EventType> =>
      this.retrying(() => this.http.GET("/v1/event-types/{name}", { params: { path: { name } } })),
    update: (name: string, body: UpdateEventType): Promise<EventType> =>
      this.once(() => this.http.PATCH("/v1/event-types/{name}", { params: { path: { name } }, body })),
    delete: (name: string): Promise<DeletedEventType> =>
      this.once(() => this.http.DELETE("/v1/event-types/{name}", { params: { path: { name } } })),
  };

  readonly messages = {
    /**
     * Publishes one event. The idempotency key (yours, or one made here) is
     * the same on every retry, so a publish whose answer was lost is
     * answered by the first message (200) instead of delivering twice.
     */
    publish: (body: PublishMessage): Promise<Message> => {
      const withKey = { ...body, idempotency_key: body.idempotency_key ?? this.newKey() };
      return this.retrying(() => this.http.POST("/v1/messages", { body: withKey }));
    },
    /**
     * Publishes up to 100 events in one request; each is answered on its own
     * (`data[i].status`: 202, 200 for a repeated key, or the 4xx a single
     * publish would get). Every item gets an idempotency key first, so a
     * retried batch delivers nothing twice.
     */
    publishBatch: (messages: PublishMessage[]): Promise<PublishBatchResult> => {
      const withKeys = messages.map((m) => ({ ...m, idempotency_key: m.idempotency_key ?? this.newKey() }));
      return this.retrying(() => this.http.POST("/v1/messages/batch", { body: { messages: withKeys } }));
    },
    get: (id: string): Promise<MessageWithEvents> =>
      this.retrying(() => this.http.GET("/v1/messages/{id}", { params: { path: { id } } })),
  };

  readonly events = {
    list: (query: Query<"listEvents">): Promise<Page<DeliveryEvent>> =>
      this.retrying(() => this.http.GET("/v1/events", { params: { query } })),
    iterate: (query: IterateQuery<"listEvents">): AsyncGenerator<DeliveryEvent> =>
      this.iterate((cursor) => this.events.list({ ...query, cursor })),
    get: (id: string, query: Query<"getEvent"> = {}): Promise<DeliveryEvent> =>
      this.retrying(() => this.http.GET("/v1/events/{id}", { params: { path: { id }, query } })),
    retry: (id: string, query: Query<"retryEvent"> = {}): Promise<DeliveryEvent> =>
      this.once(() =>
        this.http.POST("/v1/events/{id}/retry", { params: { path: { id }, query }, body: {} }),
      ),
    attempts: (id: string, query: Query<"listAttempts"> = {}): Promise<Page<Attempt>> =>
      this.retrying(() =>
        this.http.GET("/v1/events/{id}/attempts", { params: { path: { id }, query } }),
      ),
    iterateAttempts: (id: string, query: IterateQuery<"listAttempts"> = {}): AsyncGenerator<Attempt> =>
      this.iterate((cursor) => this.events.attempts(id, { ...query, cursor })),
  };

  /** Operator routes: the relay's billable-unit counters, what its history holds, and the cron's run on demand. */
  readonly operations = {
    usage: (query: Query<"getUsage"> = {}): Promise<Usage> =>
      this.retrying(() => this.http.GET("/v1/usage", { params: { query } })),
    storage: (): Promise<Storage> => this.retrying(() => this.http.GET("/v1/operations/storage")),
    maintenance: (): Promise<Maintenance> =>
      this.once(() => this.http.POST("/v1/maintenance", { body: {} })),
  };
}
