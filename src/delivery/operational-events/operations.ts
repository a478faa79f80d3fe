/**
 * @module Operational events (SPEC §7.7): the relay tells an operations
 * application about its webhooks' troubles, as ordinary messages published
 * through the ordinary path (src/ingest/publish.ts), so they are signed,
 * retried and listed like any other. `webhook.disabled`, `webhook.failing`
 * (the circuit opened), `webhook.recovered` (the first success after that)
 * and `event.exhausted` (an event failed for good).
 *
 * Each event carries a key derived from its transition (the webhook or
 * event, and the moment that identifies the transition), published as the
 * message's idempotency key: publishing it again, after a failure or a
 * crash, answers the first message and delivers nothing twice. The webhook's
 * object keeps events until they are published (operational-outbox.ts).
 *
 * Bounded per source application: a `webhook.disabled` at most once a
 * minute per webhook and reason (its key names the minute, not the instant),
 * and at most RELAY_OPERATIONAL_EVENTS_PER_MINUTE events a minute, the rest
 * counted and summarised (src/delivery/operational-events/operational-budget.ts).
 */
import { getApplication, getApplicationByUid } from "../../db/queries/applications";
import type { WebhookRow } from "../../db/schema";
import type { Deps } from "../../deps";
import type { NewMessage } from "../../domain/message";
import type { OperationalEvent } from "../../domain/operational-event";
import { publish } from "../../ingest/publish";
import { toRfc3339 } from "../../lib/time";
import type { Circuit } from "../policy/circuit";
import { budget, minuteOf } from "./operational-budget";

type WebhookRef = Pick<WebhookRow, "id" | "applicationId">;

function event(
  webhook: WebhookRef,
  type: OperationalEvent["type"],
  key: string,
  at: string,
  data: Record<string, unknown>,
): OperationalEvent {
  return {
    key: `hookrelay:${type}:${key}`,
    type,
    timestamp: at,
    applicationId: webhook.applicationId,
    data: { webhook_id: webhook.id, application_id: webhook.applicationId, ...data },
  };
}

/**
 * The webhook was disabled at `at`. Named by the minute, not the instant: a
 * webhook switched off and on again and again (a customer can, with a portal
 * link) is one event a minute for each reason, and the relay's own
 * `gone` or `failing` is never hidden behind a person's `manual`.
 */
export function webhookDisabled(
  webhook: WebhookRef,
  reason: "manual" | "gone" | "failing",
  at: string,
): OperationalEvent {
  return event(webhook, "webhook.disabled", `${webhook.id}:${reason}:${minuteOf(at)}`, at, { reason });
}

/**
 * What a change of the circuit means: `webhook.failing` when it opens,
 * `webhook.recovered` when an open circuit closes on a success. Both are
 * named by the failing streak's start, so each streak has one of each.
 */
export function circuitEvents(
  webhook: WebhookRef,
  before: Circuit,
  after: Circuit,
  at: string,
): OperationalEvent[] {
  if (before.openUntil === null && after.openUntil !== null) {
    const since = toRfc3339(after.failingSince ?? Date.parse(at));
    return [
      event(webhook, "webhook.failing", `${webhook.id}:${since}`, at, {
        consecutive_failures: after.consecutiveFailures,
        since,
      }),
    ];
  }
  if (before.openUntil !== null && after.openUntil === null) {
    const since = toRfc3339(before.failingSince ?? Date.parse(at));
    return [event(webhook, "webhook.recovered", `${webhook.id}:${since}`, at, {})];
  }
  return [];
}

/** An event failed for good after `attempts` attempts. */
export function eventExhausted(
  webhook: WebhookRef,
  failed: { eventId: string; messageId: string; attempts: number; httpStatusCode: number; errorMessage: string },
  at: string,
): OperationalEvent {
  return event(webhook, "event.exhausted", `${failed.eventId}:${failed.attempts}`, at, {
    event_id: failed.eventId,
    message_id: failed.messageId,
    http_status_code: failed.httpStatusCode,
    error_message: failed.errorMessage,
  });
}

/** How long this isolate trusts what the setting resolved to. */
const RESOLVED_FOR_MS = 60_000;
const resolved = new Map<string, { id: string; until: number }>();

/** The operations application's id, from the setting (an id or a uid); null when unset or unknown. */
export async function operationsApplicationId(deps: Deps): Promise<string | null> {
  const setting = deps.settings.operationsApplication;
  if (!setting) return null;
  const cached = resolved.get(setting);
  if (cached && cached.until > Date.now()) return cached.id;
  const app = (await getApplication(deps.db, setting)) ?? (await getApplicationByUid(deps.db, setting));
  if (!app) {
    deps.log("warn", "RELAY_OPERATIONS_APPLICATION_ID names no application; operational events dropped", {});
    return null;
  }
  resolved.set(setting, { id: app.id, until: Date.now() + RESOLVED_FOR_MS });
  return app.id;
}

/**
 * Publishes operational events to the operations application, within the
 * bound. Returns the keys that are settled: published now or before (same
 * key), counted beyond the bound, or dropped for good (no operations
 * application, or about its own webhooks). The others (another publish with
 * the key in progress; a minute's summary whose minute is not over) should
 * be tried again; a failure to reach D1 or the ingest objects throws, for
 * the same.
 */
export async function publishOperational(deps: Deps, events: OperationalEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const opsId = await operationsApplicationId(deps);
  if (opsId === null) return events.map((e) => e.key);
  const settled = new Set(events.filter((e) => e.applicationId === opsId).map((e) => e.key));
  const budgeted = await budget(
    deps,
    opsId,
    events.filter((e) => e.applicationId !== opsId),
  );
  const wanted: { key: string; message: NewMessage }[] = [];
  for (const b of budgeted) {
    if (b.message === null) settled.add(b.key);
    else if (b.message !== "later") wanted.push({ key: b.key, message: b.message });
  }
  const results = await publish(
    deps,
    wanted.map((w) => w.message),
  );
  results.forEach((result, i) => {
    const w = wanted[i]!;
    if (result.status === 202 || result.status === 200) settled.add(w.key);
    else if (result.status === 404) {
      // The application was deleted since it was resolved: nowhere to publish.
      resolved.delete(deps.settings.operationsApplication ?? "");
      settled.add(w.key);
    } else {
      // Its key taken by a publish in progress, or its history refused for now (503).
      deps.log("info", "operational event not published yet; tried again later", {
        type: w.message.eventType,
        status: result.status,
      });
    }
  });
  return [...settled];
}
