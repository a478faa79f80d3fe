/**
 * @module An event (one message's delivery to one webhook) on its way to
 * D1, one name per stage: `Event` (created by fan-out, a test or a resend,
 * handed to its webhook's object) → `HeldEvent` (held by the object, with
 * its delivery state: src/delivery/webhook-object/held-events.ts) →
 * `EventRow` (its outcome, recorded in a history shard and later the
 * archive: src/storage/, and what the events API shows of a held one).
 */
import type { Message } from "./message";

export const DELIVERY_STATUSES = ["pending", "retrying", "success", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One HTTP try of an event, as its event's row keeps it. */
export type AttemptRecord = {
  id: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  httpStatusCode: number;
  responseBody: string;
  errorMessage: string;
};

/** An event handed to its webhook's object, with what it needs to be sent. */
export type Event = {
  eventId: string;
  messageId: string;
  eventType: string;
  /** The payload's JSON text, exactly as published. */
  payload: string;
  messageCreatedAt: string;
  resourceType: string | null;
  resourceId: string | null;
  /** The event's own creation time. */
  createdAt: string;
  /** Attempts already made (the event's `delivery_attempts`). */
  attempts: number;
  /** Those attempts, oldest first, as far as they are kept (src/delivery/history/history.ts). */
  attemptLog: AttemptRecord[];
  maxAttempts: number;
  /** One attempt, never rescheduled (manual retry, recover, test). */
  manual: boolean;
  /** The API request that caused this delivery, for the logs. */
  requestId: string;
};

/**
 * An event as the events API answers it: its outcome as recorded
 * (src/storage/events.ts), or as its webhook's object holds it.
 */
export type EventRow = {
  webhookId: string;
  id: string;
  messageId: string;
  type: string;
  deliveryStatus: DeliveryStatus;
  deliveryAttempts: number;
  maxAttempts: number;
  httpStatusCode: number;
  errorMessage: string;
  nextAttemptAt: string | null;
  /** Its attempts, oldest first, as far as they are kept (src/delivery/history/history.ts). */
  attemptLog: AttemptRecord[];
  createdAt: string;
  updatedAt: string;
};

/** An attempt as the API lists it: the record and its event. */
export type AttemptRow = AttemptRecord & { eventId: string };

/** What the events API showed of an event last: its last attempt's answer. */
export type LastAnswer = { httpStatusCode: number; errorMessage: string; updatedAt: string };

/** A finished event handed back for one more attempt (retry, recover, replay), with its last answer. */
export type ResentEvent = Event & Pick<LastAnswer, "httpStatusCode" | "errorMessage">;

/** What an event carries of its message, so that it is sent without reading the message again. */
export function eventFieldsOf(
  message: Pick<Message, "id" | "eventType" | "payload" | "createdAt" | "resourceType" | "resourceId">,
): Pick<Event, "messageId" | "eventType" | "payload" | "messageCreatedAt" | "resourceType" | "resourceId"> {
  return {
    messageId: message.id,
    eventType: message.eventType,
    payload: message.payload,
    messageCreatedAt: message.createdAt,
    resourceType: message.resourceType,
    resourceId: message.resourceId,
  };
}
