/**
 * @module The API's objects as the dashboard reads them: a hand-kept mirror of
 * src/api/<resource>/schemas.ts (the dashboard is built without the Worker's
 * dependencies, so it cannot import zod schemas).
 */

export type List<T> = { object: "list"; data: T[]; next_cursor: string | null };

export type Application = {
  object: "application";
  id: string;
  name: string;
  uid: string | null;
  webhook_limit: number;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
};

export type RetryPolicy =
  | { schedule_seconds: number[] }
  | { strategy: "fixed"; interval_seconds: number; max_attempts: number }
  | {
      strategy: "exponential";
      initial_interval_seconds: number;
      multiplier: number;
      max_interval_seconds: number;
      max_attempts: number;
    };

export type Ordering = "none" | "fifo";
export type PayloadFormat = "raw" | "jsonapi";
export type DisabledReason = "manual" | "gone" | "failing";

export type Webhook = {
  object: "webhook";
  id: string;
  application_id: string;
  url: string;
  name: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: DisabledReason | null;
  retry_policy: RetryPolicy;
  timeout_ms: number;
  headers: Record<string, string>;
  ordering: Ordering;
  max_in_flight: number;
  rate_limit_per_second: number | null;
  payload_format: PayloadFormat;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
};

/** What POST /v1/webhooks and PATCH /v1/webhooks/{id} accept (the dashboard's subset). */
export type WebhookInput = {
  url: string;
  name: string | null;
  event_types: string[];
  retry_policy?: RetryPolicy;
  headers: Record<string, string>;
  ordering: Ordering;
  payload_format: PayloadFormat;
  timeout_ms: number;
  max_in_flight?: number;
  rate_limit_per_second: number | null;
};

export type WebhookSecret = {
  object: "webhook_secret";
  webhook_id: string;
  secret: string;
  previous_secret_expires_at: string | null;
};

export type WebhookStats = {
  object: "webhook_stats";
  webhook_id: string;
  window_hours: number;
  counts: { success: number; failed: number; pending: number; retrying: number };
  success_rate: number | null;
  attempts: number;
  latency_ms: { p50: number | null; p95: number | null };
  /** Attempts per UTC hour of the window, oldest first. */
  hourly: { hour: string; success: number; failed: number; retrying: number }[];
};

export type Recovery = {
  object: "recovery";
  webhook_id: string;
  since: string;
  until: string;
  count: number;
};

export const DELIVERY_STATUSES = ["pending", "retrying", "success", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export type DeliveryEvent = {
  object: "event";
  id: string;
  webhook_id: string;
  message_id: string;
  type: string;
  delivery_status: DeliveryStatus;
  delivery_attempts: number;
  max_attempts: number;
  http_status_code: number;
  error_message: string;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
};

export type Attempt = {
  object: "attempt";
  id: string;
  event_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  http_status_code: number;
  response_body: string;
  error_message: string;
  created_at: string;
};

export type Message = {
  object: "message";
  id: string;
  application_id: string;
  event_type: string;
  payload: unknown;
  idempotency_key: string | null;
  resource: { type: string; id: string } | null;
  created_at: string;
  events: DeliveryEvent[];
};

/** RFC 9457 problem details, as src/api/problem.ts writes them. */
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
};
