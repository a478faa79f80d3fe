/**
 * @module Finished events sent once more (manual retry, recover, replay):
 * each goes back to its webhook's object as a `ResentEvent`, with its
 * message read from the history (its payload from R2) and its last answer
 * from its row.
 */
import type { WebhookRow } from "../../db/schema";
import { type Deps, webhookObject } from "../../deps";
import { type EventRow, eventFieldsOf, type ResentEvent } from "../../domain/event";
import { findMessages, withPayloads } from "../../storage/messages";
import { bySize, HANDOVER_CHARS } from "./fan-out";

/**
 * One more attempt for finished events of one webhook (manual retry,
 * recover, replay): their webhook's object holds them, due now. Returns the events
 * as the API then shows them.
 */
export async function resend(
  deps: Deps,
  webhook: Pick<WebhookRow, "id" | "applicationId">,
  events: EventRow[],
): Promise<EventRow[]> {
  const finished = events.filter(
    (e) => e.deliveryStatus === "success" || e.deliveryStatus === "failed",
  );
  const recorded = await findMessages(deps.history, [...new Set(finished.map((e) => e.messageId))], webhook.applicationId);
  const messages = new Map((await withPayloads(deps.history, recorded)).map((m) => [m.id, m]));
  const resent: ResentEvent[] = finished.flatMap((event) => {
    const message = messages.get(event.messageId);
    if (!message) return [];
    return [
      {
        ...eventFieldsOf(message),
        eventId: event.id,
        createdAt: event.createdAt,
        attempts: event.deliveryAttempts,
        attemptLog: event.attemptLog,
        maxAttempts: event.maxAttempts,
        manual: true,
        requestId: deps.requestId,
        httpStatusCode: event.httpStatusCode,
        errorMessage: event.errorMessage,
      },
    ];
  });
  const shown: EventRow[] = [];
  // In parts under the RPC size limit: a replay hands over hundreds at once.
  for (const part of bySize(resent, HANDOVER_CHARS)) {
    shown.push(...(await webhookObject(deps, webhook.id).resend(webhook.id, part)));
  }
  return shown;
}
